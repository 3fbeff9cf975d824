// connection.js -- one socket to the daemon: message IDs, the requests
// outstanding on it, writes gathered once per tick, and responses cut
// from the stream and matched to their requests.
import net from 'node:net';

import {
	Framer, decodeMessage, responseMsgid, requestFrame, cancelFrame,
	ZERO_COPY_MIN,
} from './codec.js';
import { ForkPoolError, fromDaemon } from './errors.js';

// The answer of a request nobody waits for any more (a call aborted or
// given up, and forkpool.cancel itself): read and dropped.
const IGNORE = Symbol('ignore');

// Small buffers written in one tick are joined up to this size.
const JOIN_MAX = 1 << 20;

export class Connection {
	// pool: the ForkPool, told of open(conn), lost(conn, err) and
	// settled(req).  path: the socket.
	constructor(pool, path) {
		this.pool = pool;
		this.path = path;
		this.state = 'connecting';
		this.outstanding = new Map();	// msgid -> req or IGNORE
		this.nextId = 0;
		this.out = [];
		this.flushing = false;
		this.error = null;
		this.answered = false;	// has the daemon answered anything here?
		this.framer = new Framer((msg) => this.message(msg));
		const s = net.connect({ path });
		this.socket = s;
		s.on('connect', () => {
			this.state = 'open';
			pool.opened(this);
		});
		s.on('data', (chunk) => {
			try {
				this.framer.push(chunk);
			} catch (e) {
				this.error = e;
				s.destroy();
			}
		});
		s.on('error', (e) => {
			this.error = e;
		});
		s.on('close', () => this.closed());
	}

	// Requests waiting for answers, ignored ones included: the load by
	// which the pool picks a connection.
	get load() {
		return this.outstanding.size;
	}

	ref(on) {
		if (on)
			this.socket.ref();
		else
			this.socket.unref();
	}

	id() {
		// 0 .. 2^32-1, wrapping, never one still outstanding.
		let id = this.nextId;
		while (this.outstanding.has(id))
			id = (id + 1) >>> 0;
		this.nextId = (id + 1) >>> 0;
		return id;
	}

	// Write req (its params already encoded, opts the packed options map
	// of forkpool.call or undefined).
	send(req, opts) {
		const msgid = this.id();
		req.conn = this;
		req.msgid = msgid;
		this.outstanding.set(msgid, req);
		this.write(requestFrame(msgid, req.method, req.params, opts));
		req.params = null;
	}

	// Nobody waits for req's answer any more; with cancel, ask the daemon
	// to cancel it (forkpool.cancel on this connection, as the protocol
	// requires).
	abandon(req, cancel) {
		if (this.state === 'closed' || this.outstanding.get(req.msgid) !== req)
			return;
		this.outstanding.set(req.msgid, IGNORE);
		if (cancel) {
			const id = this.id();
			this.outstanding.set(id, IGNORE);
			this.write(cancelFrame(id, req.msgid));
		}
	}

	write(bufs) {
		for (const b of bufs)
			this.out.push(b);
		if (!this.flushing) {
			this.flushing = true;
			process.nextTick(flushTick, this);
		}
	}

	// Everything written this tick, in one writev(2) where it can be:
	// small buffers joined, large ones (the zero-copy params) as they
	// are.
	flush() {
		this.flushing = false;
		const out = this.out;
		this.out = [];
		if (this.state === 'closed' || out.length === 0)
			return;
		const s = this.socket;
		const bufs = [];
		let run = [];
		let runLen = 0;
		const endRun = () => {
			if (run.length === 1)
				bufs.push(run[0]);
			else if (run.length > 1)
				bufs.push(Buffer.concat(run, runLen));
			run = [];
			runLen = 0;
		};
		for (const b of out) {
			if (b.length >= ZERO_COPY_MIN) {
				endRun();
				bufs.push(b);
			} else {
				run.push(b);
				runLen += b.length;
				if (runLen >= JOIN_MAX)
					endRun();
			}
		}
		endRun();
		if (bufs.length > 1)
			s.cork();
		for (const b of bufs)
			s.write(b);
		if (bufs.length > 1)
			s.uncork();
	}

	message(msg) {
		let m;
		try {
			m = decodeMessage(msg);
		} catch (e) {
			this.undecodable(msg, e);
			return;
		}
		if (!Array.isArray(m) || m.length !== 4 || m[0] !== 1 ||
		    typeof m[1] !== 'number') {
			// Not a response: the daemon sends nothing else.
			const id = Array.isArray(m) && m.length > 1 ? m[1] : -1;
			this.undecodable(msg, new Error('not a response ' +
			    '[1, msgid, error, result]'), id);
			return;
		}
		const req = this.outstanding.get(m[1]);
		if (req === undefined)
			return;		// not ours: the protocol allows no such answer
		this.outstanding.delete(m[1]);
		this.answered = true;
		if (req === IGNORE)
			return;
		if (m[2] === null)
			this.pool.settled(req, null, m[3]);
		else
			this.pool.settled(req, fromDaemon(req.method, m[2]));
	}

	undecodable(msg, e, id = responseMsgid(msg)) {
		const req = this.outstanding.get(id);
		if (req === undefined)
			return;
		this.outstanding.delete(id);
		if (req === IGNORE)
			return;
		this.pool.settled(req, new ForkPoolError('bad_response',
		    `${req.method}: the daemon's answer could not be decoded: ` +
		    e.message, { method: req.method, cause: e }));
	}

	// Close at once (the pool is closed or given up).
	destroy() {
		this.socket.destroy();
	}

	// Close once what was written has gone out.
	end() {
		this.flush();
		const s = this.socket;
		s.end();
		s.once('finish', () => s.destroy());
		// Not for ever if the daemon stopped reading.
		const t = setTimeout(() => s.destroy(), 1000);
		t.unref();
		s.once('close', () => clearTimeout(t));
	}

	closed() {
		const wasOpen = this.state === 'open';
		this.state = 'closed';
		this.out = [];
		this.framer.reset();
		const lost = [];
		for (const req of this.outstanding.values()) {
			if (req !== IGNORE)
				lost.push(req);
		}
		this.outstanding.clear();
		this.pool.lost(this, wasOpen, this.error, lost);
	}
}

function flushTick(conn) {
	conn.flush();
}
