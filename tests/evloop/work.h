/*
 * work.h -- the workload of the event-loop tests (evloop_epoll.c,
 * evloop_uv.c): what each request is, and the check of its completion.
 *
 * Request m (msgid m) of client k is decided by m alone, so that a
 * completion is checked against its msgid without keeping the request:
 * mostly echos of a bin of up to 2 KiB, every 16th one of 64 to 664 KiB
 * (more than a socket buffer holds, so that writes meet a full socket),
 * every 37th a method that does not exist (no_such_method), every 41st an
 * echo with two parameters (invalid_params).  Bytes are a function of k,
 * m and their position, so that a result delivered for the wrong request
 * is caught.  Nothing here allocates per request.
 *
 * And, for -S, a daemon held stopped with its listen backlog full.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forkpool.h"

#define W_BIG_MIN	(64 * 1024)
#define W_BIG_SPAN	(600 * 1024)

enum w_kind { W_ECHO, W_NOMETHOD, W_BADPARAMS };

struct work {
	int		 client;	/* k */
	uint32_t	 count;		/* requests to make */
	uint32_t	 issued;	/* msgids 1..issued were submitted */
	uint32_t	 done;		/* completions checked */
	uint8_t		*answered;	/* by msgid */
	uint8_t		*buf;		/* params of the request being made */
	size_t		 bufcap;
	uint32_t	 nerrors;	/* error completions, as expected */
	uint32_t	 nbig;		/* big requests */
};

static void __attribute__((__format__(__printf__, 1, 2), __noreturn__))
w_fail(const char *fmt, ...)
{
	va_list	 ap;

	fprintf(stderr, "FAIL: ");
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	exit(1);
}

static enum w_kind
w_kind(uint32_t m)
{
	if (m % 37 == 0)
		return W_NOMETHOD;
	if (m % 41 == 0)
		return W_BADPARAMS;
	return W_ECHO;
}

static size_t
w_size(uint32_t m)
{
	uint32_t	 h = m * 2654435761u;

	h ^= h >> 15;
	if (m % 16 == 5)
		return W_BIG_MIN + h % W_BIG_SPAN;
	return h % 2049;
}

static uint8_t
w_byte(int k, uint32_t m, size_t i)
{
	return (uint8_t)(m * 131 + i * 7 + k * 29 + (i >> 9));
}

static void
w_init(struct work *w, int client, uint32_t count)
{
	memset(w, 0, sizeof(*w));
	w->client = client;
	w->count = count;
	if ((w->answered = calloc(count + 1, 1)) == NULL)
		w_fail("out of memory");
	w->bufcap = 16 + W_BIG_MIN + W_BIG_SPAN;
	if ((w->buf = malloc(w->bufcap)) == NULL)
		w_fail("out of memory");
}

static void
w_free(struct work *w)
{
	free(w->answered);
	free(w->buf);
}

/* w_bin: a bin header for n bytes at p; returns its length. */
static size_t
w_bin(uint8_t *p, size_t n)
{
	if (n <= 0xff) {
		p[0] = 0xc4;
		p[1] = n;
		return 2;
	}
	if (n <= 0xffff) {
		p[0] = 0xc5;
		p[1] = n >> 8;
		p[2] = n;
		return 3;
	}
	p[0] = 0xc6;
	p[1] = n >> 24;
	p[2] = n >> 16;
	p[3] = n >> 8;
	p[4] = n;
	return 5;
}

/*
 * w_submit: submit the next request on c; its msgid must be the next
 * one, since the library counts from 1 as this workload does.
 */
static void
w_submit(struct work *w, struct fp_client *c)
{
	const char	*method = "echo";
	uint32_t	 m = w->issued + 1, id;
	size_t		 n, len, i;
	uint8_t		*p = w->buf;

	n = w_size(m);
	*p++ = w_kind(m) == W_BADPARAMS ? 0x92 : 0x91;
	p += w_bin(p, n);
	for (i = 0; i < n; i++)
		*p++ = w_byte(w->client, m, i);
	if (w_kind(m) == W_BADPARAMS)
		*p++ = 0xc0;
	if (w_kind(m) == W_NOMETHOD)
		method = "no.such.method";
	len = p - w->buf;
	if (fp_client_submit(c, method, w->buf, len, &id) == -1)
		w_fail("client %d: submit %u: %s", w->client, m,
		    strerror(errno));
	if (id != m)
		w_fail("client %d: msgid %u, expected %u", w->client, id, m);
	if (n >= W_BIG_MIN)
		w->nbig++;
	w->issued = m;
}

/* w_check: check a completion against its request. */
static void
w_check(struct work *w, const struct fp_result *r)
{
	const uint8_t	*p = r->data;
	uint32_t	 m = r->msgid;
	size_t		 n, hl, i;

	if (m == 0 || m > w->issued)
		w_fail("client %d: completion for msgid %u, never submitted "
		    "(%u were)", w->client, m, w->issued);
	if (w->answered[m])
		w_fail("client %d: second completion for msgid %u", w->client,
		    m);
	w->answered[m] = 1;
	w->done++;

	switch (w_kind(m)) {
	case W_NOMETHOD:
	case W_BADPARAMS:
		if (w_kind(m) == W_NOMETHOD ? (r->error != FP_E_NO_SUCH_METHOD ||
		    strcmp(r->code, "no_such_method") != 0 ||
		    strcmp(r->message, "no such method") != 0) :
		    (r->error != FP_E_INVALID_PARAMS ||
		    strcmp(r->code, "invalid_params") != 0 ||
		    strstr(r->message, "exactly one parameter") == NULL))
			w_fail("client %d: msgid %u: error %d code \"%s\" "
			    "message \"%s\"", w->client, m, r->error, r->code,
			    r->message);
		/* The whole error object, a map, and a nil result. */
		if (r->errlen < 2 || (r->errdata[0] & 0xf0) != 0x80 ||
		    r->len != 1 || r->data[0] != 0xc0)
			w_fail("client %d: msgid %u: error object or result "
			    "malformed", w->client, m);
		w->nerrors++;
		return;
	case W_ECHO:
		break;
	}
	if (r->error != FP_OK)
		w_fail("client %d: msgid %u: %s: %s", w->client, m, r->code,
		    r->message);
	n = w_size(m);
	if (r->len < 2)
		w_fail("client %d: msgid %u: short result", w->client, m);
	/* The daemon re-encodes: any bin header will do. */
	switch (p[0]) {
	case 0xc4:
		hl = 2;
		break;
	case 0xc5:
		hl = 3;
		break;
	case 0xc6:
		hl = 5;
		break;
	default:
		w_fail("client %d: msgid %u: result is not a bin (0x%02x)",
		    w->client, m, p[0]);
	}
	if (r->len != hl + n || r->errlen != 1 || r->errdata[0] != 0xc0)
		w_fail("client %d: msgid %u: result of %zu bytes, expected "
		    "%zu", w->client, m, r->len, hl + n);
	for (i = 0; i < n; i++)
		if (p[hl + i] != w_byte(w->client, m, i))
			w_fail("client %d: msgid %u: byte %zu differs",
			    w->client, m, i);
}

/* w_finish: every request was answered exactly once. */
static void
w_finish(const struct work *w)
{
	uint32_t	 m;

	for (m = 1; m <= w->count; m++)
		if (!w->answered[m])
			w_fail("client %d: no completion for msgid %u",
			    w->client, m);
	if (w->nerrors == 0 || w->nbig == 0)
		w_fail("client %d: %u error completions, %u big requests: "
		    "the workload is too small to test", w->client,
		    w->nerrors, w->nbig);
}

/*
 * w_options: the command line of both programs,
 *	PROG [-c conns] [-d depth] [-n requests] [-S pid] socket
 * Returns the socket; with -S, continues the daemon at exit whatever
 * happens.
 */
static void	 resume_daemon(void);

static const char *
w_options(int argc, char *argv[], const char *prog, int maxconns,
    int *nconns, int *depth, uint32_t *nreq, pid_t *pid)
{
	int	 ch;

	while ((ch = getopt(argc, argv, "c:d:n:S:")) != -1) {
		switch (ch) {
		case 'c':
			*nconns = atoi(optarg);
			break;
		case 'd':
			*depth = atoi(optarg);
			break;
		case 'n':
			*nreq = strtoul(optarg, NULL, 10);
			break;
		case 'S':
			*pid = atol(optarg);
			break;
		default:
			goto usage;
		}
	}
	if (argc - optind != 1 || *nconns < 1 || *nconns > maxconns ||
	    *depth < 1 || *nreq < 1 || *pid < 0)
		goto usage;
	atexit(resume_daemon);
	return argv[optind];
usage:
	fprintf(stderr, "usage: %s [-c conns] [-d depth] [-n requests] "
	    "[-S pid] socket\n", prog);
	exit(2);
}

/* ---- a daemon that accepts nothing ----------------------------------- */

static pid_t	 stopped;	/* the daemon while we hold it */

static int64_t
now_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Never leave the daemon stopped, whatever happens to this test. */
static void
resume_daemon(void)
{
	if (stopped > 0)
		kill(stopped, SIGCONT);
	stopped = 0;
}

/* fill_backlog: stop the daemon and fill its listen backlog. */
static int
fill_backlog(pid_t pid, const char *path, int **fdsp)
{
	struct sockaddr_un	 sun;
	struct rlimit		 rl;
	char			 f[64], line[512], *p;
	FILE			*fp;
	int64_t			 end;
	int			*fds = NULL, n = 0, fd, state = 0;

	/* The backlog may be a few thousand connections. */
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	stopped = pid;
	if (kill(pid, SIGSTOP) == -1)
		w_fail("kill -STOP %ld: %s", (long)pid, strerror(errno));
	/* Bounded wait until it is stopped, not merely signalled. */
	snprintf(f, sizeof(f), "/proc/%ld/stat", (long)pid);
	for (end = now_ms() + 10000; state != 'T' && now_ms() < end;) {
		if ((fp = fopen(f, "r")) == NULL)
			w_fail("%s: %s", f, strerror(errno));
		if (fgets(line, sizeof(line), fp) != NULL &&
		    (p = strrchr(line, ')')) != NULL && p[1] == ' ')
			state = p[2];
		fclose(fp);
		if (state != 'T')
			poll(NULL, 0, 5);
	}
	if (state != 'T')
		w_fail("daemon %ld not stopped after 10 s", (long)pid);

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	for (;;) {
		if (n % 1024 == 0 &&
		    (fds = reallocarray(fds, n + 1024, sizeof(*fds))) == NULL)
			w_fail("out of memory");
		if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK |
		    SOCK_CLOEXEC, 0)) == -1)
			w_fail("socket (after %d connections): %s", n,
			    strerror(errno));
		if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
			if (errno != EAGAIN)
				w_fail("connect: %s", strerror(errno));
			close(fd);
			break;
		}
		fds[n++] = fd;
		if (n > 100000)
			w_fail("no full backlog after %d connections", n);
	}
	*fdsp = fds;
	return n;
}

