/*
 * config.c -- parse forkpool.conf(5): one "keyword value" per line.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "config.h"
#include "handlers.h"
#include "log.h"
#include "priv.h"
#include "units.h"

#include "config_impl.h"


#define OFF(f)	offsetof(struct fp_config, f)
#define KW(f)	OFF(f), MEMBER_SIZE(struct fp_config, f)
static const struct keyword keywords[] = {
	{ "workers",		K_INT,	    KW(workers), 1, 1024, 0 },
	{ "socket",		K_SOCKET,   KW(socket), 0, 0, 0 },
	{ "socket-mode",	K_MODE,	    KW(socket_mode), 0, 0777, 0 },
	{ "pidfile",		K_PATH,	    KW(pidfile), 0, 0, 0 },
	{ "queue-limit",	K_INT,	    KW(queue_limit), 0, 1000000, 0 },
	{ "prefetch",		K_INT,	    KW(prefetch), 1, 1024, 0 },
	{ "spin",		K_SPIN,	    KW(spin_us), 0, FP_SPIN_MAX_US, 0 },
	{ "ring-size",		K_SIZE,	    KW(ring_size), 64 << 10, 256 << 20,
	    KF_POW2 },
	{ "blob-size",		K_SIZE,	    KW(blob_size), 1 << 20, 1 << 30,
	    KF_POW2 },
	{ "max-request-size",	K_SIZE,	    KW(max_request_size), 1 << 10,
	    1 << 30, 0 },
	{ "max-shm-size",	K_SIZE,	    KW(max_shm_size), 64 << 10, 1 << 30,
	    KF_POW2 | KF_ZERO },
	{ "max-connections",	K_INT,	    KW(max_connections), 1, 1000000, 0 },
	{ "max-connections-per-user", K_INT, KW(max_conns_per_user), 0, 1000000,
	    0 },
	{ "max-outstanding",	K_INT,	    KW(max_outstanding), 1, 1000000, 0 },
	{ "max-connection-output", K_SIZE,  KW(max_connection_output),
	    4 << 10, 1ULL << 40, 0 },
	{ "max-buffered",	K_SIZE,	    KW(max_buffered), 1 << 20,
	    1ULL << 40, 0 },
	{ "shutdown-timeout",	K_DURATION, KW(shutdown_timeout_ms), 0,
	    HOUR_MS, 0 },
	{ "test-handlers",	K_BOOL,	    KW(test_handlers), 0, 1, 0 },
	{ "log-level",		K_LEVEL,    KW(log_level), 0, 0, 0 },
	{ "timeout",		K_DURATION, KW(timeout_ms), 0, DAY_MS, 0 },
	{ "retries",		K_INT,	    KW(retries), 0, 100, 0 },
	{ "kill-grace",		K_DURATION, KW(kill_grace_ms), 0, 10000, 0 },
	{ "cancel-running",	K_CANCEL,   KW(cancel_running), 0, 0, 0 },
	{ "breaker-threshold",	K_INT,	    KW(breaker_threshold), 0, 1000000,
	    0 },
	{ "breaker-window",	K_DURATION, KW(breaker_window_ms), 100,
	    HOUR_MS, 0 },
	{ "breaker-cooldown",	K_DURATION, KW(breaker_cooldown_ms), 100,
	    HOUR_MS, 0 },
	{ "min-worker-age",	K_DURATION, KW(min_worker_age_ms), 0, HOUR_MS,
	    0 },
	{ "respawn-backoff-max", K_DURATION, KW(respawn_backoff_max_ms), 100,
	    600000, 0 },
	{ "max-tasks-per-worker", K_INT,    KW(max_tasks_per_worker), 0,
	    1000000000, 0 },
	{ "max-worker-rss",	K_SIZE,	    KW(max_worker_rss), 1 << 20,
	    1ULL << 40, KF_ZERO },
	{ "load-timeout",	K_DURATION, KW(load_timeout_ms), 100, HOUR_MS,
	    0 },
	{ "user",		K_NAME,	    KW(user), 0, 0, 0 },
	{ "group",		K_NAME,	    KW(group), 0, 0, 0 },
	{ "socket-owner",	K_NAME,	    KW(socket_owner), 0, 0, 0 },
	{ "socket-group",	K_NAME,	    KW(socket_group), 0, 0, 0 },
	{ "admin-group",	K_NAME,	    KW(admin_group), 0, 0, 0 },
	{ "slowlog-threshold",	K_DURATION, KW(slowlog_threshold_ms), 0, DAY_MS,
	    0 },
	{ "slowlog-max-len",	K_INT,	    KW(slowlog_max_len), 0, 100000, 0 },
	{ "task-log",		K_TASKLOG,  KW(task_log), 0, 0, 0 },
	{ "metrics-listen",	K_LISTEN,   KW(metrics_listen), 0, 0, 0 },
	{ "source-queue-share",	K_INT,	    KW(source_queue_share), 1, 100, 0 },
};
#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))
/* config_load() notes the keywords seen in one uint64_t. */
_Static_assert(NKEYWORDS <= 64, "more keywords than bits in `seen'");

/*
 * The KEYs of `handler NAME KEY VALUE'; `off' is within struct fp_hconf
 * and the ranges are those of the global keywords.
 */
struct hkey {
	struct keyword	 k;
	uint32_t	 bit;		/* HC_* */
};
#define HKW(f)	offsetof(struct fp_hconf, f), MEMBER_SIZE(struct fp_hconf, f)
static const struct hkey hkeys[] = {
	{ { "timeout", K_DURATION, HKW(timeout_ms), 0, DAY_MS, 0 },
	    HC_TIMEOUT },
	{ { "retries", K_INT, HKW(retries), 0, 100, 0 }, HC_RETRIES },
	{ { "breaker-threshold", K_INT, HKW(breaker_threshold), 0, 1000000,
	    0 }, HC_BREAKER },
};
#define NHKEYS (sizeof(hkeys) / sizeof(hkeys[0]))

void
config_pidfile_default(struct fp_config *c)
{
	size_t	 n;

	if (c->pidfile_set)
		return;
	n = strlen(c->socket);
	if (n == 0) {
		c->pidfile[0] = '\0';
		return;
	}
	strlcpy(c->pidfile, c->socket, sizeof(c->pidfile));
	/* "x.sock" gives "x.pid"; a socket named ".sock" gives ".sock.pid". */
	if (n > 5 && strcmp(c->pidfile + n - 5, ".sock") == 0 &&
	    c->pidfile[n - 6] != '/')
		c->pidfile[n - 5] = '\0';
	strlcat(c->pidfile, ".pid", sizeof(c->pidfile));
}

void
config_defaults(struct fp_config *c)
{
	long	 n;

	memset(c, 0, sizeof(*c));
	n = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
	/* Too long ($FORKPOOL_SOCKET): "", an error unless -s or `socket'. */
	if (fp_default_socket(c->socket, sizeof(c->socket)) == NULL)
		c->socket[0] = '\0';
	config_pidfile_default(c);
	c->socket_mode = 0660;
	c->queue_limit = 1000;
	c->prefetch = 32;
	c->spin_us = FP_SPIN_AUTO;
	c->ring_size = 1 << 20;
	c->blob_size = 256 << 20;
	c->max_request_size = 64 << 20;
	c->max_shm_size = 64 << 20;
	c->max_connections = 1024;
	c->max_outstanding = 1024;
	c->max_connection_output = 4 << 20;
	c->max_buffered = 256 << 20;
	c->shutdown_timeout_ms = 30 * 1000;
	c->test_handlers = 0;
	c->log_level = LOG_LVL_INFO;
	c->timeout_ms = 30 * 1000;	/* as gunicorn: no hang lasts */
	c->retries = 0;
	c->kill_grace_ms = 0;
	c->cancel_running = FP_CANCEL_DROP;
	c->breaker_threshold = 5;
	c->breaker_window_ms = 10 * 1000;
	c->breaker_cooldown_ms = 5 * 1000;
	c->min_worker_age_ms = 1000;
	c->respawn_backoff_max_ms = 10 * 1000;
	c->max_tasks_per_worker = 0;
	c->max_worker_rss = 0;
	c->load_timeout_ms = 30 * 1000;
	c->slowlog_threshold_ms = 1000;
	c->slowlog_max_len = 128;
	c->task_log = FP_TASKLOG_ERRORS;
	c->socket_uid = (uid_t)-1;
	c->socket_gid = (gid_t)-1;
	c->source_queue_share = 50;
}

uint64_t
config_handler_timeout_ms(const struct fp_config *c, uint32_t h)
{
	if (h < FP_CONF_HANDLERS && (c->handler[h].set & HC_TIMEOUT))
		return c->handler[h].timeout_ms;
	return c->timeout_ms;
}

uint32_t
config_handler_retries(const struct fp_config *c, uint32_t h)
{
	if (h < FP_CONF_HANDLERS && (c->handler[h].set & HC_RETRIES))
		return c->handler[h].retries;
	return c->retries;
}

uint32_t
config_handler_breaker_threshold(const struct fp_config *c, uint32_t h)
{
	if (h < FP_CONF_HANDLERS && (c->handler[h].set & HC_BREAKER))
		return c->handler[h].breaker_threshold;
	return c->breaker_threshold;
}

int
config_parse_listen(const char *s, struct sockaddr_storage *ss)
{
	struct sockaddr_storage	 st;
	struct sockaddr_in	*sin = (struct sockaddr_in *)&st;
	struct sockaddr_in6	*sin6 = (struct sockaddr_in6 *)&st;
	char			 host[INET6_ADDRSTRLEN + 1];
	const char		*colon, *h = s;
	size_t			 hl;
	unsigned long		 port;
	char			*end;

	memset(&st, 0, sizeof(st));
	if (*s == '[') {
		if ((colon = strstr(s, "]:")) == NULL)
			return -1;
		h = s + 1;
		hl = (size_t)(colon - h);
		colon++;
	} else {
		if ((colon = strrchr(s, ':')) == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= sizeof(host) || !isdigit((unsigned char)colon[1]))
		return -1;
	memcpy(host, h, hl);
	host[hl] = '\0';
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port == 0 || port > 65535)
		return -1;
	if (*s != '[' && inet_pton(AF_INET, host, &sin->sin_addr) == 1) {
		sin->sin_family = AF_INET;
		sin->sin_port = htons((uint16_t)port);
	} else if (*s == '[' && inet_pton(AF_INET6, host, &sin6->sin6_addr) == 1) {
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons((uint16_t)port);
	} else
		return -1;
	if (ss != NULL)
		*ss = st;
	return 0;
}

/*
 * "FILE:LINE: problem" in err.  Values from the file are passed through
 * log_quote by the callers; the last pass makes the whole message valid
 * UTF-8 without control characters (the path too), as it goes to a
 * terminal, to the log and, for forkpool.reload, to a client as a
 * MessagePack string.
 */
int __attribute__((format(printf, 5, 6)))
cfgerr(char *err, size_t len, const char *file, int line, const char *fmt,
    ...)
{
	va_list	 ap;
	char	 raw[PATH_MAX + 1024];
	int	 n;

	n = snprintf(raw, sizeof(raw), "%s:%d: ", file, line);
	if (n < 0)
		n = 0;
	if ((size_t)n < sizeof(raw)) {
		va_start(ap, fmt);
		vsnprintf(raw + n, sizeof(raw) - n, fmt, ap);
		va_end(ap);
	}
	log_escape(raw, strlen(raw), err, len);
	return -1;
}

/* "FILE: problem" in err, made safe as cfgerr makes it. */
static int
fileerr(char *err, size_t len, const char *file, const char *problem)
{
	char	 raw[PATH_MAX + 256];

	snprintf(raw, sizeof(raw), "%s: %s", file, problem);
	log_escape(raw, strlen(raw), err, len);
	return -1;
}

/*
 * The next value word at *pp: a run of characters up to a blank or `#', or
 * one double-quoted string (\" and \\ escapes).  It is ended in place and
 * *pp moves past it.  Returns 0 with a word, 1 at the end of the line (or a
 * comment), -1 with a message.
 */
static int
next_word(char **pp, char **word, const char **why)
{
	char	*p = *pp, *o;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#') {
		*pp = p;
		return 1;
	}
	if (*p == '"') {
		*word = o = ++p;
		for (;;) {
			if (*p == '\0') {
				*why = "unterminated quoted string";
				return -1;
			}
			if (*p == '"')
				break;
			if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
				p++;
			*o++ = *p++;
		}
		p++;
		*o = '\0';
		/* Something glued to the closing quote is more text. */
		if (*p != '\0' && !isspace((unsigned char)*p) && *p != '#') {
			*why = "unexpected text after the value (quote values "
			    "with spaces)";
			return -1;
		}
	} else {
		*word = p;
		while (*p != '\0' && !isspace((unsigned char)*p) && *p != '#')
			p++;
		if (*p == '#')
			*p = '\0';	/* the rest is a comment */
		else if (*p != '\0')
			*p++ = '\0';
	}
	*pp = p;
	return 0;
}

#define MAXWORDS	3	/* values of the longest line, `handler' */

/*
 * Split a line into its keyword and up to MAXWORDS values (one more is
 * reported as unexpected text).  Returns 0, 1 for a blank line, -1 with a
 * message (*kw is set if the line has a keyword).
 */
static int
split_line(char *line, char **kw, char **val, int *nval, const char **why)
{
	char	*p = line;
	int	 r;

	*kw = NULL;
	*nval = 0;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 1;
	*kw = p;
	while (*p != '\0' && !isspace((unsigned char)*p) && *p != '#')
		p++;
	if (*p == '#')
		*p = '\0';
	else if (*p != '\0')
		*p++ = '\0';
	for (;;) {
		char	*w;

		if ((r = next_word(&p, &w, why)) == 1)
			return 0;
		if (r == -1)
			return -1;
		if (*nval == MAXWORDS) {
			*why = "unexpected text after the value (quote values "
			    "with spaces)";
			return -1;
		}
		val[(*nval)++] = w;
	}
}

/*
 * Store n in k's field with the field's own width, whatever its type (int,
 * uint32_t, mode_t, size_t, uint64_t: 4 or 8 bytes).  A value that the
 * signed type of that width cannot hold is refused rather than cut, so
 * that int fields read back what was written; -1 also for another width.
 */
static int
store_number(void *dst, const struct keyword *k, uint64_t n)
{
	uint32_t	 u32;

	if (k->size == sizeof(n)) {
		memcpy(dst, &n, sizeof(n));
		return 0;
	}
	if (k->size == sizeof(u32) && n <= INT32_MAX) {
		u32 = (uint32_t)n;
		memcpy(dst, &u32, sizeof(u32));
		return 0;
	}
	return -1;
}

int
set_value(struct fp_config *c, const struct keyword *k, const char *v,
    const char **why)
{
	void		*dst = (char *)c + k->off;
	uint64_t	 n;
	char		*end;
	int		 lvl;

	switch (k->type) {
	case K_INT:
		if (!isdigit((unsigned char)*v)) {
			*why = "expected a number";
			return -1;
		}
		errno = 0;
		n = strtoull(v, &end, 10);
		if (errno != 0 || *end != '\0') {
			*why = "expected a number";
			return -1;
		}
		if (n < k->min || n > k->max) {
			*why = "out of range";
			return -1;
		}
		break;
	case K_SIZE:
		if (fp_parse_size(v, &n) == -1) {
			*why = "expected a size (number with K, M or G)";
			return -1;
		}
		if (n == 0 && (k->flags & KF_ZERO))
			;
		else if (n < k->min || n > k->max) {
			*why = "out of range";
			return -1;
		}
		if ((k->flags & KF_POW2) && (n & (n - 1)) != 0) {
			*why = "must be a power of two";
			return -1;
		}
		break;
	case K_DURATION:
		if (fp_parse_duration(v, &n) == -1) {
			*why = "expected a duration (number with ms, s, m, h or d)";
			return -1;
		}
		if (n < k->min || n > k->max) {
			*why = "out of range";
			return -1;
		}
		break;
	case K_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 ||
		    strcmp(v, "true") == 0)
			n = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "off") == 0 ||
		    strcmp(v, "false") == 0)
			n = 0;
		else {
			*why = "expected yes or no";
			return -1;
		}
		break;
	case K_PATH:
		if (*v == '\0') {
			*why = "empty path";
			return -1;
		}
		if (strcmp(v, "none") == 0)
			*(char *)dst = '\0';
		else if (strlcpy(dst, v, k->size) >= k->size) {
			*why = "path too long";
			return -1;
		}
		/* Given: config_pidfile_default() keeps it. */
		if (k->off == OFF(pidfile))
			c->pidfile_set = 1;
		return 0;
	case K_SOCKET:
		if (*v == '\0') {
			*why = "empty path";
			return -1;
		}
		if (strlcpy(dst, v, k->size) >= k->size) {
			*why = "socket path too long (107 bytes at most)";
			return -1;
		}
		return 0;
	case K_MODE:
		if (*v < '0' || *v > '7') {
			*why = "expected an octal mode";
			return -1;
		}
		errno = 0;
		n = strtoull(v, &end, 8);
		if (errno != 0 || *end != '\0' || n > k->max) {
			*why = "expected an octal mode";
			return -1;
		}
		break;
	case K_LEVEL:
		if ((lvl = log_level_parse(v)) == -1) {
			*why = "expected error, warning, info or debug";
			return -1;
		}
		n = (uint64_t)lvl;
		break;
	case K_NAME:
		/* Resolved once the whole file is read: resolve_names(). */
		if (*v == '\0') {
			*why = "empty name";
			return -1;
		}
		if (strcmp(v, "none") == 0) {
			*(char *)dst = '\0';
			return 0;
		}
		if (strlcpy(dst, v, k->size) >= k->size) {
			*why = "name too long (63 bytes at most)";
			return -1;
		}
		return 0;
	case K_STR:
		/* A string of the source blocks: "none" is "" where allowed. */
		if (*v == '\0') {
			*why = "empty value";
			return -1;
		}
		if ((k->flags & KF_ZERO) && strcmp(v, "none") == 0) {
			*(char *)dst = '\0';
			return 0;
		}
		if (strlcpy(dst, v, k->size) >= k->size) {
			*why = "too long";
			return -1;
		}
		return 0;
	case K_TASKLOG:
		if (strcmp(v, "none") == 0)
			n = FP_TASKLOG_NONE;
		else if (strcmp(v, "errors") == 0)
			n = FP_TASKLOG_ERRORS;
		else if (strcmp(v, "all") == 0)
			n = FP_TASKLOG_ALL;
		else {
			*why = "expected none, errors or all";
			return -1;
		}
		break;
	case K_LISTEN:
		if (strcmp(v, "none") == 0 || strcmp(v, "off") == 0) {
			*(char *)dst = '\0';
			return 0;
		}
		if (config_parse_listen(v, NULL) == -1) {
			*why = "expected an IP address and a port "
			    "(127.0.0.1:9187, [::1]:9187) or none";
			return -1;
		}
		if (strlcpy(dst, v, k->size) >= k->size) {
			*why = "address too long";
			return -1;
		}
		return 0;
	case K_SPIN:
		/* Stored as an int32_t: auto and off are not numbers. */
		if (strcmp(v, "auto") == 0 || strcmp(v, "off") == 0) {
			*(int32_t *)dst = *v == 'a' ? FP_SPIN_AUTO : 0;
			return 0;
		}
		errno = 0;
		n = isdigit((unsigned char)*v) ? strtoull(v, &end, 10) : 0;
		if (!isdigit((unsigned char)*v) || errno != 0 || *end != '\0') {
			*why = "expected auto, off or microseconds";
			return -1;
		}
		if (n < k->min || n > k->max) {
			*why = "out of range";
			return -1;
		}
		break;
	case K_CANCEL:
		if (strcmp(v, "drop") == 0)
			n = FP_CANCEL_DROP;
		else if (strcmp(v, "kill") == 0)
			n = FP_CANCEL_KILL;
		else {
			*why = "expected drop or kill";
			return -1;
		}
		break;
	default:
		*why = "internal error";
		return -1;
	}
	/* The numeric types: a number, stored with the field's width. */
	if (store_number(dst, k, n) == -1) {
		*why = "internal error";
		return -1;
	}
	return 0;
}

const struct keyword *
keyword_find(const struct keyword *tab, size_t n, const char *kw)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		if (strcmp(kw, tab[i].name) == 0)
			return &tab[i];
	return NULL;
}

static const struct keyword *
find_keyword(const char *kw)
{
	return keyword_find(keywords, NKEYWORDS, kw);
}

/*
 * `handler NAME KEY VALUE' into c's lines for NAME; the name is resolved
 * by config_resolve().
 */
static int
set_handler(struct fp_config *c, char **val, char *err, size_t errlen,
    const char *path, int lineno)
{
	struct keyword	 k;
	struct fp_hline	*hl;
	const char	*why = NULL, *name;
	char		 q[256], q2[256], qn[256];
	size_t		 j;
	uint32_t	 i;

	name = log_quote(val[0], qn, sizeof(qn));
	if (strlen(val[0]) >= sizeof(hl->name) || val[0][0] == '\0')
		return cfgerr(err, errlen, path, lineno,
		    "handler %s: unknown handler", name);
	for (j = 0; j < NHKEYS; j++)
		if (strcmp(val[1], hkeys[j].k.name) == 0)
			break;
	if (j == NHKEYS)
		return cfgerr(err, errlen, path, lineno,
		    "handler %s %s: unknown key (expected timeout, retries or "
		    "breaker-threshold)", name,
		    log_quote(val[1], q, sizeof(q)));
	for (i = 0; i < c->nhline; i++)
		if (strcmp(c->hline[i].name, val[0]) == 0)
			break;
	if (i == c->nhline) {
		if (c->nhline == FP_CONF_HANDLERS)
			return cfgerr(err, errlen, path, lineno, "handler %s: "
			    "too many handlers configured (%d at most)",
			    name, FP_CONF_HANDLERS);
		hl = &c->hline[c->nhline++];
		memset(hl, 0, sizeof(*hl));
		strlcpy(hl->name, val[0], sizeof(hl->name));
		hl->line = lineno;
	}
	hl = &c->hline[i];
	if (hl->hc.set & hkeys[j].bit)
		return cfgerr(err, errlen, path, lineno,
		    "handler %s %s: given twice", name, val[1]);
	k = hkeys[j].k;
	k.off += offsetof(struct fp_config, hline) +
	    (size_t)i * sizeof(struct fp_hline) + offsetof(struct fp_hline, hc);
	if (set_value(c, &k, val[2], &why) == -1)
		return cfgerr(err, errlen, path, lineno, "handler %s %s %s: %s",
		    name, val[1], log_quote(val[2], q2, sizeof(q2)), why);
	hl->hc.set |= hkeys[j].bit;
	return 0;
}

/* `load PATH [ARG]' into c. */
static int
set_load(struct fp_config *c, char **val, int nval, char *err,
    size_t errlen, const char *path, int lineno)
{
	struct fp_load	*ld;
	const char	*name;
	char		 q[256];
	int		 i;

	name = log_quote(val[0], q, sizeof(q));
	if (nval > 2)
		return cfgerr(err, errlen, path, lineno, "load: expected load "
		    "PATH [ARGUMENT] (quote values with spaces)");
	if (val[0][0] != '/')
		return cfgerr(err, errlen, path, lineno, "load %s: the path "
		    "must be absolute", name);
	if (strlen(val[0]) >= sizeof(ld->path))
		return cfgerr(err, errlen, path, lineno, "load: path too long");
	if (nval == 2 && strlen(val[1]) >= sizeof(ld->arg))
		return cfgerr(err, errlen, path, lineno, "load %s: argument "
		    "too long (%d bytes at most)", name, FP_CONF_LOADARG - 1);
	for (i = 0; i < c->nload; i++)
		if (strcmp(c->load[i].path, val[0]) == 0)
			return cfgerr(err, errlen, path, lineno, "load %s: "
			    "loaded already on line %d", name,
			    c->load[i].line);
	if (c->nload == FP_CONF_PLUGINS)
		return cfgerr(err, errlen, path, lineno, "load %s: too many "
		    "plug-ins (%d at most)", name, FP_CONF_PLUGINS);
	ld = &c->load[c->nload++];
	memset(ld, 0, sizeof(*ld));
	strlcpy(ld->path, val[0], sizeof(ld->path));
	if (nval == 2) {
		strlcpy(ld->arg, val[1], sizeof(ld->arg));
		ld->has_arg = 1;
	}
	ld->line = lineno;
	return 0;
}

int
config_resolve(struct fp_config *c, char *err, size_t errlen)
{
	const struct fp_hline *hl;
	char		 q[256];
	uint32_t	 i;
	int		 h;

	memset(c->handler, 0, sizeof(c->handler));
	for (i = 0; i < c->nhline; i++) {
		hl = &c->hline[i];
		h = handler_index(hl->name, strlen(hl->name));
		if (h < 0 || h >= FP_CONF_HANDLERS)
			return cfgerr(err, errlen, c->file, hl->line,
			    "handler %s: unknown handler (not built in and not "
			    "from a loaded plug-in)",
			    log_quote(hl->name, q, sizeof(q)));
		c->handler[h] = hl->hc;
	}
	return 0;
}

int
config_same_loads(const struct fp_config *a, const struct fp_config *b)
{
	int	 i;

	if (a->nload != b->nload)
		return 0;
	for (i = 0; i < a->nload; i++)
		if (strcmp(a->load[i].path, b->load[i].path) != 0 ||
		    a->load[i].has_arg != b->load[i].has_arg ||
		    strcmp(a->load[i].arg, b->load[i].arg) != 0)
			return 0;
	return 1;
}

/*
 * All of `path' in *textp (NUL-terminated, *lenp bytes), or 1 if it does
 * not exist and is optional.  The file is read again on every reload, in
 * the supervisor's loop: a FIFO without a writer, a terminal or /dev/zero
 * must neither block the loop nor fill the memory.  So only a regular file
 * of at most FP_CONF_MAXSIZE bytes is read, checked before the open (some
 * devices act when opened) and on the open file, which is opened without
 * waiting; /dev/null reads as empty.  Symlinks are followed: a
 * configuration that is a link to a managed file is common.
 */
int
read_file(const char *path, int optional, char **textp, size_t *lenp,
    char *err, size_t errlen)
{
	struct stat	 st, nst;
	char		*text = NULL, *p, msg[128];
	size_t		 len = 0, cap;
	ssize_t		 n;
	int		 fd;

	*textp = NULL;
	if (stat(path, &st) == -1) {
		if (optional && errno == ENOENT)
			return 1;
		return fileerr(err, errlen, path, strerror(errno));
	}
	/* `-f /dev/null' is the way to ask for the built-in defaults. */
	if (S_ISCHR(st.st_mode) && stat("/dev/null", &nst) == 0 &&
	    S_ISCHR(nst.st_mode) && st.st_rdev == nst.st_rdev) {
		if ((text = strdup("")) == NULL)
			return fileerr(err, errlen, path, strerror(errno));
		*textp = text;
		*lenp = 0;
		return 0;
	}
	if (!S_ISREG(st.st_mode))
		return fileerr(err, errlen, path, "not a regular file");
	if ((fd = open(path, O_RDONLY | O_NONBLOCK | O_NOCTTY |
	    O_CLOEXEC)) == -1) {
		if (optional && errno == ENOENT)
			return 1;
		return fileerr(err, errlen, path, strerror(errno));
	}
	if (fstat(fd, &st) == -1) {
		fileerr(err, errlen, path, strerror(errno));
		goto fail;
	}
	if (!S_ISREG(st.st_mode)) {
		fileerr(err, errlen, path, "not a regular file");
		goto fail;
	}
	snprintf(msg, sizeof(msg), "too large (%d MB at most)",
	    FP_CONF_MAXSIZE >> 20);
	if (st.st_size > FP_CONF_MAXSIZE) {
		fileerr(err, errlen, path, msg);
		goto fail;
	}
	/*
	 * st_size is a hint (files in /proc say 0): read until the end, one
	 * byte past the limit at most.
	 */
	cap = (size_t)st.st_size + 1 < 4096 ? 4096 : (size_t)st.st_size + 2;
	for (;;) {
		if (len == cap - 1) {
			if (len > FP_CONF_MAXSIZE) {
				fileerr(err, errlen, path, msg);
				goto fail;
			}
			cap = cap * 2 > FP_CONF_MAXSIZE + 2 ?
			    FP_CONF_MAXSIZE + 2 : cap * 2;
			if ((p = realloc(text, cap)) == NULL) {
				fileerr(err, errlen, path, strerror(errno));
				goto fail;
			}
			text = p;
		} else if (text == NULL && (text = malloc(cap)) == NULL) {
			fileerr(err, errlen, path, strerror(errno));
			goto fail;
		}
		if ((n = read(fd, text + len, cap - 1 - len)) == -1) {
			if (errno == EINTR)
				continue;
			/*
			 * A read error is an error, not the end of the file.
			 * O_NONBLOCK stays: a plain file ignores it, and a
			 * "regular" file of /proc that would wait (kmsg)
			 * answers EAGAIN instead of blocking the loop.
			 */
			fileerr(err, errlen, path, errno == EAGAIN ?
			    "it would block: not a plain file" :
			    strerror(errno));
			goto fail;
		}
		if (n == 0)
			break;
		len += (size_t)n;
	}
	if (len > FP_CONF_MAXSIZE) {
		fileerr(err, errlen, path, msg);
		goto fail;
	}
	close(fd);
	text[len] = '\0';
	*textp = text;
	*lenp = len;
	return 0;
fail:
	free(text);
	close(fd);
	return -1;
}

/*
 * The names of user, group, socket-owner, socket-group and admin-group to
 * ids, once the whole file is read (group may come before user).  line[]
 * holds the line of each keyword, by its index in keywords[].
 */
static int
resolve_names(struct fp_config *c, const char *path, const int *line,
    char *err, size_t errlen)
{
#define LINE(kw)	line[find_keyword(kw) - keywords]
	char	 why[128];
	gid_t	 gid;

	if (c->user[0] != '\0') {
		if (priv_user(c->user, &c->user_uid, &c->user_gid, why,
		    sizeof(why)) == -1)
			return cfgerr(err, errlen, path, LINE("user"),
			    "user %s: %s", c->user, why);
		if (c->group[0] == '\0' && c->user_gid == (gid_t)-1)
			return cfgerr(err, errlen, path, LINE("user"),
			    "user %s: uid without a user entry: give group "
			    "too", c->user);
		if (geteuid() != 0 && c->user_uid != geteuid())
			return cfgerr(err, errlen, path, LINE("user"),
			    "user %s: only root can run the workers as another "
			    "user (forkpoold runs as uid %u)", c->user,
			    (unsigned)geteuid());
	}
	if (c->group[0] != '\0') {
		if (c->user[0] == '\0')
			return cfgerr(err, errlen, path, LINE("group"),
			    "group %s: given without user", c->group);
		if (priv_group(c->group, &c->user_gid, why, sizeof(why)) == -1)
			return cfgerr(err, errlen, path, LINE("group"),
			    "group %s: %s", c->group, why);
		if (geteuid() != 0 && c->user_gid != getegid())
			return cfgerr(err, errlen, path, LINE("group"),
			    "group %s: only root can run the workers in "
			    "another group (forkpoold runs as gid %u)",
			    c->group, (unsigned)getegid());
	}
	c->socket_uid = (uid_t)-1;
	c->socket_gid = (gid_t)-1;
	if (c->socket_owner[0] != '\0') {
		if (priv_user(c->socket_owner, &c->socket_uid, &gid, why,
		    sizeof(why)) == -1)
			return cfgerr(err, errlen, path, LINE("socket-owner"),
			    "socket-owner %s: %s", c->socket_owner, why);
		if (geteuid() != 0 && c->socket_uid != geteuid())
			return cfgerr(err, errlen, path, LINE("socket-owner"),
			    "socket-owner %s: only root can give the socket to "
			    "another user", c->socket_owner);
	}
	if (c->socket_group[0] != '\0' && priv_group(c->socket_group,
	    &c->socket_gid, why, sizeof(why)) == -1)
		return cfgerr(err, errlen, path, LINE("socket-group"),
		    "socket-group %s: %s", c->socket_group, why);
	if (c->admin_group[0] != '\0' && priv_group(c->admin_group,
	    &c->admin_gid, why, sizeof(why)) == -1)
		return cfgerr(err, errlen, path, LINE("admin-group"),
		    "admin-group %s: %s", c->admin_group, why);
	return 0;
#undef LINE
}

int
config_load(struct fp_config *c, const char *path, int optional, char *err,
    size_t errlen)
{
	char		*text, *line, *eol, *next, *kw, *val[MAXWORDS];
	char		 q[256];
	size_t		 len = 0, n;
	int		 lineno = 0, rc = 0, r, nval, inblock = 0;
	uint64_t	 seen = 0;
	int		 kwline[NKEYWORDS] = { 0 };
	const char	*why;
	const struct keyword *k;
	struct fp_config tmp;

	if ((r = read_file(path, optional, &text, &len, err, errlen)) != 0)
		return r == 1 ? 0 : -1;
	/* Work on a copy so that a bad file leaves `c' untouched. */
	tmp = *c;
	for (line = text; line < text + len; line = next) {
		lineno++;
		if ((eol = memchr(line, '\n', text + len - line)) == NULL)
			eol = text + len;
		next = eol + 1;
		*eol = '\0';
		n = (size_t)(eol - line);
		if (strlen(line) != n) {
			rc = cfgerr(err, errlen, path, lineno, "NUL byte in line");
			break;
		}
		why = NULL;
		if ((r = split_line(line, &kw, val, &nval, &why)) == 1)
			continue;
		if (inblock) {
			if (r == -1)
				rc = cfgerr(err, errlen, path, lineno, "source "
				    "%s: %s: %s", log_quote(tmp.source[
				    tmp.nsource - 1].name, q, sizeof(q)), kw,
				    why);
			else if ((r = config_source_line(&tmp, kw, val, nval,
			    path, lineno, err, errlen)) == -1)
				rc = -1;
			if (rc == -1)
				break;
			inblock = r == 0;
			continue;
		}
		if (r == -1 && strcmp(kw, "source") == 0) {
			rc = cfgerr(err, errlen, path, lineno, "source: %s "
			    "(expected source NAME redis { on a line, the "
			    "block's keywords below, then } alone)", why);
			break;
		}
		if (r == 0 && strcmp(kw, "source") == 0) {
			if ((rc = config_source_begin(&tmp, val, nval, path,
			    lineno, err, errlen)) == -1)
				break;
			inblock = 1;
			continue;
		}
		k = find_keyword(kw);
		if (k == NULL && strcmp(kw, "handler") != 0 &&
		    strcmp(kw, "load") != 0) {
			const char *qk = log_quote(kw, q, sizeof(q));

			/* Quoted by log_quote, or plain: quote it here. */
			rc = cfgerr(err, errlen, path, lineno,
			    "unknown keyword %s%s%s", qk == kw ? "\"" : "", qk,
			    qk == kw ? "\"" : "");
			break;
		}
		if (r == 0 && nval == 0) {
			r = -1;
			why = "missing value";
		}
		if (r == -1) {
			rc = cfgerr(err, errlen, path, lineno, "%s: %s", kw, why);
			break;
		}
		if (k == NULL && strcmp(kw, "load") == 0) {
			if ((rc = set_load(&tmp, val, nval, err, errlen, path,
			    lineno)) == -1)
				break;
			continue;
		}
		if (k == NULL) {
			if (nval != 3) {
				rc = cfgerr(err, errlen, path, lineno,
				    "handler: expected handler NAME KEY VALUE");
				break;
			}
			if ((rc = set_handler(&tmp, val, err, errlen, path,
			    lineno)) == -1)
				break;
			continue;
		}
		if (nval > 1) {
			rc = cfgerr(err, errlen, path, lineno, "%s: %s", kw,
			    "unexpected text after the value (quote values "
			    "with spaces)");
			break;
		}
		if (seen & (1ULL << (k - keywords))) {
			rc = cfgerr(err, errlen, path, lineno,
			    "%s: given twice", kw);
			break;
		}
		seen |= 1ULL << (k - keywords);
		kwline[k - keywords] = lineno;
		if (set_value(&tmp, k, val[0], &why) == -1) {
			rc = cfgerr(err, errlen, path, lineno, "%s %s: %s", kw,
			    log_quote(val[0], q, sizeof(q)), why);
			break;
		}
	}
	free(text);
	if (rc == 0)
		rc = config_source_end(&tmp, inblock, path, err, errlen);
	if (rc == 0)
		rc = resolve_names(&tmp, path, kwline, err, errlen);
	if (rc == 0) {
		*c = tmp;
		strlcpy(c->file, path, sizeof(c->file));
	}
	return rc;
}

static void
print_size(FILE *fp, const char *kw, uint64_t v)
{
	if (v != 0 && v % (1 << 30) == 0)
		fprintf(fp, "%s %lluG\n", kw, (unsigned long long)(v >> 30));
	else if (v != 0 && v % (1 << 20) == 0)
		fprintf(fp, "%s %lluM\n", kw, (unsigned long long)(v >> 20));
	else if (v != 0 && v % (1 << 10) == 0)
		fprintf(fp, "%s %lluK\n", kw, (unsigned long long)(v >> 10));
	else
		fprintf(fp, "%s %llu\n", kw, (unsigned long long)v);
}

/* v as a double-quoted value of forkpool.conf(5). */
void
put_quoted(FILE *fp, const char *v)
{
	const char *p;

	fputc('"', fp);
	for (p = v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', fp);
		fputc(*p, fp);
	}
	fputc('"', fp);
}

static void
print_path(FILE *fp, const char *kw, const char *v)
{
	if (*v == '\0') {
		fprintf(fp, "%s none\n", kw);
		return;
	}
	fprintf(fp, "%s ", kw);
	put_quoted(fp, v);
	fputc('\n', fp);
}

void
print_duration(FILE *fp, const char *kw, uint64_t ms)
{
	if (ms % 1000 == 0)
		fprintf(fp, "%s %llus\n", kw, (unsigned long long)(ms / 1000));
	else
		fprintf(fp, "%s %llums\n", kw, (unsigned long long)ms);
}

void
config_print(const struct fp_config *c, FILE *fp)
{
	const struct fp_hconf *hc;
	const char	*name;
	char		 kw[128];
	uint32_t	 h;
	int		 i;

	fprintf(fp, "# %s\n", c->file[0] ? c->file : "built-in defaults");
	fprintf(fp, "workers %d\n", c->workers);
	print_path(fp, "socket", c->socket);
	fprintf(fp, "socket-mode %04o\n", (unsigned)c->socket_mode);
	print_path(fp, "pidfile", c->pidfile);
	fprintf(fp, "queue-limit %u\n", c->queue_limit);
	fprintf(fp, "prefetch %u\n", c->prefetch);
	if (c->spin_us == FP_SPIN_AUTO || c->spin_us == 0)
		fprintf(fp, "spin %s\n", c->spin_us == 0 ? "off" : "auto");
	else
		fprintf(fp, "spin %d\n", (int)c->spin_us);
	print_size(fp, "ring-size", c->ring_size);
	print_size(fp, "blob-size", c->blob_size);
	print_size(fp, "max-request-size", c->max_request_size);
	print_size(fp, "max-shm-size", c->max_shm_size);
	fprintf(fp, "max-connections %u\n", c->max_connections);
	fprintf(fp, "max-connections-per-user %u\n", c->max_conns_per_user);
	fprintf(fp, "max-outstanding %u\n", c->max_outstanding);
	print_size(fp, "max-connection-output", c->max_connection_output);
	print_size(fp, "max-buffered", c->max_buffered);
	print_duration(fp, "shutdown-timeout", c->shutdown_timeout_ms);
	fprintf(fp, "test-handlers %s\n", c->test_handlers ? "yes" : "no");
	fprintf(fp, "log-level %s\n", log_level_name(c->log_level));
	print_duration(fp, "timeout", c->timeout_ms);
	fprintf(fp, "retries %u\n", c->retries);
	print_duration(fp, "kill-grace", c->kill_grace_ms);
	fprintf(fp, "cancel-running %s\n",
	    c->cancel_running == FP_CANCEL_KILL ? "kill" : "drop");
	fprintf(fp, "breaker-threshold %u\n", c->breaker_threshold);
	print_duration(fp, "breaker-window", c->breaker_window_ms);
	print_duration(fp, "breaker-cooldown", c->breaker_cooldown_ms);
	print_duration(fp, "min-worker-age", c->min_worker_age_ms);
	print_duration(fp, "respawn-backoff-max", c->respawn_backoff_max_ms);
	fprintf(fp, "max-tasks-per-worker %u\n", c->max_tasks_per_worker);
	print_size(fp, "max-worker-rss", c->max_worker_rss);
	print_duration(fp, "load-timeout", c->load_timeout_ms);
	print_path(fp, "user", c->user);
	print_path(fp, "group", c->group);
	print_path(fp, "socket-owner", c->socket_owner);
	print_path(fp, "socket-group", c->socket_group);
	print_path(fp, "admin-group", c->admin_group);
	print_duration(fp, "slowlog-threshold", c->slowlog_threshold_ms);
	fprintf(fp, "slowlog-max-len %u\n", c->slowlog_max_len);
	fprintf(fp, "task-log %s\n", c->task_log == FP_TASKLOG_NONE ? "none" :
	    c->task_log == FP_TASKLOG_ALL ? "all" : "errors");
	fprintf(fp, "metrics-listen %s\n", c->metrics_listen[0] ?
	    c->metrics_listen : "none");
	fprintf(fp, "source-queue-share %u\n", c->source_queue_share);
	for (i = 0; i < c->nload; i++) {
		fputs("load ", fp);
		put_quoted(fp, c->load[i].path);
		if (c->load[i].has_arg) {
			fputc(' ', fp);
			put_quoted(fp, c->load[i].arg);
		}
		fputc('\n', fp);
	}
	for (h = 0; h < c->nhline; h++) {
		hc = &c->hline[h].hc;
		name = c->hline[h].name;
		if (hc->set & HC_TIMEOUT) {
			snprintf(kw, sizeof(kw), "handler %s timeout", name);
			print_duration(fp, kw, hc->timeout_ms);
		}
		if (hc->set & HC_RETRIES)
			fprintf(fp, "handler %s retries %u\n", name,
			    hc->retries);
		if (hc->set & HC_BREAKER)
			fprintf(fp, "handler %s breaker-threshold %u\n",
			    name, hc->breaker_threshold);
	}
	config_source_print(c, fp);
}
