/*
 * handlers.c -- built-in handlers: echo, sleep, spin, and the test
 * handlers crash, hang, exit, leak, violate, logflood and stderr.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forkpool.h"
#include "clock.h"
#include "config.h"
#include "handlers.h"
#include "log.h"

static int	 test_enabled;

int
hctx_error(struct fp_hctx *h, int code, const char *fmt, ...)
{
	va_list	 ap;

	h->err = code;
	va_start(ap, fmt);
	vsnprintf(h->errmsg, sizeof(h->errmsg), fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Read params as [n] (or [] when `dflt' >= 0) with 0 <= n <= max.
 */
static int
one_uint(struct fp_hctx *h, const msgpack_object *p, const char *what,
    uint64_t max, int64_t dflt, uint64_t *out)
{
	const msgpack_object *o;

	if (p->type != MSGPACK_OBJECT_ARRAY)
		return hctx_error(h, FP_E_INVALID_PARAMS, "params must be an array");
	if (p->via.array.size == 0 && dflt >= 0) {
		*out = (uint64_t)dflt;
		return 0;
	}
	if (p->via.array.size != 1)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "expected one parameter: %s", what);
	o = &p->via.array.ptr[0];
	if (o->type != MSGPACK_OBJECT_POSITIVE_INTEGER || o->via.u64 > max)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "%s must be an integer from 0 to %llu", what,
		    (unsigned long long)max);
	*out = o->via.u64;
	return 0;
}

static int
h_echo(struct fp_hctx *h, const msgpack_object *p)
{
	if (p->type != MSGPACK_OBJECT_ARRAY || p->via.array.size != 1)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "echo takes exactly one parameter");
	return msgpack_pack_object(h->pk, p->via.array.ptr[0]) == 0 ? 0 :
	    hctx_error(h, FP_E_INTERNAL, "cannot pack the result");
}

static int
h_sleep(struct fp_hctx *h, const msgpack_object *p)
{
	uint64_t	 ms;
	struct timespec	 ts;

	if (one_uint(h, p, "milliseconds", 3600000, -1, &ms) == -1)
		return -1;
	ts.tv_sec = ms / 1000;
	ts.tv_nsec = (ms % 1000) * 1000000;
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR)
		;
	msgpack_pack_uint64(h->pk, ms);
	return 0;
}

static int
h_spin(struct fp_hctx *h, const msgpack_object *p)
{
	uint64_t	 us, end;
	volatile uint64_t x = 0;

	if (one_uint(h, p, "microseconds", 60000000, -1, &us) == -1)
		return -1;
	end = fp_now_ns() + us * 1000;
	while (fp_now_ns() < end)
		x++;
	msgpack_pack_uint64(h->pk, us);
	return 0;
}

static int
h_crash(struct fp_hctx *h, const msgpack_object *p)
{
	uint64_t	 sig = 0;

	if (one_uint(h, p, "signal", 64, SIGSEGV, &sig) == -1)
		return -1;
	if (sig == 0 || sig >= (uint64_t)NSIG)
		return hctx_error(h, FP_E_INVALID_PARAMS, "no such signal");
	/* A stopped worker would hold its tasks until a deadline: refuse. */
	if (sig == SIGSTOP || sig == SIGTSTP || sig == SIGTTIN ||
	    sig == SIGTTOU)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "stop signals do not crash a worker");
	signal((int)sig, SIG_DFL);
	raise((int)sig);
	/* A signal whose default is to be ignored lands here: crash anyway. */
	signal(SIGABRT, SIG_DFL);
	abort();
}

static int
h_hang(struct fp_hctx *h, const msgpack_object *p)
{
	for (;;)
		pause();
	return 0;
}

static int
h_exit(struct fp_hctx *h, const msgpack_object *p)
{
	uint64_t	 status = 0;

	if (one_uint(h, p, "status", 255, 1, &status) == -1)
		return -1;
	_exit((int)status);
}

/*
 * Allocate and touch `mb' MiB and keep them: the worker's RSS grows for
 * good, which is what max-worker-rss is for.  The blocks are chained from
 * a static pointer so that they stay reachable (no leak report).
 */
static int
h_leak(struct fp_hctx *h, const msgpack_object *p)
{
	static void	*kept;
	uint64_t	 mb;
	size_t		 n, i;
	char		*m;

	if (one_uint(h, p, "megabytes", 4096, -1, &mb) == -1)
		return -1;
	if (mb > 0) {
		n = (size_t)mb << 20;
		if ((m = malloc(n)) == NULL)
			return hctx_error(h, FP_E_INTERNAL,
			    "cannot allocate %llu MiB", (unsigned long long)mb);
		for (i = 0; i < n; i += 4096)
			m[i] = 1;
		*(void **)m = kept;
		kept = m;
	}
	msgpack_pack_uint64(h->pk, mb);
	return 0;
}

/*
 * violate [mode, n]: have the worker break the ring protocol instead of
 * answering (worker.c does it; VIOLATE_* in handlers.h).  Logs
 * test_violate each time it runs, so that a test can count the runs.
 */
static int
h_violate(struct fp_hctx *h, const msgpack_object *p)
{
	static const char *const modes[] = { "oversize", "spoof",
	    "malformed", "bad-error", "corrupt", "lie", "lie-hang",
	    "run-revoked", "claim-far", "late-corrupt", "blob-spoof", NULL };
	const msgpack_object *m;
	int		 i;

	if (p->type != MSGPACK_OBJECT_ARRAY || p->via.array.size < 1 ||
	    p->via.array.size > 2 ||
	    p->via.array.ptr[0].type != MSGPACK_OBJECT_STR)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "params must be [mode, n]");
	m = &p->via.array.ptr[0];
	for (i = 0; modes[i] != NULL; i++)
		if (strlen(modes[i]) == m->via.str.size &&
		    memcmp(modes[i], m->via.str.ptr, m->via.str.size) == 0)
			break;
	if (modes[i] == NULL)
		return hctx_error(h, FP_E_INVALID_PARAMS, "mode must be "
		    "oversize, spoof, malformed, bad-error, corrupt, lie, "
		    "lie-hang, run-revoked, claim-far, late-corrupt or "
		    "blob-spoof");
	if (p->via.array.size == 2) {
		m = &p->via.array.ptr[1];
		if (m->type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    m->via.u64 > (64 << 20))
			return hctx_error(h, FP_E_INVALID_PARAMS,
			    "n must be an integer from 0 to 67108864");
		h->violate_arg = m->via.u64;
	}
	log_info("test_violate", "mode=%s", modes[i]);
	h->violate = VIOLATE_OVERSIZE + i;
	msgpack_pack_nil(h->pk);
	return 0;
}

/*
 * logflood [n]: log n lines (event=logflood seq=I) as fast as the worker
 * can; its log ring drops what the supervisor has not read yet, and
 * counts it.  Returns {written: n}, the lines handed to log_*.
 */
static int
h_logflood(struct fp_hctx *h, const msgpack_object *p)
{
	uint64_t	 n, i;

	if (one_uint(h, p, "count", 100000000, -1, &n) == -1)
		return -1;
	for (i = 0; i < n; i++)
		log_info("logflood", "seq=%llu", (unsigned long long)i);
	msgpack_pack_map(h->pk, 1);
	msgpack_pack_str(h->pk, 7);
	msgpack_pack_str_body(h->pk, "written", 7);
	msgpack_pack_uint64(h->pk, n);
	return 0;
}

/*
 * stderr [text]: write text, as it is, to the worker's standard error
 * (which the supervisor logs as worker_stderr).  Returns true.
 */
static int
h_stderr(struct fp_hctx *h, const msgpack_object *p)
{
	const char	*s;
	size_t		 n;
	ssize_t		 r;

	if (p->type != MSGPACK_OBJECT_ARRAY || p->via.array.size != 1 ||
	    p->via.array.ptr[0].type != MSGPACK_OBJECT_STR)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "params must be [text]");
	s = p->via.array.ptr[0].via.str.ptr;
	n = p->via.array.ptr[0].via.str.size;
	while (n > 0) {
		if ((r = write(STDERR_FILENO, s, n)) == -1) {
			if (errno == EINTR)
				continue;
			return hctx_error(h, FP_E_INTERNAL,
			    "cannot write to stderr: %s", strerror(errno));
		}
		s += r;
		n -= (size_t)r;
	}
	msgpack_pack_true(h->pk);
	return 0;
}

static const struct handler builtin[] = {
	{ .name = "echo", .fn = h_echo, .flags = 0 },
	{ .name = "sleep", .fn = h_sleep, .flags = 0 },
	{ .name = "spin", .fn = h_spin, .flags = 0 },
	{ .name = "json.encode", .fn = h_json_encode,
	    .flags = HF_RAW | HF_CHECKS },
	{ .name = "json.decode", .fn = h_json_decode, .flags = 0 },
	{ .name = "crash", .fn = h_crash, .flags = HF_TEST },
	{ .name = "hang", .fn = h_hang, .flags = HF_TEST },
	{ .name = "exit", .fn = h_exit, .flags = HF_TEST },
	{ .name = "leak", .fn = h_leak, .flags = HF_TEST },
	{ .name = "violate", .fn = h_violate, .flags = HF_TEST },
	{ .name = "logflood", .fn = h_logflood, .flags = HF_TEST },
	{ .name = "stderr", .fn = h_stderr, .flags = HF_TEST },
};
#define NBUILTIN (sizeof(builtin) / sizeof(builtin[0]))

/*
 * The table: the built-ins, then the plug-ins' handlers in load order.
 * Plug-ins load once, before the first fork, so indices never change and
 * a task's index means the same handler in every worker generation.
 */
static struct handler	 table[FP_HANDLERS_MAX];
static uint32_t		 ntable;

/* forkpool.conf(5) keeps per-handler settings in an array of this size. */
_Static_assert(FP_HANDLERS_MAX <= FP_CONF_HANDLERS, "raise FP_CONF_HANDLERS");
_Static_assert(FP_HANDLERS_MAX <= 65536, "handler indices are 16 bits");

static void
table_init(void)
{
	uint32_t i;

	if (ntable == 0) {
		memcpy(table, builtin, sizeof(builtin));
		for (i = 0; i < NBUILTIN; i++)
			table[i].namelen = strlen(table[i].name);
		ntable = NBUILTIN;
	}
}

void
handlers_init(int test_handlers)
{
	table_init();
	test_enabled = test_handlers;
}

int
handler_add(const struct handler *h)
{
	table_init();
	if (ntable == FP_HANDLERS_MAX ||
	    handler_index(h->name, strlen(h->name)) != -1)
		return -1;
	table[ntable] = *h;
	table[ntable].namelen = strlen(h->name);
	table[ntable].flags |= HF_PLUGIN;
	return (int)ntable++;
}

uint32_t
handler_count(void)
{
	table_init();
	return ntable;
}

const struct handler *
handler_get(uint32_t i)
{
	if (i >= ntable)
		return NULL;
	if ((table[i].flags & HF_TEST) && !test_enabled)
		return NULL;
	return &table[i];
}

int
handler_lookup(const char *name, size_t len)
{
	int	 i;

	if ((i = handler_index(name, len)) == -1)
		return -1;
	return handler_get((uint32_t)i) != NULL ? i : -1;
}

int
handler_index(const char *name, size_t len)
{
	uint32_t i;

	table_init();
	for (i = 0; i < ntable; i++)
		if (table[i].namelen == len &&
		    memcmp(table[i].name, name, len) == 0)
			return (int)i;
	return -1;
}

const char *
handler_name(uint32_t i)
{
	table_init();
	return i < ntable ? table[i].name : NULL;
}
