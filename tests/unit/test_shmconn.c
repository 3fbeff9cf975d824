/*
 * test_shmconn.c -- unit tests of src/shmconn.c, a connection's
 * shared-memory arena: what shmconn_attach refuses (not a memfd, not
 * sealed, wrong sizes, write-sealed), and, on an arena the test formats
 * and writes as a client would, params taken (copied, released) only when
 * the record is the request's, results put when they fit, in order, a
 * corrupt ring reported as such, and params held in place handed back in
 * order however they are done with.
 */
#include <sys/mman.h>

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fpshm.h"
#include "shmconn.h"

#define S	((size_t)512 << 10)	/* ring data bytes: records to 128K */

/* A memfd of len bytes with these seals added (0: none). */
static int
arena_fd(size_t len, int seals)
{
	int	 fd;

	if ((fd = memfd_create("t", MFD_CLOEXEC | MFD_ALLOW_SEALING)) == -1 ||
	    ftruncate(fd, (off_t)len) == -1 ||
	    (seals != 0 && fcntl(fd, F_ADD_SEALS, seals) == -1)) {
		perror("memfd");
		exit(2);
	}
	return fd;
}

static void
refused(int fd, uint64_t size, size_t max, const char *want)
{
	const char	*why = NULL;

	CHECK(shmconn_attach(fd, size, max, &why) == NULL);
	CHECK(why != NULL && strstr(why, want) != NULL);
	if (why == NULL || strstr(why, want) == NULL)
		fprintf(stderr, "  want \"%s\", got \"%s\"\n", want,
		    why != NULL ? why : "(null)");
	close(fd);
}

static void
test_refused(void)
{
	size_t	 len = 2 * fp_ring_bytes(S);
	int	 p[2];

	if (pipe(p) == -1)
		exit(2);
	refused(p[0], S, S, "not a memfd");
	close(p[1]);
	refused(arena_fd(len, 0), S, S, "not sealed");
	refused(arena_fd(len + 4096, F_SEAL_SHRINK), S, S, "size");
	refused(arena_fd(len, F_SEAL_SHRINK), S, S / 2, "power of two");
	refused(arena_fd(len, F_SEAL_SHRINK), S + 8, 1 << 30, "power of two");
	refused(arena_fd(len, F_SEAL_SHRINK), S, 0, "off");
	refused(arena_fd(len, F_SEAL_SHRINK | F_SEAL_WRITE), S, S,
	    "mapped for writing");
}

/*
 * An arena as a client makes it (two formatted rings, our sides attached
 * in req and res, the mapping in *base), attached as the daemon does; NULL
 * (and a failed check) if it is refused.
 */
static struct shmconn *
open_arena(struct fp_ring *req, struct fp_ring *res, uint8_t **base)
{
	struct shmconn	*s;
	const char	*why = NULL;
	size_t		 rb = fp_ring_bytes(S);
	int		 fd;

	fd = arena_fd(2 * rb, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
	*base = mmap(NULL, 2 * rb, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	CHECK(*base != MAP_FAILED);
	if (*base == MAP_FAILED)
		exit(2);
	CHECK(fp_ring_format(*base, S) == 0 &&
	    fp_ring_format(*base + rb, S) == 0);
	CHECK(fp_ring_attach(req, *base, S, 1, -1) == 0);
	CHECK(fp_ring_attach(res, *base + rb, S, 0, -1) == 0);
	s = shmconn_attach(fd, S, S, &why);
	close(fd);
	CHECK(s != NULL);
	if (s == NULL)
		fprintf(stderr, "  attach: %s\n", why);
	return s;
}

static void
test_rings(void)
{
	struct fp_ring	 req, res;
	struct fp_rec	 rec;
	struct shmconn	*s;
	const char	*why = NULL;
	uint8_t		*base, *block, *p, big[140000];
	int		 i, n;
	size_t		 rb = fp_ring_bytes(S);

	s = open_arena(&req, &res, &base);
	if (s == NULL)
		return;
	CHECK(shmconn_bytes(s) == 2 * rb);

	/* Nothing there; then another id (left); then the right one. */
	CHECK(shmconn_take(s, 5, 3, &block, &why) == -1);
	p = fp_ring_alloc(&req, FP_REC_TASK, 0, 6, 3);
	memcpy(p, "\x92\x01\x02", 3);
	fp_ring_publish(&req);
	CHECK(shmconn_take(s, 5, 3, &block, &why) == -1);
	CHECK(shmconn_take(s, 6, 3, &block, &why) == 0);
	CHECK(memcmp(block, "\x92\x01\x02", 3) == 0);
	free(block);
	/* The right id, another length: dropped. */
	p = fp_ring_alloc(&req, FP_REC_TASK, 0, 7, 3);
	memcpy(p, "\x92\x01\x02", 3);
	fp_ring_publish(&req);
	CHECK(shmconn_take(s, 7, 4, &block, &why) == -1);
	CHECK(shmconn_take(s, 7, 3, &block, &why) == -1 &&
	    strstr(why, "no params") != NULL);

	/* Results: in ring 1 in order, those past a quarter of it not. */
	memset(big, 0xab, sizeof(big));
	CHECK(shmconn_put(s, 2, big, SHM_RESULT_MIN + 1) == 1);
	CHECK(shmconn_put(s, 3, big, sizeof(big)) == 0);	/* > maxrec */
	/* Until the ring is full, then again once the client releases. */
	for (n = 0; n < 100 && shmconn_put(s, 4 + n, big, SHM_RESULT_MIN + 8) ==
	    1; n++)
		;
	CHECK(n >= 5 && n < 8);
	CHECK(fp_ring_peek(&res, &rec) == 0 && rec.id == 2 &&
	    rec.len == SHM_RESULT_MIN + 1 && rec.type == FP_REC_RESULT &&
	    rec.data[0] == 0xab && rec.data[SHM_RESULT_MIN] == 0xab);
	fp_ring_consume(&res);
	fp_ring_release(&res);
	CHECK(shmconn_put(s, 4 + n, big, SHM_RESULT_MIN + 8) == 1);
	for (i = 0; i <= n; i++) {
		CHECK(fp_ring_peek(&res, &rec) == 0 &&
		    rec.id == (uint64_t)(4 + i));
		fp_ring_consume(&res);
	}
	fp_ring_release(&res);

	/* A corrupt index: the reader and the writer both say so. */
	memset(base + FP_RING_OFF_HEAD, 0x55, 8);
	CHECK(shmconn_take(s, 8, 3, &block, &why) == -2);
	memset(base + rb + FP_RING_OFF_TAIL, 0x55, 8);
	for (i = 0; i < 20; i++)	/* until it reads the tail again */
		if (shmconn_put(s, 9, big, SHM_RESULT_MIN + 8) != 1)
			break;
	CHECK(shmconn_put(s, 9, big, SHM_RESULT_MIN + 8) == -1);
	shmconn_detach(s);
	munmap(base, 2 * rb);
}

/*
 * Params held in place: records are handed back (ring 0's tail moves)
 * exactly as far as the oldest still held, whatever order they are done
 * with in; the mapping outlives the connection while any is held.
 */
static void
test_holds(void)
{
	enum { N = 2000 };
	struct fp_ring	 req, res;
	struct shm_hold	*h[N];
	struct shmconn	*s;
	const char	*why = NULL;
	const uint8_t	*pp;
	uint64_t	 end[N], tail;
	uint8_t		*base, *p;
	int		 done[N], order[N], i, j, k, oldest;
	size_t		 rb = fp_ring_bytes(S);
	unsigned	 seed = 12345;

	s = open_arena(&req, &res, &base);
	if (s == NULL)
		return;
	/* In rounds of 100 held at once, done with in a shuffled order. */
	for (k = 0; k < N; k += 100) {
		for (i = k; i < k + 100; i++) {
			p = fp_ring_alloc(&req, FP_REC_TASK, 0, (uint64_t)i,
			    1 + i % 700);
			CHECK(p != NULL);
			if (p == NULL)
				return;
			p[0] = 0x90;
			fp_ring_publish(&req);
			CHECK(shmconn_hold(s, (uint32_t)i, 1 + i % 700, &pp,
			    &h[i], &why) == 0 && pp[0] == 0x90);
			end[i] = fp_ring_index(&req);
			done[i] = 0;
			order[i - k] = i;
		}
		for (i = 99; i > 0; i--) {
			j = (int)(rand_r(&seed) % (unsigned)(i + 1));
			int t = order[i];
			order[i] = order[j];
			order[j] = t;
		}
		for (i = 0; i < 100; i++) {
			shmconn_done(s, h[order[i]]);
			done[order[i]] = 1;
			for (oldest = k; oldest < k + 100 && done[oldest];
			    oldest++)
				;
			tail = *(volatile uint64_t *)(base +
			    FP_RING_OFF_TAIL);
			CHECK(tail == (oldest > 0 ? end[oldest - 1] : 0));
		}
	}
	/* The connection goes first: the arena stays while one is held. */
	p = fp_ring_alloc(&req, FP_REC_TASK, 0, 1, 3);
	memcpy(p, "\x92\x01\x02", 3);
	fp_ring_publish(&req);
	CHECK(shmconn_hold(s, 1, 3, &pp, &h[0], &why) == 0);
	shmconn_detach(s);
	CHECK(pp[0] == 0x92);		/* ASan: still mapped */
	shmconn_done(s, h[0]);		/* unmapped and freed now */
	munmap(base, 2 * rb);
}

int
main(void)
{
	test_refused();
	test_rings();
	test_holds();
	return check_done("test_shmconn");
}
