/*
 * redis.h -- connections to Redis on the supervisor's epoll loop
 * (redis.c, the only file that includes hiredis; redis_none.c when the
 * daemon is built without it).  A connection carries commands with a
 * callback each, answered in order; replies are read through the rr_*
 * accessors and are valid only during the callback.
 */
#ifndef FP_REDIS_H
#define FP_REDIS_H

#include <stddef.h>
#include <stdint.h>

struct rconn;
struct rreply;

/* Reply types (hiredis's REDIS_REPLY_* values). */
enum rr_type { RR_STRING = 1, RR_ARRAY, RR_INTEGER, RR_NIL, RR_STATUS,
	RR_ERROR };

/*
 * A command's callback: r is its reply, or NULL if the connection was
 * lost (or closed) before it came.
 */
typedef void rconn_reply_fn(struct rconn *, const struct rreply *r,
	    void *arg);
/*
 * The connection's state changed: up (connected), or down with a reason
 * in err (refused, lost, closed by the peer).  Never called for a
 * connection the owner closed with rconn_close.
 */
typedef void rconn_state_fn(struct rconn *, int up, const char *err,
	    void *arg);

/* redis_available: whether this forkpoold was built with hiredis. */
int	 redis_available(void);

/*
 * rconn_open: start connecting to host:port, or to the Unix socket path
 * if path is not NULL; fn hears when it is up or down.  The connection,
 * or NULL with a reason in err.
 */
struct rconn *rconn_open(const char *host, int port, const char *path,
	    rconn_state_fn *fn, void *arg, char *err, size_t errlen);
/*
 * rconn_close: close now; the callbacks of commands still waiting run
 * with NULL (they must not send more on c).  c is invalid afterwards.
 */
void	 rconn_close(struct rconn *);
/*
 * rconn_command: send a command (argc words); fn runs with its reply.
 * 0, or -1 if c cannot take commands (closing, out of memory).
 */
int	 rconn_command(struct rconn *, rconn_reply_fn *fn, void *arg,
	    int argc, const char **argv, const size_t *argvlen);
/* rconn_rtt_ns: the round trip of the last reply (loop-pass clock). */
uint64_t rconn_rtt_ns(const struct rconn *);
/*
 * rconn_waiting_ns: how long c has waited for a reply without any coming
 * (0 if nothing is pending).
 */
uint64_t rconn_waiting_ns(const struct rconn *, uint64_t now);
/* rconn_event: epoll events for EV_TAG(EV_REDIS, slot). */
void	 rconn_event(uint32_t slot, uint32_t events);

/* Replies. */
int	 rr_type(const struct rreply *);
size_t	 rr_len(const struct rreply *);	/* a string's bytes, an array's
					   elements */
const char *rr_str(const struct rreply *);	/* string, status, error */
long long rr_int(const struct rreply *);
const struct rreply *rr_elem(const struct rreply *, size_t i);
/* rr_is: whether r is a string (or status) equal to s. */
int	 rr_is(const struct rreply *, const char *s);

#endif /* FP_REDIS_H */
