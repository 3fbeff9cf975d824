/*
 * log.c -- logfmt logging for the supervisor and its workers.
 */
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
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
static log_sink_fn log_sink;

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
log_set_sink(log_sink_fn fn)
{
	log_sink = fn;
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

/*
 * Escaping.  A value from a client may hold any bytes, and what reaches
 * the log must still be one line of valid UTF-8 that a logfmt reader splits
 * into the fields we wrote.  So control characters (C0, DEL, and C1, U+2028
 * and U+2029, which some viewers take for line breaks or terminal commands)
 * and each byte of an invalid UTF-8 sequence are escaped; in a quoted value
 * `"' and `\' are escaped too.  The escapes are those of a Go string literal,
 * which logfmt readers unquote: \n \r \t \" \\, \xNN for a byte,
 * \uNNNN for a code point.
 */

/*
 * The length of the valid UTF-8 sequence at s (n > 0 bytes left) and its
 * code point in *cp; 0 if the byte at s does not start one (overlong
 * forms, surrogates and values past U+10FFFF are invalid).
 */
static size_t
utf8_len(const unsigned char *s, size_t n, uint32_t *cp)
{
	size_t	 len, i;
	uint32_t v;

	if (s[0] < 0x80) {
		*cp = s[0];
		return 1;
	}
	if (s[0] < 0xc2)
		return 0;
	if (s[0] < 0xe0) {
		len = 2;
		v = s[0] & 0x1f;
	} else if (s[0] < 0xf0) {
		len = 3;
		v = s[0] & 0x0f;
	} else if (s[0] < 0xf5) {
		len = 4;
		v = s[0] & 0x07;
	} else
		return 0;
	if (n < len)
		return 0;
	for (i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		v = v << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && (v < 0x800 || (v >= 0xd800 && v < 0xe000))) ||
	    (len == 4 && (v < 0x10000 || v > 0x10ffff)))
		return 0;
	*cp = v;
	return len;
}

/*
 * Append the escaped form of s[0, n) to buf at *op, keeping `reserve'
 * bytes of `len' free (for a closing quote and the NUL).  An escape or a
 * character is never cut.  Returns 0, or -1 if the text was cut short.
 */
static int
escape(const unsigned char *s, size_t n, int quoted, char *buf, size_t len,
    size_t *op, size_t reserve)
{
	char		 e[8];
	const char	*out;
	size_t		 i, k, m, o = *op;
	uint32_t	 cp = 0;

	for (i = 0; i < n; i += k) {
		out = e;
		if ((k = utf8_len(s + i, n - i, &cp)) == 0) {
			k = 1;
			m = (size_t)snprintf(e, sizeof(e), "\\x%02x", s[i]);
		} else if (cp == '\n' || cp == '\r' || cp == '\t') {
			e[0] = '\\';
			e[1] = cp == '\n' ? 'n' : cp == '\r' ? 'r' : 't';
			m = 2;
		} else if (cp < 0x20 || cp == 0x7f)
			m = (size_t)snprintf(e, sizeof(e), "\\x%02x", cp);
		else if ((cp >= 0x80 && cp < 0xa0) || cp == 0x2028 ||
		    cp == 0x2029)
			m = (size_t)snprintf(e, sizeof(e), "\\u%04x", cp);
		else if (quoted && (cp == '"' || cp == '\\')) {
			e[0] = '\\';
			e[1] = (char)cp;
			m = 2;
		} else {
			out = (const char *)s + i;
			m = k;
		}
		if (m + reserve > len - o) {
			*op = o;
			return -1;
		}
		memcpy(buf + o, out, m);
		o += m;
	}
	*op = o;
	return 0;
}

/* Whether s[0, n) can be written as is: printable ASCII, no `"=\'. */
static int
plain(const void *v, size_t n)
{
	const unsigned char *s = v;
	size_t		 i;

	if (n == 0)
		return 0;
	for (i = 0; i < n; i++)
		if (s[i] <= ' ' || s[i] >= 0x7f || s[i] == '"' ||
		    s[i] == '=' || s[i] == '\\')
			return 0;
	return 1;
}

const char *
log_quoten(const void *s, size_t n, char *buf, size_t len)
{
	size_t	 o = 0;

	if (len < 3)
		return "\"\"";
	if (plain(s, n)) {
		if (n >= len)
			n = len - 1;
		memcpy(buf, s, n);
		buf[n] = '\0';
		return buf;
	}
	buf[o++] = '"';
	(void)escape(s, n, 1, buf, len, &o, 2);
	buf[o++] = '"';
	buf[o] = '\0';
	return buf;
}

const char *
log_quote(const char *s, char *buf, size_t len)
{
	size_t	 n = strlen(s);

	if (plain(s, n))
		return s;
	return log_quoten(s, n, buf, len);
}

int
log_fields_ok(const void *s, size_t n, const char *const *reserved)
{
	const unsigned char *p = s, *end = p + n, *k;
	const char *const *r;
	unsigned char	 c;

	while (p < end) {
		for (k = p; p < end && (isalnum(*p) || *p == '_' ||
		    *p == '.' || *p == '-'); p++)
			;
		if (p == k || p == end || *p != '=')
			return 0;
		for (r = reserved; r != NULL && *r != NULL; r++)
			if (strlen(*r) == (size_t)(p - k) &&
			    memcmp(*r, k, (size_t)(p - k)) == 0)
				return 0;
		if (++p < end && *p == '"') {
			for (p++; p < end && *p != '"'; p++)
				if (*p == '\\' && ++p == end)
					return 0;
			if (p++ == end)
				return 0;
		} else
			for (; p < end && (c = *p) != ' '; p++)
				if (c == '"' || c == '=' || c == '\\')
					return 0;
		if (p < end && (*p != ' ' || ++p == end))
			return 0;
	}
	return 1;
}

const char *
log_escape(const void *s, size_t n, char *buf, size_t len)
{
	size_t	 o = 0;

	if (len == 0)
		return "";
	(void)escape(s, n, 0, buf, len, &o, 1);
	buf[o] = '\0';
	return buf;
}

size_t
log_quoted_cut(const char *v, size_t max, int *close)
{
	const unsigned char *u = (const unsigned char *)v;
	size_t		 n = strlen(v), i, step, end;

	*close = 0;
	if (n <= max)
		return n;
	if (v[0] != '"')
		return max;
	/* Up to the closing quote; the escapes are log_quoten's. */
	for (i = end = 1; i < n - 1; i += step) {
		if (u[i] == '\\')
			step = v[i + 1] == 'x' ? 4 : v[i + 1] == 'u' ? 6 : 2;
		else
			step = u[i] < 0xc0 ? 1 : u[i] < 0xe0 ? 2 :
			    u[i] < 0xf0 ? 3 : 4;
		if (i + step > max - 1)
			break;
		end = i + step;
	}
	*close = 1;
	return end + 1;
}

static void
vlog(int level, const char *event, const char *fmt, va_list ap,
    const char *err)
{
	static const int prio[] = { LOG_ERR, LOG_WARNING, LOG_INFO, LOG_DEBUG };
	/*
	 * Room for a worker's line: its fields (WLOG_LINE_MAX bytes, up to
	 * four times as many once escaped) after the event and the tags,
	 * so that the corr= that ends it is not cut off.
	 */
	char		 raw[LOG_LINE_MAX], line[LOG_LINE_MAX];
	size_t		 n;
	struct timespec	 ts;
	struct tm	 tm;
	int		 saved = errno;

	if (level > log_level)
		return;
	if (log_sink != NULL) {
		/* A worker: the fields alone; the supervisor writes the line. */
		n = 0;
		raw[0] = '\0';
		if (fmt != NULL && *fmt != '\0') {
			vsnprintf(raw, sizeof(raw), fmt, ap);
			n = strlen(raw);
		}
		if (err != NULL && n < sizeof(raw) - 1) {
			char	 q[256];

			snprintf(raw + n, sizeof(raw) - n, "%serr=%s",
			    n > 0 ? " " : "", log_quote(err, q, sizeof(q)));
		}
		log_sink(level, event, raw);
		errno = saved;
		return;
	}
	n = 0;
	if (log_foreground) {
		clock_gettime(CLOCK_REALTIME, &ts);
		gmtime_r(&ts.tv_sec, &tm);
		n = strftime(raw, sizeof(raw), "ts=%Y-%m-%dT%H:%M:%S", &tm);
		n += snprintf(raw + n, sizeof(raw) - n, ".%03ldZ ",
		    ts.tv_nsec / 1000000);
	}
	snprintf(raw + n, sizeof(raw) - n, "level=%s event=%s%s",
	    level_names[level], event, log_tag);
	n = strlen(raw);
	if (fmt != NULL && *fmt != '\0' && n < sizeof(raw) - 1) {
		raw[n++] = ' ';
		raw[n] = '\0';
		vsnprintf(raw + n, sizeof(raw) - n, fmt, ap);
		n = strlen(raw);
	}
	if (err != NULL && n < sizeof(raw)) {
		char	 q[256];

		snprintf(raw + n, sizeof(raw) - n, " err=%s",
		    log_quote(err, q, sizeof(q)));
	}
	/*
	 * Values from clients are quoted by whoever logs them; should one
	 * slip through raw, it still cannot start a line of its own or make
	 * the line invalid UTF-8.  This pass changes nothing in a line whose
	 * values are quoted.  One byte is kept for the newline.
	 */
	log_escape(raw, strlen(raw), line, sizeof(line) - 1);
	if (log_foreground) {
		n = strlen(line);
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
log_at(int level, const char *event, const char *fmt, ...)
{
	va_list	 ap;

	if (level < LOG_LVL_ERROR || level > LOG_LVL_DEBUG)
		level = LOG_LVL_INFO;
	va_start(ap, fmt);
	vlog(level, event, fmt, ap, NULL);
	va_end(ap);
}

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

int
log_limited(struct log_limit *l, uint64_t now_ns, uint64_t *held)
{
	return log_limited_n(l, LOG_LIMIT_PER_S, now_ns, held);
}

int
log_limit_idle(struct log_limit *l, uint64_t now_ns, uint64_t *held)
{
	if (l->held == 0 || now_ns - l->window_ns < 1000000000ULL)
		return 0;
	*held = l->held;
	l->held = 0;
	return 1;
}

int
log_limited_n(struct log_limit *l, uint32_t max, uint64_t now_ns,
    uint64_t *held)
{
	if (now_ns - l->window_ns >= 1000000000ULL) {
		l->window_ns = now_ns;
		l->n = 0;
	}
	if (l->n >= max) {
		l->held++;
		return 0;
	}
	l->n++;
	*held = l->held;
	l->held = 0;
	return 1;
}
