// close.test.js -- close() drains: calls in flight are answered before it
// resolves, new calls reject "closed" at once; close({ force: true })
// rejects what is in flight with "closed" at once (the daemon cancels it
// when the connection closes); close() is idempotent; a closed pool leaves
// no connection open in the daemon; a call waiting out the reconnection
// delay while close() drains is still sent when the daemon comes back.
import assert from 'node:assert/strict';
import { test, after } from 'node:test';

import { ForkPool } from '../index.js';
import { Daemon, startDaemon, waitFor } from './daemon.js';

const d = await startDaemon('close', { workers: 2, conf: 'prefetch 1\n' });
const admin = new ForkPool({ socket: d.sock, connections: 1 });
after(() => admin.close());

const connections = async () => (await admin.stats()).connections;

test('close() drains the calls in flight', async () => {
	const pool = new ForkPool({ socket: d.sock });
	const order = [];
	const slow = pool.run('sleep', [200]).then((r) => {
		order.push('sleep');
		return r;
	});
	const fast = pool.run('echo', ['e']);
	await pool.ping();
	const closing = pool.close().then(() => order.push('closed'));
	await assert.rejects(pool.run('echo', [1]), { code: 'closed' });
	assert.throws(() => pool.notify('echo', [1]), { code: 'closed' });
	assert.equal(await slow, 200);
	assert.equal(await fast, 'e');
	await closing;
	assert.deepEqual(order, ['sleep', 'closed']);
	assert.equal(pool.connected, 0);
	// Idempotent.
	await pool.close();
	await waitFor(async () => await connections() === 1, 5000,
	    'the daemon to see the pool\'s connections closed');
});

test('close({ force: true }) rejects what is in flight', async () => {
	const pool = new ForkPool({ socket: d.sock });
	const before = (await admin.stats()).tasks_cancelled;
	const calls = [];
	for (let i = 0; i < 5; i++)
		calls.push(pool.run('sleep', [1000]).catch((e) => e));
	await waitFor(async () => {
		const s = await admin.stats();
		return s.running >= 2 && s.queued >= 3;
	}, 5000, 'two sleeps to run and three to wait');
	const t0 = performance.now();
	await pool.close({ force: true });
	for (const e of await Promise.all(calls))
		assert.equal(e.code, 'closed');
	assert.ok(performance.now() - t0 < 500);
	// The daemon cancelled them when the connections closed: those
	// waiting never run, those running run to their end (forkpool-rpc(7),
	// Pipelining).
	await waitFor(async () => {
		const s = await admin.stats();
		return s.queued === 0 && s.tasks_cancelled >= before + 3;
	}, 5000, 'the daemon to cancel the waiting sleeps');
	await waitFor(async () => (await admin.stats()).running === 0, 5000,
	    'the running sleeps to end');
});

test('a graceful close made forceful', async () => {
	const pool = new ForkPool({ socket: d.sock });
	const call = pool.run('sleep', [1000]).catch((e) => e);
	await pool.ping();
	const graceful = pool.close();
	const forced = pool.close({ force: true });
	await Promise.all([graceful, forced]);
	assert.equal((await call).code, 'closed');
});

test('close() of a pool never used, and of one waiting to connect',
    async () => {
	await new ForkPool({ socket: d.sock }).close();
	const pool = new ForkPool({ socket: '/tmp/fpn-none/s',
	    connectTimeout: 200 });
	const call = pool.run('echo', [1]).catch((e) => e);
	// Draining waits for the call, which cannot be sent.
	await pool.close();
	assert.equal((await call).code, 'unavailable');
});

test('close() while a call waits out the reconnection delay', async (t) => {
	const late = new Daemon('close_late', { workers: 1 });
	t.after(async () => {
		await late.stop();
		late.cleanup();
	});
	// Its socket does not exist yet: the first connect fails, and the
	// slot waits before the next.
	const pool = new ForkPool({ socket: late.sock, connections: 1,
	    reconnectDelay: 100, reconnectDelayMax: 200 });
	const call = pool.run('echo', ['late'], { timeout: 8000 });
	const closing = pool.close();
	await late.start();
	// The drain still connects for the call that waits.
	assert.equal(await call, 'late');
	await closing;
	assert.equal(pool.connected, 0);
});
