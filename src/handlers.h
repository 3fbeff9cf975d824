/*
 * handlers.h -- the handler table.  Handlers run in workers; the table is
 * built in the supervisor before fork so both sides agree on indices.
 */
#ifndef FP_HANDLERS_H
#define FP_HANDLERS_H

#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "forkpool_plugin.h"

#define HF_TEST		0x01	/* only with test-handlers enabled */
#define HF_RAW		0x02	/* takes hctx->raw; params is not unpacked */
#define HF_PLUGIN	0x04	/* a plug-in's: call pfn, not fn */
#define HF_CHECKS	0x08	/* HF_RAW that checks its raw params as
				   strictly as the supervisor does, before
				   anything allocates by what they claim,
				   so the worker need not (WT_UNCHECKED) */

/*
 * Built-in and plug-in handlers together.  An index fits the 16 bits of
 * struct task's handler (daemon.h) and the forkpool.conf(5) table
 * (FP_CONF_HANDLERS): handlers.c asserts both.
 */
#define FP_HANDLERS_MAX	256

/* What a handler gets for one call. */
struct fp_hctx {
	msgpack_packer	*pk;		/* write exactly one result object */
	msgpack_sbuffer	*sb;		/* what pk writes to, or NULL if pk
					   writes elsewhere */
	uint64_t	 deadline_ns;	/* CLOCK_MONOTONIC, 0 for none */
	int		 err;		/* enum fp_err when the call failed */
	char		 errmsg[256];
	const uint8_t	*raw;		/* the params array as it came */
	size_t		 rawlen;
	size_t		 result_max;	/* the largest result the worker may
					   send (RESULT_MAX), 0: no limit */
	int		 violate;	/* test handler violate: VIOLATE_* */
	uint64_t	 violate_arg;
	struct fp_call	 call;		/* what a plug-in handler gets */
};

/*
 * What the test handler `violate' asks its worker to do instead of
 * sending the result (forkpoold(8)): break the ring protocol the way a
 * buggy or hostile worker could.
 */
enum {
	VIOLATE_NONE = 0,
	VIOLATE_OVERSIZE,	/* a result of RESULT_MAX + arg bytes */
	VIOLATE_SPOOF,		/* a result for a task it does not hold */
	VIOLATE_MALFORMED,	/* a result that is not MessagePack */
	VIOLATE_BADERROR,	/* an error record with code 0 */
	VIOLATE_CORRUPT,	/* a misaligned result ring index */
	VIOLATE_LIE,		/* clear `running' in the stats block, exit */
	VIOLATE_LIE_HANG,	/* clear `running', then hang */
	VIOLATE_RUN_REVOKED,	/* sleep arg ms, answer, then run the
				   tasks taken back from it too */
	VIOLATE_CLAIM_FAR,	/* claim (and revoke) up to 100000 tasks
				   ahead, answer: a black hole */
	VIOLATE_LATE_CORRUPT,	/* answer, then corrupt the result ring
				   once the next task is in (arg ms) */
	VIOLATE_BLOB_SPOOF	/* a result whose record says "on the
				   blob ring", and a blob of another id */
};

/* Returns 0 with one object packed, or -1 after hctx_error(). */
typedef int (*handler_fn)(struct fp_hctx *, const msgpack_object *params);

struct handler {
	const char	*name;
	size_t		 namelen;	/* set by the table */
	handler_fn	 fn;		/* built-in */
	int		 flags;		/* HF_* */
	fp_handler_fn	 pfn;		/* HF_PLUGIN: the plug-in's function */
	void		*state;		/* HF_PLUGIN: its init's state */
	const struct fp_host *host;	/* HF_PLUGIN: its services */
};

/* handlers_init: enable test handlers or not; call before fork. */
void	handlers_init(int test_handlers);

/*
 * handler_add: append a plug-in handler (a copy of *h; the name must stay
 * valid) to the table, before fork.  Returns its index, or -1 if the table
 * is full or the name is taken.
 */
int	handler_add(const struct handler *h);

/* handler_lookup: index of an enabled handler, or -1. */
int	handler_lookup(const char *name, size_t len);

/*
 * handler_index: index of the handler called `name' (len bytes), enabled
 * or not (test handlers are known even when disabled), or -1.
 */
int	handler_index(const char *name, size_t len);

/* handler_name: the name of handler index i, enabled or not; NULL if none. */
const char *handler_name(uint32_t i);

/* handler_get: the handler at index i, or NULL if none or disabled. */
const struct handler *handler_get(uint32_t i);

/* handler_count: size of the table (enabled or not). */
uint32_t handler_count(void);

/*
 * hctx_error: record a typed error (enum fp_err) and its message, cut to
 * fit errmsg, for the call; returns -1.
 */
int	hctx_error(struct fp_hctx *h, int code, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));

/* json_handlers.c: the built-in handlers json.encode and json.decode. */
int	h_json_encode(struct fp_hctx *, const msgpack_object *);
int	h_json_decode(struct fp_hctx *, const msgpack_object *);

#endif /* FP_HANDLERS_H */
