/*
 * breakers.c -- the supervisor's circuit breakers, one per handler:
 * configuration, logging of transitions and the forkpool.breakers report
 * around the pure state machine in breaker.c.
 */
#include <stdlib.h>

#include "daemon.h"
#include "breaker.h"
#include "handlers.h"
#include "log.h"

static struct breaker	*br;
static uint32_t		 nbr;

static const char *
hname(uint32_t h)
{
	const struct handler *hd = handler_get(h);

	return hd != NULL ? hd->name : "disabled";
}

static void
configure(uint32_t h, int init)
{
	uint32_t threshold = config_handler_breaker_threshold(&sv->conf, h);
	uint64_t window = sv->conf.breaker_window_ms * 1000000ULL;
	uint64_t cooldown = sv->conf.breaker_cooldown_ms * 1000000ULL;
	int	 r;

	r = init ? breaker_init(&br[h], threshold, window, cooldown) :
	    breaker_reconfigure(&br[h], threshold, window, cooldown);
	if (r == -1)
		log_warn("breaker", "handler=%s msg=\"cannot configure\"",
		    hname(h));
}

void
breakers_init(void)
{
	uint32_t h;

	nbr = handler_count();
	if ((br = calloc(nbr, sizeof(*br))) == NULL)
		fatal("breakers_init", NULL);
	for (h = 0; h < nbr; h++)
		configure(h, 1);
}

void
breakers_reconfigure(void)
{
	uint32_t h;

	for (h = 0; h < nbr; h++)
		configure(h, 0);
}

int
breakers_admit(uint32_t h, int *probe)
{
	int	 r;

	*probe = 0;
	if (h >= nbr)
		return 0;
	r = breaker_admit(&br[h], sv->now_ns);
	if (r == BR_REJECT)
		return -1;
	if (r == BR_PROBE) {
		*probe = 1;
		log_info("breaker_probe", "handler=%s", hname(h));
	}
	return 0;
}

void
breakers_result(uint32_t h, int failure, int probe)
{
	const char *name;

	if (h >= nbr)
		return;
	name = hname(h);
	switch (breaker_result(&br[h], failure, probe, sv->now_ns)) {
	case BR_T_OPENED:
		log_warnx("breaker_open", "handler=%s failures=%u "
		    "cooldown_ms=%llu", name, br[h].threshold,
		    (unsigned long long)sv->conf.breaker_cooldown_ms);
		break;
	case BR_T_REOPENED:
		log_warnx("breaker_open", "handler=%s msg=\"probe failed\"",
		    name);
		break;
	case BR_T_CLOSED:
		log_info("breaker_closed", "handler=%s", name);
		break;
	}
}

void
breakers_abandon(uint32_t h)
{
	if (h < nbr)
		breaker_probe_abandon(&br[h]);
}

/* [{handler, state, failures, opened_s_ago}, ...] for enabled handlers. */
void
breakers_report(struct fp_buf *b)
{
	uint64_t now = now_ns();
	uint32_t h, n = 0;
	int	 st;

	for (h = 0; h < nbr; h++)
		if (handler_get(h) != NULL)
			n++;
	fp_mp_put_array(b, n);
	for (h = 0; h < nbr; h++) {
		if (handler_get(h) == NULL)
			continue;
		st = breaker_state(&br[h], now);
		fp_mp_put_map(b, 4);
		fp_mp_put_cstr(b, "handler");
		fp_mp_put_cstr(b, handler_get(h)->name);
		fp_mp_put_cstr(b, "state");
		fp_mp_put_cstr(b, breaker_state_name(st));
		fp_mp_put_cstr(b, "failures");
		fp_mp_put_uint(b, breaker_failures(&br[h], now));
		fp_mp_put_cstr(b, "opened_s_ago");
		if (st == BR_CLOSED)
			fp_mp_put_nil(b);
		else
			fp_mp_put_double(b, (double)breaker_open_ns(&br[h],
			    now) / 1e9);
	}
}
