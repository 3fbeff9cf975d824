/*
 * breaker.c -- per-handler circuit breaker: closed, open, half-open, with
 * a sliding window of failure times.  See breaker.h for the rules.
 *
 * The window is a ring of slots ordered by time, oldest at `head'.  In
 * exact mode (group_ns 0, threshold <= BR_MAX_SLOTS) there is one slot
 * per failure and nslots == threshold: when the ring is full every slot
 * still in the window makes the count reach threshold, and the slot
 * overwritten is older than all the others, so the count is exact below
 * threshold.  In grouped mode (threshold > BR_MAX_SLOTS) a new slot
 * starts only group_ns after the newest one, and group_ns * nslots >=
 * window_ns: a full ring's oldest slot has always left the window before
 * it is overwritten.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "breaker.h"

/* since: ns from `then' to `now', 0 if the clock went backwards. */
static uint64_t
since(uint64_t now, uint64_t then)
{
	return now > then ? now - then : 0;
}

static struct br_slot *
slot_at(const struct breaker *b, uint32_t i)
{
	return &b->slots[(b->head + i) % b->nslots];
}

/* geometry: ring capacity and group length for these parameters. */
static void
geometry(uint32_t threshold, uint64_t window_ns, uint32_t *nslots,
    uint64_t *group_ns)
{
	if (threshold <= BR_MAX_SLOTS) {
		*nslots = threshold;
		*group_ns = 0;
	} else {
		*nslots = BR_MAX_SLOTS;
		*group_ns = window_ns / BR_MAX_SLOTS +
		    (window_ns % BR_MAX_SLOTS != 0);
	}
}

static int
valid(uint32_t threshold, uint64_t window_ns)
{
	return threshold == 0 || window_ns > 0;
}

static void
clear_window(struct breaker *b)
{
	b->head = b->len = 0;
	b->total = 0;
}

/* prune: forget the slots that left the window at now_ns. */
static void
prune(struct breaker *b, uint64_t now_ns)
{
	struct br_slot	*s;

	while (b->len > 0) {
		s = slot_at(b, 0);
		if (since(now_ns, s->t_ns) < b->window_ns)
			break;
		b->total -= s->n;
		b->head = (b->head + 1) % b->nslots;
		b->len--;
	}
	if (b->len == 0)
		b->head = 0;
}

/* push: add n failures at t_ns as the newest, overwriting the oldest slot
 * if the ring is full.  Needs nslots > 0. */
static void
push(struct breaker *b, uint64_t t_ns, uint64_t n)
{
	struct br_slot	*s;

	if (b->len > 0 && b->group_ns > 0) {
		s = slot_at(b, b->len - 1);
		if (since(t_ns, s->t_ns) < b->group_ns) {
			s->n += n;
			b->total += n;
			return;
		}
	}
	if (b->len == b->nslots) {
		s = slot_at(b, 0);
		b->total -= s->n;
		b->head = (b->head + 1) % b->nslots;
		b->len--;
	}
	s = slot_at(b, b->len);
	s->t_ns = t_ns;
	s->n = n;
	b->len++;
	b->total += n;
}

static void
record_failure(struct breaker *b, uint64_t now_ns)
{
	prune(b, now_ns);
	push(b, now_ns, 1);
}

int
breaker_init(struct breaker *b, uint32_t threshold, uint64_t window_ns,
    uint64_t cooldown_ns)
{
	memset(b, 0, sizeof(*b));
	if (!valid(threshold, window_ns)) {
		errno = EINVAL;
		return -1;
	}
	return breaker_reconfigure(b, threshold, window_ns, cooldown_ns);
}

void
breaker_free(struct breaker *b)
{
	free(b->slots);
	memset(b, 0, sizeof(*b));
}

int
breaker_admit(struct breaker *b, uint64_t now_ns)
{
	if (b->threshold == 0)
		return BR_ADMIT;
	switch (b->state) {
	case BR_OPEN:
		if (since(now_ns, b->opened_ns) < b->cooldown_ns)
			return BR_REJECT;
		b->state = BR_HALF_OPEN;
		b->probing = 1;
		return BR_PROBE;
	case BR_HALF_OPEN:
		if (b->probing)
			return BR_REJECT;
		b->probing = 1;
		return BR_PROBE;
	default:
		return BR_ADMIT;
	}
}

int
breaker_result(struct breaker *b, int failure, int probe, uint64_t now_ns)
{
	if (b->threshold == 0)
		return BR_T_NONE;
	if (probe && b->state == BR_HALF_OPEN && b->probing) {
		b->probing = 0;
		if (!failure) {
			b->state = BR_CLOSED;
			b->opened_ns = 0;
			clear_window(b);
			return BR_T_CLOSED;
		}
		record_failure(b, now_ns);
		b->state = BR_OPEN;
		b->opened_ns = now_ns;
		return BR_T_REOPENED;
	}
	if (!failure)
		return BR_T_NONE;
	record_failure(b, now_ns);
	if (b->state == BR_CLOSED && b->total >= b->threshold) {
		b->state = BR_OPEN;
		b->opened_ns = now_ns;
		return BR_T_OPENED;
	}
	return BR_T_NONE;
}

void
breaker_probe_abandon(struct breaker *b)
{
	if (b->state == BR_HALF_OPEN)
		b->probing = 0;
}

int
breaker_reconfigure(struct breaker *b, uint32_t threshold, uint64_t window_ns,
    uint64_t cooldown_ns)
{
	struct breaker	 nb;
	struct br_slot	*s;
	uint64_t	 k;
	uint32_t	 i;

	if (!valid(threshold, window_ns)) {
		errno = EINVAL;
		return -1;
	}
	if (threshold == 0) {
		breaker_free(b);
		b->window_ns = window_ns;
		b->cooldown_ns = cooldown_ns;
		return 0;
	}

	nb = *b;
	nb.threshold = threshold;
	nb.window_ns = window_ns;
	nb.cooldown_ns = cooldown_ns;
	geometry(threshold, window_ns, &nb.nslots, &nb.group_ns);
	if (b->threshold == 0 || b->slots == NULL) {
		nb.state = BR_CLOSED;
		nb.probing = 0;
		nb.opened_ns = 0;
	}
	if (b->slots != NULL && nb.nslots == b->nslots &&
	    nb.group_ns == b->group_ns) {
		*b = nb;	/* same ring, same slots */
		return 0;
	}

	if ((nb.slots = calloc(nb.nslots, sizeof(*nb.slots))) == NULL)
		return -1;
	clear_window(&nb);
	/* Carry the failures over, oldest first; exact mode keeps one
	 * failure per slot, so a grouped slot is split (the ring keeps the
	 * newest nslots anyway). */
	for (i = 0; i < b->len; i++) {
		s = slot_at(b, i);
		if (nb.group_ns > 0)
			push(&nb, s->t_ns, s->n);
		else
			for (k = 0; k < s->n && k < nb.nslots; k++)
				push(&nb, s->t_ns, 1);
	}
	free(b->slots);
	*b = nb;
	return 0;
}

int
breaker_state(const struct breaker *b, uint64_t now_ns)
{
	if (b->threshold == 0)
		return BR_CLOSED;
	if (b->state == BR_OPEN &&
	    since(now_ns, b->opened_ns) >= b->cooldown_ns)
		return BR_HALF_OPEN;
	return b->state;
}

const char *
breaker_state_name(int state)
{
	switch (state) {
	case BR_CLOSED:
		return "closed";
	case BR_OPEN:
		return "open";
	case BR_HALF_OPEN:
		return "half-open";
	default:
		return "unknown";
	}
}

uint32_t
breaker_failures(struct breaker *b, uint64_t now_ns)
{
	if (b->threshold == 0)
		return 0;
	prune(b, now_ns);
	return b->total > UINT32_MAX ? UINT32_MAX : (uint32_t)b->total;
}

uint64_t
breaker_open_ns(const struct breaker *b, uint64_t now_ns)
{
	if (b->threshold == 0 || b->state == BR_CLOSED)
		return 0;
	return since(now_ns, b->opened_ns);
}
