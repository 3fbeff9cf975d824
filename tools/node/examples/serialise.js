#!/usr/bin/env node
// serialise.js -- serialisation off the event loop with forkpool's
// json.encode and json.decode, and what it does and does not buy you.
// See README.md in this directory.
//
//	node serialise.js [--socket PATH] [--quick]
//
// It starts no daemon: it talks to the forkpoold on --socket, else on
// $FORKPOOL_SOCKET, else on the default socket.  The daemon needs the test
// handlers (`test-handlers yes' in forkpool.conf, or forkpoold -T) for the
// hang and the crash it shows; its default configuration is fine otherwise.
//
// Part 1, json.encode of objects of 1 KB to 1 MB: the text is checked to be
// the very text JSON.stringify gives, and the main thread's cost of each way
// is printed.  The client must encode the object as MessagePack before it
// can send it, and that costs the main thread about as much as the
// JSON.stringify it replaces: for a JavaScript object, json.encode does not
// make serialisation cheaper for the event loop.  Part 2 shows where
// forkpool does win: input that is bytes already, work that costs more than
// the encoding (canonical JSON with sorted keys), a deadline that really
// stops a runaway task, and a crash that costs one call, not the process.
// Exit status 0 when every check held, 1 otherwise, 2 on a usage error.
import { parseArgs } from 'node:util';
import { performance } from 'node:perf_hooks';
import { isDeepStrictEqual } from 'node:util';
import { ForkPool, ForkPoolError } from '../index.js';
import { makeObject, canonicalStringify, SIZES } from './objects.js';
import { msgpackEncode } from './codec.js';

const USAGE = 'usage: node serialise.js [--socket PATH] [--quick]';
let opts;
try {
  opts = parseArgs({
    options: {
      socket: { type: 'string' },
      quick: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values;
} catch (e) {
  console.error(`serialise: ${e.message}\n${USAGE}`);
  process.exit(2);
}
if (opts.help) {
  console.log(USAGE);
  process.exit(0);
}
const socket = opts.socket || process.env.FORKPOOL_SOCKET || undefined;
const pool = new ForkPool({ socket, timeout: 10000, retries: 0 });
let failed = false;
function fail(msg) {
  failed = true;
  console.log(`FAIL: ${msg}`);
}

// The median of `n' timings of fn(), in microseconds, after as many runs
// to warm up.
function timeUs(fn, n) {
  for (let i = 0; i < n; i++) fn();
  const t = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    fn();
    t.push((performance.now() - t0) * 1000);
  }
  t.sort((a, b) => a - b);
  return t[t.length >> 1];
}

// The main thread's busy time per call, in microseconds, over `n' calls of
// fn() one after the other: the event loop's active time
// (performance.eventLoopUtilization) divided by n.  It counts everything
// the client does on the thread: encoding, writing, reading, decoding.
// As many calls warm up first.
async function mainUs(fn, n) {
  for (let i = 0; i < n; i++) await fn();
  const e0 = performance.eventLoopUtilization();
  for (let i = 0; i < n; i++) await fn();
  const e = performance.eventLoopUtilization(e0);
  return (e.active * 1000) / n;
}

function us(v) {
  return v >= 1000 ? `${(v / 1000).toFixed(2)} ms` : `${v.toFixed(0)} us`;
}

async function part1() {
  console.log('part 1: json.encode against JSON.stringify (median main-thread time per object)');
  console.log('size    JSON.stringify  MessagePack encode  json.encode call (main thread)  same text');
  for (const [name, bytes] of SIZES) {
    const obj = makeObject(bytes, 1);
    const n = opts.quick ? (bytes >= 1 << 20 ? 3 : 10) : (bytes >= 1 << 20 ? 15 : 100);
    const want = JSON.stringify(obj);
    const got = await pool.run('json.encode', [obj]);
    const same = got.text === want && got.truncated === false && got.size === Buffer.byteLength(want);
    if (!same) fail(`json.encode of the ${name} object is not JSON.stringify's text`);
    const js = timeUs(() => JSON.stringify(obj), n);
    const mp = timeUs(() => msgpackEncode(obj), n);
    const call = await mainUs(() => pool.run('json.encode', [obj]), n);
    console.log(`${name.padEnd(6)}  ${us(js).padStart(14)}  ${us(mp).padStart(18)}  ` +
      `${us(call).padStart(30)}  ${same ? 'yes' : 'NO'}`);
  }
  console.log('  (The main thread pays the MessagePack encoding, about what JSON.stringify costs and up to ' +
    'twice that, plus the call: the socket and the decoding of the text that comes back.  ' +
    'json.encode of a JavaScript object does not unload the event loop; see README.md.)');
}

async function part2() {
  console.log('part 2: bytes in, more work than the encoding, deadlines, crashes');
  // a. Input that is bytes already: a JSON document read from a socket or a
  // file goes to json.decode as a Buffer (MessagePack bin: copied, not
  // encoded).  The parse runs in a worker, but the main thread still
  // decodes the MessagePack result into objects, which costs about what
  // JSON.parse costs: bytes in pay off when what comes back is small (a
  // transform of the document, such as the aggregate plug-in's
  // aggregate.group_json: see money-flow), not for the whole document.
  const big = makeObject(opts.quick ? 100 << 10 : 1 << 20, 2);
  const text = Buffer.from(JSON.stringify(big));
  const decoded = await pool.run('json.decode', [text]);
  const same = isDeepStrictEqual(decoded, JSON.parse(text.toString()));
  if (!same) fail('json.decode of the Buffer differs from JSON.parse');
  const n = opts.quick ? 3 : 10;
  const parseUs = timeUs(() => JSON.parse(text.toString()), n);
  const decodeUs = await mainUs(() => pool.run('json.decode', [text]), n);
  console.log(`  bytes in: json.decode of a ${(text.length / 1024).toFixed(0)} KB Buffer: ` +
    `same value as JSON.parse: yes; main thread ${us(decodeUs)} per call ` +
    `(sending the bytes, decoding the MessagePack result) against ${us(parseUs)} for JSON.parse`
      .replace('yes;', same ? 'yes;' : 'NO;'));
  // b. Work larger than the encoding: canonical JSON (keys sorted, for a
  // hash or a signature) costs JavaScript far more than JSON.stringify; the
  // main thread's share of json.encode with sort_keys stays the encoding.
  const sorted = await pool.run('json.encode', [big, { sort_keys: true }]);
  const canon = canonicalStringify(big);
  if (sorted.text !== canon) fail('json.encode with sort_keys differs from the canonical stringify');
  const canonUs = timeUs(() => canonicalStringify(big), n);
  const sortUs = await mainUs(() => pool.run('json.encode', [big, { sort_keys: true }]), n);
  console.log(`  more work than the encoding: canonical JSON (sorted keys) of the same object: ` +
    `same text: ${sorted.text === canon ? 'yes' : 'NO'}; main thread ${us(sortUs)} per call ` +
    `against ${us(canonUs)} in-process`);
  // c. A deadline that really stops the work: spin keeps a processor busy
  // for 10 s; the call's 300 ms deadline kills the worker that runs it.
  const workers0 = (await pool.workers()).map((w) => w.pid);
  let t0 = performance.now();
  try {
    await pool.run('spin', [10_000_000], { timeout: 300 });
    fail('spin 10 s with a 300 ms deadline: answered');
  } catch (e) {
    const ms = performance.now() - t0;
    if (!(e instanceof ForkPoolError) || e.code !== 'timeout') fail(`spin: expected timeout, got ${e}`);
    else console.log(`  deadline: spin of 10 s with timeout 300 ms: ForkPoolError ${e.code} after ` +
      `${ms.toFixed(0)} ms (attempts ${e.attempts}); the worker running it was killed`);
  }
  // hang never returns: the same deadline ends it.
  t0 = performance.now();
  try {
    await pool.run('hang', [], { timeout: 300 });
    fail('hang with a 300 ms deadline: answered');
  } catch (e) {
    const ms = performance.now() - t0;
    if (!(e instanceof ForkPoolError) || e.code !== 'timeout') fail(`hang: expected timeout, got ${e}`);
    else console.log(`  hang: ForkPoolError ${e.code} after ${ms.toFixed(0)} ms`);
  }
  // d. A crash costs one call: the worker dies, this process does not.
  try {
    await pool.run('crash', [11], { retries: 0 });
    fail('crash: answered');
  } catch (e) {
    if (!(e instanceof ForkPoolError) || e.code !== 'worker_crashed') fail(`crash: expected worker_crashed, got ${e}`);
    else console.log(`  crash: ForkPoolError ${e.code} (signal ${e.signal}); this process carries on`);
  }
  const check = await pool.run('json.encode', [{ still: 'serving' }]);
  if (check.text !== '{"still":"serving"}') fail('json.encode after the crash');
  const workers1 = (await pool.workers()).map((w) => w.pid);
  const replaced = workers0.filter((p) => p > 0 && !workers1.includes(p)).length;
  console.log(`  after the timeouts and the crash: json.encode answers; ${replaced} of ` +
    `${workers0.length} workers were replaced`);
}

try {
  const handlers = await pool.run('forkpool.handlers', []);
  if (!handlers.includes('crash')) {
    console.error('serialise: the daemon has no test handlers: start it with -T or ' +
      '`test-handlers yes\' (see README.md)');
    process.exit(1);
  }
  await part1();
  await part2();
  console.log(failed ? 'serialise: FAILED' : 'serialise: all checks passed');
} catch (e) {
  fail(e instanceof ForkPoolError ? `${e.code}: ${e.message}` : e.stack);
} finally {
  await pool.close();
}
process.exit(failed ? 1 : 0);
