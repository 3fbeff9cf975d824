/*
 * http.c -- metrics-listen: a small HTTP/1.x server inside the
 * supervisor's loop that answers GET /metrics with the text metrics.c
 * renders, for Prometheus.
 *
 * It must never cost the loop more than a scrape is worth, whatever the
 * peer does: at most HTTP_MAX_CONNS connections (more are accepted and
 * closed at once, so that the backlog never fills with clients that wait
 * for nothing), a request of HTTP_REQ_MAX bytes at most in a fixed buffer,
 * one read or a few non-blocking writes per event, and every connection
 * closed on the 100 ms tick once it has taken longer than HTTP_TIMEOUT_NS
 * to send its request or to read its answer.  One request a connection
 * (Connection: close), answered once its head is complete.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <netinet/in.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "buf.h"
#include "daemon.h"
#include "http.h"
#include "log.h"
#include "metrics.h"

#define HTTP_MAX_CONNS	4
#define HTTP_REQ_MAX	4096		/* bytes of request head */
#define HTTP_TIMEOUT_NS	(5000ULL * 1000000)	/* to send the request; to
						   read the answer */
#define HTTP_LINGER_NS	(1000ULL * 1000000)	/* for the peer's close */
#define HTTP_LINGER_MAX	(256 << 10)	/* bytes discarded meanwhile */
#define HTTP_PAUSE_NS	(500ULL * 1000000)	/* no fd to accept with */
#define ACCEPTS_PER_EVENT 16

enum hc_state {
	HC_FREE = 0,
	HC_READ,		/* reading the request head */
	HC_WRITE,		/* writing the answer */
	HC_LINGER		/* answered, write side shut: reading (and
				   dropping) until the peer closes, so that
				   unread request bytes cannot turn the
				   close into a reset that loses the answer */
};

struct hconn {
	int		 fd;
	int		 state;		/* enum hc_state */
	uint32_t	 events;	/* registered with epoll */
	uint64_t	 deadline_ns;
	int		 status;	/* of the answer, for the log */
	size_t		 inlen;
	size_t		 dropped;	/* HC_LINGER: bytes read and dropped */
	char		 hdr[256];	/* the answer's head */
	size_t		 hdrlen, hdroff;
	struct fp_buf	 body;		/* off: bytes of it written */
	char		 in[HTTP_REQ_MAX];
};

static int		 hfd = -1;
static int		 hpaused;	/* the listener is out of epoll */
static uint64_t		 hresume_ns;
static int		 htrouble;	/* accept_pause logged */
static struct hconn	 hc[HTTP_MAX_CONNS];
static int		 hinit;
static uint64_t		 hrefused;
static struct log_limit	 lim_refused;

static void
hc_events(struct hconn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events,
	    .data.u64 = EV_TAG(EV_HTTP_CONN, c - hc) };

	if (events == c->events)
		return;
	if (epoll_ctl(sv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1) {
		log_warn("metrics_conn", "msg=epoll_ctl");
		return;
	}
	c->events = events;
}

static void
hc_close(struct hconn *c, const char *why)
{
	log_debug("metrics_close", "slot=%d status=%d reason=\"%s\"",
	    (int)(c - hc), c->status, why);
	close(c->fd);
	fp_buf_free(&c->body);
	c->fd = -1;
	c->state = HC_FREE;
	/* A descriptor is free again. */
	if (hpaused)
		hresume_ns = 0;
}

int
http_listen(char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	struct epoll_event ev;
	socklen_t	 len;
	int		 fd, i, on = 1;
	const char	*addr = sv->conf.metrics_listen;
	char		 q[sizeof(sv->conf.metrics_listen) * 4 + 3];

	if (!hinit) {
		for (i = 0; i < HTTP_MAX_CONNS; i++)
			hc[i].fd = -1;
		hinit = 1;
	}
	if (addr[0] == '\0')
		return 0;
	/* config.c checked it: this cannot fail, but it is cheap to say. */
	if (config_parse_listen(addr, &ss) == -1) {
		snprintf(err, errlen, "metrics-listen %s: not ADDR:PORT", addr);
		return -1;
	}
	len = ss.ss_family == AF_INET6 ? sizeof(struct sockaddr_in6) :
	    sizeof(struct sockaddr_in);
	if ((fd = socket(ss.ss_family, SOCK_STREAM | SOCK_NONBLOCK |
	    SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "metrics-listen %s: socket: %s", addr,
		    strerror(errno));
		return -1;
	}
	/* A restart must not wait for the last scrape's TIME_WAIT. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) == -1 ||
	    bind(fd, (struct sockaddr *)&ss, len) == -1 ||
	    listen(fd, 16) == -1) {
		snprintf(err, errlen, "metrics-listen %s: %s", addr,
		    strerror(errno));
		close(fd);
		return -1;
	}
	ev.events = EPOLLIN;
	ev.data.u64 = EV_TAG(EV_HTTP_LISTEN, 0);
	if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll_ctl", NULL);
	hfd = fd;
	log_info("metrics_listen", "addr=%s max_connections=%d",
	    log_quote(addr, q, sizeof(q)), HTTP_MAX_CONNS);
	return 0;
}

/*
 * accept(2) failed for want of a descriptor (or memory): as control.c
 * does, stop watching the listener (it would stay readable and spin the
 * loop) until HTTP_PAUSE_NS have passed or a scrape's connection closes;
 * scrapes wait in the backlog meanwhile.
 */
static void
accept_pause(int err)
{
	struct epoll_event ev = { .events = 0,
	    .data.u64 = EV_TAG(EV_HTTP_LISTEN, 0) };

	if (epoll_ctl(sv->epfd, EPOLL_CTL_MOD, hfd, &ev) == -1) {
		log_warn("metrics_accept_pause", "msg=epoll_ctl");
		return;
	}
	hpaused = 1;
	hresume_ns = fp_now_ns() + HTTP_PAUSE_NS;
	if (!htrouble)
		log_warnx("metrics_accept_pause", "err=\"%s\" pause_ms=%llu",
		    strerror(err), HTTP_PAUSE_NS / 1000000);
	htrouble = 1;
}

static void
accept_resume(void)
{
	struct epoll_event ev = { .events = EPOLLIN,
	    .data.u64 = EV_TAG(EV_HTTP_LISTEN, 0) };

	if (epoll_ctl(sv->epfd, EPOLL_CTL_MOD, hfd, &ev) == -1) {
		log_warn("metrics_accept_resume", "msg=epoll_ctl");
		hresume_ns = fp_now_ns() + HTTP_PAUSE_NS;
		return;
	}
	hpaused = 0;
}

static void
http_accept(void)
{
	struct epoll_event ev;
	struct hconn	*c;
	uint64_t	 held;
	int		 fd, i, j;

	for (i = 0; i < ACCEPTS_PER_EVENT && hfd != -1 && !hpaused; i++) {
		fd = accept4(hfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno == EAGAIN || errno == EWOULDBLOCK)
				return;
			if (errno == EINTR || errno == ECONNABORTED ||
			    errno == EPROTO)
				continue;
			accept_pause(errno);
			return;
		}
		htrouble = 0;
		for (j = 0; j < HTTP_MAX_CONNS && hc[j].fd != -1; j++)
			;
		if (j == HTTP_MAX_CONNS) {
			/* Closed at once: the scraper sees it and retries. */
			close(fd);
			hrefused++;
			if (log_limited(&lim_refused, fp_now_ns(), &held))
				log_warnx("metrics_refused", "max=%d "
				    "refused=%llu suppressed=%llu",
				    HTTP_MAX_CONNS,
				    (unsigned long long)hrefused,
				    (unsigned long long)held);
			continue;
		}
		c = &hc[j];
		memset(c, 0, offsetof(struct hconn, in));
		c->fd = fd;
		c->state = HC_READ;
		c->events = EPOLLIN;
		c->deadline_ns = fp_now_ns() + HTTP_TIMEOUT_NS;
		ev.events = c->events;
		ev.data.u64 = EV_TAG(EV_HTTP_CONN, j);
		if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_warn("metrics_conn", "msg=epoll_ctl");
			hc_close(c, "epoll_ctl failed");
			continue;
		}
		log_debug("metrics_open", "slot=%d", j);
	}
}

/* ---- answers ----------------------------------------------------------- */

static const char *
reason(int status)
{
	switch (status) {
	case 200:	return "OK";
	case 400:	return "Bad Request";
	case 404:	return "Not Found";
	case 405:	return "Method Not Allowed";
	case 431:	return "Request Header Fields Too Large";
	default:	return "Internal Server Error";
	}
}

/* Write what is left of the answer; shut the write side once it is out. */
static void
hc_write(struct hconn *c)
{
	struct iovec	 iov[2];
	struct msghdr	 mh;
	ssize_t		 n;
	size_t		 h;
	int		 nv;

	for (;;) {
		nv = 0;
		if (c->hdroff < c->hdrlen) {
			iov[nv].iov_base = c->hdr + c->hdroff;
			iov[nv++].iov_len = c->hdrlen - c->hdroff;
		}
		if (fp_buf_unread(&c->body) > 0) {
			iov[nv].iov_base = fp_buf_head(&c->body);
			iov[nv++].iov_len = fp_buf_unread(&c->body);
		}
		if (nv == 0)
			break;
		memset(&mh, 0, sizeof(mh));
		mh.msg_iov = iov;
		mh.msg_iovlen = (size_t)nv;
		n = sendmsg(c->fd, &mh, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN || errno == EWOULDBLOCK) {
				/* The rest goes when the peer reads. */
				hc_events(c, EPOLLOUT);
				return;
			}
			hc_close(c, "write error");
			return;
		}
		h = c->hdrlen - c->hdroff;
		if ((size_t)n < h) {
			c->hdroff += (size_t)n;
			continue;
		}
		c->hdroff = c->hdrlen;
		c->body.off += (size_t)n - h;
	}
	log_debug("metrics_scrape", "slot=%d status=%d bytes=%zu",
	    (int)(c - hc), c->status, c->body.len);
	fp_buf_free(&c->body);
	(void)shutdown(c->fd, SHUT_WR);
	c->state = HC_LINGER;
	c->deadline_ns = fp_now_ns() + HTTP_LINGER_NS;
	hc_events(c, EPOLLIN);
}

/* Answer with `status': the metrics for 200 (no body for HEAD). */
static void
hc_answer(struct hconn *c, int status, int head)
{
	const char	*type = "text/plain; charset=utf-8";
	int		 n;

	if (status == 200) {
		if (metrics_render(&c->body, fp_now_ns()) == -1 ||
		    c->body.err) {
			log_warnx("metrics_scrape", "msg=\"out of memory for "
			    "the metrics\"");
			fp_buf_free(&c->body);
			status = 500;
		} else
			type = "text/plain; version=0.0.4; charset=utf-8";
	}
	/* Errors say what they are in the body too, for curl users. */
	if (status != 200 && (fp_buf_append(&c->body, reason(status),
	    strlen(reason(status))) == -1 ||
	    fp_buf_append(&c->body, "\n", 1) == -1)) {
		hc_close(c, "out of memory");
		return;
	}
	c->status = status;
	n = snprintf(c->hdr, sizeof(c->hdr), "HTTP/1.1 %d %s\r\n"
	    "Content-Type: %s\r\n"
	    "Content-Length: %zu\r\n"
	    "%s"
	    "Connection: close\r\n"
	    "\r\n", status, reason(status), type, fp_buf_unread(&c->body),
	    status == 405 ? "Allow: GET, HEAD\r\n" : "");
	c->hdrlen = (size_t)n;
	c->hdroff = 0;
	if (head)
		fp_buf_free(&c->body);
	c->state = HC_WRITE;
	c->deadline_ns = fp_now_ns() + HTTP_TIMEOUT_NS;
	hc_write(c);
}

/* ---- requests ---------------------------------------------------------- */

/* RFC 9110 tchar: what a method and a header name are made of. */
static int
tchar(int ch)
{
	return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
	    (ch >= '0' && ch <= '9') || strchr("!#$%&'*+-.^_`|~", ch) != NULL;
}

/*
 * The request line, in[0, len) without its line end: 0 with what to
 * answer in *status (and *head for HEAD), or -1 if it is no request line.
 */
static int
request_line(const char *s, size_t len, int *status, int *head)
{
	size_t		 m, t, i;
	const char	*target;

	for (m = 0; m < len && s[m] != ' '; m++)
		if (!tchar((unsigned char)s[m]))
			return -1;
	if (m == 0 || m == len)
		return -1;
	target = s + m + 1;
	for (t = 0; m + 1 + t < len && target[t] != ' '; t++)
		if ((unsigned char)target[t] <= ' ' ||
		    (unsigned char)target[t] >= 0x7f)
			return -1;
	i = m + 1 + t + 1;	/* the version */
	if (t == 0 || i > len || len - i != 8 ||
	    (memcmp(s + i, "HTTP/1.1", 8) != 0 &&
	    memcmp(s + i, "HTTP/1.0", 8) != 0))
		return -1;
	*head = m == 4 && memcmp(s, "HEAD", 4) == 0;
	if (!*head && !(m == 3 && memcmp(s, "GET", 3) == 0))
		*status = 405;
	else if ((t == 8 || (t > 8 && target[8] == '?')) &&
	    memcmp(target, "/metrics", 8) == 0)
		*status = 200;
	else
		*status = 404;
	return 0;
}

/* A header line (without its line end): a name, `:', a value. */
static int
header_line(const char *s, size_t len)
{
	size_t	 i;

	for (i = 0; i < len && s[i] != ':'; i++)
		if (!tchar((unsigned char)s[i]))
			return -1;
	if (i == 0 || i == len)
		return -1;
	for (i++; i < len; i++)
		if (((unsigned char)s[i] < ' ' && s[i] != '\t') ||
		    s[i] == 0x7f)
			return -1;
	return 0;
}

/*
 * Look at what has come of the request: answer once the head is complete
 * (or at once when a line is wrong), 431 once HTTP_REQ_MAX bytes came
 * without its end (a request line that long too: one limit, one answer).
 */
static void
hc_parse(struct hconn *c)
{
	const char	*p = c->in, *end = c->in + c->inlen, *nl;
	size_t		 len;
	int		 status = 400, head = 0, first = 1;

	while ((nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
		len = (size_t)(nl - p);
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (first) {
			if (request_line(p, len, &status, &head) == -1) {
				hc_answer(c, 400, 0);
				return;
			}
			first = 0;
		} else if (len == 0) {
			hc_answer(c, status, head);
			return;
		} else if (header_line(p, len) == -1) {
			hc_answer(c, 400, 0);
			return;
		}
		p = nl + 1;
	}
	if (c->inlen == sizeof(c->in))
		hc_answer(c, 431, 0);
}

static void
hc_read(struct hconn *c)
{
	char		 drop[4096];
	ssize_t		 n;

	if (c->state == HC_LINGER) {
		n = read(c->fd, drop, sizeof(drop));
		if (n == -1 && (errno == EAGAIN || errno == EINTR))
			return;
		if (n <= 0)
			hc_close(c, n == 0 ? "done" : "read error");
		else if ((c->dropped += (size_t)n) > HTTP_LINGER_MAX)
			hc_close(c, "too much after the request");
		return;
	}
	n = read(c->fd, c->in + c->inlen, sizeof(c->in) - c->inlen);
	if (n == -1) {
		if (errno != EAGAIN && errno != EINTR)
			hc_close(c, "read error");
		return;
	}
	if (n == 0) {
		hc_close(c, "closed before a whole request");
		return;
	}
	c->inlen += (size_t)n;
	hc_parse(c);
}

void
http_event(int kind, uint32_t slot, uint32_t events)
{
	struct hconn	*c;

	if (kind == EV_HTTP_LISTEN) {
		http_accept();
		return;
	}
	if (kind != EV_HTTP_CONN || slot >= HTTP_MAX_CONNS ||
	    hc[slot].fd == -1)
		return;
	c = &hc[slot];
	/*
	 * What epoll says is a hint (the slot may hold a newer connection
	 * by now): the read or write itself tells what happened.
	 */
	if (c->state == HC_WRITE) {
		if (events & (EPOLLOUT | EPOLLERR | EPOLLHUP))
			hc_write(c);
	} else if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		hc_read(c);
}

void
http_tick(uint64_t now_ns)
{
	int	 i;

	for (i = 0; i < HTTP_MAX_CONNS; i++)
		if (hc[i].fd != -1 && now_ns >= hc[i].deadline_ns)
			hc_close(&hc[i], hc[i].state == HC_LINGER ? "linger" :
			    hc[i].state == HC_READ ? "request timeout" :
			    "answer timeout");
	if (hpaused && hfd != -1 && now_ns >= hresume_ns)
		accept_resume();
}

void
http_close_all(void)
{
	int	 i;

	if (!hinit)
		return;
	for (i = 0; i < HTTP_MAX_CONNS; i++)
		if (hc[i].fd != -1)
			hc_close(&hc[i], "shutdown");
	if (hfd != -1) {
		close(hfd);
		hfd = -1;
	}
}
