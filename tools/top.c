/*
 * top.c -- the pool seen from its RPC answers: the plain-text tables of
 * `forkpool stats', `workers' and `slowlog', and `forkpool top', the live
 * full-screen view.
 *
 * Everything shown comes from forkpool.stats, forkpool.workers and
 * forkpool.slowlog (forkpool-rpc(7)); the answers are read in place with
 * lib/mp.h's readers, never trusted for their shape: a key that is missing
 * or of another type shows as 0 or "-".  Every string from the daemon
 * (handler names, correlation ids, parameters) reaches the terminal only
 * as printable ASCII: a control byte in a name must not move the cursor.
 *
 * top uses plain ANSI escapes and termios, no curses: the alternate
 * screen, a hidden cursor, no line wrap, and the terminal in cbreak mode
 * (ISIG kept, so C-c is SIGINT).  The signals that end it (INT, TERM, HUP)
 * and SIGWINCH are blocked but in ppoll(2), and only set a flag: the loop
 * restores the terminal itself, then ends as the signal would.
 */
#include <sys/types.h>
#include <sys/ioctl.h>

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>

#include "forkpool.h"
#include "buf.h"
#include "clock.h"
#include "json.h"
#include "mp.h"
#include "top.h"

#define NAME_MAX_SHOWN	64	/* bytes of a handler name kept */
#define LINE_MAX_BYTES	512	/* a line of top before the cut */
#define TOP_TIMEOUT_MS	5000	/* a call of top, unless -t */
#define TOP_D_MIN	0.1
#define TOP_D_MAX	3600.0

/* ---- reading the answers ---------------------------------------------- */

/* One MessagePack object of an answer: its bytes. */
struct obj {
	const uint8_t	*p;
	size_t		 len;
};

/* obj_type: the FP_MP_* type of o, or -1 if o is empty or not MessagePack. */
static int
obj_type(struct obj o)
{
	struct fp_mp_head h;

	if (o.len == 0 || fp_mp_head(o.p, o.len, &h) != 0)
		return -1;
	return h.type;
}

/*
 * Iterating over an array (n values) or a map (n key-value pairs): each
 * step reads the next object as a struct obj.
 */
struct iter {
	struct fp_mp_reader r;
	uint32_t	 n;
};

static int
iter_array(struct obj o, struct iter *it)
{
	it->r = (struct fp_mp_reader){ o.p, o.len, 0 };
	return fp_mp_read_array(&it->r, &it->n);
}

static int
iter_map(struct obj o, struct iter *it)
{
	it->r = (struct fp_mp_reader){ o.p, o.len, 0 };
	return fp_mp_read_map(&it->r, &it->n);
}

static int
iter_next(struct iter *it, struct obj *o)
{
	return fp_mp_read_raw(&it->r, &o->p, &o->len);
}

/* map_get: the value under the str key `key' in map m; 0, or -1. */
static int
map_get(struct obj m, const char *key, struct obj *v)
{
	struct iter	 it;
	struct obj	 k;
	const char	*s;
	uint32_t	 i, n;
	size_t		 kl = strlen(key);

	if (iter_map(m, &it) == -1)
		return -1;
	for (i = 0; i < it.n; i++) {
		if (iter_next(&it, &k) == -1 || iter_next(&it, v) == -1)
			return -1;
		if (k.len > 0 && obj_type(k) == FP_MP_STR) {
			struct fp_mp_reader r = { k.p, k.len, 0 };

			if (fp_mp_read_str(&r, &s, &n) == 0 && n == kl &&
			    memcmp(s, key, kl) == 0)
				return 0;
		}
	}
	return -1;
}

/* obj_num: the value of a number (int, uint or float) o; 0, or -1. */
static int
obj_num(struct obj o, double *d)
{
	struct fp_mp_head h;
	uint32_t	 u32;
	uint64_t	 u64;
	float		 f;

	if (o.len == 0 || fp_mp_head(o.p, o.len, &h) != 0 ||
	    o.len < h.hlen + (h.type == FP_MP_FLOAT || h.len == 0 ? 0 : h.len))
		return -1;
	switch (h.type) {
	case FP_MP_UINT:
		*d = (double)fp_mp_uint(o.p, &h);
		return 0;
	case FP_MP_INT:
		*d = (double)fp_mp_int(o.p, &h);
		return 0;
	case FP_MP_FLOAT:
		if (o.len < 1 + h.len)
			return -1;
		if (h.len == 4) {
			u32 = fp_mp_be32(o.p + 1);
			memcpy(&f, &u32, 4);
			*d = f;
		} else {
			u64 = fp_mp_be64(o.p + 1);
			memcpy(d, &u64, 8);
		}
		return isfinite(*d) ? 0 : -1;
	default:
		return -1;
	}
}

/* num: the number under key in m, 0 when absent, negative or not one. */
static double
num(struct obj m, const char *key)
{
	struct obj	 v;
	double		 d;

	if (map_get(m, key, &v) == -1 || obj_num(v, &d) == -1 || d < 0)
		return 0;
	return d;
}

static uint64_t
u64(struct obj m, const char *key)
{
	double		 d = num(m, key);

	return d >= 18446744073709551615.0 ? UINT64_MAX : (uint64_t)d;
}

/*
 * clean: s[0..n) as printable ASCII into buf (size > 0): a control byte,
 * DEL or a byte of a multi-byte character becomes '?', so that one byte is
 * one column and nothing reaches the terminal as an escape.  Cut to fit.
 */
static char *
clean(char *buf, size_t size, const char *s, size_t n)
{
	size_t		 i;

	for (i = 0; i < n && i + 1 < size; i++)
		buf[i] = s[i] >= 0x20 && s[i] < 0x7f ? s[i] : '?';
	buf[i] = '\0';
	return buf;
}

/* obj_str: the str o, cleaned into buf; "-" when it is nil or not a str. */
static char *
obj_str(struct obj o, char *buf, size_t size)
{
	struct fp_mp_reader r = { o.p, o.len, 0 };
	const char	*s;
	uint32_t	 n;

	if (fp_mp_read_str(&r, &s, &n) == -1)
		return clean(buf, size, "-", 1);
	return clean(buf, size, s, n);
}

static char *
str(struct obj m, const char *key, char *buf, size_t size)
{
	struct obj	 v;

	if (map_get(m, key, &v) == -1)
		v.len = 0;
	return obj_str(v, buf, size);
}

/* ---- units -------------------------------------------------------------- */

/* fmt_dur: seconds as 12s, 5m03s, 2h05m, 3d04h. */
static char *
fmt_dur(char *b, size_t n, double s)
{
	uint64_t	 t = s < 0 ? 0 : s > 1e15 ? (uint64_t)1e15 : (uint64_t)s;

	if (t < 60)
		snprintf(b, n, "%llus", (unsigned long long)t);
	else if (t < 3600)
		snprintf(b, n, "%llum%02llus", (unsigned long long)t / 60,
		    (unsigned long long)t % 60);
	else if (t < 86400)
		snprintf(b, n, "%lluh%02llum", (unsigned long long)t / 3600,
		    (unsigned long long)t % 3600 / 60);
	else
		snprintf(b, n, "%llud%02lluh", (unsigned long long)t / 86400,
		    (unsigned long long)t % 86400 / 3600);
	return b;
}

/* fmt_us: microseconds as 850us, 1.25ms, 12.5ms, 1.50s, then fmt_dur. */
static char *
fmt_us(char *b, size_t n, uint64_t us)
{
	if (us < 1000)
		snprintf(b, n, "%lluus", (unsigned long long)us);
	else if (us < 10000)
		snprintf(b, n, "%.2fms", (double)us / 1e3);
	else if (us < 1000000)
		snprintf(b, n, "%.1fms", (double)us / 1e3);
	else if (us < 60000000)
		snprintf(b, n, "%.2fs", (double)us / 1e6);
	else
		fmt_dur(b, n, (double)us / 1e6);
	return b;
}

/* fmt_bytes: 512B, 12.5K, 310.2M, 1.5G (powers of 1024). */
static char *
fmt_bytes(char *b, size_t n, uint64_t v)
{
	static const char	 unit[] = "KMGTPE";
	double			 d = (double)v;
	int			 i = -1;

	if (v < 1024) {
		snprintf(b, n, "%lluB", (unsigned long long)v);
		return b;
	}
	while (d >= 1024 && i < 5) {
		d /= 1024;
		i++;
	}
	snprintf(b, n, "%.1f%c", d, unit[i]);
	return b;
}

/* pct: the percentile key of the histogram map m (wait, run), "-" if empty. */
static char *
pct(char *b, size_t n, struct obj h, const char *hist, const char *key)
{
	struct obj	 m;

	if (map_get(h, hist, &m) == -1 || u64(m, "count") == 0)
		snprintf(b, n, "-");
	else
		fmt_us(b, n, u64(m, key));
	return b;
}

static int
bad_answer(const char *method, const char *why)
{
	fprintf(stderr, "forkpool: %s: unexpected answer: %s\n", method, why);
	return VIEW_ANSWER;
}

static int
flushed(void)
{
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "forkpool: stdout: %s\n", strerror(errno));
		return VIEW_ANSWER;
	}
	return VIEW_OK;
}

/* ---- forkpool stats ------------------------------------------------------ */

int
view_stats(const uint8_t *data, size_t len, int flags)
{
	struct obj	 a = { data, len }, hs, k, h;
	struct iter	 it;
	char		 name[NAME_MAX_SHOWN + 1], win[16], b[6][24];
	uint32_t	 i;
	int		 w = 7, shown = 0, pass;

	if (obj_type(a) != FP_MP_MAP)
		return bad_answer("forkpool.stats", "not a map");
	printf("workers      %llu busy of %llu (%llu ready)\n",
	    (unsigned long long)u64(a, "workers_busy"),
	    (unsigned long long)u64(a, "workers"),
	    (unsigned long long)u64(a, "workers_ready"));
	printf("queued       %llu\n", (unsigned long long)u64(a, "queued"));
	printf("running      %llu", (unsigned long long)u64(a, "running"));
	if (u64(a, "oldest_running_us") != 0)
		printf(" (oldest %s)", fmt_us(b[0], sizeof(b[0]),
		    u64(a, "oldest_running_us")));
	printf("\n");
	printf("connections  %llu\n",
	    (unsigned long long)u64(a, "connections"));
	printf("tasks        %llu ok, %llu failed\n",
	    (unsigned long long)u64(a, "tasks_ok"),
	    (unsigned long long)u64(a, "tasks_failed"));
	printf("crashes      %llu\n",
	    (unsigned long long)u64(a, "worker_crashes"));
	printf("uptime       %s\n", fmt_dur(b[0], sizeof(b[0]),
	    num(a, "uptime_s")));
	str(a, "window", win, sizeof(win));
	printf("window       %s\n", win);
	if (map_get(a, "handlers", &hs) == -1 || iter_map(hs, &it) == -1)
		return bad_answer("forkpool.stats", "no handlers map");

	/* Two passes: the width of the names shown, then the rows. */
	for (pass = 0; pass < 2; pass++) {
		if (pass == 1 && shown > 0)
			printf("\n%-*s %9s %9s %7s %8s %8s %8s %8s %8s\n", w,
			    "HANDLER", "CALLS", "OK", "FAILED", "WAIT_P50",
			    "WAIT_P99", "RUN_P50", "RUN_P99", "RUN_MAX");
		iter_map(hs, &it);
		for (i = 0; i < it.n; i++) {
			if (iter_next(&it, &k) == -1 ||
			    iter_next(&it, &h) == -1)
				return bad_answer("forkpool.stats",
				    "handlers map cut short");
			if (obj_type(h) != FP_MP_MAP ||
			    (u64(h, "calls") == 0 && !(flags & VIEW_ALL)))
				continue;
			obj_str(k, name, sizeof(name));
			if (pass == 0) {
				if ((int)strlen(name) > w)
					w = (int)strlen(name);
				shown++;
				continue;
			}
			printf("%-*s %9llu %9llu %7llu %8s %8s %8s %8s %8s\n",
			    w, name, (unsigned long long)u64(h, "calls"),
			    (unsigned long long)u64(h, "ok"),
			    (unsigned long long)u64(h, "failed"),
			    pct(b[0], sizeof(b[0]), h, "wait", "p50"),
			    pct(b[1], sizeof(b[1]), h, "wait", "p99"),
			    pct(b[2], sizeof(b[2]), h, "run", "p50"),
			    pct(b[3], sizeof(b[3]), h, "run", "p99"),
			    pct(b[4], sizeof(b[4]), h, "run", "max"));
		}
	}
	if (shown == 0)
		printf("\nno handler has calls in window %s%s\n", win,
		    flags & VIEW_ALL ? "" : " (-a lists them all)");
	return flushed();
}

/* ---- forkpool workers ---------------------------------------------------- */

/* One worker slot, as forkpool.workers tells it. */
struct wrow {
	uint64_t	 slot;
	uint64_t	 pid;
	char		 state[12];
	char		 handler[NAME_MAX_SHOWN + 1];
	uint64_t	 running_us;
	uint64_t	 tasks;
	uint64_t	 failures;
	uint64_t	 rss;
	double		 age;
};

static void
wrow_read(struct obj m, struct wrow *r)
{
	r->slot = u64(m, "slot");
	r->pid = u64(m, "pid");
	str(m, "state", r->state, sizeof(r->state));
	str(m, "handler", r->handler, sizeof(r->handler));
	r->running_us = u64(m, "running_us");
	r->tasks = u64(m, "tasks");
	r->failures = u64(m, "failures");
	r->rss = u64(m, "rss_bytes");
	r->age = num(m, "age_s");
}

/*
 * wrow_fmt: the row in the columns of wrow_head (78 bytes), handler cut to
 * 14.  "running for" only for a busy worker.
 */
static const char wrow_head[] =
    "SLOT     PID STATE    HANDLER         RUNNING    TASKS  FAILS     RSS     AGE";

static void
wrow_fmt(char *out, size_t n, const struct wrow *r)
{
	char		 run[24], rss[24], age[24], pid[24];

	if (r->pid != 0)
		snprintf(pid, sizeof(pid), "%llu", (unsigned long long)r->pid);
	else
		snprintf(pid, sizeof(pid), "-");
	if (r->running_us != 0 || strcmp(r->state, "busy") == 0)
		fmt_us(run, sizeof(run), r->running_us);
	else
		snprintf(run, sizeof(run), "-");
	snprintf(out, n, "%4llu %7s %-8.8s %-14.14s %8s %8llu %6llu %7s %7s",
	    (unsigned long long)r->slot, pid, r->state, r->handler, run,
	    (unsigned long long)r->tasks, (unsigned long long)r->failures,
	    r->rss != 0 ? fmt_bytes(rss, sizeof(rss), r->rss) : "-",
	    r->pid != 0 ? fmt_dur(age, sizeof(age), r->age) : "-");
}

int
view_workers(const uint8_t *data, size_t len, int flags)
{
	struct obj	 a = { data, len }, m;
	struct iter	 it;
	struct wrow	 r;
	char		 line[LINE_MAX_BYTES];
	uint32_t	 i;

	if (iter_array(a, &it) == -1)
		return bad_answer("forkpool.workers", "not an array");
	printf("%s\n", wrow_head);
	for (i = 0; i < it.n; i++) {
		if (iter_next(&it, &m) == -1)
			return bad_answer("forkpool.workers", "cut short");
		if (obj_type(m) != FP_MP_MAP)
			continue;
		wrow_read(m, &r);
		wrow_fmt(line, sizeof(line), &r);
		printf("%s\n", line);
	}
	return flushed();
}

/* ---- forkpool slowlog ---------------------------------------------------- */

/* slow_params: the params object as one line of ASCII JSON into out. */
static void
slow_params(struct obj m, char *out, size_t n)
{
	struct fp_json_enc_options o;
	struct fp_json_enc_result res;
	struct fp_buf	 b = { 0 };
	struct obj	 v;
	char		 err[80];

	fp_json_enc_options_init(&o);
	o.ascii = 1;
	if (map_get(m, "params", &v) == -1 ||
	    fp_json_encode(v.p, v.len, &o, &b, &res, err, sizeof(err)) == -1)
		clean(out, n, "-", 1);
	else
		clean(out, n, (const char *)fp_buf_head(&b), fp_buf_unread(&b));
	fp_buf_free(&b);
}

int
view_slowlog(const uint8_t *data, size_t len, int flags)
{
	struct obj	 a = { data, len }, m, running;
	struct iter	 it;
	struct tm	 tm;
	time_t		 ts;
	char		 name[NAME_MAX_SHOWN + 1], corr[140], when[32];
	char		 wait[24], run[24], params[1024];
	uint32_t	 i;

	if (iter_array(a, &it) == -1)
		return bad_answer("forkpool.slowlog", "not an array");
	printf("%6s %-19s %-14s %8s %9s %6s %7s %-12s %s\n", "ID", "TIME",
	    "HANDLER", "WAIT", "RUN", "WORKER", "PID", "CORR", "PARAMS");
	for (i = 0; i < it.n; i++) {
		if (iter_next(&it, &m) == -1)
			return bad_answer("forkpool.slowlog", "cut short");
		if (obj_type(m) != FP_MP_MAP)
			continue;
		/* A claim: far beyond any date is no date (nor a cast). */
		ts = num(m, "ts") < 1e12 ? (time_t)num(m, "ts") : 0;
		if (ts == 0 || localtime_r(&ts, &tm) == NULL ||
		    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm) == 0)
			snprintf(when, sizeof(when), "-");
		fmt_us(run, sizeof(run), u64(m, "run_us"));
		/* "+": logged while it ran, the run so far. */
		if (map_get(m, "running", &running) == 0 &&
		    running.p[0] == 0xc3)
			strlcat(run, "+", sizeof(run));
		slow_params(m, params, sizeof(params));
		printf("%6llu %-19s %-14s %8s %9s %6llu %7llu %-12s %s\n",
		    (unsigned long long)u64(m, "id"), when,
		    str(m, "handler", name, sizeof(name)),
		    fmt_us(wait, sizeof(wait), u64(m, "wait_us")), run,
		    (unsigned long long)u64(m, "worker"),
		    (unsigned long long)u64(m, "pid"),
		    str(m, "corr", corr, sizeof(corr)), params);
	}
	return flushed();
}

/* ---- forkpool top -------------------------------------------------------- */

/* One handler row of top. */
struct hrow {
	char		 name[NAME_MAX_SHOWN + 1];
	uint64_t	 calls;		/* since start */
	uint64_t	 prev;		/* at the previous sample, if seen */
	int		 seen;
	uint64_t	 failed_1m;
	uint64_t	 wait_p50, wait_p99, run_p50, run_p99;
	int		 has_wait, has_run;
};

enum { SORT_SLOT, SORT_RUNNING, SORT_TASKS, SORT_RSS, SORT__COUNT };
static const char *const sort_name[SORT__COUNT] = {
	"slot", "running for", "tasks", "RSS"
};

struct top {
	struct fp_client *c;
	int		 timeout_ms;
	double		 interval;	/* s */
	long long	 iterations;	/* 0: until q */
	int		 live;		/* full screen, keys */
	int		 rows, cols;
	int		 sort;
	int		 lost;		/* the last call failed: no connection */
	char		 err[320];

	/* The last sample; prev_* the one before (have_prev). */
	uint64_t	 t_ns, prev_t_ns;
	uint64_t	 tasks, prev_tasks;
	int		 have_prev;
	uint64_t	 pid, workers, busy, queued, running, conns, ok, failed;
	uint64_t	 crashes, oldest_us, run_p99;
	int		 has_run_p99;
	double		 uptime;
	struct wrow	*w;
	size_t		 nw, wcap;
	struct hrow	*h;
	size_t		 nh, hcap;

	struct fp_buf	 frame;
	int		 nlines;
};

static volatile sig_atomic_t	 top_signal, top_winch;

static void
top_on_signal(int sig)
{
	if (sig == SIGWINCH)
		top_winch = 1;
	else
		top_signal = sig;
}

/*
 * top_call: method with one optional str argument; *out the result (valid
 * until the next call).  -1 with t->err set when the daemon answered an
 * error, did not answer in time or went away.
 */
static int
top_call(struct top *t, const char *method, const char *arg, struct obj *out)
{
	struct fp_result res;
	uint8_t		 p[32];
	size_t		 plen = 1;
	char		 err[256];
	int		 r;

	p[0] = 0x90;
	if (arg != NULL) {
		p[0] = 0x91;
		p[1] = (uint8_t)(0xa0 | strlen(arg));	/* short and fixed */
		memcpy(p + 2, arg, strlen(arg));
		plen = 2 + strlen(arg);
	}
	r = fp_client_call(t->c, method, p, plen, &res, t->timeout_ms, err,
	    sizeof(err));
	t->lost = r == -1;
	if (r == -1) {
		snprintf(t->err, sizeof(t->err), "%s", err);
		return -1;
	}
	if (r == FP_AGAIN) {
		snprintf(t->err, sizeof(t->err), "%s: no answer within %d ms",
		    method, t->timeout_ms);
		return -1;
	}
	if (res.error != FP_OK) {
		snprintf(t->err, sizeof(t->err), "%s: %s%s%s", method,
		    res.code, res.message[0] != '\0' ? ": " : "", res.message);
		/* Printed on the terminal top is in charge of. */
		clean(t->err, sizeof(t->err), t->err, strlen(t->err));
		return -1;
	}
	out->p = res.data;
	out->len = res.len;
	return 0;
}

static struct hrow *
hrow_find(struct top *t, const char *name)
{
	size_t		 i;

	for (i = 0; i < t->nh; i++)
		if (strcmp(t->h[i].name, name) == 0)
			return &t->h[i];
	return NULL;
}

/* hist_get: the p50 and p99 of histogram `hist' of handler map h. */
static int
hist_get(struct obj h, const char *hist, uint64_t *p50, uint64_t *p99)
{
	struct obj	 m;

	if (map_get(h, hist, &m) == -1 || u64(m, "count") == 0)
		return 0;
	*p50 = u64(m, "p50");
	*p99 = u64(m, "p99");
	return 1;
}

/*
 * top_sample: forkpool.stats (all: the pool and the calls for the rates),
 * forkpool.stats "1m" (the percentiles) and forkpool.workers.
 */
static int
top_sample(struct top *t)
{
	struct obj	 a, hs, k, h, m;
	struct iter	 it;
	struct hrow	*r, *nh;
	struct wrow	*nw;
	char		 name[NAME_MAX_SHOWN + 1];
	uint64_t	 p50, p99;
	uint32_t	 i;
	size_t		 j;

	if (top_call(t, "forkpool.stats", NULL, &a) == -1)
		return -1;
	if (obj_type(a) != FP_MP_MAP || map_get(a, "handlers", &hs) == -1 ||
	    iter_map(hs, &it) == -1) {
		snprintf(t->err, sizeof(t->err), "forkpool.stats: unexpected "
		    "answer");
		return -1;
	}
	t->prev_t_ns = t->t_ns;
	t->prev_tasks = t->tasks;
	t->have_prev = t->t_ns != 0;
	t->t_ns = fp_now_ns();
	t->pid = u64(a, "pid");
	t->workers = u64(a, "workers");
	t->busy = u64(a, "workers_busy");
	t->queued = u64(a, "queued");
	t->running = u64(a, "running");
	t->conns = u64(a, "connections");
	t->ok = u64(a, "tasks_ok");
	t->failed = u64(a, "tasks_failed");
	t->tasks = t->ok + t->failed;
	t->crashes = u64(a, "worker_crashes");
	t->oldest_us = u64(a, "oldest_running_us");
	t->uptime = num(a, "uptime_s");

	/* The handlers ever called; the previous counts kept by name. */
	for (j = 0; j < t->nh; j++)
		t->h[j].seen = 0;
	for (i = 0; i < it.n; i++) {
		if (iter_next(&it, &k) == -1 || iter_next(&it, &h) == -1)
			break;
		if (obj_type(h) != FP_MP_MAP || u64(h, "calls") == 0)
			continue;
		obj_str(k, name, sizeof(name));
		if ((r = hrow_find(t, name)) != NULL) {
			r->prev = r->calls;
		} else {
			if (t->nh == t->hcap) {
				if ((nh = reallocarray(t->h, t->hcap * 2 + 8,
				    sizeof(*nh))) == NULL) {
					snprintf(t->err, sizeof(t->err),
					    "out of memory");
					return -1;
				}
				t->h = nh;
				t->hcap = t->hcap * 2 + 8;
			}
			r = &t->h[t->nh++];
			memset(r, 0, sizeof(*r));
			strlcpy(r->name, name, sizeof(r->name));
			r->prev = UINT64_MAX;	/* no rate yet */
		}
		r->seen = 1;
		r->calls = u64(h, "calls");
	}
	/* A handler gone from the answer (a reload) is dropped. */
	for (j = 0; j < t->nh; )
		if (!t->h[j].seen)
			t->h[j] = t->h[--t->nh];
		else
			j++;

	if (top_call(t, "forkpool.stats", "1m", &a) == -1)
		return -1;
	t->has_run_p99 = 0;
	t->run_p99 = 0;
	if (map_get(a, "handlers", &hs) == 0 && iter_map(hs, &it) == 0)
		for (i = 0; i < it.n; i++) {
			if (iter_next(&it, &k) == -1 ||
			    iter_next(&it, &h) == -1)
				break;
			if (obj_type(h) != FP_MP_MAP)
				continue;
			/* The header's run p99: the worst handler's. */
			if (hist_get(h, "run", &p50, &p99) &&
			    (!t->has_run_p99 || p99 > t->run_p99)) {
				t->run_p99 = p99;
				t->has_run_p99 = 1;
			}
			if ((r = hrow_find(t, obj_str(k, name,
			    sizeof(name)))) == NULL)
				continue;
			r->failed_1m = u64(h, "failed");
			r->has_wait = hist_get(h, "wait", &r->wait_p50,
			    &r->wait_p99);
			r->has_run = hist_get(h, "run", &r->run_p50,
			    &r->run_p99);
		}

	if (top_call(t, "forkpool.workers", NULL, &a) == -1)
		return -1;
	if (iter_array(a, &it) == -1) {
		snprintf(t->err, sizeof(t->err), "forkpool.workers: "
		    "unexpected answer");
		return -1;
	}
	t->nw = 0;
	for (i = 0; i < it.n; i++) {
		if (iter_next(&it, &m) == -1)
			break;
		if (obj_type(m) != FP_MP_MAP)
			continue;
		if (t->nw == t->wcap) {
			if ((nw = reallocarray(t->w, t->wcap * 2 + 8,
			    sizeof(*nw))) == NULL) {
				snprintf(t->err, sizeof(t->err),
				    "out of memory");
				return -1;
			}
			t->w = nw;
			t->wcap = t->wcap * 2 + 8;
		}
		wrow_read(m, &t->w[t->nw++]);
	}
	return 0;
}

static int	 sort_key;

/* Slot ascending; the others descending, then by slot. */
static int
wrow_cmp(const void *a, const void *b)
{
	const struct wrow *x = a, *y = b;
	uint64_t	 u = 0, v = 0;

	switch (sort_key) {
	case SORT_RUNNING:
		u = x->running_us;
		v = y->running_us;
		break;
	case SORT_TASKS:
		u = x->tasks;
		v = y->tasks;
		break;
	case SORT_RSS:
		u = x->rss;
		v = y->rss;
		break;
	}
	if (u != v)
		return u > v ? -1 : 1;
	return x->slot < y->slot ? -1 : x->slot > y->slot;
}

/*
 * line: one line of the frame.  Live: cut to the width, at most `rows'
 * lines, each erasing the rest of its row; else as is.
 */
static void __attribute__((format(printf, 2, 3)))
line(struct top *t, const char *fmt, ...)
{
	va_list		 ap;
	char		 s[LINE_MAX_BYTES];
	int		 n;

	if (t->live && t->nlines >= t->rows)
		return;
	va_start(ap, fmt);
	n = vsnprintf(s, sizeof(s), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	if (n >= (int)sizeof(s))
		n = sizeof(s) - 1;
	if (t->live) {
		if (n > t->cols)
			n = t->cols;
		if (t->nlines > 0)
			fp_buf_append(&t->frame, "\r\n", 2);
		fp_buf_append(&t->frame, s, (size_t)n);
		/*
		 * Erase the rest of the row, unless the line fills it: the
		 * cursor is then on its last character, which EL would
		 * erase too.
		 */
		if (n < t->cols)
			fp_buf_append(&t->frame, "\033[K", 3);
	} else {
		fp_buf_append(&t->frame, s, (size_t)n);
		fp_buf_append(&t->frame, "\n", 1);
	}
	t->nlines++;
}

static char *
rate(char *b, size_t n, uint64_t now, uint64_t prev, double secs)
{
	if (prev == UINT64_MAX || now < prev || secs <= 0)
		snprintf(b, n, "-");
	else
		snprintf(b, n, "%.1f", (double)(now - prev) / secs);
	return b;
}

static void
top_render(struct top *t)
{
	char		 b[8][32], row[LINE_MAX_BYTES];
	double		 secs;
	size_t		 i, nw, nh, avail, wrows, hrows;
	const struct hrow *r;

	t->frame.len = t->frame.off = 0;
	t->nlines = 0;
	if (t->live)
		fp_buf_append(&t->frame, "\033[H", 3);
	secs = t->have_prev ? (double)(t->t_ns - t->prev_t_ns) / 1e9 : 0;

	line(t, "forkpool top: pid %llu, up %s, every %.1fs",
	    (unsigned long long)t->pid, fmt_dur(b[0], sizeof(b[0]),
	    t->uptime), t->interval);
	line(t, "tasks/s %s  queued %llu  running %llu  workers %llu/%llu "
	    "busy  conns %llu", rate(b[0], sizeof(b[0]), t->tasks,
	    t->have_prev ? t->prev_tasks : UINT64_MAX, secs),
	    (unsigned long long)t->queued, (unsigned long long)t->running,
	    (unsigned long long)t->busy, (unsigned long long)t->workers,
	    (unsigned long long)t->conns);
	line(t, "ok %llu  failed %llu  crashes %llu  oldest %s  "
	    "run p99 1m (worst handler) %s", (unsigned long long)t->ok,
	    (unsigned long long)t->failed, (unsigned long long)t->crashes,
	    t->oldest_us != 0 ? fmt_us(b[1], sizeof(b[1]), t->oldest_us) : "-",
	    t->has_run_p99 ? fmt_us(b[2], sizeof(b[2]), t->run_p99) : "-");
	line(t, "%s", "");

	/*
	 * Rows left for the two tables: each keeps at least a third of them
	 * when both are long; a cut table ends with "... N more".
	 */
	nw = t->nw;
	nh = t->nh;
	avail = t->rows > 8 ? (size_t)t->rows - 8 : 0;
	wrows = nw;
	hrows = nh == 0 ? 1 : nh;
	if (t->live && wrows + hrows > avail) {
		hrows = hrows < avail / 3 ? hrows : avail / 3;
		if (avail - hrows > nw)
			hrows = avail - nw;
		wrows = avail - hrows;
	}

	sort_key = t->sort;
	if (t->nw > 1)		/* t->w is NULL before the first worker */
		qsort(t->w, t->nw, sizeof(*t->w), wrow_cmp);
	line(t, "WORKERS: %zu slots, sorted by %s (s: sort, q: quit)", nw,
	    sort_name[t->sort]);
	line(t, "%s", wrow_head);
	for (i = 0; i < nw; i++) {
		if (t->live && i + 1 == wrows && i + 1 < nw) {
			line(t, "... %zu more", nw - i);
			break;
		}
		if (t->live && i >= wrows)
			break;
		wrow_fmt(row, sizeof(row), &t->w[i]);
		line(t, "%s", row);
	}
	line(t, "%s", "");
	line(t, "%-16s %8s %7s %9s %9s %9s %9s", "HANDLER", "CALLS/S",
	    "ERR/1M", "WAIT_P50", "WAIT_P99", "RUN_P50", "RUN_P99");
	if (nh == 0)
		line(t, "(no calls yet)");
	for (i = 0; i < nh; i++) {
		if (t->live && i + 1 == hrows && i + 1 < nh) {
			line(t, "... %zu more", nh - i);
			break;
		}
		if (t->live && i >= hrows)
			break;
		r = &t->h[i];
		line(t, "%-16.16s %8s %7llu %9s %9s %9s %9s", r->name,
		    rate(b[0], sizeof(b[0]), r->calls, t->have_prev ? r->prev :
		    UINT64_MAX, secs), (unsigned long long)r->failed_1m,
		    r->has_wait ? fmt_us(b[1], sizeof(b[1]), r->wait_p50) : "-",
		    r->has_wait ? fmt_us(b[2], sizeof(b[2]), r->wait_p99) : "-",
		    r->has_run ? fmt_us(b[3], sizeof(b[3]), r->run_p50) : "-",
		    r->has_run ? fmt_us(b[4], sizeof(b[4]), r->run_p99) : "-");
	}
	if (t->live)
		fp_buf_append(&t->frame, "\033[J", 3);
}

/* top_write: all of p[0..n) on stdout; -1 when the terminal is gone. */
static int
top_write(const void *p, size_t n)
{
	const char	*s = p;
	ssize_t		 w;

	while (n > 0) {
		if ((w = write(STDOUT_FILENO, s, n)) == -1) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			return -1;
		}
		s += w;
		n -= (size_t)w;
	}
	return 0;
}

static int
top_show(struct top *t)
{
	top_render(t);
	if (t->frame.err)
		return -1;
	return top_write(fp_buf_head(&t->frame), fp_buf_unread(&t->frame));
}

static void
top_size(struct top *t)
{
	struct winsize	 ws;

	t->rows = 24;
	t->cols = 80;
	if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 &&
	    ws.ws_col > 0) {
		t->rows = ws.ws_row;
		t->cols = ws.ws_col;
	}
}

/* The escapes: alternate screen, no autowrap, cursor hidden; and back. */
#define TERM_ENTER	"\033[?1049h\033[?7l\033[?25l\033[H\033[2J"
#define TERM_LEAVE	"\033[?25h\033[?7h\033[?1049l"

/*
 * top_plain: stdout (or stdin) is not a terminal: `iterations' snapshots
 * (default 1) as plain text, the first after one interval so that the
 * rates are measured.
 */
static int
top_plain(struct top *t)
{
	struct timespec	 ts;
	long long	 i, n = t->iterations > 0 ? t->iterations : 1;

	if (top_sample(t) == -1) {
		fprintf(stderr, "forkpool: top: %s\n", t->err);
		return t->lost ? VIEW_CONN : VIEW_ANSWER;
	}
	for (i = 0; i < n; i++) {
		ts.tv_sec = (time_t)t->interval;
		ts.tv_nsec = (long)((t->interval - (double)ts.tv_sec) * 1e9);
		while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
			;
		if (top_sample(t) == -1)
			goto fail;
		top_render(t);
		if (i + 1 < n)		/* a blank line between snapshots */
			fp_buf_append(&t->frame, "\n", 1);
		if (t->frame.err || top_write(fp_buf_head(&t->frame),
		    fp_buf_unread(&t->frame)) == -1) {
			fprintf(stderr, "forkpool: top: stdout: %s\n",
			    t->frame.err ? "out of memory" : strerror(errno));
			return VIEW_ANSWER;
		}
	}
	return VIEW_OK;
fail:
	fprintf(stderr, "forkpool: top: %s\n", t->err);
	return VIEW_ANSWER;
}

/* top_live: the full-screen loop; returns the exit status. */
static int
top_live(struct top *t)
{
	struct termios	 saved, raw;
	struct sigaction sa, old[4];
	static const int sigs[4] = { SIGINT, SIGTERM, SIGHUP, SIGWINCH };
	sigset_t	 block, orig;
	struct pollfd	 pfd;
	struct timespec	 ts;
	uint64_t	 deadline, now;
	long long	 frames = 0;
	char		 keys[64];
	ssize_t		 n, k;
	int		 i, status = VIEW_OK, gone = 0, quit = 0;

	/* The first sample before the screen: an error reads as usual. */
	if (top_sample(t) == -1) {
		fprintf(stderr, "forkpool: top: %s\n", t->err);
		return t->lost ? VIEW_CONN : VIEW_ANSWER;
	}
	if (tcgetattr(STDIN_FILENO, &saved) == -1) {
		fprintf(stderr, "forkpool: top: terminal: %s\n",
		    strerror(errno));
		return VIEW_ANSWER;
	}

	sigemptyset(&block);
	for (i = 0; i < 4; i++)
		sigaddset(&block, sigs[i]);
	sigprocmask(SIG_BLOCK, &block, &orig);
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = top_on_signal;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &sa, &old[i]);

	/* cbreak: keys one by one, no echo; C-c still SIGINT, C-z off. */
	raw = saved;
	raw.c_lflag &= ~(tcflag_t)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	raw.c_cc[VSUSP] = _POSIX_VDISABLE;
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &raw);
	top_size(t);
	if (top_write(TERM_ENTER, sizeof(TERM_ENTER) - 1) == -1 ||
	    top_show(t) == -1)
		quit = 1;

	while (!quit && !gone) {
		if (t->iterations > 0 && ++frames >= t->iterations)
			break;
		deadline = fp_now_ns() + (uint64_t)(t->interval * 1e9);
		/* Wait out the interval, answering keys and signals. */
		while (!quit) {
			if (top_signal != 0) {
				quit = 1;
				break;
			}
			if (top_winch) {
				top_winch = 0;
				top_size(t);
				if (top_show(t) == -1)
					quit = 1;
				continue;
			}
			if ((now = fp_now_ns()) >= deadline)
				break;
			ts.tv_sec = (time_t)((deadline - now) / 1000000000);
			ts.tv_nsec = (long)((deadline - now) % 1000000000);
			pfd.fd = STDIN_FILENO;
			pfd.events = POLLIN;
			if (ppoll(&pfd, 1, &ts, &orig) == -1) {
				if (errno == EINTR)
					continue;
				quit = 1;
				break;
			}
			if (pfd.revents == 0)
				continue;
			if ((n = read(STDIN_FILENO, keys, sizeof(keys))) == -1 &&
			    (errno == EINTR || errno == EAGAIN))
				continue;
			if (n <= 0) {		/* EOF, or the terminal gone */
				quit = 1;
				break;
			}
			for (k = 0; k < n; k++)
				if (keys[k] == 'q' || keys[k] == 'Q' ||
				    keys[k] == 0x03 || keys[k] == 0x04)
					quit = 1;
				else if (keys[k] == 's' || keys[k] == 'S')
					t->sort = (t->sort + 1) % SORT__COUNT;
			if (!quit && top_show(t) == -1)
				quit = 1;
		}
		if (quit)
			break;
		if (top_sample(t) == -1)
			gone = 1;
		else if (top_show(t) == -1)
			quit = 1;
	}

	top_write(TERM_LEAVE, sizeof(TERM_LEAVE) - 1);
	tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
	for (i = 0; i < 4; i++)
		sigaction(sigs[i], &old[i], NULL);
	if (gone) {
		fprintf(stderr, "forkpool: top: %s\n", t->err);
		status = VIEW_ANSWER;
	}
	if (top_signal != 0) {
		/* End as the signal would have, the terminal restored. */
		signal(top_signal, SIG_DFL);
		sigprocmask(SIG_SETMASK, &orig, NULL);
		raise(top_signal);
	}
	sigprocmask(SIG_SETMASK, &orig, NULL);
	return status;
}

int
top(const char *path, int timeout_ms, int argc, char *argv[])
{
	struct top	 t;
	const char	*errstr;
	char		 err[256], *end;
	int		 ch, status;

	memset(&t, 0, sizeof(t));
	t.interval = 1;
	t.timeout_ms = timeout_ms >= 0 ? timeout_ms : TOP_TIMEOUT_MS;
	/* 0, not 1: glibc's getopt starts over on a new argv. */
	optind = 0;
	opterr = 0;
	while ((ch = getopt(argc, argv, "+d:n:")) != -1) {
		switch (ch) {
		case 'd':
			errno = 0;
			t.interval = strtod(optarg, &end);
			if (errno != 0 || end == optarg || *end != '\0' ||
			    !(t.interval >= TOP_D_MIN &&
			    t.interval <= TOP_D_MAX)) {
				fprintf(stderr, "forkpool: top: -d %s: not a "
				    "number of seconds from %.1f to %.0f\n",
				    optarg, TOP_D_MIN, TOP_D_MAX);
				return VIEW_USAGE;
			}
			break;
		case 'n':
			t.iterations = strtonum(optarg, 1, LLONG_MAX, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "forkpool: top: -n %s: %s\n",
				    optarg, errstr);
				return VIEW_USAGE;
			}
			break;
		default:
			fprintf(stderr, "forkpool: top: unknown option -%c\n",
			    optopt);
			return VIEW_USAGE;
		}
	}
	if (optind != argc)
		return VIEW_USAGE;
	t.live = isatty(STDOUT_FILENO) && isatty(STDIN_FILENO);
	t.rows = 24;
	t.cols = 80;
	if ((t.c = fp_client_connect(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "forkpool: %s\n", err);
		return VIEW_CONN;
	}
	status = t.live ? top_live(&t) : top_plain(&t);
	fp_client_close(t.c);
	free(t.w);
	free(t.h);
	fp_buf_free(&t.frame);
	return status;
}
