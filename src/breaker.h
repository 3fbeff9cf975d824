/*
 * breaker.h -- per-handler circuit breaker of the supervisor (DESIGN.md
 * §6, forkpool.conf(5) breaker-threshold, breaker-window,
 * breaker-cooldown; forkpool.breakers in forkpool-rpc(7)).
 *
 * Pure logic: no logging, no clock, no globals.  The caller passes the
 * current time of a monotonic clock (CLOCK_MONOTONIC, in ns) to every
 * call that needs it; times must not go backwards (if they do, the
 * breaker stays sane but may keep a failure a little longer).
 *
 * States:
 *
 *	closed     every call runs.  Failures (crashes and timeouts; handler
 *	           errors are not failures) are counted in a sliding window
 *	           of window_ns; when `threshold' of them are in the window
 *	           the breaker opens.  Successes do not reset the count: the
 *	           rule is "threshold failures within the window", however
 *	           many calls succeeded in between.
 *	open       every call is rejected (circuit_open) until cooldown_ns
 *	           have passed since it opened.
 *	half-open  the first call after the cool-down runs as the probe;
 *	           while the probe is in flight every other call is rejected.
 *	           Probe success closes the breaker and clears the window;
 *	           probe failure reopens it with a fresh cool-down.
 *
 * Failure memory.  With threshold <= BR_MAX_SLOTS the breaker keeps the
 * times of the last `threshold' failures: the open decision is exact, and
 * breaker_failures() saturates at `threshold' (it never needs to tell
 * more).  With a larger threshold the window is cut into BR_MAX_SLOTS
 * groups of at least window_ns / BR_MAX_SLOTS: a failure joins the newest
 * group if that group started less than a group length ago, and a group
 * leaves the window when its first failure does.  Failures may thus be
 * forgotten up to window_ns / BR_MAX_SLOTS early (0.1 % of the window),
 * never late.  Memory: at most BR_MAX_SLOTS * 16 bytes per breaker,
 * allocated by breaker_init() and breaker_reconfigure(), none when
 * disabled; breaker_result() never allocates and cannot fail.
 *
 * A zero-filled struct breaker is a valid disabled breaker.
 */
#ifndef FP_BREAKER_H
#define FP_BREAKER_H

#include <stdint.h>

#define BR_MAX_SLOTS	1024	/* failure slots kept, at most */

enum breaker_state {
	BR_CLOSED = 0,
	BR_OPEN,
	BR_HALF_OPEN
};

/* breaker_admit() verdicts. */
enum breaker_verdict {
	BR_ADMIT = 0,		/* run normally */
	BR_PROBE,		/* run as the half-open probe; mark the task */
	BR_REJECT		/* answer circuit_open */
};

/* breaker_result() transitions, for logging. */
enum breaker_transition {
	BR_T_NONE = 0,
	BR_T_OPENED,		/* closed -> open: threshold reached */
	BR_T_CLOSED,		/* half-open -> closed: probe succeeded */
	BR_T_REOPENED		/* half-open -> open: probe failed */
};

struct br_slot {
	uint64_t	 t_ns;		/* time of the (first) failure */
	uint64_t	 n;		/* failures in this slot */
};

/* One per handler, in the supervisor's private memory.  Read-only to
 * callers: use the functions below. */
struct breaker {
	int		 state;		/* enum breaker_state */
	int		 probing;	/* half-open: a probe is in flight */
	uint32_t	 threshold;	/* 0 = disabled */
	uint32_t	 nslots;	/* ring capacity */
	uint64_t	 window_ns;
	uint64_t	 cooldown_ns;
	uint64_t	 group_ns;	/* 0: one slot per failure (exact) */
	uint64_t	 opened_ns;	/* when it last opened or reopened */
	struct br_slot	*slots;		/* ring, oldest at head */
	uint32_t	 head;
	uint32_t	 len;
	uint64_t	 total;		/* sum of n over the ring */
};

/*
 * breaker_init: set up `b' closed with an empty window.  threshold 0
 * disables the breaker (every call admitted, nothing allocated).  With
 * threshold > 0, window_ns must be > 0; cooldown_ns may be 0 (the next
 * call after opening is the probe).  Returns 0, or -1 with errno EINVAL
 * (bad arguments) or ENOMEM; on error `b' is a disabled breaker, which
 * breaker_free() accepts.
 */
int		 breaker_init(struct breaker *b, uint32_t threshold,
		    uint64_t window_ns, uint64_t cooldown_ns);

/* breaker_free: release the memory of `b', leaving a disabled breaker.
 * Safe to call twice. */
void		 breaker_free(struct breaker *b);

/*
 * breaker_admit: may a call of this handler run at now_ns?  BR_ADMIT when
 * closed or disabled.  When open: BR_REJECT until cooldown_ns have passed
 * since it opened; then it turns half-open and the call gets BR_PROBE.
 * When half-open: BR_PROBE if no probe is in flight, else BR_REJECT.
 * After BR_PROBE the caller owes exactly one breaker_result() with
 * probe = 1 or one breaker_probe_abandon() for that task.
 */
int		 breaker_admit(struct breaker *b, uint64_t now_ns);

/*
 * breaker_result: the outcome of a task that was admitted and ran (or was
 * lost with its worker).  failure: it crashed or timed out; handler
 * errors and normal results are successes.  probe: the task was admitted
 * with BR_PROBE.  Returns the transition, BR_T_NONE if none.
 *
 * Every failure goes into the window.  Closed: reaching threshold opens
 * (BR_T_OPENED).  Half-open probe: success closes and clears the window
 * (BR_T_CLOSED), failure reopens with a fresh cool-down (BR_T_REOPENED).
 * Any other result (a task admitted before the breaker opened, or a
 * probe result that does not match the probe in flight, e.g. after
 * breaker_probe_abandon() or a reconfigure that disabled the breaker)
 * only counts in the window and never changes the state.  A disabled
 * breaker ignores results.
 */
int		 breaker_result(struct breaker *b, int failure, int probe,
		    uint64_t now_ns);

/* breaker_probe_abandon: the probe in flight was dropped without a result
 * (cancelled, client gone); the next call becomes a new probe.  The
 * cool-down is not restarted.  No effect unless half-open. */
void		 breaker_probe_abandon(struct breaker *b);

/*
 * breaker_reconfigure: new parameters on reload, same rules as
 * breaker_init().  threshold 0 disables the breaker (closed, window
 * cleared).  Enabling a disabled breaker starts it closed and empty.
 * Otherwise state, open time and probe in flight are kept (the new
 * cool-down applies to the current open period) and the failures in the
 * ring are carried over (the newest ones if the new ring is smaller);
 * the new window applies from the next call.  A closed breaker whose
 * count already reaches a lowered threshold opens on its next failure.
 * Returns 0, or -1 with errno EINVAL or ENOMEM leaving `b' unchanged.
 */
int		 breaker_reconfigure(struct breaker *b, uint32_t threshold,
		    uint64_t window_ns, uint64_t cooldown_ns);

/*
 * For forkpool.breakers.
 *
 * breaker_state: the state at now_ns.  An open breaker whose cool-down
 * has passed reads BR_HALF_OPEN (the next call would be the probe); the
 * state changes only in breaker_admit().
 * breaker_state_name: "closed", "open", "half-open" ("unknown" for
 * anything else).
 * breaker_failures: failures in the window at now_ns (see "Failure
 * memory" above); forgets the expired ones.
 * breaker_open_ns: ns since the breaker last opened or reopened, 0 when
 * closed (the caller answers nil for closed, from the state).
 */
int		 breaker_state(const struct breaker *b, uint64_t now_ns);
const char	*breaker_state_name(int state);
uint32_t	 breaker_failures(struct breaker *b, uint64_t now_ns);
uint64_t	 breaker_open_ns(const struct breaker *b, uint64_t now_ns);

#endif /* FP_BREAKER_H */
