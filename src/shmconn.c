/*
 * shmconn.c -- a client connection's shared-memory arena: its checks, its
 * mapping, and our side of its two rings (shmconn.h).
 *
 * The arena is the client's memory: whatever it holds, the client may
 * change at any time.  Ring indices and record headers are validated by
 * fpshm (fp_ring_peek, fp_ring_alloc) and params are copied out before
 * anyone parses them; the file itself must be one whose pages cannot go
 * away under our mapping (a SIGBUS would kill the supervisor): a memfd
 * sealed against shrinking, on tmpfs (a hugetlbfs page can fail at fault
 * time), at least as large as what we map.
 */
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/magic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fpshm.h"
#include "shmconn.h"

/*
 * Ring 0 records consumed (so that the next can be read) and not yet
 * handed back, oldest first: one node per record still held, and one per
 * run of records done with behind an older one still held (merged: at
 * most one more node than records held).  A task holds its node, so that
 * being done with it costs no search.
 */
struct shm_hold {
	struct shm_hold	*prev, *next;
	uint64_t	 end;		/* ring 0 index just past it (the run) */
	int		 done;
};

struct shmconn {
	uint8_t		*base;
	size_t		 len;
	struct fp_ring	 req;		/* ring 0: we read */
	struct fp_ring	 res;		/* ring 1: we write */
	uint32_t	 refs;		/* the connection's, one per hold */
	struct shm_hold	*first, *last;
};

struct shmconn *
shmconn_attach(int fd, uint64_t size, size_t max, const char **why)
{
	struct shmconn	*s;
	struct stat	 st;
	struct statfs	 sf;
	size_t		 rb;
	void		*p;
	int		 seals;

	if (max == 0) {
		*why = "shared-memory arenas are off (max-shm-size 0)";
		return NULL;
	}
	if (size < SHM_RING_MIN || size > max || (size & (size - 1)) != 0 ||
	    (rb = fp_ring_bytes((size_t)size)) == 0) {
		*why = "the ring size must be a power of two from 64K to "
		    "max-shm-size";
		return NULL;
	}
	/* Seals first: once shrinking is sealed, the size cannot change. */
	if ((seals = fcntl(fd, F_GET_SEALS)) == -1) {
		*why = "the descriptor is not a memfd";
		return NULL;
	}
	if (!(seals & F_SEAL_SHRINK)) {
		*why = "the memfd is not sealed against shrinking "
		    "(F_SEAL_SHRINK)";
		return NULL;
	}
	if (fstat(fd, &st) == -1 || !S_ISREG(st.st_mode)) {
		*why = "the descriptor is not a regular file";
		return NULL;
	}
	if (fstatfs(fd, &sf) == -1 || sf.f_type != TMPFS_MAGIC) {
		*why = "the memfd is not on tmpfs (hugetlbfs is refused)";
		return NULL;
	}
	if ((uint64_t)st.st_size != 2 * (uint64_t)rb) {
		*why = "the memfd's size is not that of two rings of the "
		    "size given";
		return NULL;
	}
	if ((p = mmap(NULL, 2 * rb, PROT_READ | PROT_WRITE, MAP_SHARED, fd,
	    0)) == MAP_FAILED) {
		*why = errno == EPERM || errno == EACCES ?
		    "the memfd cannot be mapped for writing (sealed or "
		    "read-only)" : "the memfd cannot be mapped";
		return NULL;
	}
	/*
	 * Not inherited by the workers forked from now on (respawn, reload,
	 * recycling): a worker sees only its own segment, never a client's
	 * arena.
	 */
	if (madvise(p, 2 * rb, MADV_DONTFORK) == -1) {
		munmap(p, 2 * rb);
		*why = "the memfd cannot be kept from the workers";
		return NULL;
	}
	if ((s = calloc(1, sizeof(*s))) == NULL) {
		munmap(p, 2 * rb);
		*why = "out of memory";
		return NULL;
	}
	s->base = p;
	s->len = 2 * rb;
	s->refs = 1;
	if (fp_ring_attach(&s->req, s->base, (size_t)size, 0, -1) == -1 ||
	    fp_ring_attach(&s->res, s->base + rb, (size_t)size, 1, -1) == -1) {
		shmconn_detach(s);
		*why = "the rings cannot be attached";
		return NULL;
	}
	return s;
}

static void
unref(struct shmconn *s)
{
	if (--s->refs > 0)
		return;
	munmap(s->base, s->len);
	/* None left: each node still held holds a reference. */
	free(s);
}

void
shmconn_detach(struct shmconn *s)
{
	if (s != NULL)
		unref(s);
}

size_t
shmconn_bytes(const struct shmconn *s)
{
	return s == NULL ? 0 : s->len;
}

/*
 * The next record of ring 0, which must be request msgid's params of len
 * bytes: consumed, so that the next one can be read, and held (*hold)
 * until shmconn_done.  Returns as shmconn_hold.
 */
static int
hold(struct shmconn *s, uint32_t msgid, uint32_t len, const uint8_t **p,
    struct shm_hold **hold, const char **why)
{
	struct fp_rec	 rec;
	struct shm_hold	*h;
	int		 r;

	if ((r = fp_ring_peek(&s->req, &rec)) == -1) {
		*why = "the arena's request ring is corrupt";
		return -2;
	}
	if (r == FP_AGAIN) {
		*why = "no params in the arena for this request";
		return -1;
	}
	if (rec.type != FP_REC_TASK || rec.id != msgid) {
		*why = "the arena's next params are not this request's";
		return -1;
	}
	if ((h = calloc(1, sizeof(*h))) == NULL)
		return -3;
	fp_ring_consume(&s->req);
	h->end = fp_ring_index(&s->req);
	h->prev = s->last;
	if (s->last != NULL)
		s->last->next = h;
	else
		s->first = h;
	s->last = h;
	s->refs++;
	if (rec.len != len) {
		shmconn_done(s, h);
		*why = "the params in the arena are not of the length given";
		return -1;
	}
	*p = rec.data;
	*hold = h;
	return 0;
}

int
shmconn_hold(struct shmconn *s, uint32_t msgid, uint32_t len,
    const uint8_t **params, struct shm_hold **h, const char **why)
{
	return hold(s, msgid, len, params, h, why);
}

static void
unlink_hold(struct shmconn *s, struct shm_hold *h)
{
	if (h->prev != NULL)
		h->prev->next = h->next;
	else
		s->first = h->next;
	if (h->next != NULL)
		h->next->prev = h->prev;
	else
		s->last = h->prev;
	free(h);
}

void
shmconn_done(struct shmconn *s, struct shm_hold *h)
{
	struct shm_hold	*n;

	h->done = 1;
	/* Merge with the runs done with on either side. */
	if ((n = h->next) != NULL && n->done) {
		h->end = n->end;
		unlink_hold(s, n);
	}
	if ((n = h->prev) != NULL && n->done) {
		n->end = h->end;
		unlink_hold(s, h);
		h = n;
	}
	/* Done with the oldest: hand it back to the client. */
	if (h->prev == NULL) {
		(void)fp_ring_release_to(&s->req, h->end);
		unlink_hold(s, h);
	}
	unref(s);
}

int
shmconn_take(struct shmconn *s, uint32_t msgid, uint32_t len,
    uint8_t **block, const char **why)
{
	const uint8_t	*p;
	struct shm_hold	*h;
	int		 r;

	if ((*block = malloc(len > 0 ? len : 1)) == NULL)
		return -3;
	if ((r = hold(s, msgid, len, &p, &h, why)) != 0) {
		free(*block);
		*block = NULL;
		return r;
	}
	/* The client may write on: from here on only our copy counts. */
	memcpy(*block, p, len);
	shmconn_done(s, h);
	return 0;
}

int
shmconn_put(struct shmconn *s, uint32_t msgid, const uint8_t *data,
    size_t len)
{
	void	*p;

	if (len > fp_ring_maxrec(&s->res))
		return 0;
	if ((p = fp_ring_alloc(&s->res, FP_REC_RESULT, 0, msgid,
	    (uint32_t)len)) == NULL)
		return errno == EPROTO ? -1 : 0;
	memcpy(p, data, len);
	(void)fp_ring_publish(&s->res);
	return 1;
}
