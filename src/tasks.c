/*
 * tasks.c -- the supervisor's task table.  Tasks are allocated in chunks
 * that never move, so pointers stay valid, and recycled through a free
 * list, so the hot path allocates nothing.  A task id carries the slot in
 * its low 32 bits and a sequence number in its high 32 bits that changes on
 * every dispatch: a result for an older dispatch never matches.
 *
 * A task is filled in by control.c (the request), moved between queues by
 * dispatch.c and linked to its connection by control.c; this file only
 * hands tasks out, takes them back and holds their parameters.
 */
#include <stdlib.h>
#include <string.h>

#include "daemon.h"
#include "tasks.h"
#include "shmconn.h"
#include "log.h"

static struct task	**chunks;
static uint32_t		  nchunks;
static struct task	 *freelist;
static uint32_t		  seq;
static size_t		  params_bytes;	/* params on the heap, all tasks */

/* Another chunk of tasks; -1 if out of memory (or of task indices). */
static int
grow(void)
{
	struct task	**nc, *c;
	uint32_t	  i;

	if (nchunks >= UINT32_MAX / TASK_CHUNK)
		return -1;
	if ((nc = reallocarray(chunks, nchunks + 1, sizeof(*nc))) == NULL)
		return -1;
	chunks = nc;
	if ((c = calloc(TASK_CHUNK, sizeof(*c))) == NULL)
		return -1;
	chunks[nchunks] = c;
	for (i = TASK_CHUNK; i-- > 0; ) {
		c[i].index = nchunks * TASK_CHUNK + i;
		c[i].entry.tqe_next = freelist;
		freelist = &c[i];
	}
	nchunks++;
	return 0;
}

/* A free task, or NULL if out of memory: the caller refuses the request. */
struct task *
task_alloc(void)
{
	struct task	*t;

	if (freelist == NULL && grow() == -1)
		return NULL;
	t = freelist;
	freelist = t->entry.tqe_next;
	t->worker = -1;
	t->attempts = 0;
	t->started = 0;
	t->answered = 0;
	t->probe = 0;
	t->kill_code = 0;
	t->in_conn = 0;
	t->src = 0;
	t->ent = 0;
	t->retries_left = 0;
	t->deadline_ns = 0;
	t->not_before_ns = 0;
	t->corr = NULL;
	t->params = t->inl;
	t->plen = 0;
	t->pcap = 0;
	t->shm = NULL;
	t->shm_hold = NULL;
	t->unchecked = 0;
	task_newid(t);
	return t;
}

void
task_newid(struct task *t)
{
	if (++seq == 0)
		seq = 1;
	t->id = ((uint64_t)seq << 32) | t->index;
}

void
task_params_done(struct task *t)
{
	if (t->pcap != 0) {
		params_bytes -= t->pcap;
		free(t->pblock);
	}
	if (t->shm != NULL)
		shmconn_done(t->shm, t->shm_hold);
	t->shm = NULL;
	t->shm_hold = NULL;
	t->pblock = NULL;
	t->pcap = 0;
	t->params = t->inl;
	t->plen = 0;
}

void
task_free(struct task *t)
{
	free(t->corr);
	t->corr = NULL;
	task_params_done(t);
	t->unchecked = 0;
	t->params = NULL;
	t->pcap = 0;
	t->state = T_FREE;
	t->id = 0;
	t->entry.tqe_next = freelist;
	freelist = t;
}

int
task_set_params(struct task *t, const uint8_t *p, size_t len)
{
	if (len > UINT32_MAX)
		return -1;
	if (len <= TASK_INLINE) {
		t->params = t->inl;
	} else {
		if ((t->params = t->pblock = malloc(len)) == NULL)
			return -1;
		t->pcap = (uint32_t)len;
		params_bytes += len;	/* counted towards max-buffered */
	}
	memcpy(t->params, p, len);
	sv->cnt.bytes_copied += len;	/* make bench's copies/byte */
	t->plen = (uint32_t)len;
	return 0;
}

struct task *
task_lookup(uint64_t id)
{
	uint32_t	 i = (uint32_t)id;
	struct task	*t;

	if (id == 0 || i / TASK_CHUNK >= nchunks)
		return NULL;
	t = &chunks[i / TASK_CHUNK][i % TASK_CHUNK];
	if (t->id != id || t->state == T_FREE)
		return NULL;
	return t;
}

void
task_adopt_params(struct task *t, uint8_t *block, size_t cap,
    const uint8_t *p, size_t len)
{
	t->pblock = block;
	t->params = (uint8_t *)p;
	t->plen = (uint32_t)len;
	t->pcap = (uint32_t)cap;
	params_bytes += cap;	/* counted towards max-buffered */
}

void
task_hold_params(struct task *t, struct shmconn *s, struct shm_hold *hold,
    const uint8_t *p, size_t len)
{
	t->params = (uint8_t *)(uintptr_t)p;
	t->plen = (uint32_t)len;
	t->shm = s;
	t->shm_hold = hold;
	t->unchecked = 1;
}

size_t
task_params_bytes(void)
{
	return params_bytes;
}

/*
 * The correlation id is the client's, any bytes, and it is only ever
 * logged (` corr=%s'): keep it rendered as a logfmt value once, so that no
 * log line that prints it can be split or forged.
 */
int
task_set_corr(struct task *t, const char *s, size_t n)
{
	size_t	 len = 4 * n + 3;	/* every byte as \xNN, quotes, NUL */
	char	*q, *r;

	free(t->corr);
	t->corr = NULL;
	if (n > (SIZE_MAX - 3) / 4 || (q = malloc(len)) == NULL)
		return -1;
	log_quoten(s, n, q, len);
	/* Most ids are plain: give back what the worst case reserved. */
	if ((r = realloc(q, strlen(q) + 1)) != NULL)
		q = r;
	t->corr = q;
	return 0;
}
