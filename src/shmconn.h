/*
 * shmconn.h -- a client connection's shared-memory arena (shmconn.c):
 * one memfd that the client made and sent with forkpool.shm_attach, two
 * fp_rings in it.  Ring 0 carries large params from the client (we read),
 * ring 1 large results to it (we write); each record's socket message
 * (params or result: ext FP_EXT_SHM with the length) is the notification,
 * no eventfd.  forkpool-rpc(7) describes the format.  shmconn.c owns the
 * arena and its mapping; control.c holds the pointer in struct conn and
 * calls these.  Nothing here logs: failures come back with a reason.
 */
#ifndef FP_SHMCONN_H
#define FP_SHMCONN_H

#include <stddef.h>
#include <stdint.h>

/* Results larger than this go through the arena when it has room. */
#define SHM_RESULT_MIN	(64 << 10)
/* The smallest ring of an arena. */
#define SHM_RING_MIN	(64 << 10)

struct shmconn;
struct shm_hold;

/*
 * shmconn_attach: check and map the arena `fd' (not closed here) whose
 * rings have `size' data bytes each: a sealed (F_SEAL_SHRINK) memfd of
 * tmpfs (not hugetlbfs), of exactly 2 * fp_ring_bytes(size) bytes, size a
 * power of two from SHM_RING_MIN to `max', mappable for writing.  Returns
 * the arena, or NULL with a sentence saying why in *why.
 */
struct shmconn	*shmconn_attach(int fd, uint64_t size, size_t max,
		    const char **why);

/*
 * shmconn_detach: the connection lets go of its arena (NULL is ok): it is
 * unmapped and freed once no params are held either (shmconn_hold).
 */
void		 shmconn_detach(struct shmconn *);

/* shmconn_bytes: the bytes mapped (for forkpool.stats). */
size_t		 shmconn_bytes(const struct shmconn *);

/*
 * shmconn_take: the params of request `msgid', `len' bytes, which must be
 * the next record of ring 0 (type FP_REC_TASK, that id and length).  They
 * are copied into a new heap block (*block, len bytes, the caller's to
 * free) before anything looks at them, and the record is done with
 * (handed back once those held before it are).
 * Returns 0; -1 with *why if the record is missing or is not that one
 * (a record with that id but another length is dropped; one with another
 * id is left for its request); -2 with *why if the ring is corrupt (the
 * arena is unusable: close the connection); -3 if out of memory.
 */
int		 shmconn_take(struct shmconn *, uint32_t msgid, uint32_t len,
		    uint8_t **block, const char **why);

/*
 * shmconn_hold: the params of request `msgid', `len' bytes, which must be
 * the next record of ring 0, left where they are: *params points into the
 * arena, and the record is not handed back to the client (nor the arena
 * unmapped) until shmconn_done(*hold).  The client may still write to
 * them: whoever reads them must expect any bytes at any time (the
 * supervisor only copies them to a worker, which checks its copy).
 * Records are handed back in order, each once it and all before it are
 * done with.  Returns as shmconn_take.
 */
int		 shmconn_hold(struct shmconn *, uint32_t msgid, uint32_t len,
		    const uint8_t **params, struct shm_hold **hold,
		    const char **why);

/* shmconn_done: the params of that hold are no longer used (O(1)). */
void		 shmconn_done(struct shmconn *, struct shm_hold *hold);

/*
 * shmconn_put: the result of request `msgid', len bytes at data, copied to
 * ring 1 and published if it fits in one record now (no waiting): the
 * caller decides which results go there (SHM_RESULT_MIN).  Returns 1 if it
 * did, 0 if the caller sends it inline, -1 if the ring is corrupt (close
 * the connection).
 */
int		 shmconn_put(struct shmconn *, uint32_t msgid,
		    const uint8_t *data, size_t len);

#endif /* FP_SHMCONN_H */
