// echo.test.js -- every MessagePack type through the daemon's echo and
// back: nil, booleans, integers of every width (BigInt beyond 2^53),
// 0.1 and other doubles exactly, unicode strings, Buffers as bin both
// ways (a large one sent without a copy), nested maps and arrays,
// timestamps; a 16 MiB Buffer echoed whole; the administrative methods;
// a value that cannot be encoded (circular, too deep, a Symbol, a BigInt
// beyond 64 bits) rejects its call with a TypeError.
import assert from 'node:assert/strict';
import { test, after } from 'node:test';

import { ForkPool } from '../index.js';
import { startDaemon } from './daemon.js';

const d = await startDaemon('echo', { workers: 2 });
const pool = new ForkPool({ socket: d.sock });
after(() => pool.close());

test('scalars', async () => {
	const values = [
		null, true, false, 0, 1, 127, 128, 255, 256, 65535, 65536,
		2 ** 32 - 1, -1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31),
		0.1, 1 / 3, -2.5, 1e300, 5e-324, Number.MAX_VALUE,
		2 ** 32, 2 ** 53, -(2 ** 53), Infinity, -Infinity,
		'', 'x', 'é✓😀 and \u0000 nul', 'a'.repeat(100000),
	];
	for (const v of values)
		assert.deepEqual(await pool.run('echo', [v]), v, String(v));
	assert.ok(Number.isNaN(await pool.run('echo', [NaN])));
	// 0.1 goes as a float64, not a float32.
	assert.equal(await pool.run('echo', [0.1]), 0.1);
	// -0 is an integer 0 to the encoder (as to JSON.stringify).
	assert.ok(Object.is(await pool.run('echo', [-0]), 0));
	// undefined as nil.
	assert.equal(await pool.run('echo', [undefined]), null);
});

test('64-bit integers: BigInt beyond 2^53, number within', async () => {
	assert.equal(await pool.run('echo', [2n ** 63n]), 2n ** 63n);
	assert.equal(await pool.run('echo', [2n ** 64n - 1n]), 2n ** 64n - 1n);
	assert.equal(await pool.run('echo', [-(2n ** 63n)]), -(2n ** 63n));
	assert.equal(await pool.run('echo', [2n ** 53n + 1n]), 2n ** 53n + 1n);
	// A BigInt that fits a double safely comes back as a number.
	assert.equal(await pool.run('echo', [2n ** 40n]), 2 ** 40);
	assert.equal(await pool.run('echo', [5n]), 5);
	await assert.rejects(pool.run('echo', [2n ** 64n]), TypeError);
});

test('a value that cannot be encoded rejects its call with a TypeError',
    async () => {
	const circular = { a: 1 };
	circular.self = circular;
	let deep = 1;
	for (let i = 0; i < 100000; i++)
		deep = [deep];
	for (const v of [circular, [circular], deep, Symbol('s'), 2n ** 64n]) {
		await assert.rejects(pool.run('echo', [1, v]), (e) => {
			assert.ok(e instanceof TypeError, String(e));
			assert.match(e.message, /^echo: params cannot be encoded/);
			assert.ok(e.cause instanceof Error);
			return true;
		});
		assert.throws(() => pool.notify('echo', [v]), TypeError);
	}
	assert.match((await pool.run('echo', [circular]).catch((e) => e))
	    .message, /circular/);
	// The encoder is left sound.
	assert.deepEqual(await pool.run('echo', [{ a: [1, 'b'] }]),
	    { a: [1, 'b'] });
});

test('Buffers as bin, both ways', async () => {
	for (const n of [0, 1, 31, 255, 256, 65535, 65536, 200000]) {
		const b = Buffer.alloc(n);
		for (let i = 0; i < n; i++)
			b[i] = (i * 7) & 0xff;
		const r = await pool.run('echo', [b]);
		assert.ok(Buffer.isBuffer(r), `bin of ${n} comes back a Buffer`);
		assert.ok(r.equals(b), `bin of ${n}`);
	}
	const u8 = new Uint8Array([1, 2, 3]);
	assert.ok((await pool.run('echo', [u8])).equals(Buffer.from(u8)));
	// A small Buffer result does not hold on to the read buffer.
	const small = await pool.run('echo', [Buffer.from('abc')]);
	assert.ok(small.buffer.byteLength < 4096,
	    `small result lies in ${small.buffer.byteLength} bytes`);
});

test('nested maps, arrays, and timestamps', async () => {
	const v = {
		name: 'ünïcødé ✓',
		list: [1, [2, [3, [4, { deep: true }]]], 'x', null],
		map: { a: { b: { c: { d: [0.5, -1, 2n ** 62n] } } } },
		empty: { arr: [], obj: {} },
		bytes: Buffer.from('bin inside'),
		many: Object.fromEntries(Array.from({ length: 70000 },
		    (_, i) => [`k${i}`, i])),
		when: new Date(1700000000123),
	};
	assert.deepEqual(await pool.run('echo', [v]), v);
	// A Map is sent as a map and comes back an object.
	assert.deepEqual(await pool.run('echo', [new Map([['a', 1]])]),
	    { a: 1 });
});

test('a 16 MiB Buffer echoed whole', async () => {
	const big = Buffer.alloc(16 << 20);
	for (let i = 0; i < big.length; i += 4096)
		big[i] = i >> 12;
	const rss0 = process.memoryUsage().rss;
	for (let i = 0; i < 3; i++) {
		const r = await pool.run('echo', [big]);
		assert.equal(r.length, big.length);
		assert.ok(r.equals(big));
	}
	const grew = (process.memoryUsage().rss - rss0) / 2 ** 20;
	assert.ok(grew < 200, `rss grew by ${grew.toFixed(0)} MiB`);
});

test('administrative methods', async () => {
	assert.equal(await pool.ping(), 'pong');
	const h = await pool.handlers();
	assert.ok(Array.isArray(h) && h.includes('echo') && h.includes('sleep'));
	const w = await pool.workers();
	assert.equal(w.length, 2);
	for (const x of w)
		assert.equal(typeof x.pid, 'number');
	const s = await pool.stats();
	assert.equal(typeof s.tasks_ok, 'number');
	assert.ok(s.handlers.echo.calls > 0);
	assert.equal((await pool.stats('1m')).window, '1m');
	await assert.rejects(pool.stats('2h'), { code: 'invalid_params' });
	assert.throws(() => pool.run('forkpool.stats', [], { retries: 1 }),
	    TypeError);
});

test('argument errors are TypeErrors at once', () => {
	assert.throws(() => pool.run('echo', 'x'), TypeError);
	assert.throws(() => pool.run('echo', { 0: 1 }), TypeError);
	assert.throws(() => pool.run('', []), TypeError);
	assert.throws(() => pool.run('echo', [], { timeout: -1 }), TypeError);
	assert.throws(() => pool.run('echo', [], { retries: 1.5 }), TypeError);
	assert.throws(() => pool.run('echo', [], { id: 7 }), TypeError);
	assert.throws(() => pool.run('echo', [], { signal: {} }), TypeError);
	assert.throws(() => new ForkPool({ connections: 0 }), TypeError);
	assert.throws(() => new ForkPool({ socket: 5 }), TypeError);
});
