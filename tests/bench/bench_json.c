/*
 * bench_json.c -- fp_json_encode (MessagePack -> JSON) and fp_json_decode
 * (JSON -> MessagePack) speed on the W3 dataset of ../shared/peers,
 * in one process (what one worker does per json.encode/json.decode).
 *
 *	bench_json [-s seconds per round] [-r rounds] [-o file]
 *
 * The dataset (10,000 records, seed 42; tests/bench/w3_data.h) is built
 * directly as MessagePack; its compact JSON must be 1,197,430 bytes, as in
 * the peers harness (checked here; -o writes the text so that its sha256
 * can be compared with common/py/benchlib.py).  Each round repeats the
 * call for about `seconds' (default 1); the table shows the median and the
 * range of `rounds' (default 5) rounds, in MB/s (10^6 bytes) of JSON text.
 * Absolute numbers drift on shared machines: compare within one run.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <msgpack.h>

#include "buf.h"
#include "json.h"
#include "bench.h"
#include "w3_data.h"

#define MAXROUNDS	32

/* op: 0 encode, 1 decode, 2 encode with sort_keys */
static void
do_encode(const msgpack_sbuffer *sb, struct fp_buf *out, int sort)
{
	struct fp_json_enc_options	 o;
	struct fp_json_enc_result	 res;
	char			 err[200];

	fp_json_enc_options_init(&o);
	o.sort_keys = sort;
	out->off = out->len = 0;
	if (fp_json_encode((const uint8_t *)sb->data, sb->size, &o, out, &res,
	    err, sizeof(err)) == -1) {
		fprintf(stderr, "bench_json: fp_json_encode: %s\n", err);
		exit(1);
	}
	if (res.len != W3_JSON_LEN) {
		fprintf(stderr, "bench_json: JSON is %zu bytes, not %d\n",
		    res.len, W3_JSON_LEN);
		exit(1);
	}
}

static void
do_decode(const struct fp_buf *text, struct fp_buf *out, size_t expect)
{
	struct fp_json_dec_error	 e;

	out->off = out->len = 0;
	if (fp_json_decode(fp_buf_head(text), fp_buf_unread(text), NULL, out,
	    &e) == -1) {
		fprintf(stderr, "bench_json: fp_json_decode: offset %zu: %s\n",
		    e.offset, e.msg);
		exit(1);
	}
	if (out->len != expect) {
		fprintf(stderr, "bench_json: decoded %zu bytes, not %zu\n",
		    out->len, expect);
		exit(1);
	}
}

/* One table row: `rounds' rounds of about `secs' seconds each. */
static void
measure(const char *name, int op, const msgpack_sbuffer *sb,
    const struct fp_buf *text, double secs, int rounds)
{
	struct fp_buf	 out = { 0 };
	double		 mbs[MAXROUNDS], t0, t1, per;
	long		 n, i;
	int		 r;

	/* Calibrate: iterations for about `secs' seconds. */
	t0 = now();
	n = 0;
	do {
		if (op == 1)
			do_decode(text, &out, sb->size);
		else
			do_encode(sb, &out, op == 2);
		n++;
	} while ((t1 = now()) - t0 < 0.1);
	per = (t1 - t0) / (double)n;
	n = (long)(secs / per);
	if (n < 1)
		n = 1;
	for (r = 0; r < rounds; r++) {
		t0 = now();
		for (i = 0; i < n; i++) {
			if (op == 1)
				do_decode(text, &out, sb->size);
			else
				do_encode(sb, &out, op == 2);
		}
		t1 = now();
		mbs[r] = (double)W3_JSON_LEN * (double)n / (t1 - t0) / 1e6;
	}
	qsort(mbs, (size_t)rounds, sizeof(mbs[0]), cmp_double);
	printf("%-12s %10.0f   %6.0f-%-6.0f %10.3f %8ld\n", name,
	    mbs[rounds / 2], mbs[0], mbs[rounds - 1],
	    (double)W3_JSON_LEN / mbs[rounds / 2] / 1e3, n);
	fp_buf_free(&out);
}

int
main(int argc, char *argv[])
{
	msgpack_sbuffer	 sb;
	struct fp_buf	 text = { 0 }, back = { 0 };
	const char	*ofile = NULL, *env;
	double		 secs = 1.0;
	int		 rounds = 5, ch;
	FILE		*f;

	if ((env = getenv("FP_BENCH_SECONDS")) != NULL)
		secs = atof(env);
	while ((ch = getopt(argc, argv, "o:r:s:")) != -1) {
		switch (ch) {
		case 'o':
			ofile = optarg;
			break;
		case 'r':
			rounds = atoi(optarg);
			break;
		case 's':
			secs = atof(optarg);
			break;
		default:
			fprintf(stderr, "usage: bench_json [-s seconds] "
			    "[-r rounds] [-o file]\n");
			return 2;
		}
	}
	if (rounds < 1 || rounds > MAXROUNDS || !(secs > 0)) {
		fprintf(stderr, "bench_json: bad -r or -s\n");
		return 2;
	}

	msgpack_sbuffer_init(&sb);
	w3_pack(&sb, W3_RECORDS, W3_SEED);
	do_encode(&sb, &text, 0);
	if (ofile != NULL) {
		if ((f = fopen(ofile, "w")) == NULL ||
		    fwrite(fp_buf_head(&text), 1, fp_buf_unread(&text), f) !=
		    fp_buf_unread(&text) || fclose(f) != 0) {
			perror(ofile);
			return 1;
		}
	}
	/* The decoder picks the smallest forms, as msgpack-c's packer does. */
	do_decode(&text, &back, sb.size);
	if (memcmp(back.data, sb.data, sb.size) != 0) {
		fprintf(stderr, "bench_json: decode(encode(v)) != v\n");
		return 1;
	}

	printf("W3 dataset: %d records, seed %d: MessagePack %zu bytes, "
	    "JSON %zu bytes (round trip identical)\n", W3_RECORDS, W3_SEED,
	    sb.size, fp_buf_unread(&text));
	printf("MB/s = 10^6 bytes of JSON text per second; median (min-max) "
	    "of %d rounds of ~%.1f s\n", rounds, secs);
	printf("%-12s %10s   %-13s %10s %8s\n", "op", "MB/s", "min-max",
	    "ms/call", "calls");
	measure("json_encode", 0, &sb, &text, secs, rounds);
	measure("json_decode", 1, &sb, &text, secs, rounds);
	/* The same text with every record's keys sorted. */
	measure("encode_sort", 2, &sb, &text, secs, rounds);
	fp_buf_free(&text);
	fp_buf_free(&back);
	msgpack_sbuffer_destroy(&sb);
	return 0;
}
