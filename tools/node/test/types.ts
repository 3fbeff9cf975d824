// types.ts -- uses the whole API, so that `tsc --noEmit --strict` checks
// index.d.ts (test/types.test.js runs it).  Never run.
import {
	ForkPool, ForkPoolError, DAEMON_CODES, CLIENT_CODES, DEFAULTS,
	defaultSocket,
	type ForkPoolOptions, type RunOptions, type ErrorCode, type Stats,
	type WorkerInfo, type Value,
} from 'forkpool';

const options: ForkPoolOptions = {
	socket: defaultSocket(),
	connections: 2,
	timeout: 5000,
	retries: 1,
	connectTimeout: 10000,
	timeoutGrace: 1000,
	reconnectDelay: 50,
	reconnectDelayMax: 2000,
	maxQueue: 10000,
};

async function main(): Promise<void> {
	const pool = new ForkPool(options);
	const ac = new AbortController();
	const ro: RunOptions = { timeout: 100, retries: 0, id: 'job-1',
	    signal: ac.signal };
	const s: string = await pool.run<string>('echo', ['hi'], ro);
	const b: Buffer = await pool.run<Buffer>('echo', [Buffer.from('x')]);
	const params: Value[] = [1, 2n, 0.1, null, 'x', new Uint8Array(1),
	    { a: [1, { b: true }] }, new Date(), undefined];
	await pool.run('echo', params);
	await pool.run('forkpool.ping');
	pool.notify('echo', [1]);
	pool.notify('echo');
	const pong: string = await pool.ping({ timeout: 100 });
	const st: Stats = await pool.stats('1m');
	const n: number = st.tasks_cancelled + st.handlers['echo'].calls;
	const ws: WorkerInfo[] = await pool.workers();
	const pid: number = ws[0].pid;
	const hs: string[] = await pool.handlers();
	const c: number = pool.connected + pool.pending;
	const sock: string = pool.socket;
	const t: number | undefined = pool.options.timeout;
	const k: number = pool.options.connections;
	try {
		await pool.run('crash', [9]);
	} catch (e) {
		if (e instanceof ForkPoolError) {
			const code: ErrorCode | string = e.code;
			const extra: [number | undefined, number | undefined,
			    number | undefined, string | undefined] =
			    [e.attempts, e.signal, e.status, e.method];
			void code;
			void extra;
		} else if (e instanceof DOMException && e.name === 'AbortError') {
			void e.cause;
		}
	}
	const all: readonly string[] = [...DAEMON_CODES, ...CLIENT_CODES];
	const d: number | undefined = DEFAULTS.connections;
	await pool.close();
	await pool.close({ force: true });
	void [s, b, pong, n, pid, hs, c, sock, t, k, all, d];
}

void main;
