/*
 * redis_none.c -- redis.h for a forkpoold built without hiredis: no
 * connection can be made, and config_source.c refuses a `source' block
 * (redis_available), so that nothing here is ever reached with one.
 */
#include <stdio.h>

#include "redis.h"

int
redis_available(void)
{
	return 0;
}

struct rconn *
rconn_open(const char *host, int port, const char *path, rconn_state_fn *fn,
    void *arg, char *err, size_t errlen)
{
	(void)host; (void)port; (void)path; (void)fn; (void)arg;
	snprintf(err, errlen, "built without Redis support (hiredis)");
	return NULL;
}

void rconn_close(struct rconn *c) { (void)c; }

int
rconn_command(struct rconn *c, rconn_reply_fn *fn, void *arg, int argc,
    const char **argv, const size_t *argvlen)
{
	(void)c; (void)fn; (void)arg; (void)argc; (void)argv; (void)argvlen;
	return -1;
}

uint64_t rconn_rtt_ns(const struct rconn *c) { (void)c; return 0; }
uint64_t rconn_waiting_ns(const struct rconn *c, uint64_t now)
	{ (void)c; (void)now; return 0; }
void rconn_event(uint32_t slot, uint32_t events) { (void)slot; (void)events; }
int rr_type(const struct rreply *r) { (void)r; return RR_NIL; }
size_t rr_len(const struct rreply *r) { (void)r; return 0; }
const char *rr_str(const struct rreply *r) { (void)r; return ""; }
long long rr_int(const struct rreply *r) { (void)r; return 0; }
const struct rreply *rr_elem(const struct rreply *r, size_t i)
	{ (void)r; (void)i; return NULL; }
int rr_is(const struct rreply *r, const char *s) { (void)r; (void)s; return 0; }
