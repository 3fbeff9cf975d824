/*
 * libclient.c -- libforkpool, the C client of forkpool-rpc(7).
 *
 * One non-blocking Unix stream socket, one output buffer that requests are
 * encoded into and one input buffer that responses are parsed in place from.
 * Responses are handed out as pointers into the input buffer, so the steady
 * state allocates nothing per request: `forkpool bench' measures the daemon
 * through this code and must not measure malloc.
 *
 * Responses are framed with lib/mp.c's resumable skip (fp_mp_frame) whose
 * whole state is a byte position and counts of objects and payload bytes
 * still to pass, so a response that arrives in many pieces is scanned
 * once, not once per piece, and no nesting depth can overflow a stack;
 * they are read with its typed readers.  The same skip checks submitted
 * params.
 *
 * fp_client_connect never blocks.  A non-blocking connect(2) of a Linux
 * Unix stream socket never reports "in progress": it succeeds at once, the
 * connection then waiting in the listener's backlog, already writable,
 * until the daemon accepts it; or it fails at once, with EAGAIN when that
 * backlog is full.  No event tells a non-blocking caller when there is
 * room again (an unconnected socket polls as POLLOUT | POLLHUP at once, so
 * waiting on it would spin), so a client whose connect met a full backlog
 * stays "connecting" and tries again whenever it is called, on a timer
 * that fp_client_timeout gives the caller's loop.
 *
 * Large params and results cross in a shared-memory arena (forkpool-rpc(7),
 * Shared memory) once the daemon has taken it: one memfd of two fp_rings,
 * made on the first request with params past SHM_MIN and sent with
 * forkpool.shm_attach as SCM_RIGHTS on the sendmsg(2) that starts that
 * request.  Params then cost one memcpy into ring 0 and a 6-byte ext in
 * the request; a result in ring 1 is handed out in place and released on
 * the next call.  Until the daemon says yes, and for good if it says no,
 * everything goes inline.  A mapping made once and kept: faulting in a
 * fresh memfd per request would cost more than the socket.
 */
#include <sys/types.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "forkpool.h"
#include "clock.h"
#include "fpshm.h"
#include "mp.h"

#define IN_INITIAL	(64 * 1024)
#define OUT_INITIAL	(16 * 1024)
#define READ_MIN	(16 * 1024)	/* free space wanted before a read */
/* The daemon's max-request-size is at most 1G; leave room for framing. */
#define RESP_MAX	((size_t)1 << 30 | (size_t)1 << 20)
#define MSG_INITIAL	256
/* Connect attempts against a full backlog: 1, 2, 4 ... 64 ms apart. */
#define RETRY_MIN_MS	1
#define RETRY_MAX_MS	64
/* Params past this go through the arena; the daemon's result threshold. */
#define SHM_MIN		(64 * 1024)
/*
 * Each ring's data bytes.  16M: the daemon holds each request's params in
 * ring 0 until it is answered, so ring 0 must hold what is in flight
 * (eight 1M params); records up to 4M (a quarter).  Each page is faulted
 * in once per process on the first lap, so larger costs a new connection
 * more (32M: 16,384 faults per process, a third of the time of 1,000 1 MiB
 * echoes on a 2-vCPU VM, issue 11).
 */
#define SHM_DEFAULT	((size_t)16 << 20)
#define SHM_RING_MIN	((size_t)64 << 10)
#define SHM_ATTACH_ID	0	/* msgid of forkpool.shm_attach */

enum shm_state {
	SHM_OFF = 0,		/* not used (refused, turned off, failed) */
	SHM_IDLE,		/* made on the first large params */
	SHM_WAIT,		/* attach sent, not yet answered */
	SHM_ON			/* the daemon took it */
};

struct fp_client {
	int		 fd;
	int		 connected;	/* connect(2) has succeeded */
	int		 backoff;	/* ms between connect attempts */
	int64_t		 retry_at;	/* next attempt (monotonic ms) */
	struct sockaddr_un sun;		/* the daemon, for those attempts */
	uint32_t	 next_msgid;
	int		 rerr;		/* fatal input error (errno), or 0 */
	int		 werr;		/* fatal output error (errno), or 0 */
	char		 errmsg[160];	/* message that goes with rerr */

	uint8_t		*out;		/* queued output is out[ooff, olen) */
	size_t		 ooff;
	size_t		 olen;
	size_t		 ocap;

	uint8_t		*in;		/* unparsed input is in[ioff, ilen) */
	size_t		 ioff;
	size_t		 ilen;
	size_t		 icap;
	struct fp_mp_skip scan;		/* framing the response at ioff */
	int		 scanning;	/* scan is under way */

	char		*msg;		/* NUL-terminated error message */
	size_t		 msgcap;

	/* The shared-memory arena (see the top of this file). */
	int		 shm;		/* enum shm_state */
	size_t		 shmsize;	/* data bytes of each ring */
	uint8_t		*shmbase;	/* mapping, or NULL */
	size_t		 shmlen;
	struct fp_ring	 sreq;		/* ring 0: params, we write */
	struct fp_ring	 sres;		/* ring 1: results, we read */
	int		 shmfd;		/* to send with the attach, or -1 */
	uint64_t	 shmfd_at;	/* stream offset of the attach request */
	uint64_t	 written;	/* bytes written to the socket, ever */
	int		 shmheld;	/* a ring 1 record is handed out */
	int		 shmtried;	/* shm_start ran */
};

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

static int
msg_set(struct fp_client *c, const uint8_t *s, size_t len)
{
	char	*p;
	size_t	 cap;

	if (len + 1 > c->msgcap) {
		cap = c->msgcap;
		while (cap < len + 1)
			cap *= 2;
		if ((p = realloc(c->msg, cap)) == NULL)
			return -1;
		c->msg = p;
		c->msgcap = cap;
	}
	memcpy(c->msg, s, len);
	c->msg[len] = '\0';
	return 0;
}

/* The input side is broken for good: remember why, for every later call. */
static int
fail(struct fp_client *c, int e, char *err, size_t errlen,
    const char *fmt, ...)
{
	va_list	 ap;

	c->rerr = e;
	va_start(ap, fmt);
	vsnprintf(c->errmsg, sizeof(c->errmsg), fmt, ap);
	va_end(ap);
	seterr(err, errlen, "%s", c->errmsg);
	errno = e;
	return -1;
}

/*
 * decode_error: fill res from the error object.  A daemon must send nil or
 * {"code": str, "message": str}; anything else still counts as an error,
 * kept as "internal" rather than dropped, so a caller never mistakes it for
 * success.
 */
static int
decode_error(struct fp_client *c, struct fp_mp_reader *k,
    struct fp_result *res)
{
	const char	*s, *code = NULL, *msg = NULL;
	uint32_t	 len, codelen = 0, msglen = 0, n, i;
	int		 e;

	if (fp_mp_read_map(k, &n) == 0) {
		for (i = 0; i < n; i++) {
			if (fp_mp_read_str(k, &s, &len) == -1) {
				if (fp_mp_read_skip(k) == -1 ||
				    fp_mp_read_skip(k) == -1)
					return -1;
				continue;
			}
			if (len == 4 && memcmp(s, "code", 4) == 0 &&
			    fp_mp_read_str(k, &code, &codelen) == 0)
				continue;
			if (len == 7 && memcmp(s, "message", 7) == 0 &&
			    fp_mp_read_str(k, &msg, &msglen) == 0)
				continue;
			if (fp_mp_read_skip(k) == -1)
				return -1;
		}
	} else if (fp_mp_read_str(k, &msg, &msglen) == -1 &&
	    fp_mp_read_skip(k) == -1)
		return -1;

	if (code != NULL && codelen > 0) {
		if (codelen >= sizeof(res->code))
			codelen = sizeof(res->code) - 1;
		memcpy(res->code, code, codelen);
		res->code[codelen] = '\0';
		e = fp_err_code(code, codelen);
		res->error = e > FP_OK ? e : FP_E_INTERNAL;
	} else {
		res->error = FP_E_INTERNAL;
		snprintf(res->code, sizeof(res->code), "%s",
		    fp_err_name(FP_E_INTERNAL));
	}
	if (msg_set(c, msg != NULL ? (const uint8_t *)msg :
	    (const uint8_t *)"", msglen) == -1)
		return -2;
	res->message = c->msg;
	return 0;
}

/* shm_off: no arena for this connection, from now on. */
static void
shm_off(struct fp_client *c)
{
	if (c->shmfd != -1)
		close(c->shmfd);
	c->shmfd = -1;
	if (c->shmbase != NULL)
		munmap(c->shmbase, c->shmlen);
	c->shmbase = NULL;
	c->shm = SHM_OFF;
}

/*
 * shm_result: res is answered with a result of len bytes in ring 1 (ext
 * FP_EXT_SHM and its length): point res at it, in place, after checking that it is the
 * record of that msgid and length and one MessagePack object.  It is
 * released on the next fp_client_next.  Returns 0 or -1.
 */
static int
shm_result(struct fp_client *c, struct fp_result *res, uint32_t len)
{
	struct fp_rec	 rec;

	if (c->shm != SHM_ON || fp_ring_peek(&c->sres, &rec) != 0 ||
	    rec.type != FP_REC_RESULT || rec.id != res->msgid ||
	    rec.len != len || fp_mp_object_len(rec.data, rec.len, 1) == -1)
		return -1;
	res->data = rec.data;
	res->len = len;
	c->shmheld = 1;
	return 0;
}

/* shm_release: the result handed out from ring 1 is done with. */
static void
shm_release(struct fp_client *c)
{
	if (!c->shmheld)
		return;
	fp_ring_consume(&c->sres);
	(void)fp_ring_release(&c->sres);
	c->shmheld = 0;
}

/* consume: the scanned message is done with; the next one starts. */
static void
consume(struct fp_client *c)
{
	c->ioff += c->scan.pos;
	c->scanning = 0;
}

/*
 * parse: deliver a buffered response.  Returns 1 with res filled, 0 when
 * no complete response is buffered, -1 on a protocol error.
 */
static int
parse(struct fp_client *c, struct fp_result *res, char *err, size_t errlen)
{
	struct fp_mp_reader k;
	const char	*why = NULL;
	size_t		 start;
	uint64_t	 type, msgid;
	uint32_t	 n, len;
	int		 r;

	for (;;) {
		if (c->ioff == c->ilen)
			return 0;
		if (!c->scanning) {
			fp_mp_skip_init(&c->scan);
			c->scanning = 1;
		}
		r = fp_mp_frame(&c->scan, c->in + c->ioff, c->ilen - c->ioff,
		    RESP_MAX, &why);
		if (r == 0)
			return 0;
		if (r == -1)
			return fail(c, EPROTO, err, errlen,
			    "malformed response: %s", why);

		/*
		 * The scan state stays until the response is delivered, so
		 * that after ENOMEM the next call finds it again at once.
		 */
		k.p = c->in + c->ioff;
		k.off = 0;
		k.len = c->scan.pos;

		if (fp_mp_read_array(&k, &n) == -1)
			return fail(c, EPROTO, err, errlen,
			    "malformed response: not an array");
		if (fp_mp_read_uint(&k, &type) == -1)
			return fail(c, EPROTO, err, errlen,
			    "malformed response: bad message type");
		if (type == 2 && n == 3) {
			/* A notification: nothing asked for it. */
			consume(c);
			continue;
		}
		if (type != 1)
			return fail(c, EPROTO, err, errlen,
			    "malformed response: message type %llu",
			    (unsigned long long)type);
		if (n != 4)
			return fail(c, EPROTO, err, errlen,
			    "malformed response: %llu elements, not 4",
			    (unsigned long long)n);
		if (fp_mp_read_uint(&k, &msgid) == -1 || msgid > UINT32_MAX)
			return fail(c, EPROTO, err, errlen,
			    "malformed response: msgid is not a uint32");

		memset(res, 0, sizeof(*res));
		res->msgid = (uint32_t)msgid;
		res->message = "";
		start = k.off;
		if (fp_mp_peek_byte(&k) == 0xc0) {
			k.off++;
			res->error = FP_OK;
		} else if ((r = decode_error(c, &k, res)) != 0) {
			if (r == -2) {
				seterr(err, errlen, "out of memory");
				errno = ENOMEM;
				return -1;
			}
			return fail(c, EPROTO, err, errlen,
			    "malformed response: bad error object");
		}
		res->errdata = k.p + start;
		res->errlen = k.off - start;
		start = k.off;
		if (fp_mp_read_skip(&k) == -1 || k.off != k.len)
			return fail(c, EPROTO, err, errlen,
			    "malformed response: bad result");
		res->data = k.p + start;
		res->len = k.off - start;
		if (c->shm == SHM_WAIT && res->msgid == SHM_ATTACH_ID) {
			/* Ours, never handed out: true, or inline for good. */
			if (res->error == FP_OK && res->len == 1 &&
			    res->data[0] == 0xc3)
				c->shm = SHM_ON;
			else
				shm_off(c);
			consume(c);
			continue;
		}
		/*
		 * Only with an arena: before it, or without one, an ext 70
		 * is the handler's own (a daemon with our arena sends those
		 * through it too).
		 */
		if (c->shm == SHM_ON && res->error == FP_OK &&
		    fp_mp_fixext4(res->data, res->len, FP_EXT_SHM, &len) &&
		    shm_result(c, res, len) == -1)
			return fail(c, EPROTO, err, errlen,
			    "malformed response: no such result in shared "
			    "memory");
		consume(c);
		return 1;
	}
}

/*
 * fill: read what the socket has.  Returns 1 if bytes arrived, 0 if none
 * are ready, -1 on end of stream or error.
 */
static int
fill(struct fp_client *c, char *err, size_t errlen)
{
	uint8_t	*p;
	size_t	 cap;
	ssize_t	 n;

	if (c->ioff == c->ilen) {
		c->ioff = c->ilen = 0;
	} else if (c->icap - c->ilen < READ_MIN && c->ioff > 0) {
		/* The previous response's pointers die here, as documented. */
		memmove(c->in, c->in + c->ioff, c->ilen - c->ioff);
		c->ilen -= c->ioff;
		c->ioff = 0;
	}
	if (c->icap - c->ilen < READ_MIN) {
		cap = c->icap * 2;
		if (cap > RESP_MAX + READ_MIN)
			cap = RESP_MAX + READ_MIN;
		if (cap <= c->icap)	/* fp_mp_frame() rejects first */
			return fail(c, EPROTO, err, errlen,
			    "malformed response: message too large");
		if ((p = realloc(c->in, cap)) == NULL) {
			seterr(err, errlen, "out of memory");
			errno = ENOMEM;
			return -1;
		}
		c->in = p;
		c->icap = cap;
	}
	for (;;) {
		n = read(c->fd, c->in + c->ilen, c->icap - c->ilen);
		if (n > 0) {
			c->ilen += n;
			return 1;
		}
		if (n == 0)
			return fail(c, EPIPE, err, errlen, "%s",
			    c->ilen > c->ioff ?
			    "connection closed by daemon within a response" :
			    "connection closed by daemon");
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return 0;
		if (errno == ECONNRESET)
			return fail(c, EPIPE, err, errlen,
			    "connection reset by daemon");
		return fail(c, errno, err, errlen, "read: %s",
		    strerror(errno));
	}
}

/* remaining: poll(2) timeout left before deadline (-1: none). */
static int
remaining(int64_t deadline)
{
	int64_t	 left;

	if (deadline < 0)
		return -1;
	left = deadline - fp_now_ms();
	if (left <= 0)
		return 0;
	return left > INT_MAX ? INT_MAX : (int)left;
}

/*
 * try_connect: one non-blocking connect(2) (see the top of this file).
 * Returns 0 when connected, FP_AGAIN when the daemon's backlog is full
 * (the next attempt is due in fp_client_timeout ms), -1 on any other
 * failure, which is final for the client.
 */
static int
try_connect(struct fp_client *c, char *err, size_t errlen)
{
	int	 e;

	while (connect(c->fd, (struct sockaddr *)&c->sun,
	    sizeof(c->sun)) == -1) {
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN) {
			c->backoff = c->backoff == 0 ? RETRY_MIN_MS :
			    c->backoff >= RETRY_MAX_MS / 2 ? RETRY_MAX_MS :
			    c->backoff * 2;
			c->retry_at = fp_now_ms() + c->backoff;
			return FP_AGAIN;
		}
		e = errno;
		c->werr = e;
		return fail(c, e, err, errlen, "connect %s: %s",
		    c->sun.sun_path, strerror(e));
	}
	c->connected = 1;
	return 0;
}

static int
reserve(struct fp_client *c, size_t more)
{
	uint8_t	*p;
	size_t	 cap;

	if (c->ooff == c->olen)
		c->ooff = c->olen = 0;
	if (c->ocap - c->olen >= more)
		return 0;
	if (c->ooff > 0) {
		memmove(c->out, c->out + c->ooff, c->olen - c->ooff);
		c->olen -= c->ooff;
		c->ooff = 0;
		if (c->ocap - c->olen >= more)
			return 0;
	}
	if (more > SIZE_MAX / 2 - c->olen) {
		errno = ENOMEM;
		return -1;
	}
	cap = c->ocap;
	while (cap - c->olen < more)
		cap *= 2;
	if ((p = realloc(c->out, cap)) == NULL)
		return -1;
	c->out = p;
	c->ocap = cap;
	return 0;
}

/* params_ok: params is exactly one MessagePack array and nothing else. */
static int
params_ok(const void *params, size_t plen)
{
	return params != NULL && fp_mp_one_array(params, plen);
}

/*
 * enqueue: append [type, (msgid,) method, params] to the output.  With
 * `viashm' the params go to the arena's ring 0 if it has room for them now,
 * and the request carries ext FP_EXT_SHM with their length instead.
 */
static int
enqueue(struct fp_client *c, int type, uint32_t msgid, const char *method,
    const void *params, size_t plen, int viashm)
{
	static const uint8_t	 empty = 0x90;
	uint8_t			*p, *rec = NULL;
	size_t			 mlen;

	if (c == NULL || method == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (params == NULL && plen == 0) {
		params = &empty;
		plen = 1;
	}
	mlen = strlen(method);
	if (mlen > UINT32_MAX || !params_ok(params, plen)) {
		errno = EINVAL;
		return -1;
	}
	if (c->werr != 0) {
		errno = c->werr;
		return -1;
	}
	if (viashm && plen <= UINT32_MAX && reserve(c, 16 + mlen + 6) == 0 &&
	    (rec = fp_ring_alloc(&c->sreq, FP_REC_TASK, 0, msgid,
	    (uint32_t)plen)) == NULL && errno == EPROTO)
		shm_off(c);	/* the daemon broke the ring: inline from now */
	if (rec == NULL && (plen > SIZE_MAX - mlen - 16 ||
	    reserve(c, 16 + mlen + plen) == -1)) {
		errno = ENOMEM;
		return -1;
	}
	p = c->out + c->olen;
	if (type == 0) {
		*p++ = 0x94;
		*p++ = 0x00;
		p = fp_mp_wr_uint(p, msgid);
	} else {
		*p++ = 0x93;
		*p++ = 0x02;
	}
	p = fp_mp_wr_str(p, mlen);
	memcpy(p, method, mlen);
	p += mlen;
	if (rec != NULL) {
		memcpy(rec, params, plen);
		(void)fp_ring_publish(&c->sreq);
		p = fp_mp_wr_fixext4(p, FP_EXT_SHM, (uint32_t)plen);
	} else {
		memcpy(p, params, plen);
		p += plen;
	}
	c->olen = p - c->out;
	return 0;
}

/*
 * shm_start: make the arena and queue forkpool.shm_attach [size] with it
 * (its descriptor goes with the request's first byte: fp_client_flush).
 * Any failure leaves the client without an arena; requests go inline.
 */
static void
shm_start(struct fp_client *c)
{
	static const char	 name[] = "forkpool.shm_attach";
	uint8_t			 params[16], *p;
	size_t			 rb;
	void			*m;
	int			 fd;

	c->shm = SHM_OFF;
	c->shmtried = 1;
	if ((rb = fp_ring_bytes(c->shmsize)) == 0 ||
	    (fd = memfd_create("forkpool-arena", MFD_CLOEXEC |
	    MFD_ALLOW_SEALING)) == -1)
		return;
	if (ftruncate(fd, (off_t)(2 * rb)) == -1 ||
	    fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW |
	    F_SEAL_SEAL) == -1 ||
	    (m = mmap(NULL, 2 * rb, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		close(fd);
		return;
	}
	c->shmbase = m;
	c->shmlen = 2 * rb;
	c->shmfd = fd;
	if (fp_ring_format(c->shmbase, c->shmsize) == -1 ||
	    fp_ring_format(c->shmbase + rb, c->shmsize) == -1 ||
	    fp_ring_attach(&c->sreq, c->shmbase, c->shmsize, 1, -1) == -1 ||
	    fp_ring_attach(&c->sres, c->shmbase + rb, c->shmsize, 0, -1) ==
	    -1) {
		shm_off(c);
		return;
	}
	p = params;
	*p++ = 0x91;
	p = fp_mp_wr_uint(p, c->shmsize);
	c->shmfd_at = c->written + (c->olen - c->ooff);
	if (enqueue(c, 0, SHM_ATTACH_ID, name, params, (size_t)(p - params),
	    0) == -1) {
		shm_off(c);
		return;
	}
	c->shm = SHM_WAIT;
}

/*
 * open_fail: a failed system call `what' (on `path', if not NULL) while
 * opening c: say so in err, close c, and return NULL with its errno.
 */
static struct fp_client *
open_fail(struct fp_client *c, char *err, size_t errlen, const char *what,
    const char *path)
{
	int	 e = errno;

	seterr(err, errlen, "%s%s%s: %s", what, path != NULL ? " " : "",
	    path != NULL ? path : "", strerror(e));
	fp_client_close(c);
	errno = e;
	return NULL;
}

/*
 * client_new: a client with its buffers and an unconnected socket of the
 * given type flags (SOCK_NONBLOCK or 0).
 */
static struct fp_client *
client_new(const char *path, int flags, char *err, size_t errlen)
{
	struct fp_client	*c;
	char			 defpath[sizeof(c->sun.sun_path) + 64];
	const char		*s;

	if (path == NULL) {
		if ((path = fp_default_socket(defpath, sizeof(defpath))) ==
		    NULL) {
			seterr(err, errlen, "default socket path too long "
			    "(FORKPOOL_SOCKET, XDG_RUNTIME_DIR or TMPDIR)");
			errno = ENAMETOOLONG;
			return NULL;
		}
		if (fp_default_socket_check(path, err, errlen) == -1)
			return NULL;
	}
	if (strlen(path) >= sizeof(c->sun.sun_path)) {
		seterr(err, errlen, "socket path too long: %s", path);
		errno = ENAMETOOLONG;
		return NULL;
	}

	if ((c = calloc(1, sizeof(*c))) == NULL)
		goto nomem;
	c->fd = -1;
	c->shmfd = -1;
	c->shm = (s = getenv("FORKPOOL_SHM")) != NULL && strcmp(s, "0") == 0 ?
	    SHM_OFF : SHM_IDLE;
	c->shmsize = SHM_DEFAULT;
	c->sun.sun_family = AF_UNIX;
	memcpy(c->sun.sun_path, path, strlen(path));
	c->next_msgid = 1;
	c->ocap = OUT_INITIAL;
	c->icap = IN_INITIAL;
	c->msgcap = MSG_INITIAL;
	if ((c->out = malloc(c->ocap)) == NULL ||
	    (c->in = malloc(c->icap)) == NULL ||
	    (c->msg = malloc(c->msgcap)) == NULL) {
		fp_client_close(c);
		goto nomem;
	}
	c->msg[0] = '\0';

	if ((c->fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | flags,
	    0)) == -1)
		return open_fail(c, err, errlen, "socket", NULL);
	return c;
nomem:
	seterr(err, errlen, "out of memory");
	errno = ENOMEM;
	return NULL;
}

struct fp_client *
fp_client_open(const char *path, char *err, size_t errlen)
{
	struct fp_client	*c;
	int			 flags;

	if ((c = client_new(path, 0, err, errlen)) == NULL)
		return NULL;
	/*
	 * A blocking connect: the kernel wakes it when the daemon's backlog
	 * has room, which no non-blocking caller can wait for (see
	 * try_connect).  On EINTR nothing has happened yet, so it can be
	 * retried.
	 */
	while (connect(c->fd, (struct sockaddr *)&c->sun,
	    sizeof(c->sun)) == -1) {
		if (errno == EINTR)
			continue;
		return open_fail(c, err, errlen, "connect", c->sun.sun_path);
	}
	c->connected = 1;
	if ((flags = fcntl(c->fd, F_GETFL)) == -1 ||
	    fcntl(c->fd, F_SETFL, flags | O_NONBLOCK) == -1)
		return open_fail(c, err, errlen, "fcntl", NULL);
	return c;
}

struct fp_client *
fp_client_connect(const char *path, char *err, size_t errlen)
{
	struct fp_client	*c;

	if ((c = client_new(path, SOCK_NONBLOCK, err, errlen)) == NULL)
		return NULL;
	if (try_connect(c, err, errlen) == -1) {
		fp_client_close(c);	/* keeps errno */
		return NULL;
	}
	return c;
}

void
fp_client_close(struct fp_client *c)
{
	int	 e = errno;

	if (c == NULL)
		return;
	if (c->fd != -1)
		close(c->fd);
	shm_off(c);
	free(c->out);
	free(c->in);
	free(c->msg);
	free(c);
	errno = e;
}

int
fp_client_fd(const struct fp_client *c)
{
	return c == NULL ? -1 : c->fd;
}

int
fp_client_submit(struct fp_client *c, const char *method, const void *params,
    size_t plen, uint32_t *msgid)
{
	uint32_t	 id;

	if (c == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (plen > SHM_MIN && c->shm == SHM_IDLE && c->werr == 0)
		shm_start(c);
	/* The attach's msgid is not handed out while it is unanswered. */
	if (c->next_msgid == SHM_ATTACH_ID && c->shm == SHM_WAIT)
		c->next_msgid++;
	id = c->next_msgid;
	if (enqueue(c, 0, id, method, params, plen, plen > SHM_MIN &&
	    c->shm == SHM_ON) == -1)
		return -1;
	c->next_msgid++;
	if (msgid != NULL)
		*msgid = id;
	return 0;
}

int
fp_client_notify(struct fp_client *c, const char *method, const void *params,
    size_t plen)
{
	return enqueue(c, 2, 0, method, params, plen, 0);
}

/*
 * send_fd: write len bytes of the output, which begin with
 * forkpool.shm_attach, with the arena's descriptor; once any byte is
 * written the descriptor is the daemon's and ours is closed.
 */
static ssize_t
send_fd(struct fp_client *c, size_t len)
{
	union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(sizeof(int))];
	} cb;
	struct msghdr	 msg;
	struct cmsghdr	*cm;
	struct iovec	 iov;
	ssize_t		 n;

	iov.iov_base = c->out + c->ooff;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	memset(&cb, 0, sizeof(cb));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cb.b;
	msg.msg_controllen = sizeof(cb.b);
	cm = CMSG_FIRSTHDR(&msg);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(cm), &c->shmfd, sizeof(int));
	n = sendmsg(c->fd, &msg, MSG_NOSIGNAL);
	if (n > 0) {
		close(c->shmfd);
		c->shmfd = -1;
	}
	return n;
}

int
fp_client_flush(struct fp_client *c)
{
	ssize_t	 n;
	size_t	 len;
	int	 r;

	if (c == NULL) {
		errno = EINVAL;
		return -1;
	}
	if (c->werr != 0) {
		errno = c->werr;
		return -1;
	}
	if (!c->connected && (r = try_connect(c, NULL, 0)) != 0)
		return r;
	while (c->ooff < c->olen) {
		len = c->olen - c->ooff;
		if (c->shmfd != -1 && c->shmfd_at > c->written &&
		    c->shmfd_at - c->written < len)
			len = c->shmfd_at - c->written;
		if (c->shmfd != -1 && c->shmfd_at == c->written)
			n = send_fd(c, len);
		else
			/* MSG_NOSIGNAL: a library must not kill its caller. */
			n = send(c->fd, c->out + c->ooff, len, MSG_NOSIGNAL);
		if (n >= 0) {
			c->ooff += n;
			c->written += n;
			continue;
		}
		if (errno == EINTR)
			continue;
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			return FP_AGAIN;
		if (errno == ECONNRESET)
			errno = EPIPE;
		c->werr = errno;
		return -1;
	}
	c->ooff = c->olen = 0;
	return 0;
}

size_t
fp_client_pending_output(const struct fp_client *c)
{
	return c == NULL ? 0 : c->olen - c->ooff;
}

int
fp_client_events(const struct fp_client *c)
{
	int	 ev;

	/* An unconnected socket polls ready at once: nothing to wait for. */
	if (c == NULL || !c->connected)
		return 0;
	ev = POLLIN;
	if (c->werr == 0 && c->olen > c->ooff)
		ev |= POLLOUT;
	return ev;
}

int
fp_client_timeout(const struct fp_client *c)
{
	int64_t	 left;

	if (c == NULL || c->connected || c->rerr != 0)
		return -1;
	left = c->retry_at - fp_now_ms();
	return left <= 0 ? 0 : (int)left;
}

int
fp_client_next(struct fp_client *c, struct fp_result *res, int timeout_ms,
    char *err, size_t errlen)
{
	struct pollfd	 pfd;
	int64_t		 deadline;
	int		 r, wait;

	if (c == NULL || res == NULL) {
		seterr(err, errlen, "invalid argument");
		errno = EINVAL;
		return -1;
	}
	shm_release(c);
	if (c->rerr != 0) {
		seterr(err, errlen, "%s", c->errmsg);
		errno = c->rerr;
		return -1;
	}
	deadline = timeout_ms > 0 ? fp_now_ms() + timeout_ms : -1;
	for (;;) {
		if ((r = parse(c, res, err, errlen)) != 0)
			return r == 1 ? 0 : -1;
		if (!c->connected) {
			if ((r = try_connect(c, err, errlen)) == -1)
				return -1;
			if (r == FP_AGAIN) {
				/* The socket cannot be waited on: sleep. */
				if (timeout_ms == 0)
					return FP_AGAIN;
				wait = fp_client_timeout(c);
				if (timeout_ms > 0) {
					if ((r = remaining(deadline)) == 0)
						return FP_AGAIN;
					if (r < wait)
						wait = r;
				}
				poll(NULL, 0, wait);
				continue;
			}
		}
		/*
		 * A failed write is not reported here: the daemon may have
		 * answered and closed, and its answers are still to be read.
		 * Reading ends with end of stream, reported as EPIPE.
		 */
		if (c->werr == 0 && c->olen > c->ooff &&
		    fp_client_flush(c) == -1)
			c->ooff = c->olen = 0;
		if ((r = fill(c, err, errlen)) == -1)
			return -1;
		if (r == 1)
			continue;
		if (timeout_ms == 0)
			return FP_AGAIN;
		wait = timeout_ms < 0 ? -1 : remaining(deadline);
		if (wait == 0)
			return FP_AGAIN;
		pfd.fd = c->fd;
		pfd.events = POLLIN;
		if (c->werr == 0 && c->olen > c->ooff)
			pfd.events |= POLLOUT;
		pfd.revents = 0;
		if (poll(&pfd, 1, wait) == -1 && errno != EINTR) {
			seterr(err, errlen, "poll: %s", strerror(errno));
			return -1;
		}
	}
}

int
fp_client_call(struct fp_client *c, const char *method, const void *params,
    size_t plen, struct fp_result *res, int timeout_ms, char *err,
    size_t errlen)
{
	uint32_t	 id;
	int64_t		 deadline;
	int		 r;

	if (fp_client_submit(c, method, params, plen, &id) == -1) {
		seterr(err, errlen, "%s", errno == EINVAL ?
		    "invalid request: params must be one MessagePack array" :
		    strerror(errno));
		return -1;
	}
	deadline = timeout_ms >= 0 ? fp_now_ms() + timeout_ms : -1;
	for (;;) {
		r = fp_client_next(c, res,
		    timeout_ms < 0 ? -1 : remaining(deadline), err, errlen);
		if (r != 0)
			return r;
		if (res->msgid == id)
			return 0;
	}
}

int
fp_client_shm(struct fp_client *c, size_t size)
{
	if (c == NULL || (size != 0 && (size < SHM_RING_MIN ||
	    (size & (size - 1)) != 0 || fp_ring_bytes(size) == 0))) {
		errno = EINVAL;
		return -1;
	}
	if (c->shm != SHM_IDLE && c->shm != SHM_OFF) {
		errno = EBUSY;
		return -1;
	}
	if (c->shmtried) {		/* refused or failed: stays off */
		errno = EBUSY;
		return -1;
	}
	c->shm = size == 0 ? SHM_OFF : SHM_IDLE;
	if (size != 0)
		c->shmsize = size;
	return 0;
}
