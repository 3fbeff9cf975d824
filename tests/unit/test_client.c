/*
 * test_client.c -- unit tests of libforkpool's request encoder and
 * response parser.
 *
 * The parser is fed through a real Unix socket by a fake daemon in this
 * process, split at every byte boundary, so the incremental paths are the
 * ones tested, not just the whole-buffer one.
 */
#include <sys/types.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <poll.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "forkpool.h"
/* libclient.c's framing, and its first scanner as a reference. */
#include "mp.h"
#include "../fuzz/client_scan_ref.h"
#include "../bench/w3_data.h"

static int	 passed, failed;

#define CHECK(cond, ...) do {						\
	if (cond)							\
		passed++;						\
	else {								\
		failed++;						\
		fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);	\
		fprintf(stderr, __VA_ARGS__);				\
		fprintf(stderr, "\n");					\
	}								\
} while (0)

/* ---- error codes and the default socket ------------------------------ */

static void
test_errors(void)
{
	static const char *names[] = { "ok", "bad_request", "no_such_method",
	    "invalid_params", "too_large", "queue_full", "timeout",
	    "worker_crashed", "handler_error", "circuit_open", "cancelled",
	    "shutting_down", "permission_denied", "internal", "dead_lettered" };
	int	 i;

	CHECK(sizeof(names) / sizeof(names[0]) == FP_E__COUNT,
	    "error table size");
	for (i = 0; i < FP_E__COUNT; i++) {
		CHECK(strcmp(fp_err_name(i), names[i]) == 0, "name %d", i);
		CHECK(fp_err_code(names[i], strlen(names[i])) == i,
		    "code %s", names[i]);
	}
	CHECK(strcmp(fp_err_name(-1), "internal") == 0, "name -1");
	CHECK(strcmp(fp_err_name(FP_E__COUNT), "internal") == 0, "name max");
	CHECK(fp_err_code("queue_ful", 9) == -1, "prefix matched");
	CHECK(fp_err_code("queue_fullx", 11) == -1, "longer matched");
	CHECK(fp_err_code("timeout!", 7) == FP_E_TIMEOUT, "length ignored");
	CHECK(fp_err_code("", 0) == -1, "empty matched");
	CHECK(fp_err_code(NULL, 0) == -1, "NULL matched");
}

static void
test_default_socket(void)
{
	char	 buf[256], want[256], small[8];

	setenv("FORKPOOL_SOCKET", "/x/y.sock", 1);
	CHECK(fp_default_socket(buf, sizeof(buf)) == buf &&
	    strcmp(buf, "/x/y.sock") == 0, "FORKPOOL_SOCKET: %s", buf);
	CHECK(fp_default_socket(small, sizeof(small)) == NULL &&
	    errno == ENAMETOOLONG, "short buffer");
	setenv("FORKPOOL_SOCKET", "", 1);
	setenv("XDG_RUNTIME_DIR", "/run/user/1234", 1);
	if (geteuid() == 0)
		snprintf(want, sizeof(want), "/run/forkpool/forkpool.sock");
	else
		snprintf(want, sizeof(want), "/run/user/1234/forkpool.sock");
	CHECK(fp_default_socket(buf, sizeof(buf)) != NULL &&
	    strcmp(buf, want) == 0, "XDG: %s", buf);
	unsetenv("FORKPOOL_SOCKET");
	setenv("XDG_RUNTIME_DIR", "relative", 1);
	if (geteuid() != 0)
		snprintf(want, sizeof(want), "/tmp/forkpool-%lu/forkpool.sock",
		    (unsigned long)geteuid());
	CHECK(fp_default_socket(buf, sizeof(buf)) != NULL &&
	    strcmp(buf, want) == 0, "fallback: %s", buf);
	unsetenv("XDG_RUNTIME_DIR");
	CHECK(fp_default_socket(buf, sizeof(buf)) != NULL &&
	    strcmp(buf, want) == 0, "no XDG: %s", buf);
}

/* ---- the client against a fake daemon ---------------------------------- */

struct fake {
	char		 dir[64];
	char		 path[100];
	int		 lfd;
	int		 srv;		/* the daemon's end */
	struct fp_client *c;
};

static int
fake_open(struct fake *f)
{
	struct sockaddr_un	 sun;
	struct timeval		 tv = { 5, 0 };
	char			 err[256];

	memset(f, 0, sizeof(*f));
	snprintf(f->dir, sizeof(f->dir), "/tmp/test_client.XXXXXX");
	if (mkdtemp(f->dir) == NULL)
		return -1;
	snprintf(f->path, sizeof(f->path), "%s/s.sock", f->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", f->path);
	if ((f->lfd = socket(AF_UNIX, SOCK_STREAM, 0)) == -1 ||
	    bind(f->lfd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    listen(f->lfd, 4) == -1)
		return -1;
	if ((f->c = fp_client_open(f->path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "fp_client_open: %s\n", err);
		return -1;
	}
	if ((f->srv = accept(f->lfd, NULL, NULL)) == -1)
		return -1;
	if (setsockopt(f->srv, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) == -1)
		return -1;
	return 0;
}

static void
fake_close(struct fake *f)
{
	fp_client_close(f->c);
	if (f->srv != -1)
		close(f->srv);
	close(f->lfd);
	unlink(f->path);
	rmdir(f->dir);
}

/*
 * fake_write: a client that stopped reading must fail the test, not hang
 * it: give up when the socket stays full.
 */
static int
fake_write(struct fake *f, const void *p, size_t len)
{
	const char	*s = p;
	ssize_t		 n;

	while (len > 0) {
		if ((n = write(f->srv, s, len)) == -1) {
			fprintf(stderr, "fake daemon: write: %s\n",
			    strerror(errno));
			return -1;
		}
		s += n;
		len -= n;
	}
	return 0;
}

/* The responses every split test sends, and what must come out. */
struct want {
	uint32_t	 msgid;
	int		 error;
	const char	*code;
	const char	*message;
	const char	*data;		/* result bytes, NULL: nil */
	size_t		 len;
};

#define BIGLEN	(300 * 1024)

static void
pack_str(msgpack_packer *pk, const char *s)
{
	msgpack_pack_str(pk, strlen(s));
	msgpack_pack_str_body(pk, s, strlen(s));
}

static void
pack_error(msgpack_packer *pk, const char *code, const char *msg,
    int extra)
{
	msgpack_pack_map(pk, (code != NULL) + (msg != NULL) + extra);
	if (extra) {
		pack_str(pk, "signal");
		msgpack_pack_int(pk, 11);
	}
	if (code != NULL) {
		pack_str(pk, "code");
		pack_str(pk, code);
	}
	if (msg != NULL) {
		pack_str(pk, "message");
		pack_str(pk, msg);
	}
}

static size_t
build_stream(msgpack_sbuffer *sb, struct want *w, char *big, size_t *bigat)
{
	msgpack_packer	 pk;
	size_t		 n = 0;

	msgpack_packer_init(&pk, sb, msgpack_sbuffer_write);

	msgpack_pack_array(&pk, 4);		/* a string result */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_nil(&pk);
	pack_str(&pk, "hello");
	w[n++] = (struct want){ 1, FP_OK, "", "", "\xa5hello", 6 };

	msgpack_pack_array(&pk, 3);		/* a notification: skipped */
	msgpack_pack_int(&pk, 2);
	pack_str(&pk, "event");
	msgpack_pack_array(&pk, 0);

	msgpack_pack_array(&pk, 4);		/* a typed error */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 2);
	pack_error(&pk, "queue_full", "queue is full", 0);
	msgpack_pack_nil(&pk);
	w[n++] = (struct want){ 2, FP_E_QUEUE_FULL, "queue_full",
	    "queue is full", NULL, 0 };

	msgpack_pack_array(&pk, 4);		/* a nil result */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_uint32(&pk, 3);
	msgpack_pack_nil(&pk);
	msgpack_pack_nil(&pk);
	w[n++] = (struct want){ 3, FP_OK, "", "", "\xc0", 1 };

	msgpack_pack_array(&pk, 4);		/* the largest msgid */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_uint32(&pk, UINT32_MAX);
	msgpack_pack_nil(&pk);
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_map(&pk, 1);
	pack_str(&pk, "a");
	msgpack_pack_bin(&pk, 2);
	msgpack_pack_bin_body(&pk, "\x00\xff", 2);
	w[n++] = (struct want){ UINT32_MAX, FP_OK, "", "",
	    "\x92\x01\x81\xa1" "a" "\xc4\x02\x00\xff", 9 };

	msgpack_pack_array(&pk, 4);		/* an unknown code, extras */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_uint64(&pk, 5);
	pack_error(&pk, "rate_limited", "slow down", 1);
	msgpack_pack_nil(&pk);
	w[n++] = (struct want){ 5, FP_E_INTERNAL, "rate_limited",
	    "slow down", NULL, 0 };

	msgpack_pack_array(&pk, 4);		/* no code at all */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 6);
	pack_error(&pk, NULL, "what happened", 0);
	msgpack_pack_nil(&pk);
	w[n++] = (struct want){ 6, FP_E_INTERNAL, "internal",
	    "what happened", NULL, 0 };

	msgpack_pack_array(&pk, 4);		/* crash with a signal */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 7);
	pack_error(&pk, "worker_crashed", "killed by signal 11", 1);
	msgpack_pack_nil(&pk);
	w[n++] = (struct want){ 7, FP_E_WORKER_CRASHED, "worker_crashed",
	    "killed by signal 11", NULL, 0 };

	msgpack_pack_array(&pk, 4);		/* a string as error */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 8);
	pack_str(&pk, "plain");
	msgpack_pack_nil(&pk);
	w[n++] = (struct want){ 8, FP_E_INTERNAL, "internal", "plain",
	    NULL, 0 };

	*bigat = sb->size;
	msgpack_pack_array(&pk, 4);		/* grows the input buffer */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 9);
	msgpack_pack_nil(&pk);
	msgpack_pack_bin(&pk, BIGLEN);
	msgpack_pack_bin_body(&pk, big + 5, BIGLEN);
	w[n++] = (struct want){ 9, FP_OK, "", "", big, BIGLEN + 5 };

	msgpack_pack_array(&pk, 4);		/* after the big one */
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 10);
	msgpack_pack_nil(&pk);
	msgpack_pack_true(&pk);
	w[n++] = (struct want){ 10, FP_OK, "", "", "\xc3", 1 };
	return n;
}

static int
result_ok(const struct fp_result *r, const struct want *w)
{
	if (r->msgid != w->msgid || r->error != w->error ||
	    strcmp(r->code, w->code) != 0 ||
	    strcmp(r->message, w->message) != 0)
		return 0;
	if (w->data == NULL)
		return r->len == 1 && r->data[0] == 0xc0 && r->errlen > 1;
	return r->len == w->len && memcmp(r->data, w->data, w->len) == 0 &&
	    r->errlen == 1 && r->errdata[0] == 0xc0;
}

/* drain: take every response now buffered or readable. */
static int
drain(struct fake *f, const struct want *w, size_t nw, size_t *got)
{
	struct fp_result	 res;
	char			 err[256];
	int			 r;

	while ((r = fp_client_next(f->c, &res, 0, err, sizeof(err))) == 0) {
		if (*got >= nw || !result_ok(&res, &w[*got])) {
			fprintf(stderr, "response %zu: msgid %u error %d "
			    "code %s message %s len %zu\n", *got, res.msgid,
			    res.error, res.code, res.message, res.len);
			return -1;
		}
		(*got)++;
	}
	if (r == -1)
		fprintf(stderr, "fp_client_next: %s\n", err);
	return r == FP_AGAIN ? 0 : -1;
}

static void
test_parser_splits(void)
{
	msgpack_sbuffer	 sb;
	struct fake	 f;
	struct want	 w[16];
	char		*big;
	size_t		 nw, got, k, i, bigat, bad = 0;

	big = malloc(BIGLEN + 5);
	big[0] = 0xc6;
	big[1] = BIGLEN >> 24;
	big[2] = (BIGLEN >> 16) & 0xff;
	big[3] = (BIGLEN >> 8) & 0xff;
	big[4] = BIGLEN & 0xff;
	for (i = 0; i < BIGLEN; i++)
		big[5 + i] = i * 7;
	msgpack_sbuffer_init(&sb);
	nw = build_stream(&sb, w, big, &bigat);

	/* One byte at a time, asking after each. */
	if (fake_open(&f) == -1) {
		CHECK(0, "fake daemon: %s", strerror(errno));
		return;
	}
	got = 0;
	for (i = 0; i < sb.size && bad == 0; i += k) {
		/* Dribble all but the body of the big one, in chunks that
		 * fit the socket buffer. */
		k = i > bigat + 10 && i < sb.size - 20 ? 4096 : 1;
		if (k > sb.size - 20 - i && i < sb.size - 20)
			k = sb.size - 20 - i;
		if (fake_write(&f, sb.data + i, k) == -1 ||
		    drain(&f, w, nw, &got) == -1)
			bad = i + 1;
	}
	CHECK(bad == 0 && got == nw, "byte at a time: failed at byte %zu, "
	    "%zu of %zu responses", bad, got, nw);
	fake_close(&f);

	/* Split in two at every boundary of the small responses. */
	for (k = 0; k <= bigat + 10; k++) {
		if (fake_open(&f) == -1) {
			CHECK(0, "fake daemon: %s", strerror(errno));
			break;
		}
		got = 0;
		if (fake_write(&f, sb.data, k) == 0 &&
		    drain(&f, w, nw, &got) == 0) {
			/* The rest may not fit the socket buffer at once. */
			for (i = k; i < sb.size; i += 65536) {
				if (fake_write(&f, sb.data + i, sb.size - i <
				    65536 ? sb.size - i : 65536) == -1 ||
				    drain(&f, w, nw, &got) == -1)
					break;
			}
		}
		if (got != nw) {
			CHECK(0, "split at %zu: %zu of %zu responses", k, got,
			    nw);
			bad++;
		}
		fake_close(&f);
	}
	CHECK(bad == 0, "splits");

	/* All at once, then end of stream. */
	if (fake_open(&f) == 0) {
		struct fp_result	 res;
		char			 err[256];

		got = 0;
		for (i = 0; i < sb.size; i += 65536) {
			if (fake_write(&f, sb.data + i, sb.size - i < 65536 ?
			    sb.size - i : 65536) == -1 ||
			    drain(&f, w, nw, &got) == -1)
				break;
		}
		CHECK(got == nw, "at once: %zu of %zu", got, nw);
		close(f.srv);
		f.srv = -1;
		CHECK(fp_client_next(f.c, &res, 1000, err, sizeof(err)) == -1 &&
		    errno == EPIPE, "end of stream: %s", strerror(errno));
		CHECK(fp_client_next(f.c, &res, 0, err, sizeof(err)) == -1 &&
		    errno == EPIPE && strstr(err, "closed") != NULL,
		    "end of stream sticks: %s", err);
		fake_close(&f);
	}
	msgpack_sbuffer_destroy(&sb);
	free(big);
}

/* t_malformed: bytes that must end in EPROTO. */
static void
t_malformed(const char *bytes, size_t len, int line)
{
	struct fake		 f;
	struct fp_result	 res;
	char			 err[256] = "";
	int			 r, r2, e;

	if (fake_open(&f) == -1) {
		CHECK(0, "fake daemon: %s", strerror(errno));
		return;
	}
	fake_write(&f, bytes, len);
	r = fp_client_next(f.c, &res, 1000, err, sizeof(err));
	e = errno;
	r2 = fp_client_next(f.c, &res, 0, err, sizeof(err));
	if (r != -1 || e != EPROTO || r2 != -1 || errno != EPROTO ||
	    strstr(err, "malformed") == NULL) {
		failed++;
		fprintf(stderr, "FAIL line %d: r=%d errno=%s err=%s\n", line,
		    r, strerror(e), err);
	} else
		passed++;
	fake_close(&f);
}
#define MALFORMED(b)	t_malformed(b, sizeof(b) - 1, __LINE__)

static void
test_parser_malformed(void)
{
	MALFORMED("\xc1");
	MALFORMED("\x94\x01\x01\xc0\xc1");
	MALFORMED("\xa5hello");			/* not an array */
	MALFORMED("\x01");
	MALFORMED("\x93\x01\x01\xc0");		/* 3 elements */
	MALFORMED("\x95\x01\x01\xc0\xc0\xc0");	/* 5 elements */
	MALFORMED("\x90");
	MALFORMED("\x94\x00\x01\xa1m\x90");	/* a request */
	MALFORMED("\x94\x03\x01\xc0\xc0");	/* unknown type */
	MALFORMED("\x94\xc0\x01\xc0\xc0");
	MALFORMED("\x94\x01\xff\xc0\xc0");	/* negative msgid */
	MALFORMED("\x94\x01\xd0\xff\xc0\xc0");
	MALFORMED("\x94\x01\xcf\x00\x00\x00\x01\x00\x00\x00\x00\xc0\xc0");
	MALFORMED("\x94\x01\xa1" "1" "\xc0\xc0");	/* msgid a string */
	MALFORMED("\x94\x01\xcb\x3f\xf0\x00\x00\x00\x00\x00\x00\xc0\xc0");
	MALFORMED("\x94\x01\x01\xc0\xdb\xff\xff\xff\xff");	/* 4 GiB */
	MALFORMED("\x94\x01\x01\xc0\xdd\xff\xff\xff\xff");
}

static void
test_submit(void)
{
	struct fake		 f;
	struct fp_result	 res;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	uint8_t			 got[512];
	char			 method[300], err[256];
	uint32_t		 id1, id2;
	ssize_t			 n;
	size_t			 have = 0;

	if (fake_open(&f) == -1) {
		CHECK(0, "fake daemon: %s", strerror(errno));
		return;
	}
	CHECK(fp_client_fd(f.c) >= 0, "fd");
	CHECK((fcntl(fp_client_fd(f.c), F_GETFL) & O_NONBLOCK) != 0,
	    "blocking socket");
	CHECK(fp_client_submit(f.c, "m", "\x01", 1, &id1) == -1 &&
	    errno == EINVAL, "params not an array");
	CHECK(fp_client_submit(f.c, "m", "\x91", 1, &id1) == -1 &&
	    errno == EINVAL, "params truncated");
	CHECK(fp_client_submit(f.c, "m", "\x90\x90", 2, &id1) == -1 &&
	    errno == EINVAL, "params with trailing bytes");
	CHECK(fp_client_submit(f.c, "m", "\x91\xc1", 2, &id1) == -1 &&
	    errno == EINVAL, "params invalid");
	CHECK(fp_client_submit(f.c, NULL, "\x90", 1, &id1) == -1 &&
	    errno == EINVAL, "NULL method");
	CHECK(fp_client_pending_output(f.c) == 0, "rejected bytes queued");

	memset(method, 'x', sizeof(method) - 1);
	method[sizeof(method) - 1] = '\0';
	CHECK(fp_client_submit(f.c, "echo", "\x91\xa2hi", 4, &id1) == 0,
	    "submit");
	CHECK(fp_client_submit(f.c, method, NULL, 0, &id2) == 0, "submit 2");
	CHECK(fp_client_notify(f.c, "note", "\xdc\x00\x01\xc0", 4) == 0,
	    "notify");
	CHECK(id2 != id1, "same msgid twice");
	CHECK(fp_client_pending_output(f.c) > 0, "nothing queued");
	CHECK(fp_client_flush(f.c) == 0 &&
	    fp_client_pending_output(f.c) == 0, "flush");

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_uint32(&pk, id1);
	pack_str(&pk, "echo");
	msgpack_sbuffer_write(&sb, "\x91\xa2hi", 4);
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_uint32(&pk, id2);
	pack_str(&pk, method);
	msgpack_pack_array(&pk, 0);
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, 2);
	pack_str(&pk, "note");
	msgpack_sbuffer_write(&sb, "\xdc\x00\x01\xc0", 4);
	while (have < sb.size && (n = read(f.srv, got + have,
	    sizeof(got) - have)) > 0)
		have += n;
	CHECK(have == sb.size && memcmp(got, sb.data, sb.size) == 0,
	    "request bytes differ (%zu, want %zu)", have, sb.size);
	msgpack_sbuffer_destroy(&sb);

	/* Nothing arrives: FP_AGAIN, now and after a wait. */
	CHECK(fp_client_next(f.c, &res, 0, err, sizeof(err)) == FP_AGAIN,
	    "next with nothing");
	CHECK(fp_client_next(f.c, &res, 30, err, sizeof(err)) == FP_AGAIN,
	    "next with timeout");

	/* fp_client_call drops answers to other requests. */
	fake_write(&f, "\x94\x01", 2);
	got[0] = id2;				/* id2 < 128: fixint */
	fake_write(&f, got, 1);
	fake_write(&f, "\xc0\x01", 2);
	fake_write(&f, "\x94\x01\x7f\xc0\x02", 5);
	fake_write(&f, "\x94\x01\x03\xc0\x03", 5);	/* the next msgid */
	CHECK(fp_client_call(f.c, "x", NULL, 0, &res, 1000, err,
	    sizeof(err)) == 0 && res.msgid == 3 && res.len == 1 &&
	    res.data[0] == 3, "call: %s", err);
	fake_close(&f);
}

/* A daemon that closes as soon as it is connected to. */
static void
test_connection_errors(void)
{
	struct fp_client	*c;
	struct fake		 f;
	struct fp_result	 res;
	char			 err[256], path[300];
	uint32_t		 id;
	int			 r;

	CHECK((c = fp_client_open("/nonexistent/forkpool.sock", err,
	    sizeof(err))) == NULL && errno == ENOENT &&
	    strstr(err, "/nonexistent/forkpool.sock") != NULL,
	    "open nonexistent: %s", err);
	memset(path, 'a', sizeof(path) - 1);
	path[0] = '/';
	path[sizeof(path) - 1] = '\0';
	CHECK(fp_client_open(path, err, sizeof(err)) == NULL &&
	    errno == ENAMETOOLONG, "long path");

	if (fake_open(&f) == -1)
		return;
	close(f.srv);
	f.srv = -1;
	/* Writing to a closed peer must not raise SIGPIPE. */
	CHECK(fp_client_submit(f.c, "echo", "\x90", 1, &id) == 0, "submit");
	r = fp_client_call(f.c, "echo", "\x90", 1, &res, 1000, err,
	    sizeof(err));
	CHECK(r == -1 && errno == EPIPE, "call to closed peer: %d %s", r,
	    err);
	fake_close(&f);

	/* Closed within a response. */
	if (fake_open(&f) == -1)
		return;
	fake_write(&f, "\x94\x01\x01", 3);
	close(f.srv);
	f.srv = -1;
	CHECK(fp_client_next(f.c, &res, 1000, err, sizeof(err)) == -1 &&
	    errno == EPIPE && strstr(err, "within") != NULL,
	    "closed within a response: %s", err);
	fake_close(&f);
}

/* ---- the event-loop interface ------------------------------------------ */

/* A listener of our own that accepts only when told to. */
struct lsn {
	char	 dir[64];
	char	 path[100];
	int	 fd;
};

static int
lsn_open(struct lsn *l, int backlog)
{
	struct sockaddr_un	 sun;

	memset(l, 0, sizeof(*l));
	l->fd = -1;
	snprintf(l->dir, sizeof(l->dir), "/tmp/test_client.XXXXXX");
	if (mkdtemp(l->dir) == NULL)
		return -1;
	snprintf(l->path, sizeof(l->path), "%s/s.sock", l->dir);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", l->path);
	if ((l->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(l->fd, (struct sockaddr *)&sun, sizeof(sun)) == -1)
		return -1;
	if (backlog >= 0 && listen(l->fd, backlog) == -1)
		return -1;
	return 0;
}

static void
lsn_close(struct lsn *l)
{
	if (l->fd != -1)
		close(l->fd);
	l->fd = -1;
	unlink(l->path);
	rmdir(l->dir);
}

static int64_t
cpu_ms(void)
{
	struct rusage	 ru;

	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000 +
	    (ru.ru_utime.tv_usec + ru.ru_stime.tv_usec) / 1000;
}

static int64_t
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * read_requests: read n requests [0, msgid, method, params] from fd; their
 * msgids in ids[], the method of the first in method.
 */
static int
read_requests(int fd, int n, uint32_t *ids, char *method, size_t mlen)
{
	msgpack_unpacker	 u;
	msgpack_unpacked	 m;
	msgpack_object		*a;
	ssize_t			 k;
	int			 i, r = -1;

	msgpack_unpacker_init(&u, 4096);
	msgpack_unpacked_init(&m);
	for (i = 0; i < n; i++) {
		while (msgpack_unpacker_next(&u, &m) != MSGPACK_UNPACK_SUCCESS) {
			msgpack_unpacker_reserve_buffer(&u, 4096);
			k = read(fd, msgpack_unpacker_buffer(&u), 4096);
			if (k <= 0)
				goto out;
			msgpack_unpacker_buffer_consumed(&u, k);
		}
		if (m.data.type != MSGPACK_OBJECT_ARRAY ||
		    m.data.via.array.size != 4)
			goto out;
		a = m.data.via.array.ptr;
		if (a[0].via.u64 != 0 ||
		    a[1].type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
		    a[2].type != MSGPACK_OBJECT_STR ||
		    a[2].via.str.size >= mlen)
			goto out;
		ids[i] = a[1].via.u64;
		if (i == 0) {
			memcpy(method, a[2].via.str.ptr, a[2].via.str.size);
			method[a[2].via.str.size] = '\0';
		}
	}
	r = 0;
out:
	msgpack_unpacked_destroy(&m);
	msgpack_unpacker_destroy(&u);
	return r;
}

/* What fp_client_connect rests on, checked so that a kernel that changes
 * it fails here rather than in a user's loop. */
static void
test_kernel_connect(void)
{
	struct sockaddr_un	 sun;
	struct pollfd		 pfd;
	struct lsn		 l;
	int			 a, b;

	if (lsn_open(&l, 0) == -1) {
		CHECK(0, "listener: %s", strerror(errno));
		return;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", l.path);
	a = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	b = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK, 0);
	/* Backlog 0 holds one connection, connected before any accept. */
	CHECK(connect(a, (struct sockaddr *)&sun, sizeof(sun)) == 0,
	    "first connect: %s", strerror(errno));
	CHECK(write(a, "x", 1) == 1, "write before accept: %s",
	    strerror(errno));
	/* A full backlog: EAGAIN at once, not EINPROGRESS. */
	CHECK(connect(b, (struct sockaddr *)&sun, sizeof(sun)) == -1 &&
	    errno == EAGAIN, "connect to a full backlog: %s",
	    strerror(errno));
	/* The unconnected socket polls ready: waiting on it would spin. */
	pfd.fd = b;
	pfd.events = 0;
	pfd.revents = 0;
	CHECK(poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLHUP),
	    "unconnected socket: revents %#x", pfd.revents);
	close(a);
	close(b);
	lsn_close(&l);
}

static void
test_connect_nonblocking(void)
{
	struct fp_client	*c1, *c2, *c3;
	struct fp_result	 res;
	struct lsn		 l;
	char			 err[256] = "", method[32] = "";
	uint32_t		 id, got[2] = { 0, 0 };
	int64_t			 t0, cpu0;
	int			 a1, a2, r, tmo, i;

	/* Failures other than a full backlog are immediate, as for open. */
	CHECK(fp_client_connect("/nonexistent/forkpool.sock", err,
	    sizeof(err)) == NULL && errno == ENOENT &&
	    strstr(err, "connect /nonexistent/forkpool.sock") != NULL,
	    "connect nonexistent: %s", err);
	if (lsn_open(&l, -1) == 0) {		/* bound, not listening */
		CHECK(fp_client_connect(l.path, err, sizeof(err)) == NULL &&
		    errno == ECONNREFUSED, "connect refused: %s", err);
		lsn_close(&l);
	}

	if (lsn_open(&l, 0) == -1) {
		CHECK(0, "listener: %s", strerror(errno));
		return;
	}
	/* A blocking connect here would hang: the test dies instead. */
	alarm(30);
	c1 = fp_client_connect(l.path, err, sizeof(err));
	CHECK(c1 != NULL, "connect: %s", err);
	c2 = fp_client_connect(l.path, err, sizeof(err));
	CHECK(c2 != NULL, "connect to a full backlog: %s", err);
	if (c1 == NULL || c2 == NULL) {
		fp_client_close(c1);
		fp_client_close(c2);
		lsn_close(&l);
		return;
	}
	CHECK((fcntl(fp_client_fd(c1), F_GETFL) & O_NONBLOCK) != 0,
	    "blocking socket");
	CHECK(fp_client_events(c1) == POLLIN && fp_client_timeout(c1) == -1,
	    "connected: events %d timeout %d", fp_client_events(c1),
	    fp_client_timeout(c1));

	/* Connecting: nothing to poll for, a retry timer, submit queues. */
	tmo = fp_client_timeout(c2);
	CHECK(fp_client_events(c2) == 0 && tmo >= 0 && tmo <= 64,
	    "connecting: events %d timeout %d", fp_client_events(c2), tmo);
	CHECK(fp_client_submit(c2, "echo", "\x91\xa2hi", 4, &id) == 0 &&
	    fp_client_pending_output(c2) > 0, "submit while connecting");
	CHECK(fp_client_events(c2) == 0, "connecting with output: events %d",
	    fp_client_events(c2));
	CHECK(fp_client_flush(c2) == FP_AGAIN, "flush while connecting");
	CHECK(fp_client_next(c2, &res, 0, err, sizeof(err)) == FP_AGAIN,
	    "next(0) while connecting");
	/* Back-off: the attempts grow apart, up to 64 ms. */
	for (i = 0; i < 12; i++)
		(void)fp_client_flush(c2);
	tmo = fp_client_timeout(c2);
	CHECK(tmo > 16 && tmo <= 64, "back-off after 14 attempts: %d ms",
	    tmo);
	/* Waiting while connecting sleeps between attempts, never spins. */
	t0 = wall_ms();
	cpu0 = cpu_ms();
	r = fp_client_next(c2, &res, 300, err, sizeof(err));
	CHECK(r == FP_AGAIN && wall_ms() - t0 >= 290,
	    "next(300) while connecting: %d after %lld ms", r,
	    (long long)(wall_ms() - t0));
	CHECK(cpu_ms() - cpu0 < 100, "next(300) while connecting used "
	    "%lld ms of CPU", (long long)(cpu_ms() - cpu0));
	CHECK(fp_client_call(c2, "echo", NULL, 0, &res, 50, err,
	    sizeof(err)) == FP_AGAIN, "call while connecting");

	/* Room in the backlog: the next call connects and writes. */
	a1 = accept(l.fd, NULL, NULL);
	CHECK(a1 != -1, "accept 1: %s", strerror(errno));
	r = fp_client_flush(c2);
	CHECK(r == 0 && fp_client_pending_output(c2) == 0,
	    "flush after room: %d", r);
	CHECK(fp_client_events(c2) == POLLIN && fp_client_timeout(c2) == -1,
	    "connected: events %d timeout %d", fp_client_events(c2),
	    fp_client_timeout(c2));
	a2 = accept(l.fd, NULL, NULL);
	CHECK(a2 != -1, "accept 2: %s", strerror(errno));
	/* The request, then that of the call above, then the answer. */
	CHECK(a2 != -1 && read_requests(a2, 2, got, method,
	    sizeof(method)) == 0 && got[0] == id && got[1] == id + 1 &&
	    strcmp(method, "echo") == 0, "requests after connecting: "
	    "msgids %u %u method %s", got[0], got[1], method);
	if (a2 != -1 && write(a2, "\x94\x01\x01\xc0\xa2hi", 7) == 7)
		CHECK(fp_client_next(c2, &res, 5000, err, sizeof(err)) == 0 &&
		    res.msgid == id && res.len == 3, "response: %s", err);
	fp_client_close(c2);
	if (a2 != -1)
		close(a2);

	/* A retry that fails is final, reported by whichever call made it. */
	c3 = fp_client_connect(l.path, err, sizeof(err));
	CHECK(c3 != NULL && fp_client_events(c3) == POLLIN, "connect 3: %s",
	    c3 == NULL ? err : "connecting");
	c2 = fp_client_connect(l.path, err, sizeof(err));
	CHECK(c2 != NULL && fp_client_events(c2) == 0,
	    "connecting again: %s", c2 == NULL ? err : "connected");
	lsn_close(&l);
	fp_client_close(c3);
	if (c2 != NULL) {
		r = fp_client_flush(c2);
		CHECK(r == -1 && (errno == ENOENT || errno == ECONNREFUSED),
		    "flush after the listener went: %d %s", r,
		    strerror(errno));
		CHECK(fp_client_next(c2, &res, 0, err, sizeof(err)) == -1 &&
		    (errno == ENOENT || errno == ECONNREFUSED) &&
		    strstr(err, "connect ") != NULL,
		    "next after failed connect: %s", err);
		CHECK(fp_client_events(c2) == 0 &&
		    fp_client_timeout(c2) == -1, "failed: events %d "
		    "timeout %d", fp_client_events(c2),
		    fp_client_timeout(c2));
		fp_client_close(c2);
	}
	if (a1 != -1)
		close(a1);
	fp_client_close(c1);
	alarm(0);
}

/*
 * The edge-triggered contract: FP_AGAIN from fp_client_next(0) means the
 * socket was read until EAGAIN, and written until empty or EAGAIN.
 */
static void
test_events(void)
{
	struct fake		 f;
	struct fp_result	 res;
	struct pollfd		 pfd;
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	char			 err[256], *big, buf[65536];
	uint32_t		 id;
	size_t			 i, n, len = 4 << 20;
	ssize_t			 k;
	int			 r;

	if (fake_open(&f) == -1) {
		CHECK(0, "fake daemon: %s", strerror(errno));
		return;
	}
	CHECK(fp_client_events(NULL) == 0 && fp_client_timeout(NULL) == -1,
	    "NULL client");
	CHECK(fp_client_events(f.c) == POLLIN, "idle: %d",
	    fp_client_events(f.c));

	/* Many responses, more than the input buffer holds at first. */
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	memset(buf, 'r', sizeof(buf));
	for (i = 1; i <= 40; i++) {
		msgpack_pack_array(&pk, 4);
		msgpack_pack_int(&pk, 1);
		msgpack_pack_uint32(&pk, i);
		msgpack_pack_nil(&pk);
		msgpack_pack_bin(&pk, i * 1000);
		msgpack_pack_bin_body(&pk, buf, i * 1000);
	}
	n = 0;
	for (i = 0; i < sb.size; i += k) {
		/* As much as fits: the client reads in between. */
		if ((k = send(f.srv, sb.data + i, sb.size - i,
		    MSG_DONTWAIT)) == -1) {
			if (errno != EAGAIN)
				break;
			k = 0;
		}
		while ((r = fp_client_next(f.c, &res, 0, err,
		    sizeof(err))) == 0)
			n += res.msgid == n + 1;
		CHECK(r == FP_AGAIN, "next: %s", err);
		/* Drained to FP_AGAIN: nothing is left unread. */
		CHECK(recv(fp_client_fd(f.c), buf, 1, MSG_PEEK |
		    MSG_DONTWAIT) == -1 && errno == EAGAIN,
		    "bytes left in the socket after FP_AGAIN");
	}
	CHECK(n == 40, "%zu of 40 responses in order", n);
	msgpack_sbuffer_destroy(&sb);

	/* A request larger than the socket holds: POLLOUT until written. */
	big = malloc(len + 6);
	big[0] = 0x91;
	big[1] = 0xc6;
	big[2] = len >> 24;
	big[3] = len >> 16;
	big[4] = len >> 8;
	big[5] = len;
	memset(big + 6, 'q', len);
	CHECK(fp_client_submit(f.c, "echo", big, len + 6, &id) == 0,
	    "big submit");
	CHECK(fp_client_events(f.c) == (POLLIN | POLLOUT),
	    "queued: events %d", fp_client_events(f.c));
	CHECK(fp_client_next(f.c, &res, 0, err, sizeof(err)) == FP_AGAIN,
	    "next with big output: %s", err);
	CHECK(fp_client_pending_output(f.c) > 0 &&
	    fp_client_events(f.c) == (POLLIN | POLLOUT),
	    "socket full: pending %zu events %d",
	    fp_client_pending_output(f.c), fp_client_events(f.c));
	pfd.fd = fp_client_fd(f.c);
	pfd.events = POLLOUT;
	pfd.revents = 0;
	CHECK(poll(&pfd, 1, 0) == 0, "writable after FP_AGAIN: %#x",
	    pfd.revents);
	/* The daemon reads; the client writes on when told POLLOUT. */
	n = 0;
	while (fp_client_pending_output(f.c) > 0) {
		if ((k = read(f.srv, buf, sizeof(buf))) <= 0)
			break;
		n += k;
		pfd.revents = 0;
		if (poll(&pfd, 1, 0) == 1 && (r = fp_client_flush(f.c)) == -1)
			break;
	}
	CHECK(fp_client_pending_output(f.c) == 0 &&
	    fp_client_events(f.c) == POLLIN, "written: pending %zu events "
	    "%d", fp_client_pending_output(f.c), fp_client_events(f.c));
	free(big);
	fake_close(&f);
}

/* ---- the scanner against its reference -------------------------------- */

static uint32_t	 sc_rs = 0x2545f491;

static uint32_t
sc_rand(void)
{
	sc_rs ^= sc_rs << 13;
	sc_rs ^= sc_rs >> 17;
	sc_rs ^= sc_rs << 5;
	return sc_rs;
}

static size_t
sc_put_be(uint8_t *p, uint64_t v, int n)
{
	int	 i;

	for (i = n - 1; i >= 0; i--, v >>= 8)
		p[i] = (uint8_t)v;
	return (size_t)n;
}

/* sc_len: a length, mostly small, sometimes at or beyond a limit. */
static uint64_t
sc_len(int lb)
{
	uint64_t	 lim = lb == 1 ? 0xff : lb == 2 ? 0xffff : 0xffffffff;

	switch (sc_rand() % 8) {
	case 0:
		return lim;
	case 1:
		return sc_rand() & lim;
	case 2:
		return lim - sc_rand() % 3;
	default:
		return sc_rand() % 40;
	}
}

/*
 * sc_gen: up to cap bytes of a stream of MessagePack tokens of every type
 * (headers with their payloads as far as they fit), with now and then a
 * 0xc1 or a random byte.  Returns the length.
 */
static size_t
sc_gen(uint8_t *p, size_t cap)
{
	static const uint8_t	 lbtype[] = { 0xc4, 0xc5, 0xc6, 0xc7, 0xc8,
	    0xc9, 0xd9, 0xda, 0xdb, 0xdc, 0xdd, 0xde, 0xdf };
	uint8_t			 tok[64];
	size_t			 n = 0, t, i, k;
	uint64_t		 len;
	int			 lb;
	uint8_t			 b;

	while (n < cap) {
		t = 0;
		switch (sc_rand() % 12) {
		case 0: case 1:		/* any one-byte type, often fixint */
			tok[t++] = (uint8_t)sc_rand();
			break;
		case 2: case 3:		/* fixstr */
			k = sc_rand() % 32;
			tok[t++] = (uint8_t)(0xa0 | k);
			for (i = 0; i < k; i++)
				tok[t++] = (uint8_t)sc_rand();
			break;
		case 4: case 5:		/* fixarray, fixmap */
			tok[t++] = (uint8_t)(0x80 + sc_rand() % 32);
			break;
		case 6: case 7:		/* fixed-size scalars, fixext */
			b = (uint8_t)(0xca + sc_rand() % 15);
			tok[t++] = b;
			k = fp_mp_size[b] - 1;
			for (i = 0; i < k; i++)
				tok[t++] = (uint8_t)sc_rand();
			break;
		case 8: case 9: case 10:	/* length-prefixed, containers */
			b = lbtype[sc_rand() % sizeof(lbtype)];
			tok[t++] = b;
			lb = b == 0xc4 || b == 0xc7 || b == 0xd9 ? 1 :
			    b == 0xc5 || b == 0xc8 || b == 0xda || b == 0xdc ||
			    b == 0xde ? 2 : 4;
			len = sc_len(lb);
			t += sc_put_be(tok + t, len, lb);
			if (b >= 0xc7 && b <= 0xc9)
				tok[t++] = (uint8_t)sc_rand();	/* ext type */
			if (b < 0xdc)
				for (i = 0; i < len && t < sizeof(tok); i++)
					tok[t++] = (uint8_t)sc_rand();
			break;
		default:
			tok[t++] = sc_rand() % 4 == 0 ? 0xc1 : 0x90;
			break;
		}
		if (t > cap - n)
			t = cap - n;
		memcpy(p + n, tok, t);
		n += t;
	}
	return n;
}

/*
 * sc_diff: feed p[0, len) in random pieces to libclient's framing
 * (fp_mp_frame) and to the first client scanner (ref_scan), with left0
 * objects to pass and limit max.  They must agree on a complete message
 * and its length, and on an error; but fp_mp_frame may find "message too
 * large" sooner (it counts the objects still owed before their bytes
 * arrive: the reference must then never accept), or later when the input
 * ends inside the header of the object too large (it reads a header
 * whole; the reference judges the length before an ext's type byte).
 * Returns 1 if they disagree.
 */
static int
sc_diff(const uint8_t *p, size_t len, uint64_t left0, size_t max, int splits)
{
	struct fp_mp_skip s;
	struct fp_mp_head h;
	size_t		 avail = 0, pb = 0, nb = 0;
	uint64_t	 lbb = left0;
	const char	*wa = NULL, *wb = NULL;
	int		 ra = 0, rb, ok;

	fp_mp_skip_init(&s);
	s.remaining = left0;
	for (;;) {
		if (!splits || avail >= len)
			avail = len;
		else if (sc_rand() % 4 == 0)
			avail += 1 + sc_rand() % 64;
		else
			avail += 1 + sc_rand() % 4;
		if (avail > len)
			avail = len;
		if (ra == 0)
			ra = fp_mp_frame(&s, p, avail, max, &wa);
		rb = ref_scan(p, avail, &pb, &lbb, max, &nb, &wb);
		if (rb == 1)
			ok = ra == 1 && s.pos == pb;
		else if (rb == -1)
			/* The reference also judges a header cut short. */
			ok = ra == -1 || (ra == 0 &&
			    strcmp(wb, "message too large") == 0 &&
			    s.skip == 0 && s.pos < avail &&
			    fp_mp_head(p + s.pos, avail - s.pos, &h) ==
			    FP_MP_SHORT);
		else
			ok = ra == 0 || (ra == -1 &&
			    strcmp(wa, "message too large") == 0);
		if (!ok) {
			fprintf(stderr, "scan: len %zu avail %zu max %zu: "
			    "%d/%d pos %llu/%zu (%s/%s)\n", len, avail, max, ra,
			    rb, (unsigned long long)s.pos, pb,
			    ra == -1 ? wa : "", rb == -1 ? wb : "");
			return 1;
		}
		if (rb != 0 || avail == len)
			return 0;
	}
}

static void
test_scan_reference(void)
{
	static uint8_t	 buf[8192];
	msgpack_sbuffer	 sb;
	size_t		 len, max, i, bad = 0, runs = 0;
	uint64_t	 left;
	int		 r;

	/* Random token streams, random bytes, adversarial lengths. */
	for (r = 0; r < 20000; r++) {
		len = sc_gen(buf, 1 + sc_rand() % (r % 10 == 0 ? 8192 : 300));
		if (r % 7 == 0)
			for (i = 0; i < len; i++)
				buf[i] = (uint8_t)sc_rand();
		if (r % 5 == 0 && len > 0)
			buf[sc_rand() % len] = 0xc1;
		switch (sc_rand() % 5) {
		case 0:
			max = len;			/* params_ok, cur_skip */
			break;
		case 1:
			max = sc_rand() % (len + 1);	/* below the input */
			break;
		case 2:
			max = len + sc_rand() % 64;
			break;
		default:
			max = ((size_t)1 << 30 | (size_t)1 << 20); /* RESP_MAX */
			break;
		}
		left = sc_rand() % 8 == 0 ? 1 + sc_rand() % 5 : 1;
		bad += sc_diff(buf, len, left, max, 1);
		bad += sc_diff(buf, len, left, max, 0);
		runs += 2;
	}
	/* Every split point of a few small ones, one byte at a time. */
	for (r = 0; r < 2000; r++) {
		len = sc_gen(buf, 1 + sc_rand() % 80);
		for (i = 0; i <= len; i++) {
			bad += sc_diff(buf, i, 1, len, 0);
			bad += sc_diff(buf, i, 1, i, 0);
			runs += 2;
		}
	}
	/* The W3 value, whole, in random pieces and cut short. */
	msgpack_sbuffer_init(&sb);
	w3_pack(&sb, W3_RECORDS, W3_SEED);
	for (r = 0; r < 6; r++) {
		len = r < 3 ? sb.size : sc_rand() % sb.size;
		bad += sc_diff((const uint8_t *)sb.data, len, 1,
		    r % 2 ? len : sb.size, r > 0);
		runs++;
	}
	msgpack_sbuffer_destroy(&sb);
	CHECK(bad == 0, "scan: %zu of %zu runs disagree with the reference",
	    bad, runs);
}

int
main(void)
{
	test_errors();
	test_default_socket();
	test_scan_reference();
	test_submit();
	test_parser_splits();
	test_parser_malformed();
	test_connection_errors();
	test_kernel_connect();
	test_connect_nonblocking();
	test_events();
	printf("test_client: %d passed, %d failed\n", passed, failed);
	return failed > 0;
}
