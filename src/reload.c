/*
 * reload.c -- SIGHUP and forkpool.reload: read the configuration file
 * again, keep the command-line options over it, apply what can change at
 * run time and start a new generation of workers; the old ones retire
 * after the tasks they hold.  A bad file changes nothing.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "breaker_table.h"
#include "daemon.h"
#include "handlers.h"
#include "log.h"
#include "pool.h"
#include "reload.h"

struct cmdline	 cmdline;

void
cmdline_apply(struct fp_config *c)
{
	if (cmdline.socket != NULL)
		strlcpy(c->socket, cmdline.socket, sizeof(c->socket));
	if (cmdline.pidfile != NULL) {
		if (strcmp(cmdline.pidfile, "none") == 0)
			c->pidfile[0] = '\0';
		else
			strlcpy(c->pidfile, cmdline.pidfile, sizeof(c->pidfile));
		c->pidfile_set = 1;
	}
	if (cmdline.workers > 0)
		c->workers = cmdline.workers;
	if (cmdline.test)
		c->test_handlers = 1;
	if (cmdline.verbose > 0)
		c->log_level = LOG_LVL_DEBUG;
	/* The default pidfile follows the socket, -s included. */
	config_pidfile_default(c);
}

static void __attribute__((format(printf, 3, 4)))
warn(struct reload_result *rr, const char *keyword, const char *fmt, ...)
{
	char		 msg[160], q[200];
	va_list		 ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_warnx("reload_ignored", "keyword=%s msg=%s", keyword,
	    log_quote(msg, q, sizeof(q)));
	/* Paths from the file go to the client as a str: valid UTF-8. */
	if (rr != NULL && rr->nwarn < RELOAD_MAXWARN)
		log_escape(msg, strlen(msg), rr->warn[rr->nwarn++],
		    sizeof(rr->warn[0]));
}

/*
 * The source blocks read at start stay (c gets o's), but for their
 * passwords: a block of the same name in the new file brings its
 * password, used from that source's next connection to Redis.
 */
static void
keep_sources(struct fp_config *c, const struct fp_config *o)
{
	struct fp_source keep[FP_CONF_SOURCES];
	int		 i, j;

	memcpy(keep, o->source, sizeof(keep));
	for (i = 0; i < o->nsource; i++)
		for (j = 0; j < c->nsource; j++)
			if (strcmp(keep[i].name, c->source[j].name) == 0) {
				memcpy(keep[i].auth_user, c->source[j].auth_user,
				    sizeof(keep[i].auth_user));
				memcpy(keep[i].auth_pass, c->source[j].auth_pass,
				    sizeof(keep[i].auth_pass));
			}
	c->nsource = o->nsource;
	memcpy(c->source, keep, sizeof(keep));
	explicit_bzero(keep, sizeof(keep));
}

/*
 * A name kept as it was (its old value `ov' copied over the new `nv', of
 * `size' bytes), with a warning if it had changed; "none" stands for the
 * empty name.  1 if it had changed.
 */
static int
keep_name(struct reload_result *rr, const char *keyword, char *nv,
    const char *ov, size_t size)
{
	if (strcmp(nv, ov) == 0)
		return 0;
	warn(rr, keyword, "%s cannot change at run time: still %s (restart "
	    "to use %s)", keyword, ov[0] ? ov : "none", nv[0] ? nv : "none");
	strlcpy(nv, ov, size);
	return 1;
}

/*
 * Settings bound to what the supervisor holds open (the listening socket,
 * the locked pidfile) stay as they are: report a change and keep the old
 * value in `c'.
 */
static void
keep_fixed(struct fp_config *c, struct reload_result *rr)
{
	const struct fp_config *o = &sv->conf;

	if (strcmp(c->socket, o->socket) != 0) {
		warn(rr, "socket", "socket cannot change at run time: still "
		    "listening on %s (restart to use %s)", o->socket, c->socket);
		strlcpy(c->socket, o->socket, sizeof(c->socket));
	}
	if (c->socket_mode != o->socket_mode) {
		warn(rr, "socket-mode", "socket-mode cannot change at run "
		    "time: still %04o (restart to use %04o)",
		    (unsigned)o->socket_mode, (unsigned)c->socket_mode);
		c->socket_mode = o->socket_mode;
	}
	(void)keep_name(rr, "pidfile", c->pidfile, o->pidfile,
	    sizeof(c->pidfile));
	/* The socket was given to them when it was bound. */
	if (keep_name(rr, "socket-owner", c->socket_owner, o->socket_owner,
	    sizeof(c->socket_owner)))
		c->socket_uid = o->socket_uid;
	if (keep_name(rr, "socket-group", c->socket_group, o->socket_group,
	    sizeof(c->socket_group)))
		c->socket_gid = o->socket_gid;
	/* The metrics listener is bound once, at start. */
	(void)keep_name(rr, "metrics-listen", c->metrics_listen,
	    o->metrics_listen, sizeof(c->metrics_listen));
	/* Loaded plug-ins own handler indices that tasks in flight use. */
	if (!config_same_loads(c, o)) {
		warn(rr, "load", "plug-ins cannot change at run time: keeping "
		    "the %d loaded at start (restart to load others)",
		    o->nload);
		c->nload = o->nload;
		memcpy(c->load, o->load, sizeof(c->load));
	}
	if (!config_same_sources(c, o)) {
		warn(rr, "source", "source blocks cannot change at run time: "
		    "keeping the %d read at start (restart to change them)",
		    o->nsource);
		keep_sources(c, o);
	}
}

/*
 * A token bucket kept as one time (GCRA): `tat' is when the bucket would
 * be full again.  Each reload moves it RELOAD_INTERVAL_MS later; one is
 * allowed while it is at most RELOAD_BURST - 1 intervals ahead of now.
 */
int
reload_admit(uint64_t now, uint64_t *wait_ms)
{
	static uint64_t	 tat;
	const uint64_t	 iv = RELOAD_INTERVAL_MS * 1000000ULL;
	const uint64_t	 ahead = (RELOAD_BURST - 1) * iv;

	if (tat < now)
		tat = now;
	if (tat - now > ahead) {
		*wait_ms = (tat - now - ahead + 999999) / 1000000;
		return -1;
	}
	tat += iv;
	return 0;
}

enum reload_status
reload(struct reload_result *rr, char *msg, size_t msglen)
{
	struct fp_config c;
	char		 q[PATH_MAX + 300], qf[PATH_MAX * 4 + 3];

	if (rr != NULL)
		memset(rr, 0, sizeof(*rr));
	if (sv->state != SV_RUNNING) {
		snprintf(msg, msglen, "the daemon is shutting down");
		log_warnx("reload_failed", "msg=\"the daemon is shutting "
		    "down\"");
		return RELOAD_SHUTTING_DOWN;
	}
	config_defaults(&c);
	if (config_load(&c, cmdline.file, !cmdline.fflag, msg,
	    msglen) == -1 || config_resolve(&c, msg, msglen) == -1) {
		log_warnx("reload_failed", "file=%s msg=%s",
		    log_quote(cmdline.file, qf, sizeof(qf)),
		    log_quote(msg, q, sizeof(q)));
		return RELOAD_BAD_FILE;
	}
	cmdline_apply(&c);
	keep_fixed(&c, rr);

	sv->conf = c;
	supervisor_malloc_tune();
	log_setlevel(c.log_level);
	handlers_init(c.test_handlers);
	breaker_table_reconfigure();
	sv->generation++;
	log_info("reload", "file=%s generation=%u workers=%d",
	    log_quote(c.file[0] != '\0' ? c.file : "none", qf, sizeof(qf)),
	    sv->generation, c.workers);
	pool_reload();
	if (rr != NULL)
		rr->generation = sv->generation;
	return RELOAD_APPLIED;
}
