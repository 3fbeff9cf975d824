/*
 * fp_json_client -- the peers harness client for forkpool's W3-style
 * benchmark: builds the W3 value once as MessagePack (tests/bench/
 * w3_data.h, byte-identical in JSON with common/py/benchlib.py), then
 * keeps --inflight json.encode [value] requests outstanding on one
 * connection through libforkpool and checks that every answer is
 * {text, truncated: false, size} with size and the text's length equal
 * to --expect-len.
 *
 * Unlike the other systems' W3 (the task carries a record count and the
 * worker encodes its own prebuilt array), here the 825 KB value travels
 * to the worker and the 1.2 MB text comes back, for every task.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "bench.h"
#include "forkpool.h"
#include "w3_data.h"

/* 0 when res is {text: str of expect bytes, truncated: false, size: expect}. */
static int
check(const struct fp_result *res, long expect)
{
	msgpack_unpacked u;
	msgpack_object	 m, k, v;
	size_t		 off = 0;
	uint32_t	 i;
	int		 seen = 0, ok = -1;

	if (res->error != FP_OK)
		return -1;
	msgpack_unpacked_init(&u);
	if (msgpack_unpack_next(&u, (const char *)res->data, res->len,
	    &off) != MSGPACK_UNPACK_SUCCESS)
		goto out;
	m = u.data;
	if (m.type != MSGPACK_OBJECT_MAP)
		goto out;
	for (i = 0; i < m.via.map.size; i++) {
		k = m.via.map.ptr[i].key;
		v = m.via.map.ptr[i].val;
		if (k.type != MSGPACK_OBJECT_STR)
			goto out;
		if (k.via.str.size == 4 && memcmp(k.via.str.ptr, "text", 4)
		    == 0) {
			if (v.type != MSGPACK_OBJECT_STR ||
			    (long)v.via.str.size != expect)
				goto out;
			seen |= 1;
		} else if (k.via.str.size == 4 &&
		    memcmp(k.via.str.ptr, "size", 4) == 0) {
			if (v.type != MSGPACK_OBJECT_POSITIVE_INTEGER ||
			    v.via.u64 != (uint64_t)expect)
				goto out;
			seen |= 2;
		} else if (k.via.str.size == 9 &&
		    memcmp(k.via.str.ptr, "truncated", 9) == 0) {
			if (v.type != MSGPACK_OBJECT_BOOLEAN || v.via.boolean)
				goto out;
			seen |= 4;
		}
	}
	ok = seen == 7 ? 0 : -1;
out:
	msgpack_unpacked_destroy(&u);
	return ok;
}

/* Run `total' tasks keeping `inflight' outstanding; lat may be NULL. */
static long
run(struct fp_client *c, const uint8_t *params, size_t plen, long expect,
    long total, int inflight, uint64_t *lat, uint64_t *first, uint64_t *last)
{
	struct fp_result res;
	uint64_t	*sent;
	char		 err[256];
	long		 submitted = 0, done = 0, errors = 0;
	uint32_t	 id;
	int		 rc, wait;

	/* msgids are assigned sequentially from 1 by the library. */
	sent = calloc((size_t)total + 1, sizeof(*sent));
	*first = bench_now_ns();
	while (done < total) {
		while (submitted < total && submitted - done < inflight) {
			if (fp_client_submit(c, "json.encode", params, plen,
			    &id) == -1) {
				fprintf(stderr, "submit: failed\n");
				exit(1);
			}
			sent[submitted++] = bench_now_ns();
		}
		if (fp_client_flush(c) == -1) {
			fprintf(stderr, "flush failed\n");
			exit(1);
		}
		/* Block for one answer, then take whatever else is there. */
		for (wait = -1;; wait = 0) {
			rc = fp_client_next(c, &res, wait, err, sizeof(err));
			if (rc == FP_AGAIN)
				break;
			if (rc == -1) {
				fprintf(stderr, "next: %s\n", err);
				exit(1);
			}
			if (check(&res, expect) == -1) {
				if (errors++ < 5)
					fprintf(stderr, "bad answer to %u: %s "
					    "%s\n", res.msgid, res.code,
					    res.message);
			}
			if (lat != NULL && res.msgid >= 1 &&
			    (long)res.msgid <= total)
				lat[done] = bench_now_ns() - sent[res.msgid - 1];
			done++;
			if (done == total)
				break;
		}
	}
	*last = bench_now_ns();
	free(sent);
	return errors;
}

int
main(int argc, char *argv[])
{
	struct bench_args a;
	struct fp_client *c;
	msgpack_sbuffer	 sb;
	char		 err[256];
	uint64_t	*lat, t0, t1;
	long		 errors, expect;

	bench_parse_args(&a, argc, argv);
	if (a.op != OP_JSON) {
		fprintf(stderr, "fp_json_client: only --op json (the forkpool "
		    "adapter runs the others)\n");
		return 1;
	}
	/* params = [value]: a fixarray of one, then the W3 array. */
	msgpack_sbuffer_init(&sb);
	msgpack_sbuffer_write(&sb, "\x91", 1);
	w3_pack(&sb, a.records, a.seed);
	expect = a.expect_len;
	if (expect <= 0) {
		fprintf(stderr, "fp_json_client: --expect-len is required\n");
		return 1;
	}
	lat = calloc((size_t)a.tasks, sizeof(*lat));
	/* Warm-up and timed phase each on a fresh connection: msgids from 1. */
	if ((c = fp_client_open(a.socket_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "connect: %s\n", err);
		return 1;
	}
	errors = run(c, (const uint8_t *)sb.data, sb.size, expect, a.warmup,
	    a.inflight, NULL, &t0, &t1);
	fp_client_close(c);
	if ((c = fp_client_open(a.socket_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "connect: %s\n", err);
		return 1;
	}
	errors += run(c, (const uint8_t *)sb.data, sb.size, expect, a.tasks,
	    a.inflight, lat, &t0, &t1);
	fp_client_close(c);
	bench_emit_result(lat, a.tasks, t1 - t0, errors);
	msgpack_sbuffer_destroy(&sb);
	return errors == 0 ? 0 : 1;
}
