/*
 * fuzz_json_enc.c -- libFuzzer target for fp_json_encode() on arbitrary
 * bytes taken as MessagePack.  The first input byte picks the options;
 * with max_size, the second byte is its value; the rest is the input:
 *
 *   bit  0    indent: 1 + (byte >> 4) spaces (else compact)
 *   bit  1    ascii
 *   bit  2    nan: error (else null)
 *   bit  3    utf8: error (else replace)
 *   bit  4    max_size = 1 + 2 * (second byte)
 *   bit  5    truncate
 *   bit  6    max_depth 8 (else the default, 512)
 *   bit  7    decode the text with bignum string (else float)
 *
 * Checked:
 *  - failure: a code that the options allow (too_large only with
 *    max_size and no truncate, nan only with nan error, utf8 only with
 *    utf8 error, never inval), out as on entry (the bytes already unread
 *    in it kept), error_off <= input length, message "offset N: ...";
 *  - success: res.len bytes appended after the kept bytes, the text is
 *    valid UTF-8 (every invalid input byte is replaced or refused);
 *  - truncated: only with max_size and truncate; len <= max_size;
 *    the text is a prefix of the full text (encoded again without
 *    max_size), cut at a UTF-8 boundary (the prefix is valid UTF-8 and
 *    the next byte of the full text is not a continuation byte) and no
 *    shorter than it has to be (max_size - 3 or more); full_len is the
 *    length of the full text;
 *  - not truncated: len == full_len (<= max_size if set); fp_json_decode()
 *    of the text succeeds (it must be RFC 8259 JSON whatever the input:
 *    NaN is null or refused, float32 and -0 have a JSON spelling, bad
 *    UTF-8 is replaced or refused); with bignum float, encoding the
 *    decoded value again with the same options gives the same text
 *    (integers print the same digits, floats their shortest digits,
 *    which read back as the same double; keys, bin and timestamps are
 *    already strings).
 *
 * Then the same input with sort_keys added to the options, checked as
 * above, and against the run without it:
 *  - both succeed or both fail (the same objects are written, in
 *    another order; which error is met first may differ);
 *  - the same full_len and truncation (and length, when not cut: a cut
 *    text may end at another character boundary);
 *  - not truncated: the text decodes to maps whose keys ascend
 *    bytewise, each after or equal to the one before (code point
 *    order; equal keys kept), and it is exactly the text of the
 *    unsorted one decoded and encoded again with sort_keys (so the
 *    members are the same, and the order does not depend on how the
 *    keys were written: bin, numbers, invalid UTF-8).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "fuzz_util.h"

#define PREFIX		"xyz"	/* unread bytes already in out */
#define PREFIX_LEN	3

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
show(const char *what, const uint8_t *p, size_t n)
{
	fprintf(stderr, "%s (%zu bytes): %.*s\n", what, n,
	    (int)(n > 2000 ? 2000 : n), (const char *)p);
}

/*
 * keys_ascend: in the MessagePack p[0..n) that fp_json_decode() wrote (str
 * keys, the usual headers), every map's keys ascend bytewise.
 */
static int
keys_ascend(const uint8_t *p, size_t n)
{
	struct {
		uint64_t	 left;	/* objects still to read */
		int		 map;
		const uint8_t	*key;	/* the last key, NULL before one */
		size_t		 klen;
	} st[JSON_DEPTH_DEFAULT + 2];
	size_t	 at = 0, len, hl, d = 0;
	uint64_t cnt;
	uint8_t	 c;
	int	 kind, cmp;

	for (;;) {
		ASSERT(at < n);
		c = p[at];
		kind = 0;
		hl = 1;
		len = 0;
		cnt = 0;
		if (c <= 0x7f || c >= 0xe0 || c == 0xc0 || c == 0xc2 ||
		    c == 0xc3)
			;
		else if (c <= 0x8f || (c >= 0x90 && c <= 0x9f)) {
			kind = c <= 0x8f ? 2 : 1;
			cnt = c & 0x0f;
		} else if (c >= 0xa0 && c <= 0xbf)
			len = c & 0x1f;
		else if (c >= 0xcc && c <= 0xd3)
			len = (size_t)1 << ((c - 0xcc) & 3);
		else if (c == 0xcb)
			len = 8;
		else if (c >= 0xd9 && c <= 0xdb) {
			hl = 1 + ((size_t)1 << (c - 0xd9));
			ASSERT(n - at >= hl);
			len = c == 0xd9 ? p[at + 1] : c == 0xda ?
			    (size_t)p[at + 1] << 8 | p[at + 2] :
			    (size_t)p[at + 1] << 24 | (size_t)p[at + 2] << 16 |
			    (size_t)p[at + 3] << 8 | p[at + 4];
		} else if (c >= 0xdc && c <= 0xdf) {
			kind = c >= 0xde ? 2 : 1;
			hl = c & 1 ? 5 : 3;
			ASSERT(n - at >= hl);
			cnt = c & 1 ? (uint64_t)p[at + 1] << 24 |
			    (uint64_t)p[at + 2] << 16 |
			    (uint64_t)p[at + 3] << 8 | p[at + 4] :
			    (uint64_t)p[at + 1] << 8 | p[at + 2];
		} else
			ASSERT(!"unexpected byte from fp_json_decode");
		ASSERT(n - at - hl >= len);
		if (d > 0 && st[d - 1].map && st[d - 1].left % 2 == 0) {
			/* a key: not below the one before */
			ASSERT(c >= 0xa0 && (c <= 0xbf || (c >= 0xd9 &&
			    c <= 0xdb)));
			if (st[d - 1].key != NULL) {
				cmp = memcmp(st[d - 1].key, p + at + hl,
				    st[d - 1].klen < len ? st[d - 1].klen :
				    len);
				if (cmp > 0 || (cmp == 0 &&
				    st[d - 1].klen > len))
					return 0;
			}
			st[d - 1].key = p + at + hl;
			st[d - 1].klen = len;
		}
		if (d > 0)
			st[d - 1].left--;
		at += hl + len;
		if (kind != 0 && cnt > 0) {
			ASSERT(d < sizeof(st) / sizeof(st[0]));
			st[d].left = kind == 2 ? 2 * cnt : cnt;
			st[d].map = kind == 2;
			st[d].key = NULL;
			st[d].klen = 0;
			d++;
			continue;
		}
		while (d > 0 && st[d - 1].left == 0)
			d--;
		if (d == 0)
			break;
	}
	ASSERT(at == n);
	return 1;
}

/*
 * check_one: encode in[0..inlen) with `o' and check what the header says;
 * returns the encoder's return value, with *r, and the text (after the
 * kept prefix) in *out.
 */
static int
check_one(const uint8_t *in, size_t inlen, const struct fp_json_enc_options *op,
    uint8_t f, struct fp_buf *out, struct fp_json_enc_result *rp)
{
	struct fp_json_enc_options	 o = *op, ofull;
	struct fp_json_enc_result	 r, rf;
	struct fp_json_dec_options	 dopt;
	struct fp_json_dec_error	 de;
	struct fp_buf		 full = {0}, mp = {0}, again = {0};
	const uint8_t		*text;
	size_t			 len, before;
	char			 err[160];
	int			 rc;

	ASSERT(fp_buf_append(out, PREFIX, PREFIX_LEN) == 0);
	before = fp_buf_unread(out);
	memset(&r, 0xa5, sizeof r);
	memset(err, 'X', sizeof err);
	rc = fp_json_encode(in, inlen, &o, out, &r, err, sizeof err);
	*rp = r;
	ASSERT(rc == 0 || rc == -1);
	ASSERT(fp_buf_unread(out) >= PREFIX_LEN &&
	    memcmp(fp_buf_head(out), PREFIX, PREFIX_LEN) == 0);
	if (rc != 0) {
		ASSERT(fp_buf_unread(out) == before);
		ASSERT(r.error != JSON_E_OK && r.error != JSON_E_INVAL);
		ASSERT(r.error >= JSON_E_MALFORMED &&
		    r.error <= JSON_E_NOMEM);
		if (r.error == JSON_E_TOO_LARGE)
			ASSERT(o.max_size != 0 && !o.truncate);
		if (r.error == JSON_E_NAN)
			ASSERT(o.nan == JSON_NAN_ERROR);
		if (r.error == JSON_E_UTF8)
			ASSERT(o.utf8 == JSON_UTF8_ERROR);
		ASSERT(r.error_off <= inlen);
		ASSERT(memchr(err, '\0', sizeof err) != NULL);
		ASSERT(strncmp(err, "offset ", 7) == 0);
		return rc;
	}
	text = fp_buf_head(out) + PREFIX_LEN;
	len = fp_buf_unread(out) - PREFIX_LEN;
	ASSERT(r.len == len);
	ASSERT(utf8_ok(text, len));

	if (r.truncated) {
		ASSERT(o.max_size != 0 && o.truncate);
		ASSERT(len <= o.max_size);
		ASSERT(r.full_len > o.max_size);
		/* the full text, for comparison */
		ofull = o;
		ofull.max_size = 0;
		ofull.truncate = 0;
		rc = fp_json_encode(in, inlen, &ofull, &full, &rf, NULL, 0);
		ASSERT(rc == 0);
		ASSERT(rf.len == r.full_len);
		ASSERT(memcmp(fp_buf_head(&full), text, len) == 0);
		/* cut at a boundary, and at the last one that fits */
		ASSERT((fp_buf_head(&full)[len] & 0xc0) != 0x80);
		ASSERT(len + 3 >= o.max_size);
		fp_buf_free(&full);
		return rc;
	}

	ASSERT(r.full_len == len);
	ASSERT(o.max_size == 0 || len <= o.max_size);

	/* the text is JSON */
	fp_json_dec_options_init(&dopt);
	dopt.bignum = f & 0x80 ? JSON_BIG_STRING : JSON_BIG_FLOAT;
	rc = fp_json_decode(text, len, &dopt, &mp, &de);
	if (rc != 0) {
		show("encoder output", text, len);
		fprintf(stderr, "fp_json_decode: %s at %zu\n", de.msg, de.offset);
	}
	ASSERT(rc == 0);

	/* and encoding its value again gives the same text */
	if (dopt.bignum == JSON_BIG_FLOAT) {
		rc = fp_json_encode(fp_buf_head(&mp), fp_buf_unread(&mp), &o, &again,
		    &rf, NULL, 0);
		ASSERT(rc == 0 && !rf.truncated);
		if (fp_buf_unread(&again) != len || memcmp(fp_buf_head(&again),
		    text, len) != 0) {
			show("first", text, len);
			show("again", fp_buf_head(&again), fp_buf_unread(&again));
			abort();
		}
	}
	/* with sort_keys, every map's keys ascend */
	if (o.sort_keys)
		ASSERT(keys_ascend(fp_buf_head(&mp), fp_buf_unread(&mp)));
	fp_buf_free(&mp);
	fp_buf_free(&again);
	return rc;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fp_json_enc_options	 o, os;
	struct fp_json_enc_result	 r, rs, rf;
	struct fp_buf		 out = {0}, sorted = {0}, mp = {0}, again = {0};
	const uint8_t		*in;
	size_t			 inlen;
	uint8_t			 f;
	int			 rc, rcs;

	if (size < 1)
		return 0;
	f = data[0];
	in = data + 1;
	inlen = size - 1;

	fp_json_enc_options_init(&o);
	o.indent = f & 0x01 ? 1 + (f >> 4) : 0;
	o.ascii = (f & 0x02) != 0;
	o.nan = f & 0x04 ? JSON_NAN_ERROR : JSON_NAN_NULL;
	o.utf8 = f & 0x08 ? JSON_UTF8_ERROR : JSON_UTF8_REPLACE;
	if (f & 0x10) {
		if (inlen < 1)
			return 0;
		o.max_size = 1 + 2 * (size_t)in[0];
		in++;
		inlen--;
	}
	o.truncate = (f & 0x20) != 0;
	o.max_depth = f & 0x40 ? 8 : 0;

	rc = check_one(in, inlen, &o, f, &out, &r);
	os = o;
	os.sort_keys = 1;
	rcs = check_one(in, inlen, &os, f, &sorted, &rs);

	/* sort_keys against the same options without it */
	ASSERT(rc == rcs);
	if (rc == 0) {
		/* a cut text may end at another character boundary */
		ASSERT(rs.full_len == r.full_len &&
		    rs.truncated == r.truncated &&
		    (r.truncated || rs.len == r.len));
		if (!r.truncated) {
			ASSERT(fp_json_decode(fp_buf_head(&out) + PREFIX_LEN,
			    fp_buf_unread(&out) - PREFIX_LEN, NULL, &mp,
			    NULL) == 0);
			ASSERT(fp_json_encode(fp_buf_head(&mp), fp_buf_unread(&mp), &os,
			    &again, &rf, NULL, 0) == 0);
			if (fp_buf_unread(&again) != rs.len ||
			    memcmp(fp_buf_head(&again), fp_buf_head(&sorted) +
			    PREFIX_LEN, rs.len) != 0) {
				show("sorted", fp_buf_head(&sorted) + PREFIX_LEN,
				    rs.len);
				show("unsorted, decoded, sorted",
				    fp_buf_head(&again), fp_buf_unread(&again));
				abort();
			}
		}
	}
	fp_buf_free(&out);
	fp_buf_free(&sorted);
	fp_buf_free(&mp);
	fp_buf_free(&again);
	return 0;
}
