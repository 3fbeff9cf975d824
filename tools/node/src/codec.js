// codec.js -- MessagePack for the forkpool protocol (forkpool-rpc(7)):
// the requests, notifications and cancellations a client writes, and the
// framing and decoding of the responses it reads.
//
// Only standard MessagePack is written: maps (never msgpackr's records),
// nil for undefined (never its fixext 0), float64 for every number that is
// not an integer from -2^31 to 2^32-1 (never float32), int64/uint64 for a
// BigInt, bin for a Buffer or Uint8Array, the timestamp extension (-1) for
// a Date.  Responses decode maps to plain objects, bin to Buffer, and
// int64/uint64 to a number when it is within +-2^53, else to a BigInt.
import { Packr, Unpackr } from 'msgpackr';

export const packr = new Packr({
	useRecords: false,
	variableMapSize: true,
	encodeUndefinedAsNil: true,
});

const unpackOptions = {
	useRecords: false,
	mapsAsObjects: true,
	int64AsType: 'auto',
};
// bin as views of the message's bytes (no copy), and as copies.
const unpackView = new Unpackr(unpackOptions);
const unpackCopy = new Unpackr({ ...unpackOptions, copyBuffers: true });

// A top-level Buffer parameter this large is written to the socket as it
// is, after its bin header, instead of being copied into the request.
export const ZERO_COPY_MIN = 64 * 1024;

// A method name's MessagePack str, kept for the names used most.
const strCache = new Map();
const STR_CACHE_MAX = 1024;

function packedStr(s) {
	let b = strCache.get(s);
	if (b === undefined) {
		b = packr.pack(s);
		// packr's output is a view of a buffer it goes on using: copy it.
		b = Buffer.from(b);
		if (strCache.size < STR_CACHE_MAX)
			strCache.set(s, b);
	}
	return b;
}

// The MessagePack of an unsigned integer below 2^32, written at b[off].
function putUint(b, off, n) {
	if (n < 0x80) {
		b[off] = n;
		return off + 1;
	}
	if (n < 0x100) {
		b[off] = 0xcc;
		b[off + 1] = n;
		return off + 2;
	}
	if (n < 0x10000) {
		b[off] = 0xcd;
		b.writeUInt16BE(n, off + 1);
		return off + 3;
	}
	b[off] = 0xce;
	b.writeUInt32BE(n, off + 1);
	return off + 5;
}

function arrayHeader(n) {
	if (n < 16)
		return Buffer.from([0x90 | n]);
	if (n < 0x10000) {
		const b = Buffer.allocUnsafe(3);
		b[0] = 0xdc;
		b.writeUInt16BE(n, 1);
		return b;
	}
	const b = Buffer.allocUnsafe(5);
	b[0] = 0xdd;
	b.writeUInt32BE(n, 1);
	return b;
}

function binHeader(n) {
	const b = Buffer.allocUnsafe(5);
	b[0] = 0xc6;
	b.writeUInt32BE(n, 1);
	return b;
}

// params (an array) as a list of buffers whose concatenation is its
// MessagePack: one buffer, or, when a top-level element is a Uint8Array
// of ZERO_COPY_MIN bytes or more, that element's own memory between the
// encoded others, so that it is not copied.  A value that cannot be
// encoded (a BigInt beyond 64 bits, a Symbol, a circular structure) is a
// TypeError whose cause is the encoder's error.
export function encodeParams(params, zeroCopy) {
	try {
		return encode(params, zeroCopy);
	} catch (e) {
		const why = e instanceof RangeError && /call stack/.test(e.message) ?
		    'a circular structure, or one nested too deeply' : e.message;
		throw new TypeError(`params cannot be encoded: ${why}`,
		    { cause: e });
	}
}

function encode(params, zeroCopy) {
	let big = false;
	if (zeroCopy) {
		for (let i = 0; i < params.length; i++) {
			const v = params[i];
			if (v instanceof Uint8Array && v.byteLength >= ZERO_COPY_MIN) {
				big = true;
				break;
			}
		}
	}
	if (!big)
		return [packr.pack(params)];
	const out = [arrayHeader(params.length)];
	for (const v of params) {
		if (v instanceof Uint8Array && v.byteLength >= ZERO_COPY_MIN) {
			out.push(binHeader(v.byteLength), Buffer.isBuffer(v) ? v :
			    Buffer.from(v.buffer, v.byteOffset, v.byteLength));
		} else {
			out.push(packr.pack(v));
		}
	}
	return out;
}

// The options map of forkpool.call, with only the options given.
export function encodeCallOptions(timeoutMs, retries, id) {
	const o = {};
	if (timeoutMs !== undefined)
		o.timeout_ms = timeoutMs;
	if (retries !== undefined)
		o.retries = retries;
	if (id !== undefined)
		o.id = id;
	return packr.pack(o);
}

// The buffers of the request [0, msgid, method, params], or with opts (the
// packed options map) of [0, msgid, "forkpool.call", [method, params,
// opts]].  params is the list encodeParams made.
export function requestFrame(msgid, method, params, opts) {
	const m = packedStr(method);
	if (opts === undefined) {
		const head = Buffer.allocUnsafe(7 + m.length);
		head[0] = 0x94;
		head[1] = 0x00;
		let off = putUint(head, 2, msgid);
		off += m.copy(head, off);
		return [head.subarray(0, off), ...params];
	}
	const call = packedStr('forkpool.call');
	const head = Buffer.allocUnsafe(8 + call.length + m.length);
	head[0] = 0x94;
	head[1] = 0x00;
	let off = putUint(head, 2, msgid);
	off += call.copy(head, off);
	head[off++] = 0x93;
	off += m.copy(head, off);
	return [head.subarray(0, off), ...params, opts];
}

// The notification [2, method, params].
export function notificationFrame(method, params) {
	const m = packedStr(method);
	return [Buffer.from([0x93, 0x02]), m, ...params];
}

// forkpool.cancel [target], sent as request msgid.
export function cancelFrame(msgid, target) {
	return requestFrame(msgid, 'forkpool.cancel',
	    [packr.pack([target])], undefined);
}

// Framer: cuts a byte stream into whole MessagePack messages, whatever the
// chunks it arrives in, without decoding them.  It walks the headers
// only, keeping its place across chunks (objects still to read, payload
// bytes still to skip), so that a message that arrives in many chunks is
// walked once and decoded once, when it is whole.  A message that lies in
// one chunk is handed on as a view of it; one that spans chunks, as one
// buffer made of its parts.  onMessage(buf) is called for each message in
// order; a byte that begins no MessagePack object (0xc1) throws.
export class Framer {
	constructor(onMessage) {
		this.onMessage = onMessage;
		this.pending = 0;	// objects left to read in this message
		this.skip = 0;		// payload bytes left to skip
		this.parts = [];	// earlier chunks' bytes of this message
		this.partsLen = 0;
		this.carry = null;	// a header cut at the end of a chunk
	}

	// The bytes of a message in progress, for tests.
	get buffered() {
		return this.partsLen + (this.carry ? this.carry.length : 0);
	}

	push(chunk) {
		let b = chunk;
		if (this.carry !== null) {
			b = Buffer.concat([this.carry, chunk]);
			this.carry = null;
		}
		const len = b.length;
		let start = 0;		// where this message's bytes in b begin
		let p = 0;
		for (;;) {
			if (this.skip > 0) {
				const n = Math.min(this.skip, len - p);
				p += n;
				this.skip -= n;
				if (this.skip > 0)
					break;
			}
			if (this.pending === 0) {
				if (p > start || this.partsLen > 0) {
					this.emit(b, start, p);
					start = p;
				}
				if (p >= len)
					return;
				this.pending = 1;
			}
			if (p >= len)
				break;
			const h = header(b, p);
			if (h < 0) {
				// The header is cut: keep it for the next chunk.
				if (p > start)
					this.keep(b.subarray(start, p));
				this.carry = b.subarray(p);
				return;
			}
			p += h;
			this.pending += hdrChildren - 1;
			this.skip = hdrPayload;
		}
		if (len > start)
			this.keep(b.subarray(start, len));
	}

	keep(part) {
		this.parts.push(part);
		this.partsLen += part.length;
	}

	emit(b, start, end) {
		let msg;
		if (this.partsLen === 0) {
			msg = b.subarray(start, end);
		} else {
			this.parts.push(b.subarray(start, end));
			msg = Buffer.concat(this.parts, this.partsLen + end - start);
			this.parts = [];
			this.partsLen = 0;
		}
		this.onMessage(msg);
	}

	reset() {
		this.pending = 0;
		this.skip = 0;
		this.parts = [];
		this.partsLen = 0;
		this.carry = null;
	}
}

// What header() found: the objects inside (array elements, map keys and
// values) and the payload bytes after the header (str, bin, ext data,
// fixed-size numbers).
let hdrChildren = 0;
let hdrPayload = 0;

// The length of the header at b[p], with hdrChildren and hdrPayload set;
// -1 if the header runs past the end of b.
function header(b, p) {
	const t = b[p];
	const avail = b.length - p;
	hdrChildren = 0;
	hdrPayload = 0;
	if (t < 0x80 || t >= 0xe0 || (t >= 0xc0 && t <= 0xc3 && t !== 0xc1))
		return 1;	// fixint, nil, false, true
	if (t < 0x90) {
		hdrChildren = (t & 0x0f) * 2;
		return 1;
	}
	if (t < 0xa0) {
		hdrChildren = t & 0x0f;
		return 1;
	}
	if (t < 0xc0) {
		hdrPayload = t & 0x1f;
		return 1;
	}
	switch (t) {
	case 0xc4: case 0xd9:			// bin 8, str 8
		if (avail < 2)
			return -1;
		hdrPayload = b[p + 1];
		return 2;
	case 0xc5: case 0xda:			// bin 16, str 16
		if (avail < 3)
			return -1;
		hdrPayload = b.readUInt16BE(p + 1);
		return 3;
	case 0xc6: case 0xdb:			// bin 32, str 32
		if (avail < 5)
			return -1;
		hdrPayload = b.readUInt32BE(p + 1);
		return 5;
	case 0xc7:				// ext 8
		if (avail < 2)
			return -1;
		hdrPayload = b[p + 1] + 1;
		return 2;
	case 0xc8:				// ext 16
		if (avail < 3)
			return -1;
		hdrPayload = b.readUInt16BE(p + 1) + 1;
		return 3;
	case 0xc9:				// ext 32
		if (avail < 5)
			return -1;
		hdrPayload = b.readUInt32BE(p + 1) + 1;
		return 5;
	case 0xca: case 0xce: case 0xd2:	// float 32, uint 32, int 32
		hdrPayload = 4;
		return 1;
	case 0xcb: case 0xcf: case 0xd3:	// float 64, uint 64, int 64
		hdrPayload = 8;
		return 1;
	case 0xcc: case 0xd0:			// uint 8, int 8
		hdrPayload = 1;
		return 1;
	case 0xcd: case 0xd1:			// uint 16, int 16
		hdrPayload = 2;
		return 1;
	case 0xd4: case 0xd5: case 0xd6: case 0xd7: case 0xd8:	// fixext
		hdrPayload = 1 + (1 << (t - 0xd4));
		return 1;
	case 0xdc:				// array 16
		if (avail < 3)
			return -1;
		hdrChildren = b.readUInt16BE(p + 1);
		return 3;
	case 0xdd:				// array 32
		if (avail < 5)
			return -1;
		hdrChildren = b.readUInt32BE(p + 1);
		return 5;
	case 0xde:				// map 16
		if (avail < 3)
			return -1;
		hdrChildren = b.readUInt16BE(p + 1) * 2;
		return 3;
	case 0xdf:				// map 32
		if (avail < 5)
			return -1;
		hdrChildren = b.readUInt32BE(p + 1) * 2;
		return 5;
	default:				// 0xc1
		throw new Error(`byte 0x${t.toString(16)} begins no ` +
		    'MessagePack object: the stream cannot be followed');
	}
}

// One whole message, decoded.  Its bin values are views of msg when msg
// is at least half of the memory it lies in; otherwise (a small answer in
// a large read) they are copied, so that a Buffer a caller keeps does not
// hold on to the read buffer around it.
export function decodeMessage(msg) {
	const u = msg.length * 2 >= msg.buffer.byteLength ? unpackView :
	    unpackCopy;
	return u.unpack(msg);
}

// The msgid of a response [1, msgid, ...] that could not be decoded as a
// whole, read from its first bytes; -1 if it has none.
export function responseMsgid(msg) {
	if (msg.length < 3 || msg[0] !== 0x94 || msg[1] !== 0x01)
		return -1;
	const t = msg[2];
	if (t < 0x80)
		return t;
	if (t === 0xcc && msg.length >= 4)
		return msg[3];
	if (t === 0xcd && msg.length >= 5)
		return msg.readUInt16BE(3);
	if (t === 0xce && msg.length >= 7)
		return msg.readUInt32BE(3);
	return -1;
}
