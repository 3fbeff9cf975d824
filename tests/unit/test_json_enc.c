/*
 * test_json_enc.c -- the JSON encoder: exact vectors for every documented
 * rule, a round-trip property check of the number printer, and a speed
 * print (not an assertion) on a W3-like dataset.
 */
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <msgpack.h>

#include "buf.h"
#include "json.h"

#include "check.h"

static msgpack_sbuffer		 sb;
static msgpack_packer		 pk;
static struct fp_json_enc_options	 O;
static struct fp_json_enc_result	 R;
static char			 ERR[256];
static char			*T;	/* last text, NUL-terminated */

static void
reset(void)
{
	msgpack_sbuffer_clear(&sb);
	fp_json_enc_options_init(&O);
}

static int
run(const void *mp, size_t n)
{
	struct fp_buf	 b = { 0 };
	int		 rv;

	free(T);
	T = NULL;
	rv = fp_json_encode(mp, n, &O, &b, &R, ERR, sizeof(ERR));
	if (rv == 0) {
		T = malloc(R.len + 1);
		memcpy(T, b.data + b.off, R.len);
		T[R.len] = '\0';
		if (b.len - b.off != R.len)
			rv = -2;
	} else if (b.len != b.off)
		rv = -3;
	fp_buf_free(&b);
	return rv;
}

/* is: the packed object encodes to `want'; resets the packer, options. */
static int
is(const char *want)
{
	int	 rv, ok;

	rv = run(sb.data, sb.size);
	ok = rv == 0 && strcmp(T, want) == 0;
	if (!ok)
		fprintf(stderr, "  got [%s] (rv %d, %s), want [%s]\n",
		    rv == 0 ? T : "", rv, ERR, want);
	reset();
	return ok;
}

/* fails: the packed object fails with `code' at offset `off' (-1: any). */
static int
fails(int code, long off)
{
	int	 rv, ok;

	rv = run(sb.data, sb.size);
	ok = rv == -1 && R.error == code &&
	    (off < 0 || R.error_off == (size_t)off);
	if (!ok)
		fprintf(stderr, "  rv %d error %d (%s) at %zu [%s], want %d"
		    " at %ld\n", rv, R.error, fp_json_errname(R.error),
		    R.error_off, ERR, code, off);
	reset();
	return ok;
}

static void
raw(const char *s, size_t n)
{
	msgpack_sbuffer_write(&sb, s, n);
}

#define RAW(s)	raw((s), sizeof(s) - 1)

static void
pstr(const char *s, size_t n)
{
	msgpack_pack_str(&pk, n);
	msgpack_pack_str_body(&pk, s, n);
}

#define PSTR(s)	pstr((s), sizeof(s) - 1)

static void
pbin(const char *s, size_t n)
{
	msgpack_pack_bin(&pk, n);
	msgpack_pack_bin_body(&pk, s, n);
}

static void
pts96(int64_t sec, uint32_t nsec)
{
	char	 d[12];
	uint64_t u = (uint64_t)sec;
	int	 i;

	for (i = 0; i < 4; i++)
		d[i] = (char)(nsec >> (24 - 8 * i));
	for (i = 0; i < 8; i++)
		d[4 + i] = (char)(u >> (56 - 8 * i));
	msgpack_pack_ext(&pk, 12, -1);
	msgpack_pack_ext_body(&pk, d, 12);
}

static void
test_scalars(void)
{
	msgpack_pack_nil(&pk);		CHECK(is("null"));
	msgpack_pack_true(&pk);		CHECK(is("true"));
	msgpack_pack_false(&pk);	CHECK(is("false"));
	msgpack_pack_int(&pk, 0);	CHECK(is("0"));
	msgpack_pack_int(&pk, 127);	CHECK(is("127"));
	msgpack_pack_int(&pk, -1);	CHECK(is("-1"));
	msgpack_pack_int(&pk, -32);	CHECK(is("-32"));
	msgpack_pack_int(&pk, -33);	CHECK(is("-33"));
	msgpack_pack_int(&pk, 255);	CHECK(is("255"));
	msgpack_pack_int(&pk, -128);	CHECK(is("-128"));
	msgpack_pack_int(&pk, 65535);	CHECK(is("65535"));
	msgpack_pack_int(&pk, -32768);	CHECK(is("-32768"));
	msgpack_pack_uint32(&pk, 4294967295U);	CHECK(is("4294967295"));
	msgpack_pack_int64(&pk, 4294967296LL);	CHECK(is("4294967296"));
	msgpack_pack_int32(&pk, INT32_MIN);	CHECK(is("-2147483648"));
	msgpack_pack_int64(&pk, INT64_MAX);
	CHECK(is("9223372036854775807"));
	msgpack_pack_int64(&pk, INT64_MIN);
	CHECK(is("-9223372036854775808"));
	msgpack_pack_uint64(&pk, UINT64_MAX);
	CHECK(is("18446744073709551615"));
	msgpack_pack_uint64(&pk, 9007199254740993ULL);
	CHECK(is("9007199254740993"));
	/* Non-minimal encodings are accepted. */
	RAW("\xcf\x00\x00\x00\x00\x00\x00\x00\x05");	CHECK(is("5"));
	RAW("\xd3\xff\xff\xff\xff\xff\xff\xff\xff");	CHECK(is("-1"));
	RAW("\xd0\x00");				CHECK(is("0"));
}

static int
dbl(double v, const char *want)
{
	msgpack_pack_double(&pk, v);
	return is(want);
}

static int
flt(float v, const char *want)
{
	msgpack_pack_float(&pk, v);
	return is(want);
}

static void
test_floats(void)
{
	CHECK(dbl(0.0, "0"));
	CHECK(dbl(-0.0, "-0"));
	CHECK(dbl(0.1, "0.1"));
	CHECK(dbl(-0.1, "-0.1"));
	CHECK(dbl(0.3, "0.3"));
	CHECK(dbl(0.1 + 0.2, "0.30000000000000004"));
	CHECK(dbl(1.0 / 3, "0.3333333333333333"));
	CHECK(dbl(1.0, "1"));
	CHECK(dbl(1.5, "1.5"));
	CHECK(dbl(12345.375, "12345.375"));
	CHECK(dbl(-0.125, "-0.125"));
	CHECK(dbl(100, "100"));
	CHECK(dbl(1e20, "100000000000000000000"));
	CHECK(dbl(1e21, "1e+21"));
	CHECK(dbl(1.5e21, "1.5e+21"));
	CHECK(dbl(123456789012345680.0, "123456789012345680"));
	CHECK(dbl(9007199254740992.0, "9007199254740992"));
	CHECK(dbl(9007199254740993.0 * 2, "18014398509481984"));
	CHECK(dbl(0.000001, "0.000001"));
	CHECK(dbl(0.0000015, "0.0000015"));
	CHECK(dbl(1e-7, "1e-7"));
	CHECK(dbl(1.5e-7, "1.5e-7"));
	CHECK(dbl(5e-324, "5e-324"));
	CHECK(dbl(-5e-324, "-5e-324"));
	CHECK(dbl(2.2250738585072014e-308, "2.2250738585072014e-308"));
	CHECK(dbl(1.7976931348623157e308, "1.7976931348623157e+308"));
	CHECK(dbl(1e300, "1e+300"));
	CHECK(dbl(123e-20, "1.23e-18"));
	CHECK(dbl(4.35, "4.35"));
	CHECK(dbl(0.07, "0.07"));
	CHECK(dbl(5e-7, "5e-7"));
	CHECK(dbl(2.5e-5, "0.000025"));

	CHECK(flt(0.0f, "0"));
	CHECK(flt(-0.0f, "-0"));
	CHECK(flt(0.1f, "0.1"));
	CHECK(flt(1.5f, "1.5"));
	CHECK(flt(-2.75f, "-2.75"));
	CHECK(flt(16777216.0f, "16777216"));
	CHECK(flt(123456789.0f, "123456790"));
	CHECK(flt(3.4028235e38f, "3.4028235e+38"));
	CHECK(flt(1e-45f, "1e-45"));
	CHECK(flt(1.17549435e-38f, "1.1754944e-38"));
	CHECK(flt(3.14159265f, "3.1415927"));
	CHECK(flt(1e10f, "10000000000"));

	/* NaN and Infinity, both policies. */
	CHECK(dbl(NAN, "null"));
	CHECK(dbl(INFINITY, "null"));
	CHECK(dbl(-INFINITY, "null"));
	CHECK(flt(NAN, "null"));
	O.nan = JSON_NAN_ERROR;
	msgpack_pack_double(&pk, NAN);
	CHECK(fails(JSON_E_NAN, 0));
	O.nan = JSON_NAN_ERROR;
	msgpack_pack_array(&pk, 2);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_float(&pk, -INFINITY);
	CHECK(fails(JSON_E_NAN, 2));
	msgpack_pack_array(&pk, 1);
	msgpack_pack_double(&pk, INFINITY);
	CHECK(is("[null]"));
}

static void
test_strings(void)
{
	PSTR("");			CHECK(is("\"\""));
	PSTR("hello");			CHECK(is("\"hello\""));
	PSTR("a\"b\\c/d");		CHECK(is("\"a\\\"b\\\\c/d\""));
	PSTR("\n\t\r\b\f");		CHECK(is("\"\\n\\t\\r\\b\\f\""));
	PSTR("\x01\x1f\x7f");		CHECK(is("\"\\u0001\\u001f\x7f\""));
	pstr("a\0b", 3);		CHECK(is("\"a\\u0000b\""));
	PSTR("x\xe2\x80\xa8y\xe2\x80\xa9");
	CHECK(is("\"x\\u2028y\\u2029\""));
	PSTR("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
	CHECK(is("\"caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\""));
	/* A long clean run, then escapes: the 8-byte scanner. */
	PSTR("0123456789abcdef0123456789abcdef\"0123456789abcdef\x1f");
	CHECK(is("\"0123456789abcdef0123456789abcdef\\\"0123456789abcdef"
	    "\\u001f\""));
	PSTR("01234567\x80");
	CHECK(is("\"01234567\xef\xbf\xbd\""));

	/* ascii */
	O.ascii = 1;
	PSTR("caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80 \xe2\x80\xa8");
	CHECK(is("\"caf\\u00e9 \\u20ac \\ud83d\\ude00 \\u2028\""));
	O.ascii = 1;
	PSTR("\xff");
	CHECK(is("\"\\ufffd\""));

	/* Invalid UTF-8, replaced: one U+FFFD per bad byte. */
	PSTR("\xff");			CHECK(is("\"\xef\xbf\xbd\""));
	PSTR("a\xc0\x80z");
	CHECK(is("\"a\xef\xbf\xbd\xef\xbf\xbdz\""));
	PSTR("\xed\xa0\x80");		/* surrogate U+D800 */
	CHECK(is("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
	PSTR("\xf4\x90\x80\x80");	/* U+110000 */
	CHECK(is("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
	PSTR("\xe0\x9f\xbf");		/* overlong U+07FF */
	CHECK(is("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
	PSTR("\xf0\x8f\xbf\xbf");	/* overlong U+FFFF */
	CHECK(is("\"\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\xef\xbf\xbd\""));
	PSTR("ab\xe2\x82");		/* cut at the end */
	CHECK(is("\"ab\xef\xbf\xbd\xef\xbf\xbd\""));
	PSTR("\xf4\x8f\xbf\xbf\xee\x80\x80");	/* U+10FFFF, U+E000 ok */
	CHECK(is("\"\xf4\x8f\xbf\xbf\xee\x80\x80\""));

	/* Invalid UTF-8, error at the bad byte. */
	O.utf8 = JSON_UTF8_ERROR;
	PSTR("a\xff");
	CHECK(fails(JSON_E_UTF8, 2));
	O.utf8 = JSON_UTF8_ERROR;
	msgpack_pack_array(&pk, 1);
	PSTR("xy\xed\xbf\xbf");
	CHECK(fails(JSON_E_UTF8, 4));
	O.utf8 = JSON_UTF8_ERROR;
	PSTR("ok \xc3\xa9");
	CHECK(is("\"ok \xc3\xa9\""));
}

/* A long string across the 4096-byte chunks, with a 4-byte character and
 * escapes on the boundary. */
static void
test_long_string(void)
{
	size_t	 n = 20000, i, j;
	char	*s = malloc(n), *w = malloc(6 * n + 3);

	for (i = 0; i < n; i++)
		s[i] = (char)('a' + i % 26);
	memcpy(s + 4094, "\xf0\x9f\x98\x80", 4);
	s[8191] = '\n';
	s[8192] = '"';
	memcpy(s + 12286, "\xe2\x80\xa8", 3);
	s[n - 1] = '\x01';
	j = 0;
	w[j++] = '"';
	for (i = 0; i < n; i++) {
		if (i == 8191) {
			memcpy(w + j, "\\n", 2);
			j += 2;
		} else if (i == 8192) {
			memcpy(w + j, "\\\"", 2);
			j += 2;
		} else if (i == 12286) {
			memcpy(w + j, "\\u2028", 6);
			j += 6;
			i += 2;
		} else if (i == n - 1) {
			memcpy(w + j, "\\u0001", 6);
			j += 6;
		} else
			w[j++] = s[i];
	}
	w[j++] = '"';
	w[j] = '\0';
	pstr(s, n);
	CHECK(is(w));
	free(s);
	free(w);
}

static void
test_bin(void)
{
	static const char *want[] = { "\"\"", "\"Zg==\"", "\"Zm8=\"",
	    "\"Zm9v\"", "\"Zm9vYg==\"", "\"Zm9vYmE=\"", "\"Zm9vYmFy\"" };
	char	*big;
	size_t	 i;

	for (i = 0; i < 7; i++) {
		pbin("foobar", i);
		CHECK(is(want[i]));
	}
	pbin("\xff\xfe\xfd\x00", 4);
	CHECK(is("\"//79AA==\""));
	big = calloc(1, 10001);
	pbin(big, 10001);
	CHECK(run(sb.data, sb.size) == 0 && R.len == (10001 + 2) / 3 * 4 + 2 &&
	    strncmp(T, "\"AAAA", 5) == 0 && strcmp(T + R.len - 4, "AA=\"") == 0);
	reset();
	free(big);
}

static void
test_keys(void)
{
	msgpack_pack_map(&pk, 1); PSTR("a"); msgpack_pack_int(&pk, 1);
	CHECK(is("{\"a\":1}"));
	msgpack_pack_map(&pk, 1); msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 2);
	CHECK(is("{\"1\":2}"));
	msgpack_pack_map(&pk, 2); msgpack_pack_int64(&pk, INT64_MIN);
	msgpack_pack_nil(&pk); msgpack_pack_uint64(&pk, UINT64_MAX);
	msgpack_pack_nil(&pk);
	CHECK(is("{\"-9223372036854775808\":null,"
	    "\"18446744073709551615\":null}"));
	msgpack_pack_map(&pk, 3); msgpack_pack_true(&pk); msgpack_pack_int(&pk, 1);
	msgpack_pack_false(&pk); msgpack_pack_int(&pk, 2);
	msgpack_pack_nil(&pk); msgpack_pack_int(&pk, 3);
	CHECK(is("{\"true\":1,\"false\":2,\"null\":3}"));
	msgpack_pack_map(&pk, 3); msgpack_pack_double(&pk, 1.5);
	msgpack_pack_int(&pk, 1); msgpack_pack_float(&pk, 0.1f);
	msgpack_pack_int(&pk, 2); msgpack_pack_double(&pk, NAN);
	msgpack_pack_int(&pk, 3);
	CHECK(is("{\"1.5\":1,\"0.1\":2,\"null\":3}"));
	msgpack_pack_map(&pk, 1); pbin("fo", 2); msgpack_pack_int(&pk, 1);
	CHECK(is("{\"Zm8=\":1}"));
	msgpack_pack_map(&pk, 1); PSTR("\n\xe2\x80\xa8"); msgpack_pack_int(&pk, 1);
	CHECK(is("{\"\\n\\u2028\":1}"));
	msgpack_pack_map(&pk, 2); PSTR("a"); msgpack_pack_int(&pk, 1);
	PSTR("a"); msgpack_pack_int(&pk, 2);
	CHECK(is("{\"a\":1,\"a\":2}"));

	O.nan = JSON_NAN_ERROR;
	msgpack_pack_map(&pk, 1); msgpack_pack_double(&pk, INFINITY);
	msgpack_pack_int(&pk, 3);
	CHECK(fails(JSON_E_NAN, 1));
	msgpack_pack_map(&pk, 1); msgpack_pack_array(&pk, 0);
	msgpack_pack_int(&pk, 1);
	CHECK(fails(JSON_E_KEY, 1));
	msgpack_pack_map(&pk, 2); PSTR("k"); msgpack_pack_int(&pk, 1);
	msgpack_pack_map(&pk, 0); msgpack_pack_int(&pk, 1);
	CHECK(fails(JSON_E_KEY, 4));
	msgpack_pack_map(&pk, 1); pts96(0, 0); msgpack_pack_int(&pk, 1);
	CHECK(fails(JSON_E_KEY, 1));
	msgpack_pack_map(&pk, 1); msgpack_pack_ext(&pk, 1, 5);
	msgpack_pack_ext_body(&pk, "x", 1); msgpack_pack_int(&pk, 1);
	CHECK(fails(JSON_E_KEY, 1));
}

static void
test_ext(void)
{
	msgpack_pack_ext(&pk, 4, -1);
	msgpack_pack_ext_body(&pk, "\0\0\0\0", 4);
	CHECK(is("\"1970-01-01T00:00:00Z\""));
	msgpack_pack_ext(&pk, 4, -1);
	msgpack_pack_ext_body(&pk, "\xff\xff\xff\xff", 4);
	CHECK(is("\"2106-02-07T06:28:15Z\""));
	/* timestamp 64: nsec 500000000 << 34 | sec 1 */
	{
		uint64_t v = (uint64_t)500000000 << 34 | 1;
		char	 d[8];
		int	 i;

		for (i = 0; i < 8; i++)
			d[i] = (char)(v >> (56 - 8 * i));
		msgpack_pack_ext(&pk, 8, -1);
		msgpack_pack_ext_body(&pk, d, 8);
		CHECK(is("\"1970-01-01T00:00:01.5Z\""));
		v = (uint64_t)999999999 << 34 | 0x3ffffffffULL;
		for (i = 0; i < 8; i++)
			d[i] = (char)(v >> (56 - 8 * i));
		msgpack_pack_ext(&pk, 8, -1);
		msgpack_pack_ext_body(&pk, d, 8);
		CHECK(is("\"2514-05-30T01:53:03.999999999Z\""));
		v = (uint64_t)1000000000 << 34;
		for (i = 0; i < 8; i++)
			d[i] = (char)(v >> (56 - 8 * i));
		msgpack_pack_ext(&pk, 8, -1);
		msgpack_pack_ext_body(&pk, d, 8);
		CHECK(fails(JSON_E_EXT, 0));
	}
	pts96(0, 1);
	CHECK(is("\"1970-01-01T00:00:00.000000001Z\""));
	pts96(-1, 0);
	CHECK(is("\"1969-12-31T23:59:59Z\""));
	pts96(-1, 250000000);
	CHECK(is("\"1969-12-31T23:59:59.25Z\""));
	pts96(951782400, 0);
	CHECK(is("\"2000-02-29T00:00:00Z\""));
	pts96(-62135596800LL, 0);
	CHECK(is("\"0001-01-01T00:00:00Z\""));
	pts96(-62167219200LL, 0);
	CHECK(is("\"0000-01-01T00:00:00Z\""));
	pts96(-62167219201LL, 0);
	CHECK(is("\"-000001-12-31T23:59:59Z\""));
	pts96(253402300799LL, 0);
	CHECK(is("\"9999-12-31T23:59:59Z\""));
	pts96(8640000000000LL, 0);
	CHECK(is("\"+275760-09-13T00:00:00Z\""));
	pts96(INT64_MAX, 999999999);
	CHECK(run(sb.data, sb.size) == 0 && T[1] == '+'); reset();
	pts96(INT64_MIN, 0);
	CHECK(run(sb.data, sb.size) == 0 && T[1] == '-'); reset();
	pts96(0, 1000000000);
	CHECK(fails(JSON_E_EXT, 0));
	msgpack_pack_ext(&pk, 5, -1);
	msgpack_pack_ext_body(&pk, "12345", 5);
	CHECK(fails(JSON_E_EXT, 0));
	msgpack_pack_array(&pk, 2);
	msgpack_pack_nil(&pk);
	msgpack_pack_ext(&pk, 2, 7);
	msgpack_pack_ext_body(&pk, "ab", 2);
	CHECK(fails(JSON_E_EXT, 2));
}

static void
test_depth(void)
{
	size_t	 n = 100000, i;
	char	*s = malloc(n + 1);

	memset(s, '\x91', n);
	s[n] = '\xc0';
	raw(s, n + 1);
	CHECK(fails(JSON_E_DEPTH, 512));
	O.max_depth = 200000;
	raw(s, n + 1);
	CHECK(run(sb.data, sb.size) == 0 && R.len == 2 * n + 4 &&
	    T[n - 1] == '[' && T[n] == 'n' && T[2 * n + 3] == ']');
	reset();
	/* 512 levels ok, 513 not; empty containers count. */
	raw(s + n - 511, 512);
	CHECK(run(sb.data, sb.size) == 0); reset();
	memset(s, '\x91', n);
	raw(s, 512);
	RAW("\x90");
	CHECK(fails(JSON_E_DEPTH, 512));
	O.max_depth = 1;
	RAW("\x91\x90");
	CHECK(fails(JSON_E_DEPTH, 1));
	O.max_depth = 1;
	RAW("\x92\x01\x02");
	CHECK(is("[1,2]"));
	/* Hostile maps too. */
	for (i = 0; i < n; i++)
		s[i] = (char)(i % 2 ? '\xa0' : '\x81');
	raw(s, n);
	CHECK(fails(JSON_E_DEPTH, 1024));
	free(s);
}

static void
test_malformed(void)
{
	CHECK(fails(JSON_E_MALFORMED, 0));		/* empty */
	RAW("\xc1");		CHECK(fails(JSON_E_MALFORMED, 0));
	RAW("\x92\x01\xc1");	CHECK(fails(JSON_E_MALFORMED, 2));
	RAW("\xc0\xc0");	CHECK(fails(JSON_E_MALFORMED, 1));
	RAW("\x92\x01");	CHECK(fails(JSON_E_MALFORMED, 2));
	RAW("\xa5" "ab");	CHECK(fails(JSON_E_MALFORMED, 3));
	RAW("\xcb\x00\x00");	CHECK(fails(JSON_E_MALFORMED, 3));
	RAW("\xdc\x00");	CHECK(fails(JSON_E_MALFORMED, 2));
	RAW("\xdd\xff\xff\xff\xff");	CHECK(fails(JSON_E_MALFORMED, 5));
	RAW("\x81\xa1" "a");	CHECK(fails(JSON_E_MALFORMED, 3));
	RAW("\xc6\xff\xff\xff\xff");	CHECK(fails(JSON_E_MALFORMED, 5));
	RAW("\xd8\xff" "abc");	CHECK(fails(JSON_E_MALFORMED, 5));
	O.indent = 17;
	RAW("\xc0");		CHECK(fails(JSON_E_INVAL, 0));
	CHECK(strcmp(fp_json_errname(JSON_E_TOO_LARGE), "too_large") == 0);
}

static void
pack_sample(void)
{
	msgpack_pack_map(&pk, 3);
	PSTR("a");
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 2);
	msgpack_pack_map(&pk, 0);
	PSTR("b");
	msgpack_pack_map(&pk, 2);
	PSTR("c");
	msgpack_pack_array(&pk, 0);
	PSTR("d");
	msgpack_pack_array(&pk, 1);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_nil(&pk);
	PSTR("e");
	PSTR("x");
}

static void
test_pretty(void)
{
	pack_sample();
	CHECK(is("{\"a\":[1,2,{}],\"b\":{\"c\":[],\"d\":[[null]]},\"e\":\"x\"}"));
	O.indent = 2;
	pack_sample();
	CHECK(is("{\n  \"a\": [\n    1,\n    2,\n    {}\n  ],\n  \"b\": {\n"
	    "    \"c\": [],\n    \"d\": [\n      [\n        null\n      ]\n"
	    "    ]\n  },\n  \"e\": \"x\"\n}"));
	O.indent = 1;
	msgpack_pack_array(&pk, 0);
	CHECK(is("[]"));
	O.indent = 4;
	msgpack_pack_map(&pk, 1);
	msgpack_pack_int(&pk, 7);
	msgpack_pack_true(&pk);
	CHECK(is("{\n    \"7\": true\n}"));
}

/* sb = [[...[0 x n]...]], the zeros `depth' arrays deep. */
static void
pack_deep_wide(int depth, uint32_t n)
{
	uint32_t i;
	int	 d;

	msgpack_sbuffer_clear(&sb);
	for (d = 1; d < depth; d++)
		msgpack_pack_array(&pk, 1);
	msgpack_pack_array(&pk, n);
	for (i = 0; i < n; i++)
		msgpack_pack_int(&pk, 0);
}

/* A random value into sb: nested arrays and maps of small scalars. */
static void
pack_random(unsigned *seed, int depth)
{
	int	 k = (int)(rand_r(seed) % (depth > 6 ? 4 : 7)), n, i;

	switch (k) {
	case 0: msgpack_pack_int(&pk, (int)(rand_r(seed) % 100000)); break;
	case 1: msgpack_pack_nil(&pk); break;
	case 2: PSTR("s\n\xe2\x82\xac"); break;
	case 3: msgpack_pack_double(&pk, 0.5); break;
	case 4: case 5:
		n = (int)(rand_r(seed) % 4);
		msgpack_pack_array(&pk, (uint32_t)n);
		for (i = 0; i < n; i++)
			pack_random(seed, depth + 1);
		break;
	default:
		n = (int)(rand_r(seed) % 4);
		msgpack_pack_map(&pk, (uint32_t)n);
		for (i = 0; i < n; i++) {
			msgpack_pack_int(&pk, i);
			pack_random(seed, depth + 1);
		}
	}
}

/* The length of that as JSON.stringify(v, null, 16) writes it. */
static uint64_t
deep_wide_len(uint64_t depth, uint64_t n)
{
	uint64_t k, len = 0;

	for (k = 0; k + 1 < depth; k++)
		len += 4 + 32 * k + 16;
	return len + 3 + n * (2 + 16 * depth) + (n - 1) + 16 * (depth - 1);
}

static void
deep_pretty(void)
{
	struct fp_buf	 b = { 0 };
	struct timespec	 t0, t1;
	size_t		 full, m;
	double		 dt;
	uint32_t	 n, i;
	unsigned	 seed, st;
	int		 rv, d, sk;

	/* Exact against a full encode, the cut anywhere. */
	pack_deep_wide(40, 30);
	O.indent = 16;
	O.max_depth = 1000;
	CHECK(run(sb.data, sb.size) == 0 && R.len == deep_wide_len(40, 30));
	full = R.len;
	for (m = 1; m < full; m += 97) {
		O.indent = 16;
		O.max_depth = 1000;
		O.max_size = m;
		O.truncate = 1;
		rv = run(sb.data, sb.size);
		CHECK(rv == 0 && R.truncated && R.full_len == full &&
		    R.len == m);
	}

	/*
	 * The bound never passes the real length: max_size = the length
	 * takes the text, one byte less refuses it, sorted or not, with
	 * strings and maps that the bound does not count.
	 */
	for (d = 1; d <= 12; d++)
		for (n = 1; n <= 4; n++)
			for (sk = 0; sk <= 1; sk++) {
				/* n zeros and a map, d arrays deep. */
				msgpack_sbuffer_clear(&sb);
				for (i = 1; i < (uint32_t)d; i++)
					msgpack_pack_array(&pk, 1);
				msgpack_pack_array(&pk, n + 1);
				for (i = 0; i < n; i++)
					msgpack_pack_int(&pk, 0);
				msgpack_pack_map(&pk, 2);
				PSTR("k");
				PSTR("a long string the bound ignores");
				PSTR("j");
				msgpack_pack_array(&pk, 0);
				for (m = 0; m < 3; m++) {
					fp_json_enc_options_init(&O);
					O.indent = 1 + (d + (int)n) % 16;
					O.max_depth = 1000;
					O.sort_keys = sk;
					O.max_size = m == 0 ? 0 : m == 1 ? full :
					    full - 1;
					rv = run(sb.data, sb.size);
					if (m == 0) {
						CHECK(rv == 0);
						full = R.len;
					} else if (m == 1)
						CHECK(rv == 0 && R.len == full);
					else
						CHECK(rv == -1 &&
						    R.error == JSON_E_TOO_LARGE);
				}
			}
	reset();

	/* Nothing but brackets and indentation: the bound is 2 short. */
	for (d = 2; d <= 40; d++) {
		msgpack_sbuffer_clear(&sb);
		for (i = 1; i < (uint32_t)d; i++)
			msgpack_pack_array(&pk, 1);
		msgpack_pack_map(&pk, 0);
		for (m = 0; m < 3; m++) {
			fp_json_enc_options_init(&O);
			O.indent = 1 + d % 16;
			O.max_size = m == 0 ? 0 : m == 1 ? full : full - 1;
			rv = run(sb.data, sb.size);
			if (m == 0)
				full = R.len;
			CHECK(m < 2 ? rv == 0 : rv == -1 &&
			    R.error == JSON_E_TOO_LARGE);
		}
	}

	/* The same on random values. */
	for (seed = 1; seed <= 300; seed++) {
		st = seed;
		msgpack_sbuffer_clear(&sb);
		pack_random(&st, 0);
		for (m = 0; m < 2; m++) {
			fp_json_enc_options_init(&O);
			O.indent = 1 + (int)(seed % 16);
			O.max_size = m == 0 ? 0 : full;
			rv = run(sb.data, sb.size);
			CHECK(rv == 0);
			full = R.len;
		}
	}
	reset();

	/* 10,000 deep, 290,000 zeros: 46 GB of text from 300 KB. */
	fp_json_enc_options_init(&O);
	pack_deep_wide(10000, 290000);
	O.indent = 16;
	O.max_depth = 100000;
	O.max_size = 1 << 20;
	O.truncate = 0;
	rv = fp_json_encode((uint8_t *)sb.data, sb.size, &O, &b, &R, ERR,
	    sizeof(ERR));
	CHECK(rv == -1 && R.error == JSON_E_TOO_LARGE && b.len == b.off);
	/*
	 * Refused before writing, from the indentation alone: it passes
	 * 1 MB about 360 levels down (16 * d * d / 2 spaces).
	 */
	CHECK(b.cap <= 65536 && R.error_off > 300 && R.error_off < 400);
	fp_buf_free(&b);
	O.truncate = 1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	rv = run(sb.data, sb.size);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	dt = (double)(t1.tv_sec - t0.tv_sec) +
	    (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
	CHECK(rv == 0 && R.truncated && R.len == 1 << 20 &&
	    R.full_len == deep_wide_len(10000, 290000));
	/* Counted, not written: writing 48 GB of spaces takes ~0.6 s. */
	CHECK(dt < 0.3);
	printf("deep pretty: %zu-byte input, full_len %zu counted in %.3f s\n",
	    sb.size, R.full_len, dt);
}

static void
test_size(void)
{
	struct fp_buf	 b = { 0 };
	size_t		 full, i;
	int		 rv;

	/* "aé" is 5 bytes of text: 0x22 0x61 0xc3 0xa9 0x22. */
	O.max_size = 3; O.truncate = 1;
	PSTR("a\xc3\xa9");
	CHECK(is("\"a") && R.truncated && R.full_len == 5 && R.len == 2);
	O.max_size = 4; O.truncate = 1;
	PSTR("a\xc3\xa9");
	CHECK(is("\"a\xc3\xa9") && R.truncated && R.full_len == 5);
	O.max_size = 5; O.truncate = 1;
	PSTR("a\xc3\xa9");
	CHECK(is("\"a\xc3\xa9\"") && !R.truncated && R.full_len == 5);
	O.max_size = 4;
	PSTR("a\xc3\xa9");
	CHECK(fails(JSON_E_TOO_LARGE, -1));
	O.max_size = 5;
	PSTR("a\xc3\xa9");
	CHECK(is("\"a\xc3\xa9\""));

	/* Large: counting continues past the cut for full_len. */
	msgpack_pack_array(&pk, 200000);
	for (i = 0; i < 200000; i++) {
		if (i % 1000 == 0)
			PSTR("\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac\xe2\x82\xac");
		else
			msgpack_pack_int(&pk, (int)i);
	}
	CHECK(run(sb.data, sb.size) == 0);
	full = R.len;
	for (i = 0; i < 40; i++) {
		O.max_size = 1 + i * 37 + (i > 20 ? 500000 : 0);
		O.truncate = 1;
		rv = run(sb.data, sb.size);
		CHECK(rv == 0 && R.truncated && R.full_len == full &&
		    R.len <= O.max_size && R.len + 3 >= O.max_size &&
		    ((uint8_t)T[R.len - 1] < 0x80 ||
		    ((uint8_t)T[R.len - 1] == 0xac)));
	}
	O.max_size = 100000;
	O.truncate = 0;
	CHECK(run(sb.data, sb.size) == -1 && R.error == JSON_E_TOO_LARGE);
	O.max_size = full;
	CHECK(run(sb.data, sb.size) == 0 && R.len == full && !R.truncated);
	reset();

	/*
	 * Deep nesting with a wide indent: without truncate the text stops
	 * at max_size (the buffer stays near it); with truncate the spaces
	 * past the cut are counted, not written, and full_len is exact
	 * wherever the cut falls, even inside a run of spaces.
	 */
	deep_pretty();
	reset();
	/* Appends after existing (unread) bytes; on error leaves them. */
	fp_buf_append(&b, "XYZ", 3);
	b.off = 1;
	msgpack_pack_int(&pk, 42);
	rv = fp_json_encode((uint8_t *)sb.data, sb.size, NULL, &b, &R, NULL, 0);
	CHECK(rv == 0 && b.len - b.off == 4 && memcmp(b.data + b.off, "YZ42", 4) == 0);
	reset();
	RAW("\xc1");
	rv = fp_json_encode((uint8_t *)sb.data, sb.size, NULL, &b, &R, ERR, 8);
	CHECK(rv == -1 && b.len - b.off == 4 && strlen(ERR) == 7);
	reset();
	fp_buf_free(&b);
}

/* ---- number printer property ---- */

static uint64_t rs = 88172645463325252ULL;

static uint64_t
rnd(void)
{
	return check_xorshift(&rs);
}

/* sigdig: significant digits of a printed number. */
static int
sigdig(const char *s)
{
	char	 d[40];
	int	 n = 0, i = 0;

	for (; *s && *s != 'e'; s++)
		if (*s >= '0' && *s <= '9')
			d[n++] = *s;
	while (i < n && d[i] == '0')
		i++;
	while (n > i && d[n - 1] == '0')
		n--;
	return n - i;
}

static void
test_property(void)
{
	char	 s[JSON_DBL_MAX + 1], t[64];
	double	 v, back;
	float	 f, fb;
	uint64_t u;
	uint32_t w;
	int	 i, p, k, bad = 0, badshort = 0, fbad = 0, fshort = 0;

	for (i = 0; i < 300000; i++) {
		switch (i % 4) {
		case 0:
			u = rnd();
			memcpy(&v, &u, 8);
			break;
		case 1:
			v = (double)(int64_t)(rnd() % 2000000001) /
			    pow(10, (double)(rnd() % 12));
			break;
		case 2:
			v = (double)(int64_t)(rnd() >> (rnd() % 60)) /
			    (double)(1ULL << (rnd() % 40));
			break;
		default:
			u = rnd() & 0x800fffffffffffffULL;	/* subnormal */
			memcpy(&v, &u, 8);
			if (i % 8 == 3)
				v = ldexp((double)(rnd() >> 11), (int)(rnd() % 2000) - 1100);
			break;
		}
		if (!isfinite(v))
			continue;
		s[fp_json_fmt_double(s, v)] = '\0';
		back = strtod(s, NULL);
		if (memcmp(&back, &v, 8) != 0) {
			if (bad++ < 5)
				fprintf(stderr, "  %.17g printed %s\n", v, s);
			continue;
		}
		k = sigdig(s);
		for (p = 1; p < k; p++) {
			snprintf(t, sizeof(t), "%.*e", p - 1, v);
			if (strtod(t, NULL) == v) {
				if (badshort++ < 5)
					fprintf(stderr, "  %s: %s shorter\n",
					    s, t);
				break;
			}
		}
	}
	CHECK(bad == 0);
	CHECK(badshort == 0);

	for (i = 0; i < 100000; i++) {
		if (i % 2) {
			w = (uint32_t)rnd();
			memcpy(&f, &w, 4);
		} else
			f = (float)(int)(rnd() % 2000001) / (float)(1 << (rnd() % 20));
		if (!isfinite(f))
			continue;
		s[fp_json_fmt_float(s, f)] = '\0';
		fb = strtof(s, NULL);
		if (memcmp(&fb, &f, 4) != 0) {
			if (fbad++ < 5)
				fprintf(stderr, "  %.9g printed %s\n", f, s);
			continue;
		}
		k = sigdig(s);
		for (p = 1; p < k; p++) {
			snprintf(t, sizeof(t), "%.*e", p - 1, (double)f);
			if (strtof(t, NULL) == f) {
				if (fshort++ < 5)
					fprintf(stderr, "  %s: %s shorter\n",
					    s, t);
				break;
			}
		}
	}
	CHECK(fbad == 0);
	CHECK(fshort == 0);
}

/* ---- speed (printed, not asserted) ---- */

static uint32_t xs;

static uint32_t
xs32(void)
{
	xs ^= xs << 13;
	xs ^= xs >> 17;
	xs ^= xs << 5;
	return xs;
}

/* The W3 records of ../shared/peers (common/py/benchlib.py), seed 1. */
static void
pack_w3(long count)
{
	char	 t[32];
	long	 i;
	int	 j, n;
	uint32_t r;

	xs = 1;
	msgpack_pack_array(&pk, (size_t)count);
	for (i = 0; i < count; i++) {
		msgpack_pack_map(&pk, 6);
		PSTR("id");
		msgpack_pack_int64(&pk, i);
		PSTR("name");
		n = snprintf(t, sizeof(t), "u%06x", xs32() >> 8);
		pstr(t, (size_t)n);
		PSTR("tags");
		msgpack_pack_array(&pk, 3);
		for (j = 0; j < 3; j++) {
			n = snprintf(t, sizeof(t), "t%u", xs32() % 1000);
			pstr(t, (size_t)n);
		}
		PSTR("score");
		msgpack_pack_double(&pk, (2.0 * (xs32() % 40000) + 1) / 8.0);
		PSTR("active");
		if (xs32() >> 31)
			msgpack_pack_true(&pk);
		else
			msgpack_pack_false(&pk);
		PSTR("nested");
		msgpack_pack_map(&pk, 2);
		PSTR("a");
		msgpack_pack_int(&pk, (int)(xs32() % 10000));
		PSTR("b");
		r = xs32() % 100;
		n = snprintf(t, sizeof(t), "n%u", r);
		pstr(t, (size_t)n);
	}
}

/* ---- sort_keys ---- */

/* kv: a str key and an int value. */
static void
kv(const char *k, int v)
{
	pstr(k, strlen(k));
	msgpack_pack_int(&pk, v);
}

static void
test_sort_keys(void)
{
	struct fp_buf	 b = { 0 };
	char		 key[16], *want;
	size_t		 i, n, full, wl;
	int		 j, rv;

	/* Off by default: members in MessagePack order. */
	msgpack_pack_map(&pk, 3); kv("b", 1); kv("a", 2); kv("c", 3);
	CHECK(is("{\"b\":1,\"a\":2,\"c\":3}"));
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 3); kv("b", 1); kv("a", 2); kv("c", 3);
	CHECK(is("{\"a\":2,\"b\":1,\"c\":3}"));
	/* Every map, at every level; arrays keep their order. */
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 2);
	PSTR("z");
	msgpack_pack_array(&pk, 2);
	msgpack_pack_map(&pk, 2); kv("y", 1); kv("x", 2);
	msgpack_pack_int(&pk, 0);
	PSTR("a");
	msgpack_pack_map(&pk, 3);
	kv("d", 1);
	PSTR("c");
	msgpack_pack_map(&pk, 2); kv("f", 1); kv("e", 2);
	PSTR("");
	msgpack_pack_map(&pk, 1); kv("k", 0);
	CHECK(is("{\"a\":{\"\":{\"k\":0},\"c\":{\"e\":2,\"f\":1},\"d\":1},"
	    "\"z\":[{\"x\":2,\"y\":1},0]}"));

	/*
	 * Code point order (bytes of UTF-8), not UTF-16's: U+FFFF before
	 * U+1F600, which JavaScript's sort() puts the other way round.
	 */
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 6);
	kv("\xf0\x9f\x98\x80", 1); kv("\xef\xbf\xbf", 2); kv("\xe2\x82\xac", 3);
	kv("\xc3\xa9", 4); kv("z", 5); kv("Z", 6);
	CHECK(is("{\"Z\":6,\"z\":5,\"\xc3\xa9\":4,\"\xe2\x82\xac\":3,"
	    "\"\xef\xbf\xbf\":2,\"\xf0\x9f\x98\x80\":1}"));
	/* A prefix first; the decoded text counts, not its escaped form. */
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 5);
	kv("ab", 1); kv("a", 2); kv(" ", 3); kv("\n", 4); kv("\\", 5);
	CHECK(is("{\"\\n\":4,\" \":3,\"\\\\\":5,\"a\":2,\"ab\":1}"));
	O.sort_keys = 1; O.ascii = 1;
	msgpack_pack_map(&pk, 3);
	kv("\xc3\xa9", 1); kv("\xf0\x9f\x98\x80", 2); kv("\xe2\x80\xa8", 3);
	CHECK(is("{\"\\u00e9\":1,\"\\u2028\":3,\"\\ud83d\\ude00\":2}"));

	/* Keys that are not str compare by the text they are written as. */
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 9);
	msgpack_pack_int(&pk, 10); msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 9); msgpack_pack_int(&pk, 2);
	PSTR("1"); msgpack_pack_int(&pk, 3);
	msgpack_pack_true(&pk); msgpack_pack_int(&pk, 4);
	msgpack_pack_nil(&pk); msgpack_pack_int(&pk, 5);
	msgpack_pack_double(&pk, 1.5); msgpack_pack_int(&pk, 6);
	pbin("fo", 2); msgpack_pack_int(&pk, 7);
	msgpack_pack_int(&pk, -3); msgpack_pack_int(&pk, 8);
	msgpack_pack_float(&pk, 0.1f); msgpack_pack_int(&pk, 9);
	CHECK(is("{\"-3\":8,\"0.1\":9,\"1\":3,\"1.5\":6,\"10\":1,\"9\":2,"
	    "\"Zm8=\":7,\"null\":5,\"true\":4}"));
	/* NaN and the infinities are "null" keys. */
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 3);
	msgpack_pack_double(&pk, INFINITY); msgpack_pack_int(&pk, 1);
	PSTR("nulk"); msgpack_pack_int(&pk, 2);
	PSTR("nulm"); msgpack_pack_int(&pk, 3);
	CHECK(is("{\"nulk\":2,\"null\":1,\"nulm\":3}"));
	/* base64 of bin keys, whole groups and padding: "Zm8=" < "Zm9v". */
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 3);
	pbin("foo", 3); msgpack_pack_int(&pk, 1);
	pbin("fo", 2); msgpack_pack_int(&pk, 2);
	pbin("f", 1); msgpack_pack_int(&pk, 3);
	CHECK(is("{\"Zg==\":3,\"Zm8=\":2,\"Zm9v\":1}"));

	/* Equal texts keep their order (stable), whatever their type. */
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 6);
	kv("b", 0); kv("a", 1);
	msgpack_pack_int(&pk, 1); PSTR("x");
	kv("a", 2);
	PSTR("1"); PSTR("y");
	msgpack_pack_fix_uint64(&pk, 1); PSTR("z");
	CHECK(is("{\"1\":\"x\",\"1\":\"y\",\"1\":\"z\",\"a\":1,\"a\":2,"
	    "\"b\":0}"));

	/*
	 * Invalid UTF-8 compares as the U+FFFD written for it: after
	 * U+FFFC, before U+10000 (its raw byte 0xff would be last), and
	 * equal to a real U+FFFD, so those two keep their order.
	 */
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 4);
	kv("a\xff", 1); kv("a\xf0\x90\x80\x80", 2); kv("a\xef\xbf\xbd", 3);
	kv("a\xef\xbf\xbc", 4);
	CHECK(is("{\"a\xef\xbf\xbc\":4,\"a\xef\xbf\xbd\":1,"
	    "\"a\xef\xbf\xbd\":3,\"a\xf0\x90\x80\x80\":2}"));
	O.sort_keys = 1; O.utf8 = JSON_UTF8_ERROR;
	msgpack_pack_map(&pk, 2); kv("b", 1); kv("a\xff", 2);
	CHECK(fails(JSON_E_UTF8, 6));

	/* Pretty printing. */
	O.sort_keys = 1; O.indent = 2;
	msgpack_pack_map(&pk, 2);
	PSTR("b"); msgpack_pack_array(&pk, 1); msgpack_pack_map(&pk, 2);
	kv("y", 1); kv("x", 2);
	kv("a", 3);
	CHECK(is("{\n  \"a\": 3,\n  \"b\": [\n    {\n      \"x\": 2,\n"
	    "      \"y\": 1\n    }\n  ]\n}"));

	/* Errors: the faulty object's offset; structure before the rest. */
	O.sort_keys = 1;
	msgpack_pack_map(&pk, 2); kv("b", 1);
	msgpack_pack_array(&pk, 0); msgpack_pack_int(&pk, 2);
	CHECK(fails(JSON_E_KEY, 4));
	O.sort_keys = 1; O.nan = JSON_NAN_ERROR;
	msgpack_pack_map(&pk, 2);
	PSTR("b"); msgpack_pack_double(&pk, NAN);
	PSTR("a"); msgpack_pack_double(&pk, INFINITY);
	CHECK(fails(JSON_E_NAN, 14));	/* "a" is written first */
	O.sort_keys = 1; O.nan = JSON_NAN_ERROR;
	msgpack_pack_array(&pk, 2); msgpack_pack_double(&pk, NAN);
	RAW("\xc1");
	CHECK(fails(JSON_E_MALFORMED, 10));	/* without sort_keys: nan */
	O.sort_keys = 1;
	RAW("\x82\xa1" "b" "\x01\xa1" "a");
	CHECK(fails(JSON_E_MALFORMED, 6));
	O.sort_keys = 1;
	RAW("\x82\xa1" "b" "\x01\xa1" "a" "\x02\xc0");
	CHECK(fails(JSON_E_MALFORMED, 7));
	O.sort_keys = 1;
	RAW("\xdf\xff\xff\xff\xff\xa1" "a" "\x01");
	CHECK(fails(JSON_E_MALFORMED, 8));
	O.sort_keys = 1;
	RAW("\x82\xa1" "b" "\xc1");
	CHECK(fails(JSON_E_MALFORMED, 3));
	O.sort_keys = 1;
	RAW("\x82\xd9");
	CHECK(fails(JSON_E_MALFORMED, 2));
	O.sort_keys = 1;
	CHECK(fails(JSON_E_MALFORMED, 0));		/* empty */
	O.sort_keys = 1; O.max_depth = 2;
	msgpack_pack_map(&pk, 2); kv("b", 1); PSTR("a");
	msgpack_pack_array(&pk, 1); msgpack_pack_array(&pk, 0);
	CHECK(fails(JSON_E_DEPTH, 7));

	/* A big map, shuffled: every key in its place. */
	n = 20000;
	want = malloc(n * 16 + 2);
	wl = 0;
	want[wl++] = '{';
	for (i = 0; i < n; i++)
		wl += (size_t)sprintf(want + wl, "%s\"k%05zu\":%zu",
		    i ? "," : "", i, i);
	want[wl++] = '}';
	want[wl] = '\0';
	msgpack_pack_map(&pk, n);
	for (i = 0; i < n; i++) {
		j = (int)((i * 7919) % n);	/* 7919 is prime to n */
		snprintf(key, sizeof(key), "k%05d", j);
		kv(key, j);
	}
	O.sort_keys = 1;
	CHECK(run(sb.data, sb.size) == 0 && strcmp(T, want) == 0);
	/* max_size and truncate: a prefix of the sorted text. */
	full = R.len;
	O.sort_keys = 1; O.max_size = 1000; O.truncate = 1;
	CHECK(run(sb.data, sb.size) == 0 && R.truncated &&
	    R.full_len == full && R.len == 1000 &&
	    memcmp(T, want, 1000) == 0);
	O.truncate = 0;
	CHECK(run(sb.data, sb.size) == -1 && R.error == JSON_E_TOO_LARGE);
	free(want);
	reset();

	/*
	 * Hostile nesting: no recursion, and each byte is scanned once (a
	 * two-member map at each of 50,000 levels would otherwise be
	 * walked again at every level).
	 */
	n = 50000;
	for (i = 0; i < n; i++) {
		msgpack_pack_map(&pk, 2);
		kv("b", 0);
		PSTR("a");
	}
	msgpack_pack_nil(&pk);
	O.sort_keys = 1; O.max_depth = 100000;
	CHECK(run(sb.data, sb.size) == 0 && R.len == n * 12 + 4 &&
	    strncmp(T, "{\"a\":{\"a\":", 10) == 0 &&
	    strncmp(T + 5 * n, "null,\"b\":0},\"b\":0}", 18) == 0);
	O.max_depth = 0;
	CHECK(fails(JSON_E_DEPTH, 512 * 6));

	/* Appends after unread bytes; on error leaves them. */
	fp_buf_append(&b, "XYZ", 3);
	b.off = 1;
	msgpack_pack_map(&pk, 2); kv("b", 1); kv("a", 2);
	O.sort_keys = 1;
	rv = fp_json_encode((uint8_t *)sb.data, sb.size, &O, &b, &R, NULL, 0);
	CHECK(rv == 0 && b.len - b.off == 15 &&
	    memcmp(b.data + b.off, "YZ{\"a\":2,\"b\":1}", 15) == 0);
	reset();
	RAW("\x82\xa1" "b" "\x01\xc1");
	O.sort_keys = 1;
	rv = fp_json_encode((uint8_t *)sb.data, sb.size, &O, &b, &R, NULL, 0);
	CHECK(rv == -1 && b.len - b.off == 15);
	reset();

	/* The W3 records: as long as unsorted, each record sorted. */
	pack_w3(2000);
	CHECK(run(sb.data, sb.size) == 0);
	full = R.len;
	O.sort_keys = 1;
	CHECK(run(sb.data, sb.size) == 0 && R.len == full &&
	    strncmp(T, "[{\"active\":", 11) == 0 &&
	    strstr(T, ",\"id\":1,\"name\":\"u") != NULL &&
	    strstr(T, "\"nested\":{\"a\":") != NULL);
	reset();
	fp_buf_free(&b);
}

static double
now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_speed(void)
{
	struct fp_buf	 b = { 0 };
	double		 t0, t1, best = 0, total = 0;
	size_t		 bytes = 0;
	int		 i, r, ok = 1, reps = 50;

	pack_w3(10000);
	for (i = 0; i < 3; i++) {	/* warm up */
		b.len = b.off = 0;
		ok &= fp_json_encode((uint8_t *)sb.data, sb.size, NULL, &b, &R,
		    NULL, 0) == 0;
	}
	CHECK(ok && strncmp((char *)b.data, "[{\"id\":0,\"name\":\"u", 18) == 0);
	/* 50 encodings in 5 rounds of 10: overall and best round. */
	for (r = 0; r < 5; r++) {
		t0 = now();
		for (i = 0; i < reps / 5; i++) {
			b.len = b.off = 0;
			ok &= fp_json_encode((uint8_t *)sb.data, sb.size, NULL,
			    &b, &R, NULL, 0) == 0;
			bytes += R.len;
		}
		t1 = now() - t0;
		total += t1;
		if (best == 0 || t1 < best)
			best = t1;
	}
	CHECK(ok);
	printf("test_json_enc: W3 10000 records: %zu bytes MessagePack -> "
	    "%zu bytes JSON; %.0f MB/s of JSON over %d runs (best round "
	    "%.0f MB/s; %.0f MB/s of MessagePack in)\n",
	    sb.size, R.len, bytes / total / 1e6, reps,
	    (double)R.len * (reps / 5) / best / 1e6,
	    (double)sb.size * reps / total / 1e6);
	fp_buf_free(&b);
	reset();
}

int
main(void)
{
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	reset();

	test_scalars();
	test_floats();
	test_strings();
	test_long_string();
	test_bin();
	test_keys();
	test_ext();
	test_depth();
	test_malformed();
	test_pretty();
	test_size();
	test_property();
	test_sort_keys();
	test_speed();

	free(T);
	msgpack_sbuffer_destroy(&sb);
	return check_done("test_json_enc");
}
