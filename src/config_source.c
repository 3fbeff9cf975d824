/*
 * config_source.c -- the `source NAME redis { ... }' blocks of
 * forkpool.conf(5): a Redis stream this daemon consumes (source.c,
 * forkpool-streams(7)).  config.c hands each line of a block here.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/string.h>

#include "config_impl.h"
#include "log.h"
#include "redis.h"

#define SRC_OFF(f)	(offsetof(struct fp_source, f))
#define SKW(f)	SRC_OFF(f), MEMBER_SIZE(struct fp_source, f)
#define SECOND_MS	1000ULL

/* The keywords of a block; `off' is within struct fp_source. */
static const struct keyword skeys[] = {
	{ "address",		K_STR,	    SKW(host), 0, 0, 0 },
	{ "port",		K_INT,	    SKW(port), 1, 65535, 0 },
	{ "socket",		K_SOCKET,   SKW(path), 0, 0, 0 },
	{ "password-file",	K_PATH,	    SKW(password_file), 0, 0, 0 },
	{ "stream",		K_STR,	    SKW(stream), 0, 0, 0 },
	{ "group",		K_STR,	    SKW(group), 0, 0, 0 },
	{ "consumer",		K_STR,	    SKW(consumer), 0, 0, 0 },
	{ "batch",		K_INT,	    SKW(batch), 1, 10000, 0 },
	{ "max-inflight",	K_INT,	    SKW(max_inflight), 1, 100000, 0 },
	{ "claim-idle",		K_DURATION, SKW(claim_idle_ms), 400, DAY_MS, 0 },
	{ "claim-interval",	K_DURATION, SKW(claim_interval_ms), 100,
	    HOUR_MS, 0 },
	{ "max-deliveries",	K_INT,	    SKW(max_deliveries), 1, 1000, 0 },
	{ "dead-letter",	K_STR,	    SKW(dead_letter), 0, 0, KF_ZERO },
	{ "dead-maxlen",	K_INT,	    SKW(dead_maxlen), 1, 1000000000, 0 },
	{ "reply-maxlen",	K_INT,	    SKW(reply_maxlen), 1, 1000000000, 0 },
	{ "reply-ttl",		K_DURATION, SKW(reply_ttl_ms), 0, 30 * DAY_MS,
	    0 },
	{ "done-ttl",		K_DURATION, SKW(done_ttl_ms), 0, 30 * DAY_MS,
	    0 },
	{ "io-timeout",		K_DURATION, SKW(io_timeout_ms), 100,
	    600 * SECOND_MS, 0 },
};
#define NSKEYS	(sizeof(skeys) / sizeof(skeys[0]))
_Static_assert(NSKEYS <= 32, "more source keywords than bits in `set'");

#define SET(kw)	(1U << (skey(kw) - skeys))

static const struct keyword *
skey(const char *kw)
{
	return keyword_find(skeys, NSKEYS, kw);
}

static void
source_defaults(struct fp_source *s)
{
	memset(s, 0, sizeof(*s));
	strlcpy(s->host, "127.0.0.1", sizeof(s->host));
	s->port = 6379;
	strlcpy(s->group, "forkpool", sizeof(s->group));
	strlcpy(s->consumer, "%h/%n", sizeof(s->consumer));
	s->batch = 64;
	s->max_inflight = 256;
	s->claim_idle_ms = 30 * SECOND_MS;
	s->claim_interval_ms = SECOND_MS;
	s->max_deliveries = 3;
	s->dead_maxlen = 10000;
	s->reply_maxlen = 1000;
	s->reply_ttl_ms = 3600 * SECOND_MS;
	s->done_ttl_ms = 300 * SECOND_MS;
	s->io_timeout_ms = 5 * SECOND_MS;
}

void
config_source_hostname(char *buf, size_t len)
{
	if (gethostname(buf, len - 1) == -1 || buf[0] == '\0')
		strlcpy(buf, "localhost", len);
	buf[len - 1] = '\0';
	/* One word: it is a field of the lease key's value. */
	buf[strcspn(buf, " \t\r\n")] = '\0';
}

int
config_source_consumer(const struct fp_source *s, char *out, size_t len)
{
	char		 host[256], one[2] = { 0, 0 };
	const char	*p, *add;
	size_t		 n = 0;

	config_source_hostname(host, sizeof(host));
	out[0] = '\0';
	for (p = s->consumer; *p != '\0'; p++) {
		add = one;
		if (*p == '%' && p[1] == 'h')
			add = host;
		else if (*p == '%' && p[1] == 'n')
			add = s->name;
		else if (*p == '%' && p[1] == '%')
			add = "%";
		else
			one[0] = *p;
		if (add != one)
			p++;
		if ((n = strlcat(out, add, len)) >= len)
			return -1;
	}
	return n == 0 ? -1 : 0;
}

int
config_source_begin(struct fp_config *c, char **val, int nval,
    const char *path, int lineno, char *err, size_t errlen)
{
	struct fp_source *s;
	char		 q[256];
	int		 i;

	if (nval != 3 || strcmp(val[2], "{") != 0)
		return cfgerr(err, errlen, path, lineno, "source: expected "
		    "source NAME redis { (the block's keywords on the lines "
		    "below, then } alone)");
	if (strcmp(val[1], "redis") != 0)
		return cfgerr(err, errlen, path, lineno, "source %s %s: unknown "
		    "type (expected redis)", log_quote(val[0], q, sizeof(q)),
		    val[1]);
	if (!redis_available())
		return cfgerr(err, errlen, path, lineno, "source %s: this "
		    "forkpoold was built without Redis support (hiredis, "
		    "Debian libhiredis-dev)", log_quote(val[0], q, sizeof(q)));
	if (val[0][0] == '\0' || strlen(val[0]) >= sizeof(s->name))
		return cfgerr(err, errlen, path, lineno, "source: the name must "
		    "be 1 to %zu bytes", sizeof(s->name) - 1);
	for (i = 0; i < c->nsource; i++)
		if (strcmp(c->source[i].name, val[0]) == 0)
			return cfgerr(err, errlen, path, lineno, "source %s: "
			    "given twice (first on line %d)",
			    log_quote(val[0], q, sizeof(q)), c->source[i].line);
	if (c->nsource == FP_CONF_SOURCES)
		return cfgerr(err, errlen, path, lineno, "source %s: too many "
		    "sources (%d at most)", log_quote(val[0], q, sizeof(q)),
		    FP_CONF_SOURCES);
	s = &c->source[c->nsource++];
	source_defaults(s);
	strlcpy(s->name, val[0], sizeof(s->name));
	s->line = lineno;
	return 0;
}

/*
 * The secret in s->password_file: its first line, "PASSWORD" or "USER
 * PASSWORD" (Redis 6 ACL).  Read at every load, so that a reload sees a
 * changed one; only a regular file (read_file).
 */
static int
read_password(struct fp_source *s, const char *path, int lineno, char *err,
    size_t errlen)
{
	char	*text, *eol, *sp, ferr[PATH_MAX + 128];
	size_t	 len;
	int	 rc = 0;

	if (read_file(s->password_file, 0, &text, &len, ferr,
	    sizeof(ferr)) != 0)
		return cfgerr(err, errlen, path, lineno, "source %s: "
		    "password-file: %s", s->name, ferr);
	if ((eol = strpbrk(text, "\r\n")) != NULL)
		*eol = '\0';
	sp = strchr(text, ' ');
	if (text[0] == '\0')
		rc = cfgerr(err, errlen, path, lineno, "source %s: "
		    "password-file: the first line is empty", s->name);
	else if (sp != NULL && (sp == text || sp[1] == '\0' ||
	    strchr(sp + 1, ' ') != NULL))
		rc = cfgerr(err, errlen, path, lineno, "source %s: "
		    "password-file: expected PASSWORD or USER PASSWORD on the "
		    "first line", s->name);
	else if (strlen(text) >= sizeof(s->auth_pass))
		rc = cfgerr(err, errlen, path, lineno, "source %s: "
		    "password-file: the first line is too long", s->name);
	else if (sp != NULL) {
		*sp = '\0';
		strlcpy(s->auth_user, text, sizeof(s->auth_user));
		strlcpy(s->auth_pass, sp + 1, sizeof(s->auth_pass));
	} else
		strlcpy(s->auth_pass, text, sizeof(s->auth_pass));
	explicit_bzero(text, len);
	free(text);
	return rc;
}

/*
 * The hash tag of a key, as Redis Cluster finds it: what is between the
 * first `{' and the next `}', if that is not empty; else none (NULL).
 */
static const char *
hash_tag(const char *key, size_t *len)
{
	const char	*o, *e;

	if ((o = strchr(key, '{')) == NULL || (e = strchr(o + 1, '}')) ==
	    NULL || e == o + 1)
		return NULL;
	*len = (size_t)(e - o - 1);
	return o + 1;
}

static int
same_tag(const char *a, const char *b)
{
	const char	*ta, *tb;
	size_t		 la = 0, lb = 0;

	ta = hash_tag(a, &la);
	tb = hash_tag(b, &lb);
	if (ta == NULL || tb == NULL)
		return ta == tb;
	return la == lb && memcmp(ta, tb, la) == 0;
}

/* The block of s is closed: what it must hold, and how its timers relate. */
static int
source_check(struct fp_source *s, const char *path, int lineno, char *err,
    size_t errlen)
{
	char	 q[FP_SRC_STR * 4];

	if (s->stream[0] == '\0')
		return cfgerr(err, errlen, path, lineno, "source %s: no stream "
		    "given", s->name);
	if (config_source_consumer(s, q, FP_SRC_STR) == -1)
		return cfgerr(err, errlen, path, lineno, "source %s: consumer: "
		    "empty or longer than %d bytes once %%h and %%n are "
		    "replaced", s->name, FP_SRC_STR - 1);
	if (s->path[0] != '\0' && (s->set & (SET("address") | SET("port"))))
		return cfgerr(err, errlen, path, lineno, "source %s: socket "
		    "excludes address and port", s->name);
	if (!(s->set & SET("dead-letter"))) {
		char	 dl[sizeof(s->dead_letter)] = { 0 };

		if (snprintf(dl, sizeof(dl), "%s:dead", s->stream) >=
		    (int)sizeof(dl))
			return cfgerr(err, errlen, path, lineno, "source %s: "
			    "stream name too long for its dead-letter stream",
			    s->name);
		memcpy(s->dead_letter, dl, sizeof(dl));
	}
	if (s->claim_interval_ms >= s->claim_idle_ms)
		return cfgerr(err, errlen, path, lineno, "source %s: "
		    "claim-interval must be shorter than claim-idle", s->name);
	if (s->io_timeout_ms * 2 > s->claim_idle_ms)
		return cfgerr(err, errlen, path, lineno, "source %s: io-timeout "
		    "must be at most half of claim-idle (a stalled connection "
		    "is dropped before its leases lapse)", s->name);
	if (s->dead_letter[0] != '\0' && !same_tag(s->stream,
	    s->dead_letter))
		return cfgerr(err, errlen, path, lineno, "source %s: "
		    "dead-letter %s must carry the stream's hash tag (the "
		    "{...} part), so that one script may write both in a Redis "
		    "Cluster", s->name, log_quote(s->dead_letter, q,
		    sizeof(q)));
	if (strcmp(s->dead_letter, s->stream) == 0)
		return cfgerr(err, errlen, path, lineno, "source %s: "
		    "dead-letter is the stream itself", s->name);
	if (s->password_file[0] != '\0')
		return read_password(s, path, lineno, err, errlen);
	return 0;
}

int
config_source_line(struct fp_config *c, const char *kw, char **val,
    int nval, const char *path, int lineno, char *err, size_t errlen)
{
	struct fp_source *s = &c->source[c->nsource - 1];
	const struct keyword *k;
	struct keyword	 kk;
	const char	*why = NULL;
	char		 q[256], qk[256];

	if (strcmp(kw, "}") == 0) {
		if (nval != 0)
			return cfgerr(err, errlen, path, lineno, "source %s: "
			    "unexpected text after }", s->name);
		return source_check(s, path, s->line, err, errlen) == -1 ?
		    -1 : 1;
	}
	if ((k = skey(kw)) == NULL)
		return cfgerr(err, errlen, path, lineno, "source %s: unknown "
		    "keyword %s (or a missing })", s->name,
		    log_quote(kw, qk, sizeof(qk)));
	if (nval != 1)
		return cfgerr(err, errlen, path, lineno, "source %s: %s: %s",
		    s->name, kw, nval == 0 ? "missing value" : "one value a "
		    "line (quote values with spaces)");
	if (s->set & (1U << (k - skeys)))
		return cfgerr(err, errlen, path, lineno, "source %s: %s: given "
		    "twice", s->name, kw);
	kk = *k;
	kk.off += offsetof(struct fp_config, source) +
	    (size_t)(c->nsource - 1) * sizeof(struct fp_source);
	if (set_value(c, &kk, val[0], &why) == -1)
		return cfgerr(err, errlen, path, lineno, "source %s: %s %s: %s",
		    s->name, kw, log_quote(val[0], q, sizeof(q)), why);
	if (k->type == K_PATH && s->password_file[0] != '\0' &&
	    s->password_file[0] != '/')
		return cfgerr(err, errlen, path, lineno, "source %s: %s: the "
		    "path must be absolute", s->name, kw);
	s->set |= 1U << (k - skeys);
	return 0;
}

int
config_source_end(struct fp_config *c, int open, const char *path,
    char *err, size_t errlen)
{
	const struct fp_source *a, *b;
	int		 i, j;

	if (open)
		return cfgerr(err, errlen, path, c->source[c->nsource - 1].line,
		    "source %s: block not closed (a } alone on a line)",
		    c->source[c->nsource - 1].name);
	for (i = 0; i < c->nsource; i++)
		for (j = 0; j < i; j++) {
			a = &c->source[i];
			b = &c->source[j];
			if (strcmp(a->host, b->host) == 0 && a->port ==
			    b->port && strcmp(a->path, b->path) == 0 &&
			    strcmp(a->stream, b->stream) == 0 &&
			    strcmp(a->group, b->group) == 0)
				return cfgerr(err, errlen, path, a->line,
				    "source %s: the same stream and group as "
				    "source %s (line %d)", a->name, b->name,
				    b->line);
		}
	return 0;
}

/*
 * Whether two blocks ask for the same: every value alike, wherever in the
 * file and whichever were written out (-nv's output reads back the same).
 * The password is not compared: a new one is used from the next
 * connection on.
 */
static int
same_source(const struct fp_source *a, const struct fp_source *b)
{
#define SAME_STR(f)	(strcmp(a->f, b->f) == 0)
#define SAME(f)		(a->f == b->f)
	return SAME_STR(name) && SAME_STR(host) && SAME(port) &&
	    SAME_STR(path) && SAME_STR(password_file) && SAME_STR(stream) &&
	    SAME_STR(group) && SAME_STR(consumer) && SAME(batch) &&
	    SAME(max_inflight) && SAME(claim_idle_ms) &&
	    SAME(claim_interval_ms) && SAME(max_deliveries) &&
	    SAME_STR(dead_letter) && SAME(dead_maxlen) && SAME(reply_maxlen) &&
	    SAME(reply_ttl_ms) && SAME(done_ttl_ms) && SAME(io_timeout_ms);
#undef SAME
#undef SAME_STR
}

int
config_same_sources(const struct fp_config *a, const struct fp_config *b)
{
	int	 i;

	if (a->nsource != b->nsource)
		return 0;
	for (i = 0; i < a->nsource; i++)
		if (!same_source(&a->source[i], &b->source[i]))
			return 0;
	return 1;
}

static void
print_str(FILE *fp, const char *kw, const char *v)
{
	fprintf(fp, "\t%s ", kw);
	put_quoted(fp, v);
	fputc('\n', fp);
}

void
config_source_print(const struct fp_config *c, FILE *fp)
{
	const struct fp_source *s;
	int		 i;

	for (i = 0; i < c->nsource; i++) {
		s = &c->source[i];
		fputs("source ", fp);
		put_quoted(fp, s->name);
		fputs(" redis {\n", fp);
		if (s->path[0] != '\0')
			print_str(fp, "socket", s->path);
		else {
			print_str(fp, "address", s->host);
			fprintf(fp, "\tport %u\n", s->port);
		}
		if (s->password_file[0] != '\0')
			print_str(fp, "password-file", s->password_file);
		print_str(fp, "stream", s->stream);
		print_str(fp, "group", s->group);
		print_str(fp, "consumer", s->consumer);
		fprintf(fp, "\tbatch %u\n", s->batch);
		fprintf(fp, "\tmax-inflight %u\n", s->max_inflight);
		print_duration(fp, "\tclaim-idle", s->claim_idle_ms);
		print_duration(fp, "\tclaim-interval", s->claim_interval_ms);
		fprintf(fp, "\tmax-deliveries %u\n", s->max_deliveries);
		if (s->dead_letter[0] != '\0')
			print_str(fp, "dead-letter", s->dead_letter);
		else
			fputs("\tdead-letter none\n", fp);
		fprintf(fp, "\tdead-maxlen %u\n", s->dead_maxlen);
		fprintf(fp, "\treply-maxlen %u\n", s->reply_maxlen);
		print_duration(fp, "\treply-ttl", s->reply_ttl_ms);
		print_duration(fp, "\tdone-ttl", s->done_ttl_ms);
		print_duration(fp, "\tio-timeout", s->io_timeout_ms);
		fputs("}\n", fp);
	}
}
