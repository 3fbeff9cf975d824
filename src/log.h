/*
 * log.h -- daemon logging: one logfmt line per event
 * (ts= level= event= ...) to stderr in the foreground, syslog as a daemon.
 */
#ifndef FP_LOG_H
#define FP_LOG_H

#include <stdarg.h>

enum log_level {
	LOG_LVL_ERROR = 0,
	LOG_LVL_WARNING,
	LOG_LVL_INFO,
	LOG_LVL_DEBUG
};

/* log_init: to stderr if `foreground', else syslog(3) as `ident'. */
void	log_init(int foreground, int level, const char *ident);
void	log_setlevel(int level);
int	log_getlevel(void);
/* log_settag: fields added to every line (e.g. "worker=3"), or NULL. */
void	log_settag(const char *tag);
const char *log_level_name(int level);
int	log_level_parse(const char *name);

/*
 * All take logfmt fields after the event name: log_info("worker_start",
 * "worker=%d pid=%d", ...).  log_warn appends err="strerror(errno)".
 */
void	log_warn(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_warnx(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_error(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_info(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	log_debug(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));
void	fatal(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	fatalx(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/* log_quote: `s' as a logfmt value (quoted and escaped if needed). */
const char *log_quote(const char *s, char *buf, size_t len);

#endif /* FP_LOG_H */
