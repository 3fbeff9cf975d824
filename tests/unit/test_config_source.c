/*
 * test_config_source.c -- the `source NAME redis { ... }' blocks of
 * forkpool.conf(5) (config_source.c): the defaults of a block, every
 * keyword with its field's width, several blocks and their limits, the
 * block syntax, ranges and units, the checks made at the closing brace,
 * password files, -nv output that reads back the same, config_same_sources
 * on reload, and messages that stay valid UTF-8 whatever the file holds.
 */
#include <sys/stat.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "redis.h"
#include "check.h"

static char	 path[96];	/* the configuration file */
static char	 pwdir[96];	/* a directory for password files */

/* ---- helpers ------------------------------------------------------------ */

static void
write_file(const char *p, const char *text)
{
	FILE	*fp = fopen(p, "w");

	CHECK(fp != NULL);
	if (fp == NULL)
		return;
	fputs(text, fp);
	fclose(fp);
}

static int
load_text(struct fp_config *c, const char *text, char *err, size_t errlen)
{
	write_file(path, text);
	config_defaults(c);
	err[0] = '\0';
	return config_load(c, path, 0, err, errlen);
}

/* The file must load; its message is printed if it does not. */
static int
good(struct fp_config *c, const char *text)
{
	char	 err[1024];

	if (load_text(c, text, err, sizeof(err)) == 0)
		return 1;
	fprintf(stderr, "for \"%s\": refused: %s\n", text, err);
	return 0;
}

/*
 * The file must be rejected, the message clean and containing `want' and,
 * if not NULL, not `unwanted'.
 */
static void
bad2(const char *text, const char *want, const char *unwanted)
{
	struct fp_config *c = malloc(sizeof(*c));
	char		 err[PATH_MAX + 256] = "";	/* forkpoold's */

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(load_text(c, text, err, sizeof(err)) == -1);
	CHECK(check_clean_text(err));
	if (strstr(err, want) == NULL || (unwanted != NULL &&
	    strstr(err, unwanted) != NULL)) {
		fprintf(stderr, "for \"%s\": got \"%s\", want \"%s\"%s%s\n",
		    text, err, want, unwanted ? " without " : "",
		    unwanted ? unwanted : "");
		CHECK(strstr(err, want) != NULL);
		CHECK(unwanted == NULL || strstr(err, unwanted) == NULL);
	}
	free(c);
}

static void
bad(const char *text, const char *want)
{
	bad2(text, want, NULL);
}

/*
 * Refused as an unknown keyword of block `name' on line `at' (":3:"), the
 * keyword named right after, quoted or not.
 */
static void
bad_kw(const char *text, const char *at, const char *name, const char *kw)
{
	struct fp_config *c = malloc(sizeof(*c));
	char		 err[512] = "", want[128];
	const char	*p;
	size_t		 n = strlen(kw);
	int		 ok;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(load_text(c, text, err, sizeof(err)) == -1);
	CHECK(check_clean_text(err));
	snprintf(want, sizeof(want), "%s source %s: unknown keyword ", at,
	    name);
	ok = (p = strstr(err, want)) != NULL;
	if (ok) {
		p += strlen(want);
		ok = (strncmp(p, kw, n) == 0 && (p[n] == ' ' ||
		    p[n] == '\0')) || (p[0] == '"' && strncmp(p + 1, kw, n) ==
		    0 && p[n + 1] == '"');
	}
	if (!ok)
		fprintf(stderr, "for \"%s\": got \"%s\", want \"%s%s\"\n", text,
		    err, want, kw);
	CHECK(ok);
	free(c);
}

/* A block "source NAME redis {" BODY "}" in one of a few buffers. */
static const char *
blk(const char *name, const char *body)
{
	static char	 bufs[4][16384];
	static int	 i;
	char		*b = bufs[i++ % 4];

	snprintf(b, sizeof(bufs[0]), "source %s redis {\n%s}\n", name, body);
	return b;
}

/* A string of n bytes, 'a' to 'z' over and over (n < sizeof buf). */
static const char *
str_n(char *buf, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++)
		buf[i] = (char)('a' + i % 26);
	buf[n] = '\0';
	return buf;
}

/*
 * The fields of struct fp_source, to compare them one by one (never the
 * padding, never the bytes after a string's NUL).
 */
#define SF(f, str)	{ #f, offsetof(struct fp_source, f),		\
	    sizeof(((struct fp_source *)0)->f), str }
struct sfield {
	const char	*name;
	size_t		 off, size;
	int		 str;
};
static const struct sfield sfields[] = {
	SF(name, 1), SF(line, 0), SF(host, 1), SF(port, 0), SF(path, 1),
	SF(password_file, 1), SF(stream, 1), SF(group, 1), SF(consumer, 1),
	SF(batch, 0), SF(max_inflight, 0), SF(claim_idle_ms, 0),
	SF(claim_interval_ms, 0), SF(max_deliveries, 0), SF(dead_letter, 1),
	SF(dead_maxlen, 0), SF(reply_maxlen, 0), SF(reply_ttl_ms, 0),
	SF(done_ttl_ms, 0), SF(io_timeout_ms, 0), SF(auth_user, 1),
	SF(auth_pass, 1), SF(set, 0),
};
#define NSFIELDS	(sizeof(sfields) / sizeof(sfields[0]))

static const struct sfield *
sfield(const char *name)
{
	size_t	 i;

	for (i = 0; i < NSFIELDS; i++)
		if (strcmp(sfields[i].name, name) == 0)
			return &sfields[i];
	fprintf(stderr, "no field %s\n", name);
	abort();
}

static int
field_eq(const struct fp_source *a, const struct fp_source *b,
    const struct sfield *f)
{
	const char	*pa = (const char *)a + f->off;
	const char	*pb = (const char *)b + f->off;

	if (f->str)
		return memchr(pa, '\0', f->size) != NULL &&
		    memchr(pb, '\0', f->size) != NULL && strcmp(pa, pb) == 0;
	return memcmp(pa, pb, f->size) == 0;
}

/* A number field read with its own width. */
static uint64_t
field_num(const struct fp_source *s, const struct sfield *f)
{
	uint64_t	 u64;
	uint32_t	 u32;

	if (f->size == sizeof(u64)) {
		memcpy(&u64, (const char *)s + f->off, sizeof(u64));
		return u64;
	}
	if (f->size == sizeof(u32)) {
		memcpy(&u32, (const char *)s + f->off, sizeof(u32));
		return u32;
	}
	fprintf(stderr, "field %s: %zu bytes\n", f->name, f->size);
	return UINT64_MAX;
}

/*
 * Whether a and b hold the same fields but those named in `skip'
 * (space-separated, " name " form); the first other is reported.
 */
static int
same_fields(const struct fp_source *a, const struct fp_source *b,
    const char *skip, const char *what)
{
	char	 key[64];
	size_t	 i;

	for (i = 0; i < NSFIELDS; i++) {
		snprintf(key, sizeof(key), " %s ", sfields[i].name);
		if (skip != NULL && strstr(skip, key) != NULL)
			continue;
		if (!field_eq(a, b, &sfields[i])) {
			fprintf(stderr, "%s: field %s differs\n", what,
			    sfields[i].name);
			return 0;
		}
	}
	return 1;
}

static int
popcount32(uint32_t v)
{
	int	 n = 0;

	for (; v != 0; v &= v - 1)
		n++;
	return n;
}

/* ---- the defaults ---------------------------------------------------------- */

static void
defaults(void)
{
	struct fp_config *c = malloc(sizeof(*c));
	const struct fp_source *s;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	config_defaults(c);
	CHECK(c->nsource == 0);
	CHECK(c->source_queue_share == 50);

	/*
	 * sfields[] is struct fp_source, in order, whole: nothing but
	 * alignment padding between its fields (a field added to the
	 * structure and not here leaves a gap of its size).
	 */
	{
		size_t	 i, end = 0;

		for (i = 0; i < NSFIELDS; i++) {
			CHECK(sfields[i].off >= end &&
			    sfields[i].off - end < sizeof(uint64_t));
			end = sfields[i].off + sfields[i].size;
		}
		CHECK(end <= sizeof(struct fp_source) &&
		    sizeof(struct fp_source) - end < sizeof(uint64_t));
	}

	CHECK(good(c, "workers 2\n\nsource a redis {\n\tstream s\n}\n"));
	s = &c->source[0];
	CHECK(c->nsource == 1);
	CHECK(c->workers == 2);
	CHECK(strcmp(s->name, "a") == 0);
	CHECK(s->line == 3);
	CHECK(strcmp(s->host, "127.0.0.1") == 0);
	CHECK(s->port == 6379);
	CHECK(s->path[0] == '\0');
	CHECK(s->password_file[0] == '\0');
	CHECK(strcmp(s->stream, "s") == 0);
	CHECK(strcmp(s->group, "forkpool") == 0);
	CHECK(strcmp(s->consumer, "%h/%n") == 0);
	CHECK(s->batch == 64);
	CHECK(s->max_inflight == 256);
	CHECK(s->claim_idle_ms == 30000);
	CHECK(s->claim_interval_ms == 1000);
	CHECK(s->max_deliveries == 3);
	CHECK(strcmp(s->dead_letter, "s:dead") == 0);
	CHECK(s->dead_maxlen == 10000);
	CHECK(s->reply_maxlen == 1000);
	CHECK(s->reply_ttl_ms == 3600000);
	CHECK(s->done_ttl_ms == 300000);
	CHECK(s->io_timeout_ms == 5000);
	CHECK(s->auth_user[0] == '\0' && s->auth_pass[0] == '\0');
	/* The global keyword that goes with the sources. */
	CHECK(c->source_queue_share == 50);

	/* The longest stream that leaves room for ":dead" (255 bytes). */
	{
		char	 st[256], body[512], want[300];

		snprintf(body, sizeof(body), "stream %s\n", str_n(st, 250));
		CHECK(good(c, blk("a", body)));
		snprintf(want, sizeof(want), "%s:dead", st);
		CHECK(strcmp(c->source[0].dead_letter, want) == 0);
		snprintf(body, sizeof(body), "stream %s\n", str_n(st, 251));
		bad(blk("a", body), ":1: source a: stream name too long for "
		    "its dead-letter stream");
		/* ... unless the dead-letter stream is given. */
		snprintf(body, sizeof(body), "stream %s\ndead-letter x\n",
		    str_n(st, 255));
		CHECK(good(c, blk("a", body)));
		CHECK(strcmp(c->source[0].stream, st) == 0);
		CHECK(strcmp(c->source[0].dead_letter, "x") == 0);
	}

	/* source-queue-share: 1 to 100. */
	CHECK(good(c, "source-queue-share 1\n") && c->source_queue_share == 1);
	CHECK(good(c, "source-queue-share 100\n") &&
	    c->source_queue_share == 100);
	bad("source-queue-share 0\n", "source-queue-share 0: out of range");
	bad("source-queue-share 101\n", "source-queue-share 101: out of range");
	bad("source-queue-share 50%\n", "expected a number");
	free(c);
}

/* ---- each keyword, its field and its width -------------------------------- */

/*
 * Load the block with `base' as its body, then with `body': the field
 * named `field' must hold num (or str), `also' (" name " form, or NULL)
 * may differ too, every other field must be as in the first, and `set'
 * must have gained `newbits' bits and lost none.
 */
static int
width_case(const char *base, const char *body, const char *field,
    uint64_t num, const char *str, const char *also, int newbits)
{
	struct fp_config *c = malloc(sizeof(*c)), *b = malloc(sizeof(*b));
	const struct sfield *f = sfield(field);
	const char	*got;
	char		 skip[256];
	int		 ok = 1;

	if (c == NULL || b == NULL) {
		free(c);
		free(b);
		return 0;
	}
	if (!good(b, blk("w", base)) || !good(c, blk("w", body))) {
		free(c);
		free(b);
		return 0;
	}
	if (str != NULL) {
		got = (const char *)&c->source[0] + f->off;
		if (memchr(got, '\0', f->size) == NULL || strcmp(got, str)
		    != 0) {
			fprintf(stderr, "%s: field %s holds \"%.*s\"\n", body,
			    field, (int)f->size, got);
			ok = 0;
		}
	} else if (field_num(&c->source[0], f) != num) {
		fprintf(stderr, "%s: field %s holds %llu\n", body, field,
		    (unsigned long long)field_num(&c->source[0], f));
		ok = 0;
	}
	snprintf(skip, sizeof(skip), " %s set %s", field, also ? also : "");
	if (!same_fields(&b->source[0], &c->source[0], skip, body))
		ok = 0;
	if ((c->source[0].set & b->source[0].set) != b->source[0].set ||
	    popcount32(c->source[0].set) - popcount32(b->source[0].set) !=
	    newbits) {
		fprintf(stderr, "%s: set %#x after %#x\n", body,
		    c->source[0].set, b->source[0].set);
		ok = 0;
	}
	/* Nothing outside the block moved. */
	if (c->nsource != 1 || c->workers != b->workers ||
	    strcmp(c->group, b->group) != 0 || c->source_queue_share !=
	    b->source_queue_share)
		ok = 0;
	free(c);
	free(b);
	return ok;
}

static void
widths(void)
{
	static const struct {
		const char	*base, *line, *field;
		uint64_t	 num;
	} ncases[] = {
		{ "stream s\n", "port 65535", "port", 65535 },
		{ "stream s\n", "batch 10000", "batch", 10000 },
		{ "stream s\n", "max-inflight 100000", "max_inflight", 100000 },
		{ "stream s\ndone-ttl 30d\n", "claim-idle 1d", "claim_idle_ms",
		    86400000 },
		{ "stream s\nclaim-idle 1d\ndone-ttl 30d\n",
		    "claim-interval 1h", "claim_interval_ms", 3600000 },
		{ "stream s\n", "max-deliveries 1000", "max_deliveries", 1000 },
		{ "stream s\n", "dead-maxlen 1000000000", "dead_maxlen",
		    1000000000 },
		{ "stream s\n", "reply-maxlen 1000000000", "reply_maxlen",
		    1000000000 },
		{ "stream s\n", "reply-ttl 30d", "reply_ttl_ms", 2592000000ULL },
		{ "stream s\n", "done-ttl 30d", "done_ttl_ms", 2592000000ULL },
		{ "stream s\nclaim-idle 1d\ndone-ttl 30d\n", "io-timeout 600s",
		    "io_timeout_ms", 600000 },
	};
	static const char *const kwdone[] = { "port", "batch", "max-inflight",
	    "claim-idle", "claim-interval", "max-deliveries", "dead-maxlen",
	    "reply-maxlen", "reply-ttl", "done-ttl", "io-timeout", "address",
	    "socket", "password-file", "stream", "group", "consumer",
	    "dead-letter", NULL };
	struct fp_config *c;
	char		 body[8192], v[PATH_MAX + 8], pw[PATH_MAX + 8];
	char		*text = NULL, *line, *save, *sp;
	size_t		 i, n, tlen = 0;
	uint32_t	 seen;
	int		 inblock = 0, k;
	FILE		*fp;

	for (i = 0; i < sizeof(ncases) / sizeof(ncases[0]); i++) {
		snprintf(body, sizeof(body), "%s%s\n", ncases[i].base,
		    ncases[i].line);
		if (!width_case(ncases[i].base, body, ncases[i].field,
		    ncases[i].num, NULL, NULL, 1)) {
			fprintf(stderr, "width case %s failed\n",
			    ncases[i].line);
			CHECK(0);
		} else
			CHECK(1);
	}

	/* The strings, at their longest. */
	snprintf(body, sizeof(body), "stream s\naddress %s\n", str_n(v, 255));
	CHECK(width_case("stream s\n", body, "host", 0, v, NULL, 1));
	str_n(v + 1, 106);
	v[0] = '/';
	snprintf(body, sizeof(body), "stream s\nsocket %s\n", v);
	CHECK(width_case("stream s\n", body, "path", 0, v, NULL, 1));
	snprintf(body, sizeof(body), "stream s\ngroup %s\n", str_n(v, 255));
	CHECK(width_case("stream s\n", body, "group", 0, v, NULL, 1));
	snprintf(body, sizeof(body), "stream s\nconsumer %s\n", str_n(v, 255));
	CHECK(width_case("stream s\n", body, "consumer", 0, v, NULL, 1));
	snprintf(body, sizeof(body), "stream s\ndead-letter %s\n",
	    str_n(v, 255));
	CHECK(width_case("stream s\n", body, "dead_letter", 0, v, NULL, 1));
	snprintf(body, sizeof(body), "dead-letter none\nstream %s\n",
	    str_n(v, 255));
	CHECK(width_case("dead-letter none\nstream s\n", body, "stream", 0, v,
	    NULL, 0));
	/* One byte more is refused. */
	snprintf(body, sizeof(body), "stream s\naddress %s\n", str_n(v, 256));
	bad(blk("a", body), "source a: address");
	bad(blk("a", body), ": too long");
	str_n(v + 1, 107);
	v[0] = '/';
	snprintf(body, sizeof(body), "stream s\nsocket %s\n", v);
	bad(blk("a", body), "socket path too long (107 bytes at most)");
	snprintf(body, sizeof(body), "stream s\ngroup %s\n", str_n(v, 256));
	bad(blk("a", body), ": too long");
	snprintf(body, sizeof(body), "stream s\nconsumer %s\n", str_n(v, 256));
	bad(blk("a", body), ": too long");
	snprintf(body, sizeof(body), "stream s\ndead-letter %s\n",
	    str_n(v, 256));
	bad(blk("a", body), ": too long");
	snprintf(body, sizeof(body), "dead-letter none\nstream %s\n",
	    str_n(v, 256));
	bad(blk("a", body), ": too long");

	/*
	 * password-file: a path of PATH_MAX - 1 bytes (slashes repeated) to
	 * a real file; the secret read from it may differ too.
	 */
	snprintf(pw, sizeof(pw), "%s/pw", pwdir);
	write_file(pw, "s3cret\n");
	n = strlen(pwdir);
	memcpy(v, pwdir, n);
	memset(v + n, '/', PATH_MAX - 1 - n - 2);
	memcpy(v + PATH_MAX - 3, "pw", 3);
	CHECK(strlen(v) == PATH_MAX - 1);
	snprintf(body, sizeof(body), "stream s\npassword-file %s\n", v);
	CHECK(width_case("stream s\n", body, "password_file", 0, v,
	    " auth_pass ", 1));
	memmove(v + 1, v, PATH_MAX);
	snprintf(body, sizeof(body), "stream s\npassword-file %s\n", v);
	bad(blk("a", body), "password-file");
	bad(blk("a", body), "path too long");

	/*
	 * Every keyword of the printed blocks (one on TCP, one on a socket
	 * with a password file) has its case above, and each case's keyword
	 * is printed.
	 */
	c = malloc(sizeof(*c));
	snprintf(body, sizeof(body), "source a redis {\nstream s\n}\n"
	    "source b redis {\nstream t\nsocket /r.sock\npassword-file %s\n"
	    "}\n", pw);
	CHECK(c != NULL && good(c, body));
	fp = open_memstream(&text, &tlen);
	config_print(c, fp);
	fclose(fp);
	k = 0;
	seen = 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "source ", 7) == 0) {
			inblock = 1;
			continue;
		}
		if (!inblock)
			continue;
		if (strcmp(line, "}") == 0) {
			inblock = 0;
			continue;
		}
		line += strspn(line, "\t ");
		if ((sp = strchr(line, ' ')) != NULL)
			*sp = '\0';
		for (i = 0; kwdone[i] != NULL; i++)
			if (strcmp(kwdone[i], line) == 0)
				break;
		if (kwdone[i] == NULL)
			fprintf(stderr, "keyword %s: no width case\n", line);
		CHECK(kwdone[i] != NULL);
		seen |= 1U << i;
		k++;
	}
	/* 16 lines each: address and port, or socket and password-file. */
	CHECK(k == 32);
	for (i = 0; kwdone[i] != NULL; i++)
		if (!(seen & (1U << i))) {
			fprintf(stderr, "keyword %s: not printed\n", kwdone[i]);
			CHECK(0);
		}
	free(text);
	free(c);
}

/* ---- several blocks ------------------------------------------------------- */

static void
blocks(void)
{
	struct fp_config *c = malloc(sizeof(*c));
	char		 text[8192], want[128];
	size_t		 o = 0;
	int		 i;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	/* 16 blocks, 4 lines each. */
	for (i = 0; i < FP_CONF_SOURCES; i++)
		o += (size_t)snprintf(text + o, sizeof(text) - o,
		    "source s%d redis {\n\tstream st%d\n\tbatch %d\n}\n", i, i,
		    i + 1);
	CHECK(good(c, text));
	CHECK(c->nsource == FP_CONF_SOURCES);
	for (i = 0; i < c->nsource; i++) {
		char	 nm[16], st[16];

		snprintf(nm, sizeof(nm), "s%d", i);
		snprintf(st, sizeof(st), "st%d", i);
		CHECK(strcmp(c->source[i].name, nm) == 0);
		CHECK(strcmp(c->source[i].stream, st) == 0);
		CHECK(c->source[i].batch == (uint32_t)i + 1);
		CHECK(c->source[i].line == 4 * i + 1);
	}
	/* The 17th is refused on its line. */
	snprintf(text + o, sizeof(text) - o,
	    "source s16 redis {\n\tstream st16\n}\n");
	snprintf(want, sizeof(want), ":%d: source s16: too many sources (16 "
	    "at most)", 4 * FP_CONF_SOURCES + 1);
	bad(text, want);

	/* Names: unique, 1 to 63 bytes. */
	bad("source a redis {\nstream s\n}\nsource b redis {\nstream t\n}\n"
	    "source a redis {\nstream u\n}\n",
	    ":7: source a: given twice (first on line 1)");
	bad("source \"\" redis {\nstream s\n}\n", ":1: source: the name must "
	    "be 1 to 63 bytes");
	{
		char	 nm[80];

		str_n(nm, 63);
		CHECK(good(c, blk(nm, "stream s\n")) &&
		    strcmp(c->source[0].name, nm) == 0);
		str_n(nm, 64);
		bad(blk(nm, "stream s\n"), "the name must be 1 to 63 bytes");
	}

	/* The same (host, port, socket, stream, group) twice. */
	bad("source a redis {\nstream s\n}\n\nsource b redis {\nstream s\n}\n",
	    ":5: source b: the same stream and group as source a (line 1)");
	bad("source a redis {\nstream s\ngroup g\n}\n"
	    "source b redis {\ngroup g\nstream s\naddress 127.0.0.1\n"
	    "port 6379\n}\n", "source b: the same stream and group as source a");
	bad("source a redis {\nsocket /r.sock\nstream s\n}\n"
	    "source b redis {\nsocket /r.sock\nstream s\n}\n",
	    "the same stream and group");
	/* ... but another group, server, port or socket is another source. */
	CHECK(good(c, "source a redis {\nstream s\n}\n"
	    "source b redis {\nstream s\ngroup other\n}\n"));
	CHECK(c->nsource == 2 && strcmp(c->source[1].group, "other") == 0 &&
	    strcmp(c->source[0].group, "forkpool") == 0);
	CHECK(good(c, "source a redis {\nstream s\n}\n"
	    "source b redis {\nstream s\nport 6380\n}\n"));
	CHECK(good(c, "source a redis {\nstream s\n}\n"
	    "source b redis {\nstream s\naddress 10.0.0.1\n}\n"));
	CHECK(good(c, "source a redis {\nstream s\n}\n"
	    "source b redis {\nstream s\nsocket /r.sock\n}\n"));
	CHECK(good(c, "source a redis {\nstream s\n}\n"
	    "source b redis {\nstream t\n}\n"));
	free(c);
}

/* ---- block syntax --------------------------------------------------------- */

static void
syntax(void)
{
	struct fp_config *c = malloc(sizeof(*c));
	char		 err[512];

	CHECK(c != NULL);
	if (c == NULL)
		return;
	bad("source x redis\n", ":1: source: expected source NAME redis {");
	bad("source x\n", "expected source NAME redis {");
	bad("source\n", "expected source NAME redis {");
	bad("source x redis{\nstream s\n}\n", "expected source NAME redis {");
	bad("source x redis {}\n", "expected source NAME redis {");
	bad("\nsource x kafka {\nstream s\n}\n", ":2: source x kafka: unknown "
	    "type (expected redis)");
	/*
	 * The block's keywords on the `source' line: refused as a malformed
	 * `source' line, not as an unknown keyword "source".
	 */
	bad2("source x redis { stream s }\n", "expected source NAME redis {",
	    "unknown keyword");

	/* Left open: the message names the `source' line. */
	bad("workers 2\nsource x redis {\nstream s\n", ":2: source x: block not "
	    "closed");
	bad("source a redis {\nstream s\n}\nsource x redis {\nstream s\n"
	    "# }\n", ":4: source x: block not closed");
	bad("source x redis {\nstream s\n} x\n", ":3: source x: unexpected "
	    "text after }");
	bad("source x redis {\nstream s\n} {\n", "unexpected text after }");
	bad("}\n", ":1: unknown keyword \"}\"");
	bad("source x redis {\nstream s\n}\n}\n", ":4: unknown keyword \"}\"");
	bad_kw("source x redis {\nstream s\nstreams t\n}\n", ":3:", "x",
	    "streams");
	bad("source x redis {\nstream s\n\"str eams\" t\n}\n",
	    "unknown keyword");
	bad("source x redis {\nstream s\nstream t\n}\n", ":3: source x: stream: "
	    "given twice");
	bad("source x redis {\nstream s\nbatch 1\nbatch 1\n}\n",
	    ":4: source x: batch: given twice");
	bad("source x redis {\nstream\n}\n", ":2: source x: stream: missing "
	    "value");
	bad("source x redis {\nstream s\nbatch\n}\n", "batch: missing value");
	bad("source x redis {\nstream s t\n}\n", ":2: source x: stream: one "
	    "value a line (quote values with spaces)");
	bad("source x redis {\nstream s\ngroup a b\n}\n", "group: one value a "
	    "line");
	/*
	 * Three values or more, an unterminated quote: the line's own fault,
	 * never an unknown keyword (stream is one).
	 */
	bad2("source x redis {\nstream s t u v\n}\n", ":2: source x: stream",
	    "unknown keyword");
	bad2("source x redis {\nstream \"s\n}\n", "unterminated quoted string",
	    "unknown keyword");
	bad2("source x redis {\nstream \"s\"t\n}\n", "unexpected text",
	    "unknown keyword");
	bad_kw("source x redis {\nstream s\nsource y redis {\nstream t\n}\n"
	    "}\n", ":3:", "x", "source");
	/* A global keyword inside a block is refused, not applied. */
	bad_kw("source x redis {\nstream s\nworkers 7\n}\n", ":3:", "x",
	    "workers");
	bad_kw("source x redis {\nstream s\nsource-queue-share 10\n}\n",
	    ":3:", "x", "source-queue-share");
	bad_kw("source x redis {\nstream s\nhandler echo timeout 1s\n}\n",
	    ":3:", "x", "handler");
	bad_kw("source x redis {\nstream s\nload /x.so\n}\n", ":3:", "x",
	    "load");
	config_defaults(c);
	c->workers = 9;
	write_file(path, "source x redis {\nstream s\nworkers 7\n}\n");
	CHECK(config_load(c, path, 0, err, sizeof(err)) == -1);
	CHECK(c->workers == 9 && c->nsource == 0);
	/*
	 * `group' is both a global keyword (the workers' group) and a block
	 * keyword: inside the block it is the consumer group only.
	 */
	CHECK(good(c, "source x redis {\nstream s\ngroup nogroup\n}\n"));
	CHECK(c->group[0] == '\0' && c->user[0] == '\0');
	CHECK(strcmp(c->source[0].group, "nogroup") == 0);
	/* After the brace it is the global one again. */
	bad("source x redis {\nstream s\n}\ngroup nogroup\n",
	    ":4: group nogroup: given without user");
	CHECK(good(c, "source x redis {\nstream s\n}\nworkers 7\n") &&
	    c->workers == 7 && c->nsource == 1);

	/* Comments, blank lines, indentation, CRLF, no final newline. */
	CHECK(good(c,
	    "# sources\n"
	    "source   x   redis   {   # a comment\n"
	    "\n"
	    "\t# a comment line\n"
	    "   \t\n"
	    "\tstream s # trailing\n"
	    "\tbatch 5#glued comment\n"
	    "\r\n"
	    "\tmax-inflight 6\r\n"
	    "} # end\n"
	    "source y redis {\nstream t\n}"));
	CHECK(c->nsource == 2);
	CHECK(c->source[0].line == 2 && c->source[1].line == 11);
	CHECK(strcmp(c->source[0].stream, "s") == 0);
	CHECK(c->source[0].batch == 5 && c->source[0].max_inflight == 6);
	CHECK(strcmp(c->source[1].stream, "t") == 0);

	/* Quoted values: blanks, `#', escapes of `"' and `\'. */
	CHECK(good(c,
	    "source \"my source\" redis {\n"
	    "\tstream \"{jobs a}:tasks #1\"\n"
	    "\tgroup \"g \\\"q\\\" \\\\ end\"\n"
	    "\tconsumer \"%h/%n\\\\\"\n"
	    "\tdead-letter \"{jobs a}:dl\"\n"
	    "}\n"));
	CHECK(strcmp(c->source[0].name, "my source") == 0);
	CHECK(strcmp(c->source[0].stream, "{jobs a}:tasks #1") == 0);
	CHECK(strcmp(c->source[0].group, "g \"q\" \\ end") == 0);
	CHECK(strcmp(c->source[0].consumer, "%h/%n\\") == 0);
	CHECK(strcmp(c->source[0].dead_letter, "{jobs a}:dl") == 0);
	/* Empty values are refused. */
	bad("source x redis {\nstream \"\"\n}\n", "source x: stream \"\": "
	    "empty value");
	bad("source x redis {\nstream s\naddress \"\"\n}\n", "empty value");
	bad("source x redis {\nstream s\nsocket \"\"\n}\n", "empty path");
	free(c);
}

/* ---- ranges and units ----------------------------------------------------- */

static void
ranges(void)
{
	/* Each numeric keyword: what is refused below and above. */
	static const struct {
		const char	*base, *kw, *below, *above;
	} rcases[] = {
		{ "stream s\n", "port", "0", "65536" },
		{ "stream s\n", "batch", "0", "10001" },
		{ "stream s\n", "max-inflight", "0", "100001" },
		{ "stream s\n", "claim-idle", "399ms", "86400001ms" },
		{ "stream s\nclaim-idle 1d\ndone-ttl 30d\n", "claim-interval",
		    "99ms", "3600001ms" },
		{ "stream s\n", "max-deliveries", "0", "1001" },
		{ "stream s\n", "dead-maxlen", "0", "1000000001" },
		{ "stream s\n", "reply-maxlen", "0", "1000000001" },
		{ "stream s\n", "reply-ttl", NULL, "2592000001ms" },
		{ "stream s\n", "done-ttl", NULL, "2592000001ms" },
		{ "stream s\nclaim-idle 1d\ndone-ttl 30d\n", "io-timeout",
		    "99ms", "600001ms" },
	};
	struct fp_config *c = malloc(sizeof(*c));
	char		 body[256], want[128];
	size_t		 i;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	for (i = 0; i < sizeof(rcases) / sizeof(rcases[0]); i++) {
		if (rcases[i].below != NULL) {
			snprintf(body, sizeof(body), "%s%s %s\n",
			    rcases[i].base, rcases[i].kw, rcases[i].below);
			snprintf(want, sizeof(want), "source a: %s %s: out of "
			    "range", rcases[i].kw, rcases[i].below);
			bad(blk("a", body), want);
		}
		snprintf(body, sizeof(body), "%s%s %s\n", rcases[i].base,
		    rcases[i].kw, rcases[i].above);
		snprintf(want, sizeof(want), "source a: %s %s: out of range",
		    rcases[i].kw, rcases[i].above);
		bad(blk("a", body), want);
	}
	/* The line of the value. */
	bad("source a redis {\nstream s\n\nbatch 0\n}\n", ":4: source a: batch "
	    "0: out of range");

	/* The bottom of each range is accepted. */
	CHECK(good(c, blk("a", "stream s\nport 1\nbatch 1\nmax-inflight 1\n"
	    "claim-idle 400ms\nclaim-interval 100ms\nio-timeout 100ms\n"
	    "max-deliveries 1\ndead-maxlen 1\nreply-maxlen 1\nreply-ttl 0\n"
	    "done-ttl 1s\n")));
	CHECK(c->source[0].port == 1 && c->source[0].batch == 1 &&
	    c->source[0].max_inflight == 1 &&
	    c->source[0].claim_idle_ms == 400 &&
	    c->source[0].claim_interval_ms == 100 &&
	    c->source[0].io_timeout_ms == 100 &&
	    c->source[0].max_deliveries == 1 &&
	    c->source[0].dead_maxlen == 1 && c->source[0].reply_maxlen == 1 &&
	    c->source[0].reply_ttl_ms == 0 && c->source[0].done_ttl_ms == 1000);

	/* Units: ms, s, m, h, d, and a bare number of seconds. */
	CHECK(good(c, blk("a", "stream s\nclaim-idle 1h\ndone-ttl 2d\n")));
	CHECK(c->source[0].claim_idle_ms == 3600000);
	CHECK(c->source[0].done_ttl_ms == 172800000);
	CHECK(good(c, blk("a", "stream s\nclaim-idle 2m\nreply-ttl 90\n"
	    "io-timeout 1500ms\nclaim-interval 1s\n")));
	CHECK(c->source[0].claim_idle_ms == 120000);
	CHECK(c->source[0].reply_ttl_ms == 90000);
	CHECK(c->source[0].io_timeout_ms == 1500);
	CHECK(c->source[0].claim_interval_ms == 1000);

	/* Junk. */
	bad(blk("a", "stream s\nbatch 64K\n"), "source a: batch 64K: expected "
	    "a number");
	bad(blk("a", "stream s\nport 0x10\n"), "expected a number");
	bad(blk("a", "stream s\nport -1\n"), "expected a number");
	bad(blk("a", "stream s\nport +1\n"), "expected a number");
	bad(blk("a", "stream s\nmax-deliveries 99999999999999999999\n"),
	    "expected a number");
	bad(blk("a", "stream s\nmax-inflight 1M\n"), "expected a number");
	bad(blk("a", "stream s\nclaim-idle 30x\n"), "source a: claim-idle 30x: "
	    "expected a duration");
	bad(blk("a", "stream s\nclaim-idle 1w\n"), "expected a duration");
	bad(blk("a", "stream s\nreply-ttl -1s\n"), "expected a duration");
	bad(blk("a", "stream s\nreply-ttl 1.5s\n"), "expected a duration");
	bad(blk("a", "stream s\ndone-ttl 99999999999999999d\n"),
	    "expected a duration");
	bad(blk("a", "stream s\nio-timeout 2K\n"), "expected a duration");
	free(c);
}

/* ---- the checks at the closing brace -------------------------------------- */

static void
checks(void)
{
	struct fp_config *c = malloc(sizeof(*c));

	CHECK(c != NULL);
	if (c == NULL)
		return;
	bad("\nsource a redis {\nbatch 1\n}\n", ":2: source a: no stream given");
	bad(blk("a", "stream s\nsocket /r.sock\naddress h\n"),
	    ":1: source a: socket excludes address and port");
	bad(blk("a", "stream s\nport 6379\nsocket /r.sock\n"),
	    "socket excludes address and port");
	CHECK(good(c, blk("a", "stream s\nsocket /r.sock\n")));
	CHECK(strcmp(c->source[0].path, "/r.sock") == 0);

	/* claim-interval < claim-idle. */
	bad(blk("a", "stream s\nclaim-idle 1s\nclaim-interval 1s\n"
	    "io-timeout 100ms\n"),
	    "source a: claim-interval must be shorter than claim-idle");
	bad(blk("a", "stream s\nclaim-idle 1s\nclaim-interval 1001ms\n"
	    "io-timeout 100ms\n"), "claim-interval must be shorter");
	CHECK(good(c, blk("a", "stream s\nclaim-idle 1s\nclaim-interval 999ms\n"
	    "io-timeout 100ms\n")));

	/* io-timeout <= claim-idle / 2. */
	bad(blk("a", "stream s\nclaim-idle 30s\nio-timeout 15001ms\n"),
	    "source a: io-timeout must be at most half of claim-idle");
	CHECK(good(c, blk("a", "stream s\nclaim-idle 30s\nio-timeout 15s\n")));
	bad(blk("a", "stream s\nclaim-idle 401ms\nclaim-interval 100ms\n"
	    "io-timeout 201ms\n"), "io-timeout must be at most half");
	CHECK(good(c, blk("a", "stream s\nclaim-idle 401ms\n"
	    "claim-interval 100ms\nio-timeout 200ms\n")));
	/* The default io-timeout (5s) with a short claim-idle. */
	bad(blk("a", "stream s\nclaim-idle 9s\n"), "io-timeout must be at most "
	    "half");

	/*
	 * done-ttl no longer bounds anything (the answer script checks the
	 * entry is pending): any value, 0 (no markers) included, with any
	 * claim-idle and max-deliveries.
	 */
	CHECK(good(c, blk("a", "stream s\ndone-ttl 0\n")));
	CHECK(c->source[0].done_ttl_ms == 0);
	CHECK(good(c, blk("a", "stream s\nclaim-idle 1d\nmax-deliveries 1000\n"
	    "done-ttl 1s\n")));

	/* Hash tags: the stream's and the dead-letter stream's agree. */
	bad(blk("a", "stream {a}:tasks\ndead-letter {b}:dead\n"),
	    "source a: dead-letter {b}:dead must carry the stream's hash "
	    "tag");
	bad(blk("a", "stream tasks\ndead-letter {b}:dead\n"),
	    "must carry the stream's hash tag");
	bad(blk("a", "stream {a}:tasks\ndead-letter dead\n"),
	    "must carry the stream's hash tag");
	bad(blk("a", "stream {a}:tasks\ndead-letter {ab}:dead\n"),
	    "must carry the stream's hash tag");
	bad(blk("a", "stream {ab}:tasks\ndead-letter {a}:dead\n"),
	    "must carry the stream's hash tag");
	CHECK(good(c, blk("a", "stream {a}:tasks\ndead-letter x{a}y{b}\n")));
	CHECK(good(c, blk("a", "stream {a}:tasks\n")) &&
	    strcmp(c->source[0].dead_letter, "{a}:tasks:dead") == 0);
	CHECK(good(c, blk("a", "stream {a}:tasks\ndead-letter none\n")) &&
	    c->source[0].dead_letter[0] == '\0');
	CHECK(good(c, blk("a", "stream tasks\ndead-letter dead\n")));
	/* `{}' is no tag (Redis Cluster: first `{' to the next `}', non-empty). */
	CHECK(good(c, blk("a", "stream {}:tasks\ndead-letter dead\n")));
	CHECK(good(c, blk("a", "stream {}{a}:tasks\ndead-letter dead\n")));
	bad(blk("a", "stream {}{a}:tasks\ndead-letter {a}:dead\n"),
	    "hash tag");
	CHECK(good(c, blk("a", "stream x{a}}:t\ndead-letter {a}:d\n")));
	CHECK(good(c, blk("a", "stream {a{b}:t\ndead-letter {a{b}:d\n")));
	bad(blk("a", "stream {a{b}:t\ndead-letter {b}:d\n"), "hash tag");
	/* An unclosed `{' is no tag. */
	CHECK(good(c, blk("a", "stream {a:t\ndead-letter d\n")));
	CHECK(good(c, blk("a", "stream \"{a b}:t\"\ndead-letter "
	    "\"{a b}:d\"\n")));
	/* The dead-letter stream is not the stream. */
	bad(blk("a", "stream {a}:t\ndead-letter {a}:t\n"), "source a: "
	    "dead-letter is the stream itself");
	bad(blk("a", "stream t\ndead-letter t\n"), "dead-letter is the stream "
	    "itself");
	/* "none" is no dead-letter stream, but a stream may be called so. */
	CHECK(good(c, blk("a", "stream none\n")) &&
	    strcmp(c->source[0].stream, "none") == 0 &&
	    strcmp(c->source[0].dead_letter, "none:dead") == 0);
	/* The checks report the `source' line. */
	bad("workers 1\nsource a redis {\nstream s\nclaim-idle 9s\n}\n",
	    ":2: source a: io-timeout");
	free(c);
}

/* ---- password files ------------------------------------------------------- */

/* Load a block with password-file `pw' holding `content'. */
static int
load_pw(struct fp_config *c, const char *content, char *err, size_t errlen)
{
	char	 pw[160], text[512];

	snprintf(pw, sizeof(pw), "%s/pw", pwdir);
	write_file(pw, content);
	snprintf(text, sizeof(text), "source a redis {\nstream s\n"
	    "password-file %s\n}\n", pw);
	return load_text(c, text, err, errlen);
}

static void
bad_pw(const char *content, const char *want)
{
	struct fp_config *c = malloc(sizeof(*c));
	char		 err[512];

	CHECK(c != NULL);
	if (c == NULL)
		return;
	CHECK(load_pw(c, content, err, sizeof(err)) == -1);
	CHECK(check_clean_text(err));
	/* The secret never shows in a message. */
	CHECK(strstr(err, "xyzzy") == NULL);
	if (strstr(err, want) == NULL) {
		fprintf(stderr, "password \"%s\": got \"%s\", want \"%s\"\n",
		    content, err, want);
		CHECK(0);
	}
	free(c);
}

static int
good_pw(struct fp_config *c, const char *content, const char *user,
    const char *pass)
{
	char	 err[512];

	if (load_pw(c, content, err, sizeof(err)) == -1) {
		fprintf(stderr, "password \"%s\": %s\n", content, err);
		return 0;
	}
	if (strcmp(c->source[0].auth_user, user) != 0 ||
	    strcmp(c->source[0].auth_pass, pass) != 0) {
		fprintf(stderr, "password \"%s\": got \"%s\" \"%s\"\n",
		    content, c->source[0].auth_user, c->source[0].auth_pass);
		return 0;
	}
	return 1;
}

static void
passwords(void)
{
	struct fp_config *c = malloc(sizeof(*c));
	char		 text[1024], pw[160], line[600], want[300];
	char		*out = NULL;
	size_t		 olen = 0;
	FILE		*fp;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	alarm(30);	/* a FIFO that blocked would be a failure, not a hang */
	bad(blk("a", "stream s\npassword-file redis.pass\n"),
	    ":3: source a: password-file: the path must be absolute");
	bad(blk("a", "stream s\npassword-file ./pw\n"), "must be absolute");
	bad(blk("a", "stream s\npassword-file \"\"\n"), "empty path");
	bad(blk("a", "stream s\npassword-file /nonexistent/fp.pass\n"),
	    ":1: source a: password-file: /nonexistent/fp.pass: No such file "
	    "or directory");
	snprintf(text, sizeof(text), "source a redis {\nstream s\n"
	    "password-file %s\n}\n", pwdir);
	snprintf(want, sizeof(want), "password-file: %s: not a regular file",
	    pwdir);
	bad(text, want);
	snprintf(pw, sizeof(pw), "%s/fifo", pwdir);
	unlink(pw);
	CHECK(mkfifo(pw, 0600) == 0);
	snprintf(text, sizeof(text), "source a redis {\nstream s\n"
	    "password-file %s\n}\n", pw);
	bad(text, "not a regular file");
	unlink(pw);
	bad(blk("a", "stream s\npassword-file /dev/zero\n"),
	    "not a regular file");
	CHECK(good(c, blk("a", "stream s\npassword-file none\n")));
	CHECK(c->source[0].password_file[0] == '\0' &&
	    c->source[0].auth_pass[0] == '\0');

	/* The first line. */
	bad_pw("", "password-file: the first line is empty");
	bad_pw("\nxyzzy\n", "the first line is empty");
	bad_pw("\r\nxyzzy\n", "the first line is empty");
	bad_pw("xyzzy1 xyzzy2 xyzzy3\n", "expected PASSWORD or USER PASSWORD");
	bad_pw(" xyzzy\n", "expected PASSWORD or USER PASSWORD");
	bad_pw("xyzzy \n", "expected PASSWORD or USER PASSWORD");
	bad_pw("xyzzy1  xyzzy2\n", "expected PASSWORD or USER PASSWORD");
	CHECK(good_pw(c, "s3cret\n", "", "s3cret"));
	CHECK(good_pw(c, "s3cret", "", "s3cret"));
	CHECK(good_pw(c, "s3cret\r\n", "", "s3cret"));
	CHECK(good_pw(c, "alice s3cret\r\nsecond line\n", "alice", "s3cret"));
	CHECK(good_pw(c, "alice s3cret\nbob other\n", "alice", "s3cret"));
	/* The secret is read at each load: a changed file is seen. */
	CHECK(good_pw(c, "other\n", "", "other"));
	/* 255 bytes fit, 256 do not. */
	memset(line, 'p', 255);
	strcpy(line + 255, "\n");
	CHECK(load_pw(c, line, text, sizeof(text)) == 0 &&
	    strlen(c->source[0].auth_pass) == 255 &&
	    strspn(c->source[0].auth_pass, "p") == 255);
	memset(line, 'u', 100);
	line[100] = ' ';
	memset(line + 101, 'p', 154);
	strcpy(line + 255, "\r\n");
	CHECK(load_pw(c, line, text, sizeof(text)) == 0 &&
	    strlen(c->source[0].auth_user) == 100 &&
	    strlen(c->source[0].auth_pass) == 154);
	memset(line, 'x', 256);
	memcpy(line, "xyzzy", 5);
	strcpy(line + 256, "\n");
	bad_pw(line, "password-file: the first line is too long");
	memset(line, 'x', 599);
	memcpy(line, "xyzzy", 5);
	line[599] = '\0';
	bad_pw(line, "the first line is too long");

	/* -nv prints the file, never the secret. */
	CHECK(good_pw(c, "alice xyzzy-secret\n", "alice", "xyzzy-secret"));
	fp = open_memstream(&out, &olen);
	config_print(c, fp);
	fclose(fp);
	snprintf(pw, sizeof(pw), "\tpassword-file \"%s/pw\"\n", pwdir);
	CHECK(strstr(out, pw) != NULL);
	CHECK(strstr(out, "xyzzy") == NULL);
	free(out);
	alarm(0);
	free(c);
}

/* ---- -nv output reads back the same --------------------------------------- */

static char *
printed(const struct fp_config *c)
{
	char	*text = NULL;
	size_t	 len = 0;
	FILE	*fp = open_memstream(&text, &len);

	config_print(c, fp);
	fclose(fp);
	return text;
}

/* config_print(a) loads back into b with the same sources. */
static int
round_trip(const struct fp_config *a, struct fp_config *b)
{
	char	*text = printed(a), *again;
	int	 i, ok;

	ok = good(b, text) && b->nsource == a->nsource;
	for (i = 0; ok && i < a->nsource; i++)
		ok = same_fields(&a->source[i], &b->source[i], " line set ",
		    a->source[i].name);
	if (ok) {
		/* And prints the same again. */
		again = printed(b);
		ok = strcmp(text, again) == 0;
		if (!ok)
			fprintf(stderr, "printed:\n%s\nthen:\n%s\n", text,
			    again);
		free(again);
	} else
		fprintf(stderr, "printed:\n%s\n", text);
	free(text);
	return ok;
}

static void
printing(void)
{
	struct fp_config *c = malloc(sizeof(*c)), *d = malloc(sizeof(*d));
	char		 text[2048], pw[160];
	char		*out;

	CHECK(c != NULL && d != NULL);
	if (c == NULL || d == NULL)
		return;
	snprintf(pw, sizeof(pw), "%s/pw1", pwdir);
	write_file(pw, "alice s3cret\r\n");
	snprintf(text, sizeof(text),
	    "workers 2\n"
	    "source \"jobs one\" redis {\n"
	    "\tsocket \"/run/redis/r s.sock\"\n"
	    "\tpassword-file \"%s\"\n"
	    "\tstream \"{jobs}:tasks\"\n"
	    "\tgroup \"g \\\"q\\\" \\\\x\"\n"
	    "\tconsumer \"%%h/%%n-\\\\\"\n"
	    "\tbatch 7\n"
	    "\tmax-inflight 9\n"
	    "\tclaim-idle 1500ms\n"
	    "\tclaim-interval 250ms\n"
	    "\tmax-deliveries 5\n"
	    "\tdead-letter \"{jobs}:dl #x\"\n"
	    "\tdead-maxlen 3\n"
	    "\treply-maxlen 4\n"
	    "\treply-ttl 0\n"
	    "\tdone-ttl 2d\n"
	    "\tio-timeout 750ms\n"
	    "}\n"
	    "source-queue-share 20\n"
	    "source b redis {\n"
	    "\taddress redis.example\n"
	    "\tport 7000\n"
	    "\tstream plain\n"
	    "\tdead-letter none\n"
	    "\treply-ttl 90m\n"
	    "\tclaim-idle 1d\n"
	    "\tdone-ttl 30d\n"
	    "}\n", pw);
	CHECK(good(c, text));
	CHECK(c->nsource == 2 && c->source_queue_share == 20);
	CHECK(strcmp(c->source[0].auth_user, "alice") == 0 &&
	    strcmp(c->source[0].auth_pass, "s3cret") == 0);
	CHECK(strcmp(c->source[0].group, "g \"q\" \\x") == 0);
	out = printed(c);
	CHECK(strstr(out, "\nsource-queue-share 20\n") != NULL);
	CHECK(strstr(out, "\nsource \"jobs one\" redis {\n"
	    "\tsocket \"/run/redis/r s.sock\"\n") != NULL);
	CHECK(strstr(out, "\tgroup \"g \\\"q\\\" \\\\x\"\n") != NULL);
	CHECK(strstr(out, "\tdead-letter none\n") != NULL);
	CHECK(strstr(out, "\treply-ttl 5400s\n") != NULL);
	CHECK(strstr(out, "\tclaim-idle 1500ms\n") != NULL);
	CHECK(strstr(out, "\taddress \"redis.example\"\n\tport 7000\n") !=
	    NULL);
	CHECK(strstr(out, "s3cret") == NULL && strstr(out, "alice") == NULL);
	free(out);
	CHECK(round_trip(c, d));

	/* The defaults of a block, printed and read back. */
	CHECK(good(c, blk("a", "stream s\n")));
	CHECK(round_trip(c, d));
	CHECK(strcmp(d->source[0].dead_letter, "s:dead") == 0);

	/* Names and values that need quoting or escapes. */
	CHECK(good(c, blk("\"a\\\"b\"", "stream s\n")));
	CHECK(strcmp(c->source[0].name, "a\"b") == 0);
	CHECK(round_trip(c, d));
	CHECK(good(c, blk("\"a\\\\\"", "stream s\n")));
	CHECK(strcmp(c->source[0].name, "a\\") == 0);
	CHECK(round_trip(c, d));
	CHECK(good(c, blk("\"#x y\"", "stream \"s\\\\\"\nconsumer \"c\\\"\"\n")));
	CHECK(round_trip(c, d));
	CHECK(good(c, blk("\"\xc3\xa9\x1b\"", "stream \"\xc3\xa9 \x01\"\n")));
	CHECK(round_trip(c, d));
	free(c);
	free(d);
}

/* ---- config_same_sources ------------------------------------------------- */

/*
 * Fill the stack below the caller with `v', so that whatever a load
 * leaves uninitialised differs from one load to the next.
 */
static void __attribute__((noinline))
dirty_stack(int v)
{
	char	 buf[1 << 20];

	memset(buf, v, sizeof(buf));
	__asm__ volatile("" : : "r"(buf) : "memory");
}

static int __attribute__((noinline))
load_dirty(struct fp_config *c, const char *text, int v)
{
	char	 err[512];

	write_file(path, text);
	config_defaults(c);
	dirty_stack(v);
	if (config_load(c, path, 0, err, sizeof(err)) == 0)
		return 1;
	fprintf(stderr, "%s: %s\n", text, err);
	return 0;
}

static void
same(void)
{
	static const char *const changes[] = {
		"address 10.0.0.1\n", "port 6380\n", "socket /r.sock\n",
		"group g2\n", "consumer c2\n", "batch 65\n",
		"max-inflight 257\n", "claim-idle 31s\n",
		"claim-interval 2s\n", "max-deliveries 4\n",
		"dead-letter other\n", "dead-letter none\n",
		"dead-maxlen 10001\n", "reply-maxlen 1001\n",
		"reply-ttl 3601s\n", "done-ttl 86401s\n", "io-timeout 6s\n",
		NULL };
	struct fp_config *a = malloc(sizeof(*a)), *b = malloc(sizeof(*b));
	char		 body[256], pw[160];
	size_t		 i;

	CHECK(a != NULL && b != NULL);
	if (a == NULL || b == NULL)
		return;
	config_defaults(a);
	config_defaults(b);
	CHECK(config_same_sources(a, b));

	/* The same file, the block moved to other lines. */
	CHECK(good(a, "source a redis {\nstream s\nbatch 9\n}\n"
	    "source b redis {\nstream t\n}\n"));
	CHECK(good(b, "# moved\n\nworkers 3\n\nsource a redis {\n"
	    "\t# a comment\n\tbatch 9\n\tstream s # x\n}\n\n"
	    "source b redis {\n\n\tstream t\n}\n"));
	CHECK(a->source[0].line == 1 && b->source[0].line == 5);
	CHECK(config_same_sources(a, b) && config_same_sources(b, a));
	/*
	 * The same file loaded twice from another stack (as a reload does,
	 * from the supervisor's loop): every byte compared must be one the
	 * load wrote.
	 */
	CHECK(load_dirty(a, blk("a", "stream {s}:t\n"), 0x11));
	CHECK(load_dirty(b, blk("a", "stream {s}:t\n"), 0xee));
	CHECK(config_same_sources(a, b));
	if (!config_same_sources(a, b)) {
		const char *da = a->source[0].dead_letter;
		const char *db = b->source[0].dead_letter;
		size_t	 k, n = sizeof(a->source[0].dead_letter);

		for (k = 0; k < n && da[k] == db[k]; k++)
			;
		if (k < n)
			fprintf(stderr, "dead_letter differs at byte %zu (its "
			    "string is %zu bytes): %#x %#x\n", k, strlen(da),
			    (unsigned char)da[k], (unsigned char)db[k]);
	}
	CHECK(load_dirty(a, blk("a", "stream s\ndead-letter d\n"), 0x11));
	CHECK(load_dirty(b, blk("a", "stream s\ndead-letter d\n"), 0xee));
	CHECK(config_same_sources(a, b));
	/* With a password file. */
	snprintf(pw, sizeof(pw), "%s/pw2", pwdir);
	write_file(pw, "u p\n");
	snprintf(body, sizeof(body), "stream s\ndead-letter d\n"
	    "password-file %s\n", pw);
	CHECK(load_dirty(a, blk("a", body), 0x22));
	CHECK(load_dirty(b, blk("a", body), 0xdd));
	CHECK(config_same_sources(a, b));
	/*
	 * A value written out as its default is the same value: the -nv
	 * output, used as the file, must not read as a change.
	 */
	CHECK(good(a, blk("a", "stream s\ndead-letter d\n")));
	CHECK(good(b, blk("a", "stream s\ndead-letter d\n"
	    "address 127.0.0.1\nport 6379\nbatch 64\n")));
	CHECK(config_same_sources(a, b));
	{
		char	*text;

		text = printed(a);
		CHECK(good(b, text));
		free(text);
		CHECK(config_same_sources(a, b));
	}

	/* Any value changed is another block. */
	CHECK(good(a, blk("a", "stream s\n")));
	for (i = 0; changes[i] != NULL; i++) {
		snprintf(body, sizeof(body), "stream s\n%s", changes[i]);
		CHECK(good(b, blk("a", body)));
		if (config_same_sources(a, b)) {
			fprintf(stderr, "%s: the same sources\n", changes[i]);
			CHECK(0);
		} else
			CHECK(1);
	}
	CHECK(good(b, blk("b", "stream s\n")) && !config_same_sources(a, b));
	CHECK(good(b, blk("a", "stream t\n")) && !config_same_sources(a, b));
	snprintf(body, sizeof(body), "stream s\npassword-file %s\n", pw);
	CHECK(good(b, blk("a", body)) && !config_same_sources(a, b));
	CHECK(good(b, "workers 1\n") && !config_same_sources(a, b));
	CHECK(good(b, "source a redis {\nstream s\n}\nsource b redis {\n"
	    "stream t\n}\n") && !config_same_sources(a, b));
	free(a);
	free(b);
}

/* ---- messages ------------------------------------------------------------- */

static void
messages(void)
{
	struct fp_config *c = malloc(sizeof(*c));
	char		 text[1024], small[24], nm[80];
	size_t		 i;

	CHECK(c != NULL);
	if (c == NULL)
		return;
	bad("source \"n\xff\x1b\" redis {\nstream s\nbo\x1bgus 1\n}\n",
	    "unknown keyword");
	bad("source \"n\xff\x1b\" redis {\nstream s\nbogus 1\n}\n",
	    "source n\\xff\\x1b: unknown keyword");
	bad("source \"n\x1b\" redis {\nstream s\nbatch \"\x01\xff\"\n}\n",
	    "expected a number");
	bad("source \"n\x1b\" redis {\nstream s\nbatch 1 \"\x01\"\n}\n",
	    "one value a line");
	bad("source \"n\x1b\\\"\" redis {\nbatch 1\n}\n", "no stream given");
	bad("source \"n\xc2\x85\" redis {\nstream s\n", "block not closed");
	bad("source \"n\x1b\" redis {\nstream s\n} \x1b\n",
	    "unexpected text after }");
	bad("source a \"k\x1b\xc2\x85\xff\" {\n", "unknown type");
	bad("source \"\xe2\x80\xa8\" redis {\nstream s\n}\n"
	    "source \"\xe2\x80\xa8\" redis {\nstream t\n}\n", "given twice");
	bad("source \"\x1b\" redis {\nstream s\n}\n"
	    "source \"\x7f\" redis {\nstream s\n}\n", "the same stream");
	bad("source \"\x1b\" redis {\nstream \"{\x1b}\"\ndead-letter "
	    "\"{\xff\x01}\"\n}\n", "hash tag");
	bad("source \"\x1b\" redis {\nstream \"\xff\"\ndead-letter "
	    "\"\xff\"\n}\n", "the stream itself");
	bad("source \"\x1b\" redis {\nstream s\nclaim-idle 9s\n}\n",
	    "io-timeout");
	bad("source \"\x1b\" redis {\nstream s\npassword-file "
	    "\"/nonexistent/\x1b\xff\"\n}\n", "No such file");
	bad("source \"\x1b\" redis {\nstream s\npassword-file \"\x1b\"\n}\n",
	    "must be absolute");
	/* A name of 63 bytes that cut UTF-8 ends, and 255-byte values. */
	memset(nm, 0, sizeof(nm));
	for (i = 0; i < 63; i++)
		nm[i] = (char)(i % 2 ? 0xa9 : 0xc3);
	nm[62] = (char)0xe2;
	snprintf(text, sizeof(text), "source \"%s\" redis {\nstream s\n"
	    "claim-idle 9s\n}\n", nm);
	bad(text, "io-timeout");
	memset(nm, 0x1b, 63);
	snprintf(text, sizeof(text), "source \"%s\" redis {\nstream s\n"
	    "bogus 1\n}\n", nm);
	bad(text, "unknown keyword");
	/* A message cut to a small buffer stays whole characters. */
	write_file(path, "source \"\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3"
	    "\xa9\xc3\xa9\xc3\xa9\xc3\xa9\" redis {\nbatch 1\n}\n");
	for (i = 8; i <= sizeof(small); i++) {
		config_defaults(c);
		CHECK(config_load(c, path, 0, small, i) == -1);
		CHECK(strlen(small) < i && check_clean_text(small));
	}
	free(c);
}

/* ---- without hiredis ------------------------------------------------------ */

static void
no_redis(void)
{
	struct fp_config *c = malloc(sizeof(*c));

	CHECK(c != NULL);
	if (c == NULL)
		return;
	bad(blk("a", "stream s\n"), ":1: source a: this forkpoold was built "
	    "without Redis support (hiredis");
	/* The syntax is still checked first. */
	bad("source a redis\n", "expected source NAME redis {");
	bad("source a kafka {\n}\n", "unknown type (expected redis)");
	/* The global keyword is there all the same. */
	CHECK(good(c, "source-queue-share 10\n") &&
	    c->source_queue_share == 10);
	bad("source-queue-share 0\n", "out of range");
	CHECK(c->nsource == 0);
	free(c);
}

int
main(void)
{
	snprintf(path, sizeof(path), "/tmp/test_config_source.%d",
	    (int)getpid());
	snprintf(pwdir, sizeof(pwdir), "/tmp/test_config_source.%d.d",
	    (int)getpid());
	if (mkdir(pwdir, 0700) == -1) {
		perror(pwdir);
		return 1;
	}
	if (!redis_available()) {
		printf("test_config_source: forkpoold built without hiredis: "
		    "source blocks are refused, that is what is tested\n");
		no_redis();
	} else {
		printf("test_config_source: forkpoold built with hiredis: "
		    "everything is tested\n");
		defaults();
		widths();
		blocks();
		syntax();
		ranges();
		checks();
		passwords();
		printing();
		same();
		messages();
	}
	{
		char	 p[160];

		snprintf(p, sizeof(p), "%s/pw", pwdir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/pw1", pwdir);
		unlink(p);
		snprintf(p, sizeof(p), "%s/pw2", pwdir);
		unlink(p);
		rmdir(pwdir);
		unlink(path);
	}
	return check_done("test_config_source");
}
