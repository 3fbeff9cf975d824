/*
 * fuzz_json_dec.c -- libFuzzer target for fp_json_decode() on arbitrary
 * bytes.  The first input byte picks the options, the rest is the text:
 *
 *   bits 0-1  bignum: 0 float, 1 error, 2 string, 3 float
 *   bits 2-3  dup_keys: 0 keep, 1 last, 2 error, 3 keep
 *   bit  4    max_depth 20 (else the default, 512)
 *   bit  5    max_size 64
 *   bit  6    re-encode with indent 2
 *   bit  7    re-encode with ascii
 *
 * Checked:
 *  - failure: a known code, out as on entry (the bytes already unread
 *    in it kept), offset <= len (== max_size for too_large), line and
 *    column >= 1, a NUL-terminated message;
 *  - success: the bytes already in out kept, then exactly one well-formed
 *    MessagePack object (own iterative walker, any depth, and
 *    msgpack_unpack() SUCCESS with off == len when its depth <= 32,
 *    msgpack-c's limit), of the types the decoder may produce (nil, bool,
 *    int, float64, str, array, map with str keys), no deeper than
 *    max_depth, valid UTF-8 in every str;
 *  - fp_json_encode() of it succeeds (utf8 and nan policies "error": the
 *    decoder produces neither bad UTF-8 nor NaN), and the text t2 it
 *    gives is a fixed point: encode(decode(t2)) == t2 byte for byte
 *    (decoded with the default options; the first decode may turn "1.0"
 *    into 1.0 which t2 prints "1", so t2, not the input, is the fixed
 *    point), and decode(t2) is the same value as decode(input): the same
 *    MessagePack bytes but for integral floats that came back as
 *    integers of the same value.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "buf.h"
#include "json.h"
#include "fuzz_util.h"

#define PREFIX		"\xa1Z"	/* unread bytes already in out */
#define PREFIX_LEN	2
#define WALK_MAX	4096	/* deeper than any max_depth used */

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t
be(const uint8_t *p, int n)
{
	uint64_t v = 0;

	while (n-- > 0)
		v = v << 8 | *p++;
	return v;
}

/*
 * walk: p[0..n) is exactly one MessagePack object made only of what the
 * decoder emits (map keys str, str valid UTF-8).  Iterative; *depth gets
 * the deepest nesting (top-level container is 1).  Returns 1 if so.
 */
static int
walk(const uint8_t *p, size_t n, uint32_t *depth)
{
	static uint64_t	 left[WALK_MAX];	/* items left per level */
	static uint8_t	 ismap[WALK_MAX];
	size_t		 i = 0, len;
	uint32_t	 d = 0, maxd = 0;
	uint64_t	 cnt;
	uint8_t		 c;
	int		 key, hdr;

	for (;;) {
		/* about to read one item at level d (0: the top) */
		key = d > 0 && ismap[d] && left[d] % 2 == 0;
		if (i >= n)
			return 0;
		c = p[i];
		len = 0;
		cnt = 0;
		hdr = 0;	/* 1: array, 2: map */
		if (c <= 0x7f || c >= 0xe0)
			i += 1;
		else if (c >= 0xa0 && c <= 0xbf)
			len = c & 0x1f, i += 1;
		else if (c >= 0x90 && c <= 0x9f)
			cnt = c & 0x0f, hdr = 1, i += 1;
		else if (c >= 0x80 && c <= 0x8f)
			cnt = c & 0x0f, hdr = 2, i += 1;
		else {
			switch (c) {
			case 0xc0: case 0xc2: case 0xc3:
				i += 1;
				break;
			case 0xcc: case 0xd0: i += 2; break;
			case 0xcd: case 0xd1: i += 3; break;
			case 0xce: case 0xd2: i += 5; break;
			case 0xcf: case 0xd3: case 0xcb: i += 9; break;
			case 0xd9: case 0xda: case 0xdb:
				if (n - i < (size_t)(1 << (c - 0xd9)) + 1)
					return 0;
				len = be(p + i + 1, 1 << (c - 0xd9));
				i += 1 + (1 << (c - 0xd9));
				break;
			case 0xdc: case 0xdd:
				if (n - i < (size_t)(2 << (c - 0xdc)) + 1)
					return 0;
				cnt = be(p + i + 1, 2 << (c - 0xdc));
				i += 1 + (2 << (c - 0xdc));
				hdr = 1;
				break;
			case 0xde: case 0xdf:
				if (n - i < (size_t)(2 << (c - 0xde)) + 1)
					return 0;
				cnt = be(p + i + 1, 2 << (c - 0xde));
				i += 1 + (2 << (c - 0xde));
				hdr = 2;
				break;
			default:	/* bin, ext, float32, 0xc1: never */
				return 0;
			}
			if (i > n)
				return 0;
		}
		if (key && !((c >= 0xa0 && c <= 0xbf) || (c >= 0xd9 &&
		    c <= 0xdb)))
			return 0;
		if ((c >= 0xa0 && c <= 0xbf) || (c >= 0xd9 && c <= 0xdb)) {
			if (n - i < len || !utf8_ok(p + i, len))
				return 0;
			i += len;
		}
		if (d > 0)
			left[d]--;
		if (hdr != 0) {
			if (d + 1 >= WALK_MAX)
				return 0;
			d++;
			if (d > maxd)
				maxd = d;
			ismap[d] = hdr == 2;
			left[d] = hdr == 2 ? cnt * 2 : cnt;
		}
		/* close every finished level */
		while (d > 0 && left[d] == 0)
			d--;
		if (d == 0)
			break;
	}
	*depth = maxd;
	return i == n;
}

/*
 * token: the length of the MessagePack token at p[0..n) (a container's
 * header alone; a str with its bytes), 0 if cut short.  *f gets a
 * float64's value (*kind 1), *neg and *u an integer's (*kind 2).
 */
static size_t
token(const uint8_t *p, size_t n, int *kind, double *f, int *neg,
    uint64_t *u)
{
	uint8_t	 c = p[0];
	uint64_t bits;
	size_t	 t;

	*kind = 0;
	if (c <= 0x7f || c >= 0xe0) {
		*kind = 2;
		*neg = c >= 0xe0;
		*u = *neg ? (uint64_t)(int64_t)(int8_t)c : c;
		return 1;
	}
	if (c >= 0xa0 && c <= 0xbf)
		t = 1 + (c & 0x1f);
	else if (c >= 0x80 && c <= 0x9f)
		t = 1;
	else if (c >= 0xcc && c <= 0xcf) {	/* uint 8..64 */
		t = 1 + ((size_t)1 << (c - 0xcc));
		if (n < t)
			return 0;
		*kind = 2;
		*neg = 0;
		*u = be(p + 1, 1 << (c - 0xcc));
	} else if (c >= 0xd0 && c <= 0xd3) {	/* int 8..64 */
		int	 w = 1 << (c - 0xd0);
		uint64_t v;

		t = 1 + (size_t)w;
		if (n < t)
			return 0;
		v = be(p + 1, w);
		if (w < 8 && (v >> (8 * w - 1) & 1))
			v |= ~(uint64_t)0 << (8 * w);
		*kind = 2;
		*neg = (int64_t)v < 0;
		*u = v;
	} else if (c == 0xcb) {
		t = 9;
		if (n < t)
			return 0;
		bits = be(p + 1, 8);
		memcpy(f, &bits, sizeof *f);
		*kind = 1;
	} else if (c >= 0xd9 && c <= 0xdb) {
		int w = 1 << (c - 0xd9);

		if (n < (size_t)w + 1)
			return 0;
		t = 1 + (size_t)w + be(p + 1, w);
	} else if (c == 0xdc || c == 0xde)
		t = 3;
	else if (c == 0xdd || c == 0xdf)
		t = 5;
	else
		t = 1;				/* nil, bool */
	return n < t ? 0 : t;
}

/*
 * same_value: a and b (both from fp_json_decode, so both in the smallest
 * encoding, and already walked) hold the same value: token for token the
 * same bytes, except where a has an integral float64 that encode printed
 * as digits ("1.0" -> 1.0 -> "1") and b the integer those digits are,
 * which must read back (round to nearest) as that double.
 */
static int
same_value(const uint8_t *a, size_t an, const uint8_t *b, size_t bn)
{
	size_t	 ta, tb;
	int	 ka, kb, na, nb;
	double	 fa, fb, v;
	uint64_t ua, ub;

	while (an > 0 && bn > 0) {
		ta = token(a, an, &ka, &fa, &na, &ua);
		tb = token(b, bn, &kb, &fb, &nb, &ub);
		if (ta == 0 || tb == 0)
			return 0;
		if (ka == 1 && kb == 2) {
			v = nb ? (double)(int64_t)ub : (double)ub;
			if (memcmp(&v, &fa, sizeof v) != 0)
				return 0;
		} else if (ta != tb || memcmp(a, b, ta) != 0)
			return 0;
		a += ta;
		an -= ta;
		b += tb;
		bn -= tb;
	}
	return an == 0 && bn == 0;
}

static int
known_code(int c)
{
	return c == JSON_E_SYNTAX || c == JSON_E_UTF8 || c == JSON_E_DEPTH ||
	    c == JSON_E_RANGE || c == JSON_E_DUPKEY || c == JSON_E_TOO_LARGE ||
	    c == JSON_E_NOMEM;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_json_dec_options	 o, o2;
	struct fp_json_enc_options	 eo;
	struct fp_json_dec_error	 e;
	struct fp_json_enc_result	 r;
	struct fp_buf		 out = {0}, t2 = {0}, mp2 = {0}, t3 = {0};
	const uint8_t		*text, *mp;
	size_t			 len, mplen, before;
	uint32_t		 depth, maxdepth;
	uint8_t			 f;
	int			 rc;

	if (size < 1)
		return 0;
	f = data[0];
	text = data + 1;
	len = size - 1;

	fp_json_dec_options_init(&o);
	o.bignum = (f & 3) == 3 ? JSON_BIG_FLOAT : f & 3;
	o.dup_keys = (f >> 2 & 3) == 3 ? JSON_DUP_KEEP : f >> 2 & 3;
	o.max_depth = f & 0x10 ? 20 : 0;
	o.max_size = f & 0x20 ? 64 : 0;
	maxdepth = o.max_depth ? o.max_depth : JSON_DEPTH_DEFAULT;

	ASSERT(fp_buf_append(&out, PREFIX, PREFIX_LEN) == 0);
	before = out.len;
	memset(&e, 0xa5, sizeof e);
	rc = fp_json_decode(text, len, &o, &out, &e);
	ASSERT(rc == 0 || rc == -1);
	ASSERT(fp_buf_unread(&out) >= PREFIX_LEN &&
	    memcmp(fp_buf_head(&out), PREFIX, PREFIX_LEN) == 0);
	if (rc != 0) {
		ASSERT(out.len - out.off == before);
		ASSERT(known_code(e.code));
		ASSERT(e.offset <= len);
		ASSERT(e.line >= 1 && e.column >= 1);
		ASSERT(e.line <= len + 1 && e.column <= len + 1);
		ASSERT(memchr(e.msg, '\0', sizeof e.msg) != NULL);
		if (e.code == JSON_E_TOO_LARGE && o.max_size != 0 &&
		    len > o.max_size)
			ASSERT(e.offset == o.max_size);
		if (e.code == JSON_E_DUPKEY)
			ASSERT(o.dup_keys == JSON_DUP_ERROR);
		if (e.code == JSON_E_RANGE)
			ASSERT(o.bignum == JSON_BIG_ERROR ||
			    memchr(text, 'e', len) != NULL ||
			    memchr(text, 'E', len) != NULL ||
			    len >= 300);	/* 1e309 or 400 digits */
		fp_buf_free(&out);
		return 0;
	}
	ASSERT(e.code == JSON_E_OK);
	ASSERT(o.max_size == 0 || len <= o.max_size);
	mp = fp_buf_head(&out) + PREFIX_LEN;
	mplen = fp_buf_unread(&out) - PREFIX_LEN;
	ASSERT(walk(mp, mplen, &depth));
	ASSERT(depth <= maxdepth);
	if (depth <= 30) {
		msgpack_unpacked u;
		size_t		 off = 0;

		msgpack_unpacked_init(&u);
		ASSERT(msgpack_unpack_next(&u, (const char *)mp, mplen,
		    &off) == MSGPACK_UNPACK_SUCCESS && off == mplen);
		msgpack_unpacked_destroy(&u);
	}

	/* encode it back */
	fp_json_enc_options_init(&eo);
	eo.utf8 = JSON_UTF8_ERROR;
	eo.nan = JSON_NAN_ERROR;
	eo.indent = f & 0x40 ? 2 : 0;
	eo.ascii = (f & 0x80) != 0;
	rc = fp_json_encode(mp, mplen, &eo, &t2, &r, NULL, 0);
	if (rc != 0)
		fprintf(stderr, "re-encode failed: error %d (%s) at %zu\n",
		    r.error, fp_json_errname(r.error), r.error_off);
	ASSERT(rc == 0);
	ASSERT(!r.truncated && r.len == fp_buf_unread(&t2));

	/* t2 is a fixed point of encode(decode(.)) */
	fp_json_dec_options_init(&o2);
	rc = fp_json_decode(fp_buf_head(&t2), fp_buf_unread(&t2), &o2, &mp2, &e);
	if (rc != 0)
		fprintf(stderr, "decode of re-encoded text failed: %s at %zu"
		    "\n", e.msg, e.offset);
	ASSERT(rc == 0);
	ASSERT(walk(fp_buf_head(&mp2), fp_buf_unread(&mp2), &depth));
	if (!same_value(mp, mplen, fp_buf_head(&mp2), fp_buf_unread(&mp2))) {
		fprintf(stderr, "value changed through %.*s\n",
		    (int)fp_buf_unread(&t2), fp_buf_head(&t2));
		abort();
	}
	ASSERT(fp_json_encode(fp_buf_head(&mp2), fp_buf_unread(&mp2), &eo, &t3, &r,
	    NULL, 0) == 0);
	if (fp_buf_unread(&t2) != fp_buf_unread(&t3) || memcmp(fp_buf_head(&t2),
	    fp_buf_head(&t3), fp_buf_unread(&t2)) != 0) {
		fprintf(stderr, "not a fixed point:\n%.*s\nthen\n%.*s\n",
		    (int)fp_buf_unread(&t2), fp_buf_head(&t2),
		    (int)fp_buf_unread(&t3), fp_buf_head(&t3));
		abort();
	}
	fp_buf_free(&out);
	fp_buf_free(&t2);
	fp_buf_free(&mp2);
	fp_buf_free(&t3);
	return 0;
}
