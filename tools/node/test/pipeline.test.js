// pipeline.test.js -- many calls in flight at once: 10,000 pipelined
// echo calls spread over 2 connections, each answered with its own result
// whatever the order of the answers, written in a handful of socket
// writes; answers out of order (sleeps of varied lengths) matched by
// msgid; 20,000 pipelined against a daemon that reads at most 64 requests
// ahead of its answers (max-outstanding 64): nothing hangs, memory stays
// bounded.
import assert from 'node:assert/strict';
import net from 'node:net';
import { test, after } from 'node:test';

import { ForkPool } from '../index.js';
import { startDaemon } from './daemon.js';

const d = await startDaemon('pipeline', { workers: 2,
    conf: 'queue-limit 100000\n' });
const pool = new ForkPool({ socket: d.sock, connections: 2 });
after(() => pool.close());

test('10,000 pipelined calls over 2 connections', async () => {
	assert.equal(await pool.ping(), 'pong');
	// Both connections up before the burst.
	await Promise.all([pool.ping(), pool.ping()]);
	assert.equal(pool.connected, 2);
	const write = net.Socket.prototype.write;
	let writes = 0;
	net.Socket.prototype.write = function (...a) {
		writes++;
		return write.apply(this, a);
	};
	const calls = [];
	try {
		for (let i = 0; i < 10000; i++)
			calls.push(pool.run('echo', [{ i, s: `v${i}` }]));
	} finally {
		// The writes happen on the next tick.
		await new Promise((r) => process.nextTick(r));
		net.Socket.prototype.write = write;
	}
	assert.ok(writes <= 4, `${writes} socket writes for 10,000 calls`);
	const results = await Promise.all(calls);
	for (let i = 0; i < 10000; i++)
		assert.deepEqual(results[i], { i, s: `v${i}` });
	const s = await pool.stats();
	assert.ok(s.connections >= 2, `${s.connections} connections`);
});

test('answers out of order are matched by msgid', async () => {
	const calls = [];
	for (let i = 0; i < 300; i++) {
		const ms = (i * 7919) % 13;
		calls.push(pool.run('sleep', [ms]).then((r) => [r, ms]));
	}
	for (const [r, ms] of await Promise.all(calls))
		assert.equal(r, ms);
});

test('20,000 pipelined against max-outstanding 64', async (t) => {
	const m = await startDaemon('pipeline_mo', { workers: 2,
	    conf: 'max-outstanding 64\nqueue-limit 100000\n' }, t);
	const p = new ForkPool({ socket: m.sock, connections: 2 });
	t.after(() => p.close());
	// Connected first: calls made before that wait, at most maxQueue.
	await p.ping();
	const pad = 'x'.repeat(1000);
	const rss0 = process.memoryUsage().rss;
	const calls = [];
	for (let i = 0; i < 20000; i++)
		calls.push(p.run('echo', [[i, pad]]));
	const results = await Promise.all(calls);
	for (let i = 0; i < 20000; i++)
		assert.equal(results[i][0], i);
	const grew = (process.memoryUsage().rss - rss0) / 2 ** 20;
	assert.ok(grew < 300, `rss grew by ${grew.toFixed(0)} MiB`);
	const s = await p.stats();
	assert.equal(s.tasks_ok, 20000);
});
