/*
 * test_handlers.c -- the built-in handlers, called the way a worker calls
 * them: params unpacked by msgpack-c, result packed into a buffer.
 */
#include <sys/wait.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "forkpool.h"
#include "handlers.h"
#include "check.h"

static msgpack_sbuffer	 in, out;
static msgpack_packer	 pin, pout;
static msgpack_zone	 zone;
static msgpack_object	 result;

/* Run `name' on the params packed in `in'; returns 0 or the error code. */
static int
call(const char *name)
{
	const struct handler *h;
	struct fp_hctx	 hc;
	msgpack_object	 params;
	size_t		 off = 0;
	int		 i;

	if ((i = handler_lookup(name, strlen(name))) == -1)
		return FP_E_NO_SUCH_METHOD;
	h = handler_get((uint32_t)i);
	msgpack_sbuffer_clear(&out);
	msgpack_zone_clear(&zone);
	memset(&hc, 0, sizeof(hc));
	hc.pk = &pout;
	if (msgpack_unpack(in.data, in.size, &off, &zone, &params) !=
	    MSGPACK_UNPACK_SUCCESS)
		return -1;
	if (h->fn(&hc, &params) == -1)
		return hc.err;
	off = 0;
	if (msgpack_unpack(out.data, out.size, &off, &zone, &result) !=
	    MSGPACK_UNPACK_SUCCESS || off != out.size)
		return -1;
	return 0;
}

static double
elapsed_ms(struct timespec *a)
{
	struct timespec b;

	clock_gettime(CLOCK_MONOTONIC, &b);
	return (b.tv_sec - a->tv_sec) * 1e3 + (b.tv_nsec - a->tv_nsec) / 1e6;
}

/* Run a test handler in a child; return its wait status. */
static int
in_child(const char *name, int arg)
{
	pid_t	 pid;
	int	 st;

	msgpack_sbuffer_clear(&in);
	if (arg >= 0) {
		msgpack_pack_array(&pin, 1);
		msgpack_pack_int(&pin, arg);
	} else
		msgpack_pack_array(&pin, 0);
	if ((pid = fork()) == 0) {
		alarm(1);
		call(name);
		_exit(100);
	}
	waitpid(pid, &st, 0);
	return st;
}

int
main(void)
{
	struct timespec	 t0;
	int		 st;

	msgpack_sbuffer_init(&in);
	msgpack_sbuffer_init(&out);
	msgpack_packer_init(&pin, &in, msgpack_sbuffer_write);
	msgpack_packer_init(&pout, &out, msgpack_sbuffer_write);
	msgpack_zone_init(&zone, 4096);

	handlers_init(0);
	CHECK(handler_lookup("echo", 4) >= 0);
	CHECK(handler_lookup("ech", 3) == -1);
	CHECK(handler_lookup("crash", 5) == -1);
	CHECK(handler_lookup("hang", 4) == -1);
	CHECK(handler_lookup("leak", 4) == -1);
	/* handler_index knows the disabled test handlers too. */
	CHECK(handler_index("crash", 5) >= 0);
	CHECK(handler_index("leak", 4) >= 0);
	CHECK(handler_index("nope", 4) == -1);
	CHECK(handler_name((uint32_t)handler_index("leak", 4)) != NULL &&
	    strcmp(handler_name((uint32_t)handler_index("leak", 4)),
	    "leak") == 0);
	CHECK(handler_name(handler_count()) == NULL);
	CHECK(handler_get(handler_count()) == NULL);

	/* echo returns its one parameter, whatever it is. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_map(&pin, 1);
	msgpack_pack_str_with_body(&pin, "k", 1);
	msgpack_pack_bin_with_body(&pin, "\0\1\2", 3);
	CHECK(call("echo") == 0);
	CHECK(result.type == MSGPACK_OBJECT_MAP &&
	    result.via.map.ptr[0].val.type == MSGPACK_OBJECT_BIN &&
	    result.via.map.ptr[0].val.via.bin.size == 3);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_nil(&pin);
	msgpack_pack_nil(&pin);
	CHECK(call("echo") == FP_E_INVALID_PARAMS);

	/* sleep [ms] sleeps and returns ms; bad params are rejected. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_int(&pin, 30);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(call("sleep") == 0);
	CHECK(elapsed_ms(&t0) >= 29.0);
	CHECK(result.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
	    result.via.u64 == 30);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_str_with_body(&pin, "x", 1);
	CHECK(call("sleep") == FP_E_INVALID_PARAMS);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_int(&pin, -5);
	CHECK(call("sleep") == FP_E_INVALID_PARAMS);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_int(&pin, 3600001);
	CHECK(call("sleep") == FP_E_INVALID_PARAMS);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 0);
	CHECK(call("sleep") == FP_E_INVALID_PARAMS);

	/* spin [us] burns CPU for about that long. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_int(&pin, 20000);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	CHECK(call("spin") == 0);
	CHECK(elapsed_ms(&t0) >= 19.9);
	CHECK(result.via.u64 == 20000);

	/* Test handlers, once enabled. */
	handlers_init(1);
	CHECK(handler_lookup("crash", 5) >= 0);
	st = in_child("crash", -1);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGSEGV);
	st = in_child("crash", SIGABRT);
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	st = in_child("crash", SIGCHLD);	/* ignored by default: aborts */
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGABRT);
	st = in_child("crash", SIGSTOP);	/* refused: invalid_params */
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 100);
	st = in_child("crash", SIGTSTP);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 100);
	st = in_child("crash", 0);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 100);	/* invalid_params */
	st = in_child("exit", 3);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 3);
	st = in_child("exit", -1);
	CHECK(WIFEXITED(st) && WEXITSTATUS(st) == 1);
	st = in_child("hang", -1);	/* alarm(1) ends it */
	CHECK(WIFSIGNALED(st) && WTERMSIG(st) == SIGALRM);

	/* leak [mb]: keeps what it allocates; 0 allocates nothing. */
	CHECK(handler_index("leak", 4) == handler_lookup("leak", 4));
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_int(&pin, 0);
	CHECK(call("leak") == 0 && result.via.u64 == 0);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_int(&pin, 2);
	CHECK(call("leak") == 0 && result.via.u64 == 2);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_int(&pin, 4097);
	CHECK(call("leak") == FP_E_INVALID_PARAMS);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 0);
	CHECK(call("leak") == FP_E_INVALID_PARAMS);

	msgpack_sbuffer_destroy(&in);
	msgpack_sbuffer_destroy(&out);
	msgpack_zone_destroy(&zone);
	return check_done("test_handlers");
}
