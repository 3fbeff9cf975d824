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
 * $XDG_RUNTIME_DIR/forkpool.sock, else /tmp/forkpool-UID/forkpool.sock.
 * Writes into buf; returns buf, or NULL with ENAMETOOLONG.
 */
char		*fp_default_socket(char *buf, size_t len);

/* ---- client library ---------------------------------------------------- */

struct fp_client;

/*
 * A completed request as delivered by fp_client_next().  The pointers point
 * into the client's buffers and stay valid until the next call on the
 * client.  An error code the library does not know (from a newer daemon)
 * gives error FP_E_INTERNAL with the wire string kept in code.
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
 * default, see fp_default_socket).  The connection is non-blocking; the
 * blocking calls below wait with poll(2).  Returns NULL on failure with
 * errno set and a message in err.
 */
struct fp_client *fp_client_open(const char *path, char *err, size_t errlen);

/* fp_client_close: close the connection and free everything. */
void	fp_client_close(struct fp_client *c);

/* fp_client_fd: the socket, for poll/epoll/libuv. */
int	fp_client_fd(const struct fp_client *c);

/*
 * fp_client_submit: queue the request [0, msgid, method, params] where
 * `params' is `plen' bytes of one MessagePack array.  The msgid is chosen by
 * the library and stored in *msgid.  Nothing is written until
 * fp_client_flush.  Returns 0 or -1 (EINVAL if params is not one array).
 */
int	fp_client_submit(struct fp_client *c, const char *method,
	    const void *params, size_t plen, uint32_t *msgid);

/* fp_client_notify: queue the notification [2, method, params]. */
int	fp_client_notify(struct fp_client *c, const char *method,
	    const void *params, size_t plen);

/*
 * fp_client_flush: write what is queued.  Returns 0 when everything is
 * written, FP_AGAIN if the socket is full (wait for POLLOUT and call again),
 * -1 on error.
 */
int	fp_client_flush(struct fp_client *c);

/* fp_client_pending_output: bytes queued but not yet written. */
size_t	fp_client_pending_output(const struct fp_client *c);

/*
 * fp_client_next: deliver the next response.  Reads from the socket if no
 * complete response is buffered, waiting up to timeout_ms (0: do not wait,
 * -1: forever) and flushing queued output meanwhile.  Returns 0 with *res
 * filled (its pointers stay valid until the next call on c), FP_AGAIN if
 * nothing arrived in time, -1 on error (EPIPE when the daemon closed the
 * connection, EPROTO on a malformed response) with a message in err.
 */
int	fp_client_next(struct fp_client *c, struct fp_result *res,
	    int timeout_ms, char *err, size_t errlen);

/*
 * fp_client_call: submit, flush and wait for the response to that request.
 * Responses to other outstanding requests that arrive first are dropped, so
 * do not mix it with fp_client_submit on one connection.
 */
int	fp_client_call(struct fp_client *c, const char *method,
	    const void *params, size_t plen, struct fp_result *res,
	    int timeout_ms, char *err, size_t errlen);

#endif /* FORKPOOL_H */
