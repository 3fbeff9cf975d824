/*
 * fuzz_json_enc.c -- libFuzzer target for json_encode() on arbitrary
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
 *  - not truncated: len == full_len (<= max_size if set); json_decode()
 *    of the text succeeds (it must be RFC 8259 JSON whatever the input:
 *    NaN is null or refused, float32 and -0 have a JSON spelling, bad
 *    UTF-8 is replaced or refused); with bignum float, encoding the
 *    decoded value again with the same options gives the same text
 *    (integers print the same digits, floats their shortest digits,
 *    which read back as the same double; keys, bin and timestamps are
 *    already strings).
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

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct json_enc_opts	 o, ofull;
	struct json_enc_result	 r, rf;
	struct json_dec_opts	 dopt;
	struct json_dec_error	 de;
	struct buf		 out = {0}, full = {0}, mp = {0}, again = {0};
	const uint8_t		*in, *text;
	size_t			 inlen, len, before;
	char			 err[160];
	uint8_t			 f;
	int			 rc;

	if (size < 1)
		return 0;
	f = data[0];
	in = data + 1;
	inlen = size - 1;

	json_enc_opts_init(&o);
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

	ASSERT(buf_append(&out, PREFIX, PREFIX_LEN) == 0);
	before = buf_unread(&out);
	memset(&r, 0xa5, sizeof r);
	memset(err, 'X', sizeof err);
	rc = json_encode(in, inlen, &o, &out, &r, err, sizeof err);
	ASSERT(rc == 0 || rc == -1);
	ASSERT(buf_unread(&out) >= PREFIX_LEN &&
	    memcmp(buf_head(&out), PREFIX, PREFIX_LEN) == 0);
	if (rc != 0) {
		ASSERT(buf_unread(&out) == before);
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
		buf_free(&out);
		return 0;
	}
	text = buf_head(&out) + PREFIX_LEN;
	len = buf_unread(&out) - PREFIX_LEN;
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
		rc = json_encode(in, inlen, &ofull, &full, &rf, NULL, 0);
		ASSERT(rc == 0);
		ASSERT(rf.len == r.full_len);
		ASSERT(memcmp(buf_head(&full), text, len) == 0);
		/* cut at a boundary, and at the last one that fits */
		ASSERT((buf_head(&full)[len] & 0xc0) != 0x80);
		ASSERT(len + 3 >= o.max_size);
		buf_free(&full);
		buf_free(&out);
		return 0;
	}

	ASSERT(r.full_len == len);
	ASSERT(o.max_size == 0 || len <= o.max_size);

	/* the text is JSON */
	json_dec_opts_init(&dopt);
	dopt.bignum = f & 0x80 ? JSON_BIG_STRING : JSON_BIG_FLOAT;
	rc = json_decode(text, len, &dopt, &mp, &de);
	if (rc != 0) {
		show("encoder output", text, len);
		fprintf(stderr, "json_decode: %s at %zu\n", de.msg, de.offset);
	}
	ASSERT(rc == 0);

	/* and encoding its value again gives the same text */
	if (dopt.bignum == JSON_BIG_FLOAT) {
		rc = json_encode(buf_head(&mp), buf_unread(&mp), &o, &again,
		    &rf, NULL, 0);
		ASSERT(rc == 0 && !rf.truncated);
		if (buf_unread(&again) != len || memcmp(buf_head(&again),
		    text, len) != 0) {
			show("first", text, len);
			show("again", buf_head(&again), buf_unread(&again));
			abort();
		}
	}
	buf_free(&mp);
	buf_free(&again);
	buf_free(&out);
	return 0;
}
