/*
 * test_json_handlers.c -- json.encode as a worker calls it: raw params
 * (HF_RAW), the result packed into a msgpack_sbuffer after bytes already
 * there.  msgpack-c must read it as {text, truncated, size} with the
 * smallest str header; an error leaves the buffer as it was.  Every case
 * runs again with a packer writing through another callback, which must
 * give the same bytes (the handler only packs), and small texts follow
 * large ones (the handler keeps its encode buffer between calls).
 */
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "forkpool.h"
#include "handlers.h"
#include "check.h"

static msgpack_sbuffer	 in, out, other;
static msgpack_packer	 pin, pout, pother;
static struct fp_hctx	 hc;
static size_t		 result_max;	/* hc.result_max for the next calls */

/* A packer callback that is not msgpack_sbuffer_write (the copying path). */
static int
other_write(void *data, const char *buf, size_t len)
{
	return msgpack_sbuffer_write(data, buf, len);
}

/* Run json.encode on `in' with result packer pk; 0 or the error code. */
static int
encode_with(msgpack_packer *pk)
{
	const struct handler	*h;
	int			 i;

	if ((i = handler_lookup("json.encode", 11)) == -1)
		return -1;
	h = handler_get((uint32_t)i);
	memset(&hc, 0, sizeof(hc));
	hc.pk = pk;
	/* With the sbuffer known, the text is encoded in place (as in a
	 * worker); the other packer takes the copying path. */
	hc.sb = pk == &pout ? &out : NULL;
	hc.raw = (const uint8_t *)in.data;
	hc.rawlen = in.size;
	hc.result_max = result_max;
	if (h->fn(&hc, NULL) == -1)
		return hc.err != 0 ? hc.err : -1;
	return 0;
}

/*
 * encode: with both packers, after `keep' bytes already in each result
 * buffer; 0 when both succeed with the same bytes (which must then read
 * as the result map with a text of `len' bytes and the smallest header),
 * else the error code (both must fail alike and leave the buffers as
 * they were).
 */
static int
encode(size_t keep, size_t len)
{
	msgpack_unpacked u;
	msgpack_object	 m;
	size_t		 off = 0, hl;
	int		 ra, rb, ok;
	char		 ea[256];

	msgpack_sbuffer_clear(&out);
	msgpack_sbuffer_clear(&other);
	if (keep > 0) {
		msgpack_sbuffer_write(&out, "KEEP-THESE-BYTES", keep);
		msgpack_sbuffer_write(&other, "KEEP-THESE-BYTES", keep);
	}
	ra = encode_with(&pout);
	memcpy(ea, hc.errmsg, sizeof(ea));
	rb = encode_with(&pother);
	if (ra != rb || out.size != other.size ||
	    (out.size > 0 && memcmp(out.data, other.data, out.size) != 0) ||
	    (keep > 0 && memcmp(out.data, "KEEP-THESE-BYTES", keep) != 0) ||
	    (ra != 0 && (strcmp(ea, hc.errmsg) != 0 || out.size != keep))) {
		fprintf(stderr, "the two packers differ: %d/%d, %zu/%zu"
		    " bytes\n", ra, rb, out.size, other.size);
		return -1;
	}
	if (ra != 0)
		return ra;
	msgpack_unpacked_init(&u);
	ok = msgpack_unpack_next(&u, out.data + keep, out.size - keep, &off) ==
	    MSGPACK_UNPACK_SUCCESS && off == out.size - keep;
	m = u.data;
	ok = ok && m.type == MSGPACK_OBJECT_MAP && m.via.map.size == 3 &&
	    m.via.map.ptr[0].val.type == MSGPACK_OBJECT_STR &&
	    m.via.map.ptr[0].val.via.str.size == len;
	/* After the map header, "text" (5 bytes): the smallest str header. */
	hl = len <= 31 ? 1 : len <= 0xff ? 2 : len <= 0xffff ? 3 : 5;
	ok = ok && (size_t)(m.via.map.ptr[0].val.via.str.ptr -
	    (out.data + keep)) == 1 + 5 + hl;
	msgpack_unpacked_destroy(&u);
	return ok ? 0 : -1;
}

/* text: the result's text (valid after a successful encode()). */
static int
text_is(size_t keep, const char *want)
{
	msgpack_unpacked u;
	size_t		 off = 0;
	int		 ok;

	msgpack_unpacked_init(&u);
	ok = msgpack_unpack_next(&u, out.data + keep, out.size - keep, &off) ==
	    MSGPACK_UNPACK_SUCCESS &&
	    u.data.via.map.ptr[0].val.via.str.size == strlen(want) &&
	    memcmp(u.data.via.map.ptr[0].val.via.str.ptr, want,
	    strlen(want)) == 0;
	if (!ok)
		fprintf(stderr, "  text is not [%s]\n", want);
	msgpack_unpacked_destroy(&u);
	return ok;
}

static void
pack_str(size_t n)
{
	char	*s = malloc(n + 1);

	memset(s, 'x', n);
	msgpack_pack_str_with_body(&pin, s, n);
	free(s);
}

static void
test_lengths(void)
{
	/* JSON text lengths around every str header boundary. */
	static const size_t lens[] = { 2, 31, 32, 33, 255, 256, 257, 65535,
	    65536, 65537, 3000000, 40000000, 2, 70000 };
	size_t	 i, keep;

	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++)
		for (keep = 0; keep <= 16; keep += 16) {
			msgpack_sbuffer_clear(&in);
			msgpack_pack_array(&pin, 1);
			pack_str(lens[i] - 2);
			CHECK(encode(keep, lens[i]) == 0);
		}
}

static void
test_values(void)
{
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "b", 1);
	msgpack_pack_int(&pin, 1);
	msgpack_pack_str_with_body(&pin, "a", 1);
	msgpack_pack_array(&pin, 0);
	CHECK(encode(3, 14) == 0 && text_is(3, "{\"b\":1,\"a\":[]}"));

	/* With options: sort_keys, pretty, truncation. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "b", 1);
	msgpack_pack_int(&pin, 1);
	msgpack_pack_str_with_body(&pin, "a", 1);
	msgpack_pack_array(&pin, 0);
	msgpack_pack_map(&pin, 1);
	msgpack_pack_str_with_body(&pin, "sort_keys", 9);
	msgpack_pack_true(&pin);
	CHECK(encode(0, 14) == 0 && text_is(0, "{\"a\":[],\"b\":1}"));
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	pack_str(100);
	msgpack_pack_map(&pin, 2);
	msgpack_pack_str_with_body(&pin, "max_size", 8);
	msgpack_pack_int(&pin, 40);
	msgpack_pack_str_with_body(&pin, "truncate", 8);
	msgpack_pack_true(&pin);
	CHECK(encode(5, 40) == 0);
	/* A nil options is no options. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_int(&pin, 7);
	msgpack_pack_nil(&pin);
	CHECK(encode(0, 1) == 0 && text_is(0, "7"));
}

static void
test_errors(void)
{
	/* Errors leave the result buffer as it was (checked in encode). */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	pack_str(100);
	msgpack_pack_map(&pin, 1);
	msgpack_pack_str_with_body(&pin, "max_size", 8);
	msgpack_pack_int(&pin, 40);
	CHECK(encode(7, 0) == FP_E_TOO_LARGE);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_sbuffer_write(&in, "\x92\x01\xc1", 3);
	CHECK(encode(7, 0) == FP_E_INVALID_PARAMS &&
	    strstr(hc.errmsg, "offset 2") != NULL);
	/* The value is the rest of [value]: what follows it is refused. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	msgpack_pack_int(&pin, 1);
	msgpack_pack_int(&pin, 2);
	CHECK(encode(0, 0) == FP_E_INVALID_PARAMS &&
	    strstr(hc.errmsg, "after the object") != NULL);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	CHECK(encode(0, 0) == FP_E_INVALID_PARAMS);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 0);
	CHECK(encode(0, 0) == FP_E_INVALID_PARAMS);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 3);
	msgpack_pack_int(&pin, 1);
	msgpack_pack_nil(&pin);
	msgpack_pack_nil(&pin);
	CHECK(encode(0, 0) == FP_E_INVALID_PARAMS);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_map(&pin, 0);
	CHECK(encode(0, 0) == FP_E_INVALID_PARAMS);
	/* [value, options] with a truncated value. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_sbuffer_write(&in, "\x92\x01", 2);
	CHECK(encode(0, 0) == FP_E_INVALID_PARAMS &&
	    strstr(hc.errmsg, "params must be") != NULL);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_int(&pin, 1);
	msgpack_pack_map(&pin, 1);
	msgpack_pack_str_with_body(&pin, "sort_keys", 9);
	msgpack_pack_int(&pin, 1);
	CHECK(encode(0, 0) == FP_E_INVALID_PARAMS &&
	    strstr(hc.errmsg, "sort_keys must be a boolean") != NULL);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	msgpack_pack_int(&pin, 1);
	msgpack_pack_map(&pin, 1);
	msgpack_pack_str_with_body(&pin, "indent", 6);
	msgpack_pack_int(&pin, 1);
	CHECK(encode(0, 0) == FP_E_INVALID_PARAMS &&
	    strstr(hc.errmsg, "unknown option") != NULL);
}

/* in = [an array nested `depth' deep, {pretty: 16, max_depth: 1000, ...}] */
static void
pack_deep(int depth, int nopt)
{
	int	 i;

	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 2);
	for (i = 1; i < depth; i++)
		msgpack_pack_array(&pin, 1);
	msgpack_pack_array(&pin, 0);
	msgpack_pack_map(&pin, 2 + nopt);
	msgpack_pack_str_with_body(&pin, "pretty", 6);
	msgpack_pack_int(&pin, 16);
	msgpack_pack_str_with_body(&pin, "max_depth", 9);
	msgpack_pack_int(&pin, 1000);
}

/*
 * The worker's limit on a result (hc.result_max): the text stops there
 * (too_large, naming the limit), or is cut there with truncate; a larger
 * max_size is lowered to it, a smaller one keeps its own meaning.
 */
static void
test_result_max(void)
{
	size_t	 room = 4096 - 64;

	result_max = 4096;
	/* 200 deep with pretty 16: 640 KB of text. */
	pack_deep(200, 0);
	CHECK(encode(0, 0) == FP_E_TOO_LARGE &&
	    strstr(hc.errmsg, "4032 bytes a result may hold") != NULL);
	pack_deep(200, 1);
	msgpack_pack_str_with_body(&pin, "truncate", 8);
	msgpack_pack_true(&pin);
	CHECK(encode(0, room) == 0 && out.size <= result_max);
	CHECK(encode(9, room) == 0 && out.size - 9 <= result_max);
	pack_deep(200, 2);
	msgpack_pack_str_with_body(&pin, "truncate", 8);
	msgpack_pack_true(&pin);
	msgpack_pack_str_with_body(&pin, "max_size", 8);
	msgpack_pack_int(&pin, 1000000);
	CHECK(encode(0, room) == 0);
	pack_deep(200, 1);
	msgpack_pack_str_with_body(&pin, "max_size", 8);
	msgpack_pack_int(&pin, 100);
	CHECK(encode(0, 0) == FP_E_TOO_LARGE &&
	    strstr(hc.errmsg, "max_size (100 bytes)") != NULL);
	/* Small texts are not affected: [[[]]] is 74 bytes with pretty 16. */
	pack_deep(3, 0);
	CHECK(encode(0, 74) == 0);
	/* A text of exactly the room fits; one byte more does not. */
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	pack_str(room - 2);
	CHECK(encode(0, room) == 0 && out.size <= result_max);
	msgpack_sbuffer_clear(&in);
	msgpack_pack_array(&pin, 1);
	pack_str(room - 1);
	CHECK(encode(0, 0) == FP_E_TOO_LARGE);
	result_max = 0;
}

int
main(void)
{
	msgpack_sbuffer_init(&in);
	msgpack_sbuffer_init(&out);
	msgpack_sbuffer_init(&other);
	msgpack_packer_init(&pin, &in, msgpack_sbuffer_write);
	msgpack_packer_init(&pout, &out, msgpack_sbuffer_write);
	msgpack_packer_init(&pother, &other, other_write);
	handlers_init(0);

	test_lengths();
	test_values();
	test_errors();
	test_result_max();

	msgpack_sbuffer_destroy(&in);
	msgpack_sbuffer_destroy(&out);
	msgpack_sbuffer_destroy(&other);
	return check_done("test_json_handlers");
}
