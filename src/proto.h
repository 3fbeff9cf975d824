/*
 * proto.h -- the MessagePack-RPC envelope of the supervisor: the request
 * parser and the response writers, over lib/mp.h (which they include).
 * Role code never walks MessagePack bytes by hand; it uses these helpers.
 */
#ifndef FP_PROTO_H
#define FP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "mp.h"

#define RPC_REQUEST	0
#define RPC_RESPONSE	1
#define RPC_NOTIFY	2

/* A parsed message; pointers refer to the caller's bytes. */
struct rpc_msg {
	int		 type;		/* RPC_REQUEST, RPC_NOTIFY */
	int		 has_msgid;
	uint32_t	 msgid;
	const char	*method;
	uint32_t	 mlen;
	const uint8_t	*params;	/* the whole params array */
	uint32_t	 plen;
	uint32_t	 nparams;
	/*
	 * Params in the connection's arena (ext FP_EXT_SHM): then params
	 * is NULL, plen 0, and shmlen their length.
	 */
	int		 shm;
	uint32_t	 shmlen;
};

/*
 * proto_parse: parse the complete object p[0..len) as a request or a
 * notification.  Returns 0, or -1 with *why set; m->has_msgid tells
 * whether a msgid was read before the problem (then answer bad_request).
 */
int	proto_parse(const uint8_t *p, size_t len, struct rpc_msg *m,
	    const char **why);

/*
 * proto_peek_msgid: from the first bytes of a request that cannot be
 * parsed whole (too large), read the msgid if those bytes hold it.
 * Returns 0 with *msgid, -1 if not readable.
 */
int	proto_peek_msgid(const uint8_t *p, size_t len, uint32_t *msgid);

/* proto_put_result: [1, msgid, nil, <result bytes>]. */
int	proto_put_result(struct fp_buf *b, uint32_t msgid, const void *res,
	    size_t len);

/*
 * proto_put_error: [1, msgid, {code, message[, key: val]}, nil].  `key'
 * may be NULL for no extra field.
 */
int	proto_put_error(struct fp_buf *b, uint32_t msgid, int code,
	    const char *message, const char *key, int64_t val);

/* Extra integer fields of an error map ("signal", "attempts"). */
struct err_kv {
	const char	*key;
	int64_t		 val;
};

/* proto_put_error_kv: like proto_put_error with n extra fields. */
/* proto_put_error_map: the error map alone (answers to stream entries). */
int	proto_put_error_map(struct fp_buf *b, int code, const char *message,
	    const struct err_kv *kv, int n);
int	proto_put_error_kv(struct fp_buf *b, uint32_t msgid, int code,
	    const char *message, const struct err_kv *kv, int n);

/*
 * proto_result_head: write the head of a success response, the array
 * header and the first three elements of [1, msgid, nil, result], so that
 * the result's bytes can be appended after it.
 */
int	proto_result_head(struct fp_buf *b, uint32_t msgid);

#endif /* FP_PROTO_H */
