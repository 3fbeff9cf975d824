/*
 * redis.c -- hiredis's asynchronous API on the supervisor's epoll loop:
 * the adapter (hiredis asks to watch its socket for reading or writing;
 * we register it with sv->epfd under EV_TAG(EV_REDIS, slot)), and a thin
 * layer over it so that nothing else includes hiredis (source.c speaks
 * to Redis through redis.h only).
 *
 * Connections live in a small table of slots.  hiredis frees its context
 * itself when the connection fails or breaks, calling us back on the
 * way; our slot only forgets the context then, so that no pointer to
 * freed memory survives, and is reused only after its owner closed it.
 * The epoll tag carries the slot's generation: an event read in the same
 * epoll batch as the close of its connection finds a newer generation
 * and is dropped.
 */
#include <sys/epoll.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <hiredis/hiredis.h>
#include <hiredis/async.h>

#include "daemon.h"
#include "redis.h"

#define RCONN_MAX	64	/* connections at once (2 a source) */
#define SLOT_BITS	8

struct rconn {
	redisAsyncContext *ac;		/* NULL once hiredis freed it */
	int		 fd;
	uint32_t	 slot;
	uint32_t	 gen;
	uint32_t	 events;	/* registered with epoll */
	int		 used;		/* owned (until rconn_close) */
	int		 closing;	/* rconn_close ran: tell nobody */
	int		 up;
	uint32_t	 pending;
	uint64_t	 progress_ns;	/* the last reply, or the first
					   command sent into silence */
	uint64_t	 rtt_ns;	/* of the last reply */
	rconn_state_fn	*state_fn;
	void		*arg;
};

/* A command's callback and argument, freed when it has run. */
struct rcmd {
	struct rconn	*c;
	uint64_t	 sent_ns;
	rconn_reply_fn	*fn;
	void		*arg;
};

static struct rconn	 conns[RCONN_MAX];

int
redis_available(void)
{
	return 1;
}

static uint32_t
tag(const struct rconn *c)
{
	return c->slot | c->gen << SLOT_BITS;
}

static void
watch(struct rconn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events,
	    .data.u64 = EV_TAG(EV_REDIS, tag(c)) };
	int	 op;

	if (c->fd < 0 || events == c->events)
		return;
	op = c->events == 0 ? EPOLL_CTL_ADD : events == 0 ? EPOLL_CTL_DEL :
	    EPOLL_CTL_MOD;
	if (epoll_ctl(sv->epfd, op, c->fd, &ev) == -1 && op != EPOLL_CTL_DEL)
		return;		/* hiredis will find the socket dead */
	c->events = events;
}

/* The hooks hiredis calls. */
static void ev_add_read(void *p) { struct rconn *c = p;
	watch(c, c->events | EPOLLIN); }
static void ev_del_read(void *p) { struct rconn *c = p;
	watch(c, c->events & ~(uint32_t)EPOLLIN); }
static void ev_add_write(void *p) { struct rconn *c = p;
	watch(c, c->events | EPOLLOUT); }
static void ev_del_write(void *p) { struct rconn *c = p;
	watch(c, c->events & ~(uint32_t)EPOLLOUT); }

static void
ev_cleanup(void *p)
{
	struct rconn	*c = p;

	watch(c, 0);
	c->fd = -1;
}

/* The connection is gone (hiredis frees its context after this). */
static void
gone(struct rconn *c, const char *why)
{
	c->ac = NULL;
	c->up = 0;
	c->fd = -1;
	c->events = 0;
	if (!c->closing && c->state_fn != NULL)
		c->state_fn(c, 0, why, c->arg);
}

static void
on_connect(const redisAsyncContext *ac, int status)
{
	struct rconn	*c = ac->ev.data;
	char		 why[256];

	if (status != REDIS_OK) {
		snprintf(why, sizeof(why), "%s", ac->errstr != NULL &&
		    ac->errstr[0] ? ac->errstr : "connection failed");
		gone(c, why);
		return;
	}
	c->up = 1;
	if (!c->closing && c->state_fn != NULL)
		c->state_fn(c, 1, NULL, c->arg);
}

static void
on_disconnect(const redisAsyncContext *ac, int status)
{
	struct rconn	*c = ac->ev.data;
	char		 why[256];

	snprintf(why, sizeof(why), "%s", status == REDIS_OK ?
	    "connection closed" : ac->errstr != NULL && ac->errstr[0] ?
	    ac->errstr : "connection lost");
	gone(c, why);
}

struct rconn *
rconn_open(const char *host, int port, const char *path,
    rconn_state_fn *fn, void *arg, char *err, size_t errlen)
{
	redisAsyncContext *ac;
	struct rconn	*c = NULL;
	uint32_t	 i;

	for (i = 0; i < RCONN_MAX; i++)
		/* Not one whose context hiredis has yet to free. */
		if (!conns[i].used && conns[i].ac == NULL) {
			c = &conns[i];
			break;
		}
	if (c == NULL) {
		snprintf(err, errlen, "too many Redis connections (%d)",
		    RCONN_MAX);
		return NULL;
	}
	ac = path != NULL ? redisAsyncConnectUnix(path) :
	    redisAsyncConnect(host, port);
	if (ac == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	if (ac->err) {
		snprintf(err, errlen, "%s", ac->errstr);
		redisAsyncFree(ac);
		return NULL;
	}
	c->gen = (c->gen + 1) & ((1U << (32 - SLOT_BITS)) - 1);
	c->slot = i;
	c->ac = ac;
	c->fd = ac->c.fd;
	c->events = 0;
	c->used = 1;
	c->closing = 0;
	c->up = 0;
	c->pending = 0;
	c->rtt_ns = 0;
	c->progress_ns = sv->now_ns;
	c->state_fn = fn;
	c->arg = arg;
	ac->ev.data = c;
	ac->ev.addRead = ev_add_read;
	ac->ev.delRead = ev_del_read;
	ac->ev.addWrite = ev_add_write;
	ac->ev.delWrite = ev_del_write;
	ac->ev.cleanup = ev_cleanup;
	redisAsyncSetConnectCallback(ac, on_connect);
	redisAsyncSetDisconnectCallback(ac, on_disconnect);
	/* Connected at once (a Unix socket): hiredis waits for writable. */
	ev_add_write(c);
	return c;
}

void
rconn_close(struct rconn *c)
{
	redisAsyncContext *ac = c->ac;

	c->closing = 1;
	c->used = 0;
	/*
	 * Runs the callbacks with NULL, then on_disconnect (gone) forgets
	 * the context; inside a hiredis callback, when that returns.
	 */
	if (ac == NULL)
		return;
	if (ac->c.flags & REDIS_IN_CALLBACK) {
		redisAsyncFree(ac);
		return;
	}
	redisAsyncFree(ac);
	c->ac = NULL;
	c->fd = -1;
	c->events = 0;
}

static void
on_reply(redisAsyncContext *ac, void *reply, void *priv)
{
	struct rcmd	*rc = priv;
	struct rconn	*c = rc->c;

	(void)ac;
	if (c->pending > 0)
		c->pending--;
	c->progress_ns = sv->now_ns;
	if (reply != NULL)
		c->rtt_ns = sv->now_ns - rc->sent_ns;
	rc->fn(c, reply, rc->arg);
	free(rc);
}

int
rconn_command(struct rconn *c, rconn_reply_fn *fn, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	struct rcmd	*rc;

	if (c->ac == NULL || c->closing || !c->up)
		return -1;
	if ((rc = malloc(sizeof(*rc))) == NULL)
		return -1;
	rc->c = c;
	rc->sent_ns = sv->now_ns;
	rc->fn = fn;
	rc->arg = arg;
	if (redisAsyncCommandArgv(c->ac, on_reply, rc, argc, argv,
	    argvlen) != REDIS_OK) {
		free(rc);
		return -1;
	}
	if (c->pending++ == 0)
		c->progress_ns = sv->now_ns;
	return 0;
}

uint64_t
rconn_rtt_ns(const struct rconn *c)
{
	return c->rtt_ns;
}

uint64_t
rconn_waiting_ns(const struct rconn *c, uint64_t now)
{
	if (c->pending == 0 && (c->up || c->ac == NULL))
		return 0;
	return now > c->progress_ns ? now - c->progress_ns : 0;
}

void
rconn_event(uint32_t t, uint32_t events)
{
	struct rconn	*c;
	uint32_t	 slot = t & ((1U << SLOT_BITS) - 1);

	if (slot >= RCONN_MAX)
		return;
	c = &conns[slot];
	if (!c->used || c->gen != t >> SLOT_BITS || c->ac == NULL)
		return;
	if (events & (EPOLLIN | EPOLLERR | EPOLLHUP))
		redisAsyncHandleRead(c->ac);
	/* The read may have ended the connection (c->ac is NULL then). */
	if ((events & (EPOLLOUT | EPOLLERR | EPOLLHUP)) && c->used &&
	    c->ac != NULL && c->gen == t >> SLOT_BITS)
		redisAsyncHandleWrite(c->ac);
}

int
rr_type(const struct rreply *r)
{
	return ((const redisReply *)(const void *)r)->type;
}

size_t
rr_len(const struct rreply *r)
{
	const redisReply *p = (const void *)r;

	return p->type == REDIS_REPLY_ARRAY ? p->elements : p->len;
}

const char *
rr_str(const struct rreply *r)
{
	const redisReply *p = (const void *)r;

	return p->str != NULL ? p->str : "";
}

long long
rr_int(const struct rreply *r)
{
	return ((const redisReply *)(const void *)r)->integer;
}

const struct rreply *
rr_elem(const struct rreply *r, size_t i)
{
	const redisReply *p = (const void *)r;

	if (p->type != REDIS_REPLY_ARRAY || i >= p->elements)
		return NULL;
	return (const void *)p->element[i];
}

int
rr_is(const struct rreply *r, const char *s)
{
	const redisReply *p = (const void *)r;

	return r != NULL && (p->type == REDIS_REPLY_STRING ||
	    p->type == REDIS_REPLY_STATUS) && p->len == strlen(s) &&
	    memcmp(p->str, s, p->len) == 0;
}
