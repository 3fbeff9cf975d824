/*
 * source.c -- Redis Streams as a source of tasks (forkpool-streams(7)).
 *
 * Each `source' block makes this daemon one consumer of a group.  Two
 * connections a source: `rd' carries only the blocking XREADGROUP, `cmd'
 * everything else (answers, claims, lease renewals), so that a read
 * waiting for entries never holds an answer back.  Everything runs in the
 * supervisor's loop; the workers do not know where a task came from.
 *
 * The order of a connection's life (state):
 *   S_DOWN        waiting for the next attempt (back-off 100 ms .. 5 s)
 *   S_CONNECTING  both connections opening; then AUTH, SCRIPT LOAD, TIME
 *                 (Redis's clock: deadlines count from entry ids), XGROUP
 *                 CREATE ... MKSTREAM, pipelined on cmd
 *   S_LEASE       taking the lease key STREAM:alive:CONSUMER
 *   S_RECOVER     claiming back our own pending list (entries held when
 *                 this consumer died or lost its connection)
 *   S_UP          reading new entries (>) as room allows, claiming idle
 *                 ones every claim-interval, renewing every claim-idle/4
 *   S_STOPPING    the daemon stops: answers first, then the release
 *   S_STOPPED     done with Redis
 *
 * An entry's life: read (or claimed) -> a task (or an answer at once: a
 * malformed entry, a deadline already past, an open breaker) -> its
 * answer, kept in the entry (`ans') until the answer-once script
 * (SCRIPT_ANSWER) has run: done marker SET NX, reply XADD, XACK.  While
 * cmd is down, answers wait in their entries and are sent again, through
 * the same script, after the reconnect; the done marker's value names
 * this daemon's run, so that a retry of an answer that did land counts as
 * answered, not as suppressed.
 */
#include <sys/types.h>
#include <errno.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "breaker_table.h"
#include "config.h"
#include "daemon.h"
#include "dispatch.h"
#include "handlers.h"
#include "log.h"
#include "mp.h"
#include "proto.h"
#include "redis.h"
#include "source.h"
#include "source_scripts.h"
#include "stats.h"

#define BACKOFF_MIN_MS	100
#define BACKOFF_MAX_MS	5000
#define UP_STEADY_NS	(10 * 1000000000ULL)
#define READ_BLOCK_MS	2000	/* XREADGROUP BLOCK */
#define ID_MAX		48	/* "ms-seq": 20 + 1 + 20 digits */
#define RENEW_CHUNK	1000	/* ids a renewal script takes */
#define STOP_GRACE_MS	2000	/* beyond io-timeout, for the release */
#define MARK_MAX	(FP_SRC_STR * 2 + 16)
#define CID_MAX		128	/* bytes of an entry's cid */

enum sstate { S_DOWN = 0, S_CONNECTING, S_LEASE, S_RECOVER, S_UP,
	S_STOPPING, S_STOPPED };
static const char *const state_names[] = { "down", "connecting",
	"lease_wait", "recovering", "up", "stopping", "stopped" };

enum estate {
	E_FREE = 0,
	E_TASK,		/* its task runs (or waits in the queue) */
	E_ANSWER,	/* answered: to be sent when cmd is up */
	E_SENT		/* its answer script is on its way */
};

struct entry {
	int		 state;		/* enum estate */
	uint32_t	 gen;		/* new each use: late replies miss */
	char		 id[ID_MAX];
	uint64_t	 id_ms;
	uint32_t	 dc;		/* delivery count */
	char		*reply_to;	/* NULL: fire and forget */
	char		*cid;
	struct task	*t;		/* while state is E_TASK */
	int		 lost;		/* claimed by a peer: drop the answer */
	int		 code;		/* the answer's: FP_OK or an error */
	uint8_t		*ans;		/* res or err, MessagePack */
	size_t		 anslen;
	uint32_t	 next_free;
};

struct source {
	const struct fp_source *conf;	/* in sv->conf (sources never change
					   on reload) */
	int		 index;
	int		 state;		/* enum sstate */
	struct rconn	*cmd, *rd;
	uint32_t	 epoch;		/* new each connection: late replies
					   of an older one miss */
	int		 setup_left;	/* setup replies still to come */
	int		 reading;	/* an XREADGROUP is out */
	uint32_t	 read_n;	/* its COUNT, reserved in room() */
	uint32_t	 claim_n;	/* the most a claim out may take */
	int		 claim_first;	/* idle entries wait for room: they
					   go before new reads */
	int		 unblocking;	/* CLIENT UNBLOCK of rd is out */
	long long	 rd_id;		/* rd's CLIENT ID, or -1 */
	int		 claiming;	/* a claim is out */
	int		 renewing;
	int		 releasing;
	int		 paused;	/* no room for a read */
	char		 consumer[FP_SRC_STR];
	char		 lease_key[FP_SRC_STR * 2 + 16];
	char		 lease_val[MARK_MAX];
	char		 done_prefix[FP_SRC_STR * 2 + 16];
	char		 mark[MARK_MAX];	/* done markers' value */
	char		 takeover[MARK_MAX];	/* a dead holder's value, or "" */
	int		 wait_logged;	/* source_lease_wait said */
	char		 sha[NSCRIPTS][41];
	char		 recover_from[ID_MAX + 1];	/* "(" id: next page */
	int64_t		 clock_off_ms;	/* Redis's clock - ours */
	uint64_t	 backoff_ms;
	uint64_t	 next_connect_ns;
	uint64_t	 next_claim_ns;
	uint64_t	 next_renew_ns;
	uint64_t	 state_ns;	/* entered the state */
	uint64_t	 stop_deadline_ns;
	uint64_t	 last_down_log_ns;
	/* Entries: a table of slots that never move (tasks name a slot). */
	struct entry	**ents;
	uint32_t	 nents, entcap, free_head, held;
	uint32_t	 nanswers;	/* in E_ANSWER or E_SENT */
	struct source_figures f;
};

#define NO_SLOT		UINT32_MAX
static struct source	 sources[FP_CONF_SOURCES];
static int		 nsources;
static uint32_t		 entry_gen;
static size_t		 ans_bytes;	/* answers held, all sources */
static struct log_limit	 lim_dropped;
static char		 hostname[256];

static void	go_down(struct source *, const char *why);
static int	transient(const char *);
static int	answers_go(const struct source *);
static int	send_answer(struct source *, uint32_t slot);
static void	send_answers(struct source *);
static void	release_ids(struct source *, const char *const *ids, int n);

/* ---- callback arguments ------------------------------------------------ */

/*
 * A command's argument says whom its reply is for, in 64 bits: the
 * source (4 bits) and its epoch (a source's command), or the source, the
 * entry's slot (20 bits) and its gen (an answer's).
 */
_Static_assert(FP_CONF_SOURCES <= 16, "sources in 4 bits");
_Static_assert(sizeof(void *) == 8, "64-bit callback arguments");
#define ARG_SRC(a)	((uint32_t)((uintptr_t)(a) & 0xf))
static void *
src_arg(const struct source *s)
{
	return (void *)(uintptr_t)((uint64_t)s->epoch << 4 | (uint64_t)s->index);
}

static struct source *
src_of(void *arg)
{
	struct source	*s = &sources[ARG_SRC(arg)];

	if ((uint32_t)((uintptr_t)arg >> 4) != s->epoch)
		return NULL;
	return s;
}

static void *
ent_arg(const struct source *s, uint32_t slot, uint32_t gen)
{
	return (void *)(uintptr_t)((uint64_t)gen << 24 | (uint64_t)slot << 4 |
	    (uint64_t)s->index);
}

/* ---- entries ------------------------------------------------------------ */

static struct entry *
ent_get(struct source *s, uint32_t slot)
{
	return slot < s->nents ? s->ents[slot] : NULL;
}

static uint32_t
ent_alloc(struct source *s)
{
	struct entry	*e, **ne;
	uint32_t	 slot;

	if (s->free_head != NO_SLOT) {
		slot = s->free_head;
		e = s->ents[slot];
		s->free_head = e->next_free;
	} else {
		if (s->nents == (1U << 20))
			return NO_SLOT;
		if (s->nents == s->entcap) {
			uint32_t cap = s->entcap ? s->entcap * 2 : 64;

			if ((ne = reallocarray(s->ents, cap, sizeof(*ne))) ==
			    NULL)
				return NO_SLOT;
			s->ents = ne;
			s->entcap = cap;
		}
		if ((e = calloc(1, sizeof(*e))) == NULL)
			return NO_SLOT;
		slot = s->nents;
		s->ents[s->nents++] = e;
	}
	memset(e, 0, sizeof(*e));
	e->gen = ++entry_gen;
	e->state = E_TASK;
	e->next_free = NO_SLOT;
	s->held++;
	return slot;
}

static void
ent_free(struct source *s, uint32_t slot)
{
	struct entry	*e = s->ents[slot];

	if (e->state == E_ANSWER || e->state == E_SENT)
		s->nanswers--;
	free(e->reply_to);
	free(e->cid);
	if (e->ans != NULL)
		ans_bytes -= e->anslen;
	free(e->ans);
	e->reply_to = e->cid = NULL;
	e->ans = NULL;
	e->t = NULL;
	e->state = E_FREE;
	e->gen = ++entry_gen;
	e->next_free = s->free_head;
	s->free_head = slot;
	s->held--;
}

static uint32_t
ent_find(struct source *s, const char *id, size_t len)
{
	uint32_t	 i;

	for (i = 0; i < s->nents; i++)
		if (s->ents[i]->state != E_FREE && strlen(s->ents[i]->id) ==
		    len && memcmp(s->ents[i]->id, id, len) == 0)
			return i;
	return NO_SLOT;
}

/* ---- Redis's clock ------------------------------------------------------ */

static int64_t
wall_ms(void)
{
	struct timespec	 ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * The ms part of an entry id "ms-seq" in *ms (any 64-bit value: a producer
 * may choose the id, up to 2^64-1); -1 if it is not one.
 */
static int
id_ms(const char *id, size_t len, uint64_t *ms)
{
	uint64_t	 v = 0;
	size_t		 i;

	for (i = 0; i < len && id[i] != '-'; i++) {
		if (id[i] < '0' || id[i] > '9' ||
		    v > (UINT64_MAX - (uint64_t)(id[i] - '0')) / 10)
			return -1;
		v = v * 10 + (uint64_t)(id[i] - '0');
	}
	if (i == 0 || i == len)
		return -1;
	*ms = v;
	return 0;
}

/*
 * What is left of timeout_ms counted from the entry's id (Redis's clock,
 * not the producer's): 0 if it has passed, never more than timeout_ms
 * (an id in the future, chosen by a producer, gives no extra time).
 */
static uint64_t
time_left_ms(const struct source *s, uint64_t idms, uint64_t timeout_ms)
{
	int64_t		 now = wall_ms() + s->clock_off_ms;
	uint64_t	 age;

	if (now < 0 || idms >= (uint64_t)now)
		return timeout_ms;
	age = (uint64_t)now - idms;
	return age >= timeout_ms ? 0 : timeout_ms - age;
}

/* ---- answers ------------------------------------------------------------ */

/* e's answer is ans (len bytes, taken): send it or keep it for later. */
static void
ent_answer(struct source *s, uint32_t slot, int code, uint8_t *ans,
    size_t len)
{
	struct entry	*e = s->ents[slot];

	e->t = NULL;
	/*
	 * Answers wait in memory while Redis is out of reach: all sources'
	 * together within max-buffered.  Past it, one is given up: its
	 * entry stays pending in Redis and runs again (claimed after
	 * claim-idle), so nothing is lost but time.
	 */
	if (ans_bytes + len > sv->conf.max_buffered) {
		uint64_t held;
		char	 qn[256];

		free(ans);
		s->f.answers_dropped++;
		if (log_limited(&lim_dropped, sv->now_ns, &held))
			log_warnx("source_answer_dropped", "source=%s id=%s "
			    "bytes=%zu msg=\"answers waiting for Redis fill "
			    "max-buffered: the entry stays pending and runs "
			    "again\" suppressed=%llu", log_quote(s->conf->name,
			    qn, sizeof(qn)), e->id, len,
			    (unsigned long long)held);
		ent_free(s, slot);
		return;
	}
	ans_bytes += len;
	e->code = code;
	e->ans = ans;
	e->anslen = len;
	e->state = E_ANSWER;
	s->nanswers++;
	/* Now, if it can go; else with the others after the reconnect. */
	if (answers_go(s))
		(void)send_answer(s, slot);
}

/* An error answer made here (the entry never ran, or ran and failed). */
static void
ent_error(struct source *s, uint32_t slot, int code, const char *msg,
    const struct err_kv *kv, int n)
{
	struct fp_buf	 b = { 0 };
	size_t		 cap, len;
	uint8_t		*p;

	if (proto_put_error_map(&b, code, msg, kv, n) == -1) {
		/* Out of memory: no answer now; the entry stays pending. */
		fp_buf_free(&b);
		s->f.answers_dropped++;
		ent_free(s, slot);
		return;
	}
	len = b.len;
	p = fp_buf_detach(&b, &cap);
	ent_answer(s, slot, code, p, len);
}

static void
log_entry(int level, const char *event, const struct source *s,
    const char *id, const char *cid, const char *more)
{
	char	 qc[256], qn[256];

	log_at(level, event, "source=%s id=%s%s%s%s%s",
	    log_quote(s->conf->name, qn, sizeof(qn)), id,
	    cid != NULL && cid[0] ? " cid=" : "",
	    cid != NULL && cid[0] ? log_quote(cid, qc, sizeof(qc)) : "",
	    more[0] ? " " : "", more);
}

static void
answer_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s = &sources[ARG_SRC(arg)];
	uint32_t	 slot = (uint32_t)((uintptr_t)arg >> 4) & 0xfffff;
	uint32_t	 gen = (uint32_t)((uintptr_t)arg >> 24);
	struct entry	*e = ent_get(s, slot);
	long long	 v;
	char		 more[300];

	(void)c;
	if (e == NULL || e->gen != gen || e->state != E_SENT)
		return;
	if (r == NULL || (rr_type(r) == RR_ERROR && transient(rr_str(r)))) {
		/* Lost on the way, or refused for now: sent again later. */
		e->state = E_ANSWER;
		if (r != NULL)
			go_down(s, rr_str(r));
		return;
	}
	if (rr_type(r) == RR_ERROR) {
		/*
		 * The script failed (a reply_to in another slot of a
		 * cluster): nothing was acked; the entry stays pending and
		 * is claimed and, in the end, dead-lettered.
		 */
		s->f.lost++;
		snprintf(more, sizeof(more), "msg=\"the answer script "
		    "failed: the entry stays pending\" err=%s",
		    log_quote(rr_str(r), (char[256]){ 0 }, 256));
		log_entry(LOG_LVL_WARNING, "source_answer_failed", s, e->id,
		    e->cid, more);
		ent_free(s, slot);
		return;
	}
	v = rr_type(r) == RR_ARRAY && rr_len(r) >= 1 ?
	    rr_int(rr_elem(r, 0)) : -1;
	if (v == 1 || v == 2)
		s->f.answered[e->code >= 0 && e->code < FP_E__COUNT ?
		    e->code : FP_E_INTERNAL]++;
	else if (v == 0) {
		s->f.suppressed++;
		log_entry(LOG_LVL_INFO, "source_suppressed", s, e->id, e->cid,
		    "msg=\"answered already by another consumer\"");
	} else {
		s->f.lost++;
		snprintf(more, sizeof(more), "msg=\"the answer could not be "
		    "written to its reply stream\" err=%s", rr_type(r) ==
		    RR_ARRAY && rr_len(r) >= 2 ? log_quote(rr_str(rr_elem(r,
		    1)), (char[256]){ 0 }, 256) : "unknown");
		log_entry(LOG_LVL_WARNING, "source_answer_failed", s, e->id,
		    e->cid, more);
	}
	ent_free(s, slot);
}

/* Send one entry's answer through the answer-once script. */
static int
send_answer(struct source *s, uint32_t slot)
{
	struct entry	*e = s->ents[slot];
	const char	*argv[24];
	size_t		 argl[24];
	char		 done[sizeof(s->done_prefix) + ID_MAX], ttl[24], maxlen[24],
			 rttl[24], dc[16];
	int		 n = 0, nk;

	snprintf(done, sizeof(done), "%s%s", s->done_prefix, e->id);
	snprintf(ttl, sizeof(ttl), "%llu",
	    (unsigned long long)s->conf->done_ttl_ms);
	snprintf(maxlen, sizeof(maxlen), "%u", s->conf->reply_maxlen);
	snprintf(rttl, sizeof(rttl), "%llu",
	    (unsigned long long)s->conf->reply_ttl_ms);
	snprintf(dc, sizeof(dc), "%u", e->dc);
	nk = e->reply_to != NULL ? 3 : 2;
#define ARG(p, l)	(argv[n] = (p), argl[n++] = (l))
#define ARGS(p)		ARG(p, strlen(p))
	ARGS("EVALSHA");
	ARGS(s->sha[SCRIPT_ANSWER]);
	ARGS(nk == 3 ? "3" : "2");
	ARGS(s->conf->stream);
	ARGS(done);
	if (nk == 3)
		ARGS(e->reply_to);
	ARGS(s->conf->group);
	ARGS(e->id);
	ARGS(s->mark);
	ARGS(ttl);
	ARGS(maxlen);
	ARGS(rttl);
	ARGS("re");
	ARGS(e->id);
	if (e->cid != NULL) {
		ARGS("cid");
		ARGS(e->cid);
	}
	ARGS(e->code == FP_OK ? "res" : "err");
	ARG((const char *)e->ans, e->anslen);
	ARGS("dc");
	ARGS(dc);
	ARGS("by");
	ARGS(s->consumer);
#undef ARG
#undef ARGS
	if (rconn_command(s->cmd, answer_done, ent_arg(s, slot, e->gen), n,
	    argv, argl) == -1)
		return -1;
	e->state = E_SENT;
	return 0;
}

/* Whether cmd is set up to carry answers (scripts loaded). */
static int
answers_go(const struct source *s)
{
	return s->state >= S_LEASE && s->state != S_STOPPED &&
	    s->setup_left == 0 && s->cmd != NULL;
}

/* Send every answer waiting: once cmd is set up again. */
static void
send_answers(struct source *s)
{
	uint32_t	 i;

	if (!answers_go(s))
		return;
	for (i = 0; i < s->nents; i++)
		if (s->ents[i]->state == E_ANSWER &&
		    send_answer(s, i) == -1)
			return;
}

static struct source *
task_source(const struct task *t, uint32_t *slot)
{
	struct source	*s;

	if (t->src == 0 || t->src > nsources)
		return NULL;
	s = &sources[t->src - 1];
	if (t->ent >= s->nents || s->ents[t->ent]->t != t)
		return NULL;
	*slot = t->ent;
	return s;
}

int
source_reply_result(struct task *t, const uint8_t *data, size_t len)
{
	struct source	*s;
	uint32_t	 slot;
	uint8_t		*copy;

	if ((s = task_source(t, &slot)) == NULL || s->ents[slot]->lost) {
		/* Nobody to answer (answered early, or taken by a peer). */
		if (s != NULL)
			ent_free(s, slot);
		return fp_mp_object_len(data, len, 1) == -1 ? -1 : 0;
	}
	/* Copy first, then check the copy: the worker may write on. */
	if ((copy = malloc(len ? len : 1)) == NULL) {
		s->f.answers_dropped++;
		ent_free(s, slot);
		return fp_mp_object_len(data, len, 1) == -1 ? -1 : 0;
	}
	memcpy(copy, data, len);
	if (fp_mp_object_len(copy, len, 1) == -1) {
		free(copy);
		return -1;	/* dispatch.c answers internal */
	}
	sv->cnt.bytes_copied += len;
	ent_answer(s, slot, FP_OK, copy, len);
	return 0;
}

void
source_reply_error(struct task *t, int code, const char *msg,
    const struct err_kv *kv, int n)
{
	struct source	*s;
	struct entry	*e;
	uint32_t	 slot;

	if ((s = task_source(t, &slot)) == NULL)
		return;
	e = s->ents[slot];
	if (e->lost) {
		ent_free(s, slot);
		return;
	}
	if (code == FP_E_SHUTTING_DOWN) {
		/*
		 * Not an answer: the entry goes back to the group, now, or
		 * with all the others when the source stops (source_stop).
		 */
		const char *id = e->id;

		if (sv->state != SV_STOPPING)
			release_ids(s, &id, 1);
		ent_free(s, slot);
		return;
	}
	ent_error(s, slot, code, msg, kv, n);
}

/* ---- entries in: from reads and claims ---------------------------------- */

/* Field `name' of an entry's [f, v, f, v ...], or NULL. */
static const struct rreply *
field(const struct rreply *f, const char *name)
{
	size_t	 i;

	for (i = 0; i + 1 < rr_len(f); i += 2)
		if (rr_is(rr_elem(f, i), name))
			return rr_elem(f, i + 1);
	return NULL;
}

/*
 * A string field's copy in *out (NULL if absent, or not a string); -1 out
 * of memory.  A value with a NUL keeps it: callers compare lengths.
 */
static int
dupfield(const struct rreply *v, char **out)
{
	*out = NULL;
	if (v == NULL || rr_type(v) != RR_STRING)
		return 0;
	if ((*out = malloc(rr_len(v) + 1)) == NULL)
		return -1;
	memcpy(*out, rr_str(v), rr_len(v));
	(*out)[rr_len(v)] = '\0';
	return 0;
}

/*
 * Whether answers may be written to reply_to: not a key of the source's
 * own (its stream, its dead-letter stream, its lease keys, its done
 * markers), which an answer would trim (MAXLEN), expire (reply-ttl) or
 * clobber; and not a name with a NUL (cut short by C strings).
 */
static int
reply_to_ok(const struct source *s, const char *rt, const struct rreply *v)
{
	size_t	 n = strlen(s->conf->stream);

	if (strlen(rt) != rr_len(v))
		return 0;
	if (strcmp(rt, s->conf->stream) == 0 ||
	    strcmp(rt, s->conf->dead_letter) == 0)
		return 0;
	return !(strncmp(rt, s->conf->stream, n) == 0 &&
	    (strncmp(rt + n, ":alive:", 7) == 0 ||
	    strncmp(rt + n, ":done:", 6) == 0));
}

/* A decimal field; 0 if absent, -1 if not a number. */
static int
num_field(const struct rreply *v, uint64_t max, uint64_t *out)
{
	const char	*p;
	size_t		 i;
	uint64_t	 n = 0;

	*out = 0;
	if (v == NULL)
		return 0;
	p = rr_str(v);
	if (rr_type(v) != RR_STRING || rr_len(v) == 0 || rr_len(v) > 12)
		return -1;
	for (i = 0; i < rr_len(v); i++) {
		if (p[i] < '0' || p[i] > '9')
			return -1;
		n = n * 10 + (uint64_t)(p[i] - '0');
	}
	if (n > max)
		return -1;
	*out = n;
	return 0;
}

/* Whether p is exactly one MessagePack array. */
static int
is_array(const uint8_t *p, size_t len)
{
	struct fp_mp_reader r = { p, len, 0 };
	uint32_t	 n;

	return fp_mp_object_len(p, len, 1) == (ssize_t)len &&
	    fp_mp_read_array(&r, &n) == 0;
}

static const uint8_t empty_params[] = { 0x90 };

/*
 * A new entry (id, its fields, its delivery count): a task, or an answer
 * at once.  Returns 0, or -1 if it could not be taken (out of memory):
 * it stays pending in Redis, where recovery or a peer finds it.
 */
static int
intake(struct source *s, const char *id, size_t idlen,
    const struct rreply *f, uint32_t dc)
{
	const struct rreply *vm, *vp, *vv;
	struct entry	*e;
	struct task	*t;
	uint64_t	 tmo, retries, conf_ms, timeout_ms, ms, left_ms;
	const uint8_t	*params = empty_params;
	size_t		 plen = sizeof(empty_params);
	uint32_t	 slot;
	int		 h = -1, probe = 0, own;
	char		 msg[200];

	if (idlen >= ID_MAX || id_ms(id, idlen, &ms) == -1)
		return 0;	/* not a stream id: cannot be */
	if ((slot = ent_alloc(s)) == NO_SLOT)
		return -1;
	e = s->ents[slot];
	memcpy(e->id, id, idlen);
	e->id[idlen] = '\0';
	e->id_ms = ms;
	e->dc = dc;
	if (dupfield(field(f, "cid"), &e->cid) == -1 ||
	    dupfield(field(f, "reply_to"), &e->reply_to) == -1) {
		/* Out of memory: it stays pending, and runs later. */
		ent_free(s, slot);
		return -1;
	}
	if (e->reply_to != NULL && e->reply_to[0] == '\0') {
		free(e->reply_to);
		e->reply_to = NULL;
	}
	if (e->reply_to != NULL && !reply_to_ok(s, e->reply_to,
	    field(f, "reply_to"))) {
		/*
		 * Not written there (it would trim, expire or clobber a key
		 * of the source's own): answered bad_request to nobody.
		 */
		log_entry(LOG_LVL_WARNING, "source_answer_failed", s, e->id,
		    e->cid, "msg=\"reply_to names one of the source's own "
		    "keys, or holds a NUL: no answer written\"");
		free(e->reply_to);
		e->reply_to = NULL;
		ent_error(s, slot, FP_E_BAD_REQUEST, "reply_to names one of "
		    "the source's own keys", NULL, 0);
		return 0;
	}
	if (e->cid != NULL && strlen(e->cid) != rr_len(field(f, "cid"))) {
		free(e->cid);
		e->cid = NULL;
		ent_error(s, slot, FP_E_BAD_REQUEST, "cid holds a NUL byte",
		    NULL, 0);
		return 0;
	}
	if (e->cid != NULL && strlen(e->cid) > CID_MAX) {
		/* As forkpool.call's id: a log field, not a payload. */
		free(e->cid);
		e->cid = NULL;
		ent_error(s, slot, FP_E_BAD_REQUEST, "cid is longer than 128 "
		    "bytes", NULL, 0);
		return 0;
	}
	vm = field(f, "method");
	vp = field(f, "params");
	vv = field(f, "v");
	if (vv != NULL && !rr_is(vv, "1")) {
		ent_error(s, slot, FP_E_BAD_REQUEST, "unknown entry format "
		    "version (v): this daemon reads v 1", NULL, 0);
		return 0;
	}
	if (vm == NULL || rr_type(vm) != RR_STRING) {
		ent_error(s, slot, FP_E_BAD_REQUEST, "the entry has no method "
		    "field", NULL, 0);
		return 0;
	}
	if ((h = handler_lookup(rr_str(vm), rr_len(vm))) == -1) {
		ent_error(s, slot, FP_E_NO_SUCH_METHOD, "no such method",
		    NULL, 0);
		return 0;
	}
	if (vp != NULL) {
		params = (const uint8_t *)rr_str(vp);
		plen = rr_len(vp);
		if (plen > sv->conf.max_request_size) {
			stats_rejected((uint32_t)h, FP_E_TOO_LARGE, sv->now_ns);
			ent_error(s, slot, FP_E_TOO_LARGE, "params are larger "
			    "than max-request-size", NULL, 0);
			return 0;
		}
		if (rr_type(vp) != RR_STRING || !is_array(params, plen)) {
			stats_rejected((uint32_t)h, FP_E_BAD_REQUEST,
			    sv->now_ns);
			ent_error(s, slot, FP_E_BAD_REQUEST, "params is not "
			    "one MessagePack array", NULL, 0);
			return 0;
		}
	}
	if (num_field(field(f, "timeout"), 30ULL * 24 * 3600 * 1000,
	    &tmo) == -1 || num_field(field(f, "retries"), 100,
	    &retries) == -1) {
		stats_rejected((uint32_t)h, FP_E_BAD_REQUEST, sv->now_ns);
		ent_error(s, slot, FP_E_BAD_REQUEST, "timeout and retries "
		    "must be decimal numbers (retries 100 at most)", NULL, 0);
		return 0;
	}
	/* As forkpool.call: the configured timeout is a ceiling. */
	conf_ms = config_handler_timeout_ms(&sv->conf, (uint32_t)h);
	own = tmo != 0 && (conf_ms == 0 || tmo < conf_ms);
	timeout_ms = own ? tmo : conf_ms;
	left_ms = 0;
	if (timeout_ms != 0) {
		left_ms = time_left_ms(s, ms, timeout_ms);
		if (left_ms == 0) {
			stats_rejected((uint32_t)h, FP_E_TIMEOUT, sv->now_ns);
			snprintf(msg, sizeof(msg), "the deadline (%llu ms from "
			    "the entry's id) passed before it could run",
			    (unsigned long long)timeout_ms);
			ent_error(s, slot, FP_E_TIMEOUT, msg, NULL, 0);
			return 0;
		}
	}
	if (breaker_table_admit((uint32_t)h, &probe) == -1 || (probe && own)) {
		if (probe)
			breaker_table_abandon((uint32_t)h);
		stats_rejected((uint32_t)h, FP_E_CIRCUIT_OPEN, sv->now_ns);
		snprintf(msg, sizeof(msg), "the circuit breaker of %s is open",
		    handler_get((uint32_t)h)->name);
		ent_error(s, slot, FP_E_CIRCUIT_OPEN, msg, NULL, 0);
		return 0;
	}
	/* Its log lines name the entry's cid, else its id. */
	if ((t = task_alloc()) == NULL || task_set_params(t, params,
	    plen) == -1 || task_set_corr(t, e->cid != NULL ? e->cid : e->id,
	    strlen(e->cid != NULL ? e->cid : e->id)) == -1) {
		if (t != NULL)
			task_free(t);
		if (probe)
			breaker_table_abandon((uint32_t)h);
		ent_free(s, slot);
		s->f.answers_dropped++;
		return -1;
	}
	t->src = (uint16_t)(s->index + 1);
	t->ent = slot;
	t->handler = (uint16_t)h;
	t->probe = (uint8_t)probe;
	t->enqueued_ns = sv->now_ns;
	t->deadline_ns = timeout_ms ? sv->now_ns + left_ms * 1000000ULL : 0;
	t->retries_left = field(f, "retries") != NULL ? (uint32_t)retries :
	    config_handler_retries(&sv->conf, (uint32_t)h);
	e->t = t;
	(void)dispatch_admit(t);
	return 0;
}

/* ---- commands ------------------------------------------------------------ */

/* Errors of Redis that pass: drop the connection and try again later. */
static int
transient(const char *err)
{
	static const char *const kinds[] = { "NOSCRIPT", "LOADING", "MOVED",
	    "ASK", "READONLY", "MASTERDOWN", "BUSY", "TRYAGAIN", "CLUSTERDOWN",
	    "NOGROUP", NULL };
	int	 i;

	for (i = 0; kinds[i] != NULL; i++)
		if (strncmp(err, kinds[i], strlen(kinds[i])) == 0)
			return 1;
	return 0;
}

static int
command(struct source *s, struct rconn *c, rconn_reply_fn *fn, int argc,
    const char **argv, const size_t *argl)
{
	if (c == NULL || rconn_command(c, fn, src_arg(s), argc, argv,
	    argl) == -1) {
		go_down(s, "a command could not be sent");
		return -1;
	}
	return 0;
}

/* Whether a source-level reply may be used: current, and not an error. */
static struct source *
reply_ok(const struct rreply *r, void *arg, const char *what)
{
	struct source	*s = src_of(arg);
	char		 why[300];

	if (s == NULL || r == NULL)
		return NULL;
	if (rr_type(r) == RR_ERROR) {
		snprintf(why, sizeof(why), "%s: %s", what, rr_str(r));
		go_down(s, why);
		return NULL;
	}
	return s;
}

static void
set_state(struct source *s, int state)
{
	s->state = state;
	s->state_ns = sv->now_ns;
}

/* ---- release ------------------------------------------------------------- */

static void
release_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s = src_of(arg);
	char		 qn[256];

	(void)c;
	if (s == NULL || r == NULL || rr_type(r) != RR_INTEGER)
		return;
	if (rr_int(r) > 0)
		log_info("source_release", "source=%s n=%lld",
		    log_quote(s->conf->name, qn, sizeof(qn)), rr_int(r));
}

/*
 * Give entries back to the group (all of ours if n is -1: the stop, which
 * also deletes the consumer if nothing is left and drops the lease).
 */
static int
release_send(struct source *s, const char *const *ids, int n,
    rconn_reply_fn *fn)
{
	const char	**argv;
	char		 idle[24];
	int		 i, argc = 0, rc;

	if (s->cmd == NULL || s->setup_left > 0 || s->state < S_LEASE ||
	    s->state == S_STOPPED)
		return -1;
	if ((argv = calloc((size_t)(n > 0 ? n : 0) + 12, sizeof(*argv))) ==
	    NULL)
		return -1;
	snprintf(idle, sizeof(idle), "%llu",
	    (unsigned long long)s->conf->claim_idle_ms);
	argv[argc++] = "EVALSHA";
	argv[argc++] = s->sha[SCRIPT_RELEASE];
	argv[argc++] = "2";
	argv[argc++] = s->conf->stream;
	argv[argc++] = s->lease_key;
	argv[argc++] = s->conf->group;
	argv[argc++] = s->consumer;
	argv[argc++] = idle;
	argv[argc++] = s->lease_val;
	for (i = 0; i < n; i++)
		argv[argc++] = ids[i];
	rc = command(s, s->cmd, fn, argc, argv, NULL);
	free(argv);
	return rc;
}

static void
release_ids(struct source *s, const char *const *ids, int n)
{
	int	 i;

	for (i = 0; i < n; i += RENEW_CHUNK)
		if (release_send(s, ids + i, n - i > RENEW_CHUNK ?
		    RENEW_CHUNK : n - i, release_done) == -1)
			return;
}

/* ---- claims and recovery ------------------------------------------------- */

static void	recover_step(struct source *);

static void
claim_done_common(struct source *s, const struct rreply *r, int own)
{
	const struct rreply *l, *x;
	char		 more[200], qf[256];
	size_t		 i;
	uint32_t	 dc;

	/* {claimed, dead, lost} */
	if (rr_type(r) != RR_ARRAY || rr_len(r) != 3)
		return;
	l = rr_elem(r, 0);
	for (i = 0; i < rr_len(l); i++) {
		x = rr_elem(l, i);
		if (rr_type(x) != RR_ARRAY || rr_len(x) != 4)
			continue;
		dc = (uint32_t)rr_int(rr_elem(x, 2));
		if (own)
			s->f.recovered++;
		else {
			const struct rreply *cid = field(rr_elem(x, 1), "cid");
			char	 c[FP_SRC_STR];

			s->f.claimed++;
			snprintf(c, sizeof(c), "%.*s", cid != NULL ?
			    (int)rr_len(cid) : 0, cid != NULL ? rr_str(cid) :
			    "");
			snprintf(more, sizeof(more), "from=%s dc=%u",
			    log_quote(rr_str(rr_elem(x, 3)), qf, sizeof(qf)),
			    dc);
			log_entry(LOG_LVL_INFO, "source_claim", s,
			    rr_str(rr_elem(x, 0)), c, more);
		}
		(void)intake(s, rr_str(rr_elem(x, 0)), rr_len(rr_elem(x, 0)),
		    rr_elem(x, 1), dc);
	}
	l = rr_elem(r, 1);
	for (i = 0; i < rr_len(l); i++) {
		x = rr_elem(l, i);
		if (rr_type(x) != RR_ARRAY || rr_len(x) != 4)
			continue;
		s->f.dead_lettered++;
		s->f.answered[FP_E_DEAD_LETTERED]++;
		snprintf(more, sizeof(more), "from=%s dc=%lld",
		    log_quote(rr_str(rr_elem(x, 2)), qf, sizeof(qf)),
		    rr_int(rr_elem(x, 1)));
		log_entry(LOG_LVL_WARNING, "source_dead_letter", s,
		    rr_str(rr_elem(x, 0)), rr_str(rr_elem(x, 3)), more);
	}
	l = rr_elem(r, 2);
	for (i = 0; i < rr_len(l); i++) {
		s->f.lost++;
		log_entry(LOG_LVL_WARNING, "source_lost", s,
		    rr_str(rr_elem(l, i)), NULL, "msg=\"pending, but no longer "
		    "in the stream (trimmed): it cannot be run or answered\"");
	}
}

static void
claim_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;

	(void)c;
	if ((s = reply_ok(r, arg, "claim")) == NULL)
		return;
	s->claiming = 0;
	s->claim_n = 0;
	claim_done_common(s, r, 0);
}

static void
recover_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;

	(void)c;
	if ((s = reply_ok(r, arg, "recovery")) == NULL)
		return;
	s->claiming = 0;
	claim_done_common(s, r, 1);
	recover_step(s);
}

/*
 * Run the claim script on the ids of an XPENDING reply (entries [id,
 * consumer, idle, dc]) that we do not hold, at most max claimed.  0 if
 * it went out, 1 if there was nothing to claim, -1 on error.
 */
static int
claim_send(struct source *s, const struct rreply *list, int own,
    uint32_t max, rconn_reply_fn *fn)
{
	const char	**argv;
	size_t		 *argl, i;
	char		 minidle[24], maxd[16], ttl[24], rmax[24], rttl[24],
			 dmax[24], mx[16];
	int		 argc = 0, rc;

	if ((argv = calloc(rr_len(list) + 20, sizeof(*argv))) == NULL ||
	    (argl = calloc(rr_len(list) + 20, sizeof(*argl))) == NULL) {
		free(argv);
		return -1;
	}
	snprintf(minidle, sizeof(minidle), "%llu",
	    (unsigned long long)s->conf->claim_idle_ms);
	snprintf(maxd, sizeof(maxd), "%u", s->conf->max_deliveries);
	snprintf(ttl, sizeof(ttl), "%llu",
	    (unsigned long long)s->conf->done_ttl_ms);
	snprintf(rmax, sizeof(rmax), "%u", s->conf->reply_maxlen);
	snprintf(rttl, sizeof(rttl), "%llu",
	    (unsigned long long)s->conf->reply_ttl_ms);
	snprintf(dmax, sizeof(dmax), "%u", s->conf->dead_maxlen);
	snprintf(mx, sizeof(mx), "%u", max);
#define ARGS(p)	(argl[argc] = strlen(p), argv[argc++] = (p))
	ARGS("EVALSHA");
	ARGS(s->sha[SCRIPT_CLAIM]);
	ARGS("2");
	ARGS(s->conf->stream);
	ARGS(s->conf->dead_letter[0] ? s->conf->dead_letter :
	    s->conf->stream);
	ARGS(s->conf->group);
	ARGS(s->consumer);
	ARGS(own ? "own" : "idle");
	ARGS(minidle);
	ARGS(maxd);
	ARGS(s->mark);
	ARGS(ttl);
	ARGS(rmax);
	ARGS(rttl);
	ARGS(dmax);
	ARGS(s->conf->dead_letter[0] ? "1" : "0");
	ARGS(s->done_prefix);
	ARGS(mx);
#undef ARGS
	rc = argc;
	for (i = 0; i < rr_len(list); i++) {
		const struct rreply *id = rr_elem(rr_elem(list, i), 0);

		if (id == NULL || rr_type(id) != RR_STRING ||
		    ent_find(s, rr_str(id), rr_len(id)) != NO_SLOT)
			continue;
		argv[argc] = rr_str(id);
		argl[argc++] = rr_len(id);
	}
	if (argc == rc)
		rc = 1;
	else
		rc = command(s, s->cmd, fn, argc, argv, argl);
	free(argv);
	free(argl);
	return rc;
}

static uint32_t	room(const struct source *);
static void	claim_step(struct source *);

static void
pending_own(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;
	const struct rreply *last;
	size_t		 n;
	int		 rc;

	(void)c;
	if ((s = reply_ok(r, arg, "XPENDING")) == NULL)
		return;
	s->claiming = 0;
	if (rr_type(r) != RR_ARRAY || (n = rr_len(r)) == 0) {
		char	 qn[256];

		/* All of our own pending list is back: read new ones. */
		set_state(s, S_UP);
		log_info("source_up", "source=%s consumer=%s recovered=%llu",
		    log_quote(s->conf->name, qn, sizeof(qn)), s->consumer,
		    (unsigned long long)s->f.recovered);
		return;
	}
	last = rr_elem(rr_elem(r, n - 1), 0);
	snprintf(s->recover_from, sizeof(s->recover_from), "(%.*s",
	    (int)rr_len(last), rr_str(last));
	s->claiming = 1;
	if ((rc = claim_send(s, r, 1, UINT32_MAX, recover_done)) == 1) {
		s->claiming = 0;
		recover_step(s);	/* all of the page held already */
	} else if (rc == -1)
		s->claiming = 0;
}

/* The next page of our own pending list, as room allows. */
static void
recover_step(struct source *s)
{
	const char	*argv[10];
	char		 count[16];
	uint32_t	 n;

	if (s->state != S_RECOVER || s->claiming || (n = room(s)) == 0)
		return;
	snprintf(count, sizeof(count), "%u", n);
	argv[0] = "XPENDING";
	argv[1] = s->conf->stream;
	argv[2] = s->conf->group;
	argv[3] = s->recover_from[0] ? s->recover_from : "-";
	argv[4] = "+";
	argv[5] = count;
	argv[6] = s->consumer;
	s->claiming = 1;
	if (command(s, s->cmd, pending_own, 7, argv, NULL) == -1)
		s->claiming = 0;
}

static void
pending_idle(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;
	const struct rreply *x;
	uint32_t	 n, want;
	size_t		 i;

	(void)c;
	if ((s = reply_ok(r, arg, "XPENDING")) == NULL)
		return;
	n = room(s);
	/*
	 * Entries of a dead peer wait for room that new reads would take
	 * as soon as it frees (a backlog keeps it full): until they are
	 * claimed, they go first (source_run).  Not those we hold (a
	 * trimmed one is not renewed) nor those to be dead-lettered.
	 */
	for (i = want = 0; rr_type(r) == RR_ARRAY && i < rr_len(r); i++) {
		x = rr_elem(r, i);
		if (rr_type(x) == RR_ARRAY && rr_len(x) == 4 &&
		    rr_int(rr_elem(x, 3)) < s->conf->max_deliveries &&
		    ent_find(s, rr_str(rr_elem(x, 0)),
		    rr_len(rr_elem(x, 0))) == NO_SLOT)
			want++;
	}
	s->claim_first = want > n;
	s->claim_n = n;
	if (rr_type(r) != RR_ARRAY || rr_len(r) == 0 ||
	    claim_send(s, r, 0, n, claim_done) != 0)
		s->claiming = s->claim_n = 0;
}

/* A reply nobody waits for (an error included: CLIENT may be denied). */
static void
ignore_reply(struct rconn *c, const struct rreply *r, void *arg)
{
	(void)c;
	(void)r;
	(void)arg;
}

static void
unblock_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s = src_of(arg);

	(void)c;
	(void)r;
	if (s != NULL)
		s->unblocking = 0;
}

/*
 * Idle entries wait while a read waits in Redis for new ones: end the
 * read (CLIENT UNBLOCK of rd: it returns nil) so that its room is free.
 */
static void
unblock_read(struct source *s)
{
	const char	*argv[3];
	char		 id[24];

	if (s->unblocking || s->rd_id < 0)
		return;
	snprintf(id, sizeof(id), "%lld", s->rd_id);
	argv[0] = "CLIENT";
	argv[1] = "UNBLOCK";
	argv[2] = id;
	s->unblocking = 1;
	if (command(s, s->cmd, unblock_done, 3, argv, NULL) == -1)
		s->unblocking = 0;
}

/* Every claim-interval: entries idle past claim-idle, of anyone. */
static void
claim_step(struct source *s)
{
	const char	*argv[10];
	char		 idle[24], count[16];

	snprintf(idle, sizeof(idle), "%llu",
	    (unsigned long long)s->conf->claim_idle_ms);
	snprintf(count, sizeof(count), "%u", s->conf->batch);
	argv[0] = "XPENDING";
	argv[1] = s->conf->stream;
	argv[2] = s->conf->group;
	argv[3] = "IDLE";
	argv[4] = idle;
	argv[5] = "-";
	argv[6] = "+";
	argv[7] = count;
	s->claiming = 1;
	if (command(s, s->cmd, pending_idle, 8, argv, NULL) == -1)
		s->claiming = 0;
}

/* ---- lease renewal ------------------------------------------------------- */

static void
renew_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;
	const struct rreply *l;
	struct entry	*e;
	uint32_t	 slot;
	size_t		 i;
	char		 qn[256];

	(void)c;
	if ((s = reply_ok(r, arg, "lease renewal")) == NULL)
		return;
	if (s->renewing > 0)
		s->renewing--;
	if (rr_type(r) != RR_ARRAY || rr_len(r) != 2)
		return;
	s->f.lease_renewals++;
	l = rr_elem(r, 1);
	for (i = 0; i < rr_len(l); i++) {
		slot = ent_find(s, rr_str(rr_elem(l, i)),
		    rr_len(rr_elem(l, i)));
		if (slot == NO_SLOT || (e = s->ents[slot])->state != E_TASK ||
		    e->t == NULL || e->lost)
			continue;
		/* A peer claimed it (we were cut off too long): stop it. */
		e->lost = 1;
		s->f.leases_lost++;
		log_entry(LOG_LVL_WARNING, "source_lease_lost", s, e->id, e->cid,
		    "msg=\"claimed by another consumer: cancelled here\"");
		(void)dispatch_cancel(e->t, FP_E_CANCELLED, "the entry was "
		    "claimed by another consumer", 1);
	}
	if (rr_int(rr_elem(r, 0)) == 0) {
		log_warnx("source_lease_taken", "source=%s consumer=%s "
		    "msg=\"another process holds this consumer's lease key\"",
		    log_quote(s->conf->name, qn, sizeof(qn)), s->consumer);
		go_down(s, "lease key taken");
	}
}

static void
renew_step(struct source *s)
{
	const char	**argv;
	char		 ttl[24];
	uint32_t	 i;
	int		 argc;

	if ((argv = calloc(RENEW_CHUNK + 8, sizeof(*argv))) == NULL)
		return;
	snprintf(ttl, sizeof(ttl), "%llu",
	    (unsigned long long)s->conf->claim_idle_ms);
	i = 0;
	do {
		argc = 0;
		argv[argc++] = "EVALSHA";
		argv[argc++] = s->sha[SCRIPT_RENEW];
		argv[argc++] = "2";
		argv[argc++] = s->conf->stream;
		argv[argc++] = s->lease_key;
		argv[argc++] = s->conf->group;
		argv[argc++] = s->consumer;
		argv[argc++] = s->lease_val;
		argv[argc++] = ttl;
		for (; i < s->nents && argc < RENEW_CHUNK + 8; i++)
			if (s->ents[i]->state != E_FREE)
				argv[argc++] = s->ents[i]->id;
		if (command(s, s->cmd, renew_done, argc, argv, NULL) == -1)
			break;
		s->renewing++;
	} while (i < s->nents);
	free(argv);
}

/* ---- reads --------------------------------------------------------------- */

/*
 * How many entries s may read now: batch at most, max-inflight less what
 * it holds, and its share of the daemon's room: workers x prefetch plus
 * source-queue-share percent of queue-limit, less the tasks the daemon
 * has (clients' and entries'), shared among the sources reading.
 */
static uint32_t
room(const struct source *s)
{
	uint64_t	 cap, used, g, n = 0, r;
	int		 i;

	for (i = 0; i < nsources; i++)
		if (sources[i].state == S_UP || sources[i].state == S_RECOVER)
			n++;
	cap = (uint64_t)sv->conf.workers * sv->conf.prefetch +
	    (uint64_t)sv->conf.queue_limit * sv->conf.source_queue_share / 100;
	used = sv->nactive;
	for (i = 0; i < nsources; i++)
		used += sources[i].read_n + sources[i].claim_n;
	g = cap > used ? cap - used : 0;
	if (n > 1)
		g = (g + n - 1) / n;
	/* What an outstanding read may still bring counts as held. */
	r = s->conf->max_inflight > s->held + s->read_n + s->claim_n ?
	    s->conf->max_inflight - s->held - s->read_n - s->claim_n : 0;
	if (r > g)
		r = g;
	return r > s->conf->batch ? s->conf->batch : (uint32_t)r;
}

static void
read_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;
	const struct rreply *st, *l, *x;
	const char	*ids[1];
	size_t		 i, j;

	(void)c;
	if ((s = src_of(arg)) == NULL)
		return;
	s->reading = 0;
	s->read_n = 0;
	if ((s = reply_ok(r, arg, "XREADGROUP")) == NULL)
		return;
	if (rr_type(r) != RR_ARRAY)
		return;		/* nil: BLOCK ran out */
	for (i = 0; i < rr_len(r); i++) {
		st = rr_elem(r, i);
		if (rr_type(st) != RR_ARRAY || rr_len(st) != 2)
			continue;
		l = rr_elem(st, 1);
		for (j = 0; j < rr_len(l); j++) {
			x = rr_elem(l, j);
			if (rr_type(x) != RR_ARRAY || rr_len(x) != 2 ||
			    rr_type(rr_elem(x, 0)) != RR_STRING)
				continue;
			s->f.read++;
			if (sv->state != SV_RUNNING) {
				/* Read as the drain began: give it back. */
				ids[0] = rr_str(rr_elem(x, 0));
				release_ids(s, ids, 1);
				continue;
			}
			(void)intake(s, rr_str(rr_elem(x, 0)),
			    rr_len(rr_elem(x, 0)), rr_elem(x, 1), 1);
		}
	}
}

static void
read_step(struct source *s)
{
	const char	*argv[12];
	char		 count[16], block[16];
	uint32_t	 n;

	if ((n = room(s)) == 0) {
		if (!s->paused)
			s->f.reads_skipped++;
		s->paused = 1;
		return;
	}
	s->paused = 0;
	snprintf(count, sizeof(count), "%u", n);
	snprintf(block, sizeof(block), "%d", READ_BLOCK_MS);
	argv[0] = "XREADGROUP";
	argv[1] = "GROUP";
	argv[2] = s->conf->group;
	argv[3] = s->consumer;
	argv[4] = "COUNT";
	argv[5] = count;
	argv[6] = "BLOCK";
	argv[7] = block;
	argv[8] = "STREAMS";
	argv[9] = s->conf->stream;
	argv[10] = ">";
	s->reading = 1;
	s->read_n = n;
	if (command(s, s->rd, read_done, 11, argv, NULL) == -1)
		s->reading = s->read_n = 0;
}

/* ---- the lease key --------------------------------------------------------- */

static void	lease_step(struct source *);

/* Whether pid is a live process of this host (a zombie is not). */
static int
process_alive(pid_t pid)
{
	char	 path[64], buf[256], *p;
	FILE	*fp;
	int	 alive = 1;

	if (kill(pid, 0) == -1 && errno == ESRCH)
		return 0;
	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((fp = fopen(path, "re")) == NULL)
		return errno != ENOENT;
	/* "pid (comm) S ...": the state follows the last `)'. */
	if (fgets(buf, sizeof(buf), fp) != NULL &&
	    (p = strrchr(buf, ')')) != NULL && p[1] == ' ' && p[2] == 'Z')
		alive = 0;
	fclose(fp);
	return alive;
}

static void
lease_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;
	char		 host[256], qn[256], qv[MARK_MAX * 4];
	long		 pid;
	unsigned long long start;

	(void)c;
	if ((s = reply_ok(r, arg, "lease")) == NULL)
		return;
	s->claiming = 0;
	if (rr_type(r) != RR_STRING)
		return;
	if (rr_len(r) == 0) {
		/* Ours: first what we held before, then new entries. */
		s->takeover[0] = '\0';
		s->wait_logged = 0;
		s->recover_from[0] = '\0';
		set_state(s, S_RECOVER);
		s->next_renew_ns = sv->now_ns + s->conf->claim_idle_ms *
		    1000000ULL / 4;
		s->next_claim_ns = sv->now_ns + s->conf->claim_interval_ms *
		    1000000ULL;
		recover_step(s);
		return;
	}
	/*
	 * Held by "HOST PID START": a process of this host that is gone
	 * (a crash, kill -9) is taken over at once; another waits for the
	 * key to expire (claim-idle after its holder's last renewal).
	 */
	if (sscanf(rr_str(r), "%255s %ld %llu", host, &pid, &start) == 3 &&
	    strcmp(host, hostname) == 0 && pid > 0 && (pid_t)pid != sv->pid &&
	    !process_alive((pid_t)pid) && rr_len(r) < sizeof(s->takeover)) {
		memcpy(s->takeover, rr_str(r), rr_len(r));
		s->takeover[rr_len(r)] = '\0';
		lease_step(s);
		return;
	}
	if (!s->wait_logged) {
		log_warnx("source_lease_wait", "source=%s consumer=%s holder=%s "
		    "msg=\"the consumer name is in use: waiting for its lease "
		    "to expire\"", log_quote(s->conf->name, qn, sizeof(qn)),
		    s->consumer, log_quote(rr_str(r), qv, sizeof(qv)));
		s->wait_logged = 1;
	}
	s->next_claim_ns = sv->now_ns + s->conf->claim_interval_ms * 1000000ULL;
}

static void
lease_step(struct source *s)
{
	const char	*argv[8];
	char		 ttl[24];

	snprintf(ttl, sizeof(ttl), "%llu",
	    (unsigned long long)s->conf->claim_idle_ms);
	argv[0] = "EVALSHA";
	argv[1] = s->sha[SCRIPT_LEASE];
	argv[2] = "1";
	argv[3] = s->lease_key;
	argv[4] = s->lease_val;
	argv[5] = ttl;
	argv[6] = s->takeover;
	s->claiming = 1;
	if (command(s, s->cmd, lease_done, 7, argv, NULL) == -1)
		s->claiming = 0;
}

/* ---- connecting ------------------------------------------------------------ */

static void
setup_step_done(struct source *s)
{
	if (--s->setup_left > 0)
		return;
	set_state(s, S_LEASE);
	s->takeover[0] = '\0';
	s->wait_logged = 0;
	send_answers(s);
	lease_step(s);
}

static void
auth_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;

	(void)c;
	if ((s = reply_ok(r, arg, "AUTH")) != NULL)
		setup_step_done(s);
}

static void
script_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;
	int		 i;

	(void)c;
	if ((s = reply_ok(r, arg, "SCRIPT LOAD")) == NULL)
		return;
	/* Replies come in order: the first script without its sha. */
	for (i = 0; i < NSCRIPTS && s->sha[i][0] != '\0'; i++)
		;
	if (i < NSCRIPTS && rr_type(r) == RR_STRING && rr_len(r) == 40)
		memcpy(s->sha[i], rr_str(r), 41);
	setup_step_done(s);
}

static void
time_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;
	long long	 sec, usec;

	(void)c;
	if ((s = reply_ok(r, arg, "TIME")) == NULL)
		return;
	if (rr_type(r) == RR_ARRAY && rr_len(r) == 2) {
		sec = strtoll(rr_str(rr_elem(r, 0)), NULL, 10);
		usec = strtoll(rr_str(rr_elem(r, 1)), NULL, 10);
		/* Half the round trip: when Redis read its clock. */
		s->clock_off_ms = (int64_t)(sec * 1000 + usec / 1000) -
		    (wall_ms() - (int64_t)(rconn_rtt_ns(c) / 2000000));
	}
	setup_step_done(s);
}

/*
 * In a Redis Cluster a script may touch the keys of one slot only: the
 * stream's name needs a hash tag, which its lease key, done markers and
 * dead-letter stream then share.  Without one every script would fail:
 * refuse to go on, saying why (again after each back-off).
 */
static void
info_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;
	const char	*o, *e;

	(void)c;
	if ((s = reply_ok(r, arg, "INFO")) == NULL)
		return;
	if (rr_type(r) == RR_STRING && strstr(rr_str(r),
	    "cluster_enabled:1") != NULL && ((o = strchr(s->conf->stream,
	    '{')) == NULL || (e = strchr(o + 1, '}')) == NULL || e == o + 1)) {
		go_down(s, "Redis Cluster: the stream's name needs a hash tag "
		    "({...}) so that its keys share a slot");
		return;
	}
	setup_step_done(s);
}

static void
group_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s = src_of(arg);

	(void)c;
	/* The group exists already: fine. */
	if (s != NULL && r != NULL && rr_type(r) == RR_ERROR &&
	    strncmp(rr_str(r), "BUSYGROUP", 9) == 0) {
		setup_step_done(s);
		return;
	}
	if ((s = reply_ok(r, arg, "XGROUP CREATE")) != NULL)
		setup_step_done(s);
}

static void
client_id_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s;

	(void)c;
	if ((s = reply_ok(r, arg, "CLIENT ID")) == NULL)
		return;
	s->rd_id = rr_type(r) == RR_INTEGER ? rr_int(r) : -1;
	setup_step_done(s);
}

static int
send_auth(struct source *s, struct rconn *c)
{
	const char	*argv[3];
	int		 argc = 0;

	if (s->conf->auth_pass[0] == '\0')
		return 0;
	argv[argc++] = "AUTH";
	if (s->conf->auth_user[0] != '\0')
		argv[argc++] = s->conf->auth_user;
	argv[argc++] = s->conf->auth_pass;
	s->setup_left++;
	return command(s, c, auth_done, argc, argv, NULL);
}

/* Both connections are up: set them up, pipelined. */
static void
setup(struct source *s)
{
	const char	*argv[8];
	int		 i;

	s->setup_left = 1;	/* held until all is sent */
	memset(s->sha, 0, sizeof(s->sha));
	if (send_auth(s, s->cmd) == -1 || send_auth(s, s->rd) == -1)
		return;
	/* rd's id, for CLIENT UNBLOCK (unblock_read). */
	argv[0] = "CLIENT";
	argv[1] = "ID";
	s->setup_left++;
	if (command(s, s->rd, client_id_done, 2, argv, NULL) == -1)
		return;
	for (i = 0; i < NSCRIPTS; i++) {
		argv[0] = "SCRIPT";
		argv[1] = "LOAD";
		argv[2] = source_scripts[i];
		s->setup_left++;
		if (command(s, s->cmd, script_done, 3, argv, NULL) == -1)
			return;
	}
	argv[0] = "TIME";
	s->setup_left++;
	if (command(s, s->cmd, time_done, 1, argv, NULL) == -1)
		return;
	argv[0] = "INFO";
	argv[1] = "cluster";
	s->setup_left++;
	if (command(s, s->cmd, info_done, 2, argv, NULL) == -1)
		return;
	/* From 0: entries added before any consumer came are read too. */
	argv[0] = "XGROUP";
	argv[1] = "CREATE";
	argv[2] = s->conf->stream;
	argv[3] = s->conf->group;
	argv[4] = "0";
	argv[5] = "MKSTREAM";
	s->setup_left++;
	if (command(s, s->cmd, group_done, 6, argv, NULL) == -1)
		return;
	setup_step_done(s);
}

static void
conn_state(struct rconn *c, int up, const char *err, void *arg)
{
	struct source	*s = src_of(arg);

	if (s == NULL || s->state != S_CONNECTING)
		return;
	if (!up) {
		go_down(s, err);
		return;
	}
	if (c == s->cmd)
		s->setup_left |= 2;
	else if (c == s->rd)
		s->setup_left |= 4;
	if (s->setup_left == 6)
		setup(s);
}

static void
connect_source(struct source *s)
{
	const struct fp_source *fc = s->conf;
	char		 err[256];

	s->epoch++;
	set_state(s, S_CONNECTING);
	s->setup_left = 0;
	s->cmd = rconn_open(fc->host, (int)fc->port, fc->path[0] ? fc->path :
	    NULL, conn_state, src_arg(s), err, sizeof(err));
	if (s->cmd != NULL)
		s->rd = rconn_open(fc->host, (int)fc->port, fc->path[0] ?
		    fc->path : NULL, conn_state, src_arg(s), err, sizeof(err));
	if (s->cmd == NULL || s->rd == NULL)
		go_down(s, err);
}

static void
go_down(struct source *s, const char *why)
{
	struct rconn	*cmd = s->cmd, *rd = s->rd;
	char		 qn[256], qw[512];
	uint32_t	 i;
	int		 was = s->state;

	if (s->state == S_DOWN || s->state == S_STOPPED)
		return;
	/* Every reply still to come is for an older epoch now. */
	s->epoch++;
	s->cmd = s->rd = NULL;
	s->reading = s->claiming = s->renewing = s->releasing = 0;
	s->read_n = s->claim_n = 0;
	s->unblocking = 0;
	s->rd_id = -1;
	s->setup_left = 0;
	if (was == S_STOPPING)
		set_state(s, S_STOPPED);
	else {
		set_state(s, S_DOWN);
		s->f.reconnects++;
		s->next_connect_ns = sv->now_ns + s->backoff_ms * 1000000ULL;
		s->backoff_ms = s->backoff_ms * 2 > BACKOFF_MAX_MS ?
		    BACKOFF_MAX_MS : s->backoff_ms * 2;
	}
	/* Each outage once, not each failed attempt of it. */
	if (was != S_STOPPING && (was >= S_LEASE || sv->now_ns -
	    s->last_down_log_ns > 60 * 1000000000ULL)) {
		s->last_down_log_ns = sv->now_ns;
		log_warnx("source_down", "source=%s err=%s answers_waiting=%u",
		    log_quote(s->conf->name, qn, sizeof(qn)),
		    log_quote(why != NULL ? why : "unknown", qw, sizeof(qw)),
		    s->nanswers);
	}
	if (cmd != NULL)
		rconn_close(cmd);	/* answers in flight: E_ANSWER again */
	if (rd != NULL)
		rconn_close(rd);
	/* Answers whose replies were lost: sent again after reconnect. */
	for (i = 0; i < s->nents; i++)
		if (s->ents[i]->state == E_SENT)
			s->ents[i]->state = E_ANSWER;
}

/* ---- the loop's calls -------------------------------------------------------- */

void
source_start(void)
{
	struct source	*s;
	char		 c[FP_SRC_STR], k[FP_SRC_STR * 2 + 16];
	int		 i;

	config_source_hostname(hostname, sizeof(hostname));
	nsources = sv->conf.nsource;
	for (i = 0; i < nsources; i++) {
		s = &sources[i];
		memset(s, 0, sizeof(*s));
		s->conf = &sv->conf.source[i];
		s->index = i;
		s->free_head = NO_SLOT;
		s->backoff_ms = BACKOFF_MIN_MS;
		s->f.name = s->conf->name;
		s->f.stream = s->conf->stream;
		s->f.group = s->conf->group;
		s->f.consumer = s->consumer;
		/* Checked to fit by config_load. */
		(void)config_source_consumer(s->conf, c, sizeof(c));
		memcpy(s->consumer, c, sizeof(s->consumer));
		snprintf(k, sizeof(k), "%s:alive:%s", s->conf->stream, c);
		memcpy(s->lease_key, k, sizeof(s->lease_key));
		snprintf(k, sizeof(k), "%s:done:", s->conf->stream);
		memcpy(s->done_prefix, k, sizeof(s->done_prefix));
		snprintf(k, sizeof(k), "%s %d %llu", hostname, (int)sv->pid,
		    (unsigned long long)sv->started_ns);
		memcpy(s->lease_val, k, sizeof(s->lease_val));
		snprintf(k, sizeof(k), "%s %d %llu", c, (int)sv->pid,
		    (unsigned long long)sv->started_ns);
		memcpy(s->mark, k, sizeof(s->mark));
		set_state(s, S_DOWN);
		connect_source(s);
	}
}

void
source_tick(uint64_t now)
{
	struct source	*s;
	uint64_t	 io;
	int		 i;

	for (i = 0; i < nsources; i++) {
		s = &sources[i];
		io = s->conf->io_timeout_ms * 1000000ULL;
		s->f.rtt_us = s->cmd != NULL ? rconn_rtt_ns(s->cmd) / 1000 :
		    s->f.rtt_us;
		switch (s->state) {
		case S_STOPPED:
			continue;
		case S_DOWN:
			if (now >= s->next_connect_ns)
				connect_source(s);
			continue;
		case S_CONNECTING:
			if (now - s->state_ns > io)
				go_down(s, "timed out connecting");
			continue;
		case S_STOPPING:
			if (now >= s->stop_deadline_ns)
				go_down(s, "timed out stopping");
			break;
		default:
			break;
		}
		if (s->state == S_STOPPED)
			continue;
		/*
		 * Up for a while: the next outage starts its back-off afresh
		 * (a source that fails as soon as it is up keeps backing off).
		 */
		if (s->state == S_UP && now - s->state_ns > UP_STEADY_NS)
			s->backoff_ms = BACKOFF_MIN_MS;
		/* A connection that answers nothing is cut off: drop it. */
		if ((s->cmd != NULL && rconn_waiting_ns(s->cmd, now) > io) ||
		    (s->rd != NULL && rconn_waiting_ns(s->rd, now) > io +
		    READ_BLOCK_MS * 1000000ULL)) {
			go_down(s, "no reply within io-timeout");
			continue;
		}
		if (s->state == S_LEASE && !s->claiming && s->setup_left == 0 &&
		    now >= s->next_claim_ns)
			lease_step(s);
		if ((s->state == S_UP || s->state == S_RECOVER) &&
		    now >= s->next_renew_ns && s->renewing == 0) {
			s->next_renew_ns = now + s->conf->claim_idle_ms *
			    1000000ULL / 4;
			renew_step(s);
		}
		/* Draining: take no more work (claims would run it). */
		if (s->state == S_UP && now >= s->next_claim_ns &&
		    !s->claiming && sv->state == SV_RUNNING) {
			s->next_claim_ns = now + s->conf->claim_interval_ms *
			    1000000ULL;
			claim_step(s);
		}
	}
}

static void	stop_step(struct source *);

void
source_run(void)
{
	struct source	*s;
	int		 i;

	for (i = 0; i < nsources; i++) {
		s = &sources[i];
		if (s->state == S_UP && s->claim_first &&
		    sv->state == SV_RUNNING) {
			if (!s->claiming && room(s) > 0)
				claim_step(s);
			else if (s->reading)
				unblock_read(s);
		} else if (s->state == S_UP && !s->reading &&
		    sv->state == SV_RUNNING)
			read_step(s);
		else if (s->state == S_RECOVER && !s->claiming &&
		    sv->state == SV_RUNNING)
			recover_step(s);
		else if (s->state == S_STOPPING)
			stop_step(s);
	}
}

/*
 * Read no more, at once: a read blocked in Redis would take the next
 * entry added, even after the stop script ran, and leave it pending for
 * a consumer that is gone.  CLIENT KILL of rd on cmd goes before the
 * release and the stop script on the same connection, so Redis drops
 * rd before either runs; then rd is closed here.  (An ACL that forbids
 * CLIENT KILL leaves only the close: the window is a round trip.)
 */
static void
stop_reading(struct source *s)
{
	const char	*argv[4];
	char		 id[24];

	if (s->cmd != NULL && s->rd_id >= 0 && s->setup_left == 0 &&
	    s->state >= S_LEASE) {
		snprintf(id, sizeof(id), "%lld", s->rd_id);
		argv[0] = "CLIENT";
		argv[1] = "KILL";
		argv[2] = "ID";
		argv[3] = id;
		(void)rconn_command(s->cmd, ignore_reply, NULL, 4, argv, NULL);
	}
	if (s->rd != NULL) {
		rconn_close(s->rd);
		s->rd = NULL;
	}
	s->reading = 0;
	s->read_n = 0;
	s->rd_id = -1;
}

void
source_drain(void)
{
	struct source	*s;
	struct entry	*e;
	const char	**ids;
	uint32_t	 i, n;
	int		 k;

	for (k = 0; k < nsources; k++) {
		s = &sources[k];
		stop_reading(s);
		if (s->nents == 0 ||
		    (ids = calloc(s->nents, sizeof(*ids))) == NULL)
			continue;
		/* Queued, not started: a peer may run them now. */
		for (i = n = 0; i < s->nents; i++) {
			e = s->ents[i];
			if (e->state == E_TASK && e->t != NULL &&
			    e->t->state == T_QUEUED)
				ids[n++] = e->id;
		}
		release_ids(s, ids, (int)n);
		free(ids);
		for (i = 0; i < s->nents; i++) {
			e = s->ents[i];
			if (e->state == E_TASK && e->t != NULL &&
			    e->t->state == T_QUEUED) {
				e->lost = 1;	/* released: no answer */
				(void)dispatch_cancel(e->t, FP_E_SHUTTING_DOWN,
				    "the daemon is shutting down", 0);
			}
		}
	}
}

static void
stop_done(struct rconn *c, const struct rreply *r, void *arg)
{
	struct source	*s = src_of(arg);
	char		 qn[256];

	(void)c;
	if (s == NULL)
		return;
	s->releasing = 0;
	if (r != NULL && rr_type(r) == RR_INTEGER)
		log_info("source_stopped", "source=%s released=%lld",
		    log_quote(s->conf->name, qn, sizeof(qn)), rr_int(r));
	go_down(s, "stopped");
}

/* Stopping: once the answers are out, give back the rest and close. */
static void
stop_step(struct source *s)
{
	if (s->nanswers > 0 || s->releasing)
		return;
	if (release_send(s, NULL, 0, stop_done) == 0)
		s->releasing = 1;
}

void
source_stop(void)
{
	struct source	*s;
	int		 i;

	for (i = 0; i < nsources; i++) {
		s = &sources[i];
		s->stop_deadline_ns = sv->now_ns + (s->conf->io_timeout_ms +
		    STOP_GRACE_MS) * 1000000ULL;
		if (s->state < S_LEASE) {
			char	 qn[256];

			if (s->nanswers > 0)
				log_warnx("source_stop_unanswered", "source=%s "
				    "answers=%u msg=\"Redis is out of reach: "
				    "their entries stay pending for a peer to "
				    "claim\"", log_quote(s->conf->name, qn,
				    sizeof(qn)), s->nanswers);
			if (s->state != S_STOPPED)
				set_state(s, S_STOPPED);
			if (s->cmd != NULL || s->rd != NULL) {
				s->state = S_STOPPING;
				go_down(s, "stopped");
			}
			continue;
		}
		set_state(s, S_STOPPING);
		stop_step(s);
	}
}

int
source_stopped(void)
{
	int	 i;

	/* source_tick gives up on one past its stop_deadline_ns. */
	for (i = 0; i < nsources; i++)
		if (sources[i].state != S_STOPPED)
			return 0;
	return 1;
}

int
source_count(void)
{
	return nsources;
}

void
source_figures(int i, struct source_figures *f)
{
	const struct source *s = &sources[i];

	*f = s->f;
	f->state = state_names[s->state];
	f->up = s->state == S_UP;
	f->inflight = s->held;
	f->answers_buffered = s->nanswers;
}
