/*
 * forkpoold -- prefork task server: main, options, configuration,
 * pidfile and daemonisation; then the supervisor takes over.
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/libutil.h>
#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <bsd/unistd.h>

#include "forkpool.h"
#include "config.h"
#include "daemon.h"
#include "log.h"
#include "plugin.h"

static struct pidfh	*pfh;

static void __attribute__((noreturn))
usage(void)
{
	fprintf(stderr, "usage: forkpoold [-dhnTv] [-f file] [-p pidfile] "
	    "[-s socket] [-w workers]\n");
	exit(2);
}

/*
 * On any exit of the supervisor, fatal() included: remove the socket and
 * the pidfile.  Workers inherit the handler; the pid check skips them.
 */
static void
cleanup(void)
{
	if (sv == NULL || getpid() != sv->pid)
		return;
	control_unlisten();
	if (pfh != NULL)
		pidfile_remove(pfh);
	pfh = NULL;
}

/*
 * The default socket and pidfile live in a directory of their own
 * (/run/forkpool, /tmp/forkpool-UID) that may not exist yet: create the
 * last level, as the default paths need no more.
 */
static void
make_parent(const char *path)
{
	char	 dir[PATH_MAX], *slash;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir) ||
	    (slash = strrchr(dir, '/')) == NULL || slash == dir)
		return;
	*slash = '\0';
	(void)mkdir(dir, 0755);
}

static void
open_pidfile(const char *path)
{
	pid_t	 other = -1;

	if (*path == '\0')
		return;
	make_parent(path);
	if ((pfh = pidfile_open(path, 0644, &other)) != NULL)
		return;
	if (errno == EEXIST) {
		fprintf(stderr, "forkpoold: pidfile %s is locked by pid %d: "
		    "is forkpoold already running?\n", path, (int)other);
		exit(1);
	}
	fprintf(stderr, "forkpoold: pidfile %s: %s\n", path, strerror(errno));
	exit(1);
}

/*
 * The configuration file as an absolute path: daemon(3) changes to /
 * before a reload reads it again.  Symbolic links are not resolved, so
 * that a link switched to another file is followed on reload.
 */
static void
keep_cmdline(const char *file, int fflag)
{
	char	 cwd[PATH_MAX];
	int	 n;

	cmdline.fflag = fflag;
	if (file[0] == '/' || getcwd(cwd, sizeof(cwd)) == NULL)
		n = snprintf(cmdline.file, sizeof(cmdline.file), "%s", file);
	else
		n = snprintf(cmdline.file, sizeof(cmdline.file), "%s/%s", cwd,
		    file);
	if (n < 0 || (size_t)n >= sizeof(cmdline.file)) {
		fprintf(stderr, "forkpoold: -f: path too long\n");
		exit(2);
	}
}

int
main(int argc, char *argv[], char *envp[])
{
	struct fp_config conf;
	const char	*file = FP_CONF_DEFAULT, *sock = NULL, *pid = NULL;
	const char	*errstr;
	char		 err[PATH_MAX + 256];
	int		 ch, debug = 0, check = 0, verbose = 0, test = 0;
	int		 fflag = 0, workers = 0;

	setproctitle_init(argc, argv, envp);
	while ((ch = getopt(argc, argv, "df:hnp:s:Tvw:")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			file = optarg;
			fflag = 1;
			break;
		case 'n':
			check = 1;
			break;
		case 'p':
			pid = optarg;
			break;
		case 's':
			sock = optarg;
			break;
		case 'T':
			test = 1;
			break;
		case 'v':
			verbose++;
			break;
		case 'w':
			workers = (int)strtonum(optarg, 1, 1024, &errstr);
			if (errstr != NULL) {
				fprintf(stderr, "forkpoold: -w %s: %s "
				    "(1 to 1024)\n", optarg, errstr);
				exit(2);
			}
			break;
		case 'h':
		default:
			usage();
		}
	}
	if (optind != argc)
		usage();

	config_defaults(&conf);
	if (config_load(&conf, file, !fflag, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkpoold: %s\n", err);
		exit(1);
	}
	if (sock != NULL && strlen(sock) >= sizeof(conf.socket)) {
		fprintf(stderr, "forkpoold: -s: socket path too long\n");
		exit(2);
	}
	if (pid != NULL && strlen(pid) >= sizeof(conf.pidfile)) {
		fprintf(stderr, "forkpoold: -p: path too long\n");
		exit(2);
	}
	/* Kept for reloads, which read the file again and apply these. */
	keep_cmdline(file, fflag);
	cmdline.socket = sock;
	cmdline.pidfile = pid;
	cmdline.workers = workers;
	cmdline.test = test;
	cmdline.verbose = check ? 0 : verbose;
	cmdline_apply(&conf);
	/*
	 * Plug-ins load before the first fork so that workers share what
	 * they load; with -n too, as a check that they do load.  Their
	 * handlers exist from then on, and the `handler' lines can name them.
	 */
	log_init(debug || check, conf.log_level, "forkpoold");
	/* On any exit from here on, plug-ins loaded so far get their fini. */
	if (atexit(plugins_fini) != 0) {
		fprintf(stderr, "forkpoold: atexit failed\n");
		exit(1);
	}
	if (plugins_load(&conf, err, sizeof(err)) == -1 ||
	    config_resolve(&conf, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkpoold: %s\n", err);
		exit(1);
	}
	if (check) {
		if (verbose)
			config_print(&conf, stdout);
		printf("configuration OK\n");
		exit(0);
	}

	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		fatal("calloc", NULL);
	sv->conf = conf;
	sv->pid = getpid();
	open_pidfile(conf.pidfile);
	if (atexit(cleanup) != 0)
		fatal("atexit", NULL);
	supervisor_setup();
	if (!debug && daemon(0, 0) == -1)
		fatal("daemon", NULL);
	sv->pid = getpid();
	if (pfh != NULL && pidfile_write(pfh) == -1)
		fatal("pidfile", "path=%s", conf.pidfile);
	supervisor();
}
