// options.test.js -- the per-call options timeout, retries and id reach
// the daemon through forkpool.call, and the pool's timeout and retries are
// each call's defaults: a crash is retried (attempts), a deadline kills a
// sleep (attempts 1), timeout 0 lifts the pool's, the id is the daemon's
// correlation ID (corr in its task log); a daemon that answers nothing
// (stopped) does not hang a call with a timeout, and a forkpool.* call
// ends at its timeout, without the grace; durations beyond a day (the
// daemon's limit, and short of the 2^31 ms that setTimeout cannot wait)
// are TypeErrors.
import assert from 'node:assert/strict';
import { test, after } from 'node:test';

import { ForkPool } from '../index.js';
import { startDaemon, waitFor } from './daemon.js';

const d = await startDaemon('options', {
	workers: 2,
	conf: 'task-log all\nbreaker-threshold 0\n',
});
const plain = new ForkPool({ socket: d.sock });
const dflt = new ForkPool({ socket: d.sock, timeout: 300, retries: 1 });
after(() => Promise.all([plain.close(), dflt.close()]));

test('retries: a crash is run again', async () => {
	await assert.rejects(plain.run('crash', [9], { retries: 1 }),
	    { code: 'worker_crashed', attempts: 2, signal: 9 });
	// The pool's default, and a call's own 0 instead.
	await assert.rejects(dflt.run('crash', [9]),
	    { code: 'worker_crashed', attempts: 2 });
	await assert.rejects(dflt.run('crash', [9], { retries: 0 }),
	    { code: 'worker_crashed', attempts: 1 });
	// Without options, the daemon's configured retries (0).
	await assert.rejects(plain.run('crash', [9]),
	    { code: 'worker_crashed', attempts: 1 });
});

test('timeout: the daemon kills a task past its deadline', async () => {
	const t0 = performance.now();
	await assert.rejects(plain.run('sleep', [5000], { timeout: 200 }),
	    { code: 'timeout', attempts: 1 });
	assert.ok(performance.now() - t0 < 2000);
	// The pool's default timeout (300 ms) ...
	await assert.rejects(dflt.run('sleep', [5000]), { code: 'timeout' });
	// ... a longer one of the call's own, and 0 for none.
	assert.equal(await dflt.run('sleep', [400], { timeout: 3000 }), 400);
	assert.equal(await dflt.run('sleep', [400], { timeout: 0 }), 400);
	// Administrative methods are never wrapped in forkpool.call.
	assert.equal(await dflt.ping(), 'pong');
	assert.equal(typeof (await dflt.stats()).tasks_ok, 'number');
});

test('id: the correlation ID in the daemon\'s log', async () => {
	assert.equal(await plain.run('echo', ['with id'], { id: 'job-17 ✓' }),
	    'with id');
	await waitFor(() => d.logText().split('\n').some((l) =>
	    /event=task_done/.test(l) && /handler=echo/.test(l) &&
	    l.includes('corr="job-17 ✓"')), 5000,
	    'corr="job-17 ✓" in a task_done line of the log');
});

test('no answer at all: a stopped daemon does not hang a call with a ' +
    'timeout', async (t) => {
	const p = new ForkPool({ socket: d.sock, timeoutGrace: 200 });
	t.after(() => p.close({ force: true }));
	assert.equal(await p.run('echo', [1]), 1);
	process.kill(d.pid, 'SIGSTOP');
	t.after(() => process.kill(d.pid, 'SIGCONT'));
	const t0 = performance.now();
	const e = await p.run('echo', [2], { timeout: 300 }).catch((x) => x);
	const ms = performance.now() - t0;
	assert.equal(e.code, 'timeout', e.message);
	assert.match(e.message, /no answer from the daemon/);
	assert.ok(ms >= 450 && ms < 3000, `rejected after ${ms} ms`);
	process.kill(d.pid, 'SIGCONT');
	// The connection is still good.
	assert.equal(await p.run('echo', [3]), 3);
});

test('durations beyond a day are TypeErrors, not timers that fire at once',
    async () => {
	// setTimeout fires at once for 2^31 ms or more; the daemon takes a
	// timeout_ms of a day at most.
	assert.throws(() => plain.run('sleep', [100], { timeout: 2 ** 31 }),
	    TypeError);
	assert.throws(() => plain.ping({ timeout: 86400001 }), TypeError);
	for (const k of ['timeout', 'connectTimeout', 'timeoutGrace',
	    'reconnectDelay', 'reconnectDelayMax']) {
		assert.throws(() => new ForkPool({ socket: d.sock, [k]: 2 ** 31 }),
		    TypeError, k);
	}
	// A day, and a day of grace after it, are working deadlines.
	assert.equal(await plain.run('sleep', [100], { timeout: 86400000 }), 100);
	const p = new ForkPool({ socket: d.sock, timeout: 86400000,
	    timeoutGrace: 86400000, connectTimeout: 86400000 });
	assert.equal(await p.run('sleep', [100]), 100);
	assert.equal(await p.ping(), 'pong');
	await p.close();
});

test('a forkpool.* call ends at its timeout, without the grace',
    async (t) => {
	const p = new ForkPool({ socket: d.sock, timeoutGrace: 5000 });
	t.after(() => p.close({ force: true }));
	assert.equal(await p.ping(), 'pong');
	process.kill(d.pid, 'SIGSTOP');
	t.after(() => process.kill(d.pid, 'SIGCONT'));
	const t0 = performance.now();
	const e = await p.ping({ timeout: 200 }).catch((x) => x);
	const ms = performance.now() - t0;
	assert.equal(e.code, 'timeout', e.message);
	assert.ok(ms >= 190 && ms < 2000, `rejected after ${ms} ms`);
	process.kill(d.pid, 'SIGCONT');
	assert.equal(await p.ping(), 'pong');
});
