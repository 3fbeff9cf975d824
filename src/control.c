/*
 * control.c -- client connections: the listening Unix socket (its path is
 * paths.c's), accepting, reading and
 * parsing MessagePack-RPC, forkpool.call and forkpool.cancel (the other
 * administrative methods are admin.c's), and writing responses back, one write per connection per loop iteration.
 * Every answer, the supervisor's own and the ones dispatch.c makes for
 * tasks, is written into a connection here.
 */
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "admin.h"
#include "breaker_table.h"
#include "control.h"
#include "daemon.h"
#include "dispatch.h"
#include "handlers.h"
#include "log.h"
#include "paths.h"
#include "pool.h"
#include "priv.h"
#include "reload.h"
#include "shmconn.h"
#include "stats.h"
#include "wire.h"

#define READ_CHUNK	(64 * 1024)
#define READS_PER_EVENT	4	/* then let other connections in */
#define ACCEPTS_PER_EVENT 64
#define OUT_KEEP	(256 * 1024)	/* output buffer kept while busy */
#define ACCEPT_PAUSE_MS	500	/* no fd to accept with: try again after */
#define CONN_RESERVE	4	/* connections kept for root and our user */
/*
 * Administrative requests one connection has answered in one loop pass;
 * the rest wait for the next pass.  Some (forkpool.stats of many
 * handlers, forkpool.metrics) take a fraction of a millisecond each: a
 * client pipelining thousands must not hold the loop, and everyone else,
 * for seconds.
 */
#define ADMIN_PER_PASS	4
/*
 * Descriptors a connection may have waiting (SCM_RIGHTS) for
 * forkpool.shm_attach; more are closed at once.  One recvmsg(2) takes at
 * most RECV_FDS: the kernel drops those past it.
 */
#define CONN_FDS	2
#define RECV_FDS	8

static uint32_t	*freeslots;
static uint32_t	 nfree;
static int	 listening;
static struct stat sockst;		/* the socket bind made */
static int	 accept_paused;		/* the listening fd is out of epoll */
static uint64_t	 accept_resume_ns;
static int	 accept_trouble;	/* logged; until an accept succeeds */
/* Connections with requests kept for the next loop pass (conn_defer). */
static TAILQ_HEAD(, conn) deferq = TAILQ_HEAD_INITIALIZER(deferq);
static uint32_t	 ndeferred;
/* Lines a client can cause, each kind rate-limited (log_limited). */
static struct log_limit	 lim_refused, lim_denied, lim_large, lim_stream,
			 lim_drop, lim_fds, lim_shm;
static uint64_t	 fds_dropped;		/* descriptors sent us, closed unread */

static void	conn_close(struct conn *, const char *why);
static void	conn_push(struct conn *);
static void	conn_undefer(struct conn *);
static void	conn_parse(struct conn *);
static void	admin_call(struct conn *, const struct rpc_msg *);
static void	admin_cancel(struct conn *, const struct rpc_msg *);
static void	admin_shm_attach(struct conn *, const struct rpc_msg *);

static void
conn_set_events(struct conn *c, uint32_t events)
{
	struct epoll_event ev = { .events = events,
	    .data.u64 = EV_TAG(EV_CONN, c->slot) };

	if (events == c->events)
		return;
	if (epoll_ctl(sv->epfd, EPOLL_CTL_MOD, c->fd, &ev) == -1)
		fatal("epoll_ctl", NULL);
	c->events = events;
}

static void
conn_schedule(struct conn *c)
{
	if (!c->in_flushq) {
		TAILQ_INSERT_TAIL(&sv->flushq, c, flushq);
		c->in_flushq = 1;
	}
}

/* What counts towards max-buffered: connection buffers and params. */
static size_t
buffered(void)
{
	return sv->buffered + task_params_bytes();
}

/* Keep sv->buffered up to date with what c's buffers hold. */
static void
conn_account(struct conn *c)
{
	size_t	 n;

	n = c->in.cap + c->out.cap + (size_t)c->ends_cap * sizeof(*c->ends);
	sv->buffered = sv->buffered - c->acct + n;
	c->acct = n;
}

/*
 * Whether c may take more requests: it has fewer than max-outstanding
 * unanswered or unwritten, and not more than max-connection-output bytes
 * of answers its client has not read yet.
 */
static int
conn_can_read(const struct conn *c)
{
	return c->outstanding < sv->conf.max_outstanding &&
	    fp_buf_unread(&c->out) <= sv->conf.max_connection_output;
}

/*
 * An answer for c could not be buffered (out of memory): c is closed at
 * the end of this loop iteration, with a log line.
 */
static void
reply_failed(struct conn *c)
{
	if (!c->broken)
		log_warnx("conn_drop", "conn=%u outstanding=%u buffered=%zu "
		    "msg=\"out of memory for an answer; closing the "
		    "connection\"", c->gen, c->outstanding, fp_buf_unread(&c->out));
	c->broken = 1;
	c->closing = CONN_ABORT;
	conn_schedule(c);
}

/*
 * An answer is complete at the end of c->out: remember where it ends, so
 * that its request stops being outstanding once that much is written.
 */
static void
conn_answered(struct conn *c)
{
	uint64_t	*ne;
	uint32_t	 ncap, i;

	if (c->broken)
		return;
	if (c->out.err) {
		reply_failed(c);
		return;
	}
	if (c->nends == c->ends_cap) {
		ncap = c->ends_cap ? c->ends_cap * 2 : 16;
		if (ncap < c->ends_cap ||
		    (ne = reallocarray(NULL, ncap, sizeof(*ne))) == NULL) {
			reply_failed(c);
			return;
		}
		for (i = 0; i < c->nends; i++)
			ne[i] = c->ends[(c->ends_head + i) % c->ends_cap];
		free(c->ends);
		c->ends = ne;
		c->ends_cap = ncap;
		c->ends_head = 0;
	}
	c->ends[(c->ends_head + c->nends) % c->ends_cap] =
	    c->sent + fp_buf_unread(&c->out);
	c->nends++;
}

/* n more bytes of c->out were written: their answers are done. */
static void
conn_sent(struct conn *c, size_t n)
{
	c->sent += n;
	while (c->nends > 0 && c->ends[c->ends_head] <= c->sent) {
		c->ends_head = (c->ends_head + 1) % c->ends_cap;
		c->nends--;
		if (c->outstanding > 0)
			c->outstanding--;
	}
}

struct conn *
control_conn(uint32_t slot, uint32_t gen)
{
	struct conn *c;

	if (gen == 0 || slot >= sv->conncap || (c = sv->conns[slot]) == NULL ||
	    c->gen != gen)
		return NULL;
	return c;
}

/*
 * A request's answer was appended to c->out (its outstanding count stays).
 * Reading stops at max-connection-output, but the answers of the tasks a
 * connection has running still come: past max-buffered, one for a client
 * already that far behind closes its connection rather than grow the
 * daemon without bound.
 */
static void
conn_completed(struct conn *c)
{
	uint64_t	 behind;

	behind = (c->nends > 0 ? c->ends[(c->ends_head + c->nends - 1) %
	    c->ends_cap] : c->sent) - c->sent;
	conn_account(c);
	if (!c->broken && behind > sv->conf.max_connection_output &&
	    buffered() > sv->conf.max_buffered) {
		log_warnx("conn_drop", "conn=%u outstanding=%u unread=%llu "
		    "msg=\"the client does not read its answers and "
		    "max-buffered is exceeded; closing the connection\"",
		    c->gen, c->outstanding, (unsigned long long)behind);
		c->broken = 1;
		c->closing = CONN_ABORT;
	}
	conn_answered(c);
	conn_schedule(c);
}

/* Requests are listed on their connection, for cancel and disconnect. */
static void
conn_attach(struct conn *c, struct task *t)
{
	TAILQ_INSERT_TAIL(&c->tasks, t, centry);
	t->in_conn = 1;
}

/* t leaves the list of c, its connection (NULL if it is gone). */
static void
conn_unlink(struct conn *c, struct task *t)
{
	if (!t->in_conn)
		return;
	t->in_conn = 0;
	if (c != NULL)
		TAILQ_REMOVE(&c->tasks, t, centry);
}

/* t leaves its connection's list: the connection, or NULL if it is gone. */
static struct conn *
conn_detach(struct task *t)
{
	struct conn	*c;

	if (!t->in_conn)
		return NULL;
	c = control_conn(t->conn, t->conn_gen);
	conn_unlink(c, t);
	return c;
}

/*
 * The length of the header of data[0..len) if it is exactly one bin or
 * str object past WIRE_BLOB_MIN bytes, else 0.  Its header is copied to
 * hdr (5 bytes at most) and read only from there: data is the worker's.
 */
static size_t
opaque_header(const uint8_t *data, size_t len, uint8_t hdr[5])
{
	struct fp_mp_head h;

	if (len <= WIRE_BLOB_MIN)
		return 0;
	memcpy(hdr, data, 5);
	if (fp_mp_head(hdr, 5, &h) != 0 || (h.type != FP_MP_BIN &&
	    h.type != FP_MP_STR) || h.hlen + h.len != len)
		return 0;
	return h.hlen;
}

/*
 * A large result that is one bin or str, for a connection with nothing
 * else to write: sent from where the worker left it, no copy for what the
 * socket takes now, only the rest is copied to c->out.  The framing comes
 * from our copy of the header (the response head and the object's own
 * header, checked): a worker that writes on while the kernel copies can
 * change only the opaque bytes of its own result, never the stream.
 * Returns 1 if it answered, 0 if the caller copies as usual.
 */
static int
reply_direct(struct conn *c, struct task *t, const uint8_t *data, size_t len)
{
	struct iovec	 iov[2];
	uint8_t		 hdr[5];
	size_t		 hl, hb, body;
	ssize_t		 n;

	if (fp_buf_unread(&c->out) != 0 || c->broken ||
	    (hl = opaque_header(data, len, hdr)) == 0)
		return 0;
	if (proto_result_head(&c->out, t->msgid) == -1 ||
	    fp_buf_append(&c->out, hdr, hl) == -1) {
		reply_failed(c);
		return 1;
	}
	hb = fp_buf_unread(&c->out);
	iov[0].iov_base = fp_buf_head(&c->out);
	iov[0].iov_len = hb;
	iov[1].iov_base = (void *)(uintptr_t)(data + hl);
	iov[1].iov_len = len - hl;
	do
		n = writev(c->fd, iov, 2);
	while (n == -1 && errno == EINTR);
	if (n < 0)
		n = 0;		/* conn_write meets any error again */
	sv->cnt.bytes_sent += (size_t)n;
	c->sent += (size_t)n;
	body = (size_t)n > hb ? (size_t)n - hb : 0;
	fp_buf_drop(&c->out, (size_t)n < hb ? (size_t)n : hb);
	if (fp_buf_append(&c->out, data + hl + body, len - hl - body) == -1)
		reply_failed(c);
	else
		sv->cnt.bytes_copied += len - hl - body;
	conn_unlink(c, t);
	conn_completed(c);
	/* Written in full: retire the answer now, conn_write may not run. */
	conn_sent(c, 0);
	return 1;
}

/*
 * A large result for a connection with an arena: checked where the worker
 * left it, then copied once into the arena's result ring, and the answer
 * on the socket says so (ext FP_EXT_SHM with the length).  What the
 * worker writes after the check can only reach its own client's result,
 * never the stream; libforkpool checks the copy again.  Returns 1 if it
 * answered, 0 if the caller sends it inline, -1 if it is not one object.
 */
static int
reply_shm(struct conn *c, struct task *t, const uint8_t *data, size_t len)
{
	uint8_t		 ext[6];
	uint64_t	 held;
	uint32_t	 v;
	int		 r, mine;

	if (c->shm == NULL || c->broken)
		return 0;
	/*
	 * A result that is itself ext FP_EXT_SHM (6 bytes) would read as
	 * ours: it goes to the arena too, where it cannot be mistaken (our
	 * copy of it: the worker may write on).
	 */
	memcpy(ext, data, len == 6 ? 6 : 0);
	mine = fp_mp_fixext4(ext, len, FP_EXT_SHM, &v);
	if (len <= SHM_RESULT_MIN && !mine)
		return 0;
	if (!mine && fp_mp_object_len(data, len, 1) == -1)
		return -1;
	if ((r = shmconn_put(c->shm, t->msgid, mine ? ext : data, len)) ==
	    0 && mine) {
		/* Rare (ring 1 full): an error rather than a misreading. */
		if (proto_put_error(&c->out, t->msgid, FP_E_INTERNAL, "no room "
		    "in the arena for a result of ext type 70", NULL, 0) == -1)
			reply_failed(c);
		conn_unlink(c, t);
		conn_completed(c);
		return 1;
	}
	if (r == 0)
		return 0;
	if (r == -1) {
		if (log_limited(&lim_shm, sv->now_ns, &held))
			log_info("shm_corrupt", "conn=%u msg=\"the arena's "
			    "result ring is corrupt; closing the connection\" "
			    "suppressed=%llu", c->gen,
			    (unsigned long long)held);
		c->closing = CONN_ABORT;
		conn_schedule(c);
		return 0;
	}
	sv->cnt.bytes_copied += len;
	(void)fp_mp_wr_fixext4(ext, FP_EXT_SHM, (uint32_t)len);
	if (proto_result_head(&c->out, t->msgid) == -1 ||
	    fp_buf_append(&c->out, ext, sizeof(ext)) == -1) {
		reply_failed(c);
		return 1;
	}
	conn_unlink(c, t);
	conn_completed(c);
	conn_push(c);
	return 1;
}

int
control_reply_result(struct task *t, const uint8_t *data, size_t len)
{
	struct conn	*c = NULL;
	size_t		 start;
	int		 r;

	if (t->in_conn && (c = control_conn(t->conn, t->conn_gen)) != NULL &&
	    (r = reply_shm(c, t, data, len)) != 0)
		return r == 1 ? 0 : -1;
	if (c != NULL && reply_direct(c, t, data, len))
		return 0;
	if (c != NULL) {
		/*
		 * Copy first, then validate the copy: the worker may still
		 * write to the ring.  (An append may compact the buffer:
		 * remember the unread length.)
		 */
		start = fp_buf_unread(&c->out);
		if (proto_result_head(&c->out, t->msgid) == -1 ||
		    fp_buf_append(&c->out, data, len) == -1)
			/* Out of memory: this connection only is lost. */
			reply_failed(c);
		else if (fp_mp_object_len(c->out.data + c->out.len - len, len,
		    1) == -1) {
			c->out.len = c->out.off + start;
			return -1;
		} else {
			/* The copy into the output: make bench's copies/byte. */
			sv->cnt.bytes_copied += len;
			conn_unlink(c, t);
			conn_completed(c);
			if (len >= EAGER_BYTES)
				conn_push(c);
			return 0;
		}
	}
	/* Nobody to answer; still check what the worker sent. */
	if (fp_mp_object_len(data, len, 1) == -1)
		return -1;
	conn_unlink(c, t);
	return 0;
}

void
control_reply_error(struct task *t, int code, const char *msg,
    const struct err_kv *kv, int n)
{
	struct conn	*c;

	if ((c = conn_detach(t)) == NULL)
		return;
	if (proto_put_error_kv(&c->out, t->msgid, code, msg, kv, n) == -1)
		reply_failed(c);
	conn_completed(c);
}

/* An answer the supervisor made at once was appended to c->out. */
static void
conn_reply_done(struct conn *c)
{
	c->outstanding++;
	conn_answered(c);
	conn_schedule(c);
}

int
control_listen(char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct epoll_event ev;
	const char	*path = sv->conf.socket;
	int		 fd;

	if (paths_socket_dir(&sv->conf, 1, err, errlen) == -1 ||
	    paths_stale_socket(path, err, errlen) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC,
	    0)) == -1) {
		snprintf(err, errlen, "%s: socket: %s", path, strerror(errno));
		return -1;
	}
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	strlcpy(sun.sun_path, path, sizeof(sun.sun_path));
	if (bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		close(fd);
		return -1;
	}
	listening = 1;		/* bound: control_unlisten removes it */
	sv->lfd = fd;
	/* What bind made, to remove only that (not a later daemon's). */
	if (lstat(path, &sockst) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		memset(&sockst, 0, sizeof(sockst));
		control_unlisten();
		return -1;
	}
	if (chmod(path, sv->conf.socket_mode) == -1 ||
	    listen(fd, 1024) == -1) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		control_unlisten();
		return -1;
	}
	/*
	 * socket-owner, socket-group, before the first accept.  Until now
	 * the socket was the daemon's user's and group's, with socket-mode.
	 */
	if ((sv->conf.socket_uid != (uid_t)-1 ||
	    sv->conf.socket_gid != (gid_t)-1) &&
	    lchown(path, sv->conf.socket_uid, sv->conf.socket_gid) == -1) {
		snprintf(err, errlen, "%s: cannot give it to socket-owner %s "
		    "socket-group %s: %s", path,
		    sv->conf.socket_owner[0] ? sv->conf.socket_owner : "none",
		    sv->conf.socket_group[0] ? sv->conf.socket_group : "none",
		    strerror(errno));
		control_unlisten();
		return -1;
	}
	ev.events = EPOLLIN;
	ev.data.u64 = EV_TAG(EV_LISTEN, 0);
	if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) == -1)
		fatal("epoll_ctl", NULL);
	/* Started: the directories made for it stay. */
	paths_dirs_keep();
	return 0;
}

void
control_unlisten(void)
{
	struct stat	 st;
	char		 q[FP_SOCKPATH_MAX * 4 + 3];

	if (!listening)
		return;
	listening = 0;
	accept_paused = 0;
	close(sv->lfd);
	sv->lfd = -1;
	/*
	 * Only our own socket: once removed (by hand, by a tmp cleaner),
	 * the path may be another daemon's now.
	 */
	if (lstat(sv->conf.socket, &st) == -1 || st.st_dev != sockst.st_dev ||
	    st.st_ino != sockst.st_ino || !S_ISSOCK(st.st_mode))
		return;
	if (unlink(sv->conf.socket) == -1 && errno != ENOENT)
		log_warn("unlink", "socket=%s", log_quote(sv->conf.socket, q,
		    sizeof(q)));
}

/* A free connection slot, or -1 when the table cannot grow. */
static int64_t
slot_get(void)
{
	uint32_t	 i, ncap;
	struct conn	**nc;
	uint32_t	*nf;

	if (nfree == 0) {
		ncap = sv->conncap ? sv->conncap * 2 : 64;
		if ((nc = reallocarray(sv->conns, ncap, sizeof(*nc))) == NULL)
			return -1;
		sv->conns = nc;
		if ((nf = reallocarray(freeslots, ncap, sizeof(*nf))) == NULL)
			return -1;
		freeslots = nf;
		for (i = ncap; i-- > sv->conncap; ) {
			sv->conns[i] = NULL;
			freeslots[nfree++] = i;
		}
		sv->conncap = ncap;
	}
	return freeslots[--nfree];
}

/*
 * Who is at the other end of fd (as of its connect(2)), for conn_admit()
 * and admin_allowed(): uid and gid -1 and pid 0 if it cannot be read.
 */
static void
peer_cred(int fd, struct ucred *uc)
{
	socklen_t	 len = sizeof(*uc);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, uc, &len) == -1 ||
	    len != sizeof(*uc)) {
		log_warn("peer_cred", "fd=%d", fd);
		uc->uid = (uid_t)-1;
		uc->gid = (gid_t)-1;
		uc->pid = 0;
	}
}

/*
 * Methods that change the daemon are for root, the daemon's own user and
 * admin-group (the peer's primary group, or one of its supplementary
 * groups as SO_PEERGROUPS reports them).  The group is looked at on each
 * call, so that a reload that changes admin-group applies to connections
 * already open.
 */
static int
admin_allowed(const struct conn *c)
{
	if (c->uid == (uid_t)-1)
		return 0;
	if (c->uid == 0 || c->uid == geteuid())
		return 1;
	if (sv->conf.admin_group[0] == '\0')
		return 0;
	return c->gid == sv->conf.admin_gid ||
	    priv_peer_in_group(c->fd, sv->conf.admin_gid);
}

/*
 * accept(2) failed for want of a file descriptor (or memory): the
 * listening socket stays readable, so stop watching it for a while rather
 * than spin.  Connections wait in the backlog meanwhile.  Accepting
 * resumes after ACCEPT_PAUSE_MS, or as soon as a connection closes.
 */
static void
accept_pause(int err)
{
	struct epoll_event ev = { .events = 0,
	    .data.u64 = EV_TAG(EV_LISTEN, 0) };

	if (epoll_ctl(sv->epfd, EPOLL_CTL_MOD, sv->lfd, &ev) == -1) {
		log_warn("accept_pause", "msg=epoll_ctl");
		return;
	}
	accept_paused = 1;
	accept_resume_ns = fp_now_ns() + ACCEPT_PAUSE_MS * 1000000ULL;
	sv->cnt.accept_pauses++;
	/* Once per episode: the pauses go on until an accept succeeds. */
	if (!accept_trouble)
		log_warnx("accept_pause", "err=\"%s\" connections=%u "
		    "pause_ms=%d", strerror(err), sv->nconns, ACCEPT_PAUSE_MS);
	accept_trouble = 1;
}

static void
accept_resume(void)
{
	struct epoll_event ev = { .events = EPOLLIN,
	    .data.u64 = EV_TAG(EV_LISTEN, 0) };

	if (!accept_paused || !listening)
		return;
	if (epoll_ctl(sv->epfd, EPOLL_CTL_MOD, sv->lfd, &ev) == -1) {
		log_warn("accept_resume", "msg=epoll_ctl");
		accept_resume_ns = fp_now_ns() + ACCEPT_PAUSE_MS * 1000000ULL;
		return;
	}
	accept_paused = 0;
}

/*
 * Refuse a connection accepted as fd, beyond the limit max, with a log
 * line now and then.
 */
static void
refuse(int fd, const char *why, uint32_t max)
{
	uint64_t	 held;

	close(fd);
	sv->cnt.conns_refused++;
	/* A client knocking in a loop must not flood the log. */
	if (log_limited(&lim_refused, fp_now_ns(), &held))
		log_warnx("conn_refused", "msg=\"%s\" max=%u refused=%llu "
		    "suppressed=%llu", why, max,
		    (unsigned long long)sv->cnt.conns_refused,
		    (unsigned long long)held);
}

/*
 * Whether the peer uc may have one more connection: NULL, or why not with
 * the limit in *max.  The last CONN_RESERVE slots of max-connections are
 * kept for root and the daemon's own user, so that the operator can
 * always connect (stats, reload) while another user holds every other
 * slot; and with max-connections-per-user no user holds more than that
 * many.
 */
static const char *
conn_admit(const struct ucred *uc, uint32_t *max)
{
	uint32_t	 i, n, reserve;

	*max = sv->conf.max_connections;
	if (sv->nconns >= sv->conf.max_connections)
		return "max-connections reached";
	if (uc->uid == 0 || uc->uid == geteuid())
		return NULL;
	reserve = sv->conf.max_connections / 4 < CONN_RESERVE ?
	    sv->conf.max_connections / 4 : CONN_RESERVE;
	if (sv->nconns + reserve >= sv->conf.max_connections)
		return "max-connections reached (the rest is kept for root and "
		    "the daemon's user)";
	if (sv->conf.max_conns_per_user == 0)
		return NULL;
	*max = sv->conf.max_conns_per_user;
	for (i = n = 0; i < sv->conncap; i++)
		if (sv->conns[i] != NULL && sv->conns[i]->uid == uc->uid)
			n++;
	if (n >= sv->conf.max_conns_per_user)
		return "max-connections-per-user reached";
	return NULL;
}

void
control_accept(void)
{
	struct epoll_event ev;
	struct conn	*c;
	struct ucred	 uc;
	const char	*why;
	int64_t		 slot;
	uint32_t	 max;
	int		 fd, i;

	for (i = 0; i < ACCEPTS_PER_EVENT && listening && !accept_paused;
	    i++) {
		fd = accept4(sv->lfd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
		if (fd == -1) {
			if (errno != EAGAIN && errno != EINTR &&
			    errno != ECONNABORTED)
				accept_pause(errno);
			return;
		}
		if (accept_trouble) {
			log_info("accept_resume", "connections=%u pauses=%llu",
			    sv->nconns,
			    (unsigned long long)sv->cnt.accept_pauses);
			accept_trouble = 0;
		}
		peer_cred(fd, &uc);
		if ((why = conn_admit(&uc, &max)) != NULL) {
			refuse(fd, why, max);
			continue;
		}
		if ((c = calloc(1, sizeof(*c))) == NULL ||
		    (slot = slot_get()) == -1) {
			free(c);
			refuse(fd, "out of memory", sv->conf.max_connections);
			continue;
		}
		c->fd = fd;
		c->slot = (uint32_t)slot;
		if (++sv->conngen == 0)
			sv->conngen = 1;
		c->gen = sv->conngen;
		c->uid = uc.uid;
		c->gid = uc.gid;
		c->pid = uc.pid;
		TAILQ_INIT(&c->tasks);
		fp_mp_skip_init(&c->sk);
		sv->conns[c->slot] = c;
		sv->nconns++;
		c->events = EPOLLIN;
		ev.events = c->events;
		ev.data.u64 = EV_TAG(EV_CONN, c->slot);
		if (epoll_ctl(sv->epfd, EPOLL_CTL_ADD, fd, &ev) == -1) {
			log_warn("conn_open", "msg=epoll_ctl");
			conn_close(c, "epoll_ctl failed");
			continue;
		}
		log_debug("conn_open", "conn=%u", c->gen);
	}
}

static void
conn_close(struct conn *c, const char *why)
{
	struct task	*t;

	log_debug("conn_close", "conn=%u outstanding=%u reason=\"%s\"",
	    c->gen, c->outstanding, why);
	/*
	 * Its queued requests never run; results of running ones are
	 * dropped when they come.
	 */
	while ((t = TAILQ_FIRST(&c->tasks)) != NULL)
		if (dispatch_cancel(t, FP_E_CANCELLED, "the client disconnected",
		    0) == 0)
			(void)conn_detach(t);
	if (c->in_flushq)
		TAILQ_REMOVE(&sv->flushq, c, flushq);
	conn_undefer(c);
	close(c->fd);
	while (c->nrfds > 0)
		close(c->rfds[--c->nrfds]);
	shmconn_detach(c->shm);
	free(c->shmblock);
	fp_buf_free(&c->in);
	fp_buf_free(&c->out);
	free(c->ends);
	c->ends = NULL;
	c->ends_cap = 0;
	conn_account(c);
	sv->conns[c->slot] = NULL;
	freeslots[nfree++] = c->slot;
	sv->nconns--;
	free(c);
	/* A file descriptor is free again. */
	accept_resume();
}

/* ---- requests ----------------------------------------------------------- */

static void
reply_error(struct conn *c, uint32_t msgid, int code, const char *msg)
{
	if (c->broken)
		return;
	if (proto_put_error(&c->out, msgid, code, msg, NULL, 0) == -1) {
		reply_failed(c);
		return;
	}
	conn_reply_done(c);
}

/* ---- for admin.c -------------------------------------------------------- */

struct fp_buf *
control_result(struct conn *c, uint32_t msgid)
{
	if (c->broken)
		return NULL;
	proto_result_head(&c->out, msgid);
	return &c->out;
}

void
control_result_done(struct conn *c)
{
	conn_reply_done(c);
}

void
control_error(struct conn *c, uint32_t msgid, int code, const char *msg)
{
	reply_error(c, msgid, code, msg);
}

int
control_admin_allowed(const struct conn *c)
{
	return admin_allowed(c);
}

int
control_admin_check(struct conn *c, uint32_t msgid, const char *method)
{
	char		 msg[PATH_MAX + 256];
	uint64_t	 held;

	if (admin_allowed(c))
		return 1;
	/*
	 * Once a connection, and at most LOG_LIMIT_PER_S a second: a loop of
	 * denied calls, or of connections, cannot flood.
	 */
	if (!c->denied_logged && log_limited(&lim_denied, fp_now_ns(), &held))
		log_warnx("permission_denied", "conn=%u uid=%d gid=%d "
		    "pid=%d method=%s suppressed=%llu", c->gen, (int)c->uid,
		    (int)c->gid, (int)c->pid, method, (unsigned long long)held);
	c->denied_logged = 1;
	snprintf(msg, sizeof(msg), "%s is only for root%s%.0u%s%s", method,
	    geteuid() != 0 ? ", uid " : "",
	    geteuid() != 0 ? (unsigned)geteuid() : 0,
	    sv->conf.admin_group[0] ? " and admin-group " : "",
	    sv->conf.admin_group);
	reply_error(c, msgid, FP_E_PERMISSION_DENIED, msg);
	return 0;
}

void
control_figures(struct control_figures *cf)
{
	uint32_t	 j;

	cf->paused = 0;
	for (j = 0; j < sv->conncap; j++)
		if (sv->conns[j] != NULL && !sv->conns[j]->closing &&
		    !sv->conns[j]->deferred &&
		    !(sv->conns[j]->events & EPOLLIN))
			cf->paused++;
	cf->buffered = buffered();
	cf->accept_paused = accept_paused;
	cf->shm_conns = 0;
	cf->shm_bytes = 0;
	for (j = 0; j < sv->conncap; j++)
		if (sv->conns[j] != NULL && sv->conns[j]->shm != NULL) {
			cf->shm_conns++;
			cf->shm_bytes += shmconn_bytes(sv->conns[j]->shm);
		}
	cf->fds_dropped = fds_dropped;
}

/* Methods under "forkpool.", answered by the supervisor itself. */
static void
admin(struct conn *c, const struct rpc_msg *m)
{
	const char	*name = m->method + 9;
	size_t		 n = m->mlen - 9;

#define IS(s)	(n == sizeof(s) - 1 && memcmp(name, s, n) == 0)
	if (IS("call")) {
		admin_call(c, m);
		return;
	}
	if (m->type != RPC_REQUEST || c->broken)
		return;		/* nothing else administrative is fire-and-forget */
	if (IS("cancel")) {
		admin_cancel(c, m);
		return;
	}
	if (IS("shm_attach")) {
		admin_shm_attach(c, m);
		return;
	}
#undef IS
	if (c->admin_pass != sv->now_ns) {
		c->admin_pass = sv->now_ns;
		c->admin_n = 0;
	}
	c->admin_n++;
	/*
	 * Past max-buffered, a connection that has answers not yet written
	 * gets no more of the supervisor's answers (which can be large)
	 * than calls would: queue_full.  One that has read all it was sent
	 * is still answered, so that an operator can look at a full daemon.
	 */
	if (buffered() > sv->conf.max_buffered && fp_buf_unread(&c->out) > 0) {
		sv->cnt.rejected_buffered++;
		reply_error(c, m->msgid, FP_E_QUEUE_FULL, "the daemon's "
		    "buffers are full (max-buffered) and this connection has "
		    "answers it has not read");
		return;
	}
	admin_method(c, m);
}

/* Per-call options of forkpool.call. */
struct call_opts {
	int		 has_timeout;
	uint64_t	 timeout_ms;
	int		 has_retries;
	uint32_t	 retries;
	const char	*id;
	uint32_t	 idlen;
};

/*
 * t's params, `plen' bytes at `params' in the message at the head of c's
 * input.  A large request that is all that c's input holds (conn_read
 * reads a large message up to its end and no further) keeps its buffer:
 * the task takes it and the input starts afresh, so the params are not
 * copied.  Else they are copied.
 */
static int
conn_params(struct conn *c, struct task *t, const uint8_t *params,
    size_t plen)
{
	uint8_t	*block;
	size_t	 cap;

	/* Copied out of the arena already (shm_params): take that copy. */
	if (c->shmblock != NULL && params >= c->shmblock &&
	    params + plen <= c->shmblock + c->shmcap) {
		task_adopt_params(t, c->shmblock, c->shmcap, params, plen);
		c->shmblock = NULL;
		return 0;
	}
	/* Held in the arena (shm_params): the task holds them there. */
	if (c->shmhold != NULL) {
		task_hold_params(t, c->shm, c->shmhold, params, plen);
		c->shmhold = NULL;
		return 0;
	}
	if (plen <= WIRE_BLOB_MIN || fp_buf_unread(&c->in) != c->skfed ||
	    params < fp_buf_head(&c->in) ||
	    params + plen > fp_buf_head(&c->in) + c->skfed ||
	    c->in.cap - c->skfed > c->skfed)
		return task_set_params(t, params, plen);	/* counts it */
	block = fp_buf_detach(&c->in, &cap);
	task_adopt_params(t, block, cap, params, plen);
	return 0;
}

/* Queue a call of handler `method' for this connection. */
static void
submit(struct conn *c, int req, uint32_t msgid, const char *method,
    uint32_t mlen, const uint8_t *params, size_t plen,
    const struct call_opts *o)
{
	struct task	*t;
	uint64_t	 conf_ms, timeout_ms;
	int		 h, probe = 0, own, shut = 0;
	char		 msg[160];

	if ((h = handler_lookup(method, mlen)) == -1) {
		/* Unknown notifications are ignored (some clients send them). */
		if (req)
			reply_error(c, msgid, FP_E_NO_SUCH_METHOD,
			    "no such method");
		return;
	}
	if (sv->state != SV_RUNNING) {
		stats_rejected((uint32_t)h, FP_E_SHUTTING_DOWN, sv->now_ns);
		if (req)
			reply_error(c, msgid, FP_E_SHUTTING_DOWN,
			    "the daemon is shutting down");
		return;
	}
	/*
	 * Past the daemon-wide budget for buffered bytes, take no new work
	 * (answers of work taken already are still buffered).
	 */
	if (buffered() > sv->conf.max_buffered) {
		sv->cnt.rejected_buffered++;
		stats_rejected((uint32_t)h, FP_E_QUEUE_FULL, sv->now_ns);
		if (req)
			reply_error(c, msgid, FP_E_QUEUE_FULL, "the daemon's "
			    "buffers are full (max-buffered)");
		return;
	}
	conf_ms = config_handler_timeout_ms(&sv->conf, h);
	/*
	 * The half-open breaker's probe must be able to fail: a call with a
	 * deadline of its own shorter than the configured one would time out
	 * without counting (dispatch_admit), and a client repeating such
	 * calls could keep the breaker half-open, and everyone out, for ever.
	 * It gives the probe back and is answered circuit_open.
	 */
	own = o != NULL && o->has_timeout && o->timeout_ms != 0 &&
	    (conf_ms == 0 || o->timeout_ms < conf_ms);
	if (breaker_table_admit((uint32_t)h, &probe) == -1)
		shut = 1;
	else if (probe && own) {
		breaker_table_abandon((uint32_t)h);
		shut = 1;
	}
	if (shut) {
		stats_rejected((uint32_t)h, FP_E_CIRCUIT_OPEN, sv->now_ns);
		if (req) {
			snprintf(msg, sizeof(msg), "the circuit breaker of %s "
			    "is open%s", handler_get((uint32_t)h)->name, probe ?
			    " (its probe needs the configured deadline)" : "");
			reply_error(c, msgid, FP_E_CIRCUIT_OPEN, msg);
		}
		return;
	}
	if ((t = task_alloc()) == NULL || (o == NULL ||
	    c->shmblock != NULL || c->shmhold != NULL ? conn_params(c, t,
	    params, plen) : task_set_params(t, params, plen)) == -1 ||
	    (o != NULL && o->id != NULL && task_set_corr(t, o->id,
	    o->idlen) == -1)) {
		/* Out of memory costs this request only. */
		log_warnx("task_alloc", "conn=%u msgid=%u msg=\"out of "
		    "memory\"", c->gen, msgid);
		if (t != NULL)
			task_free(t);
		if (probe)
			breaker_table_abandon((uint32_t)h);
		stats_rejected((uint32_t)h, FP_E_INTERNAL, sv->now_ns);
		if (req)
			reply_error(c, msgid, FP_E_INTERNAL, "out of memory");
		return;
	}
	t->msgid = msgid;
	t->conn = c->slot;
	t->conn_gen = req ? c->gen : 0;
	t->handler = (uint16_t)h;
	t->probe = (uint8_t)probe;
	t->enqueued_ns = sv->now_ns;
	/*
	 * The configured timeout is a ceiling: a caller may ask for less
	 * time, never for more or for none, or one client could hold the
	 * workers for as long as it liked.  Without one, the caller's holds.
	 */
	timeout_ms = own ? o->timeout_ms : conf_ms;
	t->deadline_ns = timeout_ms ? t->enqueued_ns + timeout_ms * 1000000ULL :
	    0;
	t->retries_left = o != NULL && o->has_retries ? o->retries :
	    config_handler_retries(&sv->conf, h);
	/* Listed first, so that any answer, even queue_full, finds it. */
	if (req) {
		c->outstanding++;
		conn_attach(c, t);
	}
	(void)dispatch_admit(t);
}

/* forkpool.call [method, params, {timeout_ms, retries, id}] */
static void
admin_call(struct conn *c, const struct rpc_msg *m)
{
	struct fp_mp_reader r = { m->params, m->plen, 0 };
	struct call_opts o;
	const char	*method, *key, *why = NULL;
	const uint8_t	*params;
	size_t		 plen;
	uint32_t	 n, mlen, nopt, klen, i;
	uint64_t	 v;
	int		 req = m->type == RPC_REQUEST, b;

	memset(&o, 0, sizeof(o));
	if (fp_mp_read_array(&r, &n) == -1 || n < 2 || n > 3 ||
	    fp_mp_read_str(&r, &method, &mlen) == -1) {
		why = "params must be [method, params, options]";
		goto bad;
	}
	b = fp_mp_peek_byte(&r);
	if (!fp_mp_array_byte((unsigned)b) ||
	    fp_mp_read_raw(&r, &params, &plen) == -1) {
		why = "the method's params must be an array";
		goto bad;
	}
	if (n == 3 && fp_mp_peek_byte(&r) != 0xc0) {
		if (fp_mp_read_map(&r, &nopt) == -1) {
			why = "options must be a map";
			goto bad;
		}
		for (i = 0; i < nopt; i++) {
			if (fp_mp_read_str(&r, &key, &klen) == -1) {
				why = "option names must be strings";
				goto bad;
			}
#define KEY(s)	(klen == sizeof(s) - 1 && memcmp(key, s, klen) == 0)
			if (KEY("timeout_ms")) {
				if (fp_mp_read_uint(&r, &v) == -1 ||
				    v > 24ULL * 3600 * 1000) {
					why = "timeout_ms must be an integer "
					    "from 0 to 86400000";
					goto bad;
				}
				o.has_timeout = 1;
				o.timeout_ms = v;
			} else if (KEY("retries")) {
				if (fp_mp_read_uint(&r, &v) == -1 || v > 100) {
					why = "retries must be an integer from "
					    "0 to 100";
					goto bad;
				}
				o.has_retries = 1;
				o.retries = (uint32_t)v;
			} else if (KEY("id")) {
				if (fp_mp_read_str(&r, &o.id, &o.idlen) == -1 ||
				    o.idlen > 128) {
					why = "id must be a string of 128 bytes "
					    "at most";
					goto bad;
				}
			} else {
				why = "unknown option (timeout_ms, retries, id)";
				goto bad;
			}
#undef KEY
		}
	}
	submit(c, req, m->msgid, method, mlen, params, plen, &o);
	return;
bad:
	if (req)
		reply_error(c, m->msgid, FP_E_INVALID_PARAMS, why);
}

/* forkpool.cancel [msgid]: true if that request will be answered cancelled. */
static void
admin_cancel(struct conn *c, const struct rpc_msg *m)
{
	struct fp_mp_reader r = { m->params, m->plen, 0 };
	struct task	*t;
	uint32_t	 n;
	uint64_t	 id;
	int		 found = 0;

	if (fp_mp_read_array(&r, &n) == -1 || n != 1 ||
	    fp_mp_read_uint(&r, &id) == -1 || id > UINT32_MAX) {
		reply_error(c, m->msgid, FP_E_INVALID_PARAMS,
		    "params must be [msgid]");
		return;
	}
	TAILQ_FOREACH(t, &c->tasks, centry)
		if (t->msgid == (uint32_t)id)
			break;
	if (t != NULL)
		found = dispatch_cancel(t, FP_E_CANCELLED,
		    "cancelled by the client", 1);
	proto_result_head(&c->out, m->msgid);
	fp_mp_put_bool(&c->out, found);
	conn_reply_done(c);
}

/*
 * m's params are in c's arena (ext FP_EXT_SHM).  A handler's (`inplace')
 * stay there, held (shmconn_hold) until its task is done: the supervisor
 * only copies them to the worker, which checks them (WT_UNCHECKED), so
 * they are neither copied out nor parsed here.  An administrative
 * method's, which we parse, are copied out into c->shmblock and checked
 * as inline params are (one well-formed array); m then points at them.
 * Both within max-request-size.  Returns 0, or -1 when m is answered
 * already (or is a notification that cannot be).
 */
static int
shm_params(struct conn *c, struct rpc_msg *m, int inplace)
{
	const uint8_t	*p;
	uint8_t		*block;
	const char	*why;
	struct shm_hold	*h;
	uint64_t	 held;
	int		 req = m->type == RPC_REQUEST, r;

	if (c->shm == NULL) {
		if (req)
			reply_error(c, m->msgid, FP_E_INVALID_PARAMS, "params "
			    "in shared memory, but no arena is attached "
			    "(forkpool.shm_attach)");
		return -1;
	}
	if (m->shmlen > sv->conf.max_request_size) {
		/* Dropped unread: a length other than the record's. */
		if ((r = shmconn_hold(c->shm, m->msgid, 0, &p, &h,
		    &why)) == 0)
			shmconn_done(c->shm, h);
		if (req)
			reply_error(c, m->msgid, FP_E_TOO_LARGE,
			    "request exceeds max-request-size");
		if (r == -2)
			goto corrupt;
		return -1;
	}
	if (inplace)
		r = shmconn_hold(c->shm, m->msgid, m->shmlen, &p, &h,
		    &why);
	else
		r = shmconn_take(c->shm, m->msgid, m->shmlen, &block, &why);
	if (r == -3) {
		if (req)
			reply_error(c, m->msgid, FP_E_INTERNAL,
			    "out of memory");
		return -1;
	}
	if (r != 0) {
		if (req)
			reply_error(c, m->msgid, FP_E_BAD_REQUEST, why);
		if (r == -2)
			goto corrupt;
		return -1;
	}
	if (inplace) {
		c->shmhold = h;
		m->params = p;
		m->plen = m->shmlen;
		return 0;
	}
	sv->cnt.bytes_copied += m->shmlen;
	c->shmblock = block;
	c->shmcap = m->shmlen;
	if (!fp_mp_one_array(block, m->shmlen)) {
		if (req)
			reply_error(c, m->msgid, FP_E_BAD_REQUEST,
			    WIRE_SHM_PARAMS_BAD);
		free(c->shmblock);
		c->shmblock = NULL;
		return -1;
	}
	m->params = block;
	m->plen = m->shmlen;
	return 0;
corrupt:
	if (log_limited(&lim_shm, sv->now_ns, &held))
		log_info("shm_corrupt", "conn=%u msg=\"%s; closing the "
		    "connection\" suppressed=%llu", c->gen, why,
		    (unsigned long long)held);
	c->closing = CONN_ABORT;
	conn_schedule(c);
	return -1;
}

/*
 * forkpool.shm_attach [size]: the oldest descriptor the client sent
 * becomes its arena (shmconn.c checks it), for good: true, or
 * invalid_params saying why.  The descriptor is closed either way.
 */
static void
admin_shm_attach(struct conn *c, const struct rpc_msg *m)
{
	struct fp_mp_reader r = { m->params, m->plen, 0 };
	const char	*why;
	uint64_t	 size;
	uint32_t	 n, i;
	int		 fd = -1;

	if (c->nrfds > 0) {
		fd = c->rfds[0];
		for (i = 1; i < c->nrfds; i++)
			c->rfds[i - 1] = c->rfds[i];
		c->nrfds--;
	}
	if (fp_mp_read_array(&r, &n) == -1 || n != 1 ||
	    fp_mp_read_uint(&r, &size) == -1)
		why = "params must be [size]";
	else if (c->shm != NULL)
		why = "an arena is attached already";
	else if (fd == -1)
		why = "no descriptor came with the request (SCM_RIGHTS)";
	else if ((c->shm = shmconn_attach(fd, size, sv->conf.max_shm_size,
	    &why)) != NULL)
		why = NULL;
	if (fd != -1)
		close(fd);
	if (why != NULL) {
		reply_error(c, m->msgid, FP_E_INVALID_PARAMS, why);
		return;
	}
	log_debug("shm_attach", "conn=%u size=%llu", c->gen,
	    (unsigned long long)size);
	proto_result_head(&c->out, m->msgid);
	fp_mp_put_bool(&c->out, 1);
	conn_reply_done(c);
}

static void
handle_message(struct conn *c, const uint8_t *p, size_t len)
{
	struct rpc_msg	 m;
	const char	*why;
	int		 adm;

	if (proto_parse(p, len, &m, &why) == -1) {
		if (m.has_msgid)
			reply_error(c, m.msgid, FP_E_BAD_REQUEST, why);
		else
			log_debug("bad_message", "conn=%u msg=\"%s\"", c->gen,
			    why);
		return;
	}
	if (m.shm && m.type != RPC_REQUEST) {
		/*
		 * forkpool-rpc(7): notifications send their params inline.
		 * (Not on the connection's list, such a task could hold its
		 * arena after the connection is gone.)
		 */
		log_debug("bad_message", "conn=%u msg=\"a notification with "
		    "params in shared memory\"", c->gen);
		return;
	}
	adm = m.mlen > 9 && memcmp(m.method, "forkpool.", 9) == 0;
	if (m.shm && shm_params(c, &m, !adm) == -1)
		return;
	if (adm)
		admin(c, &m);
	else
		submit(c, m.type == RPC_REQUEST, m.msgid, m.method, m.mlen,
		    m.params, m.plen, NULL);
	/* Not taken by a task (an error, an administrative method). */
	free(c->shmblock);
	c->shmblock = NULL;
	if (c->shmhold != NULL)
		shmconn_done(c->shm, c->shmhold);
	c->shmhold = NULL;
}

/*
 * An oversized message: answer too_large if its msgid can be read, then
 * skip the rest of it as it arrives, without buffering it.
 */
static void
too_large(struct conn *c)
{
	uint32_t msgid;
	uint64_t held;

	if (proto_peek_msgid(fp_buf_head(&c->in), fp_buf_unread(&c->in),
	    &msgid) == 0)
		reply_error(c, msgid, FP_E_TOO_LARGE,
		    "request exceeds max-request-size");
	else if (log_limited(&lim_large, sv->now_ns, &held))
		log_info("too_large", "conn=%u msg=\"no msgid readable\" "
		    "suppressed=%llu", c->gen, (unsigned long long)held);
	fp_buf_drop(&c->in, c->skfed);
	c->skfed = 0;
	c->discarding = 1;
}

/*
 * c answered ADMIN_PER_PASS administrative requests in this loop pass:
 * stop reading it (its input holds requests already) and take the rest in
 * the next pass (control_resume_all), which does not wait for an event.
 */
static void
conn_defer(struct conn *c)
{
	if (!c->deferred) {
		c->deferred = 1;
		TAILQ_INSERT_TAIL(&deferq, c, deferq);
		ndeferred++;
	}
	conn_set_events(c, c->events & ~EPOLLIN);
}

static void
conn_undefer(struct conn *c)
{
	if (!c->deferred)
		return;
	c->deferred = 0;
	TAILQ_REMOVE(&deferq, c, deferq);
	ndeferred--;
}

static void
conn_parse(struct conn *c)
{
	uint64_t	 held;
	size_t		 used, avail;
	int		 r;

	while ((avail = fp_buf_unread(&c->in)) > 0) {
		/* (Aborted: a corrupt arena; nothing more is taken.) */
		if (!conn_can_read(c) || c->broken || c->closing == CONN_ABORT)
			break;
		if (c->admin_pass == sv->now_ns && c->admin_n >= ADMIN_PER_PASS) {
			conn_defer(c);
			break;
		}
		r = fp_mp_skip_feed(&c->sk, fp_buf_head(&c->in) + c->skfed,
		    avail - c->skfed, &used);
		c->skfed += used;
		if (r == -1) {
			if (log_limited(&lim_stream, sv->now_ns, &held))
				log_info("bad_stream", "conn=%u msg=\"not "
				    "MessagePack\" suppressed=%llu", c->gen,
				    (unsigned long long)held);
			c->closing = CONN_ABORT;
			return;
		}
		if (c->discarding) {
			fp_buf_drop(&c->in, c->skfed);
			c->skfed = 0;
			if (r == FP_AGAIN)
				break;
			c->discarding = 0;
			fp_mp_skip_init(&c->sk);
			continue;
		}
		if (r == FP_AGAIN) {
			if (fp_mp_skip_need(&c->sk) > sv->conf.max_request_size)
				too_large(c);
			else
				break;
			continue;
		}
		if (c->sk.pos > sv->conf.max_request_size) {
			too_large(c);
			c->discarding = 0;
			fp_mp_skip_init(&c->sk);
			continue;
		}
		handle_message(c, fp_buf_head(&c->in), c->skfed);
		fp_buf_drop(&c->in, c->skfed);
		c->skfed = 0;
		fp_mp_skip_init(&c->sk);
	}
	if (!conn_can_read(c) && (c->events & EPOLLIN)) {
		/* Resumed by conn_write once the client has read enough. */
		if (c->outstanding < sv->conf.max_outstanding)
			sv->cnt.conn_pauses++;
		conn_set_events(c, c->events & ~EPOLLIN);
	}
}

/* c's client read enough of its answers: take its requests again. */
static void
conn_resume(struct conn *c)
{
	if (c->closing || c->broken || (c->events & EPOLLIN) ||
	    !conn_can_read(c))
		return;
	/* Requests already buffered first: no read may bring more. */
	if (fp_buf_unread(&c->in) > 0)
		conn_parse(c);
	if (c->closing == CONN_ABORT)
		conn_schedule(c);
	else if (!c->closing && !c->deferred && conn_can_read(c))
		conn_set_events(c, c->events | EPOLLIN);
}


/*
 * How much to read into c's input: READ_CHUNK, or, while a large message
 * comes in, the rest of it at once and no more: one buffer of its size,
 * filled by the kernel's copy alone (no growing, no compacting), which
 * its task can then take whole (conn_params).
 */
static size_t
conn_want(struct conn *c, int *exact)
{
	uint64_t need;
	size_t	 have = fp_buf_unread(&c->in);

	*exact = 0;
	if (c->discarding)
		return READ_CHUNK;
	need = fp_mp_skip_need(&c->sk);
	/*
	 * The last bytes of a large message, in the buffer of its size that
	 * the reads below made: into the room left, not a buffer grown to
	 * twice the message for a READ_CHUNK (which its task would not take
	 * whole, and the connection would keep).
	 */
	if (need > have && need - have <= READ_CHUNK &&
	    c->in.cap > 2 * READ_CHUNK && c->in.cap - c->in.len >= need - have) {
		*exact = 1;
		return (size_t)(need - have);
	}
	/*
	 * A client that announces a large message and sends none of it
	 * holds address space, not memory; still, past max-buffered the
	 * input grows only as bytes come.
	 */
	if (need <= (uint64_t)have + READ_CHUNK ||
	    need > sv->conf.max_request_size ||
	    buffered() + (need - have) > sv->conf.max_buffered)
		return READ_CHUNK;
	*exact = 1;
	return (size_t)(need - have);
}

/*
 * Descriptors that came with a read (SCM_RIGHTS): the first CONN_FDS wait
 * for forkpool.shm_attach, the rest are closed and counted.
 */
static void
conn_take_fds(struct conn *c, struct msghdr *msg)
{
	struct cmsghdr	*cm;
	uint64_t	 held, dropped = 0;
	size_t		 i, n;
	int		 fd;

	for (cm = CMSG_FIRSTHDR(msg); cm != NULL; cm = CMSG_NXTHDR(msg, cm)) {
		if (cm->cmsg_level != SOL_SOCKET || cm->cmsg_type != SCM_RIGHTS)
			continue;
		n = (cm->cmsg_len - CMSG_LEN(0)) / sizeof(int);
		for (i = 0; i < n; i++) {
			memcpy(&fd, CMSG_DATA(cm) + i * sizeof(int),
			    sizeof(fd));
			if (c->nrfds < CONN_FDS)
				c->rfds[c->nrfds++] = fd;
			else {
				close(fd);
				dropped++;
			}
		}
	}
	if (msg->msg_flags & MSG_CTRUNC)
		dropped++;	/* at least one the kernel closed */
	if (dropped == 0)
		return;
	fds_dropped += dropped;
	if (log_limited(&lim_fds, sv->now_ns, &held))
		log_info("fds_dropped", "conn=%u dropped=%llu msg=\"the client "
		    "sent more descriptors than forkpool.shm_attach takes\" "
		    "suppressed=%llu", c->gen, (unsigned long long)dropped,
		    (unsigned long long)held);
}

/* read(2) on c's socket, taking any descriptors that come with the bytes. */
static ssize_t
conn_recv(struct conn *c, void *buf, size_t len)
{
	union {
		struct cmsghdr	 h;
		char		 b[CMSG_SPACE(RECV_FDS * sizeof(int))];
	} cb;
	struct msghdr	 msg;
	struct iovec	 iov;
	ssize_t		 n;

	iov.iov_base = buf;
	iov.iov_len = len;
	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = cb.b;
	msg.msg_controllen = sizeof(cb.b);
	n = recvmsg(c->fd, &msg, MSG_CMSG_CLOEXEC);
	if (n >= 0 && (msg.msg_controllen > 0 ||
	    (msg.msg_flags & MSG_CTRUNC)))
		conn_take_fds(c, &msg);
	return n;
}

static void
conn_read(struct conn *c)
{
	uint64_t held;
	ssize_t	 n;
	size_t	 want;
	int	 i, exact;

	for (i = 0; i < READS_PER_EVENT; i++) {
		/*
		 * Past max-buffered, a connection that holds more than
		 * max-connection-output of a request it has not finished
		 * sending is closed: clients that send the start of large
		 * requests and stop cannot hold the daemon's memory.
		 */
		if (!c->broken && buffered() > sv->conf.max_buffered &&
		    fp_buf_unread(&c->in) > sv->conf.max_connection_output) {
			/* Counted in connections_dropped when it closes. */
			if (log_limited(&lim_drop, sv->now_ns, &held))
				log_warnx("conn_drop", "conn=%u unfinished=%zu "
				    "buffered=%llu msg=\"max-buffered passed; "
				    "closing a connection that holds an "
				    "unfinished request\" suppressed=%llu",
				    c->gen, fp_buf_unread(&c->in),
				    (unsigned long long)buffered(),
				    (unsigned long long)held);
			c->broken = 1;
			c->closing = CONN_ABORT;
			break;
		}
		want = conn_want(c, &exact);
		/*
		 * A large message's buffer is its size, not the next power
		 * of two: a 16.1 MiB request in a 32 MiB buffer would pass
		 * malloc's mmap threshold and fault in fresh pages each time.
		 */
		if ((exact ? fp_buf_reserve_exact(&c->in, want) :
		    fp_buf_reserve(&c->in, want)) == -1) {
			log_warnx("conn_drop", "conn=%u msg=\"out of memory for "
			    "its input; closing the connection\"", c->gen);
			c->broken = 1;
			c->closing = CONN_ABORT;
			break;
		}
		n = conn_recv(c, c->in.data + c->in.len, exact ? want :
		    c->in.cap - c->in.len);
		if (n == 0) {
			/* Half-close: answer what was asked, then close. */
			c->closing = CONN_FLUSH;
			conn_set_events(c, c->events & ~EPOLLIN);
			conn_schedule(c);
			break;
		}
		if (n == -1) {
			if (errno == EAGAIN || errno == EINTR)
				break;
			c->closing = CONN_ABORT;
			conn_schedule(c);
			break;
		}
		c->in.len += n;
		sv->cnt.bytes_received += (uint64_t)n;
		conn_parse(c);
		if (c->closing || !(c->events & EPOLLIN))
			break;
		if ((size_t)n < want)
			break;
	}
	if (c->closing == CONN_ABORT)
		conn_schedule(c);
	/* Idle: nothing buffered, nothing owed: give the memory back. */
	if (fp_buf_unread(&c->in) == 0 && c->outstanding == 0)
		fp_buf_shrink(&c->in, 0);
	conn_account(c);
}

/*
 * Send what is buffered until the socket is full; -1 with errno on an
 * error that ends the connection (the caller closes it).
 */
static int
conn_send(struct conn *c)
{
	ssize_t	 n;

	while (fp_buf_unread(&c->out) > 0) {
		n = send(c->fd, fp_buf_head(&c->out), fp_buf_unread(&c->out),
		    MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n == -1) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN)
				break;
			return -1;
		}
		fp_buf_drop(&c->out, (size_t)n);
		sv->cnt.bytes_sent += (uint64_t)n;
		conn_sent(c, (size_t)n);
	}
	return 0;
}

/*
 * A large answer goes out now, not at the end of the loop pass: its
 * client works on it while we copy the next one (else a pass that copies
 * eight 1 MiB results keeps the client waiting for all eight).  An error
 * is left for conn_write, which meets it again and closes.
 */
static void
conn_push(struct conn *c)
{
	if (!c->broken && c->closing != CONN_ABORT)
		(void)conn_send(c);
}

/*
 * How much of c's emptied output buffer to keep while it has requests
 * outstanding: OUT_KEEP, or what large answers grew it to, up to twice
 * max-connection-output, while the daemon holds no more than half of
 * max-buffered with it: grown again page by page for each large answer, it cost
 * more in page faults than the copies (4 MiB echoes, 8 in flight: 58 % of
 * the supervisor's faults), but the capacity counts towards max-buffered,
 * and kept by many busy connections it would leave no room for requests.
 */
static size_t
out_keep(const struct conn *c)
{
	size_t	 big = 2 * sv->conf.max_connection_output, held = buffered();

	/* What the daemon would hold with this one kept. */
	held = held > c->out.cap ? held - c->out.cap : 0;
	if (big <= OUT_KEEP || held + big > sv->conf.max_buffered / 2)
		return OUT_KEEP;
	return big;
}

/* Write what is buffered; returns -1 if the connection was closed. */
static int
conn_write(struct conn *c)
{
	if (conn_send(c) == -1) {
		conn_close(c, strerror(errno));
		return -1;
	}
	if (fp_buf_unread(&c->out) > 0) {
		conn_set_events(c, c->events | EPOLLOUT);
		conn_resume(c);
		conn_account(c);
		return 0;
	}
	/* Release the buffers of an idle connection (out_keep). */
	if (c->outstanding == 0) {
		fp_buf_shrink(&c->out, 0);
		if (fp_buf_unread(&c->in) == 0)
			fp_buf_shrink(&c->in, 0);
	} else
		fp_buf_shrink(&c->out, out_keep(c));
	conn_set_events(c, c->events & ~EPOLLOUT);
	if (c->closing == CONN_FLUSH && c->outstanding == 0) {
		conn_close(c, "client closed");
		return -1;
	}
	conn_resume(c);
	conn_account(c);
	return 0;
}

/* Events on the connection in slot, if it is still open. */
void
control_event_slot(uint32_t slot, uint32_t events)
{
	if (slot < sv->conncap && sv->conns[slot] != NULL)
		control_event(sv->conns[slot], events);
}

void
control_event(struct conn *c, uint32_t events)
{
	if (events & EPOLLERR) {
		conn_close(c, "socket error");
		return;
	}
	if ((events & EPOLLOUT) && conn_write(c) == -1)
		return;
	if ((events & (EPOLLIN | EPOLLHUP)) && (c->events & EPOLLIN))
		conn_read(c);
	/*
	 * A hang-up is reported whatever we asked for.  Once everything sent
	 * before it is read, nobody is left to answer: close now rather than
	 * be woken for it on every loop iteration.
	 */
	if ((events & EPOLLHUP) && !(c->events & EPOLLIN))
		conn_close(c, "client hung up");
}

/*
 * Connections whose requests completed: read on where max-outstanding had
 * stopped us (before dispatch, so new tasks go out in this iteration).
 */
void
control_resume_all(void)
{
	struct conn	*c;
	uint32_t	 n;

	if (accept_paused && sv->now_ns >= accept_resume_ns)
		accept_resume();
	/*
	 * Those deferred in an earlier pass take their next requests (the
	 * ones deferred again are put at the end, for the next pass).
	 */
	for (n = ndeferred; n > 0 && (c = TAILQ_FIRST(&deferq)) != NULL; n--) {
		conn_undefer(c);
		conn_resume(c);
	}
	TAILQ_FOREACH(c, &sv->flushq, flushq)
		conn_resume(c);
}

int
control_busy(void)
{
	return ndeferred > 0;
}

void
control_flush_all(void)
{
	struct conn	*c;

	while ((c = TAILQ_FIRST(&sv->flushq)) != NULL) {
		TAILQ_REMOVE(&sv->flushq, c, flushq);
		c->in_flushq = 0;
		if (c->broken) {
			/* Its output may end in half an answer: send none. */
			sv->cnt.conns_dropped++;
			conn_close(c, "out of memory");
			continue;
		}
		if (c->closing == CONN_ABORT) {
			/* Broken stream: send what we have, then close. */
			if (fp_buf_unread(&c->out) > 0)
				(void)send(c->fd, fp_buf_head(&c->out),
				    fp_buf_unread(&c->out), MSG_NOSIGNAL |
				    MSG_DONTWAIT);
			conn_close(c, "protocol error");
			continue;
		}
		conn_write(c);
	}
}

void
control_close_all(void)
{
	uint32_t i;

	for (i = 0; i < sv->conncap; i++)
		if (sv->conns[i] != NULL)
			conn_close(sv->conns[i], "shutdown");
	free(sv->conns);
	free(freeslots);
	sv->conns = NULL;
	freeslots = NULL;
	sv->conncap = nfree = 0;
}

/* Try to write every connection's pending output (shutdown). */
void
control_write_pending(void)
{
	uint32_t i;

	for (i = 0; i < sv->conncap; i++)
		if (sv->conns[i] != NULL && fp_buf_unread(&sv->conns[i]->out) > 0)
			control_event(sv->conns[i], EPOLLOUT);
}

/* Bytes not yet written to any client. */
size_t
control_pending_output(void)
{
	size_t	 n = 0;
	uint32_t i;

	for (i = 0; i < sv->conncap; i++)
		if (sv->conns[i] != NULL)
			n += fp_buf_unread(&sv->conns[i]->out);
	return n;
}
