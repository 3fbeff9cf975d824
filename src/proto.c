/*
 * proto.c -- the MessagePack-RPC envelope for the supervisor: requests
 * parsed and responses written over lib/mp.c.
 */
#include <sys/types.h>
#include <string.h>

#include "forkpool.h"
#include "proto.h"

int
proto_parse(const uint8_t *p, size_t len, struct rpc_msg *m, const char **why)
{
	struct fp_mp_reader r = { p, len, 0 };
	uint32_t	 n;
	uint64_t	 type, id;
	struct fp_mp_reader a;

	memset(m, 0, sizeof(*m));
	if (fp_mp_read_array(&r, &n) == -1) {
		*why = "message is not an array";
		return -1;
	}
	if (n == 0 || fp_mp_read_uint(&r, &type) == -1) {
		*why = "message type is not an integer";
		return -1;
	}
	m->type = (int)type;
	if (type == RPC_REQUEST) {
		/* Read the msgid first: with it, any other fault is answerable. */
		if (n < 2 || fp_mp_read_uint(&r, &id) == -1 ||
		    id > UINT32_MAX) {
			*why = "msgid is not an unsigned 32-bit integer";
			return -1;
		}
		m->msgid = (uint32_t)id;
		m->has_msgid = 1;
		if (n != 4) {
			*why = "request must be [0, msgid, method, params]";
			return -1;
		}
	} else if (type == RPC_NOTIFY) {
		if (n != 3) {
			*why = "notification must be [2, method, params]";
			return -1;
		}
	} else if (type == RPC_RESPONSE) {
		*why = "clients may not send responses";
		return -1;
	} else {
		*why = "unknown message type";
		return -1;
	}
	if (fp_mp_read_str(&r, &m->method, &m->mlen) == -1) {
		*why = "method is not a string";
		return -1;
	}
	/* Params in the arena: fixext 4 of type FP_EXT_SHM, the length. */
	if (fp_mp_fixext4(p + r.off, len - r.off, FP_EXT_SHM, &m->shmlen)) {
		m->shm = 1;
		return 0;
	}
	/* params is kept whole, header included: read it on a copy. */
	a = r;
	if (fp_mp_read_array(&a, &n) == -1) {
		*why = "params is not an array";
		return -1;
	}
	m->params = p + r.off;
	m->plen = (uint32_t)(len - r.off);
	m->nparams = n;
	return 0;
}

int
proto_peek_msgid(const uint8_t *p, size_t len, uint32_t *msgid)
{
	struct fp_mp_reader r = { p, len, 0 };
	uint32_t	 n;
	uint64_t	 type, id;

	if (fp_mp_read_array(&r, &n) == -1 || n != 4 ||
	    fp_mp_read_uint(&r, &type) == -1 || type != RPC_REQUEST ||
	    fp_mp_read_uint(&r, &id) == -1 || id > UINT32_MAX)
		return -1;
	*msgid = (uint32_t)id;
	return 0;
}

int
proto_result_head(struct fp_buf *b, uint32_t msgid)
{
	if (fp_mp_put_array(b, 4) == -1 ||
	    fp_mp_put_uint(b, RPC_RESPONSE) == -1 ||
	    fp_mp_put_uint(b, msgid) == -1 || fp_mp_put_nil(b) == -1)
		return -1;
	return 0;
}

int
proto_put_result(struct fp_buf *b, uint32_t msgid, const void *res, size_t len)
{
	if (proto_result_head(b, msgid) == -1)
		return -1;
	return fp_buf_append(b, res, len);
}

int
proto_put_error_map(struct fp_buf *b, int code, const char *message,
    const struct err_kv *kv, int n)
{
	int	 i;

	if (fp_mp_put_map(b, 2 + (uint32_t)n) == -1 ||
	    fp_mp_put_cstr(b, "code") == -1 ||
	    fp_mp_put_cstr(b, fp_err_name(code)) == -1 ||
	    fp_mp_put_cstr(b, "message") == -1 ||
	    fp_mp_put_cstr(b, message) == -1)
		return -1;
	for (i = 0; i < n; i++)
		if (fp_mp_put_cstr(b, kv[i].key) == -1 ||
		    fp_mp_put_int(b, kv[i].val) == -1)
			return -1;
	return 0;
}

int
proto_put_error_kv(struct fp_buf *b, uint32_t msgid, int code,
    const char *message, const struct err_kv *kv, int n)
{
	if (fp_mp_put_array(b, 4) == -1 ||
	    fp_mp_put_uint(b, RPC_RESPONSE) == -1 ||
	    fp_mp_put_uint(b, msgid) == -1 ||
	    proto_put_error_map(b, code, message, kv, n) == -1)
		return -1;
	return fp_mp_put_nil(b);
}

int
proto_put_error(struct fp_buf *b, uint32_t msgid, int code, const char *message,
    const char *key, int64_t val)
{
	struct err_kv kv = { key, val };

	return proto_put_error_kv(b, msgid, code, message, &kv,
	    key != NULL ? 1 : 0);
}
