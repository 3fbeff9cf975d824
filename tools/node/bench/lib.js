// lib.js -- what the Node.js benchmarks share: the measuring loop (tasks/s,
// the event loop's delay p99, the main thread's busy time per task), the
// optional Piscina pool, the fixed-format table and the command line.
//
// The table: a header line `bench case variant METRIC...', then one line a
// row, columns separated by spaces; lines starting with `#' are notes
// (a variant skipped, and why).  tests/bench/clients.sh reads it.
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import os from 'node:os';

export const METRICS = ['tasks_s', 'loop_p99_ms', 'main_us'];

export function options(usage, extra = {}) {
  let v;
  try {
    v = parseArgs({
      options: {
        socket: { type: 'string' },
        seconds: { type: 'string', default: '1' },
        quick: { type: 'boolean', default: false },
        variants: { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
        ...extra,
      },
    }).values;
  } catch (e) {
    console.error(`${e.message}\n${usage}`);
    process.exit(2);
  }
  if (v.help) {
    console.log(usage);
    process.exit(0);
  }
  v.seconds = v.quick ? Math.min(Number(v.seconds), 0.3) : Number(v.seconds);
  if (!(v.seconds > 0)) {
    console.error(`--seconds must be a positive number\n${usage}`);
    process.exit(2);
  }
  v.socket = v.socket || process.env.FORKPOOL_SOCKET || undefined;
  v.only = v.variants ? new Set(v.variants.split(',')) : null;
  return v;
}

// A value of a monitorEventLoopDelay({ resolution: 10 }) histogram (ns)
// as the loop's delay in ms: the interval less the timer's 10 ms.
export function loopDelayMs(ns) {
  return Math.max(0, ns / 1e6 - 10);
}

const yieldLoop = () => new Promise((resolve) => setImmediate(resolve));

// measure(seconds, step): call `await step()' (which returns how many tasks
// it completed) over and over for `seconds', after a warm-up of a fifth of
// that, letting the event loop turn after each step (setImmediate) so that
// a synchronous step shows in the loop's delay as it would in a service.
// Returns tasks/s, the p99 of the event loop's delay in ms and the main
// thread's busy time per task in us (eventLoopUtilization's active time
// over the tasks).  The delay is monitorEventLoopDelay's with a resolution
// of 10 ms, less those 10 ms: its histogram records the whole interval
// between two ticks of its 10 ms timer, so an idle loop reads 10.1 ms.
export async function measure(seconds, step) {
  const warm = performance.now();
  while (performance.now() - warm < seconds * 200) {
    await step();
    await yieldLoop();
  }
  const h = monitorEventLoopDelay({ resolution: 10 });
  const e0 = performance.eventLoopUtilization();
  h.enable();
  const t0 = performance.now();
  let n = 0;
  while (performance.now() - t0 < seconds * 1000) {
    n += await step();
    await yieldLoop();
  }
  const dt = (performance.now() - t0) / 1000;
  h.disable();
  const e = performance.eventLoopUtilization(e0);
  return {
    tasks_s: n / dt,
    loop_p99_ms: loopDelayMs(h.percentile(99)),
    main_us: (e.active * 1000) / n,
  };
}

// keep(inflight, n, call): run `n' tasks with at most `inflight' at once;
// resolves with n.
export function keep(inflight, n, call) {
  return new Promise((resolve, reject) => {
    let started = 0;
    let done = 0;
    const next = () => {
      if (done === n) return resolve(n);
      if (started === n) return undefined;
      started++;
      return call().then(() => {
        done++;
        next();
      }, reject);
    };
    for (let i = 0; i < Math.min(inflight, n); i++) next();
  });
}

// piscina(threads): a Piscina pool of the worker file piscina-worker.js, or
// a string saying why there is none.
export async function piscina(threads) {
  let Piscina;
  try {
    ({ Piscina } = await import('piscina'));
  } catch (e) {
    return `piscina is not installed (cd tools/node/bench && npm ci): ${e.code || e.message}`;
  }
  const filename = fileURLToPath(new URL('./piscina-worker.js', import.meta.url));
  return new Piscina({ filename, minThreads: threads, maxThreads: threads });
}

function fmt(v) {
  if (typeof v !== 'number') return String(v);
  if (v >= 100) return v.toFixed(0);
  if (v >= 10) return v.toFixed(1);
  return v.toFixed(2);
}

export function header(bench, what) {
  console.log(`# ${bench}: ${what}`);
  console.log(`# node ${process.version}, ${os.cpus().length} cpus; tasks_s: tasks per second; ` +
    'loop_p99_ms: event loop delay p99 (monitorEventLoopDelay, resolution 10 ms, less the 10 ms); ' +
    "main_us: the main thread's busy time per task");
  console.log(['bench'.padEnd(12), 'case'.padEnd(14), 'variant'.padEnd(10), ...METRICS.map((m) => m.padStart(12))].join(' '));
}

export function row(bench, kase, variant, r) {
  console.log([bench.padEnd(12), kase.padEnd(14), variant.padEnd(10), ...METRICS.map((m) => fmt(r[m]).padStart(12))].join(' '));
}
