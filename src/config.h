/*
 * config.h -- forkpool.conf(5): the daemon's configuration.
 */
#ifndef FP_CONFIG_H
#define FP_CONFIG_H

#include <sys/types.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define FP_CONF_DEFAULT	"/etc/forkpool.conf"
#define FP_SOCKPATH_MAX	108	/* sizeof(sun_path) */

struct fp_config {
	char		 file[PATH_MAX];	/* "" if built-in defaults */
	int		 workers;
	char		 socket[FP_SOCKPATH_MAX];
	mode_t		 socket_mode;
	char		 pidfile[PATH_MAX];	/* "" = none */
	uint32_t	 queue_limit;
	uint32_t	 prefetch;
	size_t		 ring_size;
	size_t		 max_request_size;
	uint32_t	 max_connections;
	uint32_t	 max_outstanding;
	uint64_t	 shutdown_timeout_ms;
	int		 test_handlers;
	int		 log_level;
};

/* config_defaults: fill `c' with the built-in defaults. */
void	config_defaults(struct fp_config *c);

/*
 * config_load: read `path' over the values already in `c'.  If `optional'
 * and the file does not exist, keep `c' and return 0.  On error return -1
 * with "FILE:LINE: problem" (or "FILE: strerror") in err.
 */
int	config_load(struct fp_config *c, const char *path, int optional,
	    char *err, size_t errlen);

/* config_print: every keyword with its effective value, as a file. */
void	config_print(const struct fp_config *c, FILE *fp);

/* config_parse_size/duration: the value syntaxes of forkpool.conf(5). */
int	config_parse_size(const char *s, uint64_t *out);
int	config_parse_duration(const char *s, uint64_t *ms);

#endif /* FP_CONFIG_H */
