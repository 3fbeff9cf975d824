// reconnect.test.js -- the daemon goes away and comes back: a pool whose
// socket does not exist is no exception, its calls reject "unavailable"
// when their timeout (or connectTimeout) passes; SIGQUIT with 100 calls
// in flight rejects every one "connection_lost" at once, none hangs; the
// daemon restarted on the same socket serves new calls after the
// back-off; a daemon that closes in the middle of an answer, or closes
// each connection as it accepts it, is neither a hang nor a busy loop; an
// idle pool does not keep the process alive.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test } from 'node:test';

import { ForkPool } from '../index.js';
import { Daemon, startDaemon, waitFor } from './daemon.js';

test('no daemon: unavailable after the timeout, not an exception',
    async () => {
	const sock = '/tmp/fpn-no-such-dir/fp.sock';
	const pool = new ForkPool({ socket: sock, connectTimeout: 300 });
	let t0 = performance.now();
	const e = await pool.run('echo', [1], { timeout: 200 }).catch((x) => x);
	let ms = performance.now() - t0;
	assert.equal(e.code, 'unavailable', e.message);
	assert.match(e.message, /ENOENT/);
	assert.ok(ms >= 190 && ms < 1500, `after ${ms} ms`);
	// Without a timeout: connectTimeout.
	t0 = performance.now();
	await assert.rejects(pool.run('echo', [1]), { code: 'unavailable' });
	ms = performance.now() - t0;
	assert.ok(ms >= 290 && ms < 1500, `after ${ms} ms`);
	pool.notify('echo', [1]);	// dropped after connectTimeout
	await pool.close();
	await assert.rejects(pool.run('echo', [1]), { code: 'closed' });
});

test('SIGQUIT with 100 calls in flight, then a restart', async (t) => {
	const d = new Daemon('reconnect', { workers: 2 });
	await d.start();
	t.after(async () => {
		await d.stop();
		d.cleanup();
	});
	const pool = new ForkPool({ socket: d.sock, reconnectDelayMax: 200 });
	t.after(() => pool.close({ force: true }));
	assert.equal(await pool.ping(), 'pong');
	const calls = [];
	for (let i = 0; i < 100; i++)
		calls.push(pool.run('sleep', [3000]).catch((e) => e));
	await waitFor(async () => (await pool.stats()).running >= 2, 5000,
	    'the sleeps to run');
	let t0 = performance.now();
	const r = await d.stop('SIGQUIT');
	assert.equal(r.code, 0, `daemon exit ${JSON.stringify(r)}`);
	let errs = await Promise.all(calls);
	let ms = performance.now() - t0;
	assert.ok(ms < 2000, `all rejected ${ms} ms after SIGQUIT`);
	// SIGQUIT answers what it can ("shutting_down") before it closes.
	for (const e of errs) {
		assert.ok(['shutting_down', 'connection_lost'].includes(e.code),
		    e.message);
	}
	// Down (once the daemon has closed the connections after its
	// answers): a call with a short timeout is unavailable.
	await waitFor(() => pool.connected === 0, 5000, 'the connections to close');
	await assert.rejects(pool.run('echo', [1], { timeout: 150 }),
	    { code: 'unavailable' });
	// Restarted on the same socket: calls work again, after back-off.
	await d.start();
	assert.equal(await pool.run('echo', ['back'], { timeout: 5000 }), 'back');
	// SIGKILL answers nothing: every call is lost, at once.
	calls.length = 0;
	for (let i = 0; i < 100; i++)
		calls.push(pool.run('sleep', [3000]).catch((e) => e));
	await waitFor(async () => (await pool.stats()).running >= 2, 5000,
	    'the sleeps to run');
	const workers = (await pool.workers()).map((w) => w.pid);
	t0 = performance.now();
	await d.stop('SIGKILL');
	errs = await Promise.all(calls);
	ms = performance.now() - t0;
	assert.ok(ms < 2000, `all rejected ${ms} ms after SIGKILL`);
	for (const e of errs) {
		assert.equal(e.code, 'connection_lost', e.message);
		assert.match(e.message, /may or may not have run/);
	}
	// Its workers exit when they find the supervisor gone.
	const alive = (pid) => {
		try {
			process.kill(pid, 0);
			return true;
		} catch {
			return false;
		}
	};
	await waitFor(() => !workers.some(alive), 10000,
	    `the workers ${workers} to exit`);
	await d.start();
	assert.equal(await pool.run('echo', ['again'], { timeout: 5000 }),
	    'again');
	await waitFor(async () => {
		await pool.ping();
		return pool.connected === 2;
	}, 5000, 'both connections back');
});

// A fake daemon on a socket of its own; onConn(socket) per connection.
async function fake(t, onConn) {
	const dir = fs.mkdtempSync(path.join('/tmp', 'fpn-fake-'));
	const sock = path.join(dir, 's');
	let conns = 0;
	const server = net.createServer((c) => {
		conns++;
		c.on('error', () => {});
		onConn(c, conns);
	});
	await new Promise((r) => server.listen(sock, r));
	t.after(() => {
		server.close();
		fs.rmSync(dir, { recursive: true, force: true });
	});
	return { sock, count: () => conns };
}

test('a daemon that closes in the middle of an answer', async (t) => {
	const f = await fake(t, (c, n) => {
		c.on('data', (b) => {
			const id = b[2];	// msgid, a fixint here
			const ans = Buffer.concat([Buffer.from([0x94, 0x01, id, 0xc0,
			    0xc5, 0x10, 0x00]), Buffer.alloc(4096, 1)]);
			if (n === 1) {
				c.write(ans.subarray(0, 100));
				c.destroy();
			} else {
				c.write(ans);
			}
		});
	});
	const pool = new ForkPool({ socket: f.sock, connections: 1 });
	t.after(() => pool.close({ force: true }));
	await assert.rejects(pool.run('x', []), { code: 'connection_lost' });
	// The next connection starts clean: no bytes of the cut answer.
	const r = await pool.run('x', []);
	assert.equal(r.length, 4096);
});

test('a daemon that closes every connection at once: back-off',
    async (t) => {
	const f = await fake(t, (c) => c.destroy());
	const pool = new ForkPool({ socket: f.sock, connections: 2,
	    reconnectDelay: 50, reconnectDelayMax: 2000 });
	t.after(() => pool.close({ force: true }));
	const end = performance.now() + 800;
	while (performance.now() < end) {
		const e = await pool.run('x', [], { timeout: 100 }).catch((x) => x);
		assert.ok(['connection_lost', 'unavailable'].includes(e.code),
		    e.code);
	}
	const n = f.count();
	// 2 slots, each 50, 100, 200, 400 ms (+-25 %) in 800 ms: ~10.
	assert.ok(n <= 16, `${n} connections in 800 ms`);
});

test('an idle pool does not keep the process alive', async () => {
	const d = await startDaemon('reconnect_idle', { workers: 1 });
	const url = new URL('../index.js', import.meta.url).href;
	const script = `
		import { ForkPool } from ${JSON.stringify(url)};
		const pool = new ForkPool({ socket: ${JSON.stringify(d.sock)} });
		console.log(await pool.run('sleep', [300]));
		// No close(): the process must still exit.
	`;
	const child = spawn(process.execPath, ['--input-type=module', '-e',
	    script], { stdio: ['ignore', 'pipe', 'inherit'] });
	let out = '';
	child.stdout.on('data', (b) => {
		out += b;
	});
	const t0 = performance.now();
	const code = await new Promise((resolve) => {
		const k = setTimeout(() => child.kill('SIGKILL'), 10000);
		child.on('exit', (c, s) => {
			clearTimeout(k);
			resolve(c ?? s);
		});
	});
	assert.equal(code, 0);
	assert.equal(out.trim(), '300');
	assert.ok(performance.now() - t0 < 5000);
});
