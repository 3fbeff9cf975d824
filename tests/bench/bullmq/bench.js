// bench.js -- BullMQ on the same Redis as forkpoold's stream benchmark
// (tests/bench/streams.sh), doing the same echo; rows in the format of
// tests/bench/streams.py (one JSON line each), which prints the table.
//
//	node bench.js worker --port P --queue Q [--concurrency C]
//	    A Worker whose processor returns job.data (the echo), with
//	    concurrency C (default 1); prints "ready" once it is connected,
//	    closes on SIGTERM (waiting for its jobs) and exits 0.
//	node bench.js throughput --port P --queue Q -n N --variant V
//	    Queue.addBulk of N jobs {i} in chunks of 1000, then waits until
//	    the queue has completed N more; the time is from just before the
//	    first addBulk to the largest finishedOn (the score of the
//	    completed set); checks that none failed, that nothing is left
//	    waiting or active, and that every job's return value is its data.
//	node bench.js latency --port P --queue Q -n N --warmup W --depth D
//	    D loops of queue.add + job.waitUntilFinished(queueEvents): the
//	    round trip of each job, p50/p99, us per job (elapsed / N).
//
// Jobs use BullMQ's defaults (no removeOnComplete: a completed job stays,
// as a forkpool answer stays in its reply stream).  Exit status 1 if an
// anomaly was seen (the row is printed all the same), 64 on a usage error.
// Runs on Node.js 18 and later.

import { Queue, QueueEvents, Worker } from 'bullmq';
import IORedis from 'ioredis';
import fs from 'node:fs';
import path from 'node:path';

function usage(msg) {
	process.stderr.write(`bench.js: ${msg}\n`);
	process.exit(64);
}

function parse(argv) {
	const a = { mode: argv[0], host: '127.0.0.1', port: 6379, queue: '',
	    n: 20000, warmup: 200, depth: 1, concurrency: 1, variant: '',
	    wait: 60, cpuPids: [] };
	for (let i = 1; i < argv.length; i++) {
		const k = argv[i], v = argv[i + 1];
		if (v === undefined)
			usage(`${k}: a value is missing`);
		i++;
		switch (k) {
		case '--host': a.host = v; break;
		case '--port': a.port = Number(v); break;
		case '--queue': a.queue = v; break;
		case '-n': a.n = Number(v); break;
		case '--warmup': a.warmup = Number(v); break;
		case '--depth': a.depth = Number(v); break;
		case '--concurrency': a.concurrency = Number(v); break;
		case '--variant': a.variant = v; break;
		case '--wait': a.wait = Number(v); break;
		case '--cpu-pid': a.cpuPids.push(Number(v)); break;
		default: usage(`unknown option ${k}`);
		}
	}
	if (!['worker', 'throughput', 'latency'].includes(a.mode))
		usage('mode: worker, throughput or latency');
	if (!a.queue)
		usage('--queue is required');
	return a;
}

const a = parse(process.argv.slice(2));
const connection = { host: a.host, port: a.port, maxRetriesPerRequest: null };

function cmdline() {
	const prog = path.relative(process.cwd(), process.argv[1]);
	const q = (s) => /^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, "'\\''")}'`;
	return ['node', prog, ...process.argv.slice(2)].map(q).join(' ');
}

function emit(row, anomalies) {
	row.anomalies = anomalies;
	row.cmd = cmdline();
	process.stdout.write(JSON.stringify(row) + '\n');
	return Object.keys(anomalies).length ? 1 : 0;
}

function pct(xs, p) {
	if (xs.length === 0)
		return 0;
	const k = Math.max(0, Math.min(xs.length - 1,
	    Math.round(p / 100 * xs.length + 0.5) - 1));
	return xs[k];
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

// CPU seconds (user + system) of a process, from /proc (0 if gone);
// clock ticks of 100 Hz (Linux's USER_HZ).
function procCpu(pid) {
	try {
		const st = fs.readFileSync(`/proc/${pid}/stat`, 'utf8')
		    .split(')').pop().trim().split(/\s+/);
		return (Number(st[11]) + Number(st[12])) / 100;
	} catch {
		return 0;
	}
}

async function redisCpu(r) {
	const info = await r.info('cpu');
	const f = (k) => Number((info.match(new RegExp(`${k}:([0-9.]+)`)) ||
	    [0, 0])[1]);
	return f('used_cpu_user') + f('used_cpu_sys');
}

async function redisMem(r) {
	const m = (await r.info('memory')).match(/used_memory:([0-9]+)/);
	return m ? Number(m[1]) : 0;
}

const sum = (xs) => xs.reduce((x, y) => x + y, 0);

async function worker() {
	const w = new Worker(a.queue, async (job) => job.data,
	    { connection, concurrency: a.concurrency });
	w.on('error', (e) => process.stderr.write(`worker: ${e.message}\n`));
	await w.waitUntilReady();
	process.stdout.write('ready\n');
	await new Promise((resolve) => {
		process.once('SIGTERM', resolve);
		process.once('SIGINT', resolve);
	});
	await w.close();
	return 0;
}

async function throughput() {
	const q = new Queue(a.queue, { connection });
	const r = new IORedis(connection);
	const anomalies = {};
	const base = await q.getJobCounts('completed', 'failed');
	const mem0 = await redisMem(r);
	const cpu0 = [await redisCpu(r), sum(a.cpuPids.map(procCpu)),
	    process.cpuUsage()];
	const jobs = [];
	for (let i = 0; i < a.n; i++)
		jobs.push({ name: 'echo', data: { i } });
	const ids = [];
	const t0 = Date.now();
	const h0 = process.hrtime.bigint();
	for (let i = 0; i < a.n; i += 1000)
		for (const j of await q.addBulk(jobs.slice(i, i + 1000)))
			ids.push(j.id);
	const addS = Number(process.hrtime.bigint() - h0) / 1e9;
	const deadline = Date.now() + a.wait * 1000;
	let c;
	for (;;) {
		c = await q.getJobCounts('completed', 'failed');
		if (c.completed + c.failed - base.completed - base.failed >= a.n ||
		    Date.now() > deadline)
			break;
		await sleep(5);
	}
	const wallS = Number(process.hrtime.bigint() - h0) / 1e9;
	const own = process.cpuUsage(cpu0[2]);
	const cpu1 = [await redisCpu(r), sum(a.cpuPids.map(procCpu))];
	const mem1 = await redisMem(r);
	const last = await r.zrange(`bull:${a.queue}:completed`, -1, -1,
	    'WITHSCORES');
	const seconds = (Number(last[1]) - t0) / 1000;
	if (c.failed !== base.failed)
		anomalies.failed = c.failed - base.failed;
	if (c.completed - base.completed !== a.n)
		anomalies.completed = c.completed - base.completed;
	const left = await q.getJobCounts('waiting', 'active', 'delayed');
	for (const k of Object.keys(left))
		if (left[k])
			anomalies[k] = left[k];
	// Every job's return value is its data.
	const p = r.pipeline();
	for (const id of ids)
		p.hget(`bull:${a.queue}:${id}`, 'returnvalue');
	let wrong = 0;
	(await p.exec()).forEach(([err, v], i) => {
		let rv;
		try { rv = JSON.parse(v); } catch { rv = undefined; }
		if (err || !rv || rv.i !== i)
			wrong++;
	});
	if (wrong)
		anomalies.wrong_result = wrong;
	await q.close();
	r.disconnect();
	const row = { case: 'throughput', variant: a.variant, n: a.n,
	    entries_s: seconds > 0 ? a.n / seconds : 0, seconds, add_s: addS,
	    wall_s: wallS, redis_us: (cpu1[0] - cpu0[0]) * 1e6 / a.n,
	    producer_us: (own.user + own.system) / a.n,
	    mem_b: (mem1 - mem0) / a.n };
	if (a.cpuPids.length)
		row.consumers_us = (cpu1[1] - cpu0[1]) * 1e6 / a.n;
	return emit(row, anomalies);
}

async function latency() {
	const q = new Queue(a.queue, { connection });
	const ev = new QueueEvents(a.queue, { connection });
	// waitUntilFinished adds listeners per job: D of them at once.
	q.setMaxListeners(a.depth + 10);
	ev.setMaxListeners(a.depth + 10);
	await ev.waitUntilReady();
	await q.waitUntilReady();
	const anomalies = {};
	const lat = [];
	let next = 0;
	async function loop(limit, record) {
		while (next < limit) {
			const i = next++;
			const t = process.hrtime.bigint();
			const job = await q.add('echo', { i });
			let res;
			try {
				res = await job.waitUntilFinished(ev, 5000);
			} catch (e) {
				// (the job id at the end of BullMQ's message left out)
				const m = String(e.message || e).replace(/ \(id=.*/, '');
				const k = record ? 'errors' : 'errors_in_warmup';
				anomalies[k] = anomalies[k] || {};
				anomalies[k][m] = (anomalies[k][m] || 0) + 1;
				continue;
			}
			if (!res || res.i !== i)
				anomalies.wrong_result = (anomalies.wrong_result || 0) + 1;
			if (record)
				lat.push(Number(process.hrtime.bigint() - t) / 1e3);
		}
	}
	const loops = (limit, record) =>
	    Promise.all(Array.from({ length: a.depth }, () => loop(limit, record)));
	await loops(a.warmup, false);
	const h0 = process.hrtime.bigint();
	await loops(a.warmup + a.n, true);
	const el = Number(process.hrtime.bigint() - h0) / 1e9;
	lat.sort((x, y) => x - y);
	await ev.close();
	await q.close();
	return emit({ case: `rt-d${a.depth}`, variant: a.variant || 'bullmq',
	    n: lat.length, us_task: el * 1e6 / Math.max(1, lat.length),
	    p50_us: pct(lat, 50), p99_us: pct(lat, 99),
	    tasks_s: lat.length / el }, anomalies);
}

const run = { worker, throughput, latency }[a.mode];
run().then((rc) => process.exit(rc), (e) => {
	process.stderr.write(`bench.js ${a.mode}: ${e.stack || e}\n`);
	process.exit(2);
});
