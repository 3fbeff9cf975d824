// codec.test.js -- the client's MessagePack without a daemon: the framer
// cuts a stream split at every byte boundary (and at random ones) into the
// right messages; requests are standard MessagePack only (no msgpackr
// extension, float64 for 0.1, nil for undefined); bin results are views or
// copies by the pinning rule; the default socket follows the C client's
// rule and refuses a directory that others control, and a pool made with
// $FORKPOOL_SOCKET set treats it as named even once it is unset.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import net from 'node:net';
import { test } from 'node:test';

import { ForkPool } from '../index.js';

import {
	Framer, packr, encodeParams, requestFrame, notificationFrame,
	cancelFrame, encodeCallOptions, decodeMessage, responseMsgid,
	ZERO_COPY_MIN,
} from '../src/codec.js';
import { defaultSocket, checkDefaultSocket } from '../src/socket-path.js';

// A stream of varied messages: every header form the daemon can send.
function sampleMessages() {
	const big = Buffer.alloc(70000, 0xab);
	const values = [
		null, true, false, 0, 127, 128, 255, 256, 65535, 65536, 2 ** 32 - 1,
		-1, -32, -33, -128, -129, -32768, -32769, -(2 ** 31), 0.1, -2.5,
		2 ** 53, 2n ** 63n, -(2n ** 63n), 'x', 'é✓😀', 'a'.repeat(31),
		'b'.repeat(32), 'c'.repeat(255), 'd'.repeat(256), 'e'.repeat(70000),
		Buffer.from([1, 2, 3]), Buffer.alloc(300, 7), big, [], [1, [2, [3]]],
		new Array(20).fill(1), new Array(70000).fill(2), {},
		{ a: 1, b: { c: [1, 2, { d: 'e' }] } },
		Object.fromEntries(Array.from({ length: 20 }, (_, i) => [`k${i}`, i])),
		Object.fromEntries(Array.from({ length: 70000 }, (_, i) => [`k${i}`,
		    i])),
		new Date(1500),
	];
	return values.map((v, i) => [v, Buffer.from(packr.pack([1, i, null,
	    v]))]);
}

function collect() {
	const out = [];
	const f = new Framer((m) => out.push(Buffer.from(m)));
	return { f, out };
}

test('framer: many messages in one chunk', () => {
	const msgs = sampleMessages();
	const { f, out } = collect();
	f.push(Buffer.concat(msgs.map((m) => m[1])));
	assert.equal(out.length, msgs.length);
	for (let i = 0; i < msgs.length; i++)
		assert.ok(out[i].equals(msgs[i][1]), `message ${i}`);
	assert.equal(f.buffered, 0);
});

test('framer: the small messages split at every byte boundary', () => {
	const small = sampleMessages().filter((m) => m[1].length < 2000);
	const stream = Buffer.concat(small.map((m) => m[1]));
	for (let cut = 1; cut < stream.length; cut++) {
		const { f, out } = collect();
		f.push(stream.subarray(0, cut));
		f.push(stream.subarray(cut));
		assert.equal(out.length, small.length, `cut at ${cut}`);
		for (let i = 0; i < small.length; i++)
			assert.ok(out[i].equals(small[i][1]), `cut ${cut} message ${i}`);
	}
});

test('framer: one byte at a time, and random chunks', () => {
	const msgs = sampleMessages();
	const stream = Buffer.concat(msgs.map((m) => m[1]));
	{
		const small = Buffer.concat(msgs.filter((m) => m[1].length < 2000)
		    .map((m) => m[1]));
		const { f, out } = collect();
		for (let i = 0; i < small.length; i++)
			f.push(small.subarray(i, i + 1));
		assert.ok(Buffer.concat(out).equals(small));
	}
	let seed = 12345;
	const rnd = (n) => {
		seed = (seed * 1103515245 + 12345) % 2147483648;
		return seed % n;
	};
	for (let round = 0; round < 10; round++) {
		const { f, out } = collect();
		for (let p = 0; p < stream.length;) {
			const n = 1 + rnd(round % 2 ? 17 : 70000);
			f.push(stream.subarray(p, p + n));
			p += n;
		}
		assert.equal(out.length, msgs.length);
		for (let i = 0; i < msgs.length; i++) {
			assert.ok(out[i].equals(msgs[i][1]));
			if (round < 2)
				assert.deepEqual(decodeMessage(out[i])[3], msgs[i][0]);
		}
	}
});

test('framer: 0xc1 cannot be followed', () => {
	const { f } = collect();
	assert.throws(() => f.push(Buffer.from([0x94, 0x01, 0xc1])),
	    /0xc1 begins no MessagePack object/);
});

test('framer: a 16 MiB message in 64 KiB chunks is walked once', () => {
	const body = Buffer.alloc(16 << 20, 5);
	const msg = Buffer.concat([Buffer.from([0x94, 0x01, 0x07, 0xc0, 0xc6,
	    0x01, 0x00, 0x00, 0x00]), body]);
	const { f, out } = collect();
	for (let p = 0; p < msg.length; p += 65536)
		f.push(msg.subarray(p, p + 65536));
	assert.equal(out.length, 1);
	assert.ok(out[0].equals(msg));
});

test('requests are standard MessagePack only', () => {
	const hex = (bufs) => Buffer.concat(bufs).toString('hex');
	// [0, 5, "echo", [0.1, nil, nil, 2^32 (float64), -2^31 (int32)]]
	assert.equal(hex(requestFrame(5, 'echo',
	    encodeParams([0.1, undefined, null, 2 ** 32, -(2 ** 31)], true))),
	    '940005a46563686f95cb3fb999999999999ac0c0cb41f0000000000000' +
	    'd280000000');
	// msgids of every width
	for (const [id, h] of [[127, '7f'], [128, 'cc80'], [65535, 'cdffff'],
	    [65536, 'ce00010000'], [2 ** 32 - 1, 'ceffffffff']]) {
		assert.ok(hex(requestFrame(id, 'm', [Buffer.from([0x90])]))
		    .startsWith(`9400${h}a16d90`), `msgid ${id}`);
	}
	// A map stays a map (no records), however many objects of one
	// shape are sent; a Map as a map; a Set as an array.
	for (let i = 0; i < 3; i++)
		assert.equal(hex(encodeParams([{ a: 1 }])), '9181a16101');
	assert.equal(hex(encodeParams([new Map([['k', 1]]), new Set([2])])),
	    '9281a16b019102');
	// forkpool.call [method, params, {timeout_ms, retries, id}]
	assert.equal(hex(requestFrame(1, 'sleep', encodeParams([5]),
	    encodeCallOptions(1000, 1, 'j'))),
	    '940001ad666f726b706f6f6c2e63616c6c93a5736c656570910583aa74696d' +
	    '656f75745f6d73cd03e8a7726574726965730' + '1a26964a16a');
	assert.equal(hex(notificationFrame('echo', encodeParams([1]))),
	    '9302a46563686f9101');
	assert.equal(hex(cancelFrame(9, 3)),
	    '940009af666f726b706f6f6c2e63616e63656c9103');
	assert.throws(() => encodeParams([2n ** 64n]), TypeError);
});

test('a large Buffer parameter is sent without a copy', () => {
	const big = Buffer.alloc(ZERO_COPY_MIN, 1);
	const parts = encodeParams(['a', big, 3], true);
	assert.ok(parts.includes(big), 'the Buffer itself is a part');
	assert.ok(Buffer.concat(parts).equals(packr.pack(['a', big, 3])));
	const u8 = new Uint8Array(ZERO_COPY_MIN + 1);
	const p2 = encodeParams([u8], true);
	assert.ok(p2[2].buffer === u8.buffer, 'a view of the Uint8Array');
	assert.ok(Buffer.concat(p2).equals(packr.pack([u8])));
	// Notifications copy (no promise tells when the Buffer is free).
	assert.equal(encodeParams([big], false).length, 1);
});

test('decoding: maps as objects, int64 as number or BigInt, bin views',
    () => {
	const packed = packr.pack([1, 2, null, { n: 2n ** 53n,
	    big: 2n ** 60n, neg: -(2n ** 60n), f: 0.1, b: Buffer.from('hi') }]);
	// Memory of its own (Buffer.alloc is never from the shared pool).
	const m = Buffer.alloc(packed.length);
	packed.copy(m);
	const r = decodeMessage(m);
	assert.deepEqual(r, [1, 2, null, { n: 2 ** 53, big: 2n ** 60n,
	    neg: -(2n ** 60n), f: 0.1, b: Buffer.from('hi') }]);
	assert.ok(Buffer.isBuffer(r[3].b));
	// The message is all of its memory: bin is a view of it.
	assert.ok(r[3].b.buffer === m.buffer, 'a view');
	// A small message in a large read buffer: bin is copied.
	const read = Buffer.alloc(65536);
	m.copy(read, 100);
	const r2 = decodeMessage(read.subarray(100, 100 + m.length));
	assert.ok(Buffer.isBuffer(r2[3].b));
	assert.ok(r2[3].b.buffer !== read.buffer, 'a copy');
	assert.equal(responseMsgid(m), 2);
	assert.equal(responseMsgid(Buffer.from([0x94, 0x01, 0xce, 0, 1, 0, 0])),
	    65536);
	assert.equal(responseMsgid(Buffer.from([0x93, 0x01, 0x01])), -1);
});

test('default socket: the C client\'s rule', () => {
	const uid = process.geteuid();
	assert.equal(defaultSocket({ FORKPOOL_SOCKET: '/x/s' }), '/x/s');
	if (uid === 0) {
		assert.equal(defaultSocket({}), '/run/forkpool/forkpool.sock');
		return;
	}
	assert.equal(defaultSocket({ XDG_RUNTIME_DIR: '/run/user/7' }),
	    '/run/user/7/forkpool.sock');
	assert.equal(defaultSocket({ XDG_RUNTIME_DIR: 'rel', TMPDIR: '/t' }),
	    `/t/forkpool-${uid}/forkpool.sock`);
	assert.equal(defaultSocket({ TMPDIR: 'rel' }),
	    `/tmp/forkpool-${uid}/forkpool.sock`);
});

test('default socket: a directory others may write to is refused', (t) => {
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fpn-dir-'));
	t.after(() => fs.rmSync(dir, { recursive: true, force: true }));
	const sock = path.join(dir, 'forkpool.sock');
	fs.chmodSync(dir, 0o700);
	assert.equal(checkDefaultSocket(sock, {}), null);
	fs.chmodSync(dir, 0o770);
	assert.match(checkDefaultSocket(sock, {}), /writable by its group/);
	fs.chmodSync(dir, 0o1777);
	assert.match(checkDefaultSocket(sock, {}), /writable by others/);
	// Not for a socket the user named.
	assert.equal(checkDefaultSocket(sock, { FORKPOOL_SOCKET: sock }), null);
	// A directory that does not exist is for connect(2) to report.
	assert.equal(checkDefaultSocket(path.join(dir, 'no', 's'), {}), null);
	// A symbolic link on the way, owned by us, is followed.
	fs.chmodSync(dir, 0o700);
	fs.mkdirSync(path.join(dir, 'real'), { mode: 0o700 });
	fs.symlinkSync('real', path.join(dir, 'link'));
	assert.equal(checkDefaultSocket(path.join(dir, 'link', 's'), {}), null);
	fs.chmodSync(path.join(dir, 'real'), 0o777);
	assert.match(checkDefaultSocket(path.join(dir, 'link', 's'), {}),
	    /link: writable by others/);
	fs.writeFileSync(path.join(dir, 'file'), '');
	assert.match(checkDefaultSocket(path.join(dir, 'file', 's'), {}),
	    /not a directory/);
	if (process.geteuid() === 0) {
		// Owned by another user: nobody's directory.
		fs.chmodSync(path.join(dir, 'real'), 0o700);
		fs.chownSync(path.join(dir, 'real'), 65534, 65534);
		assert.match(checkDefaultSocket(path.join(dir, 'real', 's'), {}),
		    /owned by uid 65534/);
	}
});

test('default socket: $FORKPOOL_SOCKET counts as it was when the pool was ' +
    'made', async (t) => {
	// A socket the user named, in a directory its group may write to.
	const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fpn-env-'));
	fs.chmodSync(dir, 0o770);
	const sock = path.join(dir, 's');
	const server = net.createServer((c) => {
		const f = new Framer((m) => c.write(packr.pack([1,
		    decodeMessage(m)[1], null, 'ok'])));
		c.on('data', (b) => f.push(b));
	});
	await new Promise((r) => server.listen(sock, r));
	const saved = process.env.FORKPOOL_SOCKET;
	t.after(() => {
		if (saved === undefined)
			delete process.env.FORKPOOL_SOCKET;
		else
			process.env.FORKPOOL_SOCKET = saved;
		server.close();
		fs.rmSync(dir, { recursive: true, force: true });
	});
	process.env.FORKPOOL_SOCKET = sock;
	const pool = new ForkPool({ connectTimeout: 2000 });
	delete process.env.FORKPOOL_SOCKET;
	t.after(() => pool.close({ force: true }));
	assert.equal(pool.socket, sock);
	assert.equal(await pool.run('x', []), 'ok');
});
