/*
 * wire.h -- what the supervisor and a worker put in their shared segment:
 * record bodies on the rings, and the worker's stats block.  Everything a
 * worker writes here is untrusted input to the supervisor.
 */
#ifndef FP_WIRE_H
#define FP_WIRE_H

#include <stdatomic.h>
#include <stdint.h>

/* FP_REC_TASK body: this header, then the params array (MessagePack). */
struct wire_task {
	uint32_t	 handler;	/* index into the handler table */
	uint32_t	 flags;		/* none yet: 0, not read */
	uint64_t	 deadline_ns;	/* CLOCK_MONOTONIC, 0 for none */
};

/* FP_REC_RESULT body: exactly one MessagePack object. */

/*
 * FP_REC_ERROR body: this header, then the message (not NUL-terminated) of
 * WIRE_ERRMSG_MAX bytes at most: the supervisor refuses a longer one, or a
 * code that is not an error, as a protocol violation.
 */
struct wire_error {
	uint32_t	 code;		/* enum fp_err, not FP_OK */
	uint32_t	 reserved;	/* 0, not read */
};
#define WIRE_ERRMSG_MAX	1024

/*
 * The stats block, at the start of the worker's segment.  The worker owns
 * it and the supervisor never writes it.  The supervisor reads only
 * `running' (on the 100 ms tick for deadlines, when the worker dies, and
 * to cancel a running task) and treats it as a claim to check; the other
 * fields are the worker's account, for a debugger or a core dump.
 */
struct wstats {
	_Atomic uint64_t running;	/* task id being run, 0 when idle */
	_Atomic uint64_t tasks_ok;
	_Atomic uint64_t tasks_failed;
	_Atomic uint64_t busy_ns;
	_Atomic uint32_t ready;		/* 1 once its plug-ins' worker_init
					   ran, before its loop */
};

#endif /* FP_WIRE_H */
