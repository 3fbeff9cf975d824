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
 */
#include <sys/types.h>

#include <errno.h>
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

#include "forkpool.h"
#include "clock.h"
#include "mp.h"
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

int
bench(const char *path, int timeout_ms, int argc, char *argv[])
{
	struct bench	 b;
	struct conn	*cs = NULL;
	struct pollfd	*pfds = NULL;
	struct fp_result res;
	struct slot	 s;
	char		 err[256];
	uint64_t	 total, issued = 0, done = 0, t, tstart, tend, lat;
	uint32_t	 id;
	long long	 i, n;
	int		 ch, r, status = 3;
	double		 secs;

	memset(&b, 0, sizeof(b));
	b.method = BM_ECHO;
	b.mname = "echo";
	b.conns = 1;
	b.depth = 128;
	b.count = 100000;
	b.warmup = 1000;
	b.size = 64;

	/* Our own messages: getopt's would be prefixed "bench:". */
	optind = 1;
	opterr = 0;
	while ((ch = getopt(argc, argv, ":c:d:m:n:W:z:")) != -1) {
		switch (ch) {
		case 'c':
		case 'd':
		case 'n':
		case 'W':
		case 'z':
			if (number(&b, ch, optarg) == -1)
				return 2;
			break;
		case 'm':
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
		case ':':
			fprintf(stderr, "forkpool: bench: -%c needs an "
			    "argument\n", optopt);
			return 2;
		default:
			fprintf(stderr, "forkpool: bench: unknown option "
			    "-%c\n", optopt);
			return 2;
		}
	}
	if (optind != argc) {
		fprintf(stderr, "forkpool: bench: unexpected argument %s\n",
		    argv[optind]);
		return 2;
	}

	total = b.warmup + b.count;
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

	/* Without warm-up the clock starts now, else at its last answer. */
	tstart = tend = fp_now_ns();
	while (done < total) {
		/* Top every connection up, then one write each. */
		t = fp_now_ns();
		for (i = 0; i < b.conns; i++) {
			struct conn *k = &cs[i];

			while (k->outstanding < b.depth && issued < total) {
				if (b.method == BM_ECHO)
					params_seq(&b, issued);
				if (fp_client_submit(k->c, b.mname, b.params,
				    b.plen, &id) == -1) {
					fprintf(stderr, "forkpool: bench: "
					    "submit: %s\n", strerror(errno));
					goto out;
				}
				slot_put(k, id, issued++, t);
				k->outstanding++;
			}
			if (fp_client_flush(k->c) == -1) {
				fprintf(stderr, "forkpool: bench: write: %s\n",
				    strerror(errno));
				goto out;
			}
			pfds[i].events = fp_client_events(k->c);
		}

		for (i = 0; i < b.conns; i++)
			pfds[i].revents = 0;
		r = poll(pfds, b.conns, timeout_ms);
		if (r == -1 && errno != EINTR) {
			fprintf(stderr, "forkpool: bench: poll: %s\n",
			    strerror(errno));
			goto out;
		}
		if (r == 0) {
			fprintf(stderr, "forkpool: bench: timeout: no response "
			    "within %d ms\n", timeout_ms);
			status = 1;
			goto out;
		}
		for (i = 0; i < b.conns; i++) {
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
					goto out;
				}
				k->outstanding--;
				lat = t - s.t0;
				if (s.seq >= (uint64_t)b.warmup &&
				    b.nlat < (uint64_t)b.count)
					b.lat[b.nlat++] = lat;
				if (res.error != FP_OK)
					report(&b, "request %llu: %s: %s",
					    (unsigned long long)s.seq,
					    res.code, res.message);
				else if (check(&b, &res, s.seq) == -1)
					report(&b, "request %llu: wrong answer",
					    (unsigned long long)s.seq);
				if (++done == (uint64_t)b.warmup)
					tstart = t;
				tend = t;
			}
			if (r == -1) {
				fprintf(stderr, "forkpool: bench: %s\n", err);
				goto out;
			}
		}
	}

	qsort(b.lat, b.nlat, sizeof(*b.lat), cmp_u64);
	secs = (tend - tstart) / 1e9;
	printf("bench: method=%s conns=%lld depth=%lld size=%lld tasks=%lld "
	    "errors=%llu elapsed=%.3fs rate=%.0f/s p50=%.1fus p99=%.1fus "
	    "p999=%.1fus\n", b.mname, b.conns, b.depth, b.size, b.count,
	    (unsigned long long)b.errors, secs, secs > 0 ? b.count / secs : 0,
	    pct(&b, 500), pct(&b, 990), pct(&b, 999));
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
