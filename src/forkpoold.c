/*
 * forkpoold -- prefork task server: main, options, configuration,
 * pidfile and daemonisation; then the supervisor takes over.
 */
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

static void
open_pidfile(const char *path)
{
	pid_t	 other = -1;

	if (*path == '\0')
		return;
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
	if (sock != NULL && strlcpy(conf.socket, sock, sizeof(conf.socket)) >=
	    sizeof(conf.socket)) {
		fprintf(stderr, "forkpoold: -s: socket path too long\n");
		exit(2);
	}
	if (pid != NULL) {
		if (strcmp(pid, "none") == 0)
			conf.pidfile[0] = '\0';
		else if (strlcpy(conf.pidfile, pid, sizeof(conf.pidfile)) >=
		    sizeof(conf.pidfile)) {
			fprintf(stderr, "forkpoold: -p: path too long\n");
			exit(2);
		}
	}
	if (workers > 0)
		conf.workers = workers;
	if (test)
		conf.test_handlers = 1;
	if (verbose > 0 && !check)
		conf.log_level = LOG_LVL_DEBUG;
	if (check) {
		if (verbose)
			config_print(&conf, stdout);
		printf("configuration OK\n");
		exit(0);
	}

	log_init(debug, conf.log_level, "forkpoold");
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
