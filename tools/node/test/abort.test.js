// abort.test.js -- an AbortSignal cancels a call through forkpool.cancel:
// a running sleep 5000 and a queued one are cancelled in the daemon
// (tasks_cancelled grows), the promise rejects at once with an AbortError
// whose cause is the signal's reason, the daemon's later "cancelled"
// answer is consumed, and the listener is removed when the call ends; an
// already-aborted signal sends nothing; one signal shared by thousands of
// calls in flight has one listener (no MaxListenersExceededWarning) and
// aborts them all.  Notifications run (the daemon's statistics count
// them).
import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { test, after } from 'node:test';

import { ForkPool } from '../index.js';
import { startDaemon, waitFor } from './daemon.js';

const d = await startDaemon('abort', { workers: 1,
    conf: 'prefetch 1\ncancel-running kill\n' });
const pool = new ForkPool({ socket: d.sock });
after(() => pool.close());

const stats = () => pool.stats();

function isAbort(e, reason) {
	assert.ok(e instanceof DOMException, String(e));
	assert.equal(e.name, 'AbortError');
	assert.equal(e.cause, reason);
	return true;
}

test('abort a running and a queued call', async () => {
	const s0 = await stats();
	const ac1 = new AbortController();
	const ac2 = new AbortController();
	const running = pool.run('sleep', [5000], { signal: ac1.signal });
	await waitFor(async () => (await stats()).running >= 1, 5000,
	    'the sleep to run');
	const queued = pool.run('sleep', [5000], { signal: ac2.signal });
	await waitFor(async () => (await stats()).queued >= 1, 5000,
	    'the second sleep to be queued');
	const reason = new Error('changed my mind');
	let t0 = performance.now();
	ac2.abort(reason);
	await assert.rejects(queued, (e) => isAbort(e, reason));
	assert.ok(performance.now() - t0 < 100, 'rejected at once');
	t0 = performance.now();
	ac1.abort();
	await assert.rejects(running, (e) => isAbort(e, ac1.signal.reason));
	assert.ok(performance.now() - t0 < 100, 'rejected at once');
	// Both were cancelled in the daemon, not left to run.
	await waitFor(async () => {
		const s = await stats();
		return s.tasks_cancelled >= s0.tasks_cancelled + 2 &&
		    s.running === 0 && s.queued === 0;
	}, 5000, 'tasks_cancelled to grow by 2');
	// The worker is free at once (cancel-running kill).
	assert.equal(await pool.run('sleep', [1]), 1);
	assert.equal(getEventListeners(ac1.signal, 'abort').length, 0);
	assert.equal(getEventListeners(ac2.signal, 'abort').length, 0);
});

test('an aborted signal sends nothing', async () => {
	const s0 = await stats();
	const ac = new AbortController();
	ac.abort('no');
	await assert.rejects(pool.run('echo', [1], { signal: ac.signal }),
	    (e) => isAbort(e, 'no'));
	const s1 = await stats();
	assert.equal(s1.handlers.echo?.calls ?? 0, s0.handlers.echo?.calls ?? 0);
});

test('listeners are removed when calls end', async () => {
	const ac = new AbortController();
	for (let i = 0; i < 50; i++)
		assert.equal(await pool.run('echo', [i], { signal: ac.signal }), i);
	await assert.rejects(pool.run('nope', [], { signal: ac.signal }),
	    { code: 'no_such_method' });
	assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
	// Aborting afterwards changes nothing.
	ac.abort();
	assert.equal(await pool.run('echo', ['still']), 'still');
});

test('abort with a timeout, and an abort after the answer', async () => {
	const ac = new AbortController();
	const p = pool.run('sleep', [5000], { signal: ac.signal, timeout: 4000 });
	await waitFor(async () => (await stats()).running >= 1, 5000,
	    'the sleep to run');
	ac.abort();
	await assert.rejects(p, { name: 'AbortError' });
	const ac2 = new AbortController();
	assert.equal(await pool.run('echo', [1], { signal: ac2.signal }), 1);
	ac2.abort();
	await waitFor(async () => (await stats()).running === 0, 5000,
	    'nothing running');
});

test('notify runs the handler and answers nothing', async () => {
	const before = (await stats()).handlers.echo?.calls ?? 0;
	for (let i = 0; i < 10; i++)
		pool.notify('echo', [i]);
	await waitFor(async () => ((await stats()).handlers.echo?.calls ?? 0) >=
	    before + 10, 5000, '10 notified echo calls');
	assert.throws(() => pool.notify('echo', 'x'), TypeError);
	// A notification of a method that does not exist is ignored.
	pool.notify('nope', []);
	assert.equal(await pool.ping(), 'pong');
});

test('one signal shared by many calls: one listener, no warning',
    async () => {
	const warnings = [];
	const onWarning = (w) => warnings.push(`${w.name}: ${w.message}`);
	process.on('warning', onWarning);
	try {
		const ac = new AbortController();
		const calls = [];
		for (let i = 0; i < 200; i++)
			calls.push(pool.run('echo', [i], { signal: ac.signal }));
		assert.equal(getEventListeners(ac.signal, 'abort').length, 1);
		assert.equal((await Promise.all(calls))[199], 199);
		assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
		// Aborting it rejects every call still in flight, at once.
		const sleeps = [];
		for (let i = 0; i < 20; i++) {
			sleeps.push(pool.run('sleep', [5000], { signal: ac.signal })
			    .catch((e) => e));
		}
		await waitFor(async () => (await stats()).running >= 1, 5000,
		    'a sleep to run');
		ac.abort();
		for (const e of await Promise.all(sleeps))
			assert.equal(e.name, 'AbortError');
		assert.equal(getEventListeners(ac.signal, 'abort').length, 0);
		// The daemon cancels them too: the running one's worker is
		// killed (cancel-running kill), the queued ones are removed.
		// One handed to a fresh worker that has not started it yet is
		// answered at once but may still run to its end, its result
		// discarded (forkpool-rpc(7)): wait past the sleep's 5 s.
		await waitFor(async () => {
			const s = await stats();
			return s.running === 0 && s.queued === 0;
		}, 10000, 'the sleeps to be cancelled');
		assert.deepEqual(warnings, []);
	} finally {
		process.off('warning', onWarning);
	}
});
