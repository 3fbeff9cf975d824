/*
 * test_config.c -- forkpool.conf(5) parsing: every keyword, value syntax,
 * errors with file and line, and that -nv output reads back the same.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "log.h"
#include "check.h"

static char	 path[64];

static int
load_text(struct fp_config *c, const char *text, char *err, size_t errlen)
{
	FILE	*fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
	config_defaults(c);
	return config_load(c, path, 0, err, errlen);
}

/* The file must be rejected and the message must contain `want'. */
static void
bad(const char *text, const char *want)
{
	struct fp_config c;
	char		 err[512] = "";

	CHECK(load_text(&c, text, err, sizeof(err)) == -1);
	if (strstr(err, want) == NULL) {
		fprintf(stderr, "for %s: got \"%s\", want \"%s\"\n", text, err,
		    want);
		CHECK(strstr(err, want) != NULL);
	}
}

int
main(void)
{
	struct fp_config c, d, def;
	char		 err[512];
	uint64_t	 v;
	FILE		*fp;
	char		*text = NULL;
	size_t		 tlen = 0;

	snprintf(path, sizeof(path), "/tmp/test_config.%d", (int)getpid());

	config_defaults(&def);
	CHECK(def.workers >= 1);
	CHECK(def.queue_limit == 1000);
	CHECK(def.prefetch == 32);
	CHECK(def.max_request_size == 64 << 20);
	CHECK(def.shutdown_timeout_ms == 30000);
	CHECK(def.test_handlers == 0);
	CHECK(def.socket[0] == '/');

	CHECK(load_text(&c,
	    "# comment\n"
	    "\n"
	    "workers 3\n"
	    "socket \"/tmp/with space/s.sock\"   # trailing comment\n"
	    "socket-mode 0600\n"
	    "pidfile none\n"
	    "queue-limit 0\n"
	    "prefetch 1\n"
	    "ring-size 64K\n"
	    "max-request-size 2M\n"
	    "max-connections 10\n"
	    "max-outstanding 5\n"
	    "shutdown-timeout 250ms\n"
	    "test-handlers yes\n"
	    "\tlog-level debug\n", err, sizeof(err)) == 0);
	CHECK(c.workers == 3);
	CHECK(strcmp(c.socket, "/tmp/with space/s.sock") == 0);
	CHECK(c.socket_mode == 0600);
	CHECK(c.pidfile[0] == '\0');
	CHECK(c.queue_limit == 0);
	CHECK(c.prefetch == 1);
	CHECK(c.ring_size == 64 << 10);
	CHECK(c.max_request_size == 2 << 20);
	CHECK(c.max_connections == 10);
	CHECK(c.max_outstanding == 5);
	CHECK(c.shutdown_timeout_ms == 250);
	CHECK(c.test_handlers == 1);
	CHECK(c.log_level == LOG_LVL_DEBUG);
	CHECK(strcmp(c.file, path) == 0);

	/* The normalised output parses back to the same configuration. */
	fp = open_memstream(&text, &tlen);
	config_print(&c, fp);
	fclose(fp);
	CHECK(load_text(&d, text, err, sizeof(err)) == 0);
	CHECK(d.workers == c.workers && strcmp(d.socket, c.socket) == 0 &&
	    d.socket_mode == c.socket_mode && d.pidfile[0] == '\0' &&
	    d.queue_limit == c.queue_limit && d.prefetch == c.prefetch &&
	    d.ring_size == c.ring_size &&
	    d.max_request_size == c.max_request_size &&
	    d.max_connections == c.max_connections &&
	    d.max_outstanding == c.max_outstanding &&
	    d.shutdown_timeout_ms == c.shutdown_timeout_ms &&
	    d.test_handlers == c.test_handlers && d.log_level == c.log_level);
	free(text);

	bad("wokers 3\n", ":1: unknown keyword \"wokers\"");
	bad("\n\nworkers\n", ":3: workers: missing value");
	bad("workers 0\n", "out of range");
	bad("workers 1025\n", "out of range");
	bad("workers three\n", "expected a number");
	bad("workers 3 4\n", "unexpected text");
	bad("workers 2\nworkers 3\n", ":2: workers: given twice");
	bad("ring-size 100K\n", "power of two");
	bad("ring-size 32K\n", "out of range");
	bad("max-request-size 12Q\n", "expected a size");
	bad("shutdown-timeout 2h\n", "expected a duration");
	bad("shutdown-timeout 2m1\n", "expected a duration");
	bad("test-handlers maybe\n", "expected yes or no");
	bad("log-level loud\n", "expected error, warning, info or debug");
	bad("socket-mode 999\n", "octal");
	bad("socket \"unterminated\n", "unterminated");
	bad("socket /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "too long");

	/* A rejected file leaves the configuration untouched. */
	config_defaults(&c);
	c.workers = 7;
	fp = fopen(path, "w");
	fputs("workers 2\nbogus 1\n", fp);
	fclose(fp);
	CHECK(config_load(&c, path, 0, err, sizeof(err)) == -1);
	CHECK(c.workers == 7);

	/* Missing files: an error unless optional. */
	unlink(path);
	CHECK(config_load(&c, path, 0, err, sizeof(err)) == -1);
	CHECK(strstr(err, "No such file") != NULL);
	CHECK(config_load(&c, path, 1, err, sizeof(err)) == 0);

	CHECK(config_parse_size("1G", &v) == 0 && v == 1ULL << 30);
	CHECK(config_parse_size("17", &v) == 0 && v == 17);
	CHECK(config_parse_size("-1", &v) == -1);
	CHECK(config_parse_size("99999999999999999999", &v) == -1);
	CHECK(config_parse_size("18014398509481984G", &v) == -1);
	CHECK(config_parse_duration("3", &v) == 0 && v == 3000);
	CHECK(config_parse_duration("2m", &v) == 0 && v == 120000);
	CHECK(config_parse_duration("", &v) == -1);
	return check_done("test_config");
}
