/*
 * control.h -- client connections (control.c): the listening socket,
 * reading and parsing requests, and every answer written to a client
 * (admin.c's through the control_result family below).  control.c owns the connections (sv->conns
 * and what they hold, sv->flushq, sv->buffered) and the link between a
 * task and its connection.
 */
#ifndef FP_CONTROL_H
#define FP_CONTROL_H

#include <sys/queue.h>
#include <sys/types.h>
#include <stddef.h>
#include <stdint.h>

#include "buf.h"
#include "proto.h"
#include "tasks.h"

struct shmconn;

/* What is left to do before a connection closes. */
enum conn_closing {
	CONN_OPEN = 0,		/* reading and answering */
	CONN_FLUSH,		/* the client half-closed: answer what it
				   asked, write it out, then close */
	CONN_ABORT		/* close at the end of this loop iteration
				   (a broken stream, a read error, out of
				   memory), after one last try to write what
				   is buffered unless the connection is
				   `broken' */
};

struct conn {
	int		 fd;
	uint32_t	 slot;
	uint32_t	 gen;
	struct fp_buf	 in;
	struct fp_buf	 out;
	struct fp_mp_skip sk;		/* measures the message at in's head */
	size_t		 skfed;		/* bytes of it fed to sk */
	int		 discarding;	/* skipping an oversized message */
	uint32_t	 outstanding;
	uint32_t	 events;	/* registered with epoll */
	int		 closing;	/* enum conn_closing */
	int		 in_flushq;
	TAILQ_ENTRY(conn) flushq;
	struct taskq	 tasks;		/* its requests not yet answered */
	uid_t		 uid;		/* the peer's, from SO_PEERCRED at */
	gid_t		 gid;		/* accept; (uid_t)-1 and (gid_t)-1 */
	pid_t		 pid;		/* if unreadable */
	int		 denied_logged;	/* permission_denied said once */
	/*
	 * Answers in `out' not yet written, as offsets in the stream where
	 * each ends (a ring): a request stays outstanding until its answer
	 * has been written to the socket.
	 */
	uint64_t	 sent;		/* bytes written to the socket, ever */
	uint64_t	*ends;
	uint32_t	 ends_cap, ends_head, nends;
	int		 broken;	/* an answer could not be buffered */
	size_t		 acct;		/* bytes counted in sv->buffered */
	/*
	 * Administrative requests answered in the loop pass that began at
	 * admin_pass (sv->now_ns): past ADMIN_PER_PASS the connection is
	 * `deferred', not read, its requests kept for the next pass.
	 */
	uint64_t	 admin_pass;
	uint32_t	 admin_n;
	int		 deferred;
	TAILQ_ENTRY(conn) deferq;
	/*
	 * Shared memory (forkpool.shm_attach): descriptors the client sent
	 * (SCM_RIGHTS), oldest first, not yet taken; its arena once
	 * attached (shmconn.c's); the params of the request being handled,
	 * copied out of the arena (an administrative method's, which we
	 * parse) or held in it (a handler's, shmconn_hold), until a task
	 * takes them.
	 */
	int		 rfds[2];
	uint32_t	 nrfds;
	struct shmconn	*shm;
	uint8_t		*shmblock;
	size_t		 shmcap;
	struct shm_hold	*shmhold;	/* or NULL: none held */
};

/* control_listen: bind and listen; 0, or -1 with "PATH: reason" in err. */
int	 control_listen(char *err, size_t errlen);
/* control_unlisten: close; remove the socket if it is still the one bound. */
void	 control_unlisten(void);
void	 control_accept(void);
void	 control_event(struct conn *, uint32_t events);
void	 control_event_slot(uint32_t slot, uint32_t events);
void	 control_flush_all(void);
void	 control_close_all(void);
struct conn *control_conn(uint32_t slot, uint32_t gen);
void	 control_resume_all(void);
/*
 * control_busy: connections hold requests deferred to the next loop pass
 * (the loop must not sleep).
 */
int	 control_busy(void);
size_t	 control_pending_output(void);
void	 control_write_pending(void);
/*
 * control_reply_result: t's result, one MessagePack object in data (the
 * worker's bytes, still in its ring): copied to t's connection, if it
 * still waits for it, and checked there, so that a worker writing on
 * cannot change what was checked; else checked in place.  0, or -1 if it
 * is not one well-formed object (nothing was sent).  Out of memory costs
 * the connection (closed at the end of the loop iteration), not the task.
 */
int	 control_reply_result(struct task *, const uint8_t *data, size_t len);
/* control_reply_error: t's error answer, if someone waits for it. */
void	 control_reply_error(struct task *, int code, const char *msg,
	    const struct err_kv *kv, int n);

/*
 * For admin.c, which answers the administrative methods without touching a
 * connection's fields.  control_result: the head of c's answer to msgid,
 * the result to be appended to the buffer returned (NULL: c is broken,
 * answer nothing), then control_result_done.  control_error: c's error
 * answer.  control_admin_check: whether c's peer may call `method' (root,
 * the daemon's uid, admin-group); if not, c is answered
 * permission_denied, with a rate-limited log line, and 0 returned.
 */
struct fp_buf *control_result(struct conn *, uint32_t msgid);
void	 control_result_done(struct conn *);
void	 control_error(struct conn *, uint32_t msgid, int code,
	    const char *msg);
int	 control_admin_check(struct conn *, uint32_t msgid, const char *method);
/* control_admin_allowed: control_admin_check without an answer. */
int	 control_admin_allowed(const struct conn *);

/* What forkpool.stats reports of the connections. */
struct control_figures {
	size_t		 buffered;	/* counted against max-buffered */
	uint32_t	 paused;	/* connections not read: output full */
	int		 accept_paused;
	uint32_t	 shm_conns;	/* connections with an arena */
	size_t		 shm_bytes;	/* their arenas' bytes, mapped */
	uint64_t	 fds_dropped;	/* descriptors closed unread */
};
void	 control_figures(struct control_figures *);

#endif /* FP_CONTROL_H */
