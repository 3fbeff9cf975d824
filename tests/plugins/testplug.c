/*
 * testplug.c -- a plug-in that misbehaves on request, for
 * tests/integration/plugins.sh and tests/unit/test_plugin.c.  The `load'
 * argument picks what init or worker_init do:
 *
 *	crash-init  hang-init  fail-init  exit-init  helper-fail-init
 *	fail-worker-init  crash-worker-init  gate-init  nul-fail-init
 *	(none: behave)
 *
 * gate-init appends "init pid=PID sigterm=blocked" (or unblocked) to
 * the file TESTPLUG_INIT_FILE, then waits until the file
 * TESTPLUG_INIT_GATE exists (20 s at most, then fails) and behaves: a
 * test can act while a plug-in is being tried.  nul-fail-init writes a
 * NUL byte to stderr, then fails.
 *
 * The constructor cannot see the argument: it crashes when the
 * environment has TESTPLUG_CRASH_CTOR=1.
 *
 * Built four times: as is (testplug.so), with -DTP_ABI=999 (an ABI
 * version mismatch), with -DTP_NOSYMBOL (no forkpool_plugin symbol) and
 * with -DTP_NAME='"testplug2"' (the same handlers under another name).
 *
 * fini logs the event testplug_fini and, when the environment has
 * TESTPLUG_FINI_FILE, appends "fini pid=PID" to that file (a daemon's log
 * may be the system log, which a test cannot read).
 *
 * Handlers (all with the prefix "tp."):
 *	ok [x]        -> x
 *	two []        writes two objects
 *	none []       writes nothing and returns 0
 *	noerr []      returns -1 without an error
 *	badcode []    an error with a code handlers may not use
 *	fail [code, msg]  the typed error `code' with msg
 *	crash []      SIGSEGV
 *	deadline []   spins until remaining_ns says the deadline passed
 *	log [msg(, event)]  logs msg at info (event "tp log", or `event'),
 *	              returns true
 *	threadlog [n(, pause_us)]  starts a thread that logs n lines
 *	              tp_thread seq=I while the handler logs n lines tp_main
 *	              seq=I (both with host->log, at info; each sleeps
 *	              pause_us after every 100 lines, so that the ring has
 *	              room now and then), joins it, returns true: two
 *	              writers of the worker's log ring at once
 *	json [text]   decode then encode through the host, returns the text
 *	pid []        the worker's pid and how often worker_init ran in it
 *	raw [...]     (FP_HANDLER_RAW) returns the params array's bytes as bin
 */
#include <pthread.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "forkpool_plugin.h"

#ifndef TP_NAME
#define TP_NAME	"testplug"
#endif

#ifndef TP_ABI
#define TP_ABI	FP_PLUGIN_ABI_VERSION
#endif

static int	 worker_inits;
static int	 fail_worker_init;

/*
 * Die of SIGSEGV.  A sanitizer build installs its own SIGSEGV handler,
 * which would print a report and abort (SIGABRT); restore the default
 * first so that the process dies of the signal the tests expect.
 */
static void
segv(void)
{
	signal(SIGSEGV, SIG_DFL);
	raise(SIGSEGV);
}

__attribute__((constructor)) static void
ctor(void)
{
	/* The constructor cannot see the argument: use the environment. */
	const char *e = getenv("TESTPLUG_CRASH_CTOR");

	if (e != NULL && *e == '1')
		segv();
}

static int
arg_is(const char *arg, const char *s)
{
	return arg != NULL && strcmp(arg, s) == 0;
}

/* gate-init: say so, then wait for the test to open the gate. */
static int
gate(char *err, size_t errlen)
{
	const char *f = getenv("TESTPLUG_INIT_FILE");
	const char *g = getenv("TESTPLUG_INIT_GATE");
	struct timespec ts = { 0, 10 * 1000000 };
	sigset_t mask;
	FILE	*fp;
	int	 i;

	if (f == NULL || g == NULL) {
		snprintf(err, errlen, "gate-init: TESTPLUG_INIT_FILE or "
		    "TESTPLUG_INIT_GATE is not set");
		return -1;
	}
	sigprocmask(SIG_BLOCK, NULL, &mask);
	if ((fp = fopen(f, "a")) == NULL) {
		snprintf(err, errlen, "gate-init: %s: cannot open", f);
		return -1;
	}
	fprintf(fp, "init pid=%d sigterm=%s\n", (int)getpid(),
	    sigismember(&mask, SIGTERM) ? "blocked" : "unblocked");
	fclose(fp);
	for (i = 0; i < 2000; i++) {
		if (access(g, F_OK) == 0)
			return 0;
		nanosleep(&ts, NULL);
	}
	snprintf(err, errlen, "gate-init: %s did not appear within 20 s", g);
	return -1;
}

static int
init(const struct fp_host *host, const char *arg, void **state, char *err,
    size_t errlen)
{
	if (arg_is(arg, "nul-fail-init")) {
		(void)!write(STDERR_FILENO, "", 1);
		snprintf(err, errlen, "init failed after a NUL on stderr");
		return -1;
	}
	if (arg_is(arg, "gate-init") && gate(err, errlen) == -1)
		return -1;
	if (arg_is(arg, "crash-init"))
		segv();
	if (arg_is(arg, "hang-init"))
		for (;;)
			pause();
	if (arg_is(arg, "exit-init"))
		exit(0);
	if (arg_is(arg, "helper-fail-init")) {
		/* A helper that outlives init and holds every descriptor. */
		const char *f = getenv("TESTPLUG_HELPER_FILE");
		pid_t	 h = fork();
		FILE	*fp;

		if (h == 0)
			for (;;)
				pause();
		if (f != NULL && (fp = fopen(f, "w")) != NULL) {
			fprintf(fp, "%d\n", (int)h);
			fclose(fp);
		}
		snprintf(err, errlen, "init failed after starting a helper");
		return -1;
	}
	if (arg_is(arg, "fail-init")) {
		snprintf(err, errlen, "the test asked init to fail");
		return -1;
	}
	fail_worker_init = arg_is(arg, "fail-worker-init") ? 1 :
	    arg_is(arg, "crash-worker-init") ? 2 : 0;
	host->log(host, FP_LOG_INFO, "testplug_init", "arg=%s",
	    arg != NULL ? arg : "none");
	*state = (void *)host;
	return 0;
}

static int
worker_init(const struct fp_host *host, void *state, char *err,
    size_t errlen)
{
	if (fail_worker_init == 1) {
		snprintf(err, errlen, "the test asked worker_init to fail");
		return -1;
	}
	if (fail_worker_init == 2)
		segv();
	worker_inits++;
	return 0;
}

static void
fini(const struct fp_host *host, void *state)
{
	const char *f = getenv("TESTPLUG_FINI_FILE");
	FILE	*fp;

	host->log(host, FP_LOG_INFO, "testplug_fini", NULL);
	if (f != NULL && (fp = fopen(f, "a")) != NULL) {
		fprintf(fp, "fini pid=%d\n", (int)getpid());
		fclose(fp);
	}
}

static int
h_ok(struct fp_call *c, const msgpack_object *p)
{
	if (p->via.array.size != 1)
		return c->host->error(c, FP_E_INVALID_PARAMS, "expected [x]");
	/* The state is what init stored: the host pointer it was given. */
	if (c->state != c->host)
		return c->host->error(c, FP_E_INTERNAL, "state lost");
	msgpack_pack_object(c->pk, p->via.array.ptr[0]);
	return 0;
}

static int
h_two(struct fp_call *c, const msgpack_object *p)
{
	msgpack_pack_true(c->pk);
	msgpack_pack_true(c->pk);
	return 0;
}

static int
h_none(struct fp_call *c, const msgpack_object *p)
{
	return 0;
}

static int
h_noerr(struct fp_call *c, const msgpack_object *p)
{
	return -1;
}

static int
h_badcode(struct fp_call *c, const msgpack_object *p)
{
	return c->host->error(c, FP_E_QUEUE_FULL, "not mine to say");
}

static int
h_fail(struct fp_call *c, const msgpack_object *p)
{
	const msgpack_object *a = p->via.array.ptr;

	if (p->via.array.size != 2 ||
	    a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[1].type != MSGPACK_OBJECT_STR)
		return c->host->error(c, FP_E_INVALID_PARAMS,
		    "expected [code, message]");
	return c->host->error(c, (int)a[0].via.u64, "%.*s",
	    (int)a[1].via.str.size, a[1].via.str.ptr);
}

static int
h_crash(struct fp_call *c, const msgpack_object *p)
{
	segv();
	return 0;
}

static int
h_deadline(struct fp_call *c, const msgpack_object *p)
{
	if (c->host->remaining_ns(c) == UINT64_MAX)
		return c->host->error(c, FP_E_INVALID_PARAMS,
		    "call me with a deadline");
	while (c->host->remaining_ns(c) > 0)
		;
	return c->host->error(c, FP_E_TIMEOUT, "gave up at the deadline");
}

static int
h_log(struct fp_call *c, const msgpack_object *p)
{
	const msgpack_object *a = p->via.array.ptr;

	char		 ev[64] = "tp log";

	if (p->via.array.size < 1 || p->via.array.size > 2 ||
	    a[0].type != MSGPACK_OBJECT_STR ||
	    (p->via.array.size == 2 && (a[1].type != MSGPACK_OBJECT_STR ||
	    a[1].via.str.size >= sizeof(ev))))
		return c->host->error(c, FP_E_INVALID_PARAMS,
		    "expected [msg] or [msg, event]");
	if (p->via.array.size == 2) {
		memcpy(ev, a[1].via.str.ptr, a[1].via.str.size);
		ev[a[1].via.str.size] = '\0';
	}
	c->host->log(c->host, FP_LOG_INFO, ev, "msg=\"%.*s\"",
	    (int)a[0].via.str.size, a[0].via.str.ptr);
	msgpack_pack_true(c->pk);
	return 0;
}

struct tlog {
	const struct fp_host	*host;
	const char		*event;
	uint64_t		 n;
	uint64_t		 pause_us;
};

static void *
tlog_run(void *arg)
{
	struct tlog	*t = arg;
	uint64_t	 i;

	for (i = 0; i < t->n; i++) {
		t->host->log(t->host, FP_LOG_INFO, t->event, "seq=%llu",
		    (unsigned long long)i);
		if (t->pause_us > 0 && i % 100 == 99)
			usleep((useconds_t)t->pause_us);
	}
	return NULL;
}

static int
h_threadlog(struct fp_call *c, const msgpack_object *p)
{
	const msgpack_object *a = p->via.array.ptr;
	struct tlog	 t, m;
	pthread_t	 th;

	if (p->via.array.size < 1 || p->via.array.size > 2 ||
	    a[0].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[0].via.u64 > 10000000 || (p->via.array.size == 2 &&
	    (a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    a[1].via.u64 > 1000000)))
		return c->host->error(c, FP_E_INVALID_PARAMS,
		    "expected [n] or [n, pause_us], n <= 10000000, "
		    "pause_us <= 1000000");
	t.host = c->host;
	t.event = "tp_thread";
	t.n = a[0].via.u64;
	t.pause_us = p->via.array.size == 2 ? a[1].via.u64 : 0;
	m = t;
	m.event = "tp_main";
	if (pthread_create(&th, NULL, tlog_run, &t) != 0)
		return c->host->error(c, FP_E_INTERNAL, "pthread_create");
	tlog_run(&m);
	pthread_join(th, NULL);
	msgpack_pack_true(c->pk);
	return 0;
}

static int
h_json(struct fp_call *c, const msgpack_object *p)
{
	const msgpack_object *a = p->via.array.ptr;
	struct fp_json_enc_opts eo = { .flags = FP_JSON_ASCII };
	struct fp_json_out v, t;
	int	 rc;

	if (p->via.array.size != 1 || a[0].type != MSGPACK_OBJECT_STR)
		return c->host->error(c, FP_E_INVALID_PARAMS, "expected [text]");
	if (c->host->json_decode(a[0].via.str.ptr, a[0].via.str.size, NULL,
	    &v) == -1)
		return c->host->error(c, FP_E_INVALID_PARAMS, "%s at %u:%u "
		    "(offset %zu)", v.error, v.line, v.column, v.offset);
	rc = c->host->json_encode(v.data, v.len, &eo, &t);
	free(v.data);
	if (rc == -1)
		return c->host->error(c, FP_E_HANDLER_ERROR, "%s", t.error);
	msgpack_pack_str_with_body(c->pk, t.data, t.len);
	free(t.data);
	return 0;
}

static int
h_pid(struct fp_call *c, const msgpack_object *p)
{
	msgpack_pack_array(c->pk, 2);
	msgpack_pack_int64(c->pk, getpid());
	msgpack_pack_int(c->pk, worker_inits);
	return 0;
}

static int
h_raw(struct fp_call *c, const msgpack_object *p)
{
	if (p->type != MSGPACK_OBJECT_NIL)
		return c->host->error(c, FP_E_INTERNAL, "raw got params");
	msgpack_pack_bin_with_body(c->pk, c->raw, c->rawlen);
	return 0;
}

static const struct fp_plugin_handler handlers[] = {
	{ "tp.ok",	 h_ok,	     0 },
	{ "tp.two",	 h_two,	     0 },
	{ "tp.none",	 h_none,     0 },
	{ "tp.noerr",	 h_noerr,    0 },
	{ "tp.badcode",	 h_badcode,  0 },
	{ "tp.fail",	 h_fail,     0 },
	{ "tp.crash",	 h_crash,    0 },
	{ "tp.deadline", h_deadline, 0 },
	{ "tp.log",	 h_log,	     0 },
	{ "tp.json",	 h_json,     0 },
	{ "tp.pid",	 h_pid,	     0 },
	{ "tp.raw",	 h_raw,	     FP_HANDLER_RAW },
	{ "tp.threadlog", h_threadlog, 0 },
	{ NULL, NULL, 0 }
};

#ifndef TP_NOSYMBOL
const struct fp_plugin forkpool_plugin = {
	.abi_version = TP_ABI,
	.struct_size = sizeof(struct fp_plugin),
	.name = TP_NAME,
	.version = "test",
	.handlers = handlers,
	.init = init,
	.worker_init = worker_init,
	.fini = fini,
};
#else
/* Exported under another name: the daemon must not find it. */
const struct fp_plugin not_forkpool_plugin = {
	FP_PLUGIN_HEADER,
	.name = "testplug",
	.handlers = handlers,
	.init = init,
	.worker_init = worker_init,
	.fini = fini,
};
#endif
