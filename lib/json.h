/*
 * json.h -- the one JSON codec: the encoder (MessagePack -> JSON text,
 * json_enc.c) and the decoder (JSON text -> MessagePack, json_dec.c) of
 * the json.encode and json.decode handlers, the plug-in host's
 * host->json_encode and host->json_decode, and forkpool(1).
 *
 * Neither side logs, exits or keeps state between calls; both are safe to
 * call from several threads at once on different buffers.
 */
#ifndef FP_JSON_H
#define FP_JSON_H

#include <stddef.h>
#include <stdint.h>

#include "buf.h"

/* ---- encoder (json_enc.c) ---- */

/*
 * Error codes of fp_json_encode() (struct fp_json_enc_result.error).  The
 * decoder uses some of them too, and has its own from 100 (its section
 * below); fp_json_errname() names them all.
 */
#define JSON_E_OK		0
#define JSON_E_MALFORMED	1	/* not one well-formed MessagePack object */
#define JSON_E_DEPTH		2	/* nesting deeper than max_depth */
#define JSON_E_NAN		3	/* NaN or +-Infinity with JSON_NAN_ERROR */
#define JSON_E_UTF8		4	/* invalid UTF-8 with JSON_UTF8_ERROR */
#define JSON_E_KEY		5	/* map key that is an array, map or ext */
#define JSON_E_EXT		6	/* ext type other than -1, bad timestamp */
#define JSON_E_TOO_LARGE	7	/* text longer than max_size, no truncate */
#define JSON_E_NOMEM		8	/* out of memory */
#define JSON_E_INVAL		9	/* bad options (indent, nan, utf8) */

#define JSON_NAN_NULL		0	/* NaN, +-Infinity -> null */
#define JSON_NAN_ERROR		1	/* NaN, +-Infinity -> JSON_E_NAN */

#define JSON_UTF8_REPLACE	0	/* each invalid byte -> U+FFFD */
#define JSON_UTF8_ERROR		1	/* invalid UTF-8 -> JSON_E_UTF8 */

#define JSON_INDENT_MAX		16
#define JSON_DEPTH_DEFAULT	512

/*
 * Encoder options.  Zeroed memory (or fp_json_enc_options_init()) is the
 * default: compact, unlimited size, NaN -> null, invalid UTF-8 replaced,
 * UTF-8 output, depth limit 512.
 */
struct fp_json_enc_options {
	int	 indent;	/* 0 compact; 1..16: pretty, that many spaces */
	size_t	 max_size;	/* 0 unlimited; else limit on the text's bytes */
	int	 truncate;	/* with max_size: cut instead of failing */
	int	 nan;		/* JSON_NAN_NULL or JSON_NAN_ERROR */
	int	 utf8;		/* JSON_UTF8_REPLACE or JSON_UTF8_ERROR */
	int	 ascii;		/* escape all above U+007F as \uXXXX */
	int	 sort_keys;	/* non-zero: map members in key order */
	uint32_t max_depth;	/* 0 means JSON_DEPTH_DEFAULT */
};

struct fp_json_enc_result {
	size_t	 len;		/* bytes appended to out */
	size_t	 full_len;	/* length of the whole text (== len unless
				   truncated) */
	int	 truncated;	/* text was cut at max_size */
	int	 error;		/* JSON_E_* when fp_json_encode() returned -1 */
	size_t	 error_off;	/* byte offset in the MessagePack input */
};

/* fp_json_enc_options_init: fill *o with the defaults (same as all zeroes). */
void	 fp_json_enc_options_init(struct fp_json_enc_options *o);

/*
 * fp_json_encode: encode the one MessagePack object in mp[0..mplen) as JSON
 * text appended after the unread bytes of `out' (fp_buf_reserve() may move
 * them to the front; no NUL is added).  `o' may be NULL for the defaults.
 * Returns 0 with res->len bytes appended, or -1 with the unread bytes of
 * out as on entry and nothing appended, res->error set to a JSON_E_* code,
 * res->error_off to the offset in mp of the object (or, for strings, the
 * byte) at fault, and a NUL-terminated message "offset N: ..." in
 * err[0..errlen) (err may be NULL when errlen is 0).
 *
 * Semantics (what json.encode in forkpool-rpc(7) documents):
 *  - nil, true, false -> null, true, false.
 *  - Integers, all of int64 and uint64, printed exactly in decimal.
 *  - float64 printed as the shortest decimal that reads back as the same
 *    double (bit for bit), formatted like JavaScript's Number#toString:
 *    plain notation for 1e-7 <= |v| < 1e21 ("0.1", "100", "1.5"), else
 *    exponent notation ("1e+21", "5e-324", "1.7976931348623157e+308").
 *    Integral values have no ".0" ("1").  Negative zero is "-0" (it reads
 *    back as -0.0; JSON.stringify would print "0").
 *  - float32 printed as the shortest decimal that reads back as the same
 *    float32 (3.4028235e+38, 0.1 for 0.1f), not widened to double.
 *  - NaN, Infinity, -Infinity: null (JSON_NAN_NULL, as JSON.stringify),
 *    or error nan (JSON_NAN_ERROR).
 *  - str: checked as UTF-8 (overlong forms, surrogates U+D800..DFFF and
 *    code points above U+10FFFF are invalid).  JSON_UTF8_REPLACE: each
 *    byte that does not start a valid sequence -> U+FFFD; JSON_UTF8_ERROR:
 *    error utf8 at that byte.  Escaped: " \ as \" \\; control characters
 *    U+0000..U+001F as \b \f \n \r \t or \u00XX (lower-case hex); U+2028
 *    and U+2029 always as \u2028 \u2029; with ascii, every code point above
 *    U+007F as \uXXXX (a surrogate pair above U+FFFF).  "/" and U+007F are
 *    not escaped.
 *  - bin: a string of its base64 (RFC 4648 section 4, standard alphabet,
 *    "=" padding).
 *  - ext type -1 (timestamp, 4, 8 or 12 bytes): a string, ISO-8601 UTC,
 *    "1970-01-01T00:00:00Z"; nanoseconds, when not zero, as the shortest
 *    fraction ("...T00:00:00.5Z", "...T00:00:00.000000001Z"); years
 *    0..9999 with four digits, others with a sign and at least six
 *    ("+275760-09-13T00:00:00Z", "-000001-12-31T23:59:59Z").  Nanoseconds
 *    >= 10^9 or another length is error ext.  Any other ext type: error ext.
 *  - map keys: str as is; bin as its base64; nil, bool, int, uint and
 *    float keys as a string of their JSON text ("null", "true", "1",
 *    "0.5"; a NaN key follows the nan option); array, map and ext keys:
 *    error key.  Members are written in MessagePack order, duplicates
 *    kept, unless sort_keys.
 *  - sort_keys: the members of every map are written in ascending order
 *    of their keys' text as a JSON parser reads it back, compared byte
 *    by byte as UTF-8, which is Unicode code point order (what Python's
 *    json.dumps(sort_keys=True) does; JavaScript's sort() compares
 *    UTF-16 units and puts U+E000..U+FFFF after the characters above
 *    U+FFFF).  A str key is its bytes, each invalid byte counted as the
 *    U+FFFD it is written as; escaping (\n, \u2028, ascii) does not
 *    matter.  Other keys compare as the text they are written as ("10"
 *    before "9"; "null", "true", base64 of a bin, "0.5").  Keys of equal
 *    text keep their MessagePack order (the sort is stable).  A first
 *    pass over the whole input checks its structure and records the
 *    keys of each map of two or more members, so malformed input and
 *    depth are reported before any other error, even one that comes
 *    earlier in the input; the pass is linear however deep the nesting
 *    (no map is walked twice), without recursion, and needs at most
 *    about 10 bytes of memory per input byte (n + 3 words for a map of
 *    n >= 2 members) plus one frame per level.  Arrays keep their order.
 *    pretty, max_size and truncate apply to the sorted text as usual.
 *  - depth: more than max_depth nested arrays/maps (the top level is
 *    depth 1) is error depth.  There is no recursion: hostile nesting
 *    costs one 24-byte frame per level, allocated once per call.
 *  - malformed MessagePack (truncated, the byte 0xc1, bytes after the
 *    object, an empty input) is error malformed; the offset is the end of
 *    the input when truncated, else the offending byte.  Non-minimal
 *    encodings (e.g. uint64 holding 5) are accepted.
 *  - indent 1..16 prints like JSON.stringify(v, null, indent): a newline
 *    and indent*depth spaces before each element, "key": value with one
 *    space, empty [] and {} compact.  Other values: error inval.
 *  - max_size: when the text would be longer, without truncate: error
 *    too_large (res->full_len is not computed), found as soon as the text
 *    passes max_size, or before anything is written when the newlines
 *    and indentation of pretty output alone pass it (a linear pass over
 *    the input; the error offset is the object where they did).  With
 *    truncate: the text is cut to at most max_size bytes at a UTF-8
 *    character boundary (never inside a character; the result is then
 *    not valid JSON), res->truncated = 1 and res->full_len = the exact
 *    length of the whole text (encoding continues, counting without
 *    storing, so the cost is that of encoding everything but the
 *    indentation, which is counted, not written; memory stays about
 *    max_size + 64 KB).
 */
int	 fp_json_encode(const uint8_t *mp, size_t mplen,
	    const struct fp_json_enc_options *o, struct fp_buf *out,
	    struct fp_json_enc_result *res, char *err, size_t errlen);

/*
 * fp_json_errname: the short name of a JSON_E_* code, the encoder's or
 * the decoder's ("malformed", "depth", "nan", "utf8", "key", "ext",
 * "too_large", "nomem", "inval", "syntax", "range", "duplicate_key"), for
 * typed errors; "ok" for 0, "unknown" otherwise.  Never NULL.
 */
const char *fp_json_errname(int code);

/*
 * fp_json_fmt_double: write the shortest round-trip text of the finite
 * double v (the rules above) to s, which must hold JSON_DBL_MAX bytes;
 * returns the length (no NUL is written).  fp_json_fmt_float: the same for
 * a float32.
 */
#define JSON_DBL_MAX		32
size_t	 fp_json_fmt_double(char *s, double v);
size_t	 fp_json_fmt_float(char *s, float f);

/* ---- end of encoder ---- */

/* ---- decoder (json_dec.c) ---- */

/*
 * Decoder error codes (struct fp_json_dec_error.code): JSON_E_OK,
 * JSON_E_UTF8, JSON_E_DEPTH, JSON_E_TOO_LARGE, JSON_E_NOMEM and
 * JSON_E_INVAL from above, and these.
 */
#define JSON_E_SYNTAX		100	/* not RFC 8259 JSON text */
#define JSON_E_RANGE		101	/* number not representable */
#define JSON_E_DUPKEY		102	/* duplicate key, JSON_DUP_ERROR */

/* Integers beyond int64/uint64 (struct fp_json_dec_options.bignum). */
#define JSON_BIG_FLOAT		0	/* nearest float64, like JSON.parse */
#define JSON_BIG_ERROR		1	/* error range */
#define JSON_BIG_STRING		2	/* a str of the number's text */

/* Duplicate object keys (struct fp_json_dec_options.dup_keys). */
#define JSON_DUP_KEEP		0	/* all members kept, in order */
#define JSON_DUP_LAST		1	/* only the last member of each key */
#define JSON_DUP_ERROR		2	/* error duplicate_key */

/*
 * Decoder options.  Zeroed memory (or fp_json_dec_options_init()) is the
 * default: unlimited size, depth 512, JSON_BIG_FLOAT, JSON_DUP_KEEP.
 */
struct fp_json_dec_options {
	size_t	 max_size;	/* 0 unlimited; else the longest text taken */
	uint32_t max_depth;	/* 0 means JSON_DEPTH_DEFAULT */
	int	 bignum;	/* JSON_BIG_* */
	int	 dup_keys;	/* JSON_DUP_* */
};

struct fp_json_dec_error {
	int	 code;		/* JSON_E_*; JSON_E_OK after success */
	size_t	 offset;	/* byte offset in the text, 0-based */
	uint32_t line;		/* 1-based; lines end at LF */
	uint32_t column;	/* 1-based, in code points from the line start */
	char	 msg[128];	/* NUL-terminated, without the position */
};

/* fp_json_dec_options_init: fill *o with the defaults (same as all zeroes). */
void	 fp_json_dec_options_init(struct fp_json_dec_options *o);

/*
 * fp_json_decode: parse text[0..len) as exactly one JSON value (RFC 8259;
 * whitespace around it allowed) and append its MessagePack encoding to
 * `out' (at out->len; unread bytes before it are kept, though out may be
 * compacted as by fp_buf_reserve()).  `o' may be NULL for the defaults, `e'
 * NULL when the error is not wanted.  Returns 0, or -1 with out->len as
 * on entry and *e filled: code, the offset, line and column of the byte
 * at fault, and a message ("expected ',' or '}' after an object member").
 * No recursion: nesting costs one heap frame per level, at most max_depth.
 *
 * Semantics (what json.decode in forkpool-rpc(7) documents):
 *  - Strict RFC 8259 grammar: no comments, trailing commas, single
 *    quotes, leading zeros ("01"), "+1", ".5", "1.", NaN or Infinity;
 *    whitespace is only space, tab, CR, LF.  Any non-whitespace after the
 *    value is error syntax "trailing characters after the value"; an
 *    empty text is error syntax.
 *  - A UTF-8 byte order mark at the start is rejected (error syntax).
 *  - Error positions: `offset' is the 0-based byte offset of the byte at
 *    fault (len for an unexpected end of input; the start of the escape
 *    for a bad escape or unpaired surrogate; the first byte of an invalid
 *    UTF-8 sequence; the first character of a number out of range; the
 *    opening '"' of the second of two duplicate keys; max_size for
 *    too_large).  `line' is 1 + the LFs before it; `column' is 1 + the
 *    code points (not bytes) between the line's start and it.
 *  - null, true, false -> nil, true, false.
 *  - Integers (no fraction, no exponent): exact, in the smallest
 *    MessagePack int: non-negative up to 18446744073709551615 as uint
 *    (positive fixint, uint 8/16/32/64), negative down to
 *    -9223372036854775808 as int (negative fixint, int 8/16/32/64).
 *    Beyond, by bignum: JSON_BIG_FLOAT (default) the nearest float64, as
 *    JSON.parse; JSON_BIG_ERROR error range; JSON_BIG_STRING a str of the
 *    digits exactly as written ("-18446744073709551617").
 *  - "-0" is float64 -0.0 (as JSON.parse); "0" is the integer 0.
 *  - Numbers with a fraction or exponent: float64 (always 64-bit),
 *    correctly rounded (round-to-nearest-even).  A magnitude that rounds
 *    to infinity (1e309) is error range; one too small underflows to a
 *    subnormal or zero (1e-400 -> 0.0) with its sign.
 *  - Strings: the nine escapes \" \\ \/ \b \f \n \r \t \uXXXX (hex in
 *    either case) decoded; a surrogate pair to its code point as 4-byte
 *    UTF-8; a lone or reversed surrogate is error syntax "unpaired
 *    surrogate"; \u0000 gives a NUL byte.  Unescaped bytes below 0x20 are
 *    error syntax.  Bytes >= 0x80 must be well-formed UTF-8 (no overlong
 *    forms, no surrogates, nothing above U+10FFFF, no truncated
 *    sequence), else error utf8; they are copied as they are.  Output is
 *    str (fixstr, str 8/16/32, the smallest).  A string longer than
 *    4 GB - 1 is error too_large.
 *  - Arrays and maps: array/map with the smallest header (fix, 16, 32).
 *    Map keys are str.  Members stay in document order.  Duplicate keys
 *    by dup_keys: JSON_DUP_KEEP (default) keeps every member, as
 *    MessagePack allows (most MessagePack decoders then keep the last, as
 *    JSON.parse does); JSON_DUP_LAST keeps only the last member of each
 *    key, at its position; JSON_DUP_ERROR is error duplicate_key.  Keys
 *    compare as decoded bytes ("a" and "\u0061" are the same key).
 *  - Depth: more than max_depth nested arrays/objects (the top level is
 *    depth 1; 0 means 512) is error depth "nesting deeper than N", at the
 *    '[' or '{' that would exceed it.
 *  - max_size: a text longer than max_size bytes is error too_large
 *    before any parsing.
 *  - Bad options: error inval.  Allocation failure: error nomem.
 */
int	 fp_json_decode(const uint8_t *text, size_t len,
	    const struct fp_json_dec_options *o, struct fp_buf *out,
	    struct fp_json_dec_error *e);

/* ---- end of decoder ---- */

#endif /* FP_JSON_H */
