/*
 * log.c -- logfmt logging for the supervisor and its workers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

static int	 log_foreground = 1;
static int	 log_level = LOG_LVL_INFO;
static char	 log_tag[64];

static const char *const level_names[] = {
	"error", "warning", "info", "debug"
};

void
log_init(int foreground, int level, const char *ident)
{
	log_foreground = foreground;
	log_level = level;
	if (!foreground)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

void
log_setlevel(int level)
{
	log_level = level;
}

int
log_getlevel(void)
{
	return log_level;
}

void
log_settag(const char *tag)
{
	if (tag == NULL)
		log_tag[0] = '\0';
	else
		snprintf(log_tag, sizeof(log_tag), " %s", tag);
}

const char *
log_level_name(int level)
{
	if (level < 0 || level > LOG_LVL_DEBUG)
		return "info";
	return level_names[level];
}

int
log_level_parse(const char *name)
{
	int	 i;

	for (i = 0; i <= LOG_LVL_DEBUG; i++)
		if (strcmp(name, level_names[i]) == 0)
			return i;
	if (strcmp(name, "warn") == 0)
		return LOG_LVL_WARNING;
	return -1;
}

const char *
log_quote(const char *s, char *buf, size_t len)
{
	size_t	 i, o = 0;
	int	 plain = *s != '\0';

	for (i = 0; s[i] != '\0'; i++)
		if (s[i] <= ' ' || s[i] == '"' || s[i] == '=' || s[i] == '\\' ||
		    (unsigned char)s[i] >= 0x7f)
			plain = 0;
	if (plain)
		return s;
	if (len < 3)
		return "\"\"";
	buf[o++] = '"';
	for (i = 0; s[i] != '\0' && o + 5 < len; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\') {
			buf[o++] = '\\';
			buf[o++] = c;
		} else if (c < ' ' || c == 0x7f) {
			o += snprintf(buf + o, len - o, "\\x%02x", c);
		} else
			buf[o++] = c;
	}
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

static void
vlog(int level, const char *event, const char *fmt, va_list ap,
    const char *err)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	char		 line[2048];
	size_t		 n;
	struct timespec	 ts;
	struct tm	 tm;
	int		 saved = errno;

	if (level > log_level)
		return;
	n = 0;
	if (log_foreground) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(line, sizeof(line), "ts=%Y-%m-%dT%H:%M:%S", &tm);
		n += snprintf(line + n, sizeof(line) - n, ".%03ldZ ",
		    ts.tv_nsec / 1000000);
	}
	n += snprintf(line + n, sizeof(line) - n, "level=%s event=%s%s",
	    level_names[level], event, log_tag);
	if (fmt != NULL && *fmt != '\0' && n < sizeof(line) - 1) {
		line[n++] = ' ';
		line[n] = '\0';
		vsnprintf(line + n, sizeof(line) - n, fmt, ap);
		n = strlen(line);
	}
	if (err != NULL && n < sizeof(line)) {
		char	 q[256];

		snprintf(line + n, sizeof(line) - n, " err=%s",
		    log_quote(err, q, sizeof(q)));
	}
	if (log_foreground) {
		n = strlen(line);
		if (n > sizeof(line) - 2)
			n = sizeof(line) - 2;
		line[n++] = '\n';
		/* One write per line, so lines of several processes never mix. */
		(void)!write(STDERR_FILENO, line, n);
	} else
		syslog(prio[level], "%s", line);
	errno = saved;
}

#define LOGFN(name, level, witherr)					\
void									\
name(const char *event, const char *fmt, ...)				\
{									\
	va_list	 ap;							\
	const char *e = (witherr) ? strerror(errno) : NULL;		\
									\
	va_start(ap, fmt);						\
	vlog(level, event, fmt, ap, e);					\
	va_end(ap);							\
}

LOGFN(log_warn, LOG_LVL_WARNING, 1)
LOGFN(log_warnx, LOG_LVL_WARNING, 0)
LOGFN(log_error, LOG_LVL_ERROR, 0)
LOGFN(log_info, LOG_LVL_INFO, 0)
LOGFN(log_debug, LOG_LVL_DEBUG, 0)

void
fatal(const char *event, const char *fmt, ...)
{
	va_list	 ap;
	const char *e = strerror(errno);

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, event, fmt, ap, e);
	va_end(ap);
	exit(1);
}

void
fatalx(const char *event, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vlog(LOG_LVL_ERROR, event, fmt, ap, NULL);
	va_end(ap);
	exit(1);
}
