/*
 * forkpool_plugin.h -- the handler plug-in ABI of forkpoold, version 1.
 *
 * A plug-in is a shared object named by a `load' line of forkpool.conf(5).
 * It exports one data symbol, `forkpool_plugin' (FP_PLUGIN_SYMBOL), a
 * struct fp_plugin that names its handlers and its init functions.  The
 * daemon calls into the plug-in; the plug-in calls the daemon back only
 * through the struct fp_host it is given, so it links against nothing of
 * forkpool's (only msgpack-c, for the parameter and result types).
 *
 * Life of a plug-in (forkpool_plugin(3) has the details):
 *  1. The supervisor first loads the plug-in in a throw-away child process
 *     and runs init, worker_init and fini there.  A crash, a hang past
 *     load-timeout, an ABI mismatch or a missing symbol refuses the
 *     plug-in with a message; the daemon itself is never at risk.
 *  2. The supervisor loads it for real and calls init once, before any
 *     worker is forked: what init loads is shared copy-on-write by every
 *     worker.  init must not start threads (they do not survive fork).
 *  3. Each worker calls worker_init after fork (open per-process
 *     resources, seed generators).  A failure makes the worker exit; the
 *     supervisor restarts it with back-off.
 *  4. Handlers run in workers, one call at a time per worker.
 *  5. fini runs in the supervisor when it exits (after a shutdown, or a
 *     start that fails after the plug-in loaded), last loaded first.
 *
 * Compatibility: FP_PLUGIN_ABI_VERSION changes whenever a structure below
 * changes incompatibly; a plug-in built for another version is refused.
 * Within a version, fields are only ever appended, and `struct_size' tells
 * the daemon which ones a plug-in knows.  The ABI includes msgpack-c's
 * msgpack_object and msgpack_packer (stable since msgpack-c 1.0).
 */
#ifndef FORKPOOL_PLUGIN_H
#define FORKPOOL_PLUGIN_H

#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <msgpack.h>

#include "forkpool.h"		/* enum fp_err */

#define FP_PLUGIN_ABI_VERSION	1
#define FP_PLUGIN_SYMBOL	"forkpool_plugin"

#define FP_PLUGIN_NAME_MAX	63	/* plug-in and handler names, bytes */
#define FP_PLUGIN_HANDLERS_MAX	64	/* handlers of one plug-in */

/* Levels of fp_host.log. */
enum fp_log_level {
	FP_LOG_ERROR = 0,
	FP_LOG_WARNING,
	FP_LOG_INFO,
	FP_LOG_DEBUG
};

struct fp_host;

/*
 * One handler call.  The daemon owns it; it is valid during the call only.
 */
struct fp_call {
	const struct fp_host *host;	/* the daemon's services */
	const char	*handler;	/* the name that was called */
	void		*state;		/* what the plug-in's init stored */
	msgpack_packer	*pk;		/* write exactly one object: the result */
	const uint8_t	*raw;		/* the params array as MessagePack */
	size_t		 rawlen;
	uint64_t	 deadline_ns;	/* CLOCK_MONOTONIC; 0: no deadline */
};

/*
 * A handler: read params (always an array; MSGPACK_OBJECT_NIL for an
 * FP_HANDLER_RAW handler, which reads call->raw instead), write one result
 * object with call->pk (or call->host->write_raw) and return 0, or return
 * call->host->error(call, code, ...), which is -1.  Writing no object or
 * more than one, or returning -1 without an error, is answered with
 * error internal.  A crash or a hang is contained by the daemon: the
 * worker is replaced and the caller gets worker_crashed or timeout.
 */
typedef int (*fp_handler_fn)(struct fp_call *call,
    const msgpack_object *params);

#define FP_HANDLER_RAW	0x01	/* do not unpack params; read call->raw */

struct fp_plugin_handler {
	const char	*name;		/* as clients call it: "table.group" */
	fp_handler_fn	 fn;
	unsigned int	 flags;		/* FP_HANDLER_* */
};

/* Options of host->json_encode: json.encode's (forkpool-rpc(7)). */
#define FP_JSON_NAN_ERROR	0x01	/* NaN, +-Infinity: error, not null */
#define FP_JSON_UTF8_ERROR	0x02	/* invalid UTF-8: error, not U+FFFD */
#define FP_JSON_ASCII		0x04	/* escape everything above U+007F */
#define FP_JSON_SORT_KEYS	0x08	/* map members in key order */

struct fp_json_enc_opts {
	int		 indent;	/* 0 compact, 1..16: pretty, spaces */
	size_t		 max_size;	/* 0 unlimited; text bytes */
	int		 truncate;	/* with max_size: cut, do not fail */
	unsigned int	 flags;		/* FP_JSON_* */
	uint32_t	 max_depth;	/* 0: 512 */
};

/* Options of host->json_decode: json.decode's (forkpool-rpc(7)). */
#define FP_JSON_BIG_FLOAT	0	/* integers past 64 bits: float64 */
#define FP_JSON_BIG_ERROR	1	/* ... error range */
#define FP_JSON_BIG_STRING	2	/* ... a str of the digits */
#define FP_JSON_DUP_KEEP	0	/* duplicate keys: keep all */
#define FP_JSON_DUP_LAST	1	/* ... keep the last */
#define FP_JSON_DUP_ERROR	2	/* ... error duplicate_key */

struct fp_json_dec_opts {
	size_t		 max_size;	/* 0 unlimited; text bytes */
	uint32_t	 max_depth;	/* 0: 512 */
	int		 bignum;	/* FP_JSON_BIG_* */
	int		 dup_keys;	/* FP_JSON_DUP_* */
};

/*
 * The output of host->json_encode and host->json_decode.  `data' is
 * malloc(3)ed and the caller's to free(3); the encoder NUL-terminates it.
 * On failure `data' is NULL, `error' names the error as json.encode and
 * json.decode do ("depth", "syntax", ...) and `offset' is the byte at
 * fault (line and column too for the decoder).
 */
struct fp_json_out {
	uint8_t		*data;
	size_t		 len;
	size_t		 full_len;	/* encoder: length before truncation */
	int		 truncated;	/* encoder: cut at max_size */
	const char	*error;		/* NULL on success */
	size_t		 offset;
	uint32_t	 line, column;	/* decoder */
};

/*
 * The daemon's services.  Every plug-in gets its own copy, valid for the
 * life of the process; keep the pointer init and worker_init receive.
 */
struct fp_host {
	uint32_t	 abi_version;	/* FP_PLUGIN_ABI_VERSION */
	uint32_t	 struct_size;	/* sizeof(struct fp_host) of the daemon */
	const char	*plugin;	/* the plug-in's name */
	const char	*daemon_version;

	/*
	 * error: make the call fail with `code' (FP_E_INVALID_PARAMS,
	 * FP_E_HANDLER_ERROR, FP_E_TOO_LARGE, FP_E_TIMEOUT or FP_E_INTERNAL;
	 * any other code is answered as internal) and a printf-style message
	 * (255 bytes at most).  Returns -1, for `return host->error(...)'.
	 */
	int	(*error)(struct fp_call *call, int code, const char *fmt, ...)
		    __attribute__((format(printf, 3, 4)));

	/*
	 * log: one line in the daemon's log, at `level', as the event
	 * `event' (a word: "table_loaded") with logfmt fields from fmt
	 * ("rows=%d file=%s"; NULL for none).  The daemon adds plugin=NAME
	 * and, in a worker, worker=N pid=P.  Lines below log-level are
	 * dropped.
	 */
	void	(*log)(const struct fp_host *host, int level, const char *event,
		    const char *fmt, ...) __attribute__((format(printf, 4, 5)));

	/*
	 * remaining_ns: nanoseconds left before the call's deadline, 0 if it
	 * has passed, UINT64_MAX if there is none.  A handler that loops for
	 * long may stop early with FP_E_TIMEOUT; if it does not, the
	 * supervisor kills the worker at the deadline.
	 */
	uint64_t (*remaining_ns)(const struct fp_call *call);

	/*
	 * write_raw: append `len' bytes of MessagePack, already encoded, to
	 * the result (for example the output of json_decode).  Returns 0 or
	 * -1 when out of memory.  The result is checked to be exactly one
	 * well-formed object after the handler returns.
	 */
	int	(*write_raw)(struct fp_call *call, const void *mp, size_t len);

	/*
	 * json_encode: the one MessagePack object mp[0..len) as JSON text,
	 * with the rules of json.encode.  o may be NULL for the defaults.
	 * Returns 0 or -1 (out->error set).
	 */
	int	(*json_encode)(const void *mp, size_t len,
		    const struct fp_json_enc_opts *o, struct fp_json_out *out);

	/*
	 * json_decode: the JSON text text[0..len) as MessagePack, with the
	 * rules of json.decode (strict RFC 8259).  o may be NULL for the
	 * defaults.  Returns 0 or -1 (out->error set).
	 */
	int	(*json_decode)(const void *text, size_t len,
		    const struct fp_json_dec_opts *o, struct fp_json_out *out);
};

/*
 * What a plug-in exports as FP_PLUGIN_SYMBOL.  Start it with
 * FP_PLUGIN_HEADER so the daemon can check the version before it reads
 * anything else:
 *
 *	const struct fp_plugin forkpool_plugin = {
 *		FP_PLUGIN_HEADER,
 *		.name = "table", .version = "1.0",
 *		.handlers = handlers, .init = init,
 *	};
 */
struct fp_plugin {
	uint32_t	 abi_version;	/* FP_PLUGIN_ABI_VERSION */
	uint32_t	 struct_size;	/* sizeof(struct fp_plugin) */
	const char	*name;		/* [A-Za-z0-9_.-], 1..63 bytes */
	const char	*version;	/* free text for logs, may be NULL */
	const struct fp_plugin_handler *handlers; /* ends with a NULL name */

	/*
	 * init: in the supervisor, before fork; `arg' is the optional
	 * second value of the `load' line (NULL if none).  Store what the
	 * handlers need in *state (call->state).  Return 0, or -1 with a
	 * message in err[0..errlen) to refuse the plug-in.  May be NULL.
	 */
	int	(*init)(const struct fp_host *host, const char *arg,
		    void **state, char *err, size_t errlen);

	/* worker_init: in each worker after fork; as init.  May be NULL. */
	int	(*worker_init)(const struct fp_host *host, void *state,
		    char *err, size_t errlen);

	/* fini: in the supervisor when it exits.  May be NULL. */
	void	(*fini)(const struct fp_host *host, void *state);
};

#define FP_PLUGIN_HEADER \
	.abi_version = FP_PLUGIN_ABI_VERSION, \
	.struct_size = sizeof(struct fp_plugin)

/*
 * fp_object_bytes: the bytes of a str or bin parameter (text may come as
 * either: JSON from a client is a str, a file's contents a bin) in *p and
 * *len, not NUL-terminated.  Returns 0, or -1 if o is neither.  Inline:
 * it is no symbol of the daemon, and changes nothing in the ABI.
 */
static inline int
fp_object_bytes(const msgpack_object *o, const char **p, size_t *len)
{
	if (o->type == MSGPACK_OBJECT_STR) {
		*p = o->via.str.ptr;
		*len = o->via.str.size;
	} else if (o->type == MSGPACK_OBJECT_BIN) {
		*p = o->via.bin.ptr;
		*len = o->via.bin.size;
	} else
		return -1;
	return 0;
}

#endif /* FORKPOOL_PLUGIN_H */
