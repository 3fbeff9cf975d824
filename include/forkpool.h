/*
 * forkpool.h -- public interface of forkpool: error codes shared by the
 * daemon and its clients, and libforkpool, the C client library.
 *
 * The library never logs and never exits.  Functions return 0 (or a
 * pointer) on success and -1 (or NULL) on failure with errno set and, where
 * a buffer is given, a message in it.  A third normal outcome has a named
 * code (FP_AGAIN).  See forkpool(3) and forkpool-rpc(7).
 */
#ifndef FORKPOOL_H
#define FORKPOOL_H

#include <stddef.h>
#include <stdint.h>

/* The version of forkpool (daemon, forkpool(1), this library). */
#define FP_VERSION	"0.9.0"

#ifndef FP_AGAIN
#define FP_AGAIN	1	/* nothing to do now; try again when fd is ready */
#endif

/* Error codes of forkpool-rpc(7); the strings are a stable contract. */
enum fp_err {
	FP_OK = 0,
	FP_E_BAD_REQUEST,
	FP_E_NO_SUCH_METHOD,
	FP_E_INVALID_PARAMS,
	FP_E_TOO_LARGE,
	FP_E_QUEUE_FULL,
	FP_E_TIMEOUT,
	FP_E_WORKER_CRASHED,
	FP_E_HANDLER_ERROR,
	FP_E_CIRCUIT_OPEN,
	FP_E_CANCELLED,
	FP_E_SHUTTING_DOWN,
	FP_E_PERMISSION_DENIED,
	FP_E_INTERNAL,
	FP_E_DEAD_LETTERED,	/* stream entries only (forkpool-streams(7)) */
	FP_E__COUNT
};

/*
 * fp_err_name: the wire string of an error code ("queue_full"), or
 * "internal" for an out-of-range value.
 */
const char	*fp_err_name(int code);

/* fp_err_code: the code of a wire string, or -1 if unknown. */
int		 fp_err_code(const char *name, size_t len);

/*
 * fp_default_socket: the socket path used when none is given: the
 * FORKPOOL_SOCKET environment variable if set and not empty, else
 * /run/forkpool/forkpool.sock for root, else
 * $XDG_RUNTIME_DIR/forkpool.sock (if absolute), else
 * $TMPDIR/forkpool-UID/forkpool.sock (TMPDIR if absolute, else /tmp).
 * Writes into buf; returns buf, or NULL with ENAMETOOLONG (never another
 * path in place of one too long).
 */
char		*fp_default_socket(char *buf, size_t len);

/*
 * fp_path_check: walk the directory dir from / (a relative dir from the
 * working directory), component by component, without trusting what
 * another user could change: every directory passed through must be owned
 * by root or the effective uid and not writable by group or others unless
 * sticky; every symbolic link must be owned by root or the effective uid
 * (as fs.protected_symlinks asks), and is then followed.  dir itself must
 * be a directory; its owner and mode are the caller's to judge, from *st
 * (its status, if st is not NULL).  Returns 0, or -1 with errno (EPERM for
 * a component refused, ENOTDIR, ENOENT, EACCES, ELOOP, ENAMETOOLONG) and
 * "COMPONENT: reason" in err (if not NULL), naming the component.
 */
struct stat;
int		 fp_path_check(const char *dir, struct stat *st, char *err,
		    size_t errlen);

/*
 * fp_default_socket_check: for a path from fp_default_socket when
 * FORKPOOL_SOCKET is not set: its directory, if it exists, must pass
 * fp_path_check and be owned by the effective uid and not writable by
 * group or others, or another user could answer the calls.  (A missing
 * or unreachable directory passes: connecting fails with ENOENT or
 * EACCES.)  Returns 0, or -1 with errno EPERM or ENOTDIR and a message
 * naming the directory, or the component refused on the way, in err.
 */
int		 fp_default_socket_check(const char *path, char *err,
		    size_t errlen);

/*
 * MessagePack extension type of params or a result that travel in the
 * connection's shared-memory arena (forkpool-rpc(7), forkpool.shm_attach):
 * a fixext 4 whose 4 bytes are the length, big-endian.
 */
#define FP_EXT_SHM	70

/* ---- client library ---------------------------------------------------- */

/*
 * One connection to the daemon.  A client is not thread-safe: use one per
 * thread, or lock around it.  It never raises SIGPIPE.  Errors on the
 * input side (a malformed response, the end of the stream) are final:
 * every later fp_client_next fails the same way; close the client.
 */
struct fp_client;

/*
 * A completed request as delivered by fp_client_next().  The pointers point
 * into the client's buffers and stay valid until the next call on the
 * client.  An error code the library does not know (from a newer daemon),
 * an error map without a code, or an error that is not a map gives error
 * FP_E_INTERNAL; code keeps the wire string if there was one (truncated to
 * 31 bytes), else "internal".
 */
struct fp_result {
	uint32_t	 msgid;
	int		 error;		/* FP_OK or an enum fp_err value */
	char		 code[32];	/* wire code string ("" when ok) */
	const char	*message;	/* error message, NUL-terminated, or "" */
	const uint8_t	*data;		/* result as one MessagePack object */
	size_t		 len;		/* (nil when error != FP_OK) */
	const uint8_t	*errdata;	/* error as one MessagePack object, */
	size_t		 errlen;	/* e.g. for "signal"; nil when ok */
};

/*
 * fp_client_open: connect to the daemon's Unix socket `path' (NULL: the
 * default, see fp_default_socket, checked by fp_default_socket_check).
 * The connect itself blocks (while the daemon's listen backlog is full,
 * until it has room); afterwards the socket is non-blocking and the
 * blocking calls below wait with poll(2).  Returns NULL on failure with
 * errno set (ENOENT, ECONNREFUSED, ENAMETOOLONG, EPERM, ...) and a message
 * naming the path in err.
 */
struct fp_client *fp_client_open(const char *path, char *err, size_t errlen);

/*
 * fp_client_connect: as fp_client_open, but never blocks: for event loops.
 * On Linux a non-blocking Unix-socket connect completes or fails at once;
 * the one outcome in between is a full listen backlog (EAGAIN), and no
 * event on the socket says when it has room.  The client is then
 * returned "connecting": fp_client_events is 0 (do not wait on the
 * socket, it polls ready at once), fp_client_timeout gives the ms until
 * the next attempt, and every fp_client_flush and fp_client_next makes
 * one.  Requests can be submitted meanwhile; they are written once
 * connected.  Returns NULL on any other failure, as fp_client_open.
 */
struct fp_client *fp_client_connect(const char *path, char *err,
	    size_t errlen);

/* fp_client_close: close the connection and free everything; NULL is ok. */
void	fp_client_close(struct fp_client *c);

/* fp_client_fd: the socket, for poll/epoll/libuv.  Do not read or write it. */
int	fp_client_fd(const struct fp_client *c);

/*
 * fp_client_submit: queue the request [0, msgid, method, params] where
 * `params' is `plen' bytes of exactly one MessagePack array (NULL and 0:
 * the empty array).  The msgid is chosen by the library, consecutive from
 * 1, and stored in *msgid (msgid may be NULL).  Nothing is written until
 * fp_client_flush, fp_client_next or fp_client_call.  Returns 0, or -1 with
 * EINVAL (method NULL, params not one array), ENOMEM, or the error of an
 * earlier failed write (EPIPE).
 */
int	fp_client_submit(struct fp_client *c, const char *method,
	    const void *params, size_t plen, uint32_t *msgid);

/*
 * fp_client_notify: queue the notification [2, method, params]; as
 * fp_client_submit.  The daemon sends nothing back.
 */
int	fp_client_notify(struct fp_client *c, const char *method,
	    const void *params, size_t plen);

/*
 * fp_client_flush: write what is queued (connecting first if the client
 * is connecting).  Returns 0 when everything is written, FP_AGAIN if the
 * socket is full (wait for POLLOUT and call again) or the client is still
 * connecting (call again after fp_client_timeout ms), -1 on error (EPIPE
 * when the daemon has closed the connection, the errno of connect(2) when
 * a connect attempt failed; final).
 */
int	fp_client_flush(struct fp_client *c);

/* fp_client_pending_output: bytes queued but not yet written. */
size_t	fp_client_pending_output(const struct fp_client *c);

/*
 * fp_client_events: what to wait for on fp_client_fd: POLLIN once
 * connected, with POLLOUT while output is queued (the values of <poll.h>,
 * equal to EPOLLIN and EPOLLOUT); 0 while connecting, when the socket
 * must not be waited on, after a failed connect attempt, and for NULL.
 * It changes after fp_client_submit, fp_client_notify, fp_client_flush
 * and fp_client_next.
 */
int	fp_client_events(const struct fp_client *c);

/*
 * fp_client_timeout: while connecting, the milliseconds until the next
 * connect attempt is due (0: now), after which the loop calls
 * fp_client_next (or fp_client_flush) whether or not the socket is ready;
 * -1 once connected or failed: only the socket needs watching.
 */
int	fp_client_timeout(const struct fp_client *c);

/*
 * fp_client_next: deliver the next response, in the order they arrive
 * (completion order, not submission order).  Reads from the socket if no
 * complete response is buffered, waiting up to timeout_ms in all (0: do
 * not wait, -1: forever), connecting if the client is connecting and
 * flushing queued output meanwhile.  Notifications from the daemon are
 * skipped.  Returns 0 with *res filled (its pointers stay valid until the
 * next call on c), FP_AGAIN if nothing arrived in time (err untouched),
 * -1 on error (EPIPE when the daemon closed the connection, EPROTO on a
 * malformed response or one larger than 1025 MiB, the errno of connect(2)
 * when a connect attempt failed) with a message in err.
 *
 * With timeout_ms 0 it never waits, and FP_AGAIN means that the socket
 * has been read until EAGAIN and written until empty or EAGAIN (or that
 * the client is still connecting): an edge-triggered loop calls it after
 * every event until it returns FP_AGAIN or -1.
 */
int	fp_client_next(struct fp_client *c, struct fp_result *res,
	    int timeout_ms, char *err, size_t errlen);

/*
 * fp_client_shm: the size of each ring of the connection's shared-memory
 * arena (forkpool-rpc(7)), a power of two from 64K to 1G (the daemon
 * accepts up to its max-shm-size), or 0 for none: params and results
 * then always go through the socket.  The default is 16M, or none if the
 * environment variable FORKPOOL_SHM is "0" when the client is opened.
 * The arena is made on the first request with params larger than 64K;
 * call this before that.  Returns 0, or -1 with EINVAL (bad size) or
 * EBUSY (the arena was made already, or refused).
 */
int	fp_client_shm(struct fp_client *c, size_t size);

/*
 * fp_client_call: submit, flush and wait up to timeout_ms in all for the
 * response to that request; returns as fp_client_next.  Responses to other
 * outstanding requests that arrive first are dropped, so do not mix it
 * with fp_client_submit on one connection.  After FP_AGAIN the request is
 * still outstanding and its late response would be dropped by the next
 * fp_client_call too.
 */
int	fp_client_call(struct fp_client *c, const char *method,
	    const void *params, size_t plen, struct fp_result *res,
	    int timeout_ms, char *err, size_t errlen);

#endif /* FORKPOOL_H */
