/*
 * plugin.h -- handler plug-ins: loading (plugin.c) and the services the
 * daemon gives them (plugin_host.c).  The ABI is include/forkpool_plugin.h.
 */
#ifndef FP_PLUGIN_H
#define FP_PLUGIN_H

#include <stddef.h>

#include <msgpack.h>

#include "forkpool_plugin.h"

struct fp_config;
struct fp_hctx;
struct handler;

/*
 * plugins_load: probe, load and init every `load' line of c, in order,
 * adding their handlers to the table.  Once, before the first fork.
 * Returns 0, or -1 with "FILE:LINE: load PATH: reason" in err.
 */
int	plugins_load(const struct fp_config *c, char *err, size_t errlen);

/*
 * plugins_worker_init: every plug-in's worker_init, in a new worker.
 * Returns 0, or -1 with "plug-in NAME: worker_init failed: ..." in err.
 */
int	plugins_worker_init(char *err, size_t errlen);

/*
 * plugins_fini: every plug-in's fini, last loaded first; once, and only in
 * the process that loaded them (an atexit(3) handler of the supervisor).
 */
void	plugins_fini(void);

/* plugins_count: how many are loaded. */
int	plugins_count(void);

/* plugin_host_init: the services for the plug-in called `name'. */
void	plugin_host_init(struct fp_host *host, const char *name);

/*
 * plugin_call: run the plug-in handler h for the call in hc, whose packer
 * writes into sb.  Returns 0 when sb holds exactly one object, or -1 with
 * hc's error set (a handler that returns no error, writes nothing or
 * writes garbage gets internal).
 */
int	plugin_call(const struct handler *h, struct fp_hctx *hc,
	    const msgpack_object *params, const msgpack_sbuffer *sb);

#endif /* FP_PLUGIN_H */
