/*
 * bench.c -- `forkpool bench': throughput and latency of a running daemon.
 *
 * One thread, poll(2) over every connection, `depth' requests outstanding
 * on each.  Requests are submitted in batches and written with one flush
 * per connection per round, as a well-behaved pipelining client would, so
 * what is measured is the daemon and not this loop.  Every answer is
 * checked: an echo must come back byte for byte, carrying the sequence
 * number of the request it answers, so a response delivered to the wrong
 * msgid is caught too.
 *
 * --sweep runs the same loop once per payload size and depth, each for a
 * time rather than a count, and reads forkpool.stats around each to give
 * the copies per byte of the daemon's data path (make bench).
 */
#include <sys/types.h>

#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "forkpool.h"
#include "clock.h"
#include "mp.h"
#include "units.h"
#include "bench.h"

#define MAX_CONNS	1000
#define MAX_DEPTH	65536
#define MAX_COUNT	50000000	/* 8 bytes of latency each */
#define MAX_SIZE	(1 << 30)
#define MAX_REPORTED	10		/* error lines before going quiet */

enum bmethod { BM_ECHO, BM_SPIN, BM_SLEEP, BM_PING };

/* An outstanding request, in a per-connection table keyed by msgid. */
struct slot {
	uint32_t	 msgid;
	uint32_t	 used;
	uint64_t	 seq;
	uint64_t	 t0;		/* submitted, ns */
};

struct conn {
	struct fp_client	*c;
	struct slot		*tab;
	uint32_t		 mask;
	uint32_t		 outstanding;
};

struct bench {
	enum bmethod	 method;
	const char	*mname;
	long long	 conns, depth, count, warmup, size;
	uint8_t		*params;	/* the params array, reused */
	size_t		 plen;
	size_t		 hlen;		/* array + bin header in params */
	uint64_t	 errors;
	uint64_t	*lat;		/* ns, measured requests only */
	uint64_t	 nlat;
	uint64_t	 budget_ns;	/* the sweep's time a row, or 0 */
	long long	 min_count;	/* measured at least, with budget_ns */
	double		 secs;		/* measured */
};

/*
 * Open addressing on msgid & mask: msgids are consecutive, so outstanding
 * requests rarely collide; the table has twice the slots ever in use.
 */
static void
slot_put(struct conn *k, uint32_t msgid, uint64_t seq, uint64_t t0)
{
	uint32_t	 i = msgid & k->mask;

	while (k->tab[i].used)
		i = (i + 1) & k->mask;
	k->tab[i].msgid = msgid;
	k->tab[i].used = 1;
	k->tab[i].seq = seq;
	k->tab[i].t0 = t0;
}

/* slot_take: remove the request msgid (backward-shift deletion). */
static int
slot_take(struct conn *k, uint32_t msgid, struct slot *out)
{
	uint32_t	 i = msgid & k->mask, j, h;

	while (k->tab[i].used && k->tab[i].msgid != msgid)
		i = (i + 1) & k->mask;
	if (!k->tab[i].used)
		return -1;
	*out = k->tab[i];
	for (j = i;;) {
		j = (j + 1) & k->mask;
		if (!k->tab[j].used)
			break;
		h = k->tab[j].msgid & k->mask;
		/* Move j back to the hole unless its home lies in (i, j]. */
		if (i <= j ? (h <= i || h > j) : (h <= i && h > j)) {
			k->tab[i] = k->tab[j];
			i = j;
		}
	}
	k->tab[i].used = 0;
	return 0;
}

/* params_init: [bin(size)] for echo, [size] for spin and sleep, []. */
static int
params_init(struct bench *b)
{
	uint8_t		*p;
	uint64_t	 n = b->size;
	size_t		 i;

	if ((b->params = malloc(16 + (b->method == BM_ECHO ? n : 0))) == NULL)
		return -1;
	p = b->params;
	if (b->method == BM_PING) {
		*p++ = 0x90;
		b->plen = b->hlen = 1;
		return 0;
	}
	*p++ = 0x91;
	if (b->method != BM_ECHO) {
		*p++ = 0xcf;
		for (i = 0; i < 8; i++)
			*p++ = n >> (56 - 8 * i);
		b->plen = b->hlen = p - b->params;
		return 0;
	}
	if (n <= 0xff) {
		*p++ = 0xc4;
		*p++ = n;
	} else if (n <= 0xffff) {
		*p++ = 0xc5;
		*p++ = n >> 8;
		*p++ = n;
	} else {
		*p++ = 0xc6;
		*p++ = n >> 24;
		*p++ = n >> 16;
		*p++ = n >> 8;
		*p++ = n;
	}
	b->hlen = p - b->params;
	for (i = 0; i < n; i++)
		p[i] = (i * 131 + 7) & 0xff;
	b->plen = b->hlen + n;
	return 0;
}

/* The first bytes of an echo payload carry the request's sequence. */
static void
params_seq(struct bench *b, uint64_t seq)
{
	size_t	 i;

	for (i = 0; i < 8 && i < (size_t)b->size; i++)
		b->params[b->hlen + i] = seq >> (8 * i);
}

static int
uint_value(const uint8_t *p, size_t len, uint64_t *v)
{
	struct fp_mp_head h;

	if (len < 1 || fp_mp_head(p, len, &h) != 0 ||
	    len != (size_t)h.hlen + h.len)
		return -1;
	if (h.type == FP_MP_UINT)
		*v = fp_mp_uint(p, &h);
	else if (h.type == FP_MP_INT && fp_mp_int(p, &h) >= 0)
		*v = (uint64_t)fp_mp_int(p, &h);
	else
		return -1;
	return 0;
}

/* check: is this the right answer to request seq? */
static int
check(struct bench *b, const struct fp_result *res, uint64_t seq)
{
	const uint8_t	*d = res->data, *pay;
	uint64_t	 v = 0;
	size_t		 i, hb = b->hlen - 1;

	switch (b->method) {
	case BM_PING:
		return res->len == 5 && memcmp(d, "\xa4pong", 5) == 0 ? 0 : -1;
	case BM_SPIN:
	case BM_SLEEP:
		return uint_value(d, res->len, &v) == 0 &&
		    v == (uint64_t)b->size ? 0 : -1;
	case BM_ECHO:
		if (res->len != hb + (size_t)b->size ||
		    memcmp(d, b->params + 1, hb) != 0)
			return -1;
		pay = d + hb;
		for (i = 0; i < 8 && i < (size_t)b->size; i++)
			if (pay[i] != (uint8_t)(seq >> (8 * i)))
				return -1;
		return memcmp(pay + i, b->params + b->hlen + i,
		    b->size - i) == 0 ? 0 : -1;
	}
	return -1;
}

static void
report(struct bench *b, const char *fmt, ...)
    __attribute__((__format__(__printf__, 2, 3)));

static void
report(struct bench *b, const char *fmt, ...)
{
	va_list	 ap;

	if (++b->errors > MAX_REPORTED)
		return;
	va_start(ap, fmt);
	fprintf(stderr, "forkpool: bench: ");
	vfprintf(stderr, fmt, ap);
	fprintf(stderr, "%s\n", b->errors == MAX_REPORTED ?
	    " (further errors not shown)" : "");
	va_end(ap);
}

static int
cmp_u64(const void *a, const void *b)
{
	uint64_t	 x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* pct: nearest-rank percentile (per mille), in microseconds. */
static double
pct(const struct bench *b, unsigned permille)
{
	uint64_t	 rank;

	if (b->nlat == 0)
		return 0;
	rank = (b->nlat * permille + 999) / 1000;
	if (rank < 1)
		rank = 1;
	return b->lat[rank - 1] / 1000.0;
}

/*
 * The numeric options -c, -d, -n, -W and -z: their ranges and fields.
 * 0, or -1 with the message on stderr.
 */
static int
number(struct bench *b, int opt, const char *s)
{
	static const struct {
		int		 opt;
		long long	 min, max;
		size_t		 off;
	} nums[] = {
		{ 'c', 1, MAX_CONNS, offsetof(struct bench, conns) },
		{ 'd', 1, MAX_DEPTH, offsetof(struct bench, depth) },
		{ 'n', 1, MAX_COUNT, offsetof(struct bench, count) },
		{ 'W', 0, LLONG_MAX / 2, offsetof(struct bench, warmup) },
		{ 'z', 0, MAX_SIZE, offsetof(struct bench, size) },
	};
	const char	*errstr;
	long long	 v;
	size_t		 i;

	for (i = 0; i < sizeof(nums) / sizeof(nums[0]); i++)
		if (nums[i].opt == opt)
			break;
	if (i == sizeof(nums) / sizeof(nums[0]))
		return -1;
	v = strtonum(s, nums[i].min, nums[i].max, &errstr);
	if (errstr != NULL) {
		fprintf(stderr, "forkpool: bench: -%c %s: %s (%lld..%lld)\n",
		    opt, s, errstr, nums[i].min, nums[i].max);
		return -1;
	}
	*(long long *)(void *)((char *)b + nums[i].off) = v;
	return 0;
}

/*
 * run: the load of b over its connections: b->warmup plus b->count
 * requests, or with b->budget_ns, requests until that long has passed
 * since the warm-up ended (b->min_count measured at least, b->count at
 * most).  Leaves the sorted latencies in b->lat and b->nlat, the measured
 * time in b->secs.  Returns 0, 1 (no response within timeout_ms) or 3.
 */
static int
run(struct bench *b, struct conn *cs, struct pollfd *pfds, int timeout_ms)
{
	struct fp_result res;
	struct slot	 s;
	char		 err[256];
	uint64_t	 total, issued = 0, done = 0, t, tstart, tend, lat;
	uint32_t	 id;
	long long	 i;
	int		 r;

	total = b->warmup + b->count;
	b->nlat = 0;
	/* Without warm-up the clock starts now, else at its last answer. */
	tstart = tend = fp_now_ns();
	while (done < total) {
		/* Top every connection up, then one write each. */
		t = fp_now_ns();
		for (i = 0; i < b->conns; i++) {
			struct conn *k = &cs[i];

			while (k->outstanding < b->depth && issued < total) {
				if (b->method == BM_ECHO)
					params_seq(b, issued);
				if (fp_client_submit(k->c, b->mname, b->params,
				    b->plen, &id) == -1) {
					fprintf(stderr, "forkpool: bench: "
					    "submit: %s\n", strerror(errno));
					return 3;
				}
				slot_put(k, id, issued++, t);
				k->outstanding++;
			}
			if (fp_client_flush(k->c) == -1) {
				fprintf(stderr, "forkpool: bench: write: %s\n",
				    strerror(errno));
				return 3;
			}
			pfds[i].events = fp_client_events(k->c);
		}

		for (i = 0; i < b->conns; i++)
			pfds[i].revents = 0;
		r = poll(pfds, b->conns, timeout_ms);
		if (r == -1 && errno != EINTR) {
			fprintf(stderr, "forkpool: bench: poll: %s\n",
			    strerror(errno));
			return 3;
		}
		if (r == 0) {
			fprintf(stderr, "forkpool: bench: timeout: no response "
			    "within %d ms\n", timeout_ms);
			return 1;
		}
		for (i = 0; i < b->conns; i++) {
			struct conn *k = &cs[i];

			if (pfds[i].revents == 0)
				continue;
			/* fp_client_next also writes what is pending. */
			while ((r = fp_client_next(k->c, &res, 0, err,
			    sizeof(err))) == 0) {
				t = fp_now_ns();
				if (slot_take(k, res.msgid, &s) == -1) {
					fprintf(stderr, "forkpool: bench: "
					    "response to unknown msgid %u\n",
					    res.msgid);
					return 3;
				}
				k->outstanding--;
				lat = t - s.t0;
				if (s.seq >= (uint64_t)b->warmup &&
				    b->nlat < (uint64_t)b->count)
					b->lat[b->nlat++] = lat;
				if (res.error != FP_OK)
					report(b, "request %llu: %s: %s",
					    (unsigned long long)s.seq,
					    res.code, res.message);
				else if (check(b, &res, s.seq) == -1)
					report(b, "request %llu: wrong answer",
					    (unsigned long long)s.seq);
				if (++done == (uint64_t)b->warmup)
					tstart = t;
				tend = t;
			}
			if (r == -1) {
				fprintf(stderr, "forkpool: bench: %s\n", err);
				return 3;
			}
		}
		/* Time is up: send no more, wait for what is outstanding. */
		if (b->budget_ns > 0 && done >= (uint64_t)b->warmup &&
		    tend - tstart >= b->budget_ns &&
		    b->nlat >= (uint64_t)b->min_count)
			total = issued;
	}

	qsort(b->lat, b->nlat, sizeof(*b->lat), cmp_u64);
	b->secs = (tend - tstart) / 1e9;
	return 0;
}

/* ---- the sweep ---------------------------------------------------------- */

/*
 * One row a payload size and depth: echo for SWEEP_MS (--sweep-time), at
 * least SWEEP_MIN_TASKS measured, after a warm-up of SWEEP_WARM_BYTES of
 * payload (1 to 1000 tasks).  At most SWEEP_INFLIGHT_BYTES of payload are
 * outstanding: the daemon holds each request about three times (its input
 * buffer, the task's params, the answer) against max-buffered, 256M by
 * default, past which it answers queue_full.  A payload of SWEEP_TOP or
 * more loses SWEEP_ROOM bytes, for the request around it to fit in the
 * default max-request-size (64M).  Before the stats call that ends a row,
 * SWEEP_FOLD_MS for the workers' counters to be folded (every 100 ms).
 */
#define SWEEP_MS		2000
#define SWEEP_MIN_TASKS		5
#define SWEEP_MAX_TASKS		4000000		/* 8 bytes of latency each */
#define SWEEP_WARM_BYTES	(4 << 20)
#define SWEEP_INFLIGHT_BYTES	(64 << 20)
#define SWEEP_TOP		(64 << 20)
#define SWEEP_ROOM		64
#define SWEEP_FOLD_MS		200
#define SWEEP_MAX_SIZE		(64LL << 20)
#define SWEEP_MAX_DEPTHS	8

struct sweep {
	long long	 min, max;	/* payload sizes */
	long long	 ms;		/* per row */
	long long	 depth[SWEEP_MAX_DEPTHS];
	int		 ndepth;
};

/* The byte counters of forkpool.stats (have: all three were there). */
struct sweep_bytes {
	uint64_t	 received, sent, copied;
	int		 have;
};

/* size: a byte count, as forkpool.conf(5) writes sizes (64K, 16M). */
static int
sweep_size(const char *opt, const char *s, long long *out)
{
	const char	*errstr = NULL;
	uint64_t	 v;

	if (fp_parse_size(s, &v) == -1)
		errstr = "invalid";
	else if (v < 1)
		errstr = "too small";
	else if (v > (uint64_t)SWEEP_MAX_SIZE)
		errstr = "too large";
	if (errstr == NULL) {
		*out = (long long)v;
		return 0;
	}
	fprintf(stderr, "forkpool: bench: %s %s: %s (1..64M)\n", opt, s,
	    errstr);
	return -1;
}

/* --inflight 1,8: depths, each 1 to MAX_DEPTH. */
static int
sweep_depths(struct sweep *sw, const char *s)
{
	char		 buf[256], *p, *q;
	const char	*errstr;

	if (strlcpy(buf, s, sizeof(buf)) >= sizeof(buf)) {
		fprintf(stderr, "forkpool: bench: --inflight %s: too long\n",
		    s);
		return -1;
	}
	sw->ndepth = 0;
	for (p = buf; p != NULL; p = q) {
		if ((q = strchr(p, ',')) != NULL)
			*q++ = '\0';
		if (sw->ndepth == SWEEP_MAX_DEPTHS) {
			fprintf(stderr, "forkpool: bench: --inflight %s: more "
			    "than %d depths\n", s, SWEEP_MAX_DEPTHS);
			return -1;
		}
		sw->depth[sw->ndepth++] = strtonum(p, 1, MAX_DEPTH, &errstr);
		if (errstr != NULL) {
			fprintf(stderr, "forkpool: bench: --inflight %s: %s: "
			    "%s (1..%d)\n", s, p, errstr, MAX_DEPTH);
			return -1;
		}
	}
	return 0;
}

/* forkpool.stats on k's connection, which has nothing outstanding. */
static int
sweep_stats(struct conn *k, int timeout_ms, struct sweep_bytes *out)
{
	struct fp_mp_reader rd;
	struct fp_result res;
	const char	*key;
	char		 err[256];
	uint64_t	 v;
	uint32_t	 n, kl;
	int		 r, found = 0;

	memset(out, 0, sizeof(*out));
	r = fp_client_call(k->c, "forkpool.stats", "\x90", 1, &res,
	    timeout_ms, err, sizeof(err));
	if (r == FP_AGAIN) {
		fprintf(stderr, "forkpool: bench: timeout: forkpool.stats: no "
		    "answer within %d ms\n", timeout_ms);
		return 1;
	}
	if (r == -1) {
		fprintf(stderr, "forkpool: bench: forkpool.stats: %s\n", err);
		return 3;
	}
	if (res.error != FP_OK) {
		fprintf(stderr, "forkpool: bench: forkpool.stats: %s: %s\n",
		    res.code, res.message);
		return 1;
	}
	rd.p = res.data;
	rd.len = res.len;
	rd.off = 0;
	if (fp_mp_read_map(&rd, &n) == -1)
		goto bad;
	while (n-- > 0) {
		if (fp_mp_read_str(&rd, &key, &kl) == -1)
			goto bad;
#define KEY(s)	(kl == sizeof(s) - 1 && memcmp(key, s, kl) == 0)
		if (KEY("bytes_received") || KEY("bytes_sent") ||
		    KEY("bytes_copied")) {
			if (fp_mp_read_uint(&rd, &v) == -1)
				goto bad;
			if (KEY("bytes_received"))
				out->received = v;
			else if (KEY("bytes_sent"))
				out->sent = v;
			else
				out->copied = v;
			found++;
		} else if (fp_mp_read_skip(&rd) == -1)
			goto bad;
#undef KEY
	}
	/* A daemon without them: copies per byte are not known. */
	out->have = found == 3;
	return 0;
bad:
	fprintf(stderr, "forkpool: bench: forkpool.stats: malformed answer\n");
	return 3;
}

/* A payload size as 64, 4K, 16M, 64M-64 or the bytes. */
static void
sweep_label(char *buf, size_t len, long long size)
{
	if (size % (1 << 20) == 0)
		snprintf(buf, len, "%lldM", size >> 20);
	else if (size % (1 << 10) == 0)
		snprintf(buf, len, "%lldK", size >> 10);
	else if (size < SWEEP_TOP && (size + SWEEP_ROOM) % (1 << 20) == 0)
		snprintf(buf, len, "%lldM-%d", (size + SWEEP_ROOM) >> 20,
		    SWEEP_ROOM);
	else
		snprintf(buf, len, "%lld", size);
}

static int
sweep(struct bench *b, const struct sweep *sw, const char *path,
    int timeout_ms)
{
	struct conn	 k;
	struct pollfd	 pfd;
	struct sweep_bytes before, after;
	struct timespec	 ts;
	char		 err[256], label[32], cpb[32];
	long long	 size, psize, d, n, prev[SWEEP_MAX_DEPTHS];
	double		 moved;
	uint64_t	 e0;
	int		 i, j, np, status = 3;

	memset(&k, 0, sizeof(k));
	memset(&pfd, 0, sizeof(pfd));
	b->conns = 1;
	b->count = SWEEP_MAX_TASKS;
	b->budget_ns = (uint64_t)sw->ms * 1000000;
	b->min_count = SWEEP_MIN_TASKS;
	for (d = 1, i = 0; i < sw->ndepth; i++)
		if (sw->depth[i] > d)
			d = sw->depth[i];
	for (n = 2; n < 2 * d; n *= 2)
		;
	k.mask = n - 1;
	if ((k.tab = calloc(n, sizeof(*k.tab))) == NULL ||
	    (b->lat = reallocarray(NULL, b->count, sizeof(*b->lat))) ==
	    NULL) {
		fprintf(stderr, "forkpool: bench: out of memory\n");
		goto out;
	}
	if ((k.c = fp_client_open(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "forkpool: %s\n", err);
		goto out;
	}
	pfd.fd = fp_client_fd(k.c);

	printf("%-8s %8s %8s %10s %9s %9s %9s %8s\n", "size", "inflight",
	    "tasks", "tasks/s", "GB/s", "p50_us", "p99_us", "copies/B");
	fflush(stdout);
	for (size = sw->min; size <= sw->max; size *= 4) {
		psize = size >= SWEEP_TOP ? size - SWEEP_ROOM : size;
		free(b->params);
		b->params = NULL;
		b->size = psize;
		if (params_init(b) == -1) {
			fprintf(stderr, "forkpool: bench: out of memory\n");
			goto out;
		}
		sweep_label(label, sizeof(label), psize);
		for (np = 0, i = 0; i < sw->ndepth; i++) {
			d = sw->depth[i];
			if (d * psize > SWEEP_INFLIGHT_BYTES)
				d = psize >= SWEEP_INFLIGHT_BYTES ? 1 :
				    SWEEP_INFLIGHT_BYTES / psize;
			/* A depth cut to one measured already: once. */
			for (j = 0; j < np && prev[j] != d; j++)
				;
			if (j < np)
				continue;
			prev[np++] = d;
			b->depth = d;
			b->warmup = SWEEP_WARM_BYTES / psize;
			if (b->warmup < 1)
				b->warmup = 1;
			if (b->warmup > 1000)
				b->warmup = 1000;
			e0 = b->errors;
			if ((status = sweep_stats(&k, timeout_ms, &before)) !=
			    0 || (status = run(b, &k, &pfd, timeout_ms)) != 0)
				goto out;
			ts.tv_sec = 0;
			ts.tv_nsec = SWEEP_FOLD_MS * 1000000L;
			while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
				;
			if ((status = sweep_stats(&k, timeout_ms, &after)) != 0)
				goto out;
			/* Every task of the row, its warm-up included. */
			moved = 2.0 * (double)psize *
			    (double)(b->warmup + b->nlat);
			if (before.have && after.have && moved > 0)
				snprintf(cpb, sizeof(cpb), "%.2f",
				    (double)((after.received - before.received) +
				    (after.sent - before.sent) +
				    (after.copied - before.copied)) / moved);
			else
				strlcpy(cpb, "-", sizeof(cpb));
			/* A row with failed requests measures nothing. */
			if (b->errors != e0)
				printf("%-8s %8lld %8llu failed: %llu errors, "
				    "no figures\n", label, d,
				    (unsigned long long)b->nlat,
				    (unsigned long long)(b->errors - e0));
			else
				printf("%-8s %8lld %8llu %10.1f %9.3g %9.1f "
				    "%9.1f %8s\n", label, d,
				    (unsigned long long)b->nlat,
				    b->secs > 0 ? b->nlat / b->secs : 0,
				    b->secs > 0 ? (double)psize * b->nlat /
				    b->secs / 1e9 : 0, pct(b, 500), pct(b, 990),
				    cpb);
			if (fflush(stdout) == EOF)
				fprintf(stderr, "forkpool: stdout: %s\n",
				    strerror(errno));
		}
		if (size > SWEEP_MAX_SIZE / 4)
			break;
	}
	status = b->errors > 0 ? 1 : 0;
out:
	fp_client_close(k.c);
	free(k.tab);
	return status;
}

/* Long options, all of the sweep. */
enum { O_SWEEP = 256, O_SWEEP_MIN, O_SWEEP_MAX, O_SWEEP_TIME, O_INFLIGHT };
static const struct option longopts[] = {
	{ "sweep",	no_argument,		NULL, O_SWEEP },
	{ "sweep-min",	required_argument,	NULL, O_SWEEP_MIN },
	{ "sweep-max",	required_argument,	NULL, O_SWEEP_MAX },
	{ "sweep-time",	required_argument,	NULL, O_SWEEP_TIME },
	{ "inflight",	required_argument,	NULL, O_INFLIGHT },
	{ NULL,		0,			NULL, 0 },
};

int
bench(const char *path, int timeout_ms, int argc, char *argv[])
{
	struct bench	 b;
	struct sweep	 sw;
	struct conn	*cs = NULL;
	struct pollfd	*pfds = NULL;
	const char	*errstr;
	char		 err[256];
	long long	 i, n;
	int		 ch, status = 3, sweeping = 0, single = 0, sweepopt = 0;

	memset(&b, 0, sizeof(b));
	b.method = BM_ECHO;
	b.mname = "echo";
	b.conns = 1;
	b.depth = 128;
	b.count = 100000;
	b.warmup = 1000;
	b.size = 64;
	memset(&sw, 0, sizeof(sw));
	sw.min = 64;
	sw.max = SWEEP_MAX_SIZE;
	sw.ms = SWEEP_MS;
	sw.depth[0] = 1;
	sw.depth[1] = 8;
	sw.ndepth = 2;

	/* Our own messages: getopt's would be prefixed "bench:". */
	optind = 1;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":c:d:m:n:W:z:", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 'c':
		case 'd':
		case 'n':
		case 'W':
		case 'z':
			single = 1;
			if (number(&b, ch, optarg) == -1)
				return 2;
			break;
		case 'm':
			single = 1;
			b.mname = optarg;
			if (strcmp(optarg, "echo") == 0)
				b.method = BM_ECHO;
			else if (strcmp(optarg, "spin") == 0)
				b.method = BM_SPIN;
			else if (strcmp(optarg, "sleep") == 0)
				b.method = BM_SLEEP;
			else if (strcmp(optarg, "forkpool.ping") == 0)
				b.method = BM_PING;
			else {
				fprintf(stderr, "forkpool: bench: -m %s: not "
				    "echo, spin, sleep or forkpool.ping\n",
				    optarg);
				return 2;
			}
			break;
		case O_SWEEP:
			sweeping = 1;
			break;
		case O_SWEEP_MIN:
			sweepopt = 1;
			if (sweep_size("--sweep-min", optarg, &sw.min) == -1)
				return 2;
			break;
		case O_SWEEP_MAX:
			sweepopt = 1;
			if (sweep_size("--sweep-max", optarg, &sw.max) == -1)
				return 2;
			break;
		case O_SWEEP_TIME:
			sweepopt = 1;
			sw.ms = strtonum(optarg, 10, 600000, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "forkpool: bench: --sweep-time "
				    "%s: %s (10..600000)\n", optarg, errstr);
				return 2;
			}
			break;
		case O_INFLIGHT:
			sweepopt = 1;
			if (sweep_depths(&sw, optarg) == -1)
				return 2;
			break;
		case ':':
			if (optopt >= O_SWEEP)
				fprintf(stderr, "forkpool: bench: %s needs an "
				    "argument\n", argv[optind - 1]);
			else
				fprintf(stderr, "forkpool: bench: -%c needs an "
				    "argument\n", optopt);
			return 2;
		default:
			if (optopt == 0)
				fprintf(stderr, "forkpool: bench: unknown "
				    "option %s\n", argv[optind - 1]);
			else
				fprintf(stderr, "forkpool: bench: unknown "
				    "option -%c\n", optopt);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "forkpool: bench: unexpected argument %s\n",
		    argv[optind]);
		return 2;
	}
	if (sweepopt && !sweeping) {
		fprintf(stderr, "forkpool: bench: --sweep-min, --sweep-max, "
		    "--sweep-time and --inflight go with --sweep\n");
		return 2;
	}
	if (sweeping && single) {
		fprintf(stderr, "forkpool: bench: --sweep runs echo with its "
		    "own counts: no -c, -d, -m, -n, -W or -z\n");
		return 2;
	}
	if (sweeping && sw.min > sw.max) {
		fprintf(stderr, "forkpool: bench: --sweep-min %lld is above "
		    "--sweep-max %lld\n", sw.min, sw.max);
		return 2;
	}
	if (sweeping) {
		status = sweep(&b, &sw, path, timeout_ms);
		goto out;
	}

	if (params_init(&b) == -1 ||
	    (b.lat = reallocarray(NULL, b.count, sizeof(*b.lat))) == NULL ||
	    (cs = calloc(b.conns, sizeof(*cs))) == NULL ||
	    (pfds = calloc(b.conns, sizeof(*pfds))) == NULL) {
		fprintf(stderr, "forkpool: bench: out of memory\n");
		goto out;
	}
	for (i = 0; i < b.conns; i++) {
		for (n = 2; n < 2 * b.depth; n *= 2)
			;
		cs[i].mask = n - 1;
		if ((cs[i].tab = calloc(n, sizeof(*cs[i].tab))) == NULL) {
			fprintf(stderr, "forkpool: bench: out of memory\n");
			goto out;
		}
		if ((cs[i].c = fp_client_open(path, err, sizeof(err))) ==
		    NULL) {
			fprintf(stderr, "forkpool: %s\n", err);
			goto out;
		}
		pfds[i].fd = fp_client_fd(cs[i].c);
	}

	if ((status = run(&b, cs, pfds, timeout_ms)) != 0)
		goto out;
	printf("bench: method=%s conns=%lld depth=%lld size=%lld tasks=%lld "
	    "errors=%llu elapsed=%.3fs rate=%.0f/s p50=%.1fus p99=%.1fus "
	    "p999=%.1fus\n", b.mname, b.conns, b.depth, b.size, b.count,
	    (unsigned long long)b.errors, b.secs, b.secs > 0 ? b.count /
	    b.secs : 0, pct(&b, 500), pct(&b, 990), pct(&b, 999));
	if (fflush(stdout) == EOF)
		fprintf(stderr, "forkpool: stdout: %s\n", strerror(errno));
	status = b.errors > 0 ? 1 : 0;
out:
	for (i = 0; cs != NULL && i < b.conns; i++) {
		fp_client_close(cs[i].c);
		free(cs[i].tab);
	}
	free(cs);
	free(pfds);
	free(b.lat);
	free(b.params);
	return status;
}
