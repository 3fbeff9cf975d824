/*
 * forkpool.c -- forkpool(1), the command-line client of forkpoold(8).
 *
 * Arguments and results are JSON on the command line and MessagePack on
 * the wire, converted by lib/'s codec with the rules of json.decode and
 * json.encode.  The exit status tells a script who failed: 1 the daemon
 * answered with an error (or a result that JSON cannot show), 2 the
 * command line was wrong, 3 the daemon could not be reached or broke the
 * protocol.
 */
#include <sys/types.h>

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/stdlib.h>

#include "forkpool.h"
#include "buf.h"
#include "clock.h"
#include "json.h"
#include "mp.h"
#include "bench.h"
#include "top.h"

#define EX_OK		0
#define EX_ANSWER	1	/* the daemon answered an error */
#define EX_USAGE	2
#define EX_CONN		3	/* cannot connect, connection lost, protocol */

static void __attribute__((__noreturn__))
usage(int status)
{
	/* Asked for (-h): on stdout, and not an error. */
	fprintf(status == EX_OK ? stdout : stderr,
	    "usage: forkpool [-s socket] [-t timeout_ms] call [-APS] method "
	    "[arg ...]\n"
	    "       forkpool [-s socket] [-t timeout_ms] notify method "
	    "[arg ...]\n"
	    "       forkpool [-s socket] [-t timeout_ms] ping\n"
	    "       forkpool [-s socket] [-t timeout_ms] reload\n"
	    "       forkpool [-s socket] [-t timeout_ms] stats [-aj] [window]\n"
	    "       forkpool [-s socket] [-t timeout_ms] workers [-j]\n"
	    "       forkpool [-s socket] [-t timeout_ms] slowlog [-j] [count]\n"
	    "       forkpool [-s socket] [-t timeout_ms] slowlog reset\n"
	    "       forkpool [-s socket] [-t timeout_ms] metrics\n"
	    "       forkpool [-s socket] [-t timeout_ms] top [-d seconds] "
	    "[-n iterations]\n"
	    "       forkpool [-s socket] [-t timeout_ms] bench [-c conns] "
	    "[-d depth]\n"
	    "                [-m method] [-n count] [-W warmup] [-z size]\n"
	    "       forkpool [-s socket] [-t timeout_ms] bench --sweep "
	    "[--inflight list]\n"
	    "                [--sweep-max size] [--sweep-min size] "
	    "[--sweep-time ms]\n"
	    "       forkpool -h | -V\n");
	exit(status);
}

/*
 * params: the JSON arguments as one MessagePack array, each parsed as
 * json.decode parses its text with the default options.
 */
static int
params(struct fp_buf *b, int argc, char *argv[])
{
	struct fp_json_dec_error e;
	int			 i;

	if (fp_mp_put_array(b, (uint32_t)argc) == -1) {
		fprintf(stderr, "forkpool: out of memory\n");
		return -1;
	}
	for (i = 0; i < argc; i++) {
		if (fp_json_decode((const uint8_t *)argv[i], strlen(argv[i]),
		    NULL, b, &e) == -1) {
			if (e.code == JSON_E_NOMEM)
				fprintf(stderr, "forkpool: out of memory\n");
			else
				fprintf(stderr, "forkpool: argument %d: "
				    "invalid JSON at offset %zu: %s\n", i + 1,
				    e.offset, e.msg);
			return -1;
		}
	}
	return 0;
}

/*
 * connect_daemon: a connect that never blocks, so that -t also bounds the
 * wait for a daemon whose listen backlog is full (a blocking connect(2)
 * would wait for it forever).
 */
static struct fp_client *
connect_daemon(const char *path)
{
	struct fp_client	*c;
	char			 err[256];

	if ((c = fp_client_connect(path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "forkpool: %s\n", err);
		exit(EX_CONN);
	}
	return c;
}

/* answer: report a failed call; returns the exit status. */
static int
answer_failed(int r, const struct fp_result *res, const char *err,
    int timeout_ms)
{
	if (r == -1) {
		fprintf(stderr, "forkpool: %s\n", err);
		return EX_CONN;
	}
	if (r == FP_AGAIN) {
		/* Nothing the daemon said: ours, but named like its own. */
		fprintf(stderr, "forkpool: timeout: no response within %d ms\n",
		    timeout_ms);
		return EX_ANSWER;
	}
	if (res->message[0] != '\0')
		fprintf(stderr, "forkpool: %s: %s\n", res->code, res->message);
	else
		fprintf(stderr, "forkpool: %s\n", res->code);
	return EX_ANSWER;
}

/*
 * print_json: the result as json.encode's text of it with options o
 * (NULL: the defaults), and a newline.  A result that json.encode refuses
 * (an ext other than a timestamp, a map key that is an array) is reported
 * like an error answer: the daemon kept the protocol.
 */
static int
print_json(const uint8_t *data, size_t len, const struct fp_json_enc_options *o)
{
	struct fp_buf		 out = { 0 };
	struct fp_json_enc_result res;
	char			 err[160];

	if (fp_json_encode(data, len, o, &out, &res, err, sizeof(err)) == -1 ||
	    fp_buf_append(&out, "\n", 1) == -1) {
		fprintf(stderr, "forkpool: result: %s\n", out.err ||
		    res.error == JSON_E_NOMEM ? "out of memory" : err);
		fp_buf_free(&out);
		return EX_ANSWER;
	}
	fwrite(fp_buf_head(&out), 1, fp_buf_unread(&out), stdout);
	fp_buf_free(&out);
	if (fflush(stdout) == EOF || ferror(stdout)) {
		fprintf(stderr, "forkpool: stdout: %s\n", strerror(errno));
		return EX_ANSWER;
	}
	return EX_OK;
}

/*
 * call_options: call's own flags, json.encode's options for the result:
 * -A ascii, -P pretty (two spaces, as "pretty": true), -S sort_keys.
 * Returns the index of the method in argv.
 */
static int
call_options(int argc, char *argv[], struct fp_json_enc_options *o)
{
	int	 ch;

	fp_json_enc_options_init(o);
	/* 0, not 1: glibc's getopt starts over on a new argv. */
	optind = 0;
	opterr = 0;
	while ((ch = getopt(argc, argv, "+APS")) != -1) {
		switch (ch) {
		case 'A':
			o->ascii = 1;
			break;
		case 'P':
			o->indent = 2;
			break;
		case 'S':
			o->sort_keys = 1;
			break;
		default:
			fprintf(stderr, "forkpool: call: unknown option -%c\n",
			    optopt);
			usage(EX_USAGE);
		}
	}
	return optind;
}

/*
 * call_print: call method with the parameters p (NULL: none), print the
 * result with print_json and options o; with `bare', a fixstr result (the
 * usual answer to ping, "pong") prints as its bytes.  Returns the exit
 * status.
 */
static int
call_print(const char *path, int timeout_ms, const char *method,
    const struct fp_buf *p, const struct fp_json_enc_options *o, int bare)
{
	struct fp_client	*c;
	struct fp_result	 res;
	char			 err[256];
	int			 r, status;

	c = connect_daemon(path);
	r = fp_client_call(c, method, p != NULL ? fp_buf_head(p) : NULL,
	    p != NULL ? fp_buf_unread(p) : 0, &res, timeout_ms, err,
	    sizeof(err));
	if (r != 0 || res.error != FP_OK)
		status = answer_failed(r, &res, err, timeout_ms);
	else if (bare && res.len > 0 && res.data[0] >= 0xa0 &&
	    res.data[0] <= 0xbf && res.len == 1 + (size_t)(res.data[0] & 0x1f)) {
		printf("%.*s\n", (int)(res.len - 1), res.data + 1);
		status = EX_OK;
		if (fflush(stdout) == EOF) {
			fprintf(stderr, "forkpool: stdout: %s\n",
			    strerror(errno));
			status = EX_ANSWER;
		}
	} else
		status = print_json(res.data, res.len, o);
	fp_client_close(c);
	return status;
}

static int
cmd_call(const char *path, int timeout_ms, int argc, char *argv[])
{
	struct fp_json_enc_options o;
	struct fp_buf		 p = { 0 };
	int			 r, status;

	r = call_options(argc, argv, &o);
	argc -= r;
	argv += r;
	if (argc < 1)
		usage(EX_USAGE);
	if (params(&p, argc - 1, argv + 1) == -1)
		exit(EX_USAGE);
	status = call_print(path, timeout_ms, argv[0], &p, &o, 0);
	fp_buf_free(&p);
	return status;
}

static int
cmd_notify(const char *path, int timeout_ms, int argc, char *argv[])
{
	struct fp_client	*c;
	struct pollfd		 pfd;
	struct fp_buf		 p = { 0 };
	int64_t			 deadline, left;
	int			 r, wait, t;

	if (argc < 2)
		usage(EX_USAGE);
	if (params(&p, argc - 2, argv + 2) == -1)
		exit(EX_USAGE);
	c = connect_daemon(path);
	if (fp_client_notify(c, argv[1], fp_buf_head(&p), fp_buf_unread(&p)) ==
	    -1) {
		fprintf(stderr, "forkpool: notify: %s\n", strerror(errno));
		exit(EX_CONN);
	}
	fp_buf_free(&p);
	deadline = timeout_ms >= 0 ? fp_now_ms() + timeout_ms : -1;
	while ((r = fp_client_flush(c)) == FP_AGAIN) {
		left = -1;
		if (deadline >= 0 && (left = deadline - fp_now_ms()) <= 0) {
			fprintf(stderr, "forkpool: timeout: notification not "
			    "written within %d ms\n", timeout_ms);
			exit(EX_ANSWER);
		}
		wait = left > INT_MAX ? INT_MAX : (int)left;
		if ((t = fp_client_timeout(c)) >= 0 && (wait < 0 || t < wait))
			wait = t;
		/* While connecting, the socket is not to be waited on. */
		pfd.fd = fp_client_events(c) != 0 ? fp_client_fd(c) : -1;
		pfd.events = POLLOUT;
		if (poll(&pfd, 1, wait) == -1 && errno != EINTR) {
			fprintf(stderr, "forkpool: poll: %s\n",
			    strerror(errno));
			exit(EX_CONN);
		}
	}
	if (r == -1) {
		fprintf(stderr, "forkpool: write: %s\n", strerror(errno));
		exit(EX_CONN);
	}
	fp_client_close(c);
	return EX_OK;
}

static int
cmd_ping(const char *path, int timeout_ms, int argc, char *argv[])
{
	if (argc != 1)
		usage(EX_USAGE);
	return call_print(path, timeout_ms, "forkpool.ping", NULL, NULL, 1);
}

/*
 * view_options: the flags of stats, workers and slowlog: -j (JSON, as
 * `call' prints results) and, where `all' is allowed, -a.  Returns the
 * index of the first operand in argv.
 */
static int
view_options(int argc, char *argv[], int allow_all, int *json, int *flags)
{
	int	 ch;

	*json = *flags = 0;
	optind = 0;
	opterr = 0;
	while ((ch = getopt(argc, argv, allow_all ? "+aj" : "+j")) != -1) {
		switch (ch) {
		case 'a':
			*flags |= VIEW_ALL;
			break;
		case 'j':
			*json = 1;
			break;
		default:
			fprintf(stderr, "forkpool: %s: unknown option -%c\n",
			    argv[0], optopt);
			usage(EX_USAGE);
		}
	}
	return optind;
}

/*
 * call_view: call method with the parameters p (NULL: none) and print the
 * result with `view' (top.c's tables), or as JSON when `json'.  Returns
 * the exit status.
 */
static int
call_view(const char *path, int timeout_ms, const char *method,
    const struct fp_buf *p, int json,
    int (*view)(const uint8_t *, size_t, int), int flags)
{
	struct fp_client	*c;
	struct fp_result	 res;
	char			 err[256];
	int			 r, status;

	if (json)
		return call_print(path, timeout_ms, method, p, NULL, 0);
	c = connect_daemon(path);
	r = fp_client_call(c, method, p != NULL ? fp_buf_head(p) : NULL,
	    p != NULL ? fp_buf_unread(p) : 0, &res, timeout_ms, err,
	    sizeof(err));
	if (r != 0 || res.error != FP_OK)
		status = answer_failed(r, &res, err, timeout_ms);
	else
		status = view(res.data, res.len, flags);
	fp_client_close(c);
	return status;
}

/*
 * A view command with one optional argument after its options (-a only
 * if `all'): passed as a str, or as JSON (`asjson'), to method.
 */
static int
cmd_view1(const char *path, int timeout_ms, int argc, char *argv[], int all,
    const char *method, int asjson, int (*view)(const uint8_t *, size_t, int))
{
	struct fp_buf	 p = { 0 };
	int		 json, flags, r, status;

	r = view_options(argc, argv, all, &json, &flags);
	argc -= r;
	argv += r;
	if (argc > 1)
		usage(EX_USAGE);
	if (asjson) {
		if (params(&p, argc, argv) == -1)
			exit(EX_USAGE);
	} else if (fp_mp_put_array(&p, (uint32_t)argc) == -1 ||
	    (argc == 1 && fp_mp_put_cstr(&p, argv[0]) == -1)) {
		fprintf(stderr, "forkpool: out of memory\n");
		exit(EX_USAGE);
	}
	status = call_view(path, timeout_ms, method, &p, json, view, flags);
	fp_buf_free(&p);
	return status;
}

/* forkpool stats [-aj] [window]: the window ("all", "1m", "5m") as is. */
static int
cmd_stats(const char *path, int timeout_ms, int argc, char *argv[])
{
	return cmd_view1(path, timeout_ms, argc, argv, 1, "forkpool.stats", 0,
	    view_stats);
}

static int
cmd_workers(const char *path, int timeout_ms, int argc, char *argv[])
{
	int		 json, flags, r;

	r = view_options(argc, argv, 0, &json, &flags);
	if (argc != r)
		usage(EX_USAGE);
	return call_view(path, timeout_ms, "forkpool.workers", NULL, json,
	    view_workers, flags);
}

/*
 * forkpool slowlog [-j] [count], forkpool slowlog reset: the count is
 * passed as JSON (an integer; the daemon judges it).
 */
static int
cmd_slowlog(const char *path, int timeout_ms, int argc, char *argv[])
{
	if (argc == 2 && strcmp(argv[1], "reset") == 0) {
		char	*av[] = { "call", "forkpool.slowlog_reset", NULL };

		return cmd_call(path, timeout_ms, 2, av);
	}
	return cmd_view1(path, timeout_ms, argc, argv, 0, "forkpool.slowlog",
	    1, view_slowlog);
}

/* forkpool metrics: the exposition text as it is, not as a JSON string. */
static int
cmd_metrics(const char *path, int timeout_ms, int argc, char *argv[])
{
	struct fp_client	*c;
	struct fp_result	 res;
	struct fp_mp_reader	 rd;
	const char		*s;
	char			 err[256];
	uint32_t		 n;
	int			 r, status = EX_OK;

	if (argc != 1)
		usage(EX_USAGE);
	c = connect_daemon(path);
	r = fp_client_call(c, "forkpool.metrics", NULL, 0, &res, timeout_ms,
	    err, sizeof(err));
	if (r != 0 || res.error != FP_OK)
		status = answer_failed(r, &res, err, timeout_ms);
	else {
		rd = (struct fp_mp_reader){ res.data, res.len, 0 };
		if (fp_mp_read_str(&rd, &s, &n) == -1) {
			fprintf(stderr, "forkpool: forkpool.metrics: "
			    "unexpected answer: not a str\n");
			status = EX_ANSWER;
		} else if (fwrite(s, 1, n, stdout) != n ||
		    fflush(stdout) == EOF) {
			fprintf(stderr, "forkpool: stdout: %s\n",
			    strerror(errno));
			status = EX_ANSWER;
		}
	}
	fp_client_close(c);
	return status;
}

/* reload: the same as `call forkpool.reload'. */
static int
cmd_reload(const char *path, int timeout_ms, int argc, char *argv[])
{
	char	*av[] = { "call", "forkpool.reload", NULL };

	(void)argv;
	if (argc != 1)
		usage(EX_USAGE);
	return cmd_call(path, timeout_ms, 2, av);
}

static const struct {
	const char	*name;
	int		(*fn)(const char *, int, int, char *[]);
} commands[] = {
	{ "call", cmd_call },
	{ "notify", cmd_notify },
	{ "ping", cmd_ping },
	{ "reload", cmd_reload },
	{ "stats", cmd_stats },
	{ "workers", cmd_workers },
	{ "slowlog", cmd_slowlog },
	{ "metrics", cmd_metrics },
	{ "top", top },
	{ "bench", bench },
};

int
main(int argc, char *argv[])
{
	const char	*path = NULL, *errstr;
	char		 defpath[PATH_MAX], err[PATH_MAX + 128];
	size_t		 i;
	int		 ch, timeout_ms = -1, r;

	/* "+": options end at the command; what follows is its own. */
	while ((ch = getopt(argc, argv, "+hs:t:V")) != -1) {
		switch (ch) {
		case 'h':
			usage(EX_OK);
		case 'V':
			printf("forkpool %s\n", FP_VERSION);
			return EX_OK;
		case 's':
			path = optarg;
			break;
		case 't':
			timeout_ms = strtonum(optarg, 0, INT_MAX, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "forkpool: timeout %s: %s\n",
				    optarg, errstr);
				usage(EX_USAGE);
			}
			if (timeout_ms == 0)
				timeout_ms = -1;
			break;
		default:
			usage(EX_USAGE);
		}
	}
	argc -= optind;
	argv += optind;
	if (argc < 1)
		usage(EX_USAGE);
	if (path == NULL) {
		if ((path = fp_default_socket(defpath, sizeof(defpath))) ==
		    NULL) {
			fprintf(stderr, "forkpool: default socket path: %s "
			    "(FORKPOOL_SOCKET, XDG_RUNTIME_DIR or TMPDIR)\n",
			    strerror(errno));
			return EX_CONN;
		}
		if (fp_default_socket_check(path, err, sizeof(err)) == -1) {
			fprintf(stderr, "forkpool: %s\n", err);
			return EX_CONN;
		}
	}

	for (i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(argv[0], commands[i].name) != 0)
			continue;
		/* Those that do not exit on bad usage return EX_USAGE. */
		if ((r = commands[i].fn(path, timeout_ms, argc, argv)) ==
		    EX_USAGE)
			usage(EX_USAGE);
		return r;
	}
	fprintf(stderr, "forkpool: unknown command: %s\n", argv[0]);
	usage(EX_USAGE);
}
