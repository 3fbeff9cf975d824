#!/usr/bin/env node
// money-flow.js -- a service that offloads its money-flow transform to
// forkpool: bets come in races of a few thousand records, five races at a
// time; each race is grouped by runner and aggregated (bets, stake, average
// stake, shortest and longest odds) by the aggregate.group handler of
// forkpool's example plug-in, in a worker process, while the event loop
// stays free.  See README.md in this directory.
//
//	node money-flow.js [--socket PATH] [--bursts N] [--records N] [--quick]
//
// It starts no daemon: it talks to the forkpoold on --socket, else on
// $FORKPOOL_SOCKET, else on the default socket.  That daemon needs 3
// workers, the plug-in and the test handlers (for the crash it shows):
//
//	workers 3
//	test-handlers yes
//	load "/path/to/build/plugins/aggregate.so"
//
// What it shows, burst by burst: the 5 races of a burst are submitted at
// once; the daemon queues what its 3 workers cannot take yet, first in
// first out; the answers are handed on in submission order; each is checked
// against the same transform done in JavaScript (races.js).  In one burst
// one race is sent to the `crash' test handler instead, as if its transform
// had hit a bug that kills the process: that call, and only that one, fails
// with ForkPoolError code worker_crashed, the daemon replaces the worker (a
// new pid in forkpool.workers), and the race is sent again and answered.
// Exit status 0 when every promise held, 1 otherwise, 2 on a usage error.
import { parseArgs } from 'node:util';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { ForkPool, ForkPoolError } from '../index.js';
import { SPEC, makeRace, aggregate, sameRows } from './races.js';

const USAGE = 'usage: node money-flow.js [--socket PATH] [--bursts N] [--records N] [--quick]';
const BURST = 5;

let opts;
try {
  opts = parseArgs({
    options: {
      socket: { type: 'string' },
      bursts: { type: 'string', default: '20' },
      records: { type: 'string', default: '4000' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  console.error(`money-flow: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const nbursts = opts.quick ? 4 : Number(opts.bursts);
const nrecords = Number(opts.records);
if (!Number.isInteger(nbursts) || nbursts < 3 || !Number.isInteger(nrecords) || nrecords < 1) {
  console.error(`money-flow: --bursts must be an integer of at least 3, --records at least 1\n${USAGE}`);
  process.exit(2);
}
const socket = opts.socket || process.env.FORKPOOL_SOCKET || undefined;

// The race whose transform crashes: in the second burst, the third race.
const CRASH_BURST = 1;
const CRASH_INDEX = 2;

const pool = new ForkPool({ socket, timeout: 5000, retries: 0 });

function pids(workers) {
  return workers.map((w) => w.pid).filter((p) => p > 0).sort((a, b) => a - b);
}

// Bounded wait (10 s) until forkpool.workers shows as many workers with a
// pid as `before' had, not all of them the same.
async function waitReplaced(before) {
  const until = Date.now() + 10000;
  for (;;) {
    const now = pids(await pool.workers());
    if (now.length === before.length && before.some((p) => !now.includes(p))) return now;
    if (Date.now() > until) return now;
    await sleep(20);
  }
}

let failed = false;
function fail(msg) {
  failed = true;
  console.log(`FAIL: ${msg}`);
}

async function main() {
  const handlers = await pool.run('forkpool.handlers', []);
  for (const h of ['aggregate.group', 'crash']) {
    if (!handlers.includes(h)) {
      console.error(`money-flow: the daemon has no handler ${h}: start it with ` +
        `\`workers 3', \`test-handlers yes' and \`load "/path/to/aggregate.so"' (see README.md)`);
      process.exit(1);
    }
  }
  const before = pids(await pool.workers());
  console.log(`money-flow: ${before.length} workers (pids ${before.join(' ')}), ` +
    `${nbursts} bursts of ${BURST} races of ${nrecords} bets`);

  // The races, made before the clock starts: bursts[b][i] is the records
  // of race 5b+i+1.
  const bursts = [];
  let seed = 0;
  for (let b = 0; b < nbursts; b++) {
    const burst = [];
    for (let i = 0; i < BURST; i++) burst.push(makeRace(++seed, nrecords));
    bursts.push(burst);
  }
  const answers = new Map();	// race -> [records, rows], checked at the end
  let races = 0;
  let inOrder = 0;
  let crash = null;
  let replaced = null;
  const h = monitorEventLoopDelay({ resolution: 10 });
  const elu0 = performance.eventLoopUtilization();
  const t0 = performance.now();
  h.enable();
  for (let b = 0; b < nbursts; b++) {
    const burst = bursts[b];
    const tb = performance.now();
    // All five at once; the daemon runs three and queues two, FIFO.
    const calls = burst.map((records, i) => {
      if (b === CRASH_BURST && i === CRASH_INDEX)
        return pool.run('crash', [11], { retries: 0, id: `race ${records[0].race}` });
      return pool.run('aggregate.group', [records, SPEC], { id: `race ${records[0].race}` });
    });
    const settled = await Promise.allSettled(calls);
    const ms = performance.now() - tb;
    // Hand the answers on in submission order: each must be its race's.
    const names = [];
    for (let i = 0; i < BURST; i++) {
      const race = burst[i][0].race;
      const s = settled[i];
      if (b === CRASH_BURST && i === CRASH_INDEX) {
        const e = s.reason;
        if (s.status === 'rejected' && e instanceof ForkPoolError && e.code === 'worker_crashed') {
          crash = e;
          console.log(`burst ${b + 1}: race ${race} sent to the crash handler: ForkPoolError ` +
            `${e.code} (signal ${e.signal}, attempts ${e.attempts}): ${e.message}`);
        } else {
          fail(`race ${race} on the crash handler: expected worker_crashed, got ` +
            (s.status === 'fulfilled' ? 'a result' : String(s.reason)));
        }
        continue;
      }
      races++;
      if (s.status !== 'fulfilled') {
        fail(`race ${race}: ${s.reason}`);
        continue;
      }
      const rows = s.value;
      if (rows.length > 0 && rows.every((r) => r.race === race)) inOrder++;
      else fail(`race ${race}: the answer in its place is not its own`);
      answers.set(race, [burst[i], rows]);
      names.push(race);
    }
    console.log(`burst ${b + 1}: ${names.join(' ')} answered in order (${ms.toFixed(1)} ms)`);
    if (b === CRASH_BURST && crash !== null) {
      // The crashed worker is gone and replaced; the race goes again.
      const after = await waitReplaced(before);
      const gone = before.filter((p) => !after.includes(p));
      const fresh = after.filter((p) => !before.includes(p));
      if (gone.length === 1 && fresh.length === 1) {
        replaced = { gone: gone[0], fresh: fresh[0] };
        console.log(`burst ${b + 1}: worker ${gone[0]} died; forkpool.workers shows its ` +
          `replacement ${fresh[0]} (pids ${after.join(' ')})`);
      } else {
        fail(`after the crash: workers ${before.join(' ')} became ${after.join(' ')}`);
      }
      const again = burst[CRASH_INDEX];
      const race = again[0].race;
      const rows = await pool.run('aggregate.group', [again, SPEC], { id: `race ${race}` });
      races++;
      if (rows.length > 0 && rows.every((r) => r.race === race)) inOrder++;
      else fail(`race ${race} sent again: the answer is not its own`);
      answers.set(race, [again, rows]);
      console.log(`burst ${b + 1}: race ${race} sent again: answered`);
    }
  }
  h.disable();
  const secs = (performance.now() - t0) / 1000;
  const elu = performance.eventLoopUtilization(elu0);
  const crashOk = crash !== null && crash.code === 'worker_crashed';
  // The histogram records the whole interval of its 10 ms timer: the
  // loop's delay is what is beyond those 10 ms.
  const delay = (ns) => Math.max(0, ns / 1e6 - 10).toFixed(2);
  console.log(`event loop: delay p99 ${delay(h.percentile(99))} ms, ` +
    `max ${delay(h.max)} ms, busy ${(elu.utilization * 100).toFixed(0)} % ` +
    `(the MessagePack encoding of the records, mostly); ${(races / secs).toFixed(0)} races/s`);
  // Now, off the clock: the same transform in JavaScript, race by race.
  let identical = 0;
  for (const [race, [records, rows]] of answers) {
    if (sameRows(rows, aggregate(records, SPEC))) identical++;
    else fail(`race ${race}: forkpool's rows differ from the in-process transform's`);
  }
  console.log(`summary: ${nbursts} bursts, ${races} races, ${inOrder} answered in FIFO order, ` +
    `${identical} identical to the in-process transform, ` +
    `crash ${crashOk ? 'answered worker_crashed' : 'NOT answered worker_crashed'}, ` +
    `worker ${replaced ? `${replaced.gone} replaced by ${replaced.fresh}` : 'NOT replaced'}`);
  const expected = nbursts * BURST;
  if (races !== expected || inOrder !== expected || identical !== expected || !crashOk || !replaced)
    failed = true;
}

try {
  await main();
} catch (e) {
  fail(e instanceof ForkPoolError ? `${e.code}: ${e.message}` : e.stack);
} finally {
  await pool.close();
}
process.exit(failed ? 1 : 0);
