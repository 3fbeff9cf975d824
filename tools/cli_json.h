/*
 * cli_json.h -- JSON text <-> MessagePack for forkpool(1).
 *
 * The command line speaks JSON, the daemon MessagePack.  The mapping is the
 * one in forkpool(1): null, booleans, numbers, strings, arrays and objects
 * map naturally; integers stay exact in the int64/uint64 range and become
 * float64 beyond it; bin prints as a base64 string, ext as null; a map key
 * that is not a string prints as its JSON text inside a string.
 *
 * Neither direction recurses, so no input can overflow the stack.
 */
#ifndef CLI_JSON_H
#define CLI_JSON_H

#include <stddef.h>
#include <stdint.h>

/* JSON nested deeper than this is rejected rather than parsed. */
#define CJ_MAX_DEPTH	512

/*
 * Non-string map keys inside non-string map keys deeper than this are
 * refused: every level escapes the text once more, doubling backslashes.
 */
#define CJ_MAX_KEY_DEPTH	8

/* A growable byte buffer; zero-initialise it, release with cj_buf_free. */
struct cj_buf {
	char	*data;
	size_t	 len;
	size_t	 cap;
};

/* cj_buf_add: append len bytes.  Returns 0, or -1 with ENOMEM. */
int	cj_buf_add(struct cj_buf *b, const void *p, size_t len);

/* cj_buf_free: release the memory and make the buffer empty again. */
void	cj_buf_free(struct cj_buf *b);

/*
 * cj_from_json: parse `len' bytes of JSON text (RFC 8259, strict: UTF-8, no
 * BOM, no trailing characters) and append one MessagePack object to out.
 * Returns 0, or -1 with errno EINVAL and "invalid JSON at offset N: what"
 * in err (N counts bytes from 0) and *erroff set to N (erroff may be NULL),
 * or ENOMEM.  On failure out keeps its previous length.
 */
int	cj_from_json(struct cj_buf *out, const char *text, size_t len,
	    char *err, size_t errlen, size_t *erroff);

/*
 * cj_to_json: render exactly one MessagePack object of `len' bytes as one
 * line of JSON text appended to out (not NUL-terminated, no newline).
 * Floats print in the shortest form that reads back to the same value,
 * NaN and infinities as null; strings that are not valid UTF-8 have each
 * bad byte replaced by U+FFFD.  Returns 0, or -1 with errno EINVAL and a
 * message in err (invalid, truncated or trailing input, keys nested too
 * deep), or ENOMEM.
 */
int	cj_to_json(struct cj_buf *out, const void *mp, size_t len,
	    char *err, size_t errlen);

#endif /* CLI_JSON_H */
