// Type declarations of forkpool, the Node.js client of forkpoold
// (forkpool-rpc(7)).  See README.md.
/// <reference types="node" />

/**
 * Options of a pool; every one is optional.  Durations are milliseconds,
 * at most 86400000 (a day, the daemon's limit of timeout_ms).
 */
export interface ForkPoolOptions {
	/**
	 * The daemon's socket.  Default: $FORKPOOL_SOCKET if set and not empty;
	 * as root /run/forkpool/forkpool.sock; else
	 * $XDG_RUNTIME_DIR/forkpool.sock when XDG_RUNTIME_DIR is absolute; else
	 * ${TMPDIR:-/tmp}/forkpool-UID/forkpool.sock (the C client's rule).  The
	 * directory of that default is refused if another user owns it or may
	 * write to it.
	 */
	socket?: string;
	/** Connections to the daemon, opened on the first call. Default 2. */
	connections?: number;
	/**
	 * Each call's default timeout in milliseconds: the whole call, from
	 * run() to its answer; sent to the daemon as forkpool.call's timeout_ms
	 * (what is left of it when the call is written).  Default: none (the
	 * daemon's configured deadline applies); 0 also means none.
	 */
	timeout?: number;
	/**
	 * Each call's default number of retries after a worker crash, sent as
	 * forkpool.call's retries.  Default: none (the daemon's configured
	 * retries, 0 unless configured).
	 */
	retries?: number;
	/**
	 * How long a call without a timeout waits for a connection before it
	 * rejects "unavailable", in milliseconds.  Default 10000.
	 */
	connectTimeout?: number;
	/**
	 * How long after its timeout a call the daemon has not answered at all
	 * (a stopped daemon) is given up: it rejects "timeout" and the daemon
	 * is asked to cancel it.  Milliseconds, default 1000.
	 */
	timeoutGrace?: number;
	/** The first delay before reconnecting after a failure, ms. Default 50. */
	reconnectDelay?: number;
	/** The longest delay between reconnection attempts, ms. Default 2000. */
	reconnectDelayMax?: number;
	/**
	 * The most calls (and notifications) that may wait for a connection
	 * while none is up; beyond it run() rejects "unavailable" at once.
	 * Default 10000.
	 */
	maxQueue?: number;
}

/** Options of one call. */
export interface RunOptions {
	/** This call's timeout in ms, instead of the pool's; 0 for none. */
	timeout?: number;
	/** Retries after a worker crash, instead of the pool's. */
	retries?: number;
	/** A correlation ID: the daemon logs it as corr with the task. */
	id?: string;
	/**
	 * Aborting it rejects the call at once with an AbortError (a
	 * DOMException whose cause is the signal's reason) and cancels it in
	 * the daemon with forkpool.cancel.
	 */
	signal?: AbortSignal;
}

/** Options of an administrative call (forkpool.* methods). */
export interface AdminOptions {
	/**
	 * Bounds the wait for a connection and for the answer, ms: the call
	 * rejects "timeout" when it passes (no timeoutGrace).
	 */
	timeout?: number;
	signal?: AbortSignal;
}

/** The daemon's error codes, a stable contract (forkpool-rpc(7)). */
export type DaemonErrorCode =
	| 'bad_request' | 'no_such_method' | 'invalid_params' | 'too_large'
	| 'queue_full' | 'timeout' | 'worker_crashed' | 'handler_error'
	| 'circuit_open' | 'cancelled' | 'shutting_down' | 'permission_denied'
	| 'internal';

/**
 * The client's own codes: connection_lost (the call was written or queued
 * on a connection that closed before its answer: it may or may not have
 * run), unavailable (no connection in time, or maxQueue calls already
 * wait: never sent), closed (the pool was closed), bad_response (an answer
 * that could not be decoded).
 */
export type ClientErrorCode =
	| 'connection_lost' | 'unavailable' | 'closed' | 'bad_response';

export type ErrorCode = DaemonErrorCode | ClientErrorCode;

export const DAEMON_CODES: readonly DaemonErrorCode[];
export const CLIENT_CODES: readonly ClientErrorCode[];

/** What run() rejects with, but for AbortError and argument errors. */
export class ForkPoolError extends Error {
	constructor(code: string, message: string, extra?: {
		method?: string; attempts?: number; signal?: number;
		status?: number; cause?: unknown;
	});
	readonly name: 'ForkPoolError';
	/** The daemon's code, or the client's own. */
	code: ErrorCode | (string & {});
	/** The method of the call. */
	method: string | undefined;
	/** worker_crashed, and timeout of a running task: how often it ran. */
	attempts?: number;
	/** worker_crashed: the signal that killed the worker. */
	signal?: number;
	/** worker_crashed: the exit status of a worker that exited. */
	status?: number;
}

/** A value MessagePack carries, as this client sends and decodes it. */
export type Value =
	| null | undefined | boolean | number | bigint | string | Buffer
	| Uint8Array | Date | Value[] | { [key: string]: Value }
	| Map<Value, Value> | Set<Value>;

/** One map of forkpool.workers. */
export interface WorkerInfo {
	slot: number;
	pid: number;
	generation: number;
	state: 'starting' | 'idle' | 'busy' | 'retiring' | 'stopping' | 'empty';
	handler: string | null;
	running_us: number;
	tasks: number;
	failures: number;
	rss_bytes: number;
	age_s: number;
	[key: string]: unknown;
}

/** forkpool.stats: the counters of forkpool-rpc(7), and more. */
export interface Stats {
	tasks_ok: number;
	tasks_failed: number;
	tasks_timeout: number;
	tasks_cancelled: number;
	queued: number;
	running: number;
	connections: number;
	window: string;
	handlers: Record<string, {
		calls: number; ok: number; failed: number;
		errors?: Record<string, number>;
		[key: string]: unknown;
	}>;
	[key: string]: unknown;
}

export class ForkPool {
	constructor(options?: ForkPoolOptions);
	/** The socket this pool connects to. */
	readonly socket: string;
	/** The options in force, defaults included. */
	readonly options: Readonly<Required<Omit<ForkPoolOptions,
	    'socket' | 'timeout' | 'retries'>> &
	    Pick<ForkPoolOptions, 'timeout' | 'retries'>>;
	/** Connections open now. */
	readonly connected: number;
	/** Calls and notifications not settled yet. */
	readonly pending: number;
	/**
	 * Call method with the positional params; resolves to its result.
	 * Throws a TypeError at once for bad arguments (params not an array);
	 * rejects with a TypeError if a value cannot be encoded.
	 */
	run<T = any>(method: string, params?: Value[], options?: RunOptions):
	    Promise<T>;
	/**
	 * Send a notification: the daemon runs the handler and answers
	 * nothing.  Written with the next batch; dropped if no connection comes
	 * up within connectTimeout.  Throws ForkPoolError "closed" after
	 * close().
	 */
	notify(method: string, params?: Value[]): void;
	/** forkpool.ping: "pong". */
	ping(options?: AdminOptions): Promise<string>;
	/** forkpool.stats, over window "all" (default), "1m" or "5m". */
	stats(window?: 'all' | '1m' | '5m', options?: AdminOptions):
	    Promise<Stats>;
	/** forkpool.workers: one map per worker slot. */
	workers(options?: AdminOptions): Promise<WorkerInfo[]>;
	/** forkpool.handlers: the names of the daemon's handlers. */
	handlers(options?: AdminOptions): Promise<string[]>;
	/**
	 * Stop taking calls (run() rejects "closed"), wait for those in flight
	 * to be answered, then close the connections.  With force, reject those
	 * in flight with "closed" at once.  Idempotent.
	 */
	close(options?: { force?: boolean }): Promise<void>;
}

/** The default socket, by the rule above. */
export function defaultSocket(env?: NodeJS.ProcessEnv): string;

/** The defaults of ForkPoolOptions. */
export const DEFAULTS: Readonly<ForkPoolOptions>;
