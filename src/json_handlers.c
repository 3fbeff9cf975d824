/*
 * json_handlers.c -- the json.encode and json.decode handlers: option
 * parsing and typed errors around the codecs of json_enc.c and
 * json_dec.c.
 */
#include <stdio.h>
#include <string.h>

#include <msgpack.h>

#include "forkpool.h"
#include "buf.h"
#include "handlers.h"
#include "json.h"
#include "proto.h"

#define OPT_IS(kv, s)	((kv)->key.type == MSGPACK_OBJECT_STR &&	\
	(kv)->key.via.str.size == sizeof(s) - 1 &&			\
	memcmp((kv)->key.via.str.ptr, s, sizeof(s) - 1) == 0)

/*
 * A string option among `names' (NULL-terminated): its index in *out, 0;
 * or -1 after hctx_error naming them ("nan must be \"null\" or \"error\"").
 */
static int
opt_word(struct fp_hctx *h, const msgpack_object_kv *kv,
    const char *const *names, int *out)
{
	const msgpack_object *v = &kv->val;
	char		 msg[128];
	size_t		 o = 0;
	int		 i;

	for (i = 0; v->type == MSGPACK_OBJECT_STR && names[i] != NULL; i++)
		if (strlen(names[i]) == v->via.str.size &&
		    memcmp(names[i], v->via.str.ptr, v->via.str.size) == 0) {
			*out = i;
			return 0;
		}
	msg[0] = '\0';
	for (i = 0; names[i] != NULL && o < sizeof(msg); i++)
		o += (size_t)snprintf(msg + o, sizeof(msg) - o, "%s\"%s\"",
		    i == 0 ? "" : names[i + 1] == NULL ? " or " : ", ",
		    names[i]);
	return hctx_error(h, FP_E_INVALID_PARAMS, "%.*s must be %s",
	    (int)kv->key.via.str.size, kv->key.via.str.ptr, msg);
}

static int
opt_uint(const msgpack_object *v, uint64_t max, uint64_t *out)
{
	if (v->type != MSGPACK_OBJECT_POSITIVE_INTEGER || v->via.u64 > max)
		return -1;
	*out = v->via.u64;
	return 0;
}

static int
opt_bool(const msgpack_object *v, int *out)
{
	if (v->type != MSGPACK_OBJECT_BOOLEAN)
		return -1;
	*out = v->via.boolean;
	return 0;
}


/*
 * One handler's own options: 0 if kv is one of them and valid, 1 if it is
 * none of them, -1 after hctx_error.
 */
typedef int (*opt_fn)(struct fp_hctx *, const msgpack_object_kv *, void *);

/*
 * The options map m of either handler (nil for none): the limits both
 * take, max_size (bytes, up to 4 GiB - 1) into *size and max_depth (1 to
 * 100000) into *depth, and every other entry to `own'; `known' lists them
 * all for the message about an unknown one.  0, or -1 after hctx_error.
 */
static int
opt_walk(struct fp_hctx *h, const msgpack_object *m, size_t *size,
    uint32_t *depth, opt_fn own, void *o, const char *known)
{
	const msgpack_object_kv *kv;
	uint64_t	 v;
	uint32_t	 i;
	int		 r;

	if (m->type == MSGPACK_OBJECT_NIL)
		return 0;
	if (m->type != MSGPACK_OBJECT_MAP)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "options must be a map");
	for (i = 0; i < m->via.map.size; i++) {
		kv = &m->via.map.ptr[i];
		if (OPT_IS(kv, "max_size")) {
			if (opt_uint(&kv->val, UINT32_MAX, &v) == -1)
				return hctx_error(h, FP_E_INVALID_PARAMS,
				    "max_size must be an integer up to "
				    "4294967295");
			*size = (size_t)v;
		} else if (OPT_IS(kv, "max_depth")) {
			if (opt_uint(&kv->val, 100000, &v) == -1 || v == 0)
				return hctx_error(h, FP_E_INVALID_PARAMS,
				    "max_depth must be an integer from 1 to "
				    "100000");
			*depth = (uint32_t)v;
		} else if ((r = own(h, kv, o)) == -1)
			return -1;
		else if (r == 1)
			return hctx_error(h, FP_E_INVALID_PARAMS,
			    "unknown option (%s)", known);
	}
	return 0;
}

/* json.encode's own options (opt_fn). */
static int
enc_option(struct fp_hctx *h, const msgpack_object_kv *kv, void *arg)
{
	static const char *const nanw[] = { "null", "error", NULL };
	static const char *const utf8w[] = { "replace", "error", NULL };
	struct fp_json_enc_options *o = arg;
	uint64_t	 v;
	int		 b, *flag;

	if (OPT_IS(kv, "nan"))
		return opt_word(h, kv, nanw, &o->nan);
	if (OPT_IS(kv, "invalid_utf8"))
		return opt_word(h, kv, utf8w, &o->utf8);
	/* The booleans: truncate, ascii, sort_keys. */
	flag = OPT_IS(kv, "truncate") ? &o->truncate :
	    OPT_IS(kv, "ascii") ? &o->ascii :
	    OPT_IS(kv, "sort_keys") ? &o->sort_keys : NULL;
	if (flag != NULL) {
		if (opt_bool(&kv->val, flag) == -1)
			return hctx_error(h, FP_E_INVALID_PARAMS,
			    "%.*s must be a boolean",
			    (int)kv->key.via.str.size, kv->key.via.str.ptr);
		return 0;
	}
	if (!OPT_IS(kv, "pretty"))
		return 1;
	if (opt_bool(&kv->val, &b) == 0)
		o->indent = b ? 2 : 0;
	else if (opt_uint(&kv->val, JSON_INDENT_MAX, &v) == 0)
		o->indent = (int)v;
	else
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "pretty must be a boolean or an indent from 0 to 16");
	return 0;
}

/* The typed error of a failed fp_json_encode(). */
static int
enc_error(struct fp_hctx *h, const struct fp_json_enc_result *res,
    const char *err)
{
	int	 code;

	code = res->error == JSON_E_TOO_LARGE ? FP_E_TOO_LARGE :
	    res->error == JSON_E_NOMEM ? FP_E_INTERNAL : FP_E_INVALID_PARAMS;
	return hctx_error(h, code, "json.encode: %s", err);
}

static void
enc_tail(struct fp_hctx *h, const struct fp_json_enc_result *res)
{
	msgpack_pack_str_with_body(h->pk, "truncated", 9);
	if (res->truncated)
		msgpack_pack_true(h->pk);
	else
		msgpack_pack_false(h->pk);
	msgpack_pack_str_with_body(h->pk, "size", 4);
	msgpack_pack_uint64(h->pk, res->full_len);
}

/*
 * The text is encoded into a buffer kept from call to call (a worker runs
 * one task at a time): a large text is not regrown, page by page, for
 * every task.  Buffers past ENC_KEEP are freed after use.
 */
#define ENC_KEEP	(16 << 20)

/*
 * What a result holds besides the text: {"text": str 32 header,
 * "truncated": bool, "size": uint 64} is 36 bytes; some to spare.
 */
#define ENC_OVERHEAD	64
static struct fp_buf	 enc_out;

/*
 * The text straight into the result buffer h->sb (the worker's), saving a
 * copy of it: the map and key, room for a str 32 header, the text, then
 * the header that fits the text's length, moving the text down when it
 * is shorter than 64 KB (a copy of at most that).  On failure the buffer
 * is as it was.
 */
static int
enc_in_place(struct fp_hctx *h, const uint8_t *v, size_t vlen,
    const struct fp_json_enc_options *o, struct fp_json_enc_result *res)
{
	msgpack_sbuffer	*sb = h->sb;
	struct fp_buf	 b;
	size_t		 entry = sb->size, hdr, text, n, hl;
	uint8_t		*p;
	char		 err[200];
	int		 rc;

	if (msgpack_pack_map(h->pk, 3) != 0 ||
	    msgpack_pack_str_with_body(h->pk, "text", 4) != 0 ||
	    msgpack_sbuffer_write(sb, "\xdb\0\0\0\0", 5) != 0) {
		sb->size = entry;
		return hctx_error(h, FP_E_INTERNAL, "json.encode: out of "
		    "memory");
	}
	hdr = sb->size - 5;
	text = sb->size;
	/* Everything in the buffer is "unread": fp_json_encode appends. */
	b.data = (uint8_t *)sb->data;
	b.off = 0;
	b.len = sb->size;
	b.cap = sb->alloc;
	rc = fp_json_encode(v, vlen, o, &b, res, err, sizeof(err));
	sb->data = (char *)b.data;
	sb->alloc = b.cap;
	if (rc == -1) {
		sb->size = entry;
		return enc_error(h, res, err);
	}
	n = b.len - text;
	p = b.data + hdr;
	hl = (size_t)(fp_mp_wr_str(p, n) - p);
	if (hl < 5)
		memmove(p + hl, b.data + text, n);
	sb->size = hdr + hl + n;
	enc_tail(h, res);
	return 0;
}

/*
 * json.encode [value, options?] -> {text, truncated, size}.  A raw
 * handler (HF_RAW): the value is encoded from its MessagePack bytes as
 * they came, never unpacked into objects; only the options are.
 */
int
h_json_encode(struct fp_hctx *h, const msgpack_object *unused)
{
	struct fp_mp_reader	 r = { h->raw, h->rawlen, 0 };
	struct fp_json_enc_options	 o;
	struct fp_json_enc_result	 res;
	msgpack_unpacked	 opt;
	const uint8_t		*v;
	size_t			 vlen, off = 0, room = 0;
	uint32_t		 n;
	char			 err[200];
	int			 rc, clamped = 0;

	if (h->raw == NULL || fp_mp_read_array(&r, &n) == -1 || n < 1 || n > 2)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "params must be [value, options]");
	if (n == 1) {
		/*
		 * The value is the rest: fp_json_encode() checks it as strictly
		 * as fp_mp_read_raw() would (and bytes after it too), so it is
		 * not walked twice.
		 */
		v = r.p + r.off;
		vlen = r.len - r.off;
	} else if (fp_mp_read_raw(&r, &v, &vlen) == -1)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "params must be [value, options]");
	fp_json_enc_options_init(&o);
	if (n == 2) {
		msgpack_unpacked_init(&opt);
		/*
		 * One object and nothing after it, checked before msgpack-c
		 * allocates what its headers claim (params from a client's
		 * arena are not checked before: HF_CHECKS).
		 */
		if (fp_mp_object_len(r.p + r.off, r.len - r.off, 1) == -1 ||
		    msgpack_unpack_next(&opt, (const char *)r.p + r.off,
		    r.len - r.off, &off) != MSGPACK_UNPACK_SUCCESS)
			rc = hctx_error(h, FP_E_INVALID_PARAMS,
			    "options are malformed");
		else
			rc = opt_walk(h, &opt.data, &o.max_size,
			    &o.max_depth, enc_option, &o, "pretty, max_size, "
			    "truncate, nan, invalid_utf8, ascii, sort_keys, "
			    "max_depth");
		msgpack_unpacked_destroy(&opt);
		if (rc == -1)
			return -1;
	}
	/*
	 * A text its worker could not send is not built: past what a result
	 * may hold, encoding stops (too_large), or with truncate the text is
	 * cut there.  A max_size above that is lowered to it.
	 */
	if (h->result_max > 0) {
		room = h->result_max > ENC_OVERHEAD ?
		    h->result_max - ENC_OVERHEAD : 1;
		if (o.max_size == 0 || o.max_size > room) {
			o.max_size = room;
			clamped = 1;
		}
	}
	memset(&res, 0, sizeof(res));
	if (h->sb != NULL) {
		rc = enc_in_place(h, v, vlen, &o, &res);
		if (rc == -1 && clamped && res.error == JSON_E_TOO_LARGE)
			hctx_error(h, FP_E_TOO_LARGE, "json.encode: the text "
			    "is longer than the %zu bytes a result may hold "
			    "(4 x max-request-size)", room);
		return rc;
	}
	enc_out.off = enc_out.len = 0;
	rc = fp_json_encode(v, vlen, &o, &enc_out, &res, err, sizeof(err));
	if (rc == -1 && clamped && res.error == JSON_E_TOO_LARGE)
		snprintf(err, sizeof(err), "the text is longer than the %zu "
		    "bytes a result may hold (4 x max-request-size)", room);
	if (rc == 0) {
		msgpack_pack_map(h->pk, 3);
		msgpack_pack_str_with_body(h->pk, "text", 4);
		msgpack_pack_str_with_body(h->pk, enc_out.data, enc_out.len);
		enc_tail(h, &res);
	}
	enc_out.off = enc_out.len = 0;
	if (enc_out.cap > ENC_KEEP)
		fp_buf_free(&enc_out);
	return rc == 0 ? 0 : enc_error(h, &res, err);
}

/* json.decode's own options (opt_fn). */
static int
dec_option(struct fp_hctx *h, const msgpack_object_kv *kv, void *arg)
{
	static const char *const bigw[] = { "float", "error", "string", NULL };
	static const char *const dupw[] = { "keep", "last", "error", NULL };
	struct fp_json_dec_options *o = arg;

	if (OPT_IS(kv, "bignum"))
		return opt_word(h, kv, bigw, &o->bignum);
	if (OPT_IS(kv, "duplicate_keys"))
		return opt_word(h, kv, dupw, &o->dup_keys);
	return 1;
}

/* json.decode [text, options?] -> the value, as MessagePack. */
int
h_json_decode(struct fp_hctx *h, const msgpack_object *p)
{
	struct fp_json_dec_options	 o;
	struct fp_json_dec_error	 e;
	struct fp_buf		 out = { 0 };
	const char		*s;
	size_t			 n;
	int			 code;

	if (p->type != MSGPACK_OBJECT_ARRAY || p->via.array.size < 1 ||
	    p->via.array.size > 2)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "params must be [text, options]");
	if (fp_object_bytes(&p->via.array.ptr[0], &s, &n) == -1)
		return hctx_error(h, FP_E_INVALID_PARAMS,
		    "the text must be a string or bin");
	fp_json_dec_options_init(&o);
	if (p->via.array.size == 2 &&
	    opt_walk(h, &p->via.array.ptr[1], &o.max_size, &o.max_depth,
	    dec_option, &o, "max_size, max_depth, bignum, duplicate_keys") ==
	    -1)
		return -1;
	memset(&e, 0, sizeof(e));
	if (fp_json_decode((const uint8_t *)s, n, &o, &out, &e) == -1) {
		fp_buf_free(&out);
		code = e.code == JSON_E_TOO_LARGE ? FP_E_TOO_LARGE :
		    e.code == JSON_E_NOMEM ? FP_E_INTERNAL :
		    FP_E_INVALID_PARAMS;
		return hctx_error(h, code, "json.decode: line %u column %u "
		    "(offset %zu): %s", e.line, e.column, e.offset, e.msg);
	}
	/* Already MessagePack: hand the bytes to the result writer. */
	h->pk->callback(h->pk->data, (const char *)out.data, out.len);
	fp_buf_free(&out);
	return 0;
}
