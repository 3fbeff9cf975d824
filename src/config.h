/*
 * config.h -- forkpool.conf(5): the daemon's configuration.
 */
#ifndef FP_CONFIG_H
#define FP_CONFIG_H

#include <sys/types.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FP_CONF_DEFAULT	"/etc/forkpool.conf"
#define FP_SOCKPATH_MAX	108	/* sizeof(sun_path) */
#define FP_CONF_HANDLERS 256	/* room for per-handler settings */
#define FP_CONF_PLUGINS	16	/* `load' lines */
#define FP_SPIN_AUTO	(-1)	/* `spin auto': spin.h's own budget */
#define FP_SPIN_MAX_US	10000	/* `spin <microseconds>' at most */
#define FP_CONF_LOADARG	1024	/* bytes of a `load' argument, with NUL */
#define FP_CONF_MAXSIZE	(1 << 20)	/* bytes of the file */
#define FP_CONF_NAME	64	/* a user or group name, with NUL */

enum fp_task_log {
	FP_TASKLOG_NONE = 0,
	FP_TASKLOG_ERRORS,	/* a line for each task answered with an error */
	FP_TASKLOG_ALL		/* a line for each task */
};

enum fp_cancel_running {
	FP_CANCEL_DROP = 0,	/* let it finish, drop the result */
	FP_CANCEL_KILL		/* kill the worker */
};

/* Which fields of a struct fp_hconf a `handler' line set. */
#define HC_TIMEOUT	0x01
#define HC_RETRIES	0x02
#define HC_BREAKER	0x04

/* Per-handler overrides: `handler NAME KEY VALUE'. */
struct fp_hconf {
	uint64_t	 timeout_ms;
	uint32_t	 retries;
	uint32_t	 breaker_threshold;
	uint32_t	 set;		/* HC_* */
};

/*
 * The `handler NAME ...' lines of one NAME, as written.  Plug-ins add
 * handlers after the file is read, so names are resolved to indices by
 * config_resolve(), once they are loaded.
 */
struct fp_hline {
	char		 name[64];
	int		 line;		/* first line naming it */
	struct fp_hconf	 hc;
};

/*
 * A `source NAME redis { ... }' block (forkpool-streams(7)): a Redis
 * stream this daemon consumes as one consumer of a group.  Durations are
 * in milliseconds; strings are as written ("%h" and "%n" in consumer are
 * expanded by source.c).
 */
#define FP_CONF_SOURCES	16
#define FP_SRC_STR	256	/* a key, host or consumer name, with NUL */
struct fp_source {
	char		 name[64];
	int		 line;		/* of the `source' line */
	char		 host[FP_SRC_STR];
	uint32_t	 port;
	char		 path[FP_SOCKPATH_MAX];	/* Unix socket, or "" */
	char		 password_file[PATH_MAX];	/* or "" */
	char		 stream[FP_SRC_STR];
	char		 group[FP_SRC_STR];
	char		 consumer[FP_SRC_STR];
	uint32_t	 batch;
	uint32_t	 max_inflight;
	uint64_t	 claim_idle_ms;
	uint64_t	 claim_interval_ms;
	uint32_t	 max_deliveries;
	char		 dead_letter[FP_SRC_STR];	/* "" = none */
	uint32_t	 dead_maxlen;
	uint32_t	 reply_maxlen;
	uint64_t	 reply_ttl_ms;
	uint64_t	 done_ttl_ms;
	uint64_t	 io_timeout_ms;
	/* Read from password_file by config_load: "" or the secret. */
	char		 auth_user[FP_SRC_STR];
	char		 auth_pass[FP_SRC_STR];
	uint32_t	 set;		/* keywords given (bit per keyword) */
};

/* A `load PATH [ARG]' line. */
struct fp_load {
	char		 path[PATH_MAX];
	char		 arg[FP_CONF_LOADARG];
	int		 has_arg;
	int		 line;
};

struct fp_config {
	char		 file[PATH_MAX];	/* "" if built-in defaults */
	int		 workers;
	char		 socket[FP_SOCKPATH_MAX];
	mode_t		 socket_mode;
	char		 pidfile[PATH_MAX];	/* "" = none */
	int		 pidfile_set;		/* given, not derived */
	uint32_t	 queue_limit;
	uint32_t	 prefetch;
	int32_t		 spin_us;		/* FP_SPIN_AUTO, 0 off, or µs */
	size_t		 ring_size;
	size_t		 blob_size;	/* each blob ring (large payloads) */
	size_t		 max_request_size;
	size_t		 max_shm_size;	/* a client's arena ring, 0: none */
	uint32_t	 max_connections;
	uint32_t	 max_conns_per_user;	/* 0: no limit */
	uint32_t	 max_outstanding;
	size_t		 max_connection_output;	/* unsent bytes: stop reading */
	size_t		 max_buffered;		/* daemon-wide, then queue_full */
	uint64_t	 shutdown_timeout_ms;
	int		 test_handlers;
	int		 log_level;
	uint64_t	 timeout_ms;		/* 0: none */
	uint32_t	 retries;
	uint64_t	 kill_grace_ms;
	int		 cancel_running;	/* enum fp_cancel_running */
	uint32_t	 breaker_threshold;	/* 0: no breaker */
	uint64_t	 breaker_window_ms;
	uint64_t	 breaker_cooldown_ms;
	uint64_t	 min_worker_age_ms;
	uint64_t	 respawn_backoff_max_ms;
	uint32_t	 max_tasks_per_worker;	/* 0: unlimited */
	size_t		 max_worker_rss;	/* bytes, 0: unlimited */
	uint64_t	 load_timeout_ms;
	/*
	 * user, group, socket-owner, socket-group, admin-group as written
	 * ("" when not given), and the ids config_load resolved them to.
	 */
	char		 user[FP_CONF_NAME];
	char		 group[FP_CONF_NAME];
	char		 socket_owner[FP_CONF_NAME];
	char		 socket_group[FP_CONF_NAME];
	char		 admin_group[FP_CONF_NAME];
	uid_t		 user_uid;		/* valid if user[0] */
	gid_t		 user_gid;		/* group, or user's primary */
	uid_t		 socket_uid;		/* (uid_t)-1: unchanged */
	gid_t		 socket_gid;		/* (gid_t)-1: unchanged */
	gid_t		 admin_gid;		/* valid if admin_group[0] */
	uint64_t	 slowlog_threshold_ms;
	uint32_t	 slowlog_max_len;	/* 0: no slow-task log */
	int		 task_log;		/* enum fp_task_log */
	char		 metrics_listen[64];	/* "ADDR:PORT", "" = off */
	struct fp_load	 load[FP_CONF_PLUGINS];
	int		 nload;
	uint32_t	 source_queue_share;	/* percent of queue-limit */
	struct fp_source source[FP_CONF_SOURCES];
	int		 nsource;
	struct fp_hline	 hline[FP_CONF_HANDLERS];
	uint32_t	 nhline;
	struct fp_hconf	 handler[FP_CONF_HANDLERS];	/* by handler index,
							   from config_resolve */
};

/*
 * config_defaults: fill `c' with the built-in defaults.  The socket is
 * fp_default_socket()'s, or "" if that is too long (an error to report
 * if nothing else names a socket).
 */
void	config_defaults(struct fp_config *c);

/*
 * config_pidfile_default: unless a pidfile was given, derive it from the
 * socket: its path with ".sock" replaced by ".pid" (or ".pid" appended),
 * so that two daemons on two sockets never share one.
 */
void	config_pidfile_default(struct fp_config *c);

/*
 * config_load: read `path' over the values already in `c'.  If `optional'
 * and the file does not exist, keep `c' and return 0.  Only a regular file
 * of at most FP_CONF_MAXSIZE bytes is read, and never with a wait.  On
 * error return -1 with "FILE:LINE: problem" (or "FILE: strerror", "FILE:
 * not a regular file") in err, valid UTF-8 without control characters.
 * User and group names are resolved here (priv.h), so that an unknown name
 * is an error of its line, at start-up, with -n and on reload alike.
 */
int	config_load(struct fp_config *c, const char *path, int optional,
	    char *err, size_t errlen);

/*
 * config_resolve: apply the `handler' lines to the handlers known now
 * (built in and from loaded plug-ins).  Returns 0, or -1 with
 * "FILE:LINE: handler NAME: unknown handler" in err.
 */
int	config_resolve(struct fp_config *c, char *err, size_t errlen);

/*
 * config_same_loads: whether a and b have the same `load' lines (paths
 * and arguments, in order).
 */
int	config_same_loads(const struct fp_config *a, const struct fp_config *b);

/*
 * config_source_consumer: s's consumer name with %h (the host name), %n
 * (the source's name) and %% replaced; 0, or -1 if empty or longer than
 * len - 1.  config_source_hostname: the host name as %h has it.
 */
int	config_source_consumer(const struct fp_source *s, char *out,
	    size_t len);
void	config_source_hostname(char *buf, size_t len);

/*
 * config_same_sources: whether a and b have the same `source' blocks
 * (sources cannot change on reload).
 */
int	config_same_sources(const struct fp_config *a,
	    const struct fp_config *b);

/* config_print: every keyword with its effective value, as a file. */
void	config_print(const struct fp_config *c, FILE *fp);

/*
 * config_handler_timeout_ms, config_handler_retries,
 * config_handler_breaker_threshold: the value for handler index `h' (see
 * handlers.h): its `handler' line if it has one, else the global keyword.
 */
uint64_t config_handler_timeout_ms(const struct fp_config *c, uint32_t h);
uint32_t config_handler_retries(const struct fp_config *c, uint32_t h);
uint32_t config_handler_breaker_threshold(const struct fp_config *c,
	    uint32_t h);

/*
 * config_parse_listen: "A.B.C.D:PORT" or "[IPv6]:PORT" (numeric, port
 * 1-65535) into *ss (may be NULL: only check).  0, or -1.
 */
struct sockaddr_storage;
int	config_parse_listen(const char *s, struct sockaddr_storage *ss);

#endif /* FP_CONFIG_H */
