/*
 * test_json_roundtrip.c -- property tests of fp_json_encode()/fp_json_decode():
 *
 *  1. decode(encode(v)) == v for many generated MessagePack values
 *     (seeded xorshift, so every run sees the same values), under
 *     several encoder options (compact, indent, ascii, utf8 error).
 *  2. For a set of JSON texts t: with t2 = encode(decode(t)),
 *     encode(decode(t2)) == t2 byte for byte, and decode(t2) equals
 *     decode(t) under the comparison below.
 *  3. With sort_keys, decode(encode(v)) == v with the members of every
 *     map put in order by a reference sort (stable insertion by the
 *     key's bytes; the generated keys are valid UTF-8, so this is code
 *     point order).
 *
 * Equality is semantic, on msgpack_unpack() objects:
 *  - integers by value, whatever their encoding size (uint 64 holding 5
 *    equals fixint 5); a non-negative int equals a uint of the same value;
 *  - float64 bit for bit (-0.0 goes out as "-0" and comes back as -0.0);
 *    EXCEPT that an integral float64 below 1e21 is printed without a
 *    fraction ("2.0" as "2"; 18446744073709549568.0 as its shortest
 *    digits "18446744073709550000") and comes back as an integer when
 *    the digits fit int64/uint64: such a float equals an integer that,
 *    converted to double (round to nearest), is the float bit for bit.
 *    Integral floats are generated on purpose (small, 2^53, 2^63, 2^64,
 *    1e20, 1e21 ...) to cover the rule's boundaries;
 *  - float32 (printed as the shortest float32 decimal, decoded as a
 *    float64): the result, rounded to float32, equals the original bit
 *    for bit (or, when integral, is an integer that rounds to it);
 *  - str byte for byte; arrays element by element; maps member by
 *    member in order (keys are str).
 * bin and ext are not generated: they do not come back as themselves
 * (bin is base64 text, the timestamp an ISO-8601 string).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "buf.h"
#include "json.h"
#include "check.h"

/* ---- deterministic generator ---- */

static uint64_t rng_state = 0x9e3779b97f4a7c15ULL;

static uint64_t
rnd(void)
{
	uint64_t x = rng_state;

	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	return rng_state = x;
}

/* below: uniform-ish in [0, n). */
static uint64_t
below(uint64_t n)
{
	return n == 0 ? 0 : rnd() % n;
}

static int
coin(int percent)
{
	return (int)below(100) < percent;
}

/* ---- packing helpers (some non-minimal encodings on purpose) ---- */

static void
raw(msgpack_packer *pk, const void *p, size_t n)
{
	msgpack_sbuffer_write(pk->data, p, n);
}

static void
gen_int(msgpack_packer *pk)
{
	static const int64_t sedges[] = {
		0, 1, -1, -32, -33, 127, 128, -128, -129, 255, 256,
		32767, 32768, -32768, -32769, 65535, 65536,
		2147483647LL, 2147483648LL, -2147483647LL - 1,
		-2147483649LL, 4294967295LL, 4294967296LL,
		9007199254740992LL, 9007199254740993LL, -9007199254740993LL,
		INT64_MAX, INT64_MIN, INT64_MIN + 1, INT64_MAX - 1,
	};
	static const uint64_t uedges[] = {
		(uint64_t)INT64_MAX + 1, UINT64_MAX, UINT64_MAX - 1,
		10000000000000000000ULL, 18446744073709551000ULL,
	};
	uint64_t u;
	int64_t  s;

	switch (below(12)) {
	case 0:
		msgpack_pack_int64(pk, sedges[below(sizeof sedges /
		    sizeof sedges[0])]);
		return;
	case 1:
		msgpack_pack_uint64(pk, uedges[below(sizeof uedges /
		    sizeof uedges[0])]);
		return;
	case 2:		/* positive, fixed-size (non-minimal) */
		u = below(128);
		switch (below(4)) {
		case 0: msgpack_pack_fix_uint8(pk, (uint8_t)u); break;
		case 1: msgpack_pack_fix_uint16(pk, (uint16_t)u); break;
		case 2: msgpack_pack_fix_uint32(pk, (uint32_t)u); break;
		default: msgpack_pack_fix_uint64(pk, u); break;
		}
		return;
	case 3:		/* signed fixed-size (non-minimal) */
		s = (int64_t)below(256) - 128;
		switch (below(4)) {
		case 0: msgpack_pack_fix_int8(pk, (int8_t)s); break;
		case 1: msgpack_pack_fix_int16(pk, (int16_t)s); break;
		case 2: msgpack_pack_fix_int32(pk, (int32_t)s); break;
		default: msgpack_pack_fix_int64(pk, s); break;
		}
		return;
	case 4:
		msgpack_pack_uint64(pk, rnd());
		return;
	case 5:
		msgpack_pack_int64(pk, (int64_t)rnd());
		return;
	default:	/* a random magnitude of 1..64 bits, either sign */
		u = rnd() >> below(64);
		if (coin(50) && u <= (uint64_t)INT64_MAX)
			msgpack_pack_int64(pk, -(int64_t)u);
		else
			msgpack_pack_uint64(pk, u);
		return;
	}
}

static double
bits2d(uint64_t b)
{
	double d;

	memcpy(&d, &b, sizeof d);
	return d;
}

static uint64_t
d2bits(double d)
{
	uint64_t b;

	memcpy(&b, &d, sizeof b);
	return b;
}

static uint32_t
f2bits(float f)
{
	uint32_t b;

	memcpy(&b, &f, sizeof b);
	return b;
}

static double
gen_double(void)
{
	static const double edges[] = {
		0.0, -0.0, 1.0, -1.0, 2.0, 0.1, 0.5, 1.5, 1e-7, 1e-6,
		9.999999999999999e-8, 1e20, 1e21, 9.99999999999999e20,
		123456789012345680000.0, 5e-324, -5e-324,
		2.2250738585072014e-308, 2.2250738585072009e-308,
		1.7976931348623157e308, -1.7976931348623157e308,
		9007199254740992.0, 9007199254740994.0,
		9223372036854775808.0, -9223372036854775808.0,
		18446744073709551616.0, 18446744073709549568.0,
		36893488147419103232.0, 0.30000000000000004, 1e23,
		8.98846567431158e307, 4.9406564584124654e-324,
		1.1754943508222875e-38, 3.4028234663852886e38,
	};
	uint64_t b;

	switch (below(8)) {
	case 0:
		return edges[below(sizeof edges / sizeof edges[0])];
	case 1:		/* subnormal */
		return bits2d((rnd() & 0x800fffffffffffffULL) | 1);
	case 2:		/* integral, small or large */
		return (double)(int64_t)(rnd() >> below(64)) *
		    (coin(50) ? 1 : -1);
	case 3:		/* a short decimal */
		return (double)(int64_t)below(1000000) /
		    pow(10, (double)below(12)) * (coin(50) ? 1 : -1);
	case 4:		/* a huge or tiny magnitude */
		return ldexp((double)(rnd() >> 11) + 0.5,
		    (int)below(2000) - 1074 - 53) * (coin(50) ? 1 : -1);
	default:	/* random bits, not NaN or Inf */
		do
			b = rnd();
		while ((b & 0x7ff0000000000000ULL) == 0x7ff0000000000000ULL);
		return bits2d(b);
	}
}

static float
gen_float(void)
{
	static const float edges[] = {
		0.0f, -0.0f, 1.0f, 0.1f, 3.4028235e38f, -3.4028235e38f,
		1.17549435e-38f, 1.4e-45f, 16777216.0f, 16777217.0f,
		1e10f, 0.3f, 2.5f,
	};
	uint32_t b;
	float	 f;

	if (coin(20))
		return edges[below(sizeof edges / sizeof edges[0])];
	do
		b = (uint32_t)rnd();
	while ((b & 0x7f800000u) == 0x7f800000u);
	memcpy(&f, &b, sizeof f);
	return f;
}

/* put_utf8: append code point c to s. */
static size_t
put_utf8(char *s, uint32_t c)
{
	if (c < 0x80) {
		s[0] = (char)c;
		return 1;
	}
	if (c < 0x800) {
		s[0] = (char)(0xc0 | c >> 6);
		s[1] = (char)(0x80 | (c & 0x3f));
		return 2;
	}
	if (c < 0x10000) {
		s[0] = (char)(0xe0 | c >> 12);
		s[1] = (char)(0x80 | (c >> 6 & 0x3f));
		s[2] = (char)(0x80 | (c & 0x3f));
		return 3;
	}
	s[0] = (char)(0xf0 | c >> 18);
	s[1] = (char)(0x80 | (c >> 12 & 0x3f));
	s[2] = (char)(0x80 | (c >> 6 & 0x3f));
	s[3] = (char)(0x80 | (c & 0x3f));
	return 4;
}

static uint32_t
gen_codepoint(void)
{
	static const uint32_t special[] = {
		'"', '\\', '/', '\b', '\f', '\n', '\r', '\t', 0, 0x1f, 0x7f,
		0x80, 0x7ff, 0x800, 0x2028, 0x2029, 0xd7ff, 0xe000, 0xfeff,
		0xfffd, 0xffff, 0x10000, 0x10ffff, 0x1f600, 'u', '0',
	};
	uint32_t c;

	switch (below(10)) {
	case 0: case 1:
		return special[below(sizeof special / sizeof special[0])];
	case 2:
		return (uint32_t)below(0x20);		/* control */
	case 3:
		return 0x80 + (uint32_t)below(0x800 - 0x80);
	case 4:
		do
			c = 0x800 + (uint32_t)below(0x10000 - 0x800);
		while (c >= 0xd800 && c <= 0xdfff);
		return c;
	case 5:
		return 0x10000 + (uint32_t)below(0x100000);
	default:
		return 0x20 + (uint32_t)below(0x5f);	/* printable ASCII */
	}
}

static char strbuf[70000];

static void
gen_str(msgpack_packer *pk, int key)
{
	size_t	 n = 0, want;
	uint8_t	 h[5];

	switch (below(key ? 3 : 20)) {
	case 0: want = 0; break;
	case 1: want = below(4); break;
	case 2: want = below(40); break;
	case 3: want = below(300); break;
	case 4: want = below(10) == 0 ? 65536 + below(100) : below(2000);
		break;
	default: want = below(16); break;
	}
	while (n < want)
		n += put_utf8(strbuf + n, gen_codepoint());
	if (n < 256 && coin(10)) {	/* str 8 header even when short */
		h[0] = 0xd9;
		h[1] = (uint8_t)n;
		raw(pk, h, 2);
		raw(pk, strbuf, n);
	} else if (n < 65536 && coin(5)) {	/* str 32 */
		h[0] = 0xdb;
		h[1] = 0;
		h[2] = 0;
		h[3] = (uint8_t)(n >> 8);
		h[4] = (uint8_t)n;
		raw(pk, h, 5);
		raw(pk, strbuf, n);
	} else
		msgpack_pack_str_with_body(pk, strbuf, n);
}

static void
container_hdr(msgpack_packer *pk, size_t n, int map)
{
	uint8_t	 h[5];

	if (n < 16 && coin(10)) {	/* 16-bit header for a small count */
		h[0] = map ? 0xde : 0xdc;
		h[1] = 0;
		h[2] = (uint8_t)n;
		raw(pk, h, 3);
	} else if (n < 65536 && coin(5)) {	/* 32-bit header */
		h[0] = map ? 0xdf : 0xdd;
		h[1] = 0;
		h[2] = 0;
		h[3] = (uint8_t)(n >> 8);
		h[4] = (uint8_t)n;
		raw(pk, h, 5);
	} else if (map)
		msgpack_pack_map(pk, n);
	else
		msgpack_pack_array(pk, n);
}

static size_t gen_budget;	/* values left for this document */

static void
gen_value(msgpack_packer *pk, int depth)
{
	size_t	 n, i;
	int	 kind;

	if (gen_budget > 0)
		gen_budget--;
	kind = (int)below(depth >= 8 || gen_budget == 0 ? 7 : 10);
	switch (kind) {
	case 0: msgpack_pack_nil(pk); return;
	case 1:
		if (coin(50))
			msgpack_pack_true(pk);
		else
			msgpack_pack_false(pk);
		return;
	case 2: gen_int(pk); return;
	case 3: msgpack_pack_double(pk, gen_double()); return;
	case 4:
		if (coin(25))
			msgpack_pack_float(pk, gen_float());
		else
			msgpack_pack_double(pk, gen_double());
		return;
	case 5: case 6: gen_str(pk, 0); return;
	default:
		n = coin(10) ? 0 : below(coin(5) ? 40 : 6);
		if (n > gen_budget)
			n = gen_budget;
		if (kind == 9) {
			container_hdr(pk, n, 1);
			for (i = 0; i < n; i++) {
				gen_str(pk, 1);
				gen_value(pk, depth + 1);
			}
		} else {
			container_hdr(pk, n, 0);
			for (i = 0; i < n; i++)
				gen_value(pk, depth + 1);
		}
		return;
	}
}

/* ---- comparison ---- */

static int
is_int(const msgpack_object *o)
{
	return o->type == MSGPACK_OBJECT_POSITIVE_INTEGER ||
	    o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER;
}

/* int_eq: both integers of the same value (a non-negative value may be
 * either type: msgpack-c gives NEGATIVE_INTEGER only for < 0). */
static int
int_eq(const msgpack_object *a, const msgpack_object *b)
{
	int an = a->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && a->via.i64 < 0;
	int bn = b->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && b->via.i64 < 0;

	if (an != bn)
		return 0;
	return a->via.u64 == b->via.u64;	/* same bits either way */
}

/*
 * int_is_double: integer o stands for the double d: d is integral, not
 * -0.0, and o converted to double (rounded to nearest, as a JSON reader
 * reads the digits) is d bit for bit.  Needed because the shortest text
 * of 18446744073709549568.0 is "18446744073709550000", which the decoder
 * takes as that exact integer.
 */
static int
int_is_double(const msgpack_object *o, double d)
{
	double v;

	if (d != floor(d) || d2bits(d) == d2bits(-0.0))
		return 0;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && o->via.i64 < 0)
		v = (double)o->via.i64;
	else
		v = (double)o->via.u64;
	return d2bits(v) == d2bits(d);
}

static int obj_eq(const msgpack_object *, const msgpack_object *);

/* int_is_float: the same for a float32 ("8372526000000" for
 * 8372525989888.0f): o rounded to float32 is f. */
static int
int_is_float(const msgpack_object *o, float f)
{
	float v;

	if (f != floorf(f) || f2bits(f) == f2bits(-0.0f))
		return 0;
	if (o->type == MSGPACK_OBJECT_NEGATIVE_INTEGER && o->via.i64 < 0)
		v = (float)o->via.i64;
	else
		v = (float)o->via.u64;
	return f2bits(v) == f2bits(f);
}

static int
obj_eq1(const msgpack_object *a, const msgpack_object *b)
{
	uint32_t i;

	if (a->type == MSGPACK_OBJECT_FLOAT64) {
		if (b->type == MSGPACK_OBJECT_FLOAT64)
			return d2bits(a->via.f64) == d2bits(b->via.f64);
		return is_int(b) && int_is_double(b, a->via.f64);
	}
	if (a->type == MSGPACK_OBJECT_FLOAT32) {
		float f = (float)a->via.f64;

		if (b->type == MSGPACK_OBJECT_FLOAT64)
			return f2bits((float)b->via.f64) == f2bits(f);
		return is_int(b) && int_is_float(b, f);
	}
	if (is_int(a))
		return is_int(b) ? int_eq(a, b) :
		    b->type == MSGPACK_OBJECT_FLOAT64 &&
		    int_is_double(a, b->via.f64);
	if (a->type != b->type)
		return 0;
	switch (a->type) {
	case MSGPACK_OBJECT_NIL:
		return 1;
	case MSGPACK_OBJECT_BOOLEAN:
		return a->via.boolean == b->via.boolean;
	case MSGPACK_OBJECT_STR:
		return a->via.str.size == b->via.str.size &&
		    (a->via.str.size == 0 || memcmp(a->via.str.ptr, b->via.str.ptr,
		    a->via.str.size) == 0);
	case MSGPACK_OBJECT_ARRAY:
		if (a->via.array.size != b->via.array.size)
			return 0;
		for (i = 0; i < a->via.array.size; i++)
			if (!obj_eq(&a->via.array.ptr[i], &b->via.array.ptr[i]))
				return 0;
		return 1;
	case MSGPACK_OBJECT_MAP:
		if (a->via.map.size != b->via.map.size)
			return 0;
		for (i = 0; i < a->via.map.size; i++)
			if (!obj_eq(&a->via.map.ptr[i].key,
			    &b->via.map.ptr[i].key) ||
			    !obj_eq(&a->via.map.ptr[i].val,
			    &b->via.map.ptr[i].val))
				return 0;
		return 1;
	default:
		return 0;
	}
}

static int report_diff;	/* print the first pair that differs */

static int
obj_eq(const msgpack_object *a, const msgpack_object *b)
{
	if (obj_eq1(a, b))
		return 1;
	if (report_diff && a->type != MSGPACK_OBJECT_ARRAY &&
	    a->type != MSGPACK_OBJECT_MAP) {
		fprintf(stderr, "first difference: ");
		msgpack_object_print(stderr, *a);
		fprintf(stderr, " (type %d) vs ", a->type);
		msgpack_object_print(stderr, *b);
		fprintf(stderr, " (type %d)\n", b->type);
		report_diff = 0;
	}
	return 0;
}

/* mp_eq: a and b each hold exactly one object, and they are equal. */
static int
mp_eq(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	msgpack_unpacked ua, ub;
	size_t		 oa = 0, ob = 0;
	int		 ok;

	msgpack_unpacked_init(&ua);
	msgpack_unpacked_init(&ub);
	ok = msgpack_unpack_next(&ua, (const char *)a, alen, &oa) ==
	    MSGPACK_UNPACK_SUCCESS && oa == alen &&
	    msgpack_unpack_next(&ub, (const char *)b, blen, &ob) ==
	    MSGPACK_UNPACK_SUCCESS && ob == blen &&
	    obj_eq(&ua.data, &ub.data);
	msgpack_unpacked_destroy(&ua);
	msgpack_unpacked_destroy(&ub);
	return ok;
}

static void
dump(const char *what, const uint8_t *p, size_t n)
{
	size_t i;

	fprintf(stderr, "%s (%zu bytes):", what, n);
	for (i = 0; i < n && i < 400; i++)
		fprintf(stderr, " %02x", p[i]);
	fprintf(stderr, "%s\n", n > 400 ? " ..." : "");
}

/* ---- property 1: decode(encode(v)) == v ---- */

static struct fp_buf text, back;

static int
roundtrip(const uint8_t *mp, size_t n, const struct fp_json_enc_options *eo)
{
	struct fp_json_enc_result	 r;
	struct fp_json_dec_error	 de;
	char			 err[128];

	text.off = text.len = 0;
	back.off = back.len = 0;
	if (fp_json_encode(mp, n, eo, &text, &r, err, sizeof err) != 0) {
		fprintf(stderr, "encode failed: %s\n", err);
		dump("value", mp, n);
		return 0;
	}
	if (r.truncated || r.len != r.full_len ||
	    r.len != fp_buf_unread(&text)) {
		fprintf(stderr, "encode: len %zu full %zu truncated %d\n",
		    r.len, r.full_len, r.truncated);
		return 0;
	}
	if (fp_json_decode(fp_buf_head(&text), fp_buf_unread(&text), NULL, &back,
	    &de) != 0) {
		fprintf(stderr, "decode failed at %zu: %s\n", de.offset,
		    de.msg);
		dump("value", mp, n);
		fprintf(stderr, "text: %.*s\n", (int)(fp_buf_unread(&text) <
		    2000 ? fp_buf_unread(&text) : 2000), fp_buf_head(&text));
		return 0;
	}
	if (!mp_eq(mp, n, fp_buf_head(&back), fp_buf_unread(&back))) {
		report_diff = 1;
		(void)mp_eq(mp, n, fp_buf_head(&back), fp_buf_unread(&back));
		report_diff = 0;
		fprintf(stderr, "round trip differs\n");
		dump("value", mp, n);
		dump("back", fp_buf_head(&back), fp_buf_unread(&back));
		fprintf(stderr, "text: %.*s\n", (int)(fp_buf_unread(&text) <
		    2000 ? fp_buf_unread(&text) : 2000), fp_buf_head(&text));
		return 0;
	}
	return 1;
}

static void
test_generated(int count)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	struct fp_json_enc_options	 eo;
	int			 i, bad = 0, first_bad = -1;
	size_t			 total = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (i = 0; i < count; i++) {
		msgpack_sbuffer_clear(&sb);
		gen_budget = coin(10) ? 2000 : 60;
		gen_value(&pk, 1);
		fp_json_enc_options_init(&eo);
		switch (i % 6) {
		case 1: eo.indent = 1 + (int)below(JSON_INDENT_MAX); break;
		case 2: eo.ascii = 1; break;
		case 3: eo.utf8 = JSON_UTF8_ERROR; eo.nan = JSON_NAN_ERROR;
			break;
		case 4: eo.indent = 2; eo.ascii = 1; break;
		case 5: eo.max_size = sb.size * 20 + 1000;
			eo.truncate = 1; break;	/* never reached */
		}
		total += sb.size;
		if (!roundtrip((const uint8_t *)sb.data, sb.size, &eo)) {
			if (first_bad < 0)
				first_bad = i;
			if (++bad >= 5)
				break;
		}
	}
	if (bad)
		fprintf(stderr, "generated: %d failures, first at #%d\n", bad,
		    first_bad);
	CHECK(bad == 0);
	CHECK(total > 0);
	msgpack_sbuffer_destroy(&sb);
}

/* Every single scalar kind once more, at the top level and in an array. */
static void
test_scalars(void)
{
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	int		 i, bad = 0;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (i = 0; i < 20000; i++) {
		msgpack_sbuffer_clear(&sb);
		if (i & 1)
			msgpack_pack_array(&pk, 1);
		switch (i % 5) {
		case 0: case 1: gen_int(&pk); break;
		case 2: msgpack_pack_double(&pk, gen_double()); break;
		case 3: msgpack_pack_float(&pk, gen_float()); break;
		default: gen_str(&pk, 0); break;
		}
		if (!roundtrip((const uint8_t *)sb.data, sb.size, NULL) &&
		    ++bad >= 5)
			break;
	}
	CHECK(bad == 0);
	msgpack_sbuffer_destroy(&sb);
}

/* Deep nesting, up to the default depth limit exactly. */
static void
test_deep(void)
{
	struct fp_json_enc_result r;
	msgpack_sbuffer	 sb;
	msgpack_packer	 pk;
	int		 i;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	for (i = 0; i < JSON_DEPTH_DEFAULT - 1; i++) {
		if (i & 1) {
			msgpack_pack_map(&pk, 1);
			msgpack_pack_str_with_body(&pk, "k", 1);
		} else
			msgpack_pack_array(&pk, 1);
	}
	msgpack_pack_array(&pk, 0);
	/* msgpack_unpack() stops at depth 32 (MSGPACK_EMBED_STACK_SIZE), so
	 * compare bytes: the input is already in the smallest encoding. */
	text.off = text.len = back.off = back.len = 0;
	CHECK(fp_json_encode((const uint8_t *)sb.data, sb.size, NULL, &text,
	    &r, NULL, 0) == 0);
	CHECK(fp_json_decode(fp_buf_head(&text), fp_buf_unread(&text), NULL, &back,
	    NULL) == 0);
	CHECK(fp_buf_unread(&back) == sb.size && memcmp(fp_buf_head(&back),
	    sb.data, sb.size) == 0);
	/* one level more is refused by both sides */
	msgpack_sbuffer_clear(&sb);
	for (i = 0; i < JSON_DEPTH_DEFAULT; i++)
		msgpack_pack_array(&pk, 1);
	msgpack_pack_array(&pk, 0);
	text.off = text.len = 0;
	CHECK(fp_json_encode((const uint8_t *)sb.data, sb.size, NULL, &text,
	    &r, NULL, 0) == -1 && r.error == JSON_E_DEPTH);
	msgpack_sbuffer_destroy(&sb);
}

/* ---- property 3: sort_keys ---- */

static int
key_cmp(const msgpack_object *a, const msgpack_object *b)
{
	uint32_t na = a->via.str.size, nb = b->via.str.size;
	int	 c;

	/* msgpack-c gives an empty str a NULL ptr */
	c = na == 0 || nb == 0 ? 0 :
	    memcmp(a->via.str.ptr, b->via.str.ptr, na < nb ? na : nb);
	return c != 0 ? c : na < nb ? -1 : na > nb;
}

/*
 * sort_members: the reference order, applied in place (msgpack_unpack()
 * nests at most 32 deep, the generator 10: recursion is fine here).
 * Counts the maps it had to reorder in *moved.
 */
static void
sort_members(msgpack_object *o, int *moved)
{
	msgpack_object_kv kv;
	uint32_t	 i, j;
	int		 m = 0;

	if (o->type == MSGPACK_OBJECT_ARRAY)
		for (i = 0; i < o->via.array.size; i++)
			sort_members(&o->via.array.ptr[i], moved);
	if (o->type != MSGPACK_OBJECT_MAP)
		return;
	for (i = 0; i < o->via.map.size; i++)
		sort_members(&o->via.map.ptr[i].val, moved);
	for (i = 1; i < o->via.map.size; i++) {
		kv = o->via.map.ptr[i];
		for (j = i; j > 0 && key_cmp(&o->via.map.ptr[j - 1].key,
		    &kv.key) > 0; j--) {
			o->via.map.ptr[j] = o->via.map.ptr[j - 1];
			m = 1;
		}
		o->via.map.ptr[j] = kv;
	}
	*moved += m;
}

static void
test_sorted(int count)
{
	msgpack_sbuffer		 sb;
	msgpack_packer		 pk;
	msgpack_unpacked	 ua, ub;
	struct fp_json_enc_options	 eo;
	struct fp_json_enc_result	 r;
	size_t			 oa, ob;
	int			 i, bad = 0, moved = 0, ok;

	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	msgpack_unpacked_init(&ua);
	msgpack_unpacked_init(&ub);
	for (i = 0; i < count && bad < 5; i++) {
		msgpack_sbuffer_clear(&sb);
		gen_budget = coin(10) ? 2000 : 60;
		gen_value(&pk, 1);
		fp_json_enc_options_init(&eo);
		eo.sort_keys = 1;
		eo.indent = i % 3 == 1 ? 2 : 0;
		eo.ascii = i % 4 == 2;
		text.off = text.len = back.off = back.len = 0;
		oa = ob = 0;
		ok = fp_json_encode((const uint8_t *)sb.data, sb.size, &eo, &text,
		    &r, NULL, 0) == 0 &&
		    fp_json_decode(fp_buf_head(&text), fp_buf_unread(&text), NULL,
		    &back, NULL) == 0 &&
		    msgpack_unpack_next(&ua, sb.data, sb.size, &oa) ==
		    MSGPACK_UNPACK_SUCCESS &&
		    msgpack_unpack_next(&ub, (const char *)fp_buf_head(&back),
		    fp_buf_unread(&back), &ob) == MSGPACK_UNPACK_SUCCESS;
		if (ok) {
			sort_members(&ua.data, &moved);
			ok = obj_eq(&ua.data, &ub.data);
		}
		if (!ok) {
			bad++;
			dump("value", (const uint8_t *)sb.data, sb.size);
			fprintf(stderr, "sorted text: %.*s\n",
			    (int)(fp_buf_unread(&text) < 2000 ?
			    fp_buf_unread(&text) : 2000), fp_buf_head(&text));
		}
	}
	CHECK(bad == 0);
	/* The property is not vacuous: many maps needed sorting. */
	CHECK(moved > count / 10);
	msgpack_unpacked_destroy(&ua);
	msgpack_unpacked_destroy(&ub);
	msgpack_sbuffer_destroy(&sb);
}

/* ---- property 2: encode(decode(.)) reaches a fixed point ---- */

static const char *const texts[] = {
	"null", "true", "false", "0", "-0", "1", "-1", "1.0", "-1.0", "2e0",
	"0.1", "1e-7", "1e-6", "1e21", "1e20", "123456789012345678901",
	"18446744073709551615", "18446744073709551616", "-9223372036854775808",
	"-9223372036854775809", "9223372036854775807", "9223372036854775808",
	"5e-324", "4e-324", "1e-400", "-1e-400", "1.7976931348623157e308",
	"2.2250738585072011e-308", "0.30000000000000004", "1E+2", "1e-0",
	"3.14159265358979323846264338327950288", "100000000000000000000000",
	"\"\"", "\"a\\\"b\\\\c\\/d\"", "\"\\b\\f\\n\\r\\t\"",
	"\"\\u0000\\u001f\\u007f\\u0080\"", "\"\\u2028\\u2029\"",
	"\"\\uD83D\\uDE00\"", "\"\\ud800\\udc00\\udbff\\udfff\"",
	"\"h\xc3\xa9llo \xe2\x82\xac \xf0\x9f\x98\x80\"",
	"\"\xe2\x80\xa8\xe2\x80\xa9\xef\xbb\xbf\xef\xbf\xbd\"",
	"[]", "{}", "[[]]", "[{}]", "{\"\":{}}", " [ 1 , 2 , 3 ] ",
	"{\"a\":1,\"b\":[true,false,null],\"c\":{\"d\":\"e\"}}",
	"{\"a\":1,\"a\":2}", "{\"a\":1,\"\\u0061\":2}",
	"[1.5,-0.0,0.0,1e2,-1e-2,12345678901234567890]",
	"[[[[[[[[[[[[[[[[[[[[1]]]]]]]]]]]]]]]]]]]]",
	"{\"x\":{\"y\":{\"z\":[{\"w\":[null]}]}}}",
	"\t\r\n{\r\n\t\"k\" :\t\"v\"\n}\n",
};

/* fixed_point: t2 = enc(dec(t)); enc(dec(t2)) == t2; dec(t2) ~ dec(t). */
static int
fixed_point(const char *t, const struct fp_json_enc_options *eo)
{
	struct fp_buf		 mp1 = {0}, t2 = {0}, mp2 = {0}, t3 = {0};
	struct fp_json_enc_result	 r;
	struct fp_json_dec_error	 de;
	int			 ok = 0;

	if (fp_json_decode((const uint8_t *)t, strlen(t), NULL, &mp1, &de) != 0)
		fprintf(stderr, "%s: decode: %s\n", t, de.msg);
	else if (fp_json_encode(fp_buf_head(&mp1), fp_buf_unread(&mp1), eo, &t2, &r,
	    NULL, 0) != 0)
		fprintf(stderr, "%s: encode error %d\n", t, r.error);
	else if (fp_json_decode(fp_buf_head(&t2), fp_buf_unread(&t2), NULL, &mp2,
	    &de) != 0)
		fprintf(stderr, "%s: decode of %.*s: %s\n", t,
		    (int)fp_buf_unread(&t2), fp_buf_head(&t2), de.msg);
	else if (fp_json_encode(fp_buf_head(&mp2), fp_buf_unread(&mp2), eo, &t3, &r,
	    NULL, 0) != 0)
		fprintf(stderr, "%s: second encode error %d\n", t, r.error);
	else if (fp_buf_unread(&t2) != fp_buf_unread(&t3) || memcmp(fp_buf_head(&t2),
	    fp_buf_head(&t3), fp_buf_unread(&t2)) != 0)
		fprintf(stderr, "%s: not a fixed point: %.*s then %.*s\n", t,
		    (int)fp_buf_unread(&t2), fp_buf_head(&t2),
		    (int)fp_buf_unread(&t3), fp_buf_head(&t3));
	else if (!mp_eq(fp_buf_head(&mp1), fp_buf_unread(&mp1), fp_buf_head(&mp2),
	    fp_buf_unread(&mp2)))
		fprintf(stderr, "%s: value changed through %.*s\n", t,
		    (int)fp_buf_unread(&t2), fp_buf_head(&t2));
	else
		ok = 1;
	fp_buf_free(&mp1);
	fp_buf_free(&t2);
	fp_buf_free(&mp2);
	fp_buf_free(&t3);
	return ok;
}

static void
test_fixed_points(void)
{
	struct fp_json_enc_options	 eo[3];
	size_t			 i, j;

	fp_json_enc_options_init(&eo[0]);
	fp_json_enc_options_init(&eo[1]);
	eo[1].indent = 4;
	fp_json_enc_options_init(&eo[2]);
	eo[2].ascii = 1;
	for (i = 0; i < sizeof texts / sizeof texts[0]; i++)
		for (j = 0; j < 3; j++)
			CHECK(fixed_point(texts[i], &eo[j]));
}

/* The comparator itself: what it must accept and reject. */
static void
test_comparator(void)
{
	msgpack_sbuffer	 a, b;
	msgpack_packer	 pa, pb;

	msgpack_sbuffer_init(&a);
	msgpack_sbuffer_init(&b);
	msgpack_packer_init(&pa, &a, msgpack_sbuffer_write);
	msgpack_packer_init(&pb, &b, msgpack_sbuffer_write);
#define PAIR(x, y, want) do {						\
	msgpack_sbuffer_clear(&a);					\
	msgpack_sbuffer_clear(&b);					\
	x; y;								\
	CHECK(mp_eq((uint8_t *)a.data, a.size, (uint8_t *)b.data,	\
	    b.size) == (want));						\
} while (0)
	PAIR(msgpack_pack_fix_uint64(&pa, 5), msgpack_pack_int(&pb, 5), 1);
	PAIR(msgpack_pack_fix_int64(&pa, -5), msgpack_pack_int(&pb, -5), 1);
	PAIR(msgpack_pack_int(&pa, -5), msgpack_pack_int(&pb, 5), 0);
	PAIR(msgpack_pack_uint64(&pa, UINT64_MAX),
	    msgpack_pack_int64(&pb, -1), 0);
	PAIR(msgpack_pack_double(&pa, 2.0), msgpack_pack_int(&pb, 2), 1);
	PAIR(msgpack_pack_double(&pa, 2.5), msgpack_pack_int(&pb, 2), 0);
	PAIR(msgpack_pack_double(&pa, -0.0), msgpack_pack_int(&pb, 0), 0);
	PAIR(msgpack_pack_double(&pa, -0.0), msgpack_pack_double(&pb, 0.0),
	    0);
	/* digits that read back as the same double are the same number */
	PAIR(msgpack_pack_double(&pa, 18446744073709549568.0),
	    msgpack_pack_uint64(&pb, 18446744073709550000ULL), 1);
	PAIR(msgpack_pack_double(&pa, 18446744073709549568.0),
	    msgpack_pack_uint64(&pb, 18446744073709547520ULL), 0);
	PAIR(msgpack_pack_double(&pa, 4.0), msgpack_pack_int(&pb, 5), 0);
	PAIR(msgpack_pack_float(&pa, 8372525989888.0f),
	    msgpack_pack_uint64(&pb, 8372526000000ULL), 1);
	PAIR(msgpack_pack_float(&pa, 0.1f), msgpack_pack_double(&pb, 0.1), 1);
	PAIR(msgpack_pack_float(&pa, 0.1f), msgpack_pack_double(&pb, 0.2), 0);
	PAIR(msgpack_pack_str_with_body(&pa, "ab", 2),
	    msgpack_pack_str_with_body(&pb, "ab", 2), 1);
	PAIR(msgpack_pack_str_with_body(&pa, "ab", 2),
	    msgpack_pack_str_with_body(&pb, "ba", 2), 0);
	PAIR((msgpack_pack_map(&pa, 2), msgpack_pack_str_with_body(&pa, "a", 1),
	    msgpack_pack_nil(&pa), msgpack_pack_str_with_body(&pa, "b", 1),
	    msgpack_pack_nil(&pa)),
	    (msgpack_pack_map(&pb, 2), msgpack_pack_str_with_body(&pb, "b", 1),
	    msgpack_pack_nil(&pb), msgpack_pack_str_with_body(&pb, "a", 1),
	    msgpack_pack_nil(&pb)), 0);	/* order matters */
	PAIR(msgpack_pack_true(&pa), msgpack_pack_false(&pb), 0);
#undef PAIR
	msgpack_sbuffer_destroy(&a);
	msgpack_sbuffer_destroy(&b);
}

int
main(int argc, char **argv)
{
	int count = 30000;

	if (argc > 1)
		count = atoi(argv[1]);
	if (getenv("FP_ROUNDTRIP_SEED") != NULL)
		rng_state = strtoull(getenv("FP_ROUNDTRIP_SEED"), NULL, 0) | 1;
	test_comparator();
	test_scalars();
	test_generated(count);
	test_sorted(count / 3);
	test_deep();
	test_fixed_points();
	fp_buf_free(&text);
	fp_buf_free(&back);
	return check_done("test_json_roundtrip");
}
