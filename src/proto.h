/*
 * proto.h -- the MessagePack-RPC codec of the supervisor: a streaming
 * validator that measures one object without recursion, the request
 * envelope parser, and the response writers.  Role code never walks
 * MessagePack bytes by hand; it uses these helpers.
 */
#ifndef FP_PROTO_H
#define FP_PROTO_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

#define RPC_REQUEST	0
#define RPC_RESPONSE	1
#define RPC_NOTIFY	2

/*
 * Skipping MessagePack needs no stack: one counter of objects still to
 * read (an array of n adds n, a map 2n) and one of payload bytes to pass.
 */
struct mp_skip {
	uint64_t	 remaining;
	uint64_t	 skip;
	uint64_t	 pos;		/* bytes consumed since mp_skip_init */
};

void	mp_skip_init(struct mp_skip *s);

/*
 * mp_skip_feed: advance over the bytes p[0..len) that follow what was
 * already fed.  Returns 0 when the object is complete (s->pos is its total
 * length, *used what this call consumed), FP_AGAIN if more bytes are needed
 * (*used bytes were consumed; an incomplete header is left unconsumed), -1
 * on a byte that starts no MessagePack type (0xc1).
 */
int	mp_skip_feed(struct mp_skip *s, const uint8_t *p, size_t len,
	    size_t *used);

/*
 * mp_skip_need: a lower bound of the object's total length, known from the
 * headers fed so far (for rejecting oversized messages early).
 */
uint64_t mp_skip_need(const struct mp_skip *s);

/*
 * mp_object_len: length of the one complete object at p, or -1 if p[0..len)
 * is not exactly one valid object (incomplete, invalid, or trailing bytes
 * when `exact').
 */
ssize_t	mp_object_len(const uint8_t *p, size_t len, int exact);

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

/* Typed readers over a params array (bounds-checked; -1 on type error). */
struct mp_reader {
	const uint8_t	*p;
	size_t		 len;
	size_t		 off;
};
int	mp_read_array(struct mp_reader *r, uint32_t *n);
int	mp_read_uint(struct mp_reader *r, uint64_t *v);
int	mp_read_str(struct mp_reader *r, const char **s, uint32_t *n);
int	mp_read_map(struct mp_reader *r, uint32_t *n);
/* mp_read_raw: the next object as bytes (pointer into the input). */
int	mp_read_raw(struct mp_reader *r, const uint8_t **p, size_t *n);
/* mp_peek_byte: the type byte of the next object, or -1 at the end. */
int	mp_peek_byte(const struct mp_reader *r);
int	mp_read_skip(struct mp_reader *r);

/* Writers: each appends one MessagePack item; -1 only on ENOMEM. */
int	mp_put_nil(struct buf *b);
int	mp_put_bool(struct buf *b, int v);
int	mp_put_uint(struct buf *b, uint64_t v);
int	mp_put_int(struct buf *b, int64_t v);
int	mp_put_double(struct buf *b, double v);
int	mp_put_str(struct buf *b, const char *s, size_t n);
int	mp_put_cstr(struct buf *b, const char *s);
int	mp_put_array(struct buf *b, uint32_t n);
int	mp_put_map(struct buf *b, uint32_t n);
int	mp_put_raw(struct buf *b, const void *p, size_t n);

/* proto_put_result: [1, msgid, nil, <result bytes>]. */
int	proto_put_result(struct buf *b, uint32_t msgid, const void *res,
	    size_t len);

/*
 * proto_put_error: [1, msgid, {code, message[, key: val]}, nil].  `key'
 * may be NULL for no extra field.
 */
int	proto_put_error(struct buf *b, uint32_t msgid, int code,
	    const char *message, const char *key, int64_t val);

/* Extra integer fields of an error map ("signal", "attempts"). */
struct err_kv {
	const char	*key;
	int64_t		 val;
};

/* proto_put_error_kv: like proto_put_error with n extra fields. */
int	proto_put_error_kv(struct buf *b, uint32_t msgid, int code,
	    const char *message, const struct err_kv *kv, int n);

/*
 * proto_result_head: reserve and write the head of a success response
 * ([1, msgid, nil, ) so that the result can be copied after it.
 */
int	proto_result_head(struct buf *b, uint32_t msgid);

#endif /* FP_PROTO_H */
