/*
 * test_config.c -- forkpool.conf(5) parsing: every keyword, value syntax,
 * errors with file and line, and that -nv output reads back the same;
 * files that are not regular files refused without a wait, read errors,
 * the size limit, and messages that stay valid UTF-8 whatever the file
 * holds.
 */
#include <sys/stat.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "config.h"
#include "units.h"
#include "handlers.h"
#include "log.h"
#include "check.h"

static char	 path[64];

static void	widths(void);

static int
load_text(struct fp_config *c, const char *text, char *err, size_t errlen)
{
	FILE	*fp = fopen(path, "w");

	fputs(text, fp);
	fclose(fp);
	config_defaults(c);
	if (config_load(c, path, 0, err, errlen) == -1)
		return -1;
	/* No plug-in is loaded here: names resolve against the built-ins. */
	return config_resolve(c, err, errlen);
}

/* The file must be rejected and the message must contain `want'. */
static void
bad(const char *text, const char *want)
{
	struct fp_config c;
	char		 err[512] = "";

	CHECK(load_text(&c, text, err, sizeof(err)) == -1);
	CHECK(check_clean_text(err));
	if (strstr(err, want) == NULL) {
		fprintf(stderr, "for %s: got \"%s\", want \"%s\"\n", text, err,
		    want);
		CHECK(strstr(err, want) != NULL);
	}
}

/* `file' must be refused at once with a message containing `want'. */
static void
refused(const char *file, int optional, const char *want)
{
	struct fp_config c;
	char		 err[512] = "";

	config_defaults(&c);
	c.workers = 9;
	CHECK(config_load(&c, file, optional, err, sizeof(err)) == -1);
	CHECK(c.workers == 9);
	CHECK(check_clean_text(err));
	if (strstr(err, want) == NULL) {
		fprintf(stderr, "for %s: got \"%s\", want \"%s\"\n", file, err,
		    want);
		CHECK(strstr(err, want) != NULL);
	}
}

/* The size limit, the special files and the hostile bytes. */
static void
files(void)
{
	struct fp_config c;
	char		 err[512], other[96], line[1024];
	FILE		*fp;
	int		 i;

	/* Whatever blocks here is a failure, not a hang of the suite. */
	alarm(30);
	snprintf(other, sizeof(other), "%s.fifo", path);
	unlink(other);
	CHECK(mkfifo(other, 0600) == 0);
	refused(other, 0, ": not a regular file");
	refused(other, 1, ": not a regular file");
	unlink(other);
	refused("/tmp", 0, "/tmp: not a regular file");
	refused("/dev/zero", 0, "/dev/zero: not a regular file");
	refused("/dev/urandom", 0, "/dev/urandom: not a regular file");
	/* A read error fails the load (EIO at offset 0 of our own memory). */
	refused("/proc/self/mem", 0, "/proc/self/mem: Input/output error");
	/*
	 * A file that says it is empty and is not (procfs) is read to the
	 * end, and then parsed.
	 */
	refused("/proc/self/smaps", 0, ":1: unknown keyword");

	/* /dev/null is the empty file: the built-in defaults. */
	config_defaults(&c);
	c.workers = 9;
	CHECK(config_load(&c, "/dev/null", 0, err, sizeof(err)) == 0);
	CHECK(c.workers == 9);

	/* Symlinks are followed, to a file or to what is refused. */
	fp = fopen(path, "w");
	fputs("workers 3\n", fp);
	fclose(fp);
	snprintf(other, sizeof(other), "%s.link", path);
	unlink(other);
	CHECK(symlink(path, other) == 0);
	config_defaults(&c);
	CHECK(config_load(&c, other, 0, err, sizeof(err)) == 0);
	CHECK(c.workers == 3);
	unlink(other);
	CHECK(symlink("/dev/zero", other) == 0);
	refused(other, 0, ": not a regular file");
	unlink(other);

	/* FP_CONF_MAXSIZE bytes load; one more, or a sparse 2 MB, do not. */
	fp = fopen(path, "w");
	memset(line, '#', sizeof(line) - 1);
	line[sizeof(line) - 1] = '\n';
	for (i = 0; i < FP_CONF_MAXSIZE / (int)sizeof(line); i++)
		fwrite(line, 1, sizeof(line), fp);
	fclose(fp);
	config_defaults(&c);
	CHECK(config_load(&c, path, 0, err, sizeof(err)) == 0);
	fp = fopen(path, "a");
	fputc('\n', fp);
	fclose(fp);
	refused(path, 0, ": too large (1 MB at most)");
	CHECK(truncate(path, 2 << 20) == 0);
	refused(path, 0, ": too large");
	unlink(path);

	/*
	 * Messages that quote the file escape what is not printable UTF-8:
	 * they go to terminals, logs and clients.
	 */
	bad("w\xffo\x1b 3\n", ":1: unknown keyword \"w\\xffo\\x1b\"");
	bad("wo\"rk 3\n", ":1: unknown keyword \"wo\\\"rk\"");
	bad("workers \"\xc3\xa9\xff\x1b[2J\"\n",
	    "workers \"\xc3\xa9\\xff\\x1b[2J\": expected a number");
	bad("handler \"a\xff\x1b\" timeout 1s\n",
	    ":1: handler \"a\\xff\\x1b\": unknown handler");
	bad("handler \"a\xff\" nope 1s\n",
	    ":1: handler \"a\\xff\" nope: unknown key");
	bad("handler echo timeout \"\x01\x02\"\n",
	    "handler echo timeout \"\\x01\\x02\": expected a duration");
	bad("load /x\xff\nload /x\xff\n",
	    ":2: load \"/x\\xff\": loaded already on line 1");
	bad("load \"x\xc2\x85\"\n", "load \"x\\u0085\": the path must be "
	    "absolute");

	/* ... and so is the path of the file. */
	snprintf(other, sizeof(other), "%s.\xff\x1b", path);
	fp = fopen(other, "w");
	fputs("bogus 1\n", fp);
	fclose(fp);
	snprintf(line, sizeof(line), "%s.\\xff\\x1b:1: unknown keyword", path);
	refused(other, 0, line);
	unlink(other);
	alarm(0);
}

int
main(void)
{
	struct fp_config c, d, def;
	char		 err[512];
	uint64_t	 v;
	uint32_t	 h;
	int		 echo, crash, sleep_h;
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
	CHECK(def.timeout_ms == 30000);
	CHECK(def.retries == 0);
	CHECK(def.kill_grace_ms == 0);
	CHECK(def.cancel_running == FP_CANCEL_DROP);
	CHECK(def.breaker_threshold == 5);
	CHECK(def.breaker_window_ms == 10000);
	CHECK(def.breaker_cooldown_ms == 5000);
	CHECK(def.min_worker_age_ms == 1000);
	CHECK(def.respawn_backoff_max_ms == 10000);
	CHECK(def.max_tasks_per_worker == 0);
	CHECK(def.max_worker_rss == 0);
	for (h = 0; h < handler_count(); h++) {
		CHECK(def.handler[h].set == 0);
		CHECK(config_handler_timeout_ms(&def, h) == 30000);
		CHECK(config_handler_retries(&def, h) == 0);
		CHECK(config_handler_breaker_threshold(&def, h) == 5);
	}

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

	/* Issue 3: deadlines, retries, breaker, back-off, recycling. */
	echo = handler_index("echo", 4);
	crash = handler_index("crash", 5);	/* a test handler, disabled */
	sleep_h = handler_index("sleep", 5);
	CHECK(echo >= 0 && crash >= 0 && sleep_h >= 0);
	CHECK(handler_index("nope", 4) == -1);
	CHECK(handler_index("ech", 3) == -1);
	CHECK(load_text(&c,
	    "timeout 1500ms\n"
	    "retries 2\n"
	    "kill-grace 10s\n"
	    "cancel-running kill\n"
	    "breaker-threshold 0\n"
	    "breaker-window 100ms\n"
	    "breaker-cooldown 60m\n"
	    "min-worker-age 0\n"
	    "respawn-backoff-max 10m\n"
	    "max-tasks-per-worker 1000000000\n"
	    "max-worker-rss 64M\n"
	    "handler echo timeout 2s\n"
	    "handler echo retries 0   # comment\n"
	    "handler crash retries 100\n"
	    "handler \"crash\" breaker-threshold 1000000\n"
	    "handler sleep breaker-threshold 3\n", err, sizeof(err)) == 0);
	CHECK(c.timeout_ms == 1500);
	CHECK(c.retries == 2);
	CHECK(c.kill_grace_ms == 10000);
	CHECK(c.cancel_running == FP_CANCEL_KILL);
	CHECK(c.breaker_threshold == 0);
	CHECK(c.breaker_window_ms == 100);
	CHECK(c.breaker_cooldown_ms == 3600000);
	CHECK(c.min_worker_age_ms == 0);
	CHECK(c.respawn_backoff_max_ms == 600000);
	CHECK(c.max_tasks_per_worker == 1000000000);
	CHECK(c.max_worker_rss == 64 << 20);
	CHECK(config_handler_timeout_ms(&c, echo) == 2000);
	CHECK(config_handler_retries(&c, echo) == 0);
	CHECK(config_handler_breaker_threshold(&c, echo) == 0);
	CHECK(config_handler_timeout_ms(&c, crash) == 1500);
	CHECK(config_handler_retries(&c, crash) == 100);
	CHECK(config_handler_breaker_threshold(&c, crash) == 1000000);
	CHECK(config_handler_timeout_ms(&c, sleep_h) == 1500);
	CHECK(config_handler_retries(&c, sleep_h) == 2);
	CHECK(config_handler_breaker_threshold(&c, sleep_h) == 3);
	/* Out of the table: the global values. */
	CHECK(config_handler_timeout_ms(&c, 9999) == 1500);
	CHECK(config_handler_retries(&c, 9999) == 2);

	fp = open_memstream(&text, &tlen);
	config_print(&c, fp);
	fclose(fp);
	CHECK(strstr(text, "\ntimeout 1500ms\n") != NULL);
	CHECK(strstr(text, "\ncancel-running kill\n") != NULL);
	CHECK(strstr(text, "\nbreaker-cooldown 3600s\n") != NULL);
	CHECK(strstr(text, "\nmax-worker-rss 64M\n") != NULL);
	CHECK(strstr(text, "\nhandler echo timeout 2s\n") != NULL);
	CHECK(strstr(text, "\nhandler echo retries 0\n") != NULL);
	CHECK(strstr(text, "\nhandler crash breaker-threshold 1000000\n") !=
	    NULL);
	CHECK(load_text(&d, text, err, sizeof(err)) == 0);
	CHECK(d.timeout_ms == c.timeout_ms && d.retries == c.retries &&
	    d.kill_grace_ms == c.kill_grace_ms &&
	    d.cancel_running == c.cancel_running &&
	    d.breaker_threshold == c.breaker_threshold &&
	    d.breaker_window_ms == c.breaker_window_ms &&
	    d.breaker_cooldown_ms == c.breaker_cooldown_ms &&
	    d.min_worker_age_ms == c.min_worker_age_ms &&
	    d.respawn_backoff_max_ms == c.respawn_backoff_max_ms &&
	    d.max_tasks_per_worker == c.max_tasks_per_worker &&
	    d.max_worker_rss == c.max_worker_rss);
	CHECK(memcmp(d.handler, c.handler, sizeof(c.handler)) == 0);
	free(text);
	text = NULL;

	/* The default -nv output has no handler lines; 0 is printed as is. */
	fp = open_memstream(&text, &tlen);
	config_print(&def, fp);
	fclose(fp);
	CHECK(strstr(text, "\nhandler ") == NULL);
	CHECK(strstr(text, "\nmax-worker-rss 0\n") != NULL);
	CHECK(strstr(text, "\ncancel-running drop\n") != NULL);
	free(text);
	text = NULL;

	CHECK(load_text(&c, "max-worker-rss 0\n", err, sizeof(err)) == 0 &&
	    c.max_worker_rss == 0);
	bad("max-worker-rss 512K\n", "out of range");

	/* load PATH [ARG]: kept in order, printed back, compared. */
	CHECK(load_text(&c, "load /a/b.so\nload \"/c d/e.so\" \"x=1 y\"\n"
	    "load-timeout 2s\n", err, sizeof(err)) == 0);
	CHECK(c.nload == 2 && c.load_timeout_ms == 2000);
	CHECK(strcmp(c.load[0].path, "/a/b.so") == 0 && !c.load[0].has_arg &&
	    c.load[0].line == 1);
	CHECK(strcmp(c.load[1].path, "/c d/e.so") == 0 && c.load[1].has_arg &&
	    strcmp(c.load[1].arg, "x=1 y") == 0 && c.load[1].line == 2);
	fp = open_memstream(&text, &tlen);
	config_print(&c, fp);
	fclose(fp);
	CHECK(strstr(text, "\nload \"/a/b.so\"\nload \"/c d/e.so\" \"x=1 y\"\n")
	    != NULL);
	CHECK(load_text(&d, text, err, sizeof(err)) == 0);
	CHECK(config_same_loads(&c, &d));
	free(text);
	text = NULL;
	CHECK(load_text(&d, "load /a/b.so\nload \"/c d/e.so\" \"x=1\"\n", err,
	    sizeof(err)) == 0 && !config_same_loads(&c, &d));
	CHECK(load_text(&d, "load \"/c d/e.so\" \"x=1 y\"\nload /a/b.so\n", err,
	    sizeof(err)) == 0 && !config_same_loads(&c, &d));
	CHECK(config_same_loads(&def, &def) && !config_same_loads(&def, &c));
	bad("load b.so\n", ":1: load b.so: the path must be absolute");
	bad("load /a.so\nload /a.so x\n", ":2: load /a.so: loaded already on "
	    "line 1");
	bad("load /a.so x y\n", "expected load PATH [ARGUMENT]");
	bad("load\n", "load: missing value");
	bad("load-timeout 50ms\n", "out of range");
	{
		char	 many[FP_CONF_PLUGINS * 16 + 32];
		size_t	 o = 0;
		int	 i;

		for (i = 0; i <= FP_CONF_PLUGINS; i++)
			o += (size_t)snprintf(many + o, sizeof(many) - o,
			    "load /p%d.so\n", i);
		bad(many, "too many plug-ins");
	}
	/* A handler line that no built-in handler (or plug-in) answers. */
	bad("\n\nhandler plug.thing retries 1\n",
	    ":3: handler plug.thing: unknown handler (not built in");
	bad("max-worker-rss 2048G\n", "out of range");
	bad("timeout 1441m\n", "out of range");
	bad("timeout 1w\n", "expected a duration");
	bad("retries 101\n", "out of range");
	bad("kill-grace 11s\n", "out of range");
	bad("cancel-running maybe\n", "expected drop or kill");
	bad("breaker-threshold 1000001\n", "out of range");
	bad("breaker-window 99ms\n", "out of range");
	bad("breaker-cooldown 61m\n", "out of range");
	bad("min-worker-age 61m\n", "out of range");
	bad("respawn-backoff-max 50ms\n", "out of range");
	bad("respawn-backoff-max 11m\n", "out of range");
	bad("max-tasks-per-worker 1000000001\n", "out of range");
	bad("retries 1\nretries 2\n", ":2: retries: given twice");
	bad("\nhandler nope timeout 1s\n", ":2: handler nope: unknown handler");
	bad("handler echo deadline 1s\n",
	    ":1: handler echo deadline: unknown key");
	bad("handler echo timeout 1s\nhandler sleep timeout 1s\n"
	    "handler echo timeout 2s\n", ":3: handler echo timeout: given twice");
	bad("handler echo timeout\n", "expected handler NAME KEY VALUE");
	bad("handler echo\n", "expected handler NAME KEY VALUE");
	bad("handler\n", "handler: missing value");
	bad("handler echo timeout 1s 2s\n", "unexpected text");
	bad("handler echo timeout soon\n",
	    "handler echo timeout soon: expected a duration");
	bad("handler echo retries 101\n", "handler echo retries 101: out of range");
	bad("handler echo breaker-threshold 1000001\n", "out of range");
	bad("handler echo timeout 1441m\n", "out of range");

	bad("wokers 3\n", ":1: unknown keyword \"wokers\"");
	bad("\n\nworkers\n", ":3: workers: missing value");
	bad("workers 0\n", "out of range");
	bad("workers 1025\n", "out of range");
	bad("workers three\n", "expected a number");
	bad("workers 3 4\n", "unexpected text");
	bad("workers 2\nworkers 3\n", ":2: workers: given twice");
	bad("ring-size 100K\n", "power of two");
	bad("ring-size 32K\n", "out of range");
	bad("blob-size 3M\n", "power of two");
	bad("blob-size 512K\n", "out of range");
	bad("blob-size 2G\n", "out of range");
	bad("max-shm-size 96K\n", "power of two");
	bad("max-shm-size 32K\n", "out of range");
	bad("max-shm-size 2G\n", "out of range");
	bad("max-request-size 12Q\n", "expected a size");
	bad("shutdown-timeout 2h\n", "out of range");
	bad("shutdown-timeout 2m1\n", "expected a duration");
	bad("test-handlers maybe\n", "expected yes or no");
	bad("log-level loud\n", "expected error, warning, info or debug");
	bad("socket-mode 999\n", "octal");
	bad("socket \"unterminated\n", "unterminated");
	bad("socket /aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n",
	    "too long");

	/*
	 * User and group names: resolved with the file (nobody and nogroup
	 * exist wherever the suite runs; as root, since only root may name
	 * another user).
	 */
	CHECK(load_text(&c, "workers 1\n", err, sizeof(err)) == 0);
	CHECK(c.user[0] == '\0' && c.admin_group[0] == '\0');
	CHECK(c.socket_uid == (uid_t)-1 && c.socket_gid == (gid_t)-1);
	if (geteuid() == 0) {
		CHECK(load_text(&c, "group nogroup\nuser nobody\n"
		    "socket-owner 1234\nsocket-group 4321\nadmin-group 0\n",
		    err, sizeof(err)) == 0);
		CHECK(c.user_uid == 65534 && c.user_gid == 65534);
		CHECK(strcmp(c.user, "nobody") == 0);
		CHECK(c.socket_uid == 1234 && c.socket_gid == 4321);
		CHECK(c.admin_gid == 0);
		CHECK(load_text(&c, "user 65534\n", err, sizeof(err)) == 0);
		CHECK(c.user_uid == 65534 && c.user_gid == 65534);
		CHECK(load_text(&c, "user nobody\ngroup 0\n", err,
		    sizeof(err)) == 0);
		CHECK(c.user_uid == 65534 && c.user_gid == 0);
		CHECK(load_text(&c, "user nobody\nuser none\n", err,
		    sizeof(err)) == -1);
		bad("user 5000000000\n", ":1: user 5000000000: no such user");
		bad("user 64999\n", "uid without a user entry: give group");
	}
	bad("workers 1\nuser fp-no-such-user\n",
	    ":2: user fp-no-such-user: no such user");
	bad("\ngroup nogroup\n", ":2: group nogroup: given without user");
	bad("socket-group fp-no-such-group\n",
	    ":1: socket-group fp-no-such-group: no such group");
	bad("admin-group \"\"\n", "empty name");
	bad("user aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	    "aaaa\n", "name too long");

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

	/* The default pidfile follows the socket; a given one stays. */
	CHECK(load_text(&c, "socket /a/x.sock\n", err, sizeof(err)) == 0);
	config_pidfile_default(&c);
	CHECK(strcmp(c.pidfile, "/a/x.pid") == 0);
	CHECK(load_text(&c, "socket /a/.sock\n", err, sizeof(err)) == 0);
	config_pidfile_default(&c);
	CHECK(strcmp(c.pidfile, "/a/.sock.pid") == 0);
	CHECK(load_text(&c, "socket /a/y\npidfile /b/p\n", err,
	    sizeof(err)) == 0);
	config_pidfile_default(&c);
	CHECK(strcmp(c.pidfile, "/b/p") == 0);
	CHECK(load_text(&c, "pidfile none\nsocket /a/y\n", err,
	    sizeof(err)) == 0);
	config_pidfile_default(&c);
	CHECK(c.pidfile[0] == '\0');
	/* A FORKPOOL_SOCKET too long is no socket, never another one. */
	{
		char	 longp[300];

		memset(longp, 'x', sizeof(longp) - 1);
		longp[0] = '/';
		longp[sizeof(longp) - 1] = '\0';
		setenv("FORKPOOL_SOCKET", longp, 1);
		config_defaults(&c);
		CHECK(c.socket[0] == '\0' && c.pidfile[0] == '\0');
		setenv("FORKPOOL_SOCKET", "/r/s.sock", 1);
		config_defaults(&c);
		CHECK(strcmp(c.socket, "/r/s.sock") == 0 &&
		    strcmp(c.pidfile, "/r/s.pid") == 0);
		unsetenv("FORKPOOL_SOCKET");
	}

	CHECK(fp_parse_size("1G", &v) == 0 && v == 1ULL << 30);
	CHECK(fp_parse_size("17", &v) == 0 && v == 17);
	CHECK(fp_parse_size("-1", &v) == -1);
	CHECK(fp_parse_size("99999999999999999999", &v) == -1);
	CHECK(fp_parse_size("18014398509481984G", &v) == -1);
	CHECK(fp_parse_duration("3", &v) == 0 && v == 3000);
	CHECK(fp_parse_duration("2m", &v) == 0 && v == 120000);
	CHECK(fp_parse_duration("2h", &v) == 0 && v == 7200000);
	CHECK(fp_parse_duration("1d", &v) == 0 && v == 86400000);
	CHECK(fp_parse_duration("", &v) == -1);

	files();
	widths();
	return check_done("test_config");
}

/*
 * Each keyword writes exactly its own field, with the field's width.  The
 * field is filled with a pattern first and everything else is kept: a
 * store narrower than the field leaves pattern bytes in the value, a wider
 * one changes bytes past the field.  Offsets and sizes come from the
 * structure here, not from config.c's table.
 */
#define CF(f)	offsetof(struct fp_config, f),				\
	    sizeof(((struct fp_config *)0)->f)
#define HF(f)	CF(hline[0].hc.f)
struct width_case {
	const char	*before;	/* loaded first, "" for none */
	const char	*line;
	size_t		 off, size;
	uint64_t	 num;		/* the value, if str is NULL */
	const char	*str;		/* the value of a string field */
	uint32_t	 bit;		/* HC_* of a handler key */
};

static const struct width_case wcases[] = {
	{ "", "workers 1000", CF(workers), 1000, NULL, 0 },
	{ "", "socket /w/x.sock", CF(socket), 0, "/w/x.sock", 0 },
	{ "", "socket-mode 0751", CF(socket_mode), 0751, NULL, 0 },
	{ "", "pidfile /w/x.pid", CF(pidfile), 0, "/w/x.pid", 0 },
	{ "", "queue-limit 999999", CF(queue_limit), 999999, NULL, 0 },
	{ "", "prefetch 1000", CF(prefetch), 1000, NULL, 0 },
	{ "", "spin 10000", CF(spin_us), 10000, NULL, 0 },
	{ "", "ring-size 128M", CF(ring_size), 128 << 20, NULL, 0 },
	{ "", "blob-size 512M", CF(blob_size), 512 << 20, NULL, 0 },
	{ "", "max-request-size 1G", CF(max_request_size), 1 << 30, NULL, 0 },
	{ "", "max-shm-size 1G", CF(max_shm_size), 1 << 30, NULL, 0 },
	{ "", "max-connections 999999", CF(max_connections), 999999, NULL,
	    0 },
	{ "", "max-connections-per-user 65537", CF(max_conns_per_user), 65537,
	    NULL, 0 },
	{ "", "max-outstanding 70000", CF(max_outstanding), 70000, NULL, 0 },
	{ "", "max-connection-output 1024G", CF(max_connection_output),
	    1ULL << 40, NULL, 0 },
	{ "", "max-buffered 1000G", CF(max_buffered), 1000ULL << 30, NULL, 0 },
	{ "", "shutdown-timeout 59m", CF(shutdown_timeout_ms), 3540000, NULL,
	    0 },
	{ "", "test-handlers yes", CF(test_handlers), 1, NULL, 0 },
	{ "", "log-level debug", CF(log_level), LOG_LVL_DEBUG, NULL, 0 },
	{ "", "timeout 1440m", CF(timeout_ms), 86400000, NULL, 0 },
	{ "", "retries 100", CF(retries), 100, NULL, 0 },
	{ "", "kill-grace 10s", CF(kill_grace_ms), 10000, NULL, 0 },
	{ "", "cancel-running kill", CF(cancel_running), FP_CANCEL_KILL, NULL,
	    0 },
	{ "", "breaker-threshold 1000000", CF(breaker_threshold), 1000000,
	    NULL, 0 },
	{ "", "breaker-window 60m", CF(breaker_window_ms), 3600000, NULL, 0 },
	{ "", "breaker-cooldown 30m", CF(breaker_cooldown_ms), 1800000, NULL,
	    0 },
	{ "", "min-worker-age 1m", CF(min_worker_age_ms), 60000, NULL, 0 },
	{ "", "respawn-backoff-max 10m", CF(respawn_backoff_max_ms), 600000,
	    NULL, 0 },
	{ "", "max-tasks-per-worker 1000000000", CF(max_tasks_per_worker),
	    1000000000, NULL, 0 },
	{ "", "max-worker-rss 1024G", CF(max_worker_rss), 1ULL << 40, NULL,
	    0 },
	{ "", "load-timeout 60m", CF(load_timeout_ms), 3600000, NULL, 0 },
	{ "", "user 0", CF(user), 0, "0", 0 },
	{ "user 0\n", "group 0", CF(group), 0, "0", 0 },
	{ "", "socket-owner 0", CF(socket_owner), 0, "0", 0 },
	{ "", "socket-group 0", CF(socket_group), 0, "0", 0 },
	{ "", "admin-group 0", CF(admin_group), 0, "0", 0 },
	{ "", "slowlog-threshold 1440m", CF(slowlog_threshold_ms), 86400000,
	    NULL, 0 },
	{ "", "slowlog-max-len 100000", CF(slowlog_max_len), 100000, NULL, 0 },
	{ "", "task-log all", CF(task_log), FP_TASKLOG_ALL, NULL, 0 },
	{ "", "metrics-listen [::1]:65535", CF(metrics_listen), 0,
	    "[::1]:65535", 0 },
	{ "", "source-queue-share 100", CF(source_queue_share), 100, NULL, 0 },
	/* The handler keys, on a line that exists already. */
	{ "handler echo retries 1\n", "handler echo timeout 1440m",
	    HF(timeout_ms), 86400000, NULL, HC_TIMEOUT },
	{ "handler echo timeout 1s\n", "handler echo retries 100",
	    HF(retries), 100, NULL, HC_RETRIES },
	{ "handler echo timeout 1s\n", "handler echo breaker-threshold "
	    "1000000", HF(breaker_threshold), 1000000, NULL, HC_BREAKER },
};
#define NWCASES (sizeof(wcases) / sizeof(wcases[0]))

/* What config_load() writes besides the keyword's field. */
#define RESTORE(f) do {							\
	if (offsetof(struct fp_config, f) != w->off)			\
		memcpy(&c->f, &snap->f, sizeof(c->f));			\
} while (0)

static int
width_case(const struct width_case *w, struct fp_config *c,
    struct fp_config *snap)
{
	char		 err[512] = "";
	char		 text[256];
	uint64_t	 got = 0, u64;
	uint32_t	 u32;
	uint16_t	 u16;
	int		 ok = 1;
	FILE		*fp;

	config_defaults(c);
	if (w->before[0] != '\0') {
		if ((fp = fopen(path, "w")) == NULL)
			return 0;
		fputs(w->before, fp);
		fclose(fp);
		if (config_load(c, path, 0, err, sizeof(err)) == -1) {
			fprintf(stderr, "%s: %s\n", w->before, err);
			return 0;
		}
	}
	if (w->str == NULL)
		memset((char *)c + w->off, 0xa5, w->size);
	*snap = *c;
	snprintf(text, sizeof(text), "%s\n", w->line);
	if ((fp = fopen(path, "w")) == NULL)
		return 0;
	fputs(text, fp);
	fclose(fp);
	if (config_load(c, path, 0, err, sizeof(err)) == -1) {
		fprintf(stderr, "%s: %s\n", w->line, err);
		return 0;
	}
	/* The value read as the field's type (whatever the byte order). */
	switch (w->str != NULL ? 0 : w->size) {
	case 0:
		ok = strcmp((char *)c + w->off, w->str) == 0;
		break;
	case sizeof(u64):
		memcpy(&u64, (char *)c + w->off, sizeof(u64));
		got = u64;
		break;
	case sizeof(u32):
		memcpy(&u32, (char *)c + w->off, sizeof(u32));
		got = u32;
		break;
	case sizeof(u16):
		memcpy(&u16, (char *)c + w->off, sizeof(u16));
		got = u16;
		break;
	default:
		ok = 0;
		break;
	}
	if (w->str == NULL)
		ok = ok && got == w->num;
	if (!ok)
		fprintf(stderr, "%s: field holds %#llx\n", w->line,
		    (unsigned long long)got);
	if (w->bit != 0) {
		ok = ok && c->hline[0].hc.set == (snap->hline[0].hc.set |
		    w->bit);
		RESTORE(hline[0].hc.set);
	}
	RESTORE(file);
	RESTORE(pidfile_set);
	RESTORE(user_uid);
	RESTORE(user_gid);
	RESTORE(socket_uid);
	RESTORE(socket_gid);
	RESTORE(admin_gid);
	if (memcmp(c, snap, w->off) != 0 ||
	    memcmp((char *)c + w->off + w->size, (char *)snap + w->off +
	    w->size, sizeof(*c) - w->off - w->size) != 0) {
		fprintf(stderr, "%s: bytes outside its field changed\n",
		    w->line);
		ok = 0;
	}
	return ok;
}
#undef RESTORE

static void
widths(void)
{
	struct fp_config *c, *snap;
	char		*text = NULL, *line, *sp, *save;
	size_t		 tlen = 0, i, n;
	FILE		*fp;

	/* Whole structures, zeroed so that padding compares equal. */
	c = calloc(1, sizeof(*c));
	snap = calloc(1, sizeof(*snap));
	CHECK(c != NULL && snap != NULL);
	if (c == NULL || snap == NULL)
		return;
	for (i = 0; i < NWCASES; i++) {
		if (geteuid() != 0 && wcases[i].str != NULL &&
		    strcmp(wcases[i].str, "0") == 0)
			continue;	/* only root may name uid 0 */
		CHECK(width_case(&wcases[i], c, snap));
	}

	/* Every keyword of -nv has its case above. */
	config_defaults(c);
	fp = open_memstream(&text, &tlen);
	config_print(c, fp);
	fclose(fp);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || strncmp(line, "load ", 5) == 0 ||
		    strncmp(line, "handler ", 8) == 0)
			continue;
		if ((sp = strchr(line, ' ')) != NULL)
			*sp = '\0';
		n = strlen(line);
		for (i = 0; i < NWCASES; i++)
			if (strncmp(wcases[i].line, line, n) == 0 &&
			    wcases[i].line[n] == ' ')
				break;
		if (i == NWCASES)
			fprintf(stderr, "keyword %s: no width case\n", line);
		CHECK(i < NWCASES);
	}
	free(text);
	free(c);
	free(snap);
}
