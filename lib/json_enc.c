/*
 * json_enc.c -- MessagePack to JSON text.  See json.h for the rules.
 *
 * One pass over the input with an explicit stack of container frames (no
 * recursion).  Output goes straight into the caller's struct fp_buf through
 * a cursor; every writer first asks for a bounded amount of room (ENSURE),
 * so the hot paths only compare two pointers.  With max_size the room is
 * clamped so that the slow path notices when the text passes the limit;
 * with truncate it then switches to counting: the rest of the text is
 * written over and over into a scratch area after the cut and only its
 * length is kept.
 */
#include <math.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "json.h"
#include "mp.h"

#define STR_CHUNK	4096		/* string bytes per reservation */
#define B64_CHUNK	3072		/* bin bytes per reservation */
#define IND_CHUNK	4096		/* indentation spaces per reservation */
#define ENS_MAX		(6 * STR_CHUNK + 64)	/* largest ENSURE() */
#define SCRATCH		(ENS_MAX + 64)
#define GROW_MIN	65536
#define STACK_LOCAL	64

struct frame {
	uint64_t	 left;		/* elements or entries still to write */
	size_t		 blk;		/* sort_keys: the map's block, or 0 */
	uint8_t		 map;
};

/* sort_keys: a map's block in enc.skw, found by the map's offset. */
struct skmap {
	size_t		 at;		/* offset of the map's header */
	size_t		 blk;		/* index of its block in skw */
};

struct enc {
	uint8_t		*p;		/* write cursor */
	uint8_t		*lim;		/* end of the room we may write */
	struct fp_buf	*b;
	size_t		 start;		/* text start, relative to b->off */
	size_t		 max;		/* max_size, 0 for none */
	size_t		 scr;		/* counting: scratch start (rel.) */
	size_t		 counted;	/* counting: bytes before scratch */
	int		 counting;
	int		 truncate;
	int		 nan;
	int		 utf8;
	int		 ascii;
	int		 indent;
	const uint8_t	*mp;		/* input, for error offsets */
	size_t		 mplen;
	const uint8_t	*at;		/* object being encoded */
	uint64_t	*skw;		/* sort_keys: blocks (see sk_scan) */
	size_t		 skn, skcap;
	struct skmap	*skm;		/* sort_keys: blocks by map offset */
	size_t		 skmn, skmcap, skhint;
	int		 error;
	size_t		 eoff;
	char		*err;
	size_t		 errlen;
};

/* 0: copied as is; 1: escaped; 2: first byte of a UTF-8 sequence or bad. */
static const uint8_t esc_tab[256] = {
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
	0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
	2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2,
};

static const char hexdig[] = "0123456789abcdef";

static const char b64tab[] =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

static const char dig2[] =
    "00010203040506070809101112131415161718192021222324"
    "25262728293031323334353637383940414243444546474849"
    "50515253545556575859606162636465666768697071727374"
    "75767778798081828384858687888990919293949596979899";

static const double pow10tab[23] = {
	1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11,
	1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22
};

static const uint64_t pow5tab[23] = {
	1ULL, 5ULL, 25ULL, 125ULL, 625ULL, 3125ULL, 15625ULL, 78125ULL,
	390625ULL, 1953125ULL, 9765625ULL, 48828125ULL, 244140625ULL,
	1220703125ULL, 6103515625ULL, 30517578125ULL, 152587890625ULL,
	762939453125ULL, 3814697265625ULL, 19073486328125ULL,
	95367431640625ULL, 476837158203125ULL, 2384185791015625ULL
};

#define ENSURE(e, n) do {						\
	if ((size_t)((e)->lim - (e)->p) < (size_t)(n) &&		\
	    enc_grow((e), (n)) == -1)					\
		return -1;						\
} while (0)

static int __attribute__((format(printf, 4, 5)))
enc_fail(struct enc *e, int code, const uint8_t *at, const char *fmt, ...)
{
	va_list	 ap;
	int	 n;

	e->error = code;
	e->eoff = (size_t)(at - e->mp);
	if (e->err != NULL && e->errlen > 0) {
		n = snprintf(e->err, e->errlen, "offset %zu: ", e->eoff);
		if (n >= 0 && (size_t)n < e->errlen) {
			va_start(ap, fmt);
			vsnprintf(e->err + n, e->errlen - (size_t)n, fmt, ap);
			va_end(ap);
		}
	}
	return -1;
}

/*
 * enc_grow: make room for n (<= ENS_MAX) bytes at the cursor, or notice
 * that the text passed max_size (fail, or start counting).
 */
static int
enc_grow(struct enc *e, size_t n)
{
	struct fp_buf	*b = e->b;
	uint8_t		*head = b->data + b->off;
	size_t		 pos = (size_t)(e->p - head), want, clamp;

	if (e->counting) {
		e->counted += pos - e->scr;
		e->p = head + e->scr;
		return 0;
	}
	if (e->max > 0 && pos - e->start > e->max) {
		if (!e->truncate)
			return enc_fail(e, JSON_E_TOO_LARGE, e->at,
			    "text longer than max_size (%zu bytes)", e->max);
		e->counting = 1;
		e->counted = pos - e->start;
		e->scr = e->start + e->max + 1;
		b->len = b->off + e->scr;
		if (fp_buf_reserve(b, SCRATCH) == -1)
			return enc_fail(e, JSON_E_NOMEM, e->at,
			    "out of memory");
		e->p = b->data + b->off + e->scr;
		e->lim = e->p + SCRATCH;
		return 0;
	}
	b->len = b->off + pos;
	want = n < GROW_MIN ? GROW_MIN : n;
	if (fp_buf_reserve(b, want) == -1)
		return enc_fail(e, JSON_E_NOMEM, e->at, "out of memory");
	/* fp_buf_reserve may have compacted: positions are relative to off. */
	head = b->data + b->off;
	e->p = head + pos;
	e->lim = b->data + b->cap;
	if (e->max > 0) {
		clamp = e->start + e->max + 1 + ENS_MAX;
		if ((size_t)(e->lim - head) > clamp)
			e->lim = head + clamp;
	}
	return 0;
}

/* put_u64: decimal digits of v at p; returns the new end. */
static inline uint8_t *
put_u64(uint8_t *p, uint64_t v)
{
	uint64_t t = v;
	unsigned r;
	int	 n = 1;
	uint8_t	*q;

	while (t >= 10000) {
		t /= 10000;
		n += 4;
	}
	if (t >= 100)
		n += t >= 1000 ? 3 : 2;
	else
		n += t >= 10;
	q = p + n;
	while (v >= 100) {
		r = (unsigned)(v % 100);
		v /= 100;
		q -= 2;
		memcpy(q, dig2 + 2 * r, 2);
	}
	if (v >= 10) {
		q -= 2;
		memcpy(q, dig2 + 2 * v, 2);
	} else
		*--q = (uint8_t)('0' + v);
	return p + n;
}

static inline uint8_t *
put_i64(uint8_t *p, int64_t v)
{
	if (v < 0) {
		*p++ = '-';
		return put_u64(p, (uint64_t)0 - (uint64_t)v);
	}
	return put_u64(p, (uint64_t)v);
}

/* ---- numbers ---- */

/*
 * fmt_js: the text of 0.DIG x 10^n (dig[0..len), no leading or trailing
 * zeros) as JavaScript's Number#toString writes it.
 */
static size_t
fmt_js(char *s, int neg, const char *dig, int len, int n)
{
	char	*p = s;
	int	 x;

	if (neg)
		*p++ = '-';
	if (len <= n && n <= 21) {
		memcpy(p, dig, (size_t)len);
		p += len;
		memset(p, '0', (size_t)(n - len));
		p += n - len;
	} else if (0 < n && n <= 21) {
		memcpy(p, dig, (size_t)n);
		p += n;
		*p++ = '.';
		memcpy(p, dig + n, (size_t)(len - n));
		p += len - n;
	} else if (-6 < n && n <= 0) {
		*p++ = '0';
		*p++ = '.';
		memset(p, '0', (size_t)-n);
		p += -n;
		memcpy(p, dig, (size_t)len);
		p += len;
	} else {
		*p++ = dig[0];
		if (len > 1) {
			*p++ = '.';
			memcpy(p, dig + 1, (size_t)(len - 1));
			p += len - 1;
		}
		*p++ = 'e';
		x = n - 1;
		*p++ = x < 0 ? '-' : '+';
		p = (char *)put_u64((uint8_t *)p, (uint64_t)(x < 0 ? -x : x));
	}
	return (size_t)(p - s);
}

/* fmt_dec: the text of N x 10^x. */
static size_t
fmt_dec(char *s, int neg, uint64_t N, int x)
{
	char	 dig[24];
	int	 len, n;

	len = (int)((char *)put_u64((uint8_t *)dig, N) - dig);
	n = len + x;
	while (len > 1 && dig[len - 1] == '0')
		len--;
	return fmt_js(s, neg, dig, len, n);
}

/*
 * dyadic: when a (> 0, normal) is m / 2^k with an exact decimal of fewer
 * than `limit' digits, that decimal is the shortest that reads back (the
 * decimals of that many digits are further apart than one ulp).
 */
static int
dyadic(double a, uint64_t limit, uint64_t *N, int *x)
{
	uint64_t bits, m;
	int	 be, e, tz;

	memcpy(&bits, &a, 8);
	be = (int)(bits >> 52 & 0x7ff);
	if (be == 0)
		return 0;
	m = (bits & ((1ULL << 52) - 1)) | 1ULL << 52;
	e = be - 1075;
	tz = __builtin_ctzll(m);
	m >>= tz;
	e += tz;
	if (e >= 0) {
		if (e > 50 || m >= limit >> e)
			return 0;
		*N = m << e;
		*x = 0;
		return 1;
	}
	if (-e > 22 || m >= limit / pow5tab[-e])
		return 0;
	*N = m * pow5tab[-e];
	*x = e;
	return 1;
}

/* fmt_sci: digits and exponent of a "%.*e" text, formatted JS style. */
static size_t
fmt_sci(char *s, int neg, const char *t)
{
	char	 dig[24];
	int	 len = 0;

	dig[len++] = *t++;
	if (*t == '.')
		for (t++; *t >= '0' && *t <= '9'; t++)
			dig[len++] = *t;
	while (len > 1 && dig[len - 1] == '0')
		len--;
	return fmt_js(s, neg, dig, len, atoi(t + 1) + 1);
}

size_t
fp_json_fmt_double(char *s, double v)
{
	char	 t[40];
	double	 a, x, n;
	uint64_t N;
	int	 k, neg, p, e;

	if (v == 0) {
		if (signbit(v)) {
			memcpy(s, "-0", 2);
			return 2;
		}
		*s = '0';
		return 1;
	}
	neg = v < 0;
	a = neg ? -v : v;
	if (dyadic(a, 1000000000000000ULL, &N, &e))
		return fmt_dec(s, neg, N, e);
	if (a < 9007199254740992.0 && a >= 1e-7) {
		/*
		 * n / 10^k == a in IEEE arithmetic, n and 10^k exact, means
		 * the correctly rounded value of n x 10^-k is a: that is what
		 * strtod computes.
		 */
		for (k = 0; k <= 22; k++) {
			x = a * pow10tab[k];
			if (x >= 9007199254740992.0)
				break;
			n = (double)(uint64_t)(x + 0.5);
			if (n / pow10tab[k] == a)
				return fmt_dec(s, neg, (uint64_t)n, -k);
		}
	}
	/*
	 * 15 significant digits are further apart than an ulp of a normal
	 * double, so when %.15e reads back it is the shortest (trailing
	 * zeros dropped); subnormals have fewer bits and try every length.
	 */
	for (p = a < 2.2250738585072014e-308 ? 1 : 15; p < 17; p++) {
		snprintf(t, sizeof(t), "%.*e", p - 1, a);
		if (strtod(t, NULL) == a)
			return fmt_sci(s, neg, t);
	}
	snprintf(t, sizeof(t), "%.16e", a);
	return fmt_sci(s, neg, t);
}

size_t
fp_json_fmt_float(char *s, float f)
{
	char	 t[40];
	double	 a;
	uint64_t N;
	int	 neg, p, e;

	if (f == 0)
		return fp_json_fmt_double(s, (double)f);
	neg = f < 0;
	a = neg ? -(double)f : (double)f;
	/* Six-digit decimals are further apart than an ulp of a float. */
	if (fabs(f) >= 1.17549435e-38f &&
	    dyadic(a, 1000000ULL, &N, &e))
		return fmt_dec(s, neg, N, e);
	for (p = 1; p < 9; p++) {
		snprintf(t, sizeof(t), "%.*e", p - 1, a);
		if (strtof(t, NULL) == (float)a)
			return fmt_sci(s, neg, t);
	}
	snprintf(t, sizeof(t), "%.8e", a);
	return fmt_sci(s, neg, t);
}

static int
enc_double(struct enc *e, double v, int key)
{
	ENSURE(e, JSON_DBL_MAX + 2);
	if (!isfinite(v)) {
		if (e->nan == JSON_NAN_ERROR)
			return enc_fail(e, JSON_E_NAN, e->at, "%s",
			    isnan(v) ? "NaN" : "Infinity");
		memcpy(e->p, key ? "\"null\"" : "null", key ? 6 : 4);
		e->p += key ? 6 : 4;
		return 0;
	}
	if (key)
		*e->p++ = '"';
	e->p += fp_json_fmt_double((char *)e->p, v);
	if (key)
		*e->p++ = '"';
	return 0;
}

static int
enc_float(struct enc *e, float v, int key)
{
	if (!isfinite(v))
		return enc_double(e, (double)v, key);
	ENSURE(e, JSON_DBL_MAX + 2);
	if (key)
		*e->p++ = '"';
	e->p += fp_json_fmt_float((char *)e->p, v);
	if (key)
		*e->p++ = '"';
	return 0;
}

/* ---- strings ---- */

/*
 * utf8_seq: length (2..4) of the valid UTF-8 sequence at s (before se)
 * and its code point, or 0.
 */
static inline int
utf8_seq(const uint8_t *s, const uint8_t *se, uint32_t *cp)
{
	uint32_t c = s[0], v;

	if (c < 0xc2)
		return 0;
	if (c < 0xe0) {
		if (se - s < 2 || (s[1] & 0xc0) != 0x80)
			return 0;
		*cp = (c & 0x1f) << 6 | (s[1] & 0x3f);
		return 2;
	}
	if (c < 0xf0) {
		if (se - s < 3 || (s[1] & 0xc0) != 0x80 ||
		    (s[2] & 0xc0) != 0x80)
			return 0;
		v = (c & 0x0f) << 12 | (uint32_t)(s[1] & 0x3f) << 6 |
		    (s[2] & 0x3f);
		if (v < 0x800 || (v >= 0xd800 && v <= 0xdfff))
			return 0;
		*cp = v;
		return 3;
	}
	if (c < 0xf5) {
		if (se - s < 4 || (s[1] & 0xc0) != 0x80 ||
		    (s[2] & 0xc0) != 0x80 || (s[3] & 0xc0) != 0x80)
			return 0;
		v = (c & 0x07) << 18 | (uint32_t)(s[1] & 0x3f) << 12 |
		    (uint32_t)(s[2] & 0x3f) << 6 | (s[3] & 0x3f);
		if (v < 0x10000 || v > 0x10ffff)
			return 0;
		*cp = v;
		return 4;
	}
	return 0;
}

static inline uint8_t *
put_u4(uint8_t *p, uint32_t u)
{
	p[0] = '\\';
	p[1] = 'u';
	p[2] = (uint8_t)hexdig[u >> 12 & 0xf];
	p[3] = (uint8_t)hexdig[u >> 8 & 0xf];
	p[4] = (uint8_t)hexdig[u >> 4 & 0xf];
	p[5] = (uint8_t)hexdig[u & 0xf];
	return p + 6;
}

/* clean8: no byte of w needs attention (< 0x20, '"', '\\', >= 0x80). */
static inline int
clean8(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ULL;
	const uint64_t high = 0x8080808080808080ULL;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');

	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) |
	    ((b - ones) & ~b) | w) & high ? 0 : 1;
}

/* enc_str: the JSON string for s[0..n); s is at mp offset in the input. */
static int
enc_str(struct enc *e, const uint8_t *s, size_t n)
{
	const uint8_t	*se = s + n, *ce, *r;
	uint8_t		*p;
	uint32_t	 cp;
	uint64_t	 w;
	int		 c, k;

	ENSURE(e, 2);
	*e->p++ = '"';
	while (s < se) {
		ce = se - s > STR_CHUNK ? s + STR_CHUNK : se;
		ENSURE(e, 6 * (size_t)(ce - s) + 24);
		p = e->p;
		while (s < ce) {
			r = s;
			while (ce - r >= 8) {
				memcpy(&w, r, 8);
				if (!clean8(w))
					break;
				r += 8;
			}
			while (r < ce && esc_tab[*r] == 0)
				r++;
			memcpy(p, s, (size_t)(r - s));
			p += r - s;
			s = r;
			if (s >= ce)
				break;
			c = *s;
			if (esc_tab[c] == 1) {
				*p++ = '\\';
				switch (c) {
				case '"':	*p++ = '"'; break;
				case '\\':	*p++ = '\\'; break;
				case '\b':	*p++ = 'b'; break;
				case '\f':	*p++ = 'f'; break;
				case '\n':	*p++ = 'n'; break;
				case '\r':	*p++ = 'r'; break;
				case '\t':	*p++ = 't'; break;
				default:
					p = put_u4(p - 1, (uint32_t)c);
					break;
				}
				s++;
				continue;
			}
			k = utf8_seq(s, se, &cp);
			if (k == 0) {
				if (e->utf8 == JSON_UTF8_ERROR) {
					e->p = p;
					return enc_fail(e, JSON_E_UTF8, s,
					    "invalid UTF-8 byte 0x%02x", c);
				}
				if (e->ascii)
					p = put_u4(p, 0xfffd);
				else {
					memcpy(p, "\xef\xbf\xbd", 3);
					p += 3;
				}
				s++;
				continue;
			}
			if (e->ascii) {
				if (cp >= 0x10000) {
					cp -= 0x10000;
					p = put_u4(p, 0xd800 + (cp >> 10));
					p = put_u4(p, 0xdc00 + (cp & 0x3ff));
				} else
					p = put_u4(p, cp);
			} else if (cp == 0x2028 || cp == 0x2029)
				p = put_u4(p, cp);
			else {
				memcpy(p, s, (size_t)k);
				p += k;
			}
			s += k;
		}
		e->p = p;
	}
	ENSURE(e, 1);
	*e->p++ = '"';
	return 0;
}

/* enc_b64: the JSON string of the base64 of s[0..n). */
static int
enc_b64(struct enc *e, const uint8_t *s, size_t n)
{
	const uint8_t	*se = s + n, *ce;
	uint8_t		*p;
	uint32_t	 v;

	ENSURE(e, 1);
	*e->p++ = '"';
	while (se - s >= 3) {
		ce = s + ((size_t)(se - s) / 3 > B64_CHUNK / 3 ? B64_CHUNK :
		    (size_t)(se - s) / 3 * 3);
		ENSURE(e, (size_t)(ce - s) / 3 * 4);
		p = e->p;
		for (; s < ce; s += 3) {
			v = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8 | s[2];
			p[0] = (uint8_t)b64tab[v >> 18];
			p[1] = (uint8_t)b64tab[v >> 12 & 0x3f];
			p[2] = (uint8_t)b64tab[v >> 6 & 0x3f];
			p[3] = (uint8_t)b64tab[v & 0x3f];
			p += 4;
		}
		e->p = p;
	}
	ENSURE(e, 5);
	p = e->p;
	if (se - s == 1) {
		v = (uint32_t)s[0] << 16;
		p[0] = (uint8_t)b64tab[v >> 18];
		p[1] = (uint8_t)b64tab[v >> 12 & 0x3f];
		p[2] = '=';
		p[3] = '=';
		p += 4;
	} else if (se - s == 2) {
		v = (uint32_t)s[0] << 16 | (uint32_t)s[1] << 8;
		p[0] = (uint8_t)b64tab[v >> 18];
		p[1] = (uint8_t)b64tab[v >> 12 & 0x3f];
		p[2] = (uint8_t)b64tab[v >> 6 & 0x3f];
		p[3] = '=';
		p += 4;
	}
	*p++ = '"';
	e->p = p;
	return 0;
}

/* ---- timestamps ---- */

static uint8_t *
put_pad(uint8_t *p, uint64_t v, int width)
{
	uint8_t	 tmp[24];
	int	 n = (int)(put_u64(tmp, v) - tmp);

	for (; n < width; width--)
		*p++ = '0';
	memcpy(p, tmp, (size_t)n);
	return p + n;
}

/* enc_time: ISO-8601 UTC text of sec + nsec / 10^9 (nsec < 10^9). */
static int
enc_time(struct enc *e, int64_t sec, uint32_t nsec)
{
	int64_t	 days, sod, z, era, y;
	uint64_t doe, yoe, doy, mp, d, m;
	uint8_t	*p;
	char	 frac[10];
	int	 flen;

	days = sec / 86400;
	sod = sec % 86400;
	if (sod < 0) {
		sod += 86400;
		days--;
	}
	/* H. Hinnant, civil_from_days. */
	z = days + 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = (uint64_t)(z - era * 146097);
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	y = (int64_t)yoe + era * 400;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	d = doy - (153 * mp + 2) / 5 + 1;
	m = mp < 10 ? mp + 3 : mp - 9;
	y += m <= 2;

	ENSURE(e, 64);
	p = e->p;
	*p++ = '"';
	if (y >= 0 && y <= 9999)
		p = put_pad(p, (uint64_t)y, 4);
	else {
		*p++ = y < 0 ? '-' : '+';
		p = put_pad(p, y < 0 ? (uint64_t)0 - (uint64_t)y :
		    (uint64_t)y, 6);
	}
	*p++ = '-';
	p = put_pad(p, m, 2);
	*p++ = '-';
	p = put_pad(p, d, 2);
	*p++ = 'T';
	p = put_pad(p, (uint64_t)(sod / 3600), 2);
	*p++ = ':';
	p = put_pad(p, (uint64_t)(sod / 60 % 60), 2);
	*p++ = ':';
	p = put_pad(p, (uint64_t)(sod % 60), 2);
	if (nsec != 0) {
		put_pad((uint8_t *)frac, nsec, 9);
		for (flen = 9; frac[flen - 1] == '0'; flen--)
			;
		*p++ = '.';
		memcpy(p, frac, (size_t)flen);
		p += flen;
	}
	*p++ = 'Z';
	*p++ = '"';
	e->p = p;
	return 0;
}

static int
enc_ext(struct enc *e, int8_t type, const uint8_t *s, uint32_t len, int key)
{
	uint64_t v;
	uint32_t nsec;
	int64_t	 sec;

	if (key)
		return enc_fail(e, JSON_E_KEY, e->at,
		    "ext (type %d) as a map key", type);
	if (type != -1)
		return enc_fail(e, JSON_E_EXT, e->at,
		    "unsupported ext type %d", type);
	switch (len) {
	case 4:
		sec = fp_mp_be32(s);
		nsec = 0;
		break;
	case 8:
		v = fp_mp_be64(s);
		nsec = (uint32_t)(v >> 34);
		sec = (int64_t)(v & 0x3ffffffffULL);
		break;
	case 12:
		nsec = fp_mp_be32(s);
		sec = (int64_t)fp_mp_be64(s + 4);
		break;
	default:
		return enc_fail(e, JSON_E_EXT, e->at,
		    "timestamp ext of %u bytes", len);
	}
	if (nsec >= 1000000000)
		return enc_fail(e, JSON_E_EXT, e->at,
		    "timestamp nanoseconds %u out of range", nsec);
	return enc_time(e, sec, nsec);
}

/* ---- objects ---- */

/*
 * enc_scalar: encode the object at *sp that is not an array or map (as a
 * map key when key is set), whose header fp_mp_head() read into h with
 * result r, and advance *sp past it.  Returns 0 or -1.
 */
static int
enc_scalar(struct enc *e, const uint8_t **sp, const uint8_t *end, int key,
    struct fp_mp_head h, int r)
{
	const uint8_t	*s = *sp, *v;
	uint64_t	 u;
	int64_t		 i;
	uint32_t	 w;
	double		 d;
	float		 f;
	int		 neg;

	if (r == -1)
		return enc_fail(e, JSON_E_MALFORMED, s,
		    "invalid MessagePack byte 0x%02x", *s);
	if (r == FP_MP_SHORT || (size_t)(end - s) - h.hlen < h.len)
		return enc_fail(e, JSON_E_MALFORMED, end,
		    "truncated MessagePack (object at offset %zu)",
		    (size_t)(s - e->mp));
	v = s + h.hlen;
	*sp = v + h.len;
	switch (h.type) {
	case FP_MP_NIL:
		ENSURE(e, 6);
		memcpy(e->p, key ? "\"null\"" : "null", key ? 6 : 4);
		e->p += key ? 6 : 4;
		return 0;
	case FP_MP_BOOL:
		ENSURE(e, 7);
		if (*s == 0xc3) {
			memcpy(e->p, key ? "\"true\"" : "true", key ? 6 : 4);
			e->p += key ? 6 : 4;
		} else {
			memcpy(e->p, key ? "\"false\"" : "false", key ? 7 : 5);
			e->p += key ? 7 : 5;
		}
		return 0;
	case FP_MP_INT:
		i = fp_mp_int(s, &h);
		neg = i < 0;
		u = neg ? (uint64_t)0 - (uint64_t)i : (uint64_t)i;
		goto number;
	case FP_MP_UINT:
		u = fp_mp_uint(s, &h);
		neg = 0;
	number:
		ENSURE(e, 25);
		if (key)
			*e->p++ = '"';
		if (neg)
			*e->p++ = '-';
		e->p = put_u64(e->p, u);
		if (key)
			*e->p++ = '"';
		return 0;
	case FP_MP_FLOAT:
		if (h.len == 4) {
			w = fp_mp_be32(v);
			memcpy(&f, &w, 4);
			return enc_float(e, f, key);
		}
		u = fp_mp_be64(v);
		memcpy(&d, &u, 8);
		return enc_double(e, d, key);
	case FP_MP_STR:
		return enc_str(e, v, (size_t)h.len);
	case FP_MP_BIN:
		return enc_b64(e, v, (size_t)h.len);
	default:	/* FP_MP_EXT; a fixext's type byte is in its payload */
		if (h.hlen == 1)
			return enc_ext(e, (int8_t)v[0], v + 1,
			    (uint32_t)h.len - 1, key);
		return enc_ext(e, (int8_t)v[-1], v, (uint32_t)h.len, key);
	}
}

/*
 * enc_atom: enc_scalar() for the object at *sp, or 1 for an array or map:
 * nothing consumed, its header in *h.
 */
static int
enc_atom(struct enc *e, const uint8_t **sp, const uint8_t *end, int key,
    struct fp_mp_head *h)
{
	int	 r;

	r = fp_mp_head(*sp, (size_t)(end - *sp), h);
	if (h->kind != FP_MP_SCALAR)
		return 1;
	return enc_scalar(e, sp, end, key, *h, r);
}

/*
 * enc_newline: a newline and indent * depth spaces.  When only counting
 * (truncate, past max_size) the spaces are counted, not written: deep
 * nesting with a wide indent costs up to 1.6 MB of text per input byte,
 * and the cost of counting must follow the input, not the text.
 */
static int
enc_newline(struct enc *e, uint64_t depth)
{
	uint64_t n = depth * (uint64_t)e->indent, k;

	ENSURE(e, 1);
	*e->p++ = '\n';
	while (n > 0) {
		if (e->counting) {
			e->counted += n;
			break;
		}
		k = n > IND_CHUNK ? IND_CHUNK : n;
		ENSURE(e, k);
		memset(e->p, ' ', k);
		e->p += k;
		n -= k;
	}
	return 0;
}

void
fp_json_enc_options_init(struct fp_json_enc_options *o)
{
	memset(o, 0, sizeof(*o));
	o->max_depth = JSON_DEPTH_DEFAULT;
}

/* The encoder's and the decoder's codes share one list. */
const char *
fp_json_errname(int code)
{
	switch (code) {
	case JSON_E_OK:		return "ok";
	case JSON_E_MALFORMED:	return "malformed";
	case JSON_E_DEPTH:	return "depth";
	case JSON_E_NAN:	return "nan";
	case JSON_E_UTF8:	return "utf8";
	case JSON_E_KEY:	return "key";
	case JSON_E_EXT:	return "ext";
	case JSON_E_TOO_LARGE:	return "too_large";
	case JSON_E_NOMEM:	return "nomem";
	case JSON_E_INVAL:	return "inval";
	case JSON_E_SYNTAX:	return "syntax";
	case JSON_E_RANGE:	return "range";
	case JSON_E_DUPKEY:	return "duplicate_key";
	default:		return "unknown";
	}
}

/*
 * short_clean: s[0..n) (n < 32, 32 bytes readable) needs no escaping and
 * is ASCII.
 */
static inline int
short_clean(const uint8_t *s, size_t n)
{
#if defined(__SSE2__)
	__m128i	 a, b, lo, q, bs;
	uint32_t m;

	a = _mm_loadu_si128((const __m128i *)(const void *)s);
	b = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
	/* Signed: bytes >= 0x80 are negative, so "< 0x20" catches them. */
	lo = _mm_set1_epi8(0x20);
	q = _mm_set1_epi8('"');
	bs = _mm_set1_epi8('\\');
	m = (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(a, lo),
	    _mm_or_si128(_mm_cmpeq_epi8(a, q), _mm_cmpeq_epi8(a, bs)))) |
	    (uint32_t)_mm_movemask_epi8(_mm_or_si128(_mm_cmplt_epi8(b, lo),
	    _mm_or_si128(_mm_cmpeq_epi8(b, q), _mm_cmpeq_epi8(b, bs)))) << 16;
	return (m & ((1U << n) - 1)) == 0;
#else
	size_t	 i;

	for (i = 0; i < n; i++)
		if (esc_tab[s[i]] != 0)
			return 0;
	return 1;
#endif
}

/* ---- sort_keys ---- */

/* short_ascii: s[0..n) (n < 32, 32 bytes readable) is ASCII. */
static inline int
short_ascii(const uint8_t *s, size_t n)
{
#if defined(__SSE2__)
	__m128i	 a, b;
	uint32_t m;

	a = _mm_loadu_si128((const __m128i *)(const void *)s);
	b = _mm_loadu_si128((const __m128i *)(const void *)(s + 16));
	m = (uint32_t)_mm_movemask_epi8(a) |
	    (uint32_t)_mm_movemask_epi8(b) << 16;
	return (m & ((1U << n) - 1)) == 0;
#else
	size_t	 i;

	for (i = 0; i < n; i++)
		if (s[i] >= 0x80)
			return 0;
	return 1;
#endif
}

/*
 * With sort_keys, sk_scan() walks the whole input once before anything is
 * written: it checks the structure (malformed input and depth are found
 * there) and records, for every map of two or more members, a block of
 * words in e->skw: the offset of the map's end, then the offsets of its
 * keys sorted in descending order, so that the encoder, which counts the
 * members left down to 1, finds the next one at skw[blk + left].  The top
 * bit of a key's word (SK_PLAIN) marks a str key whose bytes are valid
 * UTF-8: its text is those bytes, compared with memcmp().  e->skm lists
 * the blocks by the offset of their map, ascending (the scan meets maps
 * in input order), for a binary search when the encoder opens a map.
 *
 * Every byte is read once by the scan however deep it is nested, so the
 * cost is linear plus the sorting.  A map of n >= 2 members takes n + 1
 * words of block and 2 of index, and at least 2n + 1 bytes of input: the
 * memory is at most one word (8 bytes) per input byte, plus the frames
 * (one per level of nesting, up to max_depth).
 */
#define SK_PLAIN	(1ULL << 63)
#define SK_OFF		(SK_PLAIN - 1)

struct skframe {
	uint64_t	 left;		/* objects still to read */
	uint64_t	 n;		/* members of a recorded map */
	size_t		 blk;		/* 0: not recorded */
};

/*
 * sk_head: the header at s (s < end), as fp_mp_head() reads it; -1 with
 * the error set if malformed.
 */
static int
sk_head(struct enc *e, const uint8_t *s, const uint8_t *end,
    struct fp_mp_head *h)
{
	switch (fp_mp_head(s, (size_t)(end - s), h)) {
	case 0:
		return 0;
	case FP_MP_SHORT:
		return enc_fail(e, JSON_E_MALFORMED, end,
		    "truncated MessagePack (object at offset %zu)",
		    (size_t)(s - e->mp));
	default:
		return enc_fail(e, JSON_E_MALFORMED, s,
		    "invalid MessagePack byte 0x%02x", *s);
	}
}

/* sk_str: the str at s (within end) as *p, *n; 0, or -1 if not a str. */
static int
sk_str(const uint8_t *s, const uint8_t *end, const uint8_t **p, size_t *n)
{
	struct fp_mp_head h;

	if (fp_mp_head(s, (size_t)(end - s), &h) != 0 || h.type != FP_MP_STR ||
	    (size_t)(end - s) - h.hlen < h.len)
		return -1;
	*p = s + h.hlen;
	*n = (size_t)h.len;
	return 0;
}

/* sk_plain: the key at s is a str of valid UTF-8. */
static int
sk_plain(const uint8_t *s, const uint8_t *end)
{
	const uint8_t	*p, *pe;
	uint64_t	 w;
	uint32_t	 cp;
	size_t		 n;
	int		 k;

	if (sk_str(s, end, &p, &n) == -1)
		return 0;
	for (pe = p + n; p < pe; ) {
		if (pe - p >= 8) {
			memcpy(&w, p, 8);
			if ((w & 0x8080808080808080ULL) == 0) {
				p += 8;
				continue;
			}
		}
		if (*p < 0x80) {
			p++;
			continue;
		}
		if ((k = utf8_seq(p, pe, &cp)) == 0)
			return 0;
		p += k;
	}
	return 1;
}

/*
 * The text of a key as a JSON parser reads it back, produced a piece at a
 * time for the comparison of keys that are not plain: a str with each
 * byte that starts no valid UTF-8 sequence as U+FFFD (what
 * JSON_UTF8_REPLACE writes; with JSON_UTF8_ERROR the key fails anyway),
 * a bin's base64, the text of a scalar ("null", "true", "-1", "0.5";
 * NaN and the infinities "null").  Array, map and ext keys, which fail
 * when written, have an empty text.
 */
struct sktext {
	const uint8_t	*s, *se;	/* str or bin bytes left */
	int		 bin;
	uint8_t		 t[JSON_DBL_MAX + 8];	/* a scalar's text */
	size_t		 tn, ti;
};

static void
sk_text_init(struct sktext *k, const uint8_t *s, const uint8_t *end)
{
	struct fp_mp_head h;
	uint64_t u;
	double	 d;
	float	 f;
	uint32_t v;

	memset(k, 0, sizeof(*k));
	/* The scan checked that fixed-size objects are complete. */
	if (fp_mp_head(s, (size_t)(end - s), &h) != 0)
		return;
	switch (h.type) {
	case FP_MP_STR:
	case FP_MP_BIN:
		if ((size_t)(end - s) - h.hlen < h.len)
			return;
		k->s = s + h.hlen;
		k->se = k->s + h.len;
		k->bin = h.type == FP_MP_BIN;
		break;
	case FP_MP_NIL:
	case FP_MP_BOOL:
		k->tn = h.type == FP_MP_BOOL && *s == 0xc2 ? 5 : 4;
		memcpy(k->t, h.type == FP_MP_NIL ? "null" : *s == 0xc2 ?
		    "false" : "true", k->tn);
		break;
	case FP_MP_UINT:
		k->tn = (size_t)(put_u64(k->t, fp_mp_uint(s, &h)) - k->t);
		break;
	case FP_MP_INT:
		k->tn = (size_t)(put_i64(k->t, fp_mp_int(s, &h)) - k->t);
		break;
	case FP_MP_FLOAT:
		if (h.len == 4) {
			v = fp_mp_be32(s + 1);
			memcpy(&f, &v, 4);
			d = f;
		} else {
			u = fp_mp_be64(s + 1);
			memcpy(&d, &u, 8);
		}
		if (!isfinite(d)) {
			memcpy(k->t, "null", 4);
			k->tn = 4;
		} else
			k->tn = h.len == 4 ? fp_json_fmt_float((char *)k->t, f) :
			    fp_json_fmt_double((char *)k->t, d);
		break;
	}
}

/* sk_text_next: up to cap (>= 8) more bytes of the text into b; 0: end. */
static size_t
sk_text_next(struct sktext *k, uint8_t *b, size_t cap)
{
	uint32_t cp, v;
	size_t	 n = 0;
	int	 m;

	if (k->ti < k->tn) {
		n = k->tn - k->ti < cap ? k->tn - k->ti : cap;
		memcpy(b, k->t + k->ti, n);
		k->ti += n;
		return n;
	}
	if (k->bin) {
		for (; n + 4 <= cap && k->s < k->se; n += 4) {
			m = k->se - k->s >= 3 ? 3 : (int)(k->se - k->s);
			v = (uint32_t)k->s[0] << 16 |
			    (m > 1 ? (uint32_t)k->s[1] << 8 : 0) |
			    (m > 2 ? k->s[2] : 0);
			b[n] = (uint8_t)b64tab[v >> 18];
			b[n + 1] = (uint8_t)b64tab[v >> 12 & 0x3f];
			b[n + 2] = m > 1 ? (uint8_t)b64tab[v >> 6 & 0x3f] : '=';
			b[n + 3] = m > 2 ? (uint8_t)b64tab[v & 0x3f] : '=';
			k->s += m;
		}
		return n;
	}
	while (n + 4 <= cap && k->s < k->se) {
		if (*k->s < 0x80) {
			b[n++] = *k->s++;
			continue;
		}
		if ((m = utf8_seq(k->s, k->se, &cp)) == 0) {
			memcpy(b + n, "\xef\xbf\xbd", 3);
			n += 3;
			k->s++;
			continue;
		}
		memcpy(b + n, k->s, (size_t)m);
		n += (size_t)m;
		k->s += m;
	}
	return n;
}

/* sk_cmp_text: compare the texts of the keys at a and b. */
static int
sk_cmp_text(const uint8_t *a, const uint8_t *b, const uint8_t *end)
{
	struct sktext	 ka, kb;
	uint8_t		 ba[64], bb[64];
	size_t		 na = 0, ia = 0, nb = 0, ib = 0, m;
	int		 c;

	sk_text_init(&ka, a, end);
	sk_text_init(&kb, b, end);
	for (;;) {
		if (ia == na) {
			na = sk_text_next(&ka, ba, sizeof(ba));
			ia = 0;
		}
		if (ib == nb) {
			nb = sk_text_next(&kb, bb, sizeof(bb));
			ib = 0;
		}
		if (na == 0 || nb == 0)
			return na == 0 ? (nb == 0 ? 0 : -1) : 1;
		m = na - ia < nb - ib ? na - ia : nb - ib;
		if ((c = memcmp(ba + ia, bb + ib, m)) != 0)
			return c;
		ia += m;
		ib += m;
	}
}

/*
 * sk_cmp: qsort_r() order of two key words, descending: by text, then by
 * offset (equal keys keep their input order once the block is read from
 * the end).
 */
static int
sk_cmp(const void *pa, const void *pb, void *arg)
{
	const struct enc *e = arg;
	const uint8_t	*end = e->mp + e->mplen, *sa, *sb;
	uint64_t	 a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;
	size_t		 na, nb;
	int		 c;

	if ((a & b & SK_PLAIN) != 0 &&
	    sk_str(e->mp + (a & SK_OFF), end, &sa, &na) == 0 &&
	    sk_str(e->mp + (b & SK_OFF), end, &sb, &nb) == 0) {
		c = memcmp(sa, sb, na < nb ? na : nb);
		if (c == 0 && na != nb)
			c = na < nb ? -1 : 1;
	} else
		c = sk_cmp_text(e->mp + (a & SK_OFF), e->mp + (b & SK_OFF),
		    end);
	if (c == 0 && (a & SK_OFF) != (b & SK_OFF))
		c = (a & SK_OFF) < (b & SK_OFF) ? -1 : 1;
	return -c;
}

/* sk_grow: room for `more' elements of `size' bytes in *v (count n). */
static int
sk_grow(void **v, size_t *cap, size_t n, size_t more, size_t size)
{
	size_t	 ncap = *cap ? *cap : 256;
	void	*nv;

	if (more > SIZE_MAX / size - n)
		return -1;
	while (ncap - n < more)
		ncap = ncap > SIZE_MAX / size / 2 ? n + more : ncap * 2;
	if (ncap == *cap)
		return 0;
	if ((nv = realloc(*v, ncap * size)) == NULL)
		return -1;
	*v = nv;
	*cap = ncap;
	return 0;
}

/*
 * sk_sort: sort a block's keys (descending).  Small maps, the common case,
 * by insertion, which inlines the comparison.
 */
static void
sk_sort(struct enc *e, uint64_t *w, size_t n)
{
	struct {
		uint64_t pre;		/* first 8 bytes, big-endian */
		uint64_t w;
	} a[16], x;
	const uint8_t	*end = e->mp + e->mplen, *p;
	uint8_t		 b[8];
	size_t		 i, j, len;

	if (n > 16) {
		qsort_r(w, n, sizeof(*w), sk_cmp, e);
		return;
	}
	for (i = 0; i < n; i++) {
		if ((w[i] & SK_PLAIN) == 0 ||
		    sk_str(e->mp + (w[i] & SK_OFF), end, &p, &len) == -1)
			goto general;
		/*
		 * Zero-padded: when the prefixes differ, so do the keys, in
		 * the same order (a shorter key that is a prefix of the
		 * other pads with zeros and compares lower or equal).
		 */
		if (end - p >= 8) {
			a[i].pre = fp_mp_be64(p);
			if (len < 8)
				a[i].pre &= len == 0 ? 0 :
				    ~0ULL << (8 * (8 - len));
		} else {
			memset(b, 0, sizeof(b));
			memcpy(b, p, len < 8 ? len : 8);
			a[i].pre = fp_mp_be64(b);
		}
		a[i].w = w[i];
	}
	for (i = 1; i < n; i++) {
		x = a[i];
		for (j = i; j > 0 && (a[j - 1].pre < x.pre ||
		    (a[j - 1].pre == x.pre && sk_cmp(&a[j - 1].w, &x.w,
		    e) > 0)); j--)
			a[j] = a[j - 1];
		a[j] = x;
	}
	for (i = 0; i < n; i++)
		w[i] = a[i].w;
	return;
general:
	for (i = 1; i < n; i++) {
		x.w = w[i];
		for (j = i; j > 0 && sk_cmp(&w[j - 1], &x.w, e) > 0; j--)
			w[j] = w[j - 1];
		w[j] = x.w;
	}
}

/*
 * sk_find: the block of the map at offset `at', 0 if none.  The map after
 * the last one found is tried first: a map's first nested map, or the
 * next element of an array of maps, is usually that one.
 */
static size_t
sk_find(struct enc *e, size_t at)
{
	size_t	 lo = 0, hi = e->skmn, mid;

	if (e->skhint < e->skmn && e->skm[e->skhint].at == at)
		return e->skm[e->skhint++].blk;
	while (lo < hi) {
		mid = lo + (hi - lo) / 2;
		if (e->skm[mid].at == at) {
			e->skhint = mid + 1;
			return e->skm[mid].blk;
		}
		if (e->skm[mid].at < at)
			lo = mid + 1;
		else
			hi = mid;
	}
	return 0;
}

/*
 * enc_floor: with pretty and max_size but no truncate, a lower bound of
 * the text's length, from the brackets, newlines and indentation alone,
 * taken in one pass over the input without writing anything.  Deep
 * nesting with a wide indent makes up to 1.6 MB of text per input byte:
 * when even the bound passes max_size the call fails at once (too_large
 * at the object where it passed) instead of writing max_size bytes
 * first.  The bound so far only counts what the input read so far
 * writes, so a fault further on cannot make it wrong.  Returns -1
 * after enc_fail() if so, else 0, also when the input is malformed or
 * nests deeper than maxd: the encoder reports those as usual.  A text
 * that passes max_size before such a fault would have been too_large in
 * the encoder too (give or take the few KB it writes ahead).
 */
struct flframe {
	uint64_t	 left;		/* objects still to read */
	int		 map;
};

static int
enc_floor(struct enc *e, uint32_t maxd)
{
	const uint8_t	*s = e->mp, *end = e->mp + e->mplen;
	struct flframe	 local[STACK_LOCAL], *st = local, *f;
	struct enc	 quiet = *e;	/* sk_head's complaints are not ours */
	struct fp_mp_head h;
	uint64_t	 floor = 0, kids;
	uint32_t	 depth = 0, cap = STACK_LOCAL, ncap;
	int		 rv = 0;

	if (e->indent == 0 || e->max == 0 || e->truncate ||
	    e->max > SIZE_MAX / 2)
		return 0;
	quiet.err = NULL;
	quiet.errlen = 0;
	while (s < end) {
		if (depth > 0) {
			f = &st[depth - 1];
			/* A newline and indentation before an element or key. */
			if (!f->map || f->left % 2 == 0) {
				floor += 1 + (uint64_t)e->indent * depth;
				if (floor > e->max) {
					rv = enc_fail(e, JSON_E_TOO_LARGE, s,
					    "text longer than max_size (%zu "
					    "bytes)", e->max);
					break;
				}
			}
			f->left--;
		}
		if (sk_head(&quiet, s, end, &h) == -1)
			break;
		if (h.kind == 0) {
			if ((size_t)(end - s) - h.hlen < h.len)
				break;
			s += h.hlen + h.len;
		} else {
			if (depth >= maxd)
				break;
			s += h.hlen;
			kids = h.kind == 2 ? 2 * h.len : h.len;
			if (kids > 0) {
				if (depth == cap) {
					ncap = cap > maxd / 2 ? maxd : cap * 2;
					f = st == local ? malloc(ncap *
					    sizeof(*st)) : realloc(st, ncap *
					    sizeof(*st));
					if (f == NULL)
						break;	/* no bound then */
					if (st == local)
						memcpy(f, local, sizeof(local));
					st = f;
					cap = ncap;
				}
				st[depth].left = kids;
				st[depth++].map = h.kind == 2;
				floor++;		/* [ or { */
				continue;
			}
		}
		/* A newline, indentation and ] or } after the last one. */
		while (depth > 0 && st[depth - 1].left == 0) {
			depth--;
			floor += 2 + (uint64_t)e->indent * depth;
		}
		if (floor > e->max) {
			rv = enc_fail(e, JSON_E_TOO_LARGE, s, "text longer than "
			    "max_size (%zu bytes)", e->max);
			break;
		}
		if (depth == 0)
			break;
	}
	if (st != local)
		free(st);
	return rv;
}

/*
 * sk_scan: the pass described above.  Returns 0, or -1 after enc_fail()
 * with the first structural fault in input order (the same code and
 * offset as the encoder would report for it).  Bytes after the object
 * are left to the encoder to report.
 */
static int
sk_scan(struct enc *e, uint32_t maxd)
{
	const uint8_t	*mp = e->mp, *s = mp, *end = mp + e->mplen;
	struct skframe	*st = NULL, *f;
	struct fp_mp_head h;
	uint64_t	 kids;
	uint32_t	 depth = 0, cap = 0, ncap;
	size_t		 at, blk;
	unsigned	 sz;
	int		 c, rv = -1;

	e->skn = 1;		/* block 0 means none */
	if (e->mplen == 0)
		return 0;	/* the encoder says "empty input" */
	for (;;) {
		if (s >= end) {
			enc_fail(e, JSON_E_MALFORMED, s,
			    "truncated MessagePack");
			goto out;
		}
		at = (size_t)(s - mp);
		c = *s;
		if (depth > 0) {
			f = &st[depth - 1];
			if (f->blk != 0 && f->left % 2 == 0)
				e->skw[f->blk + 1 + (f->n - f->left / 2)] =
				    at | ((c >= 0xa0 && c <= 0xbf &&
				    end - s > 32 && short_ascii(s + 1, c & 0x1f)) ||
				    sk_plain(s, end) ? SK_PLAIN : 0);
			f->left--;
		}
		/* Scalars that their type byte sizes, then the general case. */
		if ((sz = fp_mp_size[c]) != 0 && (size_t)(end - s) >= sz) {
			s += sz;
			goto closed;
		}
		if (sk_head(e, s, end, &h) == -1)
			goto out;
		if (h.kind == 0) {
			if ((size_t)(end - s) - h.hlen < h.len) {
				enc_fail(e, JSON_E_MALFORMED, end,
				    "truncated MessagePack (object at offset "
				    "%zu)", at);
				goto out;
			}
			s += h.hlen + h.len;
		} else {
			if (depth >= maxd) {
				enc_fail(e, JSON_E_DEPTH, s,
				    "nesting deeper than %u", maxd);
				goto out;
			}
			s += h.hlen;
			kids = h.kind == 2 ? 2 * h.len : h.len;
			if (kids > 0) {
				if (depth == cap) {
					ncap = cap == 0 ? STACK_LOCAL :
					    cap > maxd / 2 ? maxd : cap * 2;
					f = realloc(st, ncap * sizeof(*st));
					if (f == NULL)
						goto nomem;
					st = f;
					cap = ncap;
				}
				f = &st[depth++];
				f->left = kids;
				f->n = h.len;
				f->blk = 0;
				/*
				 * Every object takes a byte: a map claiming
				 * more members than that is truncated, and the
				 * scan will say so (or find an earlier fault)
				 * without a block for it.
				 */
				if (h.kind == 2 && h.len >= 2 &&
				    kids <= (uint64_t)(end - s)) {
					if ((e->skn + h.len + 1 > e->skcap &&
					    sk_grow((void **)&e->skw, &e->skcap,
					    e->skn, h.len + 1,
					    sizeof(*e->skw)) == -1) ||
					    (e->skmn == e->skmcap &&
					    sk_grow((void **)&e->skm,
					    &e->skmcap, e->skmn, 1,
					    sizeof(*e->skm)) == -1))
						goto nomem;
					f->blk = e->skn;
					e->skn += h.len + 1;
					e->skm[e->skmn].at = at;
					e->skm[e->skmn++].blk = f->blk;
				}
				continue;
			}
		}
closed:
		/* Close the containers this object completed. */
		while (depth > 0 && st[depth - 1].left == 0) {
			f = &st[--depth];
			if ((blk = f->blk) != 0) {
				e->skw[blk] = (uint64_t)(s - mp);
				sk_sort(e, &e->skw[blk + 1], f->n);
			}
		}
		if (depth == 0)
			break;
	}
	rv = 0;
	goto out;
nomem:
	enc_fail(e, JSON_E_NOMEM, s, "out of memory");
out:
	free(st);
	return rv;
}

/*
 * The main loop keeps the output cursor and the innermost frame in locals
 * (stores through uint8_t * may alias anything, so fields of *e would be
 * reloaded after every byte); e->p is synchronised around calls.
 */
#define ROOM(n) do {							\
	if ((size_t)(lim - p) < (size_t)(n)) {				\
		e->p = p;						\
		e->at = s;						\
		if (enc_grow(e, (n)) == -1)				\
			return -1;					\
		p = e->p;						\
		lim = e->lim;						\
	}								\
} while (0)

#define CALL(expr) do {							\
	e->p = p;							\
	if ((expr) == -1)						\
		return -1;						\
	p = e->p;							\
	lim = e->lim;							\
} while (0)

/*
 * FIXSTR_FAST: the short string at s (type byte c) written at p, then
 * goto `done', when it needs no escaping; else nothing happens.
 */
#define FIXSTR_FAST(c, done) do {					\
	size_t	 len_ = (size_t)(c) & 0x1f;				\
									\
	if ((size_t)(end - s) > 32 && short_clean(s + 1, len_)) {	\
		ROOM(40);						\
		*p = '"';						\
		memcpy(p + 1, s + 1, 32);				\
		p[1 + len_] = '"';					\
		p += len_ + 2;						\
		s += len_ + 1;						\
		goto done;						\
	}								\
} while (0)

/*
 * enc_run_body: the main loop.  After a value: close finished containers, write
 * ",", then (elem) the next element: its key and ":" in a map, then the
 * value.  Frames of the enclosing containers are grown up to max_depth.
 */
static inline __attribute__((always_inline)) int
enc_run_body(struct enc *e, const uint8_t *mp, size_t mplen, uint32_t maxd,
    struct frame **stp, uint32_t *capp, const int sorted)
{
	const uint8_t	*s = mp, *end = mp + mplen, *h;
	const uint64_t	*skw = e->skw;
	struct fp_mp_head mh, kh;
	struct frame	*st = *stp, *ns;
	uint8_t		*p = e->p, *lim = e->lim;
	uint64_t	 n, left = 0;
	size_t		 blk = 0;
	uint32_t	 depth = 0, ncap;
	int		 c, r, cm, map = 0, indent = e->indent;

	if (mplen == 0)
		return enc_fail(e, JSON_E_MALFORMED, s, "empty input");
	goto value;

value_done:
	if (depth == 0)
		goto done;
	if (left == 0) {
		if (indent)
			CALL(enc_newline(e, depth - 1));
		ROOM(1);
		*p++ = map ? '}' : ']';
		/* A sorted map's last member need not be its last in input. */
		if (sorted && blk != 0)
			s = mp + skw[blk];
		if (--depth > 0) {
			left = st[depth - 1].left;
			map = st[depth - 1].map;
			if (sorted)
				blk = st[depth - 1].blk;
		}
		goto value_done;
	}
	ROOM(1);
	*p++ = ',';
elem:
	if (indent)
		CALL(enc_newline(e, depth));
	if (sorted && blk != 0)
		s = mp + (skw[blk + left] & SK_OFF);
	left--;
	if (map) {
		if (s >= end)
			return enc_fail(e, JSON_E_MALFORMED, s,
			    "truncated MessagePack");
		c = *s;
		if (c >= 0xa0 && c <= 0xbf)
			FIXSTR_FAST(c, key_done);
		e->at = s;
		e->p = p;
		if ((r = enc_atom(e, &s, end, 1, &kh)) == -1)
			return -1;
		p = e->p;
		lim = e->lim;
		if (r == 1)
			return enc_fail(e, JSON_E_KEY, s, "%s as a map key",
			    kh.kind == FP_MP_MAP ? "map" : "array");
key_done:
		ROOM(2);
		*p++ = ':';
		if (indent)
			*p++ = ' ';
	}
value:
	if (s >= end)
		return enc_fail(e, JSON_E_MALFORMED, s,
		    "truncated MessagePack");
	h = s;
	c = *s;
	if (c <= 0x7f) {
		ROOM(3);
		if (c >= 100) {
			*p++ = (uint8_t)('0' + c / 100);
			memcpy(p, dig2 + 2 * (c % 100), 2);
			p += 2;
		} else if (c >= 10) {
			memcpy(p, dig2 + 2 * c, 2);
			p += 2;
		} else
			*p++ = (uint8_t)('0' + c);
		s++;
		goto value_done;
	}
	if (c >= 0xa0 && c <= 0xbf)
		FIXSTR_FAST(c, value_done);
	if (c >= 0x80 && c <= 0x9f) {
		cm = c <= 0x8f;
		n = (uint64_t)c & 0x0f;
		s++;
	} else if (c >= 0xdc && c <= 0xdf) {
		if (fp_mp_head(s, (size_t)(end - s), &mh) == FP_MP_SHORT)
			return enc_fail(e, JSON_E_MALFORMED, end,
			    "truncated MessagePack");
		cm = mh.kind == FP_MP_MAP;
		n = mh.len;
		s += mh.hlen;
	} else if (c == 0xc2 || c == 0xc3) {
		ROOM(5);
		memcpy(p, c == 0xc3 ? "true" : "false", 5);
		p += c == 0xc3 ? 4 : 5;
		s++;
		goto value_done;
	} else if (c == 0xcd && end - s >= 3) {
		struct fp_mp_head uh;	/* its own: it stays in registers */

		fp_mp_head(s, (size_t)(end - s), &uh);
		ROOM(8);
		p = put_u64(p, fp_mp_uint(s, &uh));
		s += 3;
		goto value_done;
	} else {
		e->at = s;
		CALL(enc_atom(e, &s, end, 0, &mh));
		goto value_done;
	}

	/* An array or map (cm) of n elements or entries. */
	if (depth >= maxd)
		return enc_fail(e, JSON_E_DEPTH, h, "nesting deeper than %u",
		    maxd);
	if (n == 0) {
		ROOM(2);
		memcpy(p, cm ? "{}" : "[]", 2);
		p += 2;
		goto value_done;
	}
	if (depth > 0) {
		if (depth - 1 == *capp) {
			ncap = *capp * 2 > maxd || *capp * 2 < *capp ? maxd :
			    *capp * 2;
			if (*capp == STACK_LOCAL)
				ns = malloc(ncap * sizeof(*ns));
			else
				ns = realloc(st, ncap * sizeof(*ns));
			if (ns == NULL)
				return enc_fail(e, JSON_E_NOMEM, h,
				    "out of memory");
			if (*capp == STACK_LOCAL)
				memcpy(ns, st, STACK_LOCAL * sizeof(*ns));
			*stp = st = ns;
			*capp = ncap;
		}
		st[depth - 1].left = left;
		st[depth - 1].map = (uint8_t)map;
		if (sorted)
			st[depth - 1].blk = blk;
	}
	depth++;
	left = n;
	map = cm;
	if (sorted && (blk = 0, cm && n >= 2) &&
	    (blk = sk_find(e, (size_t)(h - mp))) == 0)
		return enc_fail(e, JSON_E_MALFORMED, h,
		    "map not seen by the sort_keys scan");
	ROOM(1);
	*p++ = map ? '{' : '[';
	goto elem;

done:
	e->p = p;
	if (s != end)
		return enc_fail(e, JSON_E_MALFORMED, s,
		    "%zu bytes after the object", (size_t)(end - s));
	return 0;
}

/*
 * Two copies of the loop: without sort_keys (or with no map to sort) the
 * compiler drops every trace of the sorted order from the hot path.
 */
static int
enc_run(struct enc *e, const uint8_t *mp, size_t mplen, uint32_t maxd,
    struct frame **stp, uint32_t *capp)
{
	return enc_run_body(e, mp, mplen, maxd, stp, capp, 0);
}

static int
enc_run_sorted(struct enc *e, const uint8_t *mp, size_t mplen, uint32_t maxd,
    struct frame **stp, uint32_t *capp)
{
	return enc_run_body(e, mp, mplen, maxd, stp, capp, 1);
}

int
fp_json_encode(const uint8_t *mp, size_t mplen,
    const struct fp_json_enc_options *o, struct fp_buf *out,
    struct fp_json_enc_result *res, char *err, size_t errlen)
{
	struct fp_json_enc_options	 defo;
	struct enc		 e;
	struct frame		 local[STACK_LOCAL], *st = local;
	uint32_t		 cap = STACK_LOCAL, maxd;
	size_t			 total, cut;
	uint8_t			*head, *text;
	int			 rv;

	if (o == NULL) {
		fp_json_enc_options_init(&defo);
		o = &defo;
	}
	memset(res, 0, sizeof(*res));
	memset(&e, 0, sizeof(e));
	if (err != NULL && errlen > 0)
		*err = '\0';
	e.b = out;
	e.mp = e.at = mp;
	e.mplen = mplen;
	e.err = err;
	e.errlen = errlen;
	e.max = o->max_size;
	e.truncate = o->truncate;
	e.nan = o->nan;
	e.utf8 = o->utf8;
	e.ascii = o->ascii;
	e.indent = o->indent;
	maxd = o->max_depth ? o->max_depth : JSON_DEPTH_DEFAULT;

	e.start = out->len - out->off;
	rv = 0;
	if (o->indent < 0 || o->indent > JSON_INDENT_MAX)
		rv = enc_fail(&e, JSON_E_INVAL, mp,
		    "indent %d not in 0..%d", o->indent, JSON_INDENT_MAX);
	else if ((o->nan != JSON_NAN_NULL && o->nan != JSON_NAN_ERROR) ||
	    (o->utf8 != JSON_UTF8_REPLACE && o->utf8 != JSON_UTF8_ERROR))
		rv = enc_fail(&e, JSON_E_INVAL, mp, "bad nan or utf8 policy");
	if (rv == -1)
		goto fail;

	if (fp_buf_reserve(out, 256) == -1) {
		enc_fail(&e, JSON_E_NOMEM, mp, "out of memory");
		goto fail;
	}
	head = out->data + out->off;
	e.p = head + e.start;
	e.lim = out->data + out->cap;
	if (e.max > 0 && (size_t)(e.lim - head) > e.start + e.max + 1 + ENS_MAX)
		e.lim = head + e.start + e.max + 1 + ENS_MAX;

	if (o->sort_keys && sk_scan(&e, maxd) == -1)
		goto fail;
	if (enc_floor(&e, maxd) == -1)
		goto fail;
	rv = o->sort_keys && e.skw != NULL ?
	    enc_run_sorted(&e, mp, mplen, maxd, &st, &cap) :
	    enc_run(&e, mp, mplen, maxd, &st, &cap);
	if (st != local)
		free(st);
	if (rv == -1)
		goto fail;

	head = out->data + out->off;
	if (e.counting)
		total = e.counted + (size_t)(e.p - (head + e.scr));
	else
		total = (size_t)(e.p - (head + e.start));
	if (e.max > 0 && total > e.max) {
		if (!e.truncate) {
			enc_fail(&e, JSON_E_TOO_LARGE, mp + mplen,
			    "text longer than max_size (%zu bytes)", e.max);
			goto fail;
		}
		text = head + e.start;
		for (cut = e.max; cut > 0 && (text[cut] & 0xc0) == 0x80; cut--)
			;
		out->len = out->off + e.start + cut;
		res->len = cut;
		res->full_len = total;
		res->truncated = 1;
		goto done;
	}
	out->len = out->off + e.start + total;
	res->len = res->full_len = total;
done:
	free(e.skw);
	free(e.skm);
	return 0;

fail:
	/* Positions are relative to off, which fp_buf_reserve may reset. */
	out->len = out->off + e.start;
	res->error = e.error;
	res->error_off = e.eoff;
	free(e.skw);
	free(e.skm);
	return -1;
}
