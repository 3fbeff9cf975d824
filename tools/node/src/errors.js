// errors.js -- ForkPoolError, the error codes, and the AbortError of a
// cancelled call.

// The daemon's codes, a stable contract (forkpool-rpc(7), enum fp_err in
// <forkpool.h>), in that order.
export const DAEMON_CODES = Object.freeze([
	'bad_request', 'no_such_method', 'invalid_params', 'too_large',
	'queue_full', 'timeout', 'worker_crashed', 'handler_error',
	'circuit_open', 'cancelled', 'shutting_down', 'permission_denied',
	'internal',
]);

// The client's own codes, for what happens on this side of the socket.
//   connection_lost  the call was written, or queued on a connection, that
//                    closed before its answer came: it may or may not have
//                    run.
//   unavailable      no connection to the daemon could be had in time (or
//                    too many calls already wait for one): the call was
//                    never sent.
//   closed           the pool was closed: run() after close(), or
//                    close({ force: true }) with the call unanswered.
//   bad_response     the daemon's answer could not be decoded (an
//                    extension type or a map key JavaScript cannot hold).
export const CLIENT_CODES = Object.freeze([
	'connection_lost', 'unavailable', 'closed', 'bad_response',
]);

export class ForkPoolError extends Error {
	constructor(code, message, extra = {}) {
		super(message, extra.cause === undefined ? undefined :
		    { cause: extra.cause });
		this.code = code;
		this.method = extra.method;
		if (extra.attempts !== undefined)
			this.attempts = extra.attempts;
		if (extra.signal !== undefined)
			this.signal = extra.signal;
		if (extra.status !== undefined)
			this.status = extra.status;
	}

	get name() {
		return 'ForkPoolError';
	}
}

// The daemon's error map {code, message, signal?, status?, attempts?} as a
// ForkPoolError.
export function fromDaemon(method, err) {
	if (err === null || typeof err !== 'object' ||
	    typeof err.code !== 'string')
		return new ForkPoolError('bad_response',
		    `${method}: the daemon answered an error that is not a ` +
		    `map with a code: ${safeString(err)}`, { method });
	const extra = { method };
	for (const k of ['attempts', 'signal', 'status']) {
		if (typeof err[k] === 'number')
			extra[k] = err[k];
	}
	const msg = typeof err.message === 'string' ? err.message : err.code;
	return new ForkPoolError(err.code, `${method}: ${msg}`, extra);
}

function safeString(v) {
	try {
		return String(v);
	} catch {
		return typeof v;
	}
}

// What fetch() and Piscina reject with when their signal aborts: a
// DOMException named AbortError, with the signal's reason as its cause.
export function abortError(method, signal) {
	const e = new DOMException(`${method}: the call was aborted`,
	    'AbortError');
	Object.defineProperty(e, 'cause', {
		value: signal.reason, writable: true, configurable: true,
	});
	return e;
}
