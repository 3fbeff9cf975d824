// bench-msgpack.js -- why forkpool's Node.js client uses msgpackr: its
// encoder and decoder against @msgpack/msgpack's (a devDependency, for this
// measurement only), and JSON for scale, on what the client encodes and
// decodes: a request and a response of a few small values, a ~100 KB nested
// object, and a 1 MiB Buffer.  Each figure is the best of 5 runs of about
// 200 ms, in microseconds per round trip (encode the request, decode the
// response) on the main thread.
//
//	cd tools/node && npm ci && node bench-msgpack.js
//
// The options are those of the client (src/codec.js): standard MessagePack
// only, maps as plain objects, float64 for every non-integer number.
import { Packr, Unpackr, isNativeAccelerationEnabled } from 'msgpackr';
import { Encoder, Decoder } from '@msgpack/msgpack';

import { encodeParams, requestFrame } from './src/codec.js';

const packr = new Packr({ useRecords: false, variableMapSize: true,
    encodeUndefinedAsNil: true });
const unpackr = new Unpackr({ useRecords: false, mapsAsObjects: true,
    int64AsType: 'auto' });
const encoder = new Encoder({ useBigInt64: true });
const decoder = new Decoder({ useBigInt64: true });

function nested(n) {
	const rows = [];
	for (let i = 0; i < n; i++) {
		rows.push({
			id: i,
			account: 'acct-' + (i * 7919 % 1000),
			amount: (i * 37 % 10000) / 100,
			currency: i % 3 ? 'EUR' : 'USD',
			tags: ['t' + (i % 5), 't' + (i % 11)],
			meta: { ok: i % 2 === 0, depth: { level: i % 4 } },
		});
	}
	return { kind: 'batch', rows };
}

const cases = [
	['small', ['hello', 42, 3.5, true, null]],
	['nested', nested(1000)],
	['buffer', Buffer.alloc(1 << 20, 7)],
];

// One round trip: the request [0, msgid, method, [value]] encoded, the
// response [1, msgid, nil, value] (made once, by the same library)
// decoded.
const libs = {
	msgpackr: {
		enc: (v) => packr.pack([0, 1, 'echo', [v]]),
		dec: (b) => unpackr.unpack(b),
		resp: (v) => packr.pack([1, 1, null, v]),
	},
	'@msgpack/msgpack': {
		enc: (v) => encoder.encode([0, 1, 'echo', [v]]),
		dec: (b) => decoder.decode(b),
		resp: (v) => encoder.encode([1, 1, null, v]),
	},
	// What the client does: params encoded by msgpackr, but a top-level
	// Buffer of 64 KiB or more passed to the socket as it is.
	'client (msgpackr)': {
		enc: (v) => requestFrame(1, 'echo', encodeParams([v], true)),
		dec: (b) => unpackr.unpack(b),
		resp: (v) => packr.pack([1, 1, null, v]),
	},
	JSON: {
		enc: (v) => JSON.stringify([0, 1, 'echo', [v]]),
		dec: (b) => JSON.parse(b),
		resp: (v) => JSON.stringify([1, 1, null, v]),
	},
};

function time(fn) {
	let best = Infinity;
	for (let run = 0; run < 5; run++) {
		let n = 0;
		const t0 = process.hrtime.bigint();
		let t;
		do {
			for (let i = 0; i < 16; i++)
				fn();
			n += 16;
			t = process.hrtime.bigint();
		} while (t - t0 < 200_000_000n);
		best = Math.min(best, Number(t - t0) / n / 1000);
	}
	return best;
}

console.log(`node ${process.version}, msgpackr native string decoding: ` +
    `${isNativeAccelerationEnabled}`);
console.log('case     library             encode us  decode us  total us  bytes');
for (const [name, value] of cases) {
	for (const [lib, f] of Object.entries(libs)) {
		// JSON has no bytes type: a Buffer becomes {type, data: [...]}.
		if (lib === 'JSON' && name === 'buffer')
			continue;
		const resp = f.resp(value);
		const size = Array.isArray(resp) ? resp.reduce((n, b) => n +
		    b.length, 0) : resp.length;
		const e = time(() => f.enc(value));
		const d = time(() => f.dec(resp));
		console.log(`${name.padEnd(8)} ${lib.padEnd(19)} ` +
		    `${e.toFixed(2).padStart(9)}  ${d.toFixed(2).padStart(9)} ` +
		    ` ${(e + d).toFixed(2).padStart(8)}  ${size}`);
	}
}
