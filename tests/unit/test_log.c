/*
 * test_log.c -- log_quote, log_quoten and log_escape on hostile values
 * (newlines, quotes, control bytes, invalid UTF-8, cut to every length),
 * and that a log line is one line of valid UTF-8 whatever a caller put in
 * it, on standard error and through syslog(3).
 */
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "log.h"
#include "check.h"

/*
 * syslog(3) is replaced here so that the daemon-mode path of the logger
 * can be read back: the last line it was given.
 */
static char	 syslog_line[LOG_LINE_MAX + 1];
static int	 syslog_calls;

void
syslog(int prio, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(syslog_line, sizeof(syslog_line), fmt, ap);
	va_end(ap);
	syslog_calls++;
}

/* The same, should the build route syslog through _FORTIFY_SOURCE. */
void	__syslog_chk(int, int, const char *, ...);
void
__syslog_chk(int prio, int flag, const char *fmt, ...)
{
	va_list	 ap;

	va_start(ap, fmt);
	vsnprintf(syslog_line, sizeof(syslog_line), fmt, ap);
	va_end(ap);
	syslog_calls++;
}

/* An independent UTF-8 check: 1 if s[0, n) is valid UTF-8. */
static int
valid_utf8(const unsigned char *s, size_t n)
{
	size_t	 i = 0, k, j;
	uint32_t cp, min;

	while (i < n) {
		if (s[i] < 0x80) {
			i++;
			continue;
		}
		if ((s[i] & 0xe0) == 0xc0) {
			k = 2;
			cp = s[i] & 0x1f;
			min = 0x80;
		} else if ((s[i] & 0xf0) == 0xe0) {
			k = 3;
			cp = s[i] & 0x0f;
			min = 0x800;
		} else if ((s[i] & 0xf8) == 0xf0) {
			k = 4;
			cp = s[i] & 0x07;
			min = 0x10000;
		} else
			return 0;
		if (i + k > n)
			return 0;
		for (j = 1; j < k; j++) {
			if ((s[i + j] & 0xc0) != 0x80)
				return 0;
			cp = cp << 6 | (s[i + j] & 0x3f);
		}
		if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp < 0xe000))
			return 0;
		i += k;
	}
	return 1;
}

/* No C0 control, DEL, C1 control (as UTF-8), U+2028 or U+2029. */
static int
no_controls(const unsigned char *s, size_t n)
{
	size_t	 i;

	for (i = 0; i < n; i++) {
		if (s[i] < 0x20 || s[i] == 0x7f)
			return 0;
		if (s[i] == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 &&
		    s[i + 1] < 0xa0)
			return 0;
		if (s[i] == 0xe2 && i + 2 < n && s[i + 1] == 0x80 &&
		    (s[i + 2] == 0xa8 || s[i + 2] == 0xa9))
			return 0;
	}
	return 1;
}

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/*
 * Read a logfmt value back the way a logfmt reader does (a Go string
 * literal when quoted): its bytes into out, their number returned; -1 if
 * `v' is not exactly one well-formed value.
 */
static long
unquote(const char *v, unsigned char *out, size_t outlen)
{
	size_t	 o = 0, i;
	uint32_t cp;
	int	 h, k;

	if (*v != '"') {
		for (i = 0; v[i] != '\0'; i++) {
			if (v[i] <= ' ' || v[i] == '"' || v[i] == '=' ||
			    (unsigned char)v[i] >= 0x7f || o == outlen)
				return -1;
			out[o++] = (unsigned char)v[i];
		}
		return i == 0 ? -1 : (long)o;
	}
	for (i = 1; v[i] != '"'; i++) {
		if (v[i] == '\0' || o + 4 > outlen)
			return -1;
		if (v[i] != '\\') {
			out[o++] = (unsigned char)v[i];
			continue;
		}
		switch (v[++i]) {
		case 'n':
			out[o++] = '\n';
			break;
		case 'r':
			out[o++] = '\r';
			break;
		case 't':
			out[o++] = '\t';
			break;
		case '"':
		case '\\':
			out[o++] = (unsigned char)v[i];
			break;
		case 'x':
			if ((h = hexval(v[i + 1])) == -1 ||
			    hexval(v[i + 2]) == -1)
				return -1;
			out[o++] = (unsigned char)(h << 4 | hexval(v[i + 2]));
			i += 2;
			break;
		case 'u':
			cp = 0;
			for (k = 1; k <= 4; k++) {
				if ((h = hexval(v[i + k])) == -1)
					return -1;
				cp = cp << 4 | (uint32_t)h;
			}
			i += 4;
			/* Only C1 controls, U+2028 and U+2029 are written. */
			if (cp < 0x80 || (cp >= 0xa0 && cp < 0x2028) ||
			    cp > 0x2029)
				return -1;
			if (cp < 0x800) {
				out[o++] = (unsigned char)(0xc0 | cp >> 6);
				out[o++] = (unsigned char)(0x80 | (cp & 0x3f));
			} else {
				out[o++] = (unsigned char)(0xe0 | cp >> 12);
				out[o++] = (unsigned char)(0x80 |
				    ((cp >> 6) & 0x3f));
				out[o++] = (unsigned char)(0x80 | (cp & 0x3f));
			}
			break;
		default:
			return -1;
		}
	}
	if (v[i + 1] != '\0')
		return -1;
	return (long)o;
}

/* log_quote(in) must be `want' exactly. */
static void
quote_is(const char *in, const char *want)
{
	char		 buf[512];
	const char	*got = log_quote(in, buf, sizeof(buf));

	if (strcmp(got, want) != 0) {
		fprintf(stderr, "log_quote: got [%s], want [%s]\n", got, want);
		CHECK(strcmp(got, want) == 0);
	} else
		CHECK(1);
}

/*
 * The value quoted into `len' bytes: one well-formed value of printable,
 * valid UTF-8 whose bytes are a prefix of the input (all of it if `whole').
 */
static void
quote_ok(const void *in, size_t n, size_t len, int whole)
{
	char		*buf = malloc(len);
	unsigned char	 back[4096];
	const char	*q;
	long		 m;

	q = log_quoten(in, n, buf, len);
	CHECK(strlen(q) < len || len < 3);
	CHECK(valid_utf8((const unsigned char *)q, strlen(q)));
	CHECK(no_controls((const unsigned char *)q, strlen(q)));
	CHECK(strchr(q, ' ') == NULL || q[0] == '"');
	m = unquote(q, back, sizeof(back));
	if (m < 0) {
		fprintf(stderr, "log_quoten(%zu bytes, len %zu): bad value "
		    "[%s]\n", n, len, q);
		CHECK(m >= 0);
	} else {
		CHECK((size_t)m <= n && memcmp(back, in, (size_t)m) == 0);
		if (whole)
			CHECK((size_t)m == n);
	}
	free(buf);
}

/*
 * log_quoted_cut of in's quoted form to every length: at most that long,
 * closed with a quote when cut, and still one well-formed value of
 * printable, valid UTF-8 whose bytes are a prefix of the input, short of
 * the length by less than the longest escape.
 */
static void
cut_ok(const void *in, size_t n)
{
	char		 q[4096], out[4096];
	unsigned char	 back[4096];
	size_t		 qn, max, k;
	long		 m;
	int		 close;

	log_quoten(in, n, q, sizeof(q));
	qn = strlen(q);
	for (max = 2; max <= qn + 1; max++) {
		k = log_quoted_cut(q, max, &close);
		memcpy(out, q, k);
		out[k] = '\0';
		if (close)
			out[k - 1] = '"';
		CHECK(k <= max && (k == qn || k + 6 > max));
		CHECK(close == (q[0] == '"' && qn > max));
		CHECK(valid_utf8((const unsigned char *)out, k));
		if (q[0] != '"')
			continue;
		m = unquote(out, back, sizeof(back));
		if (m < 0 || (size_t)m > n || memcmp(back, in, (size_t)m) != 0) {
			fprintf(stderr, "log_quoted_cut(%zu of %zu): bad value "
			    "[%s]\n", max, qn, out);
			CHECK(!"cut value well-formed");
		}
	}
}

/* What the logger wrote: a single line of valid UTF-8 without controls. */
static void
one_line(const char *s, size_t n, const char *what)
{
	int	 ok;

	ok = n > 0 && s[n - 1] == '\n' && memchr(s, '\n', n - 1) == NULL &&
	    memchr(s, '\r', n) == NULL && memchr(s, '\0', n) == NULL &&
	    valid_utf8((const unsigned char *)s, n) &&
	    no_controls((const unsigned char *)s, n - 1);
	if (!ok)
		fprintf(stderr, "%s: not one clean line: [%.*s]\n", what,
		    (int)n, s);
	CHECK(ok);
}

int
main(void)
{
	static const char hostile[] =
	    "id\n"
	    "ts=2026-01-01T00:00:00.000Z level=error event=forged msg=\"x\" "
	    "\\ \r\t\x01\x1b[31m\x7f \xff\xfe \xc0\x80 \xed\xa0\x80 "
	    "\xf4\x90\x80\x80 \xc2\x85 \xe2\x80\xa8 \xe2\x80\xa9 "
	    "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80 \xe2\x82";
	static const char mb[] = "\x01\xc3\xa9\xc3\xa9\xe2\x82\xac"
	    "\xf0\x9f\x98\x80\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80"
	    "\xc2\x85x";
	char		 buf[LOG_LINE_MAX + 1024], path[64], big[20000];
	unsigned char	 rnd[200];
	const char	*q;
	size_t		 n, len, i;
	ssize_t		 r;
	int		 fd, saved, k;

	/* Worker fields: plain logfmt passes, anything else does not. */
	{
		static const char *const res[] = { "event", "pid", NULL };
#define FOK(x)	log_fields_ok((x), strlen(x), res)

		CHECK(FOK(""));
		CHECK(FOK("a=1 b=\"x y\" c="));
		CHECK(FOK("m=\"q\\\"x\""));
		CHECK(!FOK("a=1  b=2"));
		CHECK(!FOK("a=1 "));
		CHECK(!FOK("a"));
		CHECK(!FOK("=1"));
		CHECK(!FOK("a=\"open"));
		CHECK(!FOK("a=x\"y"));
		CHECK(!FOK("a=1 event=x"));
		CHECK(!FOK("a=1 pid=2"));
		CHECK(FOK("pidx=2 events=1"));
		CHECK(!FOK("m=\"a\" event=forged"));
#undef FOK
	}
	/* Quoted values cut for a task record (corr): whole characters. */
	cut_ok(hostile, sizeof(hostile) - 1);
	cut_ok(mb, sizeof(mb) - 1);
	cut_ok("plain-ascii-id", 14);

	/* Plain values are left alone, and not copied. */
	q = "worker_3.x-y:z/1";
	CHECK(log_quote(q, buf, sizeof(buf)) == q);
	quote_is("", "\"\"");
	quote_is("a b", "\"a b\"");
	quote_is("a=b", "\"a=b\"");
	quote_is("say \"hi\"", "\"say \\\"hi\\\"\"");
	quote_is("c:\\dir", "\"c:\\\\dir\"");
	quote_is("a\nlevel=error", "\"a\\nlevel=error\"");
	quote_is("cr\rlf\n\ttab", "\"cr\\rlf\\n\\ttab\"");
	quote_is("\x01\x1b[2J\x7f", "\"\\x01\\x1b[2J\\x7f\"");
	/* Invalid UTF-8: lone bytes, overlong, surrogate, too high, cut. */
	quote_is("\xff\xfe", "\"\\xff\\xfe\"");
	quote_is("\xc0\x80", "\"\\xc0\\x80\"");
	quote_is("\xed\xa0\x80", "\"\\xed\\xa0\\x80\"");
	quote_is("\xf4\x90\x80\x80", "\"\\xf4\\x90\\x80\\x80\"");
	quote_is("a\xe2\x82", "\"a\\xe2\\x82\"");
	quote_is("\x80z", "\"\\x80z\"");
	/* Valid UTF-8 stays, but for C1 controls and line separators. */
	quote_is("\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80",
	    "\"\xc3\xa9t\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80\"");
	quote_is("\xc2\x85\xc2\x9b\xe2\x80\xa8\xe2\x80\xa9",
	    "\"\\u0085\\u009b\\u2028\\u2029\"");

	/* NUL bytes inside a counted value. */
	q = log_quoten("a\0b", 3, buf, sizeof(buf));
	CHECK(strcmp(q, "\"a\\x00b\"") == 0);
	q = log_quoten("plain", 5, buf, sizeof(buf));
	CHECK(q == buf && strcmp(q, "plain") == 0);
	/* Buffers too small for anything but an empty value. */
	CHECK(strcmp(log_quoten("x\n", 2, buf, 2), "\"\"") == 0);

	/* The hostile value whole, and cut to every length: still clean. */
	n = sizeof(hostile) - 1;
	quote_ok(hostile, n, 4 * n + 3, 1);
	for (len = 3; len < 4 * n + 3; len++)
		quote_ok(hostile, n, len, 0);
	for (len = 1; len < 40; len++) {
		q = log_quoten("abcdefghijklmnopqrstuvwxyz", 26, buf, len);
		CHECK(strlen(q) < len || len < 3);
	}
	/* Random bytes round-trip through log_quoten at 4n+3. */
	srandom(8);
	for (k = 0; k < 2000; k++) {
		n = (size_t)(random() % sizeof(rnd));
		for (i = 0; i < n; i++)
			rnd[i] = (unsigned char)random();
		quote_ok(rnd, n, 4 * n + 3, 1);
		quote_ok(rnd, n, 3 + (size_t)(random() % (4 * n + 3)), 0);
	}

	/* log_escape: controls and invalid bytes escaped, quotes kept. */
	q = log_escape("a \"b\" \\ \n\xff\xc3\xa9", 12, buf, sizeof(buf));
	CHECK(strcmp(q, "a \"b\" \\ \\n\\xff\xc3\xa9") == 0);
	/* ... and it changes nothing in what log_quote wrote. */
	{
		char	 q1[1024], q2[1024];

		log_quoten(hostile, sizeof(hostile) - 1, q1, sizeof(q1));
		log_escape(q1, strlen(q1), q2, sizeof(q2));
		CHECK(strcmp(q1, q2) == 0);
	}
	for (len = 1; len < 60; len++) {
		q = log_escape(hostile, sizeof(hostile) - 1, buf, len);
		CHECK(strlen(q) < len);
		CHECK(valid_utf8((const unsigned char *)q, strlen(q)));
		CHECK(no_controls((const unsigned char *)q, strlen(q)));
	}

	/*
	 * The logger in the foreground: whatever a caller passes raw (here a
	 * forged line, controls and invalid UTF-8), one line comes out.
	 */
	snprintf(path, sizeof(path), "/tmp/test_log.%d", (int)getpid());
	fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_APPEND, 0600);
	CHECK(fd != -1);
	saved = dup(STDERR_FILENO);
	dup2(fd, STDERR_FILENO);
	log_init(1, LOG_LVL_DEBUG, "test_log");
	log_info("ev", "corr=%s", hostile);
	r = pread(fd, buf, sizeof(buf) - 1, 0);
	CHECK(r > 0);
	one_line(buf, (size_t)r, "log_info with a raw hostile value");
	CHECK(strncmp(buf, "ts=", 3) == 0);
	CHECK(strstr(buf, " level=info event=ev corr=id\\nts=") != NULL);
	/* A line far past the buffer, all newlines: cut, still one line. */
	memset(big, '\n', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	CHECK(ftruncate(fd, 0) == 0);
	log_warnx("ev", "x=%s", big);
	r = pread(fd, buf, sizeof(buf) - 1, 0);
	CHECK(r > 0 && r <= LOG_LINE_MAX);
	one_line(buf, (size_t)r, "log_warnx with 20000 newlines");
	/* Quoted values come out exactly as log_quote made them. */
	{
		char	 qv[1024];

		CHECK(ftruncate(fd, 0) == 0);
		log_info("ev", "corr=%s",
		    log_quoten(hostile, sizeof(hostile) - 1, qv, sizeof(qv)));
		r = pread(fd, buf, sizeof(buf) - 1, 0);
		CHECK(r > 0);
		buf[r > 0 ? r : 0] = '\0';
		one_line(buf, (size_t)r, "log_info with a quoted value");
		CHECK(strstr(buf, qv) != NULL);
	}
	dup2(saved, STDERR_FILENO);
	close(saved);
	close(fd);
	unlink(path);

	/* As a daemon, through syslog(3): the same line, without ts. */
	log_init(0, LOG_LVL_DEBUG, "test_log");
	log_info("ev", "corr=%s", hostile);
	CHECK(syslog_calls == 1);
	n = strlen(syslog_line);
	syslog_line[n] = '\n';
	one_line(syslog_line, n + 1, "syslog line");
	syslog_line[n] = '\0';
	CHECK(strncmp(syslog_line, "level=info event=ev corr=id\\nts=", 32) ==
	    0);
	return check_done("test_log");
}
