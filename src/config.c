/*
 * config.c -- parse forkpool.conf(5): one "keyword value" per line.
 */
#include <sys/stat.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "config.h"
#include "log.h"

enum ktype { K_INT, K_SIZE, K_DURATION, K_BOOL, K_PATH, K_SOCKET, K_MODE,
	K_LEVEL };

struct keyword {
	const char	*name;
	enum ktype	 type;
	size_t		 off;
	uint64_t	 min, max;
	int		 pow2;
};

#define OFF(f)	offsetof(struct fp_config, f)
static const struct keyword keywords[] = {
	{ "workers",		K_INT,	    OFF(workers), 1, 1024, 0 },
	{ "socket",		K_SOCKET,   OFF(socket), 0, 0, 0 },
	{ "socket-mode",	K_MODE,	    OFF(socket_mode), 0, 0777, 0 },
	{ "pidfile",		K_PATH,	    OFF(pidfile), 0, 0, 0 },
	{ "queue-limit",	K_INT,	    OFF(queue_limit), 0, 1000000, 0 },
	{ "prefetch",		K_INT,	    OFF(prefetch), 1, 1024, 0 },
	{ "ring-size",		K_SIZE,	    OFF(ring_size), 64 << 10, 256 << 20, 1 },
	{ "max-request-size",	K_SIZE,	    OFF(max_request_size), 1 << 10,
	    1 << 30, 0 },
	{ "max-connections",	K_INT,	    OFF(max_connections), 1, 1000000, 0 },
	{ "max-outstanding",	K_INT,	    OFF(max_outstanding), 1, 1000000, 0 },
	{ "shutdown-timeout",	K_DURATION, OFF(shutdown_timeout_ms), 0,
	    3600 * 1000, 0 },
	{ "test-handlers",	K_BOOL,	    OFF(test_handlers), 0, 1, 0 },
	{ "log-level",		K_LEVEL,    OFF(log_level), 0, 0, 0 },
};
#define NKEYWORDS (sizeof(keywords) / sizeof(keywords[0]))

void
config_defaults(struct fp_config *c)
{
	long	 n;
	char	*slash;

	memset(c, 0, sizeof(*c));
	n = sysconf(_SC_NPROCESSORS_ONLN);
	c->workers = n < 1 ? 1 : n > 1024 ? 1024 : (int)n;
	if (fp_default_socket(c->socket, sizeof(c->socket)) == NULL)
		strlcpy(c->socket, "/tmp/forkpool.sock", sizeof(c->socket));
	/* The pidfile lives beside the default socket. */
	strlcpy(c->pidfile, c->socket, sizeof(c->pidfile));
	if ((slash = strrchr(c->pidfile, '/')) != NULL)
		slash[1] = '\0';
	else
		c->pidfile[0] = '\0';
	strlcat(c->pidfile, "forkpoold.pid", sizeof(c->pidfile));
	c->socket_mode = 0660;
	c->queue_limit = 1000;
	c->prefetch = 32;
	c->ring_size = 1 << 20;
	c->max_request_size = 64 << 20;
	c->max_connections = 1024;
	c->max_outstanding = 1024;
	c->shutdown_timeout_ms = 30 * 1000;
	c->test_handlers = 0;
	c->log_level = LOG_LVL_INFO;
}

/* Parse an unsigned decimal with an optional suffix from a table. */
static int
parse_suffixed(const char *s, uint64_t *out, const char *const *sfx,
    const uint64_t *mul, uint64_t nomul)
{
	char		*end;
	unsigned long long v;
	uint64_t	 m = nomul;
	int		 i;

	if (!isdigit((unsigned char)*s))
		return -1;
	errno = 0;
	v = strtoull(s, &end, 10);
	if (errno != 0)
		return -1;
	if (*end != '\0') {
		for (i = 0; sfx[i] != NULL; i++)
			if (strcasecmp(end, sfx[i]) == 0)
				break;
		if (sfx[i] == NULL)
			return -1;
		m = mul[i];
	}
	if (m != 0 && v > UINT64_MAX / m)
		return -1;
	*out = v * m;
	return 0;
}

int
config_parse_size(const char *s, uint64_t *out)
{
	static const char *const sfx[] = { "K", "M", "G", "KB", "MB", "GB",
	    NULL };
	static const uint64_t mul[] = { 1 << 10, 1 << 20, 1 << 30, 1 << 10,
	    1 << 20, 1 << 30 };

	return parse_suffixed(s, out, sfx, mul, 1);
}

int
config_parse_duration(const char *s, uint64_t *ms)
{
	static const char *const sfx[] = { "ms", "s", "m", NULL };
	static const uint64_t mul[] = { 1, 1000, 60000 };

	return parse_suffixed(s, ms, sfx, mul, 1000);
}

static int
cfgerr(char *err, size_t len, const char *file, int line, const char *fmt,
    ...)
{
	va_list	 ap;
	int	 n;

	n = snprintf(err, len, "%s:%d: ", file, line);
	if (n < 0 || (size_t)n >= len)
		return -1;
	va_start(ap, fmt);
	vsnprintf(err + n, len - n, fmt, ap);
	va_end(ap);
	return -1;
}

/*
 * Split a line into keyword and value.  The value is one word or one
 * double-quoted string (\" and \\ escapes); anything after it but a comment
 * is an error.  Returns 0, 1 for a blank line, -1 with a message.
 */
static int
split_line(char *line, char **kw, char **val, const char **why)
{
	char	*p = line, *o;

	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#')
		return 1;
	*kw = p;
	while (*p != '\0' && !isspace((unsigned char)*p) && *p != '#')
		p++;
	if (*p == '#' || *p == '\0') {
		*p = '\0';
		*val = NULL;
		*why = "missing value";
		return -1;
	}
	*p++ = '\0';
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '\0' || *p == '#') {
		*val = NULL;
		*why = "missing value";
		return -1;
	}
	if (*p == '"') {
		*val = o = ++p;
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
	} else {
		*val = p;
		while (*p != '\0' && !isspace((unsigned char)*p) && *p != '#')
			p++;
		if (*p == '\0')
			return 0;
		if (*p == '#') {
			*p = '\0';
			return 0;
		}
		*p++ = '\0';
	}
	while (isspace((unsigned char)*p))
		p++;
	if (*p != '\0' && *p != '#') {
		*why = "unexpected text after the value (quote values with spaces)";
		return -1;
	}
	return 0;
}

static int
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
		if (k->off == OFF(workers))
			*(int *)dst = (int)n;
		else
			*(uint32_t *)dst = (uint32_t)n;
		return 0;
	case K_SIZE:
		if (config_parse_size(v, &n) == -1) {
			*why = "expected a size (number with K, M or G)";
			return -1;
		}
		if (n < k->min || n > k->max) {
			*why = "out of range";
			return -1;
		}
		if (k->pow2 && (n & (n - 1)) != 0) {
			*why = "must be a power of two";
			return -1;
		}
		*(size_t *)dst = n;
		return 0;
	case K_DURATION:
		if (config_parse_duration(v, &n) == -1) {
			*why = "expected a duration (number with ms, s or m)";
			return -1;
		}
		if (n > k->max) {
			*why = "out of range";
			return -1;
		}
		*(uint64_t *)dst = n;
		return 0;
	case K_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "on") == 0 ||
		    strcmp(v, "true") == 0)
			*(int *)dst = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "off") == 0 ||
		    strcmp(v, "false") == 0)
			*(int *)dst = 0;
		else {
			*why = "expected yes or no";
			return -1;
		}
		return 0;
	case K_PATH:
		if (*v == '\0') {
			*why = "empty path";
			return -1;
		}
		if (strcmp(v, "none") == 0) {
			*(char *)dst = '\0';
			return 0;
		}
		if (strlcpy(dst, v, PATH_MAX) >= PATH_MAX) {
			*why = "path too long";
			return -1;
		}
		return 0;
	case K_SOCKET:
		if (*v == '\0') {
			*why = "empty path";
			return -1;
		}
		if (strlcpy(dst, v, FP_SOCKPATH_MAX) >= FP_SOCKPATH_MAX) {
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
		*(mode_t *)dst = (mode_t)n;
		return 0;
	case K_LEVEL:
		if ((lvl = log_level_parse(v)) == -1) {
			*why = "expected error, warning, info or debug";
			return -1;
		}
		*(int *)dst = lvl;
		return 0;
	}
	*why = "internal error";
	return -1;
}

int
config_load(struct fp_config *c, const char *path, int optional, char *err,
    size_t errlen)
{
	FILE		*fp;
	char		*line = NULL, *kw, *val;
	size_t		 cap = 0, i;
	ssize_t		 n;
	int		 lineno = 0, rc = 0, r;
	uint32_t	 seen = 0;
	const char	*why;
	struct fp_config tmp;

	if ((fp = fopen(path, "r")) == NULL) {
		if (optional && errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	/* Work on a copy so that a bad file leaves `c' untouched. */
	tmp = *c;
	while ((n = getline(&line, &cap, fp)) != -1) {
		lineno++;
		if (n > 0 && line[n - 1] == '\n')
			line[--n] = '\0';
		if (strlen(line) != (size_t)n) {
			rc = cfgerr(err, errlen, path, lineno, "NUL byte in line");
			break;
		}
		why = NULL;
		if ((r = split_line(line, &kw, &val, &why)) == 1)
			continue;
		if (r == -1 && val == NULL) {
			for (i = 0; i < NKEYWORDS; i++)
				if (strcmp(kw, keywords[i].name) == 0)
					break;
			if (i == NKEYWORDS) {
				rc = cfgerr(err, errlen, path, lineno,
				    "unknown keyword \"%s\"", kw);
				break;
			}
		}
		if (r == -1) {
			rc = cfgerr(err, errlen, path, lineno, "%s: %s", kw, why);
			break;
		}
		for (i = 0; i < NKEYWORDS; i++)
			if (strcmp(kw, keywords[i].name) == 0)
				break;
		if (i == NKEYWORDS) {
			rc = cfgerr(err, errlen, path, lineno,
			    "unknown keyword \"%s\"", kw);
			break;
		}
		if (seen & (1U << i)) {
			rc = cfgerr(err, errlen, path, lineno,
			    "%s: given twice", kw);
			break;
		}
		seen |= 1U << i;
		if (set_value(&tmp, &keywords[i], val, &why) == -1) {
			char	 q[256];

			rc = cfgerr(err, errlen, path, lineno, "%s %s: %s", kw,
			    log_quote(val, q, sizeof(q)), why);
			break;
		}
	}
	if (rc == 0 && ferror(fp)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		rc = -1;
	}
	free(line);
	fclose(fp);
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

static void
print_path(FILE *fp, const char *kw, const char *v)
{
	const char *p;

	if (*v == '\0') {
		fprintf(fp, "%s none\n", kw);
		return;
	}
	fprintf(fp, "%s \"", kw);
	for (p = v; *p != '\0'; p++) {
		if (*p == '"' || *p == '\\')
			fputc('\\', fp);
		fputc(*p, fp);
	}
	fputs("\"\n", fp);
}

void
config_print(const struct fp_config *c, FILE *fp)
{
	uint64_t ms = c->shutdown_timeout_ms;

	fprintf(fp, "# %s\n", c->file[0] ? c->file : "built-in defaults");
	fprintf(fp, "workers %d\n", c->workers);
	print_path(fp, "socket", c->socket);
	fprintf(fp, "socket-mode %04o\n", (unsigned)c->socket_mode);
	print_path(fp, "pidfile", c->pidfile);
	fprintf(fp, "queue-limit %u\n", c->queue_limit);
	fprintf(fp, "prefetch %u\n", c->prefetch);
	print_size(fp, "ring-size", c->ring_size);
	print_size(fp, "max-request-size", c->max_request_size);
	fprintf(fp, "max-connections %u\n", c->max_connections);
	fprintf(fp, "max-outstanding %u\n", c->max_outstanding);
	if (ms % 1000 == 0)
		fprintf(fp, "shutdown-timeout %llus\n",
		    (unsigned long long)(ms / 1000));
	else
		fprintf(fp, "shutdown-timeout %llums\n", (unsigned long long)ms);
	fprintf(fp, "test-handlers %s\n", c->test_handlers ? "yes" : "no");
	fprintf(fp, "log-level %s\n", log_level_name(c->log_level));
}
