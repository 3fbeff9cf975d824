/*
 * cli_json.c -- JSON text <-> MessagePack for forkpool(1).
 *
 * JSON to MessagePack takes two passes over the text: the first validates
 * it and counts the elements of every array and object, the second emits,
 * so every header is written once in its shortest form without moving
 * bytes around.  Nesting is tracked in a fixed stack of CJ_MAX_DEPTH.
 *
 * MessagePack to JSON walks the input with an explicit, growing stack of
 * frames.  A map key that is not a string is rendered in place like any
 * value and then turned into a JSON string, so keys nested in keys need no
 * recursion either.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <msgpack.h>

#include "cli_json.h"

int
cj_buf_add(struct cj_buf *b, const void *p, size_t len)
{
	char	*n;
	size_t	 cap;

	if (len == 0)
		return 0;
	if (b->cap - b->len < len) {
		if (len > SIZE_MAX / 2 - b->len) {
			errno = ENOMEM;
			return -1;
		}
		cap = b->cap > 0 ? b->cap : 256;
		while (cap - b->len < len)
			cap *= 2;
		if ((n = realloc(b->data, cap)) == NULL)
			return -1;
		b->data = n;
		b->cap = cap;
	}
	memcpy(b->data + b->len, p, len);
	b->len += len;
	return 0;
}

static int
buf_str(struct cj_buf *b, const char *s)
{
	return cj_buf_add(b, s, strlen(s));
}

void
cj_buf_free(struct cj_buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

static void
seterr(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	 ap;

	if (err == NULL || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
}

/*
 * utf8_seq: length of the well-formed UTF-8 sequence at s (1 to 4), or 0
 * if it is not one: overlong forms, surrogates and code points above
 * U+10FFFF are not UTF-8 (RFC 3629).
 */
static size_t
utf8_seq(const unsigned char *s, size_t n)
{
	unsigned char	 c = s[0];

#define CONT(i)	(n > (i) && (s[i] & 0xc0) == 0x80)
	if (c < 0x80)
		return 1;
	if (c < 0xc2)
		return 0;
	if (c < 0xe0)
		return CONT(1) ? 2 : 0;
	if (c < 0xf0) {
		if (!CONT(1) || !CONT(2))
			return 0;
		if ((c == 0xe0 && s[1] < 0xa0) || (c == 0xed && s[1] >= 0xa0))
			return 0;
		return 3;
	}
	if (c < 0xf5) {
		if (!CONT(1) || !CONT(2) || !CONT(3))
			return 0;
		if ((c == 0xf0 && s[1] < 0x90) || (c == 0xf4 && s[1] >= 0x90))
			return 0;
		return 4;
	}
	return 0;
#undef CONT
}

/* ---- JSON -> MessagePack ---------------------------------------------- */

struct jparse {
	const unsigned char	*s;
	size_t			 len;
	size_t			 pos;
	int			 emit;		/* second pass */
	uint32_t		*counts;	/* elements per container */
	size_t			 ncounts;
	size_t			 capcounts;
	size_t			 nextcount;
	struct cj_buf		 tmp;		/* decoded string, number */
	msgpack_packer		 pk;
	int			 nomem;
	char			*err;
	size_t			 errlen;
	size_t			 erroff;
};

struct jframe {
	unsigned char		 close;		/* ']' or '}' */
	size_t			 count;		/* index in counts */
};

static int
jerr(struct jparse *j, size_t off, const char *what)
{
	j->erroff = off;
	seterr(j->err, j->errlen, "invalid JSON at offset %zu: %s", off, what);
	errno = EINVAL;
	return -1;
}

static int
jnomem(struct jparse *j)
{
	j->nomem = 1;
	seterr(j->err, j->errlen, "out of memory");
	errno = ENOMEM;
	return -1;
}

static int
pk_write(void *data, const char *buf, size_t len)
{
	return cj_buf_add(data, buf, len);
}

static int
hexval(unsigned char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* hex4: the four hex digits at s[at], or -1. */
static long
hex4(struct jparse *j, size_t at)
{
	long	 v = 0;
	int	 i, h;

	if (at > j->len || j->len - at < 4)
		return -1;
	for (i = 0; i < 4; i++) {
		if ((h = hexval(j->s[at + i])) == -1)
			return -1;
		v = v << 4 | h;
	}
	return v;
}

static int
put_utf8(struct cj_buf *b, unsigned long cp)
{
	unsigned char	 u[4];
	size_t		 n;

	if (cp < 0x80) {
		u[0] = cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = 0xc0 | cp >> 6;
		u[1] = 0x80 | (cp & 0x3f);
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = 0xe0 | cp >> 12;
		u[1] = 0x80 | (cp >> 6 & 0x3f);
		u[2] = 0x80 | (cp & 0x3f);
		n = 3;
	} else {
		u[0] = 0xf0 | cp >> 18;
		u[1] = 0x80 | (cp >> 12 & 0x3f);
		u[2] = 0x80 | (cp >> 6 & 0x3f);
		u[3] = 0x80 | (cp & 0x3f);
		n = 4;
	}
	return cj_buf_add(b, u, n);
}

/* jstring: the string at j->pos (a '"'), decoded into j->tmp. */
static int
jstring(struct jparse *j)
{
	const unsigned char	*s = j->s;
	size_t			 run, n, esc;
	long			 cp, lo;
	unsigned char		 c;
	char			 ch;

	j->tmp.len = 0;
	j->pos++;
	for (;;) {
		/* Copy plain ASCII in runs; strings are mostly that. */
		run = j->pos;
		while (run < j->len && s[run] >= 0x20 && s[run] < 0x80 &&
		    s[run] != '"' && s[run] != '\\')
			run++;
		if (cj_buf_add(&j->tmp, s + j->pos, run - j->pos) == -1)
			return jnomem(j);
		j->pos = run;
		if (j->pos >= j->len)
			return jerr(j, j->len, "unterminated string");
		c = s[j->pos];
		if (c == '"') {
			j->pos++;
			return 0;
		}
		if (c < 0x20)
			return jerr(j, j->pos, "control character in string");
		if (c >= 0x80) {
			if ((n = utf8_seq(s + j->pos, j->len - j->pos)) == 0)
				return jerr(j, j->pos, "invalid UTF-8");
			if (cj_buf_add(&j->tmp, s + j->pos, n) == -1)
				return jnomem(j);
			j->pos += n;
			continue;
		}
		/* A backslash. */
		esc = j->pos;
		if (esc + 1 >= j->len)
			return jerr(j, j->len, "unterminated string");
		switch (s[esc + 1]) {
		case '"':	ch = '"'; break;
		case '\\':	ch = '\\'; break;
		case '/':	ch = '/'; break;
		case 'b':	ch = '\b'; break;
		case 'f':	ch = '\f'; break;
		case 'n':	ch = '\n'; break;
		case 'r':	ch = '\r'; break;
		case 't':	ch = '\t'; break;
		case 'u':
			if ((cp = hex4(j, esc + 2)) == -1)
				return jerr(j, esc, "invalid \\u escape");
			j->pos = esc + 6;
			if (cp >= 0xdc00 && cp <= 0xdfff)
				return jerr(j, esc, "unpaired surrogate in "
				    "\\u escape");
			if (cp >= 0xd800 && cp <= 0xdbff) {
				if (j->len - j->pos < 2 || s[j->pos] != '\\' ||
				    s[j->pos + 1] != 'u' ||
				    (lo = hex4(j, j->pos + 2)) < 0xdc00 ||
				    lo > 0xdfff)
					return jerr(j, esc, "unpaired "
					    "surrogate in \\u escape");
				cp = 0x10000 + ((cp - 0xd800) << 10) +
				    (lo - 0xdc00);
				j->pos += 6;
			}
			if (put_utf8(&j->tmp, cp) == -1)
				return jnomem(j);
			continue;
		default:
			return jerr(j, esc, "invalid escape");
		}
		if (cj_buf_add(&j->tmp, &ch, 1) == -1)
			return jnomem(j);
		j->pos = esc + 2;
	}
}

#define ISDIGIT(c)	((c) >= '0' && (c) <= '9')

/* jnumber: validate the number at j->pos and emit it. */
static int
jnumber(struct jparse *j)
{
	const unsigned char	*s = j->s;
	size_t			 start = j->pos;
	unsigned long long	 u;
	long long		 i;
	double			 d;
	int			 neg = 0, isint = 1;

	if (s[j->pos] == '-') {
		neg = 1;
		j->pos++;
	}
	if (j->pos >= j->len || !ISDIGIT(s[j->pos]))
		return jerr(j, j->pos, "expected digit");
	if (s[j->pos] == '0') {
		j->pos++;
		if (j->pos < j->len && ISDIGIT(s[j->pos]))
			return jerr(j, j->pos, "leading zero in number");
	} else
		while (j->pos < j->len && ISDIGIT(s[j->pos]))
			j->pos++;
	if (j->pos < j->len && s[j->pos] == '.') {
		isint = 0;
		j->pos++;
		if (j->pos >= j->len || !ISDIGIT(s[j->pos]))
			return jerr(j, j->pos, "expected digit after '.'");
		while (j->pos < j->len && ISDIGIT(s[j->pos]))
			j->pos++;
	}
	if (j->pos < j->len && (s[j->pos] == 'e' || s[j->pos] == 'E')) {
		isint = 0;
		j->pos++;
		if (j->pos < j->len && (s[j->pos] == '+' || s[j->pos] == '-'))
			j->pos++;
		if (j->pos >= j->len || !ISDIGIT(s[j->pos]))
			return jerr(j, j->pos, "expected digit in exponent");
		while (j->pos < j->len && ISDIGIT(s[j->pos]))
			j->pos++;
	}
	/* The text need not be NUL-terminated: convert a copy. */
	j->tmp.len = 0;
	if (cj_buf_add(&j->tmp, s + start, j->pos - start) == -1 ||
	    cj_buf_add(&j->tmp, "", 1) == -1)
		return jnomem(j);

	if (isint) {
		errno = 0;
		if (neg) {
			i = strtoll(j->tmp.data, NULL, 10);
			if (errno == 0) {
				if (!j->emit)
					return 0;
				if (i == 0)	/* "-0" */
					return msgpack_pack_uint64(&j->pk, 0);
				return msgpack_pack_int64(&j->pk, i);
			}
		} else {
			u = strtoull(j->tmp.data, NULL, 10);
			if (errno == 0)
				return j->emit ?
				    msgpack_pack_uint64(&j->pk, u) : 0;
		}
	}
	errno = 0;
	d = strtod(j->tmp.data, NULL);
	if (errno == ERANGE && isinf(d))
		return jerr(j, start, "number out of range");
	return j->emit ? msgpack_pack_double(&j->pk, d) : 0;
}

static void
jspace(struct jparse *j)
{
	while (j->pos < j->len && (j->s[j->pos] == ' ' ||
	    j->s[j->pos] == '\t' || j->s[j->pos] == '\n' ||
	    j->s[j->pos] == '\r'))
		j->pos++;
}

static int
jliteral(struct jparse *j, const char *word)
{
	size_t	 n = strlen(word);

	if (j->len - j->pos < n || memcmp(j->s + j->pos, word, n) != 0)
		return jerr(j, j->pos, "invalid literal");
	j->pos += n;
	return 0;
}

static int
jemit_string(struct jparse *j)
{
	if (!j->emit)
		return 0;
	if (msgpack_pack_str(&j->pk, j->tmp.len) == -1 ||
	    msgpack_pack_str_body(&j->pk, j->tmp.data, j->tmp.len) == -1)
		return jnomem(j);
	return 0;
}

/* jopen: a container's element count: recorded (pass 1), used (pass 2). */
static int
jopen(struct jparse *j, struct jframe *f, unsigned char open)
{
	uint32_t	*n;
	size_t		 cap;

	f->close = open == '[' ? ']' : '}';
	if (j->emit) {
		if (j->nextcount >= j->ncounts)
			return jerr(j, j->pos, "internal error");
		f->count = j->nextcount++;
		if ((open == '[' ? msgpack_pack_array(&j->pk,
		    j->counts[f->count]) : msgpack_pack_map(&j->pk,
		    j->counts[f->count])) == -1)
			return jnomem(j);
		return 0;
	}
	if (j->ncounts == j->capcounts) {
		cap = j->capcounts > 0 ? j->capcounts * 2 : 64;
		if ((n = reallocarray(j->counts, cap, sizeof(*n))) == NULL)
			return jnomem(j);
		j->counts = n;
		j->capcounts = cap;
	}
	f->count = j->ncounts;
	j->counts[j->ncounts++] = 0;
	return 0;
}

enum jstate { J_VALUE, J_AFTER, J_KEY };

static int
jwalk(struct jparse *j)
{
	struct jframe	 stack[CJ_MAX_DEPTH], *top;
	enum jstate	 st = J_VALUE;
	size_t		 depth = 0;
	unsigned char	 c;
	int		 r;

	for (;;) {
		jspace(j);
		switch (st) {
		case J_VALUE:
			if (j->pos >= j->len)
				return jerr(j, j->pos,
				    "unexpected end of input");
			c = j->s[j->pos];
			if (c == '[' || c == '{') {
				if (depth >= CJ_MAX_DEPTH)
					return jerr(j, j->pos, "nested deeper "
					    "than 512 levels");
				if (jopen(j, &stack[depth], c) == -1)
					return -1;
				depth++;
				j->pos++;
				jspace(j);
				if (j->pos < j->len &&
				    j->s[j->pos] == stack[depth - 1].close) {
					j->pos++;
					depth--;
					st = J_AFTER;
				} else
					st = c == '[' ? J_VALUE : J_KEY;
				continue;
			}
			if (c == '"')
				r = jstring(j) == -1 ? -1 : jemit_string(j);
			else if (c == 't')
				r = jliteral(j, "true") == -1 ? -1 : j->emit ?
				    msgpack_pack_true(&j->pk) : 0;
			else if (c == 'f')
				r = jliteral(j, "false") == -1 ? -1 : j->emit ?
				    msgpack_pack_false(&j->pk) : 0;
			else if (c == 'n')
				r = jliteral(j, "null") == -1 ? -1 : j->emit ?
				    msgpack_pack_nil(&j->pk) : 0;
			else if (c == '-' || ISDIGIT(c))
				r = jnumber(j);
			else
				return jerr(j, j->pos, "expected value");
			/* In pass 2 only memory can run out. */
			if (r == -1)
				return j->emit && !j->nomem ? jnomem(j) : -1;
			st = J_AFTER;
			break;
		case J_AFTER:
			if (depth == 0) {
				if (j->pos != j->len)
					return jerr(j, j->pos, "unexpected "
					    "character after JSON value");
				return 0;
			}
			top = &stack[depth - 1];
			if (!j->emit) {
				if (j->counts[top->count] == UINT32_MAX)
					return jerr(j, j->pos,
					    "too many elements");
				j->counts[top->count]++;
			}
			if (j->pos >= j->len)
				return jerr(j, j->pos,
				    "unexpected end of input");
			c = j->s[j->pos];
			if (c == ',') {
				j->pos++;
				st = top->close == ']' ? J_VALUE : J_KEY;
			} else if (c == top->close) {
				j->pos++;
				depth--;
			} else
				return jerr(j, j->pos, top->close == ']' ?
				    "expected ',' or ']'" :
				    "expected ',' or '}'");
			break;
		case J_KEY:
			if (j->pos >= j->len)
				return jerr(j, j->pos,
				    "unexpected end of input");
			if (j->s[j->pos] != '"')
				return jerr(j, j->pos, "expected string key");
			if (jstring(j) == -1 || jemit_string(j) == -1)
				return -1;
			jspace(j);
			if (j->pos >= j->len || j->s[j->pos] != ':')
				return jerr(j, j->pos, "expected ':'");
			j->pos++;
			st = J_VALUE;
			break;
		}
	}
}

int
cj_from_json(struct cj_buf *out, const char *text, size_t len, char *err,
    size_t errlen, size_t *erroff)
{
	struct jparse	 j;
	size_t		 oldlen = out->len;
	int		 r;

	memset(&j, 0, sizeof(j));
	j.s = (const unsigned char *)text;
	j.len = len;
	j.err = err;
	j.errlen = errlen;
	msgpack_packer_init(&j.pk, out, pk_write);

	r = jwalk(&j);
	if (r == 0) {
		j.emit = 1;
		j.pos = 0;
		r = jwalk(&j);
	}
	if (r == -1) {
		out->len = oldlen;
		if (erroff != NULL)
			*erroff = j.nomem ? 0 : j.erroff;
		errno = j.nomem ? ENOMEM : EINVAL;
	}
	free(j.counts);
	cj_buf_free(&j.tmp);
	return r;
}

/* ---- MessagePack -> JSON ---------------------------------------------- */

enum mtype {
	MT_NIL, MT_BOOL, MT_UINT, MT_INT, MT_F32, MT_F64, MT_STR, MT_BIN,
	MT_EXT, MT_ARRAY, MT_MAP
};

struct mhead {
	enum mtype	 type;
	uint64_t	 u;		/* uint, bool, element count */
	int64_t		 i;
	double		 d;
	const uint8_t	*p;		/* str, bin, ext payload */
	size_t		 n;
};

static uint64_t
be(const uint8_t *p, int n)
{
	uint64_t	 v = 0;
	int		 i;

	for (i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/*
 * mhead: decode the header at *pos and step over it and its payload.
 * Returns 0, -1 on a byte that starts no MessagePack object, -2 when the
 * input ends within the object.
 */
static int
mhead(const uint8_t *p, size_t len, size_t *pos, struct mhead *h)
{
	size_t		 at = *pos, need = 1;
	uint8_t		 b;
	int		 lb = 0, w = 0;
	uint32_t	 f32;
	uint64_t	 u64;
	float		 f;

	if (at >= len)
		return -2;
	b = p[at];
	memset(h, 0, sizeof(*h));
	if (b <= 0x7f) {
		h->type = MT_UINT;
		h->u = b;
	} else if (b >= 0xe0) {
		h->type = MT_INT;
		h->i = (int8_t)b;
	} else if (b <= 0x8f) {
		h->type = MT_MAP;
		h->u = b & 0x0f;
	} else if (b <= 0x9f) {
		h->type = MT_ARRAY;
		h->u = b & 0x0f;
	} else if (b <= 0xbf) {
		h->type = MT_STR;
		h->n = b & 0x1f;
	} else switch (b) {
	case 0xc0: h->type = MT_NIL; break;
	case 0xc2: case 0xc3: h->type = MT_BOOL; h->u = b & 1; break;
	case 0xc4: h->type = MT_BIN; lb = 1; break;
	case 0xc5: h->type = MT_BIN; lb = 2; break;
	case 0xc6: h->type = MT_BIN; lb = 4; break;
	case 0xc7: h->type = MT_EXT; lb = 1; w = 1; break;
	case 0xc8: h->type = MT_EXT; lb = 2; w = 1; break;
	case 0xc9: h->type = MT_EXT; lb = 4; w = 1; break;
	case 0xca: h->type = MT_F32; w = 4; break;
	case 0xcb: h->type = MT_F64; w = 8; break;
	case 0xcc: h->type = MT_UINT; w = 1; break;
	case 0xcd: h->type = MT_UINT; w = 2; break;
	case 0xce: h->type = MT_UINT; w = 4; break;
	case 0xcf: h->type = MT_UINT; w = 8; break;
	case 0xd0: h->type = MT_INT; w = 1; break;
	case 0xd1: h->type = MT_INT; w = 2; break;
	case 0xd2: h->type = MT_INT; w = 4; break;
	case 0xd3: h->type = MT_INT; w = 8; break;
	case 0xd4: h->type = MT_EXT; h->n = 1; w = 1; break;
	case 0xd5: h->type = MT_EXT; h->n = 2; w = 1; break;
	case 0xd6: h->type = MT_EXT; h->n = 4; w = 1; break;
	case 0xd7: h->type = MT_EXT; h->n = 8; w = 1; break;
	case 0xd8: h->type = MT_EXT; h->n = 16; w = 1; break;
	case 0xd9: h->type = MT_STR; lb = 1; break;
	case 0xda: h->type = MT_STR; lb = 2; break;
	case 0xdb: h->type = MT_STR; lb = 4; break;
	case 0xdc: h->type = MT_ARRAY; lb = 2; break;
	case 0xdd: h->type = MT_ARRAY; lb = 4; break;
	case 0xde: h->type = MT_MAP; lb = 2; break;
	case 0xdf: h->type = MT_MAP; lb = 4; break;
	default:
		return -1;	/* 0xc1 */
	}
	need += lb;
	if (len - at < need)
		return -2;
	if (lb > 0) {
		if (h->type == MT_ARRAY || h->type == MT_MAP)
			h->u = be(p + at + 1, lb);
		else
			h->n = be(p + at + 1, lb);
	}
	/* w: fixed bytes after the length (ext type, number). */
	if (len - at - need < (size_t)w)
		return -2;
	switch (h->type) {
	case MT_UINT:
		if (w > 0)
			h->u = be(p + at + 1, w);
		break;
	case MT_INT:
		if (w > 0) {
			u64 = be(p + at + 1, w);
			if (w < 8 && (u64 & (uint64_t)1 << (w * 8 - 1)))
				u64 |= ~(uint64_t)0 << (w * 8);
			h->i = (int64_t)u64;
		}
		break;
	case MT_F32:
		f32 = be(p + at + 1, 4);
		memcpy(&f, &f32, 4);
		h->d = f;
		break;
	case MT_F64:
		u64 = be(p + at + 1, 8);
		memcpy(&h->d, &u64, 8);
		break;
	default:
		break;
	}
	need += w;
	if (h->type == MT_STR || h->type == MT_BIN || h->type == MT_EXT) {
		if (len - at - need < h->n)
			return -2;
		h->p = p + at + need;
		need += h->n;
	}
	*pos = at + need;
	return 0;
}

/* json_string: s as a quoted JSON string; bad UTF-8 becomes U+FFFD. */
static int
json_string(struct cj_buf *b, const uint8_t *s, size_t len)
{
	static const char	 hex[] = "0123456789abcdef";
	char			 e[7];
	size_t			 i = 0, run, n;
	uint8_t			 c;

	if (cj_buf_add(b, "\"", 1) == -1)
		return -1;
	while (i < len) {
		run = i;
		while (run < len && s[run] >= 0x20 && s[run] < 0x7f &&
		    s[run] != '"' && s[run] != '\\')
			run++;
		if (cj_buf_add(b, s + i, run - i) == -1)
			return -1;
		if ((i = run) >= len)
			break;
		c = s[i];
		if (c >= 0x80) {
			if ((n = utf8_seq(s + i, len - i)) == 0) {
				if (buf_str(b, "\\ufffd") == -1)
					return -1;
				i++;
			} else {
				if (cj_buf_add(b, s + i, n) == -1)
					return -1;
				i += n;
			}
			continue;
		}
		switch (c) {
		case '"':	memcpy(e, "\\\"", 3); break;
		case '\\':	memcpy(e, "\\\\", 3); break;
		case '\b':	memcpy(e, "\\b", 3); break;
		case '\f':	memcpy(e, "\\f", 3); break;
		case '\n':	memcpy(e, "\\n", 3); break;
		case '\r':	memcpy(e, "\\r", 3); break;
		case '\t':	memcpy(e, "\\t", 3); break;
		default:	/* other controls and DEL */
			memcpy(e, "\\u00", 4);
			e[4] = hex[c >> 4];
			e[5] = hex[c & 0xf];
			e[6] = '\0';
			break;
		}
		if (buf_str(b, e) == -1)
			return -1;
		i++;
	}
	return cj_buf_add(b, "\"", 1);
}

static int
json_base64(struct cj_buf *b, const uint8_t *s, size_t len)
{
	static const char	 tab[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
	    "abcdefghijklmnopqrstuvwxyz0123456789+/";
	char			 q[4];
	size_t			 i;
	uint32_t		 v;

	if (cj_buf_add(b, "\"", 1) == -1)
		return -1;
	for (i = 0; i + 2 < len; i += 3) {
		v = (uint32_t)s[i] << 16 | s[i + 1] << 8 | s[i + 2];
		q[0] = tab[v >> 18];
		q[1] = tab[v >> 12 & 63];
		q[2] = tab[v >> 6 & 63];
		q[3] = tab[v & 63];
		if (cj_buf_add(b, q, 4) == -1)
			return -1;
	}
	if (i < len) {
		v = (uint32_t)s[i] << 16;
		if (i + 1 < len)
			v |= s[i + 1] << 8;
		q[0] = tab[v >> 18];
		q[1] = tab[v >> 12 & 63];
		q[2] = i + 1 < len ? tab[v >> 6 & 63] : '=';
		q[3] = '=';
		if (cj_buf_add(b, q, 4) == -1)
			return -1;
	}
	return cj_buf_add(b, "\"", 1);
}

/*
 * json_double: the fewest significant digits that read back to the same
 * value of the same width (a float32 prints as the float it is: 0.1, not
 * 0.10000000149011612), in plain notation where that is short and with
 * ".0" on integral values so they read back as floats.  JSON has no NaN or
 * infinity: null.
 */
static int
json_double(struct cj_buf *b, double d, int f32)
{
	char	 s[64], *e;
	int	 prec, maxprec = f32 ? 9 : 17, x, dec;

	if (!isfinite(d))
		return buf_str(b, "null");
	for (prec = 1; prec < maxprec; prec++) {
		snprintf(s, sizeof(s), "%.*e", prec - 1, d);
		if (f32 ? strtof(s, NULL) == (float)d : strtod(s, NULL) == d)
			break;
	}
	snprintf(s, sizeof(s), "%.*e", prec - 1, d);
	if ((e = strchr(s, 'e')) == NULL)
		return buf_str(b, s);
	x = atoi(e + 1);
	if (x < -5 || x >= 17)
		return buf_str(b, s);
	/* The same digits, rounded at the same place, without exponent. */
	dec = prec - 1 - x;
	snprintf(s, sizeof(s), "%.*f", dec > 0 ? dec : 0, d);
	if (buf_str(b, s) == -1)
		return -1;
	return strchr(s, '.') == NULL ? buf_str(b, ".0") : 0;
}

static int
json_scalar(struct cj_buf *b, const struct mhead *h)
{
	char	 s[32];

	switch (h->type) {
	case MT_NIL:
	case MT_EXT:
		return buf_str(b, "null");
	case MT_BOOL:
		return buf_str(b, h->u ? "true" : "false");
	case MT_UINT:
		snprintf(s, sizeof(s), "%" PRIu64, h->u);
		return buf_str(b, s);
	case MT_INT:
		snprintf(s, sizeof(s), "%" PRId64, h->i);
		return buf_str(b, s);
	case MT_F32:
		return json_double(b, h->d, 1);
	case MT_F64:
		return json_double(b, h->d, 0);
	case MT_STR:
		return json_string(b, h->p, h->n);
	case MT_BIN:
		return json_base64(b, h->p, h->n);
	default:
		errno = EINVAL;
		return -1;
	}
}

enum fkind { F_ARRAY, F_MAP, F_KEY };

struct mframe {
	enum fkind	 kind;
	uint64_t	 n;		/* items: elements, or 2 per map pair */
	uint64_t	 i;		/* items done */
	size_t		 keystart;	/* F_KEY: where its JSON text starts */
};

struct mwalk {
	struct mframe	*st;
	size_t		 depth;
	size_t		 cap;
	size_t		 keys;		/* F_KEY frames on the stack */
};

static int
mpush(struct mwalk *w, enum fkind kind, uint64_t n, size_t keystart)
{
	struct mframe	*p;
	size_t		 cap;

	if (w->depth == w->cap) {
		cap = w->cap > 0 ? w->cap * 2 : 32;
		if ((p = reallocarray(w->st, cap, sizeof(*p))) == NULL)
			return -1;
		w->st = p;
		w->cap = cap;
	}
	p = &w->st[w->depth++];
	p->kind = kind;
	p->n = n;
	p->i = 0;
	p->keystart = keystart;
	return 0;
}

/* mdone: a value is complete; count it in its container. */
static int
mdone(struct mwalk *w, struct cj_buf *out)
{
	struct mframe	*f;

	if (w->depth == 0)
		return 0;
	f = &w->st[w->depth - 1];
	f->i++;
	if (f->kind == F_MAP && f->i % 2 == 1)
		return cj_buf_add(out, ":", 1);
	return 0;
}

/* mkey: the JSON text at out[start..] becomes a JSON string. */
static int
mkey(struct cj_buf *out, size_t start, struct cj_buf *tmp)
{
	tmp->len = 0;
	if (cj_buf_add(tmp, out->data + start, out->len - start) == -1)
		return -1;
	out->len = start;
	return json_string(out, (const uint8_t *)tmp->data, tmp->len);
}

int
cj_to_json(struct cj_buf *out, const void *mp, size_t len, char *err,
    size_t errlen)
{
	const uint8_t	*p = mp;
	struct mwalk	 w = { NULL, 0, 0, 0 };
	struct cj_buf	 tmp = { NULL, 0, 0 };
	struct mframe	*f;
	struct mhead	 h;
	size_t		 pos = 0, oldlen = out->len;
	int		 started = 0, r;

	for (;;) {
		/* Close what is complete, innermost first. */
		while (w.depth > 0) {
			f = &w.st[w.depth - 1];
			if (f->i != f->n)
				break;
			if ((f->kind == F_ARRAY && cj_buf_add(out, "]", 1)) ||
			    (f->kind == F_MAP && cj_buf_add(out, "}", 1)) ||
			    (f->kind == F_KEY && mkey(out, f->keystart, &tmp)))
				goto nomem;
			if (f->kind == F_KEY)
				w.keys--;
			w.depth--;
			if (mdone(&w, out) == -1)
				goto nomem;
		}
		if (started && w.depth == 0)
			break;
		started = 1;
		if ((r = mhead(p, len, &pos, &h)) != 0) {
			seterr(err, errlen, "%s MessagePack at byte %zu",
			    r == -1 ? "invalid" : "truncated", pos);
			goto bad;
		}
		if (w.depth > 0) {
			f = &w.st[w.depth - 1];
			if (f->i > 0 && (f->kind == F_ARRAY ||
			    (f->kind == F_MAP && f->i % 2 == 0)) &&
			    cj_buf_add(out, ",", 1) == -1)
				goto nomem;
			if (f->kind == F_MAP && f->i % 2 == 0 &&
			    h.type != MT_STR && h.type != MT_BIN) {
				/*
				 * Each level of key in key escapes the text
				 * once more, doubling its backslashes.
				 */
				if (w.keys == CJ_MAX_KEY_DEPTH) {
					seterr(err, errlen, "map keys nested "
					    "more than %d deep at byte %zu",
					    CJ_MAX_KEY_DEPTH, pos);
					goto bad;
				}
				if (mpush(&w, F_KEY, 1, out->len) == -1)
					goto nomem;
				w.keys++;
			}
		}
		if (h.type == MT_ARRAY || h.type == MT_MAP) {
			if (cj_buf_add(out, h.type == MT_ARRAY ? "[" : "{",
			    1) == -1 || mpush(&w, h.type == MT_ARRAY ?
			    F_ARRAY : F_MAP, h.type == MT_ARRAY ? h.u :
			    2 * h.u, 0) == -1)
				goto nomem;
			continue;
		}
		if (json_scalar(out, &h) == -1 || mdone(&w, out) == -1)
			goto nomem;
	}
	if (pos != len) {
		seterr(err, errlen, "trailing bytes after MessagePack object "
		    "at byte %zu", pos);
		goto bad;
	}
	free(w.st);
	cj_buf_free(&tmp);
	return 0;
nomem:
	seterr(err, errlen, "out of memory");
	free(w.st);
	cj_buf_free(&tmp);
	out->len = oldlen;
	errno = ENOMEM;
	return -1;
bad:
	free(w.st);
	cj_buf_free(&tmp);
	out->len = oldlen;
	errno = EINVAL;
	return -1;
}
