/*
 * fp_client -- the peers harness client for forkpool: keeps --inflight
 * requests outstanding on one connection through libforkpool, batching
 * submissions into one write per round, and checks every answer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench.h"
#include "forkpool.h"

struct req {
	uint8_t	*params;
	size_t	 plen;
	const char *method;
	const uint8_t *expect;	/* echo: the result must be these bytes */
	size_t	 elen;
};

/* [bin payload] with a bin32 header, or [spin_us]. */
static void
make_request(const struct bench_args *a, struct req *r)
{
	unsigned char	*pl;
	size_t		 n = a->size;

	if (a->op == OP_SPIN) {
		r->method = "spin";
		r->params = malloc(16);
		r->params[0] = 0x91;
		r->params[1] = 0xce;
		r->params[2] = (uint8_t)(a->spin_us >> 24);
		r->params[3] = (uint8_t)(a->spin_us >> 16);
		r->params[4] = (uint8_t)(a->spin_us >> 8);
		r->params[5] = (uint8_t)a->spin_us;
		r->plen = 6;
		r->expect = NULL;
		return;
	}
	r->method = "echo";
	pl = bench_make_payload(n, a->seed);
	r->params = malloc(n + 6);
	r->params[0] = 0x91;
	r->params[1] = 0xc6;
	r->params[2] = (uint8_t)(n >> 24);
	r->params[3] = (uint8_t)(n >> 16);
	r->params[4] = (uint8_t)(n >> 8);
	r->params[5] = (uint8_t)n;
	memcpy(r->params + 6, pl, n);
	r->plen = n + 6;
	free(pl);
	r->expect = r->params + 1;
	r->elen = n + 5;
}

/* The daemon may choose a shorter bin header: compare the payload only. */
static int
check(const struct req *r, const struct fp_result *res)
{
	size_t	 n, h;

	if (res->error != FP_OK)
		return -1;
	if (r->expect == NULL)
		return 0;
	n = r->elen - 5;
	if (res->len < n)
		return -1;
	h = res->len - n;
	if (h < 2 || h > 5 || res->data[0] < 0xc4 || res->data[0] > 0xc6)
		return -1;
	return memcmp(res->data + h, r->expect + 5, n) == 0 ? 0 : -1;
}

/* Run `total' tasks keeping `inflight' outstanding; lat may be NULL. */
static long
run(struct fp_client *c, const struct req *r, long total, int inflight,
    uint64_t *lat, uint64_t *first, uint64_t *last)
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
			if (fp_client_submit(c, r->method, r->params, r->plen,
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
			if (check(r, &res) == -1) {
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
	struct req	 r;
	char		 err[256];
	uint64_t	*lat, t0, t1;
	long		 errors;

	bench_parse_args(&a, argc, argv);
	if (a.op == OP_JSON) {
		fprintf(stderr, "json: not supported yet\n");
		return 1;
	}
	make_request(&a, &r);
	lat = calloc((size_t)a.tasks, sizeof(*lat));
	/* Warm-up and timed phase each on a fresh connection: msgids from 1. */
	if ((c = fp_client_open(a.socket_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "connect: %s\n", err);
		return 1;
	}
	errors = run(c, &r, a.warmup, a.inflight, NULL, &t0, &t1);
	fp_client_close(c);
	if ((c = fp_client_open(a.socket_path, err, sizeof(err))) == NULL) {
		fprintf(stderr, "connect: %s\n", err);
		return 1;
	}
	errors += run(c, &r, a.tasks, a.inflight, lat, &t0, &t1);
	fp_client_close(c);
	bench_emit_result(lat, a.tasks, t1 - t0, errors);
	return errors == 0 ? 0 : 1;
}
