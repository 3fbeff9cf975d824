// errors.test.js -- each daemon error code a client can provoke reaches
// run()'s caller as a ForkPoolError with that code, its method, and
// attempts/signal/status when the daemon sent them: no_such_method,
// invalid_params, too_large, queue_full, timeout, worker_crashed (signal
// and status), handler_error, circuit_open, shutting_down, internal; and
// cancelled and an undecodable answer (bad_response) from a fake daemon,
// which also sends hostile answers (nested 100,000 deep, the byte 0xc1, a
// 4 GiB bin header) that fail a call or the connection, not the process.
// permission_denied needs a caller who is not allowed to reload, and
// bad_request a malformed request, which this client never writes: not
// here.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { test, after } from 'node:test';

import { ForkPool, ForkPoolError } from '../index.js';
import { startDaemon, waitFor, BUILD } from './daemon.js';

const testplug = path.resolve(BUILD, 'tests/plugins/testplug.so');
const d = await startDaemon('errors', {
	workers: 2,
	conf: `max-request-size 1K\nbreaker-threshold 0\n` +
	    (fs.existsSync(testplug) ? `load "${testplug}"\n` : ''),
});
const pool = new ForkPool({ socket: d.sock });
after(() => pool.close());

async function fails(p, code, check = {}) {
	const e = await p.then(
	    (v) => assert.fail(`expected ${code}, got ${JSON.stringify(v)}`),
	    (err) => err);
	assert.ok(e instanceof ForkPoolError, `${code}: ${e}`);
	assert.equal(e.code, code, e.message);
	assert.equal(e.name, 'ForkPoolError');
	for (const [k, v] of Object.entries(check))
		assert.equal(e[k], v, `${code}: ${k}`);
	return e;
}

test('no_such_method, invalid_params, too_large', async () => {
	const e = await fails(pool.run('nope', []), 'no_such_method',
	    { method: 'nope' });
	assert.match(e.message, /^nope: /);
	await fails(pool.run('sleep', ['x']), 'invalid_params');
	await fails(pool.run('sleep', [1, 2]), 'invalid_params');
	await fails(pool.run('echo', ['x'.repeat(2000)]), 'too_large');
	// The connection carries on after a request the daemon skipped.
	assert.equal(await pool.run('echo', ['after']), 'after');
});

test('timeout: the deadline passed while the task ran', async () => {
	const t0 = performance.now();
	const e = await fails(pool.run('sleep', [5000], { timeout: 300 }),
	    'timeout', { attempts: 1 });
	const ms = performance.now() - t0;
	assert.ok(ms >= 250 && ms < 2000, `answered after ${ms} ms`);
	assert.equal(e.signal, undefined);
});

test('worker_crashed: with signal, with status, with attempts', async () => {
	await fails(pool.run('crash', [9]), 'worker_crashed',
	    { signal: 9, attempts: 1, status: undefined });
	await fails(pool.run('crash', []), 'worker_crashed',
	    { signal: 11, attempts: 1 });
	await fails(pool.run('exit', [3]), 'worker_crashed',
	    { status: 3, attempts: 1, signal: undefined });
	await fails(pool.run('exit', [0]), 'worker_crashed', { status: 0 });
	// With retries the crash is retried: 1 + retries attempts.
	await fails(pool.run('crash', [6], { retries: 2 }), 'worker_crashed',
	    { signal: 6, attempts: 3 });
});

test('handler_error and internal', { skip: !fs.existsSync(testplug) &&
    `${testplug} not built` }, async () => {
	const e = await fails(pool.run('tp.fail', [8, 'it went wrong']),
	    'handler_error');
	assert.match(e.message, /it went wrong/);
	await fails(pool.run('violate', ['malformed']), 'internal');
	assert.equal(await pool.run('echo', [1]), 1);
});

test('queue_full', async (t) => {
	const q = await startDaemon('errors_queue', { workers: 1,
	    conf: 'queue-limit 1\nprefetch 1\n' }, t);
	const p = new ForkPool({ socket: q.sock, connections: 1 });
	t.after(() => p.close({ force: true }));
	const running = p.run('sleep', [400]);
	await waitFor(async () => (await p.stats()).running >= 1, 5000,
	    'the first sleep to run');
	const queued = p.run('sleep', [1]);
	await waitFor(async () => (await p.stats()).queued >= 1, 5000,
	    'the second sleep to be queued');
	await fails(p.run('sleep', [1]), 'queue_full');
	assert.equal(await running, 400);
	assert.equal(await queued, 1);
});

test('circuit_open', async (t) => {
	const b = await startDaemon('errors_breaker', { workers: 1,
	    conf: 'breaker-threshold 2\nbreaker-cooldown 10s\n' }, t);
	const p = new ForkPool({ socket: b.sock });
	t.after(() => p.close());
	await fails(p.run('crash', []), 'worker_crashed');
	await fails(p.run('crash', []), 'worker_crashed');
	await fails(p.run('crash', []), 'circuit_open');
	assert.equal(await p.run('echo', ['others work']), 'others work');
});

test('shutting_down', async (t) => {
	const s = await startDaemon('errors_shutdown', { workers: 1,
	    conf: 'shutdown-timeout 5s\n' }, t);
	const p = new ForkPool({ socket: s.sock, connections: 1 });
	t.after(() => p.close({ force: true }));
	const running = p.run('sleep', [600]);
	await waitFor(async () => (await p.stats()).running >= 1, 5000,
	    'the sleep to run');
	const exited = s.stop('SIGTERM');
	await waitFor(() => /event=shutdown_drain/.test(s.logText()), 5000,
	    'the daemon to start draining');
	// Connections stay open while it drains: new calls are refused.
	await fails(p.run('echo', [1]), 'shutting_down');
	assert.equal(await p.run('forkpool.ping', []), 'pong');
	assert.equal(await running, 600);
	assert.deepEqual(await exited, { code: 0, signal: null });
});

// A fake daemon: answers each request with what answer(msgid) gives.
async function fakeDaemon(t, answer) {
	const dir = fs.mkdtempSync(path.join('/tmp', 'fpn-fake-'));
	const sock = path.join(dir, 's');
	const server = net.createServer((c) => {
		c.on('error', () => {});
		c.on('data', (b) => {
			// Requests [0x94, 0x00, msgid (fixint), ...]
			for (let i = 0; i + 2 < b.length; i++) {
				if (b[i] === 0x94 && b[i + 1] === 0x00)
					c.write(answer(b[i + 2]));
			}
		});
	});
	await new Promise((r) => server.listen(sock, r));
	t.after(() => {
		server.close();
		fs.rmSync(dir, { recursive: true, force: true });
	});
	return sock;
}

test('cancelled and bad_response (a fake daemon)', async (t) => {
	let n = 0;
	const sock = await fakeDaemon(t, (id) => {
		switch (n++) {
		case 0:	// [1, id, {code: cancelled, message: by the client}, nil]
			return Buffer.concat([Buffer.from([0x94, 0x01, id, 0x82,
			    0xa4]), Buffer.from('code'), Buffer.from([0xa9]),
			    Buffer.from('cancelled'), Buffer.from([0xa7]),
			    Buffer.from('message'), Buffer.from([0xa3]),
			    Buffer.from('bye'), Buffer.from([0xc0])]);
		case 1:	// an extension type nobody registered
			return Buffer.from([0x94, 0x01, id, 0xc0, 0xd4, 0x11, 0x00]);
		case 2:	// an error that is not a map
			return Buffer.from([0x94, 0x01, id, 0x05, 0xc0]);
		default:
			return Buffer.from([0x94, 0x01, id, 0xc0, 0xa2, 0x6f, 0x6b]);
		}
	});
	const p = new ForkPool({ socket: sock, connections: 1 });
	t.after(() => p.close({ force: true }));
	await fails(p.run('x', []), 'cancelled', { method: 'x' });
	await fails(p.run('x', []), 'bad_response');
	await fails(p.run('x', []), 'bad_response');
	// The stream carries on after an answer it could not decode.
	assert.equal(await p.run('x', []), 'ok');
});

test('hostile answers fail their call or the connection, never the process',
    async (t) => {
	let n = 0;
	const sock = await fakeDaemon(t, (id) => {
		switch (n++) {
		case 0:	// a result nested 100,000 deep: too deep to decode
			return Buffer.concat([Buffer.from([0x94, 0x01, id, 0xc0]),
			    Buffer.alloc(100000, 0x91), Buffer.from([0x01])]);
		case 2:	// 0xc1, which begins no MessagePack object
			return Buffer.from([0x94, 0x01, id, 0xc0, 0xc1]);
		case 4:	// a bin of 4 GiB - 1 announced, one byte of it sent
			return Buffer.from([0x94, 0x01, id, 0xc0, 0xc6, 0xff, 0xff,
			    0xff, 0xff, 0x00]);
		default:
			return Buffer.from([0x94, 0x01, id, 0xc0, 0xa2, 0x6f, 0x6b]);
		}
	});
	const p = new ForkPool({ socket: sock, connections: 1 });
	t.after(() => p.close({ force: true }));
	await fails(p.run('x', []), 'bad_response');
	assert.equal(await p.run('x', []), 'ok');
	await fails(p.run('x', []), 'connection_lost');
	assert.equal(await p.run('x', [], { timeout: 5000 }), 'ok');
	// The announced bin is waited for, not allocated: a timeout ends it.
	const e = await fails(p.run('x', [], { timeout: 200 }), 'timeout');
	assert.match(e.message, /no answer/);
});

test('ForkPoolError is an Error with the codes documented', async () => {
	const { DAEMON_CODES, CLIENT_CODES } = await import('../index.js');
	assert.equal(DAEMON_CODES.length, 13);
	assert.deepEqual([...CLIENT_CODES].sort(),
	    ['bad_response', 'closed', 'connection_lost', 'unavailable']);
	const e = new ForkPoolError('timeout', 'm', { attempts: 2 });
	assert.ok(e instanceof Error);
	assert.equal(e.attempts, 2);
	assert.ok(!('signal' in e));
	const readme = fs.readFileSync(new URL('../README.md', import.meta.url),
	    'utf8');
	for (const c of [...DAEMON_CODES, ...CLIENT_CODES])
		assert.ok(readme.includes(`\`${c}\``), `README documents ${c}`);
});
