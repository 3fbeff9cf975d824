// daemon.js -- a forkpoold of the test's own: started from $FORKPOOLD in a
// private temporary directory (foreground, test handlers on, no pidfile),
// ready when its socket answers forkpool.ping (bounded polling), stopped
// by its PID, restartable on the same socket.  Its standard error goes to
// $FP_LOGDIR/node_<name>.log when FP_LOGDIR is set (the test runner scans
// it for sanitizer reports), else to daemon.log in its directory.  Every
// daemon started is stopped at the end of the test file, also when a test
// fails.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after } from 'node:test';

export const FORKPOOLD = process.env.FORKPOOLD;
if (!FORKPOOLD)
	throw new Error('FORKPOOLD must name the forkpoold binary to test');
export const BUILD = process.env.FP_BUILD || path.dirname(FORKPOOLD);

const live = new Set();

// Poll cond() every 20 ms until it is truthy or ms have passed.
export async function waitFor(cond, ms, what) {
	const end = performance.now() + ms;
	for (;;) {
		const v = await cond();
		if (v)
			return v;
		if (performance.now() > end)
			throw new Error(`timed out after ${ms} ms waiting for ${what}`);
		await new Promise((r) => setTimeout(r, 20));
	}
}

// One raw forkpool.ping on a fresh connection: true if answered.
function pingOnce(sock) {
	return new Promise((resolve) => {
		const s = net.connect(sock);
		const done = (ok) => {
			s.destroy();
			resolve(ok);
		};
		s.setTimeout(1000, () => done(false));
		s.on('error', () => done(false));
		s.on('connect', () => s.write(Buffer.from(
		    [0x94, 0x00, 0x00, 0xad, ...Buffer.from('forkpool.ping'), 0x90])));
		s.on('data', () => done(true));
	});
}

export class Daemon {
	// conf: forkpool.conf(5) text; workers: -w.
	constructor(name, { conf = '', workers = 2 } = {}) {
		this.name = name;
		this.dir = fs.mkdtempSync(path.join(os.tmpdir().length > 40 ?
		    '/tmp' : os.tmpdir(), 'fpn-'));
		this.sock = path.join(this.dir, 'fp.sock');
		this.confPath = path.join(this.dir, 'fp.conf');
		fs.writeFileSync(this.confPath, conf);
		this.workers = workers;
		this.log = process.env.FP_LOGDIR ?
		    path.join(process.env.FP_LOGDIR, `node_${name}.log`) :
		    path.join(this.dir, 'daemon.log');
		this.proc = null;
	}

	async start() {
		const fd = fs.openSync(this.log, 'a');
		const p = spawn(FORKPOOLD, ['-d', '-T', '-s', this.sock, '-p', 'none',
		    '-w', String(this.workers), '-f', this.confPath],
		    { stdio: ['ignore', fd, fd] });
		fs.closeSync(fd);
		this.proc = p;
		this.exit = new Promise((resolve) => {
			p.on('exit', (code, signal) => {
				live.delete(p);
				resolve({ code, signal });
			});
		});
		live.add(p);
		let gone = false;
		this.exit.then(() => {
			gone = true;
		});
		await waitFor(async () => {
			if (gone)
				throw new Error(`forkpoold exited during start-up; see ` +
				    this.log);
			return pingOnce(this.sock);
		}, 10000, `forkpoold on ${this.sock}`);
		return this;
	}

	get pid() {
		return this.proc.pid;
	}

	// Send sig and wait (bounded) for the daemon to exit; its
	// {code, signal}.
	async stop(sig = 'SIGTERM') {
		const p = this.proc;
		if (p === null || p.exitCode !== null || p.signalCode !== null)
			return this.exit;
		p.kill(sig);
		const t = setTimeout(() => p.kill('SIGKILL'), 20000);
		const r = await this.exit;
		clearTimeout(t);
		return r;
	}

	// The daemon's log so far.
	logText() {
		return fs.readFileSync(this.log, 'utf8');
	}

	cleanup() {
		fs.rmSync(this.dir, { recursive: true, force: true });
	}
}

// Start a daemon; it is stopped after the test t, or without t after the
// test file's tests.
export async function startDaemon(name, options, t) {
	const d = new Daemon(name, options);
	await d.start();
	(t ? t.after.bind(t) : after)(async () => {
		await d.stop();
		d.cleanup();
	});
	return d;
}

export { pingOnce };

// Killed daemons, also when the test process is interrupted (the test
// runner's timeout sends SIGTERM to the process group).
process.on('exit', () => {
	for (const p of live)
		p.kill('SIGKILL');
});
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
	process.once(sig, () => {
		for (const p of live)
			p.kill('SIGKILL');
		process.exit(128 + os.constants.signals[sig]);
	});
}
