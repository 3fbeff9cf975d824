// pool.js -- ForkPool: calls spread over a few pipelined connections to
// one daemon, reconnected with back-off, with deadlines, cancellation and
// a draining close.
import { Connection } from './connection.js';
import { encodeParams, encodeCallOptions, notificationFrame } from './codec.js';
import { ForkPoolError, abortError } from './errors.js';
import { AbortWatch } from './signals.js';
import { defaultSocket, checkDefaultSocket } from './socket-path.js';

export const DEFAULTS = Object.freeze({
	connections: 2,
	timeout: undefined,
	retries: undefined,
	connectTimeout: 10000,
	timeoutGrace: 1000,
	reconnectDelay: 50,
	reconnectDelayMax: 2000,
	maxQueue: 10000,
});

// The longest duration an option may give: a day, the daemon's limit of
// timeout_ms (and far below the 2^31-1 ms beyond which setTimeout fires
// at once).
const MAX_MS = 24 * 3600 * 1000;

function checkMs(name, v, zero) {
	if (typeof v !== 'number' || !(v >= 0 && v <= MAX_MS) ||
	    (!zero && v === 0))
		throw new TypeError(`${name} must be a ${zero ? 'non-negative' :
		    'positive'} number of milliseconds, at most ${MAX_MS} (a ` +
		    `day), not ${String(v)}`);
	return v;
}

function checkInt(name, v, min) {
	if (!Number.isInteger(v) || v < min)
		throw new TypeError(`${name} must be an integer of at least ${min}, ` +
		    `not ${String(v)}`);
	return v;
}

function checkRetries(name, v) {
	return checkInt(name, v, 0);
}

export class ForkPool {
	constructor(options = {}) {
		if (options === null || typeof options !== 'object')
			throw new TypeError('new ForkPool(options): options must be ' +
			    'an object');
		const o = { ...DEFAULTS };
		for (const [k, v] of Object.entries(options)) {
			if (v !== undefined)
				o[k] = v;
		}
		if (options.socket !== undefined) {
			if (typeof options.socket !== 'string' || options.socket === '')
				throw new TypeError('socket must be a non-empty string');
			this.socket = options.socket;
		} else {
			this.socket = defaultSocket();
		}
		// The per-user default's directory is checked before each
		// connect, as the C client does; a path the user named (the
		// option, or $FORKPOOL_SOCKET when the pool was made) is not.
		this.checkDir = options.socket === undefined &&
		    !process.env.FORKPOOL_SOCKET;
		checkInt('connections', o.connections, 1);
		if (o.timeout !== undefined)
			checkMs('timeout', o.timeout, true);
		if (o.retries !== undefined)
			checkRetries('retries', o.retries);
		checkMs('connectTimeout', o.connectTimeout, false);
		checkMs('timeoutGrace', o.timeoutGrace, true);
		checkMs('reconnectDelay', o.reconnectDelay, false);
		checkMs('reconnectDelayMax', o.reconnectDelayMax, false);
		checkInt('maxQueue', o.maxQueue, 0);
		this.options = Object.freeze(o);

		// Connection slots: at most one connection each, opened when
		// there is work for it.
		this.slots = [];
		for (let i = 0; i < o.connections; i++)
			this.slots.push({ conn: null, timer: null, delay: 0 });
		this.queue = new Set();		// waiting for a connection
		this.abortWatch = new AbortWatch((req) => this.aborted(req));
		this.active = 0;		// calls and notifications not settled
		this.lastError = null;		// why the last connect failed
		this.closing = false;
		this.closePromise = null;
		this.closeDone = null;
	}

	// ---- public API ----------------------------------------------------

	get connected() {
		let n = 0;
		for (const s of this.slots) {
			if (s.conn?.state === 'open')
				n++;
		}
		return n;
	}

	get pending() {
		return this.active;
	}

	run(method, params = [], options = {}) {
		if (typeof method !== 'string' || method === '')
			throw new TypeError('run(method, params, options): method ' +
			    'must be a non-empty string');
		if (!Array.isArray(params))
			throw new TypeError(`run(${JSON.stringify(method)}, params): ` +
			    'params must be an array (the positional parameters)');
		if (options === null || typeof options !== 'object')
			throw new TypeError('run(): options must be an object');
		const admin = method.startsWith('forkpool.');
		let { timeout, retries, id } = options;
		const { signal } = options;
		if (timeout !== undefined)
			checkMs('timeout', timeout, true);
		if (retries !== undefined)
			checkRetries('retries', retries);
		if (id !== undefined && typeof id !== 'string')
			throw new TypeError('id must be a string');
		if (admin && (retries !== undefined || id !== undefined))
			throw new TypeError(`${method}: retries and id are options ` +
			    'of handler calls, not of forkpool.* methods');
		if (signal !== undefined && !(signal instanceof AbortSignal))
			throw new TypeError('signal must be an AbortSignal');
		if (timeout === undefined)
			timeout = this.options.timeout;
		if (!admin && retries === undefined)
			retries = this.options.retries;
		if (timeout === 0)
			timeout = undefined;
		if (this.closing) {
			return Promise.reject(new ForkPoolError('closed',
			    `${method}: the pool is closed`, { method }));
		}
		if (signal?.aborted)
			return Promise.reject(abortError(method, signal));
		let encoded;
		try {
			encoded = encodeParams(params, true);
		} catch (e) {
			return Promise.reject(new TypeError(`${method}: ${e.message}`,
			    { cause: e.cause }));
		}
		return new Promise((resolve, reject) => {
			const req = {
				method, params: encoded, resolve, reject,
				timeout, retries, id, admin, signal,
				deadline: timeout === undefined ? undefined :
				    performance.now() + timeout,
				wrap: !admin && (timeout !== undefined ||
				    retries !== undefined || id !== undefined),
				notify: false, conn: null, msgid: -1, timer: null,
				done: false,
			};
			if (signal !== undefined)
				this.abortWatch.add(signal, req);
			this.begin(req);
		});
	}

	notify(method, params = []) {
		if (typeof method !== 'string' || method === '')
			throw new TypeError('notify(method, params): method must be ' +
			    'a non-empty string');
		if (!Array.isArray(params))
			throw new TypeError(`notify(${JSON.stringify(method)}, ` +
			    'params): params must be an array');
		if (this.closing)
			throw new ForkPoolError('closed', `${method}: the pool is ` +
			    'closed', { method });
		const frame = notificationFrame(method, encodeParams(params, false));
		const req = {
			method, frame, notify: true, deadline: undefined, timer: null,
			signal: undefined, done: false,
			resolve() {}, reject() {},
		};
		this.begin(req);
	}

	ping(options) {
		return this.run('forkpool.ping', [], options);
	}

	stats(window, options) {
		return this.run('forkpool.stats', window === undefined ? [] :
		    [window], options);
	}

	workers(options) {
		return this.run('forkpool.workers', [], options);
	}

	handlers(options) {
		return this.run('forkpool.handlers', [], options);
	}

	close(options = {}) {
		if (!this.closing) {
			this.closing = true;
			this.closePromise = new Promise((resolve) => {
				this.closeDone = resolve;
			});
		}
		if (options.force) {
			for (const req of [...this.queue])
				this.fail(req, 'closed', 'the pool was closed');
			for (const s of this.slots) {
				if (s.conn !== null) {
					// lost() fails what was outstanding on it.
					s.conn.forced = true;
					s.conn.destroy();
				}
			}
		}
		this.maybeClosed();
		return this.closePromise;
	}

	// ---- requests ------------------------------------------------------

	begin(req) {
		if (this.active++ === 0)
			this.refAll(true);
		const conn = this.pick();
		if (conn !== null) {
			this.send(conn, req);
			if (this.down > 0)
				this.connectAll();
			return;
		}
		if (this.queue.size >= this.options.maxQueue) {
			this.fail(req, 'unavailable', `no connection to ` +
			    `${this.socket}, and ${this.queue.size} calls already ` +
			    'wait for one (maxQueue)');
			return;
		}
		this.queue.add(req);
		const wait = req.deadline !== undefined ?
		    req.deadline - performance.now() : this.options.connectTimeout;
		req.timer = setTimeout(() => this.waitedTooLong(req),
		    Math.max(0, wait));
		this.connectAll();
	}

	// The open connection with the fewest requests outstanding.
	pick() {
		let best = null;
		for (const s of this.slots) {
			const c = s.conn;
			if (c !== null && c.state === 'open' &&
			    (best === null || c.load < best.load))
				best = c;
		}
		return best;
	}

	send(conn, req) {
		if (req.notify) {
			conn.write(req.frame);
			this.finish(req);
			return;
		}
		let opts;
		if (req.wrap) {
			let ms;
			if (req.deadline !== undefined) {
				ms = Math.ceil(req.deadline - performance.now());
				if (ms < 1) {
					this.fail(req, 'unavailable', 'its timeout passed ' +
					    'while it waited for a connection');
					return;
				}
			}
			opts = encodeCallOptions(ms, req.retries, req.id);
		}
		conn.send(req, opts);
		if (req.deadline !== undefined) {
			// The daemon answers "timeout" at the deadline of a handler
			// call (give or take its 100 ms tick); the grace is for a
			// daemon that answers nothing at all.  A forkpool.* call
			// has no deadline in the daemon: it ends at its own.
			const grace = req.admin ? 0 : this.options.timeoutGrace;
			req.timer = setTimeout(() => this.noAnswer(req), Math.max(0,
			    req.deadline - performance.now() + grace));
		}
	}

	waitedTooLong(req) {
		req.timer = null;
		if (!this.queue.delete(req))
			return;
		if (req.notify) {
			this.finish(req);
			return;
		}
		const why = this.lastError ? `: ${this.lastError.message}` : '';
		this.fail(req, 'unavailable', `no connection to ${this.socket} ` +
		    `within ${req.deadline !== undefined ? `its timeout of ` +
		    `${req.timeout}` : `connectTimeout, ` +
		    `${this.options.connectTimeout}`} ms${why}`, this.lastError);
	}

	noAnswer(req) {
		req.timer = null;
		if (req.done)
			return;
		req.conn?.abandon(req, !req.admin);
		this.fail(req, 'timeout', req.admin ? `no answer within the ` +
		    `timeout of ${req.timeout} ms` : `no answer from the daemon ` +
		    `within the timeout of ${req.timeout} ms and ` +
		    `${this.options.timeoutGrace} ms of grace; it was asked to ` +
		    'cancel the call');
	}

	aborted(req) {
		if (req.done)
			return;
		if (this.queue.delete(req)) {
			// Never sent.
		} else {
			req.conn?.abandon(req, true);
		}
		this.finish(req);
		req.reject(abortError(req.method, req.signal));
	}

	// The answer came (from a Connection).
	settled(req, err, result) {
		if (req.done)
			return;
		this.finish(req);
		if (err !== null)
			req.reject(err);
		else
			req.resolve(result);
	}

	fail(req, code, why, cause) {
		if (req.done)
			return;
		this.queue.delete(req);
		this.finish(req);
		if (!req.notify) {
			req.reject(new ForkPoolError(code, `${req.method}: ${why}`,
			    { method: req.method, cause: cause ?? undefined }));
		}
	}

	finish(req) {
		req.done = true;
		if (req.timer !== null) {
			clearTimeout(req.timer);
			req.timer = null;
		}
		if (req.signal !== undefined)
			this.abortWatch.delete(req.signal, req);
		if (--this.active === 0) {
			this.refAll(false);
			if (this.closing)
				process.nextTick(() => this.maybeClosed());
		}
	}

	// ---- connections ---------------------------------------------------

	// Slots without a connection, open or opening.
	get down() {
		let n = 0;
		for (const s of this.slots) {
			if (s.conn === null)
				n++;
		}
		return n;
	}

	// Open every slot that has no connection and no back-off timer.
	connectAll() {
		for (const s of this.slots) {
			if (s.conn === null && s.timer === null)
				this.schedule(s);
		}
	}

	schedule(s) {
		if (s.delay === 0) {
			this.connect(s);
			return;
		}
		// Jitter: 75 % to 125 % of the delay, so that the clients of a
		// restarted daemon do not all come back at once.
		const d = s.delay * (0.75 + Math.random() / 2);
		s.timer = setTimeout(() => {
			s.timer = null;
			// While close() drains, calls may still wait for it.
			if (!this.closing || this.wanted())
				this.connect(s);
		}, d);
		if (this.active === 0)
			s.timer.unref();
	}

	// Is a connection wanted: calls wait for one, or are outstanding?
	wanted() {
		return this.active > 0 && !(this.closing && this.queue.size === 0);
	}

	connect(s) {
		if (this.checkDir) {
			const why = checkDefaultSocket(this.socket, {});
			if (why !== null) {
				this.lastError = new Error(why);
				this.backOff(s);
				return;
			}
		}
		const conn = new Connection(this, this.socket);
		conn.slot = s;
		s.conn = conn;
		conn.ref(this.active > 0);
	}

	backOff(s) {
		s.delay = s.delay === 0 ? this.options.reconnectDelay :
		    Math.min(s.delay * 2, this.options.reconnectDelayMax);
		if (this.wanted())
			this.schedule(s);
	}

	// A Connection is open: it takes the calls that waited.
	opened(conn) {
		conn.openedAt = performance.now();
		this.lastError = null;
		if (this.closing && this.active === 0) {
			conn.end();
			return;
		}
		for (const req of this.queue) {
			const c = this.pick();
			this.queue.delete(req);
			if (req.timer !== null) {
				clearTimeout(req.timer);
				req.timer = null;
			}
			this.send(c, req);
		}
	}

	// A Connection closed, or never opened: what was outstanding on it is
	// lost; a slot that was connected reconnects at once if there is work,
	// one that failed to connect backs off.
	lost(conn, wasOpen, err, reqs) {
		const s = conn.slot;
		s.conn = null;
		if (!wasOpen && err)
			this.lastError = err;
		const forced = conn.forced === true;
		for (const req of reqs) {
			if (forced) {
				this.fail(req, 'closed', 'the pool was closed');
			} else {
				this.fail(req, 'connection_lost', `the connection to ` +
				    `${this.socket} closed before the answer came` +
				    `${err ? ` (${err.message})` : ''}: the call may or ` +
				    'may not have run', err);
			}
		}
		if (this.closing && this.active === 0) {
			this.maybeClosed();
			return;
		}
		// A connection that had answered calls, or lived a while, comes
		// back at once; one that could not be made, or was closed at
		// once without an answer (a daemon beyond max-connections closes
		// new ones so), backs off.
		if (conn.answered || (wasOpen &&
		    performance.now() - conn.openedAt > 1000)) {
			s.delay = 0;
			if (this.wanted())
				this.schedule(s);
		} else {
			this.backOff(s);
		}
	}

	refAll(on) {
		for (const s of this.slots) {
			s.conn?.ref(on);
			if (s.timer !== null) {
				if (on)
					s.timer.ref();
				else
					s.timer.unref();
			}
		}
	}

	maybeClosed() {
		if (!this.closing || this.active > 0 || this.closeDone === null)
			return;
		const waits = [];
		for (const s of this.slots) {
			if (s.timer !== null) {
				clearTimeout(s.timer);
				s.timer = null;
			}
			const c = s.conn;
			if (c !== null) {
				waits.push(new Promise((r) => c.socket.once('close', r)));
				if (c.state === 'open')
					c.end();
				else
					c.destroy();
			}
		}
		const done = this.closeDone;
		this.closeDone = null;
		Promise.all(waits).then(() => done());
	}
}
