/*
 * test_proto.c -- the supervisor's MessagePack-RPC codec: the streaming
 * validator, request parsing, and the response writers (checked against
 * msgpack-c's decoder).
 */
#include <sys/types.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "forkpool.h"
#include "proto.h"
#include "check.h"
#include "../fuzz/mp_skip_ref.h"

static msgpack_sbuffer	 sb;
static msgpack_packer	 pk;

static void
reset(void)
{
	msgpack_sbuffer_clear(&sb);
}

/* Pack a sample of every MessagePack type into sb. */
static void
pack_everything(void)
{
	static const char big[70000];
	int	 i;

	msgpack_pack_array(&pk, 24);
	msgpack_pack_nil(&pk);
	msgpack_pack_true(&pk);
	msgpack_pack_false(&pk);
	msgpack_pack_int(&pk, 5);
	msgpack_pack_int(&pk, -5);
	msgpack_pack_int64(&pk, -200);
	msgpack_pack_int64(&pk, -40000);
	msgpack_pack_int64(&pk, -3000000000LL);
	msgpack_pack_uint64(&pk, 200);
	msgpack_pack_uint64(&pk, 60000);
	msgpack_pack_uint64(&pk, 4000000000ULL);
	msgpack_pack_uint64(&pk, UINT64_MAX);
	msgpack_pack_float(&pk, 1.5f);
	msgpack_pack_double(&pk, 2.25);
	msgpack_pack_str_with_body(&pk, "short", 5);
	msgpack_pack_str_with_body(&pk, big, 100);
	msgpack_pack_str_with_body(&pk, big, 70000);
	msgpack_pack_bin_with_body(&pk, big, 300);
	msgpack_pack_ext_with_body(&pk, big, 1, 7);
	msgpack_pack_ext_with_body(&pk, big, 4, 7);
	msgpack_pack_ext_with_body(&pk, big, 33, 7);
	msgpack_pack_map(&pk, 20);
	for (i = 0; i < 20; i++) {
		msgpack_pack_int(&pk, i);
		msgpack_pack_array(&pk, 1);
		msgpack_pack_map(&pk, 0);
	}
	msgpack_pack_array(&pk, 17);
	for (i = 0; i < 17; i++)
		msgpack_pack_array(&pk, 0);
	msgpack_pack_bin_with_body(&pk, big, 0);
}

static void
test_skip(void)
{
	struct fp_mp_skip	 s;
	size_t		 used, total, i, fed;
	int		 r;

	reset();
	pack_everything();
	total = sb.size;
	CHECK(fp_mp_object_len((uint8_t *)sb.data, sb.size, 1) == (ssize_t)total);
	/* Every truncation is incomplete, never complete, never invalid. */
	for (i = 0; i < total; i += (i < 2000 ? 1 : 997))
		CHECK(fp_mp_object_len((uint8_t *)sb.data, i, 0) == -1);
	/* Fed one byte at a time, the object ends exactly at its end. */
	fp_mp_skip_init(&s);
	fed = 0;
	r = FP_AGAIN;
	for (i = 1; i <= total && r == FP_AGAIN; i++) {
		r = fp_mp_skip_feed(&s, (uint8_t *)sb.data + fed, i - fed, &used);
		fed += used;
	}
	CHECK(r == 0);
	CHECK(s.pos == total);
	CHECK(fed == total);
	/* Trailing bytes are left alone. */
	{
		uint8_t two[] = { 0x01, 0x02 };
		CHECK(fp_mp_object_len(two, 2, 0) == 1);
		CHECK(fp_mp_object_len(two, 2, 1) == -1);
	}
	/* 0xc1 is never valid, even nested. */
	{
		uint8_t bad[] = { 0x92, 0x01, 0xc1 };
		fp_mp_skip_init(&s);
		CHECK(fp_mp_skip_feed(&s, bad, sizeof(bad), &used) == -1);
	}
	/* A declared 4 GB string is incomplete and the bound says so. */
	{
		uint8_t huge[] = { 0xdb, 0xff, 0xff, 0xff, 0xf0, 'a' };
		fp_mp_skip_init(&s);
		CHECK(fp_mp_skip_feed(&s, huge, sizeof(huge), &used) == FP_AGAIN);
		CHECK(fp_mp_skip_need(&s) >= 0xfffffff0ULL);
	}
	/* A declared huge array of nils needs no memory to skip. */
	{
		uint8_t arr[] = { 0xdd, 0x00, 0x10, 0x00, 0x00 };
		uint8_t nils[4096];
		uint64_t left = 0x100000;

		memset(nils, 0xc0, sizeof(nils));
		fp_mp_skip_init(&s);
		CHECK(fp_mp_skip_feed(&s, arr, sizeof(arr), &used) == FP_AGAIN);
		while (left > sizeof(nils)) {
			CHECK(fp_mp_skip_feed(&s, nils, sizeof(nils), &used) ==
			    FP_AGAIN);
			left -= sizeof(nils);
		}
		CHECK(fp_mp_skip_feed(&s, nils, (size_t)left, &used) == 0);
		CHECK(s.pos == 5 + 0x100000);
	}
	/* Deep nesting costs nothing. */
	{
		size_t	 depth = 100000;
		uint8_t	*deep = malloc(depth + 1);

		memset(deep, 0x91, depth);
		deep[depth] = 0xc0;
		CHECK(fp_mp_object_len(deep, depth + 1, 1) == (ssize_t)depth + 1);
		free(deep);
	}
}


/* ---- differential test of fp_mp_skip_feed against the reference ---- */

static uint64_t rs = 0x2545f4914f6cdd1dULL;

static uint64_t
rnd(void)
{
	return check_xorshift(&rs);
}

static long budget;		/* objects left for this document */

/* gen: a random object into sb, often with long runs of scalars. */
static void
gen(int depth)
{
	static const char body[300];
	uint32_t n, i;

	if (budget > 0)
		budget--;
	switch (rnd() % (depth > 6 || budget == 0 ? 8 : 11)) {
	case 0: msgpack_pack_nil(&pk); break;
	case 1: msgpack_pack_int64(&pk, (int64_t)rnd() >> (rnd() % 64)); break;
	case 2: msgpack_pack_uint64(&pk, rnd() >> (rnd() % 64)); break;
	case 3: msgpack_pack_double(&pk, 0.5); break;
	case 4: msgpack_pack_float(&pk, 0.5f); break;
	case 5: msgpack_pack_str_with_body(&pk, body, rnd() % 300); break;
	case 6: msgpack_pack_bin_with_body(&pk, body, rnd() % 300); break;
	case 7:
		n = (uint32_t)(rnd() % 40);
		msgpack_pack_ext_with_body(&pk, body, n, (int8_t)rnd());
		break;
	case 8: case 9:
		n = (uint32_t)(rnd() % (rnd() % 8 == 0 ? 70000 : 20));
		if (n > budget)
			n = (uint32_t)budget;
		msgpack_pack_array(&pk, n);
		for (i = 0; i < n; i++)
			gen(depth + 1);
		break;
	default:
		n = (uint32_t)(rnd() % 20);
		if (2 * n > budget)
			n = (uint32_t)(budget / 2);
		msgpack_pack_map(&pk, n);
		for (i = 0; i < 2 * n; i++)
			gen(depth + 1);
		break;
	}
}

/*
 * diff_one: feed p[0..n) to both skippers as control.c does (what was
 * used is not fed again), in chunks of random size; every call must give
 * the same result, use and state.  Returns 0 if they agree.
 */
static int
diff_one(const uint8_t *p, size_t n)
{
	struct fp_mp_skip	 a, b;
	size_t		 fed = 0, avail = 0, ua, ub;
	int		 ra, rb;

	fp_mp_skip_init(&a);
	fp_mp_skip_init(&b);
	for (;;) {
		if (avail < n)
			avail += 1 + (size_t)(rnd() % (rnd() % 4 == 0 ?
			    100000 : 64));
		if (avail > n)
			avail = n;
		ra = fp_mp_skip_feed(&a, p + fed, avail - fed, &ua);
		rb = ref_skip_feed(&b, p + fed, avail - fed, &ub);
		if (ra != rb || ua != ub || a.remaining != b.remaining ||
		    a.skip != b.skip || a.pos != b.pos ||
		    fp_mp_skip_need(&a) != fp_mp_skip_need(&b)) {
			fprintf(stderr, "differ at %zu of %zu: rv %d/%d used "
			    "%zu/%zu remaining %llu/%llu skip %llu/%llu\n",
			    fed, n, ra, rb, ua, ub,
			    (unsigned long long)a.remaining,
			    (unsigned long long)b.remaining,
			    (unsigned long long)a.skip,
			    (unsigned long long)b.skip);
			return -1;
		}
		fed += ua;
		if (ra != FP_AGAIN || avail == n)
			break;
	}
	/* and in one piece, through fp_mp_object_len */
	fp_mp_skip_init(&b);
	rb = ref_skip_feed(&b, p, n, &ub);
	if (fp_mp_object_len(p, n, 0) != (rb == 0 ? (ssize_t)ub : -1) ||
	    fp_mp_object_len(p, n, 1) != (rb == 0 && ub == n ? (ssize_t)n : -1))
		return -1;
	return 0;
}

static void
test_skip_diff(void)
{
	uint8_t	*p;
	size_t	 n, i, k;
	int	 bad = 0, complete = 0, invalid = 0, t;

	for (t = 0; t < 3000 && bad < 5; t++) {
		reset();
		budget = rnd() % 8 == 0 ? 100000 : 300;
		gen(0);
		n = sb.size;
		p = malloc(n + 64);
		memcpy(p, sb.data, n);
		switch (t % 4) {
		case 0:		/* as generated */
			break;
		case 1:		/* truncated */
			n = (size_t)(rnd() % n);
			break;
		case 2:		/* a few bytes changed, 0xc1 among them */
			for (k = 0; k < 1 + rnd() % 4; k++)
				p[rnd() % n] = rnd() % 2 == 0 ? 0xc1 :
				    (uint8_t)rnd();
			break;
		default:	/* random bytes after a valid head */
			for (i = n / 2; i < n; i++)
				p[i] = (uint8_t)rnd();
			break;
		}
		if (diff_one(p, n) != 0) {
			bad++;
			fprintf(stderr, "case %d (%zu bytes)\n", t, n);
		}
		k = 0;
		if (fp_mp_object_len(p, n, 0) >= 0)
			complete++;
		else {
			struct fp_mp_skip s;

			fp_mp_skip_init(&s);
			if (fp_mp_skip_feed(&s, p, n, &k) == -1)
				invalid++;
		}
		free(p);
	}
	CHECK(bad == 0);
	/* The cases cover all three outcomes. */
	CHECK(complete > 500 && invalid > 100 && t - complete - invalid > 500);
	/* Random bytes, too. */
	p = malloc(4096);
	for (t = 0; t < 3000 && bad < 5; t++) {
		n = 1 + (size_t)(rnd() % 4096);
		for (i = 0; i < n; i++)
			p[i] = (uint8_t)rnd();
		if (diff_one(p, n) != 0)
			bad++;
	}
	free(p);
	CHECK(bad == 0);
}

static void
test_parse(void)
{
	struct rpc_msg	 m;
	const char	*why;

	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_uint32(&pk, 4000000000U);
	msgpack_pack_str_with_body(&pk, "echo", 4);
	msgpack_pack_array(&pk, 1);
	msgpack_pack_str_with_body(&pk, "hi", 2);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == 0);
	CHECK(m.type == RPC_REQUEST);
	CHECK(m.msgid == 4000000000U);
	CHECK(m.mlen == 4 && memcmp(m.method, "echo", 4) == 0);
	CHECK(m.nparams == 1);
	CHECK(m.plen == 4 && m.params[0] == 0x91);

	reset();
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, 2);
	msgpack_pack_str_with_body(&pk, "nvim_x", 6);
	msgpack_pack_array(&pk, 0);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == 0);
	CHECK(m.type == RPC_NOTIFY && !m.has_msgid);

	/* Params in the arena: ext 70 with the length; other exts are not. */
	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_int(&pk, 9);
	msgpack_pack_str_with_body(&pk, "echo", 4);
	msgpack_pack_ext_with_body(&pk, "\x00\x01\x00\x02", 4, FP_EXT_SHM);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == 0);
	CHECK(m.shm && m.shmlen == 65538 && m.msgid == 9);
	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_int(&pk, 9);
	msgpack_pack_str_with_body(&pk, "echo", 4);
	msgpack_pack_ext_with_body(&pk, "\x00\x01\x00\x02", 4, 71);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_int(&pk, 9);
	msgpack_pack_str_with_body(&pk, "echo", 4);
	msgpack_pack_ext_with_body(&pk, "\x00\x01\x00", 3, FP_EXT_SHM);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);

	/* Bad: method not a string; msgid readable. */
	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 5);
	msgpack_pack_array(&pk, 0);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	CHECK(m.has_msgid && m.msgid == 1);

	/* Bad: params not an array. */
	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_int(&pk, 7);
	msgpack_pack_str_with_body(&pk, "echo", 4);
	msgpack_pack_int(&pk, 5);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	CHECK(m.has_msgid && m.msgid == 7);

	/* Bad: negative msgid, msgid > 32 bits: no msgid to answer. */
	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_int(&pk, -1);
	msgpack_pack_str_with_body(&pk, "echo", 4);
	msgpack_pack_array(&pk, 0);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	CHECK(!m.has_msgid);
	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_uint64(&pk, 1ULL << 32);
	msgpack_pack_str_with_body(&pk, "echo", 4);
	msgpack_pack_array(&pk, 0);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	CHECK(!m.has_msgid);

	/* Bad: not an array, wrong length, a response, unknown type. */
	reset();
	msgpack_pack_map(&pk, 0);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	reset();
	msgpack_pack_array(&pk, 5);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_int(&pk, 3);
	msgpack_pack_str_with_body(&pk, "echo", 4);
	msgpack_pack_array(&pk, 0);
	msgpack_pack_nil(&pk);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	CHECK(m.has_msgid && m.msgid == 3);
	reset();
	msgpack_pack_array(&pk, 4);
	msgpack_pack_int(&pk, 1);
	msgpack_pack_int(&pk, 3);
	msgpack_pack_nil(&pk);
	msgpack_pack_nil(&pk);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	reset();
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, 9);
	msgpack_pack_str_with_body(&pk, "x", 1);
	msgpack_pack_array(&pk, 0);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	/* Request of three elements: bad, but the msgid is answerable. */
	reset();
	msgpack_pack_array(&pk, 3);
	msgpack_pack_int(&pk, 0);
	msgpack_pack_int(&pk, 12);
	msgpack_pack_str_with_body(&pk, "x", 1);
	CHECK(proto_parse((uint8_t *)sb.data, sb.size, &m, &why) == -1);
	CHECK(m.has_msgid && m.msgid == 12);

	/* peek_msgid works on a prefix. */
	{
		uint32_t id = 0;
		reset();
		msgpack_pack_array(&pk, 4);
		msgpack_pack_int(&pk, 0);
		msgpack_pack_uint32(&pk, 70000);
		CHECK(proto_peek_msgid((uint8_t *)sb.data, sb.size, &id) == 0);
		CHECK(id == 70000);
		CHECK(proto_peek_msgid((uint8_t *)sb.data, 2, &id) == -1);
	}
}

/* Decode b with msgpack-c and return the object (zone kept in z). */
static int
decode(struct fp_buf *b, msgpack_zone *z, msgpack_object *o)
{
	size_t off = 0;

	msgpack_zone_clear(z);
	if (msgpack_unpack((char *)b->data, b->len, &off, z, o) !=
	    MSGPACK_UNPACK_SUCCESS)
		return -1;
	return off == b->len ? 0 : -1;
}

static void
test_writers(void)
{
	static const int64_t ints[] = { 0, 1, 127, 128, 255, 256, 65535,
	    65536, 4294967295LL, 4294967296LL, INT64_MAX, -1, -32, -33, -128,
	    -129, -32768, -32769, INT32_MIN, (int64_t)INT32_MIN - 1,
	    INT64_MIN };
	struct fp_buf	 b = { 0 };
	msgpack_zone	 z;
	msgpack_object	 o;
	size_t		 i, lens[] = { 0, 31, 32, 255, 256, 65535, 65536 };
	char		*s;

	msgpack_zone_init(&z, 1024);
	for (i = 0; i < sizeof(ints) / sizeof(ints[0]); i++) {
		b.len = 0;
		CHECK(fp_mp_put_int(&b, ints[i]) == 0);
		CHECK(decode(&b, &z, &o) == 0);
		if (ints[i] >= 0)
			CHECK(o.type == MSGPACK_OBJECT_POSITIVE_INTEGER &&
			    o.via.u64 == (uint64_t)ints[i]);
		else
			CHECK(o.type == MSGPACK_OBJECT_NEGATIVE_INTEGER &&
			    o.via.i64 == ints[i]);
	}
	b.len = 0;
	CHECK(fp_mp_put_uint(&b, UINT64_MAX) == 0);
	CHECK(decode(&b, &z, &o) == 0 && o.via.u64 == UINT64_MAX);
	s = calloc(1, 65536);
	for (i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		b.len = 0;
		CHECK(fp_mp_put_str(&b, s, lens[i]) == 0);
		CHECK(decode(&b, &z, &o) == 0 && o.type == MSGPACK_OBJECT_STR &&
		    o.via.str.size == lens[i]);
		b.len = 0;
		CHECK(fp_mp_put_array(&b, (uint32_t)lens[i]) == 0);
		CHECK(fp_buf_reserve(&b, lens[i]) == 0);
		memset(b.data + b.len, 0xc0, lens[i]);
		b.len += lens[i];
		CHECK(decode(&b, &z, &o) == 0 &&
		    o.type == MSGPACK_OBJECT_ARRAY &&
		    o.via.array.size == lens[i]);
	}
	free(s);
	b.len = 0;
	CHECK(fp_mp_put_double(&b, 0.1) == 0);
	CHECK(decode(&b, &z, &o) == 0 && o.type == MSGPACK_OBJECT_FLOAT64 &&
	    o.via.f64 == 0.1);

	/* Responses. */
	b.len = 0;
	CHECK(proto_put_error(&b, 42, FP_E_QUEUE_FULL, "full", "signal",
	    9) == 0);
	CHECK(decode(&b, &z, &o) == 0);
	CHECK(o.type == MSGPACK_OBJECT_ARRAY && o.via.array.size == 4);
	CHECK(o.via.array.ptr[0].via.u64 == 1);
	CHECK(o.via.array.ptr[1].via.u64 == 42);
	CHECK(o.via.array.ptr[2].type == MSGPACK_OBJECT_MAP &&
	    o.via.array.ptr[2].via.map.size == 3);
	CHECK(o.via.array.ptr[2].via.map.ptr[0].val.via.str.size == 10 &&
	    memcmp(o.via.array.ptr[2].via.map.ptr[0].val.via.str.ptr,
	    "queue_full", 10) == 0);
	CHECK(o.via.array.ptr[3].type == MSGPACK_OBJECT_NIL);
	b.len = 0;
	CHECK(proto_put_result(&b, 7, "\xa2hi", 3) == 0);
	CHECK(decode(&b, &z, &o) == 0);
	CHECK(o.via.array.ptr[2].type == MSGPACK_OBJECT_NIL);
	CHECK(o.via.array.ptr[3].type == MSGPACK_OBJECT_STR);
	fp_buf_free(&b);
	msgpack_zone_destroy(&z);
}

static void
test_errnames(void)
{
	int	 i;

	for (i = 1; i < FP_E__COUNT; i++) {
		const char *n = fp_err_name(i);
		CHECK(fp_err_code(n, strlen(n)) == i);
	}
	CHECK(strcmp(fp_err_name(FP_E_WORKER_CRASHED), "worker_crashed") == 0);
	CHECK(strcmp(fp_err_name(FP_E_SHUTTING_DOWN), "shutting_down") == 0);
	CHECK(fp_err_code("nonsense", 8) == -1);
}

int
main(void)
{
	msgpack_sbuffer_init(&sb);
	msgpack_packer_init(&pk, &sb, msgpack_sbuffer_write);
	test_skip();
	test_skip_diff();
	test_parse();
	test_writers();
	test_errnames();
	msgpack_sbuffer_destroy(&sb);
	return check_done("test_proto");
}
