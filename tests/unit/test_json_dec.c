/*
 * test_json_dec.c -- fp_json_decode(): RFC 8259 grammar accepted and
 * rejected, exact MessagePack output, error positions, numbers, strings,
 * UTF-8, depth, duplicate keys, and a W3-like speed print.
 */
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

static struct fp_buf		 out;
static struct fp_json_dec_error	 err;

static int
dec_opts(const char *s, size_t n, const struct fp_json_dec_options *o)
{
	out.off = out.len = 0;
	return fp_json_decode((const uint8_t *)s, n, o, &out, &err);
}

static int
dec(const char *s)
{
	return dec_opts(s, strlen(s), NULL);
}

/* one_object: the output is exactly one MessagePack object. */
static int
one_object(void)
{
	msgpack_unpacked	 u;
	size_t			 off = 0;
	int			 ok;

	msgpack_unpacked_init(&u);
	ok = msgpack_unpack_next(&u, (const char *)out.data + out.off,
	    out.len - out.off, &off) == MSGPACK_UNPACK_SUCCESS &&
	    off == out.len - out.off;
	msgpack_unpacked_destroy(&u);
	return ok;
}

static int
hexval(char c)
{
	return c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10;
}

/* out_is: the output bytes are `hex' (spaces ignored). */
static int
out_is(const char *hex)
{
	uint8_t	 want[256];
	size_t	 n = 0;

	for (; *hex != '\0'; hex++) {
		if (*hex == ' ')
			continue;
		want[n++] = hexval(hex[0]) << 4 | hexval(hex[1]);
		hex++;
	}
	return out.len - out.off == n && memcmp(out.data + out.off, want,
	    n) == 0;
}

/* mp: decode s and compare with hex; print what was produced if not. */
static int
mp_opts(const char *s, size_t n, const struct fp_json_dec_options *o,
    const char *hex)
{
	size_t	 i;

	if (dec_opts(s, n, o) != 0) {
		fprintf(stderr, "decode %s: error %s\n", s, err.msg);
		return 0;
	}
	if (!out_is(hex) || !one_object()) {
		fprintf(stderr, "decode %s: got", s);
		for (i = out.off; i < out.len; i++)
			fprintf(stderr, " %02x", out.data[i]);
		fprintf(stderr, ", want %s\n", hex);
		return 0;
	}
	return 1;
}

static int
mp(const char *s, const char *hex)
{
	return mp_opts(s, strlen(s), NULL, hex);
}

/* bad: s is rejected with code and a message containing `msg'. */
static int
bad(const char *s, size_t n, int code, const char *msg)
{
	size_t	 before;

	out.off = 0;
	out.len = before = 3;	/* existing bytes must survive */
	if (fp_json_decode((const uint8_t *)s, n, NULL, &out, &err) == 0) {
		fprintf(stderr, "accepted: %.*s\n", (int)n, s);
		return 0;
	}
	if (out.len != before || err.code != code ||
	    (msg != NULL && strstr(err.msg, msg) == NULL)) {
		fprintf(stderr, "%.*s: code %d msg \"%s\"\n", (int)n, s,
		    err.code, err.msg);
		return 0;
	}
	return 1;
}

/* at: s is rejected at offset, line, column. */
static int
at(const char *s, size_t off, uint32_t line, uint32_t col, const char *msg)
{
	if (dec(s) == 0)
		return 0;
	if (err.offset != off || err.line != line || err.column != col ||
	    (msg != NULL && strstr(err.msg, msg) == NULL)) {
		fprintf(stderr, "%s: at %zu %u:%u \"%s\", want %zu %u:%u\n",
		    s, err.offset, err.line, err.column, err.msg, off, line,
		    col);
		return 0;
	}
	return 1;
}

static const char *const valid[] = {
	"1", "true", "false", "null", " \t\n\r 1 \t\n\r ", "\"\"", "[]",
	"{}", "[[]]", "[{}]", "{\"\":{}}", "[1,2,3]", "{\"a\":1,\"b\":[]}",
	"-0", "0", "0.0", "-0.0", "1e1", "1E1", "1e+1", "1e-1", "1.5e10",
	"0e0", "-1.25E-3", "123.456", "[ 1 , 2 ]", "{ \"a\" : 1 }",
	"\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"", "\"\\u0000\"", "\"\\uFFFF\"",
	"\"\\uD83D\\uDE00\"", "\"\\ud83d\\ude00\"", "\"\xc3\xa9\"",
	"\"\xe2\x82\xac\"", "\"\xf0\x9f\x98\x80\"", "\"\xef\xbf\xbf\"",
	"\"\xf4\x8f\xbf\xbf\"", "\"\x7f\"", "[\"a\",{\"b\":[null]}]",
	"1e-400", "[1e22,1e23]", "\"/\"",
};

static const char *const invalid[] = {
	"", " ", "[", "]", "{", "}", "[1,]", "[,1]", "[1,,2]", "[01]",
	"[-01]", "[1.]", "[.1]", "[1e]", "[1e+]", "[-]", "[+1]", "[- 1]",
	"[1 2]", "{\"a\" 1}", "{\"a\":1,}", "{,}", "{\"a\"}", "{\"a\":}",
	"{a:1}", "{'a':1}", "['a']", "[1]x", "[] []", "{}}", "[]]",
	"[\x01]", "[\"\x01\"]", "[\"\t\"]", "[\"\n\"]", "[\"\\u00\"]",
	"[\"\\u00G0\"]", "[\"\\x41\"]", "[\"\\a\"]", "[\"\\'\"]",
	"[\"\\uD800\"]", "[\"\\uD800\\u0041\"]", "[\"\\uDC00\"]",
	"[\"\\uDE00\\uD83D\"]", "[\"\\uD800\\\"]", "[\"abc]", "\"abc",
	"[\"\\", "[NaN]", "[Infinity]", "[-Infinity]", "[nul]", "[tru]",
	"[True]", "[nulll]", "[null,]", "/* c */ 1", "1 // c", "[1e309]",
	"[-1e309]", "\xef\xbb\xbf[]", "[0x10]", "[1.5.3]", "[1e5e5]",
	"[\"\xc0\xaf\"]", "[\"\xc3\"]", "[\"\xe0\x80\xaf\"]",
	"[\"\xed\xa0\x80\"]", "[\"\xf4\x90\x80\x80\"]", "[\"\xf5\x80\x80\x80\"]",
	"[\"\xff\"]", "[\"\x80\"]", "[\"\xe2\x82\"]", "[\xc3\xa9]",
	"1 1", "\"a\" \"b\"", "{\"a\":1 \"b\":2}", "[1;2]", "\x0c[]",
	"[\"\\u\"]", "[\"\\uD83D\\u\"]", "[1,\n]",
};

static void
test_grammar(void)
{
	size_t	 i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++) {
		int	 ok = dec(valid[i]) == 0 && one_object();

		if (!ok)
			fprintf(stderr, "valid rejected: %s (%s)\n",
			    valid[i], err.msg);
		CHECK(ok);
	}
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++) {
		int	 rej = dec(invalid[i]) == -1;

		if (!rej)
			fprintf(stderr, "invalid accepted: %s\n", invalid[i]);
		CHECK(rej);
		CHECK(rej && err.code != JSON_E_OK && err.msg[0] != '\0');
	}
	/* A NUL byte is not whitespace, nor allowed in a string. */
	CHECK(bad("[1]\0", 4, JSON_E_SYNTAX, "trailing characters"));
	CHECK(bad("[\"\0\"]", 5, JSON_E_SYNTAX, "control character"));
	CHECK(bad("1", 0, JSON_E_SYNTAX, "end of input"));
}

static void
test_output(void)
{
	/* Scalars and smallest encodings. */
	CHECK(mp("null", "c0"));
	CHECK(mp("true", "c3"));
	CHECK(mp("false", "c2"));
	CHECK(mp(" \t\n\r 1 ", "01"));
	CHECK(mp("0", "00"));
	CHECK(mp("127", "7f"));
	CHECK(mp("128", "cc 80"));
	CHECK(mp("255", "cc ff"));
	CHECK(mp("256", "cd 01 00"));
	CHECK(mp("65535", "cd ff ff"));
	CHECK(mp("65536", "ce 00 01 00 00"));
	CHECK(mp("4294967295", "ce ff ff ff ff"));
	CHECK(mp("4294967296", "cf 00 00 00 01 00 00 00 00"));
	CHECK(mp("18446744073709551615", "cf ff ff ff ff ff ff ff ff"));
	CHECK(mp("9223372036854775807", "cf 7f ff ff ff ff ff ff ff"));
	CHECK(mp("-1", "ff"));
	CHECK(mp("-32", "e0"));
	CHECK(mp("-33", "d0 df"));
	CHECK(mp("-128", "d0 80"));
	CHECK(mp("-129", "d1 ff 7f"));
	CHECK(mp("-32768", "d1 80 00"));
	CHECK(mp("-32769", "d2 ff ff 7f ff"));
	CHECK(mp("-2147483648", "d2 80 00 00 00"));
	CHECK(mp("-2147483649", "d3 ff ff ff ff 7f ff ff ff"));
	CHECK(mp("-9223372036854775808", "d3 80 00 00 00 00 00 00 00"));
	CHECK(mp("-0", "cb 80 00 00 00 00 00 00 00"));
	CHECK(mp("-0.0", "cb 80 00 00 00 00 00 00 00"));
	CHECK(mp("0.0", "cb 00 00 00 00 00 00 00 00"));
	CHECK(mp("1.0", "cb 3f f0 00 00 00 00 00 00"));
	CHECK(mp("0.1", "cb 3f b9 99 99 99 99 99 9a"));
	CHECK(mp("1e308", "cb 7f e1 cc f3 85 eb c8 a0"));
	CHECK(mp("1.7976931348623157e308", "cb 7f ef ff ff ff ff ff ff"));
	CHECK(mp("5e-324", "cb 00 00 00 00 00 00 00 01"));
	CHECK(mp("-1e-400", "cb 80 00 00 00 00 00 00 00"));
	CHECK(mp("1E2", "cb 40 59 00 00 00 00 00 00"));
	CHECK(mp("[]", "90"));
	CHECK(mp("{}", "80"));
	CHECK(mp("[1,[2,[]],{}]", "93 01 92 02 90 80"));
	CHECK(mp("{\"a\":1,\"b\":[true,null]}", "82 a1 61 01 a1 62 92 c3 c0"));
	CHECK(mp("[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4]",
	    "9f 00 01 02 03 04 05 06 07 08 09 00 01 02 03 04"));
	CHECK(mp("[0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5]",
	    "dc 00 10 00 01 02 03 04 05 06 07 08 09 00 01 02 03 04 05"));
	CHECK(mp("{\"a\":0,\"a\":1,\"a\":2,\"a\":3,\"a\":4,\"a\":5,\"a\":6,"
	    "\"a\":7,\"a\":8,\"a\":9,\"a\":0,\"a\":1,\"a\":2,\"a\":3,\"a\":4,"
	    "\"a\":5}", "de 00 10 a1 61 00 a1 61 01 a1 61 02 a1 61 03 a1 61 04"
	    " a1 61 05 a1 61 06 a1 61 07 a1 61 08 a1 61 09 a1 61 00 a1 61 01"
	    " a1 61 02 a1 61 03 a1 61 04 a1 61 05"));

	/* Strings. */
	CHECK(mp("\"\"", "a0"));
	CHECK(mp("\"abc\"", "a3 61 62 63"));
	CHECK(mp("\"\\\"\\\\\\/\\b\\f\\n\\r\\t\"",
	    "a8 22 5c 2f 08 0c 0a 0d 09"));
	CHECK(mp("\"\\u0041\\u00e9\\u20AC\"", "a6 41 c3 a9 e2 82 ac"));
	CHECK(mp("\"\\uD83D\\uDE00\"", "a4 f0 9f 98 80"));
	CHECK(mp("\"\\udbff\\udfff\"", "a4 f4 8f bf bf"));
	CHECK(mp("\"a\\u0000b\"", "a3 61 00 62"));
	CHECK(mp("\"\xc3\xa9t\xc3\xa9\"", "a5 c3 a9 74 c3 a9"));
	CHECK(mp("\"\xf0\x9f\x98\x80\"", "a4 f0 9f 98 80"));
	CHECK(mp("\"0123456789012345678901234567890\"",
	    "bf 30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35 36 37 38 39"
	    " 30 31 32 33 34 35 36 37 38 39 30"));
	CHECK(mp("\"01234567890123456789012345678901\"",
	    "d9 20 30 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35 36 37 38"
	    " 39 30 31 32 33 34 35 36 37 38 39 30 31"));
	/* An escape in a 31-byte string: header shrunk from the bound. */
	CHECK(mp("[\"\\n123456789012345678901234567890\"]",
	    "91 bf 0a 31 32 33 34 35 36 37 38 39 30 31 32 33 34 35 36 37 38"
	    " 39 30 31 32 33 34 35 36 37 38 39 30"));
	CHECK(mp("{\"\\u00e9\":\"\\n\"}", "81 a2 c3 a9 a1 0a"));
}

static void
test_long(void)
{
	char		*s;
	size_t		 i, n;
	msgpack_unpacked u;
	size_t		 off;

	/* A string > 65535 bytes with an escape: str 32, shrunk or not. */
	n = 70000;
	s = malloc(n + 8);
	s[0] = '"';
	s[1] = '\\';
	s[2] = 'n';
	for (i = 3; i < n; i++)
		s[i] = 'a' + i % 26;
	s[n] = '"';
	CHECK(dec_opts(s, n + 1, NULL) == 0);
	CHECK(out.len == 5 + n - 2 && out.data[0] == 0xdb &&
	    out.data[4] == (uint8_t)(n - 2) && out.data[5] == '\n');
	/* 300 bytes with an escape in a long text: str 16. */
	s[301] = '"';
	memset(s + 302, ' ', 1000);
	CHECK(dec_opts(s, 1302, NULL) == 0);
	CHECK(out.len == 3 + 299 && out.data[0] == 0xda &&
	    out.data[1] == 1 && out.data[2] == 43 && one_object());
	free(s);

	/* 70000 zeros: array 32. */
	n = 70000;
	s = malloc(2 * n + 2);
	s[0] = '[';
	for (i = 0; i < n; i++) {
		s[1 + 2 * i] = '0';
		s[2 + 2 * i] = ',';
	}
	s[2 * n] = ']';
	CHECK(dec_opts(s, 2 * n + 1, NULL) == 0);
	CHECK(out.len == 5 + n && out.data[0] == 0xdd && out.data[1] == 0 &&
	    out.data[2] == 1 && out.data[3] == 0x11 && out.data[4] == 0x70 &&
	    out.data[5] == 0 && out.data[5 + n - 1] == 0);
	free(s);

	/*
	 * Large bodies (not shrunk at close) inside and around small ones,
	 * shrunk by the final pass: [[0 x 200], 1, {"k":[0 x 300]}, [2]].
	 */
	s = malloc(4096);
	n = 0;
	n += sprintf(s + n, "[[");
	for (i = 0; i < 200; i++)
		n += sprintf(s + n, "%s0", i ? "," : "");
	n += sprintf(s + n, "],1,{\"k\":[");
	for (i = 0; i < 300; i++)
		n += sprintf(s + n, "%s0", i ? "," : "");
	n += sprintf(s + n, "]},[2]]");
	CHECK(dec_opts(s, n, NULL) == 0 && one_object());
	CHECK(out.len == 1 + 3 + 200 + 1 + 1 + 2 + 3 + 300 + 1 + 1);
	msgpack_unpacked_init(&u);
	off = 0;
	CHECK(msgpack_unpack_next(&u, (char *)out.data, out.len, &off) ==
	    MSGPACK_UNPACK_SUCCESS);
	CHECK(u.data.type == MSGPACK_OBJECT_ARRAY && u.data.via.array.size == 4);
	CHECK(u.data.via.array.ptr[0].via.array.size == 200);
	CHECK(u.data.via.array.ptr[1].via.u64 == 1);
	CHECK(u.data.via.array.ptr[2].via.map.size == 1 &&
	    u.data.via.array.ptr[2].via.map.ptr[0].val.via.array.size == 300);
	CHECK(u.data.via.array.ptr[3].via.array.ptr[0].via.u64 == 2);
	msgpack_unpacked_destroy(&u);
	free(s);

	/* Output appended after existing unread bytes. */
	out.off = 2;
	out.len = 5;
	memcpy(out.data, "xyzuv", 5);
	CHECK(fp_json_decode((const uint8_t *)"[1]", 3, NULL, &out, &err) == 0);
	CHECK(out.len == 7 && memcmp(out.data + 2, "zuv\x91\x01", 5) == 0);
}

static void
test_errors(void)
{
	struct fp_json_dec_options	 o;

	CHECK(at("", 0, 1, 1, "unexpected end of input"));
	CHECK(at("   ", 3, 1, 4, "unexpected end of input"));
	CHECK(at("[1,]", 3, 1, 4, "unexpected character ']'"));
	CHECK(at("[01]", 1, 1, 2, "leading zero"));
	CHECK(at("[1.]", 3, 1, 4, "digit after '.'"));
	CHECK(at("[1e]", 3, 1, 4, "exponent"));
	CHECK(at("{\"a\" 1}", 5, 1, 6, "expected ':'"));
	CHECK(at("{\"a\":1,}", 7, 1, 8, "trailing comma"));
	CHECK(at("{\"a\":1 ]", 7, 1, 8,
	    "expected ',' or '}' after an object member"));
	CHECK(at("[1 }", 3, 1, 4, "expected ',' or ']' after an array element"));
	CHECK(at("[] x", 3, 1, 4, "trailing characters after the value"));
	CHECK(at("[\"\\u00\"]", 2, 1, 3, "invalid \\u escape"));
	CHECK(at("[\"ab\\uD800\"]", 4, 1, 5, "unpaired surrogate"));
	CHECK(at("[\"\\uD800\\u0041\"]", 2, 1, 3, "unpaired surrogate"));
	CHECK(at("[1e309]", 1, 1, 2, "number out of range"));
	CHECK(at("[\"ab\xff\"]", 4, 1, 5, "invalid UTF-8"));
	CHECK(at("[1,\n 2,\n   x]", 11, 3, 4, "unexpected character 'x'"));
	CHECK(at("{\n  \"a\": [\n    1,\n    2\n  ,]\n}", 27, 5, 4,
	    "unexpected character ']'"));
	/* Columns count code points: "é€" is 2 columns, 5 bytes. */
	CHECK(at("\n[\"\xc3\xa9\xe2\x82\xac\", tru]", 11, 2, 8,
	    "invalid literal"));
	CHECK(at("[\r\n\"\x01\"]", 4, 2, 2, "control character"));
	CHECK(at("[1", 2, 1, 3, "unexpected end of input"));
	CHECK(at("[\"abc", 5, 1, 6, "unexpected end of input"));
	CHECK(at("[tr", 3, 1, 4, "unexpected end of input"));
	CHECK(at("\xef\xbb\xbf[]", 0, 1, 1, "byte order mark"));
	CHECK(at("[1]\n\n  ]", 7, 3, 3, "trailing characters"));

	/* max_size. */
	fp_json_dec_options_init(&o);
	o.max_size = 4;
	CHECK(dec_opts("[1]", 3, &o) == 0);
	CHECK(dec_opts("[1] ", 4, &o) == 0);
	CHECK(dec_opts("[1]  ", 5, &o) == -1 && err.code ==
	    JSON_E_TOO_LARGE && err.offset == 4);
	o.max_size = 0;
	o.bignum = 7;
	CHECK(dec_opts("1", 1, &o) == -1 && err.code == JSON_E_INVAL);
	CHECK(strcmp(fp_json_errname(JSON_E_SYNTAX), "syntax") == 0);
	CHECK(strcmp(fp_json_errname(JSON_E_DUPKEY), "duplicate_key") == 0);
}

static void
test_bignum(void)
{
	struct fp_json_dec_options	 o;

	/* Default: the nearest double. */
	CHECK(mp("18446744073709551616", "cb 43 f0 00 00 00 00 00 00"));
	CHECK(mp("-9223372036854775809", "cb c3 e0 00 00 00 00 00 00"));
	CHECK(mp("123456789012345678901234567890",
	    "cb 45 f8 ee 90 ff 6c 37 3e"));
	fp_json_dec_options_init(&o);
	o.bignum = JSON_BIG_ERROR;
	CHECK(mp_opts("18446744073709551615", 20, &o,
	    "cf ff ff ff ff ff ff ff ff"));
	CHECK(mp_opts("-9223372036854775808", 20, &o,
	    "d3 80 00 00 00 00 00 00 00"));
	CHECK(dec_opts("[18446744073709551616]", 22, &o) == -1 &&
	    err.code == JSON_E_RANGE && err.offset == 1);
	CHECK(dec_opts("-9223372036854775809", 20, &o) == -1 &&
	    err.code == JSON_E_RANGE && err.offset == 0);
	CHECK(mp_opts("1.5", 3, &o, "cb 3f f8 00 00 00 00 00 00"));
	o.bignum = JSON_BIG_STRING;
	CHECK(mp_opts("18446744073709551616", 20, &o,
	    "b4 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31 36"));
	CHECK(mp_opts("-9223372036854775809", 20, &o,
	    "b4 2d 39 32 32 33 33 37 32 30 33 36 38 35 34 37 37 35 38 30 39"));
	CHECK(mp_opts("99999999999999999999", 20, &o,
	    "b4 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39 39"));
	CHECK(mp_opts("-18446744073709551615", 21, &o,
	    "b5 2d 31 38 34 34 36 37 34 34 30 37 33 37 30 39 35 35 31 36 31"
	    " 35"));
}

/* dbl: s decodes to exactly the double strtod gives. */
static int
dbl(const char *s)
{
	double		 want = strtod(s, NULL), got;
	uint64_t	 u = 0;
	int		 i;

	if (dec(s) != 0 || out.len != 9 || out.data[0] != 0xcb)
		return 0;
	for (i = 1; i < 9; i++)
		u = u << 8 | out.data[i];
	memcpy(&got, &u, 8);
	return memcmp(&got, &want, 8) == 0;
}

static void
test_floats(void)
{
	static const char *const f[] = {
		"0.1", "0.2", "0.3", "1.1", "3.14159", "2.718281828459045",
		"1e308", "1e-308", "2.2250738585072014e-308",
		"2.2250738585072011e-308", "4.9e-324", "1e22", "1e23",
		"9007199254740993.0", "9007199254740992.0", "123456.789e3",
		"0.000001234", "1234567890123456789.0",
		"12345678901234567890.0", "1.00000000000000011102230246251565",
		"8.98846567431158e307", "1.7976931348623158e308",
		"0.1e-5", "7e-10", "1234.625", "-4375.125",
		"0.30000000000000004", "100000000000000000000000e-23",
		"0.0000000000000000000000000000001e31",
		"1.2345678901234567890123456789e5",
	};
	char	 buf[700];
	size_t	 i;

	for (i = 0; i < sizeof(f) / sizeof(f[0]); i++) {
		int	 ok = dbl(f[i]);

		if (!ok)
			fprintf(stderr, "float %s wrong\n", f[i]);
		CHECK(ok);
	}
	/* A number longer than the stack copy. */
	buf[0] = '0';
	buf[1] = '.';
	memset(buf + 2, '3', 600);
	buf[602] = '\0';
	CHECK(dbl(buf));
	CHECK(bad("1.8e308", 7, JSON_E_RANGE, "out of range"));
	CHECK(bad("-1e400", 6, JSON_E_RANGE, "out of range"));
	CHECK(bad("1e99999999999999999999", 22, JSON_E_RANGE, NULL));
	CHECK(mp("1e-99999999999999999999", "cb 00 00 00 00 00 00 00 00"));
}

static void
test_utf8(void)
{
	static const char *const badu[] = {
		"\"\x80\"", "\"\xbf\"", "\"\xc0\x80\"", "\"\xc1\xbf\"",
		"\"\xe0\x9f\xbf\"", "\"\xed\xa0\x80\"", "\"\xed\xbf\xbf\"",
		"\"\xf0\x8f\xbf\xbf\"", "\"\xf4\x90\x80\x80\"",
		"\"\xf8\x88\x80\x80\x80\"", "\"\xfe\"", "\"\xc3\"",
		"\"\xe2\x82\"", "\"\xf0\x9f\x98\"", "\"\xc3\x28\"",
		"\"ok\xe2\x28\xa1\"",
	};
	size_t	 i;

	for (i = 0; i < sizeof(badu) / sizeof(badu[0]); i++) {
		int	 ok = bad(badu[i], strlen(badu[i]), JSON_E_UTF8,
		    "invalid UTF-8");

		CHECK(ok);
	}
	CHECK(mp("\"\xed\x9f\xbf\xee\x80\x80\"", "a6 ed 9f bf ee 80 80"));
	CHECK(mp("\"\xc2\x80\xdf\xbf\"", "a4 c2 80 df bf"));
	CHECK(mp("\"\xe0\xa0\x80\"", "a3 e0 a0 80"));
	CHECK(mp("\"\xf0\x90\x80\x80\"", "a4 f0 90 80 80"));
	/* Truncated at the very end of the input. */
	CHECK(bad("\"\xe2\x82", 3, JSON_E_UTF8, NULL));
}

static void
test_depth(void)
{
	struct fp_json_dec_options	 o;
	char			*s;
	size_t			 n = 100000, i;
	int			 ok;

	s = malloc(2 * n);
	memset(s, '[', n);
	memset(s + n, ']', n);
	CHECK(dec_opts(s, n, NULL) == -1 && err.code == JSON_E_DEPTH &&
	    err.offset == 512 && strstr(err.msg, "nesting deeper than 512"));
	CHECK(dec_opts(s, 2 * n, NULL) == -1 && err.code == JSON_E_DEPTH);
	/* Exactly 512 is fine; 513 is not. */
	CHECK(dec_opts(s + n - 512, 1024, NULL) == 0 && out.len == 512 &&
	    out.data[0] == 0x91 && out.data[511] == 0x90);
	CHECK(dec_opts(s + n - 513, 1026, NULL) == -1 &&
	    err.offset == 512 && err.column == 513);
	fp_json_dec_options_init(&o);
	o.max_depth = 3;
	CHECK(dec_opts("[{\"a\":[]}]", 10, &o) == 0);
	CHECK(dec_opts("[{\"a\":[[]]}]", 12, &o) == -1 &&
	    err.code == JSON_E_DEPTH && err.offset == 7);
	/* 100000 deep, allowed: nothing recursive, bodies > 128 shrunk last. */
	o.max_depth = 100000;
	CHECK(dec_opts(s, 2 * n, &o) == 0 && out.len == n);
	for (ok = 1, i = 0; i + 1 < n; i++)
		if (out.data[i] != 0x91)
			ok = 0;
	CHECK(ok && out.data[n - 1] == 0x90);
	/* Deep objects. */
	free(s);
	s = malloc(n * 6 + 2);
	for (i = 0; i < n; i++)
		memcpy(s + 5 * i, "{\"a\":", 5);
	s[5 * n] = '1';
	memset(s + 5 * n + 1, '}', n);
	CHECK(dec_opts(s, 6 * n + 1, &o) == 0 && out.len == 3 * n + 1 &&
	    memcmp(out.data, "\x81\xa1" "a\x81", 4) == 0 &&
	    out.data[3 * n] == 1);
	CHECK(dec_opts(s, 6 * n + 1, NULL) == -1 && err.code == JSON_E_DEPTH);
	free(s);
}

static void
test_dup(void)
{
	struct fp_json_dec_options	 o;
	msgpack_unpacked	 u;
	size_t			 off, n, i;
	char			*s;

	fp_json_dec_options_init(&o);
	CHECK(mp("{\"a\":1,\"b\":2,\"a\":3}", "83 a1 61 01 a1 62 02 a1 61 03"));
	o.dup_keys = JSON_DUP_LAST;
	CHECK(mp_opts("{\"a\":1,\"b\":2,\"a\":3}", 19, &o,
	    "82 a1 62 02 a1 61 03"));
	CHECK(mp_opts("{\"a\":1,\"b\":2,\"\\u0061\":[3],\"b\":4,\"c\":5}", 38,
	    &o, "83 a1 61 91 03 a1 62 04 a1 63 05"));
	CHECK(mp_opts("{\"a\":{\"a\":1,\"a\":2},\"a\":{\"b\":1,\"b\":2}}", 37,
	    &o, "81 a1 61 81 a1 62 02"));
	CHECK(mp_opts("{\"ab\":1,\"a\":2,\"\":3}", 19, &o,
	    "83 a2 61 62 01 a1 61 02 a0 03"));
	o.dup_keys = JSON_DUP_ERROR;
	CHECK(dec_opts("{\"a\":1,\"b\":2,\"a\":3}", 19, &o) == -1 &&
	    err.code == JSON_E_DUPKEY && err.offset == 13);
	CHECK(dec_opts("[{\"a\":1},{\"a\":1,\"b\":{\"a\":2}}]", 29, &o) == 0);
	CHECK(dec_opts("{\"x\":{\"a\":1,\n\"a\":2}}", 20, &o) == -1 &&
	    err.offset == 13 && err.line == 2 && err.column == 1);

	/*
	 * JSON_DUP_LAST around large bodies still waiting for the final
	 * pass: {"a":[0 x 200],"b":[1 x 150],"a":[2 x 300],"c":{"d":[0 x 200]}}.
	 */
	o.dup_keys = JSON_DUP_LAST;
	s = malloc(8192);
	n = sprintf(s, "{\"a\":[");
	for (i = 0; i < 200; i++)
		n += sprintf(s + n, "%s0", i ? "," : "");
	n += sprintf(s + n, "],\"b\":[");
	for (i = 0; i < 150; i++)
		n += sprintf(s + n, "%s1", i ? "," : "");
	n += sprintf(s + n, "],\"a\":[");
	for (i = 0; i < 300; i++)
		n += sprintf(s + n, "%s2", i ? "," : "");
	n += sprintf(s + n, "],\"c\":{\"d\":[");
	for (i = 0; i < 200; i++)
		n += sprintf(s + n, "%s0", i ? "," : "");
	n += sprintf(s + n, "]}}");
	CHECK(dec_opts(s, n, &o) == 0 && one_object());
	CHECK(out.len == 1 + 2 + 3 + 150 + 2 + 3 + 300 + 2 + 1 + 2 + 3 + 200);
	msgpack_unpacked_init(&u);
	off = 0;
	CHECK(msgpack_unpack_next(&u, (char *)out.data, out.len, &off) ==
	    MSGPACK_UNPACK_SUCCESS && u.data.type == MSGPACK_OBJECT_MAP &&
	    u.data.via.map.size == 3);
	if (u.data.type == MSGPACK_OBJECT_MAP && u.data.via.map.size == 3) {
		msgpack_object_kv *kv = u.data.via.map.ptr;

		CHECK(kv[0].key.via.str.ptr[0] == 'b' &&
		    kv[0].val.via.array.size == 150);
		CHECK(kv[1].key.via.str.ptr[0] == 'a' &&
		    kv[1].val.via.array.size == 300 &&
		    kv[1].val.via.array.ptr[299].via.u64 == 2);
		CHECK(kv[2].key.via.str.ptr[0] == 'c' &&
		    kv[2].val.via.map.ptr[0].val.via.array.size == 200);
	}
	msgpack_unpacked_destroy(&u);
	free(s);
}

/* W3-like: the peers' dataset shape (bench.c build_records). */
static size_t
w3(char *s, long count)
{
	uint32_t	 x = 42;
	size_t		 n = 0;
	long		 i;
	int		 t;

#define XS() (x ^= x << 13, x ^= x >> 17, x ^= x << 5, x)
	n += sprintf(s + n, "[");
	for (i = 0; i < count; i++) {
		n += sprintf(s + n, "%s{\"id\":%ld,\"name\":\"u%06x\",\"tags\":[",
		    i ? "," : "", i, XS() >> 8);
		for (t = 0; t < 3; t++)
			n += sprintf(s + n, "%s\"t%u\"", t ? "," : "",
			    XS() % 1000u);
		n += sprintf(s + n, "],\"score\":%.17g,",
		    (2.0 * (XS() % 40000u) + 1.0) / 8.0);
		n += sprintf(s + n, "\"active\":%s,", (XS() >> 31) ? "true" :
		    "false");
		n += sprintf(s + n, "\"nested\":{\"a\":%u,", XS() % 10000u);
		n += sprintf(s + n, "\"b\":\"n%u\"}}", XS() % 100u);
	}
	n += sprintf(s + n, "]");
	return n;
#undef XS
}

static void
test_speed(void)
{
	struct timespec		 t0, t1;
	msgpack_unpacked	 u;
	char			*s;
	size_t			 n, off;
	double			 sec;
	int			 i, rc = 0;

	s = malloc(200 * 10000);
	n = w3(s, 10000);
	CHECK(dec_opts(s, n, NULL) == 0 && one_object());
	msgpack_unpacked_init(&u);
	off = 0;
	CHECK(msgpack_unpack_next(&u, (char *)out.data, out.len, &off) ==
	    MSGPACK_UNPACK_SUCCESS && u.data.via.array.size == 10000 &&
	    u.data.via.array.ptr[9999].via.map.size == 6 &&
	    u.data.via.array.ptr[9999].via.map.ptr[0].val.via.u64 == 9999);
	msgpack_unpacked_destroy(&u);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (i = 0; i < 50; i++)
		rc |= dec_opts(s, n, NULL);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	CHECK(rc == 0);
	sec = (t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
	printf("test_json_dec: W3-like %zu bytes -> %zu bytes MessagePack, "
	    "decode %.0f MB/s\n", n, out.len, 50.0 * n / sec / 1e6);
	free(s);
}

int
main(void)
{
	test_grammar();
	test_output();
	test_long();
	test_errors();
	test_bignum();
	test_floats();
	test_utf8();
	test_depth();
	test_dup();
	test_speed();
	fp_buf_free(&out);
	return check_done("test_json_dec");
}
