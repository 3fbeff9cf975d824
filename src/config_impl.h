/*
 * config_impl.h -- what config.c shares with config_source.c, which
 * parses the `source' blocks: the keyword tables' types and the value
 * parser.  Not for other files: they read struct fp_config (config.h).
 */
#ifndef FP_CONFIG_IMPL_H
#define FP_CONFIG_IMPL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "config.h"

enum ktype { K_INT, K_SIZE, K_DURATION, K_BOOL, K_PATH, K_SOCKET, K_MODE,
	K_LEVEL, K_CANCEL, K_NAME, K_TASKLOG, K_LISTEN, K_SPIN, K_STR };

#define KF_POW2		0x01	/* a power of two */
#define KF_ZERO		0x02	/* 0 (off) is allowed below min */

/*
 * A keyword's field: its offset and its size, both taken from the member
 * by KW()/HKW(), so that set_value() writes as many bytes as the member
 * has whatever its type (an int, a uint32_t, a size_t, a char array).
 */
struct keyword {
	const char	*name;
	enum ktype	 type;
	size_t		 off;
	size_t		 size;
	uint64_t	 min, max;
	int		 flags;
};


#define MEMBER_SIZE(t, f)	sizeof(((t *)0)->f)
#define DAY_MS	(24ULL * 3600 * 1000)
#define HOUR_MS	(3600ULL * 1000)

/* keyword_find: the keyword named kw in the n of tab, or NULL. */
const struct keyword *keyword_find(const struct keyword *tab, size_t n,
	    const char *kw);

/*
 * set_value: parse v as k's type into c at k's offset; 0, or -1 with a
 * reason in *why.
 */
int	set_value(struct fp_config *c, const struct keyword *k, const char *v,
	    const char **why);
/* cfgerr: "FILE:LINE: problem" in err, made safe; returns -1. */
int	cfgerr(char *err, size_t len, const char *file, int line,
	    const char *fmt, ...) __attribute__((format(printf, 5, 6)));
/*
 * read_file: all of path, NUL-terminated, in *textp (the caller frees
 * it); 1 if it does not exist and is optional; -1 with "FILE: reason".
 */
int	read_file(const char *path, int optional, char **textp, size_t *lenp,
	    char *err, size_t errlen);

/*
 * config_source_begin: a `source NAME TYPE {' line (val, nval); the block's
 * lines then go to config_source_line until it returns 1 (the closing
 * brace).  config_source_end: the whole file is read: checks across
 * sources, and a block left open.  Each returns 0 or -1 with err.
 */
int	config_source_begin(struct fp_config *c, char **val, int nval,
	    const char *path, int lineno, char *err, size_t errlen);
int	config_source_line(struct fp_config *c, const char *kw, char **val,
	    int nval, const char *path, int lineno, char *err, size_t errlen);
int	config_source_end(struct fp_config *c, int open, const char *path,
	    char *err, size_t errlen);
/*
 * For -nv (config_print): put_quoted writes v as one double-quoted word;
 * print_duration a line "kw 30s" (or "kw 1500ms").
 */
void	put_quoted(FILE *fp, const char *v);
void	print_duration(FILE *fp, const char *kw, uint64_t ms);
/* config_source_print: the blocks, for config_print. */
void	config_source_print(const struct fp_config *c, FILE *fp);

#endif /* FP_CONFIG_IMPL_H */
