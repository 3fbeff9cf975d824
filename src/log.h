/*
 * log.h -- daemon logging: one logfmt line per event
 * (ts= level= event= ...) to stderr in the foreground, syslog as a daemon.
 */
#ifndef FP_LOG_H
#define FP_LOG_H

#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>

#define LOG_LINE_MAX	8192	/* bytes of a line, with its newline */

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

/*
 * log_set_sink: in a worker, every line of log_* (fatal and fatalx too,
 * which still exit after it) goes to fn instead of stderr or syslog:
 * fn(level, event, fields) with the logfmt fields formatted (err= of
 * log_warn included), without the ts=, level= and event= the writer of
 * the line adds.  Lines above the level set are not passed.  NULL: back
 * to stderr or syslog.
 */
typedef void (*log_sink_fn)(int level, const char *event, const char *fields);
void	log_set_sink(log_sink_fn fn);
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
/* log_at: the same at `level' (enum log_level; another counts as info). */
void	log_at(int level, const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 3, 4)));
void	fatal(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));
void	fatalx(const char *event, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/*
 * log_quote: `s' as a logfmt value.  A value of printable ASCII without
 * blank, `"', `=' or `\' is returned as is; any other is written to buf
 * (len bytes) in double quotes, with `"' and `\' escaped, \n \r \t, \xNN
 * for other control bytes and for each byte that is not part of valid
 * UTF-8, \uNNNN for C1 controls, U+2028 and U+2029, and returned: one
 * word of printable, valid UTF-8 whatever `s' holds.  A value too long for
 * buf is cut before an escape or a character, never inside one.  Use it
 * for every value that a client (or a file) chose.
 */
const char *log_quote(const char *s, char *buf, size_t len);

/*
 * log_quoten: the same for the n bytes at s, which may hold NULs; always
 * written to buf (a plain value is copied), which is returned.  With len
 * at least 4 * n + 3 nothing is cut.
 */
const char *log_quoten(const void *s, size_t n, char *buf, size_t len);

/*
 * log_quoted_cut: how many bytes of v, a value log_quote or log_quoten
 * wrote, to keep so that it fits in `max' bytes (max >= 2).  A quoted
 * value too long is cut after a whole escape or a whole UTF-8 character
 * and *close is set: the last byte kept must then be written as the
 * closing `"'.  A plain value (ASCII) is cut anywhere.
 */
size_t	log_quoted_cut(const char *v, size_t max, int *close);

/*
 * log_fields_ok: whether the n bytes at s are logfmt fields a line may
 * carry as they are: key=value words separated by single blanks, each key
 * made of letters, digits, `_', `.' and `-' and not one of `reserved'
 * (NULL-terminated), each value plain (no blank, `"', `=' or `\') or in
 * double quotes with `\' escaping the next byte.  Empty is fine.  For
 * text from a worker, which could otherwise add fields of its own choice
 * (a second event=, a forged pid=) after the supervisor's.
 */
int	log_fields_ok(const void *s, size_t n, const char *const *reserved);

/*
 * log_escape: the n bytes at s as one line of valid UTF-8 without control
 * characters, for messages that quote a file or a client: the escapes of
 * log_quote but for `"' and `\', which are kept, and no quotes around.
 * Text already passed through log_quote comes out unchanged.  Written to
 * buf (len bytes, cut as log_quote cuts), which is returned.
 */
const char *log_escape(const void *s, size_t n, char *buf, size_t len);

/*
 * A rate limit for the lines a client can cause (permission_denied,
 * bad_stream, too_large, conn_refused): a client that reconnects in a loop
 * must not fill the disk.  Zero-initialised; one per kind of line.
 */
struct log_limit {
	uint64_t	 window_ns;	/* start of the current second */
	uint32_t	 n;		/* lines written in it */
	uint64_t	 held;		/* lines held back since the last one */
};
#define LOG_LIMIT_PER_S	10

/*
 * log_limited: whether a line of this kind may be written now (at most
 * LOG_LIMIT_PER_S a second).  When it may, *held is the number of lines
 * held back since the last one written, for a `suppressed=' field.
 */
int	log_limited(struct log_limit *, uint64_t now_ns, uint64_t *held);
/* log_limited_n: the same with at most `max' lines a second. */
int	log_limited_n(struct log_limit *, uint32_t max, uint64_t now_ns,
	    uint64_t *held);
/*
 * log_limit_idle: whether lines were held back in a second that is over
 * and no line of the kind went out since: then *held is their number (and
 * the count starts again), for a line of its own that says so; a kind of
 * line that stops after a burst does not hide what it dropped.
 */
int	log_limit_idle(struct log_limit *, uint64_t now_ns, uint64_t *held);

#endif /* FP_LOG_H */
