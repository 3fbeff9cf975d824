/*
 * json_dec.c -- strict RFC 8259 JSON text -> MessagePack.
 *
 * One pass over the text, no recursion: an explicit stack of container
 * frames (at most max_depth of them).  Arrays and maps get a 5-byte
 * array32/map32 header when they open; when they close the element count
 * is known and the header is shrunk to the smallest form.  A container
 * whose body is small and holds no container still waiting for its own
 * shrink is compacted at once (memmove of at most COMPACT_MAX bytes, in
 * cache); the others keep a patched 32-bit header and are listed, and one
 * final forward pass over the output closes the gaps.  So every byte is
 * moved a bounded number of times whatever the nesting.
 *
 * The semantics are documented with fp_json_decode() in json.h.
 */
#include <errno.h>
#include <float.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "json.h"
#include "mp.h"

/* Containers whose encoded body is at most this long shrink at close. */
#define COMPACT_MAX	128

struct frame {
	size_t		 hdr;		/* rel. offset of the 5-byte header */
	size_t		 pend;		/* index of its slot in d->pend */
	size_t		 keys;		/* first of its keys in d->keys */
	uint32_t	 count;		/* elements (arrays), members (maps) */
	int		 obj;
};

struct key {
	size_t		 hdr;		/* rel. offset of the key's str header */
	size_t		 str;		/* rel. offset of its bytes */
	size_t		 len;
	size_t		 in;		/* offset of its '"' in the text */
	int		 dead;		/* JSON_DUP_LAST: an earlier duplicate */
};

struct dec {
	const uint8_t	*text, *end;
	struct fp_buf	*out;
	size_t		 start;		/* rel. offset where our output began */
	uint32_t	 max_depth;
	int		 bignum, dup;
	struct frame	*fr;
	uint32_t	 nfr, cfr;
	size_t		*pend;		/* headers not yet shrunk, in order */
	size_t		 npend, cpend;
	struct key	*keys;
	size_t		 nkeys, ckeys;
	struct fp_json_dec_error *e;
};

/*
 * Byte classes.  cls_str: 0 for bytes that may be copied as they are
 * inside a string (0x20..0x7f but '"' and '\\').  cls_ws: JSON whitespace.
 */
static const uint8_t cls_str[256] = {
	1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,
	0,0,1,0,0,0,0,0, 0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0, 0,0,0,0,1,0,0,0,
	0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,
	1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,
	1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,
	1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,
	1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,
};

static const double pow10_tab[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static inline int
is_ws(uint8_t c)
{
	return c == ' ' || c == '\n' || c == '\r' || c == '\t';
}

static inline int
is_digit(uint8_t c)
{
	return (unsigned)(c - '0') < 10;
}

static inline uint8_t *
at(const struct dec *d, size_t rel)
{
	return d->out->data + d->out->off + rel;
}

static inline size_t
tell(const struct dec *d)
{
	return d->out->len - d->out->off;
}

/*
 * fail: fill d->e for the byte at `p' (offset, 1-based line, 1-based
 * column in code points) and return NULL for the caller to pass up.
 */
static const uint8_t *
fail(struct dec *d, const uint8_t *p, int code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

static const uint8_t *
fail(struct dec *d, const uint8_t *p, int code, const char *fmt, ...)
{
	struct fp_json_dec_error	*e = d->e;
	const uint8_t		*q, *ls;
	uint32_t		 line, col;
	va_list			 ap;

	if (e == NULL)
		return NULL;
	if (e->code != JSON_E_OK)	/* keep the first error */
		return NULL;
	line = 1;
	ls = d->text;
	for (q = d->text; q < p; q++)
		if (*q == '\n') {
			if (line < UINT32_MAX)
				line++;
			ls = q + 1;
		}
	col = 1;
	for (q = ls; q < p; q++)
		if ((*q & 0xc0) != 0x80 && col < UINT32_MAX)
			col++;
	e->code = code;
	e->offset = (size_t)(p - d->text);
	e->line = line;
	e->column = col;
	va_start(ap, fmt);
	vsnprintf(e->msg, sizeof(e->msg), fmt, ap);
	va_end(ap);
	return NULL;
}

static const uint8_t *
fail_nomem(struct dec *d, const uint8_t *p)
{
	return fail(d, p, JSON_E_NOMEM, "out of memory");
}

/* unexpected: the error for a byte that cannot start what was expected. */
static const uint8_t *
unexpected(struct dec *d, const uint8_t *p, const char *what)
{
	if (p >= d->end)
		return fail(d, p, JSON_E_SYNTAX,
		    "unexpected end of input, expected %s", what);
	if (*p >= 0x20 && *p < 0x7f)
		return fail(d, p, JSON_E_SYNTAX,
		    "unexpected character '%c', expected %s", *p, what);
	return fail(d, p, JSON_E_SYNTAX, "unexpected byte 0x%02x, expected %s",
	    *p, what);
}

/* grow: make room for n more output bytes; NULL on ENOMEM. */
static uint8_t *
grow(struct dec *d, uint8_t *op, size_t n)
{
	d->out->len = (size_t)(op - d->out->data);
	if (fp_buf_reserve(d->out, n < 256 ? 256 : n) == -1)
		return NULL;
	return d->out->data + d->out->len;
}

#define RESERVE(n) do {							\
	if ((size_t)(d->out->data + d->out->cap - op) < (size_t)(n) &&	\
	    (op = grow(d, op, (n))) == NULL)				\
		return fail_nomem(d, p);				\
} while (0)

static inline size_t
strhdr_len(size_t n)
{
	return n < 32 ? 1 : n <= 0xff ? 2 : n <= 0xffff ? 3 : 5;
}

/*
 * utf8_len: the length of the valid UTF-8 sequence at p (p < end, *p >=
 * 0x80), or 0: overlong forms, surrogates, > U+10FFFF and truncated
 * sequences are invalid.
 */
static inline size_t
utf8_len(const uint8_t *p, const uint8_t *end)
{
	size_t	 avail = (size_t)(end - p);
	uint8_t	 c = p[0], lo = 0x80, hi = 0xbf;

	if (c >= 0xc2 && c <= 0xdf)
		return avail >= 2 && (p[1] & 0xc0) == 0x80 ? 2 : 0;
	if (c >= 0xe0 && c <= 0xef) {
		if (c == 0xe0)
			lo = 0xa0;
		else if (c == 0xed)
			hi = 0x9f;
		return avail >= 3 && p[1] >= lo && p[1] <= hi &&
		    (p[2] & 0xc0) == 0x80 ? 3 : 0;
	}
	if (c >= 0xf0 && c <= 0xf4) {
		if (c == 0xf0)
			lo = 0x90;
		else if (c == 0xf4)
			hi = 0x8f;
		return avail >= 4 && p[1] >= lo && p[1] <= hi &&
		    (p[2] & 0xc0) == 0x80 && (p[3] & 0xc0) == 0x80 ? 4 : 0;
	}
	return 0;
}

static inline int
hex4(const uint8_t *p, uint32_t *v)
{
	uint32_t	 r = 0;
	int		 i;
	uint8_t		 c;

	for (i = 0; i < 4; i++) {
		c = p[i];
		if (c >= '0' && c <= '9')
			c -= '0';
		else if ((c | 0x20) >= 'a' && (c | 0x20) <= 'f')
			c = (c | 0x20) - 'a' + 10;
		else
			return -1;
		r = r << 4 | c;
	}
	*v = r;
	return 0;
}

/* clean_run: the end of the run of bytes at p that need no attention. */
static inline const uint8_t *
clean_run(const uint8_t *p, const uint8_t *end)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__ && \
    defined(__GNUC__)
	const uint64_t	 ones = 0x0101010101010101ULL;
	const uint64_t	 high = 0x8080808080808080ULL;
	uint64_t	 w, q, b, m;

	while (end - p >= 8) {
		memcpy(&w, p, 8);
		q = w ^ (ones * '"');
		b = w ^ (ones * '\\');
		/*
		 * The lowest flagged byte of each term is a true match, so
		 * the lowest bit of the union is exact.
		 */
		m = ((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
		    ((b - ones) & ~b) | w;
		m &= high;
		if (m != 0)
			return p + (__builtin_ctzll(m) >> 3);
		p += 8;
	}
#endif
	while (p < end && cls_str[*p] == 0)
		p++;
	return p;
}

/*
 * parse_string: p is at the opening '"'; append the decoded string to the
 * output at *opp.  Returns the byte after the closing '"', or NULL.
 */
static inline const uint8_t *
parse_string(struct dec *d, const uint8_t *p, uint8_t **opp)
{
	const uint8_t	*end = d->end, *s, *q, *open = p;
	uint8_t		*op = *opp, *str;
	size_t		 n, hl, len, hrel;
	uint32_t	 c, c2;

	s = ++p;
	p = clean_run(p, end);
	if (p < end && *p == '"') {
		n = (size_t)(p - s);
		if (n > UINT32_MAX)
			return fail(d, open, JSON_E_TOO_LARGE,
			    "string longer than 4 GB");
		RESERVE(5 + 16 + n);
		op = fp_mp_wr_str(op, n);
		if (n <= 16 && end - s >= 16)
			memcpy(op, s, 16);	/* fixed size: inlined */
		else
			memcpy(op, s, n);
		*opp = op + n;
		return p + 1;
	}

	/*
	 * Slow path: escapes or non-ASCII.  The decoded string is no longer
	 * than the rest of the input, so a header sized for that is enough;
	 * it is shrunk at the end if the string turns out shorter.
	 */
	n = (size_t)(end - s);
	hl = strhdr_len(n);
	RESERVE(hl + (size_t)(p - s));
	hrel = (size_t)(op - d->out->data) - d->out->off;
	str = op + hl;
	len = (size_t)(p - s);
	memcpy(str, s, len);
	op = str + len;
	for (;;) {
		if (p >= end)
			return fail(d, p, JSON_E_SYNTAX,
			    "unexpected end of input in a string");
		if (*p == '"')
			break;
		if (*p == '\\') {
			q = p;
			RESERVE(4);
			if (end - p < 2)
				return fail(d, end, JSON_E_SYNTAX,
				    "unexpected end of input in a string");
			switch (p[1]) {
			case '"':  *op++ = '"';  p += 2; break;
			case '\\': *op++ = '\\'; p += 2; break;
			case '/':  *op++ = '/';  p += 2; break;
			case 'b':  *op++ = '\b'; p += 2; break;
			case 'f':  *op++ = '\f'; p += 2; break;
			case 'n':  *op++ = '\n'; p += 2; break;
			case 'r':  *op++ = '\r'; p += 2; break;
			case 't':  *op++ = '\t'; p += 2; break;
			case 'u':
				if (end - p < 6 || hex4(p + 2, &c) == -1)
					return fail(d, q, JSON_E_SYNTAX,
					    "invalid \\u escape");
				p += 6;
				if (c >= 0xdc00 && c <= 0xdfff)
					return fail(d, q, JSON_E_SYNTAX,
					    "unpaired surrogate \\u%04X", c);
				if (c >= 0xd800 && c <= 0xdbff) {
					if (end - p < 6 || p[0] != '\\' ||
					    p[1] != 'u' ||
					    hex4(p + 2, &c2) == -1 ||
					    c2 < 0xdc00 || c2 > 0xdfff)
						return fail(d, q,
						    JSON_E_SYNTAX,
						    "unpaired surrogate "
						    "\\u%04X", c);
					c = 0x10000 + ((c - 0xd800) << 10) +
					    (c2 - 0xdc00);
					p += 6;
				}
				if (c < 0x80)
					*op++ = c;
				else if (c < 0x800) {
					*op++ = 0xc0 | c >> 6;
					*op++ = 0x80 | (c & 0x3f);
				} else if (c < 0x10000) {
					*op++ = 0xe0 | c >> 12;
					*op++ = 0x80 | (c >> 6 & 0x3f);
					*op++ = 0x80 | (c & 0x3f);
				} else {
					*op++ = 0xf0 | c >> 18;
					*op++ = 0x80 | (c >> 12 & 0x3f);
					*op++ = 0x80 | (c >> 6 & 0x3f);
					*op++ = 0x80 | (c & 0x3f);
				}
				break;
			default:
				return fail(d, q, JSON_E_SYNTAX,
				    "invalid escape '\\%c'", p[1] >= 0x20 &&
				    p[1] < 0x7f ? p[1] : '?');
			}
		} else if (*p < 0x20) {
			return fail(d, p, JSON_E_SYNTAX,
			    "control character 0x%02x in a string "
			    "(must be escaped)", *p);
		} else {
			/* *p >= 0x80 */
			if ((n = utf8_len(p, end)) == 0)
				return fail(d, p, JSON_E_UTF8,
				    "invalid UTF-8 in a string");
			RESERVE(4);
			memcpy(op, p, n);
			op += n;
			p += n;
		}
		s = p;
		p = clean_run(p, end);
		if (p > s) {
			RESERVE((size_t)(p - s));
			memcpy(op, s, (size_t)(p - s));
			op += p - s;
		}
	}
	/* Growth may have moved the buffer: find the header by offset. */
	str = at(d, hrel);
	len = (size_t)(op - (str + hl));
	if (len > UINT32_MAX)
		return fail(d, open, JSON_E_TOO_LARGE,
		    "string longer than 4 GB");
	if (strhdr_len(len) < hl) {
		memmove(str + strhdr_len(len), str + hl, len);
		op -= hl - strhdr_len(len);
	}
	fp_mp_wr_str(str, len);
	*opp = op;
	return p + 1;
}

/*
 * slow_double: the correctly rounded double of the number text [s, e)
 * (strtod on a NUL-terminated copy, with '.' replaced by the locale's
 * decimal point if that is something else).  -1 on ENOMEM.
 */
static int
slow_double(const uint8_t *s, const uint8_t *e, double *v)
{
	char		 stack[128], *c, *q;
	const char	*dp;
	size_t		 n = (size_t)(e - s), dpl, i;

	dp = localeconv()->decimal_point;
	dpl = dp != NULL && *dp != '\0' ? strlen(dp) : 1;
	if (dpl == 1 && dp != NULL && *dp == '.')
		dp = NULL;
	if (n + dpl + 1 <= sizeof(stack))
		c = stack;
	else if ((c = malloc(n + dpl + 1)) == NULL)
		return -1;
	for (q = c, i = 0; i < n; i++) {
		if (s[i] == '.' && dp != NULL) {
			memcpy(q, dp, dpl);
			q += dpl;
		} else
			*q++ = s[i];
	}
	*q = '\0';
	*v = strtod(c, NULL);
	if (c != stack)
		free(c);
	return 0;
}

/*
 * parse_number: p is at '-' or a digit; append the number to *opp.
 * Returns the byte after it, or NULL.
 */
static inline const uint8_t *
parse_number(struct dec *d, const uint8_t *p, uint8_t **opp)
{
	const uint8_t	*end = d->end, *s = p, *ds;
	uint8_t		*op = *opp;
	uint64_t	 m = 0;
	int64_t		 e10 = 0, ex = 0;
	int		 neg = 0, big = 0, exneg = 0, nsig = 0, exact = 1;
	unsigned	 dig;
	double		 v;

	if (*p == '-') {
		neg = 1;
		if (++p >= end || !is_digit(*p))
			return unexpected(d, p, "a digit after '-'");
	}
	ds = p;
	if (*p == '0') {
		p++;
		if (p < end && is_digit(*p))
			return fail(d, p - 1, JSON_E_SYNTAX,
			    "leading zero in a number");
	} else {
		while (p < end && (dig = *p - '0') < 10 && p - ds < 19) {
			m = m * 10 + dig;
			p++;
		}
		if (p < end && (dig = *p - '0') < 10) {
			/* 20 digits or more. */
			if (m > (UINT64_MAX - dig) / 10)
				big = 1;
			else
				m = m * 10 + dig;
			p++;
			while (p < end && is_digit(*p)) {
				big = 1;
				p++;
			}
		}
	}
	if (p >= end || (*p != '.' && (*p | 0x20) != 'e')) {
		/* An integer. */
		RESERVE(9);
		if (!big && !neg) {
			*opp = fp_mp_wr_uint(op, m);
			return p;
		}
		if (!big && m <= (uint64_t)INT64_MAX + 1) {
			if (m == 0)
				*opp = fp_mp_wr_double(op, -0.0);
			else
				*opp = fp_mp_wr_int(op, m == (uint64_t)INT64_MAX +
				    1 ? INT64_MIN : -(int64_t)m);
			return p;
		}
		switch (d->bignum) {
		case JSON_BIG_ERROR:
			return fail(d, s, JSON_E_RANGE,
			    "integer out of range (beyond 64 bits)");
		case JSON_BIG_STRING:
			RESERVE(5 + (size_t)(p - s));
			op = fp_mp_wr_str(op, (size_t)(p - s));
			memcpy(op, s, (size_t)(p - s));
			*opp = op + (p - s);
			return p;
		default:
			if (slow_double(s, p, &v) == -1)
				return fail_nomem(d, s);
			if (isinf(v))
				return fail(d, s, JSON_E_RANGE,
				    "number out of range");
			*opp = fp_mp_wr_double(op, v);
			return p;
		}
	}

	/*
	 * A float.  Fast path (Clinger): at most 19 significant digits
	 * making a mantissa below 2^53 and a power of ten up to 22 are
	 * exact as doubles, so one multiplication or division is correctly
	 * rounded.  Everything else goes to strtod.
	 */
	if (big || p - ds > 19)
		exact = 0;
	else
		nsig = m == 0 ? 0 : (int)(p - ds);
	if (*p == '.') {
		p++;
		if (p >= end || !is_digit(*p))
			return unexpected(d, p, "a digit after '.'");
		do {
			dig = *p - '0';
			if (exact) {
				if (nsig < 19) {
					m = m * 10 + dig;
					e10--;
					if (m != 0)
						nsig++;
				} else
					exact = 0;
			}
			p++;
		} while (p < end && is_digit(*p));
	}
	if (p < end && (*p | 0x20) == 'e') {
		p++;
		if (p < end && (*p == '+' || *p == '-'))
			exneg = *p++ == '-';
		if (p >= end || !is_digit(*p))
			return unexpected(d, p, "a digit in the exponent");
		do {
			if (ex < 100000000)
				ex = ex * 10 + (*p - '0');
			p++;
		} while (p < end && is_digit(*p));
		e10 += exneg ? -ex : ex;
	}
	RESERVE(9);
#if FLT_EVAL_METHOD == 0
	if (exact && m <= (1ULL << 53) && e10 >= -22 && e10 <= 22) {
		v = (double)m;
		if (e10 < 0)
			v /= pow10_tab[-e10];
		else
			v *= pow10_tab[e10];
		*opp = fp_mp_wr_double(op, neg ? -v : v);
		return p;
	}
#endif
	if (slow_double(s, p, &v) == -1)
		return fail_nomem(d, s);
	if (isinf(v))
		return fail(d, s, JSON_E_RANGE, "number out of range");
	*opp = fp_mp_wr_double(op, v);
	return p;
}

/* put_cont: write the smallest array/map header for n; returns its length. */
static inline size_t
put_cont(uint8_t *h, uint32_t n, int obj)
{
	return (size_t)(fp_mp_wr_container(h, obj ? FP_MP_MAP : FP_MP_ARRAY, n) -
	    h);
}

static int
keycmp(const void *a0, const void *b0, void *arg)
{
	const struct key	*a = a0, *b = b0;
	const struct dec	*d = arg;
	int			 r;

	r = memcmp(at(d, a->str), at(d, b->str), a->len < b->len ? a->len :
	    b->len);
	if (r != 0)
		return r;
	if (a->len != b->len)
		return a->len < b->len ? -1 : 1;
	return a->hdr < b->hdr ? -1 : a->hdr > b->hdr;
}

static int
keypos(const void *a0, const void *b0)
{
	const struct key	*a = a0, *b = b0;

	return a->hdr < b->hdr ? -1 : a->hdr > b->hdr;
}

/*
 * dedup: apply JSON_DUP_ERROR or JSON_DUP_LAST to the object of frame f,
 * whose members are all in the output.  Duplicates are found by sorting
 * the keys; with JSON_DUP_LAST the earlier members of each group of equal
 * keys are cut out of the output (and the pending headers inside them
 * forgotten, those after them moved).
 */
static int
dedup(struct dec *d, struct frame *f)
{
	struct key	*k = d->keys + f->keys;
	size_t		 nk = d->nkeys - f->keys, i, ms, me, dst;
	size_t		 removed, pi, pw, ndead;
	size_t		 dupin = SIZE_MAX;

	qsort_r(k, nk, sizeof(*k), keycmp, d);
	ndead = 0;
	for (i = 1; i < nk; i++) {
		if (k[i - 1].len == k[i].len && memcmp(at(d, k[i - 1].str),
		    at(d, k[i].str), k[i].len) == 0) {
			/* Sorted by position within a group: i is later. */
			if (k[i].in < dupin)
				dupin = k[i].in;
			k[i - 1].dead = 1;
			ndead++;
		}
	}
	if (ndead == 0)
		return 0;
	if (d->dup == JSON_DUP_ERROR) {
		fail(d, d->text + dupin, JSON_E_DUPKEY, "duplicate object key");
		return -1;
	}
	qsort(k, nk, sizeof(*k), keypos);
	dst = k[0].hdr;
	removed = 0;
	pi = pw = f->pend + 1;
	for (i = 0; i < nk; i++) {
		ms = k[i].hdr;
		me = i + 1 < nk ? k[i + 1].hdr : tell(d);
		while (pi < d->npend && d->pend[pi] < me) {
			if (!k[i].dead)
				d->pend[pw++] = d->pend[pi] - removed;
			pi++;
		}
		if (k[i].dead)
			removed += me - ms;
		else {
			if (dst != ms)
				memmove(at(d, dst), at(d, ms), me - ms);
			dst += me - ms;
		}
	}
	d->npend = pw;
	d->out->len -= removed;
	f->count -= ndead;
	return 0;
}

/* grow_array: make room for one more element of *arr; -1 on ENOMEM. */
static int
grow_array(void **arr, size_t *cap, size_t n, size_t size, size_t max)
{
	size_t	 nc;
	void	*na;

	if (n < *cap)
		return 0;
	nc = *cap ? *cap * 2 : 32;
	if (nc > max)
		nc = max;
	if (nc <= n || nc > SIZE_MAX / size) {
		errno = ENOMEM;
		return -1;
	}
	if ((na = realloc(*arr, nc * size)) == NULL)
		return -1;
	*arr = na;
	*cap = nc;
	return 0;
}

/*
 * move_down: memmove(dst, src, n) for dst < src, inlined for the short
 * bodies shrunk at close (each 8-byte chunk is loaded before it is
 * stored, and stores stay below the next load).
 */
static inline void
move_down(uint8_t *dst, const uint8_t *src, size_t n)
{
	uint64_t	 w;

	if (n > COMPACT_MAX) {
		memmove(dst, src, n);
		return;
	}
	for (; n >= 8; n -= 8, dst += 8, src += 8) {
		memcpy(&w, src, 8);
		memcpy(dst, &w, 8);
	}
	while (n-- > 0)
		*dst++ = *src++;
}

/* open_frame: start an array or map at p; the output is in sync. */
static int
open_frame(struct dec *d, const uint8_t *p, int obj)
{
	struct frame	*f;
	size_t		 cfr = d->cfr;

	if (d->nfr >= d->max_depth) {
		fail(d, p, JSON_E_DEPTH, "nesting deeper than %u",
		    (unsigned)d->max_depth);
		return -1;
	}
	if (grow_array((void **)&d->fr, &cfr, d->nfr, sizeof(*d->fr),
	    d->max_depth) == -1 ||
	    grow_array((void **)&d->pend, &d->cpend, d->npend,
	    sizeof(*d->pend), SIZE_MAX) == -1 ||
	    fp_buf_reserve(d->out, 5) == -1) {
		fail_nomem(d, p);
		return -1;
	}
	d->cfr = (uint32_t)cfr;
	f = &d->fr[d->nfr++];
	f->hdr = tell(d);
	f->pend = d->npend;
	f->keys = d->nkeys;
	f->count = 0;
	f->obj = obj;
	d->pend[d->npend++] = f->hdr;
	d->out->len += 5;
	return 0;
}

/* close_frame: finish the innermost container; the output is in sync. */
static int
close_frame(struct dec *d)
{
	struct frame	*f = &d->fr[d->nfr - 1];
	size_t		 body, hl;
	uint8_t		*h;

	if (f->obj && d->dup != JSON_DUP_KEEP && d->nkeys - f->keys > 1 &&
	    dedup(d, f) == -1)
		return -1;
	body = tell(d) - f->hdr - 5;
	h = at(d, f->hdr);
	if (d->npend == f->pend + 1 &&
	    (body <= COMPACT_MAX || f->count > 0xffff)) {
		hl = put_cont(h, f->count, f->obj);
		if (hl < 5) {
			move_down(h + hl, h + 5, body);
			d->out->len -= 5 - hl;
		}
		d->npend--;
	} else {
		fp_mp_wr_be(h, f->obj ? 0xdf : 0xdd, f->count, 4);
	}
	d->nkeys = f->keys;
	d->nfr--;
	return 0;
}

/*
 * final_pass: shrink the headers still listed in d->pend (in output
 * order), moving everything between them down once.
 */
static void
final_pass(struct dec *d)
{
	size_t		 i, src, dst, h;
	uint8_t		*hp;
	uint32_t	 n;
	int		 obj;

	src = dst = d->pend[0];
	for (i = 0; i < d->npend; i++) {
		h = d->pend[i];
		if (dst != src)
			memmove(at(d, dst), at(d, src), h - src);
		dst += h - src;
		hp = at(d, h);
		obj = hp[0] == 0xdf;
		n = fp_mp_be32(hp + 1);
		dst += put_cont(at(d, dst), n, obj);
		src = h + 5;
	}
	if (dst != src)
		memmove(at(d, dst), at(d, src), tell(d) - src);
	d->out->len -= src - dst;
	d->npend = 0;
}

static inline const uint8_t *
skip_ws(const uint8_t *p, const uint8_t *end)
{
	while (p < end && is_ws(*p))
		p++;
	return p;
}

/* bad_literal: the error for a word at p that is not `want'. */
static void
bad_literal(struct dec *d, const uint8_t *p, const char *want)
{
	size_t	 n = (size_t)(d->end - p), wl = strlen(want);

	if (n < wl && memcmp(p, want, n) == 0)
		fail(d, d->end, JSON_E_SYNTAX, "unexpected end of input in "
		    "'%s'", want);
	else
		fail(d, p, JSON_E_SYNTAX, "invalid literal (expected '%s')",
		    want);
}

void
fp_json_dec_options_init(struct fp_json_dec_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_depth = JSON_DEPTH_DEFAULT;
	o->bignum = JSON_BIG_FLOAT;
	o->dup_keys = JSON_DUP_KEEP;
}

#define SYNC()		(d.out->len = (size_t)(op - d.out->data))
#define RELOAD()	(op = d.out->data + d.out->len)

int
fp_json_decode(const uint8_t *text, size_t len,
    const struct fp_json_dec_options *o, struct fp_buf *out,
    struct fp_json_dec_error *e)
{
	struct dec		 d;
	struct fp_json_dec_error	 scratch;
	struct frame		*f;
	const uint8_t		*p, *end = text + len;
	uint8_t			*op;
	struct fp_mp_head	 kh;
	size_t			 khdr, kend, kin, hl;

	memset(&d, 0, sizeof(d));
	d.text = text;
	d.end = end;
	d.out = out;
	d.e = e != NULL ? e : &scratch;
	memset(d.e, 0, sizeof(*d.e));
	d.max_depth = o != NULL && o->max_depth != 0 ? o->max_depth :
	    JSON_DEPTH_DEFAULT;
	d.bignum = o != NULL ? o->bignum : JSON_BIG_FLOAT;
	d.dup = o != NULL ? o->dup_keys : JSON_DUP_KEEP;
	d.start = tell(&d);

	if (d.bignum != JSON_BIG_FLOAT && d.bignum != JSON_BIG_ERROR &&
	    d.bignum != JSON_BIG_STRING) {
		fail(&d, text, JSON_E_INVAL, "invalid bignum option");
		return -1;
	}
	if (d.dup != JSON_DUP_KEEP && d.dup != JSON_DUP_LAST &&
	    d.dup != JSON_DUP_ERROR) {
		fail(&d, text, JSON_E_INVAL, "invalid dup_keys option");
		return -1;
	}
	if (o != NULL && o->max_size != 0 && len > o->max_size) {
		fail(&d, text + o->max_size, JSON_E_TOO_LARGE,
		    "input longer than max_size (%zu bytes)", o->max_size);
		return -1;
	}
	if (len >= 3 && text[0] == 0xef && text[1] == 0xbb &&
	    text[2] == 0xbf) {
		fail(&d, text, JSON_E_SYNTAX,
		    "byte order mark (U+FEFF) not allowed");
		return -1;
	}
	if (fp_buf_reserve(out, len / 2 + 64) == -1) {
		fail_nomem(&d, text);
		return -1;
	}
	op = out->data + out->len;
	p = skip_ws(text, end);

value:
	if (p >= end) {
		unexpected(&d, p, "a value");
		goto fail;
	}
	switch (*p) {
	case '{':
	case '[':
		SYNC();
		if (open_frame(&d, p, *p == '{') == -1)
			goto fail;
		RELOAD();
		p = skip_ws(p + 1, end);
		if (p < end && *p == (d.fr[d.nfr - 1].obj ? '}' : ']')) {
			p++;
			goto close;
		}
		if (d.fr[d.nfr - 1].obj)
			goto key;
		goto value;
	case '"':
		if ((p = parse_string(&d, p, &op)) == NULL)
			goto fail;
		break;
	case '-': case '0': case '1': case '2': case '3': case '4':
	case '5': case '6': case '7': case '8': case '9':
		if ((p = parse_number(&d, p, &op)) == NULL)
			goto fail;
		break;
	case 't':
	case 'f':
	case 'n': {
		static const char *const words[] = { "true", "false", "null" };
		static const uint8_t codes[] = { 0xc3, 0xc2, 0xc0 };
		int	 w = *p == 't' ? 0 : *p == 'f' ? 1 : 2;
		size_t	 wl = w == 1 ? 5 : 4;

		if ((size_t)(end - p) < wl || (w == 1 ?
		    memcmp(p, "false", 5) : memcmp(p, words[w], 4)) != 0) {
			bad_literal(&d, p, words[w]);
			goto fail;
		}
		if (op == out->data + out->cap) {
			if ((op = grow(&d, op, 1)) == NULL) {
				fail_nomem(&d, p);
				goto fail;
			}
		}
		*op++ = codes[w];
		p += wl;
		break;
	}
	default:
		unexpected(&d, p, "a value");
		goto fail;
	}

next:
	if (d.nfr == 0)
		goto done;
	f = &d.fr[d.nfr - 1];
	if (f->count == UINT32_MAX) {
		fail(&d, p, JSON_E_TOO_LARGE, "more than 4294967295 %s",
		    f->obj ? "members in an object" : "elements in an array");
		goto fail;
	}
	f->count++;
	if (p < end && is_ws(*p))
		p = skip_ws(p, end);
	if (p < end && *p == ',') {
		p = skip_ws(p + 1, end);
		if (f->obj)
			goto key;
		goto value;
	}
	if (p < end && *p == (f->obj ? '}' : ']')) {
		p++;
		goto close;
	}
	if (p >= end)
		fail(&d, p, JSON_E_SYNTAX, "unexpected end of input, expected "
		    "',' or '%c'", f->obj ? '}' : ']');
	else
		fail(&d, p, JSON_E_SYNTAX, "expected ',' or '%c' after an "
		    "%s", f->obj ? '}' : ']', f->obj ? "object member" :
		    "array element");
	goto fail;

key:
	if (p >= end || *p != '"') {
		if (p < end && *p == '}')
			fail(&d, p, JSON_E_SYNTAX,
			    "expected an object key after ',' (trailing comma)");
		else
			unexpected(&d, p, "a string (object key)");
		goto fail;
	}
	khdr = (size_t)(op - out->data) - out->off;
	kin = (size_t)(p - text);
	if ((p = parse_string(&d, p, &op)) == NULL)
		goto fail;
	if (d.dup != JSON_DUP_KEEP) {
		kend = (size_t)(op - out->data) - out->off;
		SYNC();
		if (grow_array((void **)&d.keys, &d.ckeys, d.nkeys,
		    sizeof(*d.keys), SIZE_MAX) == -1) {
			fail_nomem(&d, p);
			goto fail;
		}
		RELOAD();
		fp_mp_head(at(&d, khdr), kend - khdr, &kh);
		hl = kh.hlen;
		d.keys[d.nkeys].hdr = khdr;
		d.keys[d.nkeys].str = khdr + hl;
		d.keys[d.nkeys].len = kend - khdr - hl;
		d.keys[d.nkeys].in = kin;
		d.keys[d.nkeys].dead = 0;
		d.nkeys++;
	}
	if (p < end && is_ws(*p))
		p = skip_ws(p, end);
	if (p >= end || *p != ':') {
		if (p >= end)
			fail(&d, p, JSON_E_SYNTAX,
			    "unexpected end of input, expected ':'");
		else
			fail(&d, p, JSON_E_SYNTAX,
			    "expected ':' after an object key");
		goto fail;
	}
	p = skip_ws(p + 1, end);
	goto value;

close:
	SYNC();
	if (close_frame(&d) == -1)
		goto fail;
	RELOAD();
	goto next;

done:
	p = skip_ws(p, end);
	if (p != end) {
		fail(&d, p, JSON_E_SYNTAX, "trailing characters after the value");
		goto fail;
	}
	SYNC();
	if (d.npend > 0)
		final_pass(&d);
	free(d.fr);
	free(d.pend);
	free(d.keys);
	return 0;

fail:
	out->len = out->off + d.start;
	free(d.fr);
	free(d.pend);
	free(d.keys);
	return -1;
}
