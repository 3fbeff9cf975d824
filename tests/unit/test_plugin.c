/*
 * test_plugin.c -- the plug-in loader (src/plugin.c) and the calls
 * through the host (src/plugin_host.c), with the test plug-ins of the
 * build: BUILDDIR/tests/plugins/testplug{,_abi,_nosym}.so and
 * BUILDDIR/plugins/aggregate.so, BUILDDIR being the parent of the
 * directory of this binary (or FP_BUILD).
 *
 * Every refusal of plugins_load() is checked for its message
 * ("FILE:LINE: load PATH: reason"), for leaving the handler table and the
 * plug-in count as they were, and for leaving no child process behind
 * (the probe is reaped, a hung one killed first).  Then one load that
 * succeeds: the handler table, `handler' lines naming plug-in handlers,
 * a second plugins_load refused, worker_init, and calls through
 * plugin_call() of every testplug misbehaviour.  Cases that leave a
 * plug-in loaded (a name clash, a failure after a good line) run in a
 * forked child, since plugins_load succeeds once per process.
 */
#include <sys/stat.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "forkpool.h"
#include "forkpool_plugin.h"
#include "config.h"
#include "handlers.h"
#include "log.h"
#include "plugin.h"
#include "check.h"

static char	 bdir[PATH_MAX];	/* the build directory */
static char	 tmpdir[64];
static char	 conf[128];
static char	 tp[PATH_MAX + 64], tp_abi[PATH_MAX + 64],
		 tp_nosym[PATH_MAX + 64], agg[PATH_MAX + 64],
		 tp_name[PATH_MAX + 64];
static char	 textfile[128], nofile[128], tpcopy[128];

static void
find_build(void)
{
	const char *e = getenv("FP_TEST_BUILDDIR");
	char	*s;
	ssize_t	 n;
	int	 i;

	if (e != NULL && *e != '\0')
		snprintf(bdir, sizeof(bdir), "%s", e);
	else if ((n = readlink("/proc/self/exe", bdir, sizeof(bdir) - 1)) > 0) {
		bdir[n] = '\0';
		for (i = 0; i < 2 && (s = strrchr(bdir, '/')) != NULL; i++)
			*s = '\0';
	} else
		snprintf(bdir, sizeof(bdir), "build");
	snprintf(tp, sizeof(tp), "%s/tests/plugins/testplug.so", bdir);
	snprintf(tp_abi, sizeof(tp_abi), "%s/tests/plugins/testplug_abi.so",
	    bdir);
	snprintf(tp_nosym, sizeof(tp_nosym),
	    "%s/tests/plugins/testplug_nosym.so", bdir);
	snprintf(tp_name, sizeof(tp_name),
	    "%s/tests/plugins/testplug_name.so", bdir);
	snprintf(agg, sizeof(agg), "%s/plugins/aggregate.so", bdir);
}

/* Write `text' to the configuration file and read it into *c. */
static int
load_conf(struct fp_config *c, const char *text)
{
	char	 err[1024];
	FILE	*fp;

	if ((fp = fopen(conf, "w")) == NULL)
		return -1;
	fputs(text, fp);
	fclose(fp);
	config_defaults(c);
	if (config_load(c, conf, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "config_load: %s\n--- file:\n%s", err, text);
		return -1;
	}
	return 0;
}

/* No child process of ours is left, zombie or not. */
static int
no_children(void)
{
	int	 st;

	return waitpid(-1, &st, WNOHANG) == -1 && errno == ECHILD;
}

/*
 * plugins_load must refuse the file `text': the message starts with
 * "FILE:LINE: load PATH: " and contains `reason'; nothing is added to the
 * handler table; no child is left.
 */
#define REFUSE(text, line, path, reason) \
	refuse(__LINE__, text, line, path, reason)
static void
refuse(int tline, const char *text, int line, const char *path,
    const char *reason)
{
	struct fp_config c;
	char	 err[2048] = "", prefix[PATH_MAX + 256];
	uint32_t n0 = handler_count();
	int	 rc;

	if (load_conf(&c, text) == -1) {
		CHECK(!"configuration read");
		return;
	}
	rc = plugins_load(&c, err, sizeof(err));
	snprintf(prefix, sizeof(prefix), "%s:%d: load %s: ", conf, line, path);
	if (rc != -1 || strncmp(err, prefix, strlen(prefix)) != 0 ||
	    strstr(err + strlen(prefix), reason) == NULL) {
		fprintf(stderr, "line %d: plugins_load -> %d \"%s\"\n"
		    "  want \"%s...%s...\"\n", tline, rc, err, prefix, reason);
		CHECK(!"refused with the message");
	} else
		CHECK(1);
	if (handler_count() != n0 || plugins_count() != 0) {
		fprintf(stderr, "line %d: handlers %u -> %u, plug-ins %d\n",
		    tline, n0, handler_count(), plugins_count());
		CHECK(!"the table is unchanged");
	}
	if (!no_children()) {
		fprintf(stderr, "line %d: a child process is left\n", tline);
		CHECK(!"no child left");
	}
}

static double
now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void
test_refusals(void)
{
	char	 text[16384];
	double	 t0, dt;

	/* A bad init or worker_init, each caught by the probe. */
	snprintf(text, sizeof(text), "load \"%s\" crash-init\n", tp);
	REFUSE(text, 1, tp, "the plug-in crashed while loading (signal 11, "
	    "Segmentation fault)");
	snprintf(text, sizeof(text), "workers 2\n\n# a comment\n"
	    "load \"%s\" crash-worker-init\n", tp);
	REFUSE(text, 4, tp, "the plug-in crashed while loading (signal 11");
	snprintf(text, sizeof(text), "load \"%s\" exit-init\n", tp);
	REFUSE(text, 1, tp, "the plug-in exited (status 0) while loading");
	snprintf(text, sizeof(text), "load \"%s\" fail-init\n", tp);
	REFUSE(text, 1, tp, "plug-in testplug: init failed: the test asked "
	    "init to fail");
	snprintf(text, sizeof(text), "load \"%s\" fail-worker-init\n", tp);
	REFUSE(text, 1, tp, "plug-in testplug: worker_init failed: the test "
	    "asked worker_init to fail");
	snprintf(text, sizeof(text), "load \"%s\" max-groups=0\n", agg);
	REFUSE(text, 1, agg, "plug-in aggregate: init failed: bad argument "
	    "\"max-groups=0\"");
	/* A hang: killed at load-timeout, and reaped. */
	snprintf(text, sizeof(text), "load-timeout 200ms\n"
	    "load \"%s\" hang-init\n", tp);
	t0 = now_s();
	REFUSE(text, 2, tp, "the plug-in did not finish loading within "
	    "load-timeout (200 ms); killed it");
	dt = now_s() - t0;
	if (dt < 0.19 || dt > 10) {
		fprintf(stderr, "hang-init refused after %.3f s\n", dt);
		CHECK(!"refused at load-timeout");
	}
	/*
	 * A helper process that init starts keeps the probe's pipe open: the
	 * probe must still be judged when it exits, not at load-timeout, and
	 * the helper must be killed with it.
	 */
	{
		char	 hf[PATH_MAX];
		FILE	*fp;
		int	 hpid = 0;

		snprintf(hf, sizeof(hf), "%s/helper.pid", tmpdir);
		setenv("TESTPLUG_HELPER_FILE", hf, 1);
		snprintf(text, sizeof(text), "load-timeout 20s\n"
		    "load \"%s\" helper-fail-init\n", tp);
		t0 = now_s();
		REFUSE(text, 2, tp, "init failed after starting a helper");
		dt = now_s() - t0;
		unsetenv("TESTPLUG_HELPER_FILE");
		if (dt > 10) {
			fprintf(stderr, "helper-fail-init judged after %.3f s\n",
			    dt);
			CHECK(!"judged when the probe exits");
		}
		CHECK((fp = fopen(hf, "r")) != NULL);
		if (fp != NULL) {
			CHECK(fscanf(fp, "%d", &hpid) == 1 && hpid > 1);
			fclose(fp);
		}
		/* Killed by the loader; reaped by init(8) soon after. */
		if (hpid > 1) {
			int	 i;

			for (i = 0; i < 500 && kill(hpid, 0) == 0; i++)
				usleep(10000);
			CHECK(kill(hpid, 0) == -1 && errno == ESRCH);
		}
		unlink(hf);
	}
	/* The constructor, run by dlopen. */
	setenv("TESTPLUG_CRASH_CTOR", "1", 1);
	snprintf(text, sizeof(text), "load \"%s\"\n", tp);
	REFUSE(text, 1, tp, "the plug-in crashed while loading (signal 11");
	unsetenv("TESTPLUG_CRASH_CTOR");
	/* Not a plug-in, or not this ABI. */
	snprintf(text, sizeof(text), "load \"%s\"\n", tp_abi);
	REFUSE(text, 1, tp_abi, "plug-in ABI version 999, but this forkpoold "
	    "supports version 1");
	snprintf(text, sizeof(text), "load \"%s\"\n", tp_nosym);
	REFUSE(text, 1, tp_nosym, "missing symbol forkpool_plugin: not a "
	    "forkpool plug-in");
	snprintf(text, sizeof(text), "load \"%s\"\n", textfile);
	REFUSE(text, 1, textfile, "cannot load: ");
	snprintf(text, sizeof(text), "load \"%s\"\n", nofile);
	REFUSE(text, 1, nofile, "cannot load: ");
	REFUSE(text, 1, nofile, "No such file or directory");
	snprintf(text, sizeof(text), "load \"%s\"\n", tmpdir);
	REFUSE(text, 1, tmpdir, "cannot load: ");
	/* The first bad line is the one named. */
	snprintf(text, sizeof(text), "load \"%s\" fail-init\nload \"%s\"\n",
	    tp, tp_abi);
	REFUSE(text, 1, tp, "init failed");
}

/* Run fn in a child; its CHECKs count there, its exit status here. */
static void
in_child(void (*fn)(void), const char *what)
{
	pid_t	 pid;
	int	 st;

	fflush(NULL);
	if ((pid = fork()) == 0) {
		fn();
		fflush(NULL);
		_exit(check_fail == 0 ? 0 : 1);
	}
	CHECK(pid > 0);
	if (pid <= 0)
		return;
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
		fprintf(stderr, "%s: the child failed (status 0x%x)\n", what, st);
		CHECK(!"child case passed");
	} else
		CHECK(1);
}

/*
 * Two plug-ins of one name (a copy of testplug.so), or with the same
 * handler names (testplug_name.so, named testplug2): the second is refused.
 */
static void
clash(const char *second, const char *reason)
{
	struct fp_config c;
	char	 text[16384], err[2048] = "", want[PATH_MAX + 512];
	uint32_t n0 = handler_count();

	snprintf(text, sizeof(text), "load \"%s\"\nload \"%s\"\n", tp, second);
	if (load_conf(&c, text) == -1) {
		CHECK(!"configuration read");
		return;
	}
	CHECK(plugins_load(&c, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s:2: load %s: %s", conf, second,
	    reason);
	if (strstr(err, want) != err) {
		fprintf(stderr, "clash: \"%s\"\n  want \"%s\"\n", err, want);
		CHECK(!"clash refused");
	}
	/* The first stays (the daemon exits on this error anyway). */
	CHECK(plugins_count() == 1);
	CHECK(handler_count() == n0 + 13);
	CHECK(no_children());
}

static void
case_clash(void)
{
	clash(tpcopy, "a plug-in named testplug is loaded already");
}

static void
case_clash_handlers(void)
{
	clash(tp_name, "plug-in testplug2: handler tp.ok: the name is taken");
}

/* A good line, then a bad one: refused, naming the bad one. */
static void
case_partial(void)
{
	struct fp_config c;
	char	 text[16384], err[2048] = "", want[PATH_MAX + 512];

	snprintf(text, sizeof(text), "load \"%s\"\nload \"%s\" crash-init\n",
	    agg, tp);
	if (load_conf(&c, text) == -1) {
		CHECK(!"configuration read");
		return;
	}
	CHECK(plugins_load(&c, err, sizeof(err)) == -1);
	snprintf(want, sizeof(want), "%s:2: load %s: the plug-in crashed", conf,
	    tp);
	CHECK(strstr(err, want) == err);
	CHECK(handler_index("tp.ok", 5) == -1);
	CHECK(no_children());
}

/* ---- calls through plugin_call ----------------------------------------- */

static msgpack_sbuffer	 in, out;
static msgpack_packer	 pin, pout;
static msgpack_zone	 zone;
static msgpack_object	 result;
static char		 errmsg[256];

/* Call `name' with the params in `in'; 0 or the error code. */
static int
pcall(const char *name, uint64_t deadline_ns)
{
	const struct handler *h;
	struct fp_hctx	 hc;
	msgpack_object	 params;
	size_t		 off = 0;
	int		 i;

	if ((i = handler_lookup(name, strlen(name))) == -1 ||
	    (h = handler_get((uint32_t)i)) == NULL ||
	    (h->flags & HF_PLUGIN) == 0)
		return -1;
	msgpack_sbuffer_clear(&out);
	msgpack_zone_clear(&zone);
	memset(&hc, 0, sizeof(hc));
	hc.pk = &pout;
	hc.deadline_ns = deadline_ns;
	hc.raw = (const uint8_t *)in.data;
	hc.rawlen = in.size;
	if ((h->flags & HF_RAW) != 0)
		params.type = MSGPACK_OBJECT_NIL;
	else if (msgpack_unpack(in.data, in.size, &off, &zone, &params) !=
	    MSGPACK_UNPACK_SUCCESS)
		return -1;
	errmsg[0] = '\0';
	if (plugin_call(h, &hc, &params, &out) == -1) {
		snprintf(errmsg, sizeof(errmsg), "%s", hc.errmsg);
		return hc.err;
	}
	off = 0;
	if (msgpack_unpack(out.data, out.size, &off, &zone, &result) !=
	    MSGPACK_UNPACK_SUCCESS || off != out.size)
		return -1;
	return 0;
}

#define PCALL_ERR(name, code, msg) do {					\
	int rc_ = pcall(name, 0);					\
	if (rc_ != (code) || strstr(errmsg, msg) == NULL) {		\
		fprintf(stderr, "line %d: %s: %d \"%s\", want %d "	\
		    "\"%s\"\n", __LINE__, name, rc_, errmsg, code, msg);\
		CHECK(!"error as expected");				\
	} else								\
		CHECK(1);						\
} while (0)

static void
pack_empty(void)
{
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 0);
}

static void
pack_fail(int code, const char *msg)
{
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_int(&pin, code);
	msgpack_pack_str_with_body(&pin, msg, strlen(msg));
}

static void
pack_str(const char *s)
{
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_str_with_body(&pin, s, strlen(s));
}

static void
test_calls(void)
{
	static const int allowed[] = { FP_E_INVALID_PARAMS, FP_E_HANDLER_ERROR,
	    FP_E_TOO_LARGE, FP_E_TIMEOUT, FP_E_INTERNAL };
	char	 err[512] = "";
	size_t	 i;
	int	 code;

	msgpack_sbuffer_init(&in);
	msgpack_sbuffer_init(&out);
	msgpack_packer_init(&pin, &in, msgpack_sbuffer_write);
	msgpack_packer_init(&pout, &out, msgpack_sbuffer_write);
	msgpack_zone_init(&zone, 4096);

	/* worker_init, as a new worker runs it. */
	CHECK(plugins_worker_init(err, sizeof(err)) == 0);
	pack_empty();
	CHECK(pcall("tp.pid", 0) == 0 && result.type == MSGPACK_OBJECT_ARRAY &&
	    result.via.array.size == 2 &&
	    result.via.array.ptr[0].via.i64 == (int64_t)getpid() &&
	    result.via.array.ptr[1].via.u64 == 1);

	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_int(&pin, 42);
	CHECK(pcall("tp.ok", 0) == 0 &&
	    result.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    result.via.u64 == 42);
	pack_empty();
	PCALL_ERR("tp.ok", FP_E_INVALID_PARAMS, "expected [x]");
	PCALL_ERR("tp.two", FP_E_INTERNAL, "handler tp.two wrote a result that "
	    "is not exactly one MessagePack object");
	PCALL_ERR("tp.none", FP_E_INTERNAL, "handler tp.none returned no "
	    "result");
	PCALL_ERR("tp.noerr", FP_E_INTERNAL, "handler tp.noerr failed without "
	    "an error message");
	PCALL_ERR("tp.badcode", FP_E_INTERNAL, "not mine to say (the handler "
	    "gave error code 5, which handlers may not use)");
	for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++) {
		pack_fail(allowed[i], "as asked");
		PCALL_ERR("tp.fail", allowed[i], "as asked");
	}
	for (code = 0; code < FP_E__COUNT + 2; code++) {
		for (i = 0; i < sizeof(allowed) / sizeof(allowed[0]); i++)
			if (allowed[i] == code)
				break;
		if (i < sizeof(allowed) / sizeof(allowed[0]))
			continue;
		pack_fail(code, "not allowed");
		PCALL_ERR("tp.fail", FP_E_INTERNAL, "which handlers may not "
		    "use");
	}
	/* The deadline: remaining_ns is 0 once it has passed. */
	pack_empty();
	PCALL_ERR("tp.deadline", FP_E_INVALID_PARAMS, "call me with a deadline");
	CHECK(pcall("tp.deadline", 1) == FP_E_TIMEOUT &&
	    strstr(errmsg, "gave up at the deadline") != NULL);
	/* Raw: params not unpacked, the bytes as they came. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_int(&pin, 1);
	msgpack_pack_str_with_body(&pin, "two", 3);
	CHECK(pcall("tp.raw", 0) == 0 && result.type == MSGPACK_OBJECT_BIN &&
	    result.via.bin.size == in.size &&
	    memcmp(result.via.bin.ptr, in.data, in.size) == 0);
	/* The codecs through the host. */
	pack_str("{\"a\": [1, 2.5, \"\xc3\xa9\"], \"b\": null}");
	CHECK(pcall("tp.json", 0) == 0 && result.type == MSGPACK_OBJECT_STR &&
	    result.via.str.size == 31 && memcmp(result.via.str.ptr,
	    "{\"a\":[1,2.5,\"\\u00e9\"],\"b\":null}", 31) == 0);
	pack_str("[1,\n 2,]");
	PCALL_ERR("tp.json", FP_E_INVALID_PARAMS, "syntax at 2:4 (offset 7)");
	pack_str("logged");
	CHECK(pcall("tp.log", 0) == 0 && result.type == MSGPACK_OBJECT_BOOLEAN);

	msgpack_zone_destroy(&zone);
	msgpack_sbuffer_destroy(&in);
	msgpack_sbuffer_destroy(&out);
}

/* ---- the load that succeeds -------------------------------------------- */

static const char *const tp_handlers[] = { "tp.ok", "tp.two", "tp.none",
    "tp.noerr", "tp.badcode", "tp.fail", "tp.crash", "tp.deadline", "tp.log",
    "tp.json", "tp.pid", "tp.raw", "tp.threadlog", "aggregate.group",
    "aggregate.group_json" };

static void
test_load(void)
{
	struct fp_config c;
	char	 text[16384], err[2048] = "", logf[128], *log = NULL;
	uint32_t n0 = handler_count(), i;
	size_t	 loglen = 0;
	FILE	*fp;
	int	 saved, fd, tpok, grp;

	/* `handler' lines naming plug-in handlers resolve only once they
	 * are loaded. */
	snprintf(text, sizeof(text), "load-timeout 10s\nload \"%s\"\n"
	    "load \"%s\" \"max-groups=10\"\nhandler tp.ok timeout 2s\n"
	    "handler aggregate.group retries 3\nhandler echo timeout 1s\n",
	    tp, agg);
	CHECK(load_conf(&c, text) == 0);
	CHECK(c.nload == 2 && c.load_timeout_ms == 10000);
	CHECK(config_resolve(&c, err, sizeof(err)) == -1);
	CHECK(strstr(err, ":4: handler tp.ok: unknown handler") != NULL);

	/* Load, with the log in a file. */
	snprintf(logf, sizeof(logf), "%s/log", tmpdir);
	fflush(stderr);
	saved = dup(2);
	fd = open(logf, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	CHECK(saved != -1 && fd != -1);
	dup2(fd, 2);
	close(fd);
	CHECK(plugins_load(&c, err, sizeof(err)) == 0);
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	if ((fp = fopen(logf, "r")) != NULL) {
		log = malloc(65536);
		if (log != NULL)
			loglen = fread(log, 1, 65535, fp);
		fclose(fp);
	}
	if (log != NULL) {
		log[loglen] = '\0';
		fputs(log, stderr);
		CHECK(strstr(log, "event=plugin_loaded plugin=testplug "
		    "version=test path=") != NULL);
		CHECK(strstr(log, "event=plugin_loaded plugin=aggregate "
		    "version=1.0 path=") != NULL);
		/* init ran in the probe and then for real. */
		CHECK(strstr(log, "event=aggregate_ready probe=") != NULL);
		CHECK(strstr(log, "event=aggregate_ready plugin=aggregate "
		    "max_groups=10") != NULL);
		CHECK(strstr(log, "event=testplug_init plugin=testplug "
		    "arg=none") != NULL);
		free(log);
	} else
		CHECK(!"log read");
	CHECK(no_children());
	CHECK(plugins_count() == 2);

	/* The table: the plug-ins' handlers after the built-ins, in order. */
	CHECK(handler_count() == n0 + 15);
	for (i = 0; i < 15; i++) {
		const char *name = handler_name(n0 + i);
		const struct handler *h = handler_get(n0 + i);

		if (name == NULL || strcmp(name, tp_handlers[i]) != 0) {
			fprintf(stderr, "handler %u: %s, want %s\n", n0 + i,
			    name != NULL ? name : "NULL", tp_handlers[i]);
			CHECK(!"handler names in order");
		}
		CHECK(h != NULL && (h->flags & HF_PLUGIN) != 0 &&
		    h->pfn != NULL && h->host != NULL);
		CHECK(handler_lookup(tp_handlers[i],
		    strlen(tp_handlers[i])) == (int)(n0 + i));
		if (h != NULL && h->host != NULL)
			CHECK(strcmp(h->host->plugin, i < 13 ? "testplug" :
			    "aggregate") == 0 &&
			    h->host->abi_version == FP_PLUGIN_ABI_VERSION &&
			    h->host->struct_size == sizeof(struct fp_host));
		if (h != NULL)
			CHECK(((h->flags & HF_RAW) != 0) ==
			    (strcmp(tp_handlers[i], "tp.raw") == 0));
	}
	/* Now the `handler' lines resolve. */
	CHECK(config_resolve(&c, err, sizeof(err)) == 0);
	tpok = handler_index("tp.ok", 5);
	grp = handler_index("aggregate.group", 15);
	CHECK(tpok >= 0 && grp >= 0);
	CHECK(config_handler_timeout_ms(&c, (uint32_t)tpok) == 2000);
	CHECK(config_handler_timeout_ms(&c, (uint32_t)grp) == c.timeout_ms);
	CHECK(config_handler_retries(&c, (uint32_t)grp) == 3);
	CHECK(config_handler_retries(&c, (uint32_t)tpok) == c.retries);
	CHECK(config_handler_timeout_ms(&c, (uint32_t)handler_index("echo", 4))
	    == 1000);
	/* An unknown name still fails. */
	snprintf(text, sizeof(text), "load \"%s\"\nhandler tp.nope timeout 1s\n",
	    tp);
	CHECK(load_conf(&c, text) == 0);
	CHECK(config_resolve(&c, err, sizeof(err)) == -1 &&
	    strstr(err, ":2: handler tp.nope: unknown handler (not built in "
	    "and not from a loaded plug-in)") != NULL);

	/* Once per process. */
	snprintf(text, sizeof(text), "load \"%s\"\n", tpcopy);
	CHECK(load_conf(&c, text) == 0);
	CHECK(plugins_load(&c, err, sizeof(err)) == -1 &&
	    strstr(err, "plug-ins are loaded already") != NULL);
	CHECK(handler_count() == n0 + 15 && plugins_count() == 2);

	test_calls();
	plugins_fini();
}

/* Copy `from' to `to'. */
static int
copy_file(const char *from, const char *to)
{
	char	 buf[65536];
	size_t	 n;
	FILE	*a = fopen(from, "rb"), *b = fopen(to, "wb");
	int	 rc = 0;

	if (a == NULL || b == NULL)
		rc = -1;
	while (rc == 0 && (n = fread(buf, 1, sizeof(buf), a)) > 0)
		if (fwrite(buf, 1, n, b) != n)
			rc = -1;
	if (a != NULL)
		fclose(a);
	if (b != NULL && fclose(b) != 0)
		rc = -1;
	return rc;
}

int
main(void)
{
	FILE	*fp;
	char	 cmd[256];

	find_build();
	snprintf(tmpdir, sizeof(tmpdir), "/tmp/test_plugin.XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	snprintf(conf, sizeof(conf), "%s/forkpool.conf", tmpdir);
	snprintf(textfile, sizeof(textfile), "%s/text.so", tmpdir);
	snprintf(nofile, sizeof(nofile), "%s/missing.so", tmpdir);
	snprintf(tpcopy, sizeof(tpcopy), "%s/copy/testplug.so", tmpdir);
	if ((fp = fopen(textfile, "w")) != NULL) {
		fputs("this is not a shared object\n", fp);
		fclose(fp);
	}
	snprintf(cmd, sizeof(cmd), "%s/copy", tmpdir);
	mkdir(cmd, 0700);
	CHECK(copy_file(tp, tpcopy) == 0);

	log_init(1, LOG_LVL_INFO, "test_plugin");
	handlers_init(0);
	signal(SIGPIPE, SIG_IGN);
	CHECK(no_children());

	test_refusals();
	in_child(case_clash, "plug-in name clash");
	in_child(case_clash_handlers, "handler name clash");
	in_child(case_partial, "a bad line after a good one");
	test_load();

	unlink(conf);
	unlink(textfile);
	unlink(tpcopy);
	snprintf(cmd, sizeof(cmd), "%s/log", tmpdir);
	unlink(cmd);
	snprintf(cmd, sizeof(cmd), "%s/copy", tmpdir);
	rmdir(cmd);
	rmdir(tmpdir);
	return check_done("test_plugin");
}
