/*
 * forkpoold -- prefork task server: main, options, configuration,
 * pidfile and daemonisation; then the supervisor takes over.
 */
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <bsd/stdlib.h>
#include <bsd/string.h>
#include <bsd/unistd.h>

#include "forkpool.h"
#include "config.h"
#include "control.h"
#include "daemon.h"
#include "log.h"
#include "paths.h"
#include "plugin.h"
#include "reload.h"

#define PIDDIR_MODE	0755	/* a pidfile's own directory, if we make it */

static int		 pidfd = -1;
static struct stat	 pidst;		/* what we locked, to remove only it */
static const char	*pidpath;
static int		 detached;	/* stderr is the pipe to our parent */
static int		 readyfd = -1;	/* daemon mode: says "ready" to it */
static struct stat	 readyst;	/* what readyfd was made as */

/* The signals the supervisor reads from its signalfd (forkpoold(8)). */
static const int	 stopsigs[] = { SIGTERM, SIGINT, SIGQUIT, SIGHUP };
#define NSTOPSIGS	(sizeof(stopsigs) / sizeof(stopsigs[0]))
static sigset_t		 start_mask;	/* as we were started */
static struct sigaction	 start_act[NSTOPSIGS];
static int		 start_forks;	/* children get them back */

/* Daemon mode: the byte on the ready pipe that means "listening". */
#define READY_BYTE	'R'

/*
 * Started with standard input, output or error closed, the first
 * descriptors we open would take their numbers: the pidfile would become
 * every worker's standard input, log lines would go to the signalfd.  Put
 * /dev/null there before anything else is opened.
 */
static void
stdio_fill(void)
{
	int	 fd;

	while ((fd = open("/dev/null", O_RDWR | O_NOCTTY)) != -1 &&
	    fd <= STDERR_FILENO)
		;
	if (fd == -1) {
		fprintf(stderr, "forkpoold: /dev/null: %s\n", strerror(errno));
		exit(1);
	}
	close(fd);
}

/*
 * In a child forked while plug-ins load (the probe that tries each one,
 * a helper a plug-in's init starts): the signals as we were started
 * with, not blocked because we are starting.
 */
static void
start_signals_child(void)
{
	size_t	 i;

	if (!start_forks)
		return;
	for (i = 0; i < NSTOPSIGS; i++)
		(void)sigaction(stopsigs[i], &start_act[i], NULL);
	(void)sigprocmask(SIG_SETMASK, &start_mask, NULL);
}

/*
 * Until supervisor_setup makes the signalfd, SIGTERM, SIGINT, SIGQUIT
 * and SIGHUP would kill us with their default action: in the middle of
 * trying a plug-in, say, whose probe would then run on, orphaned.  Block
 * them from the start instead: they stay pending, and the signalfd reads
 * them once the daemon is ready.  As supervisor_setup does, undo what a
 * shell or nohup(1) ignored, or a pending one would be dropped.
 */
static void
start_signals_hold(void)
{
	struct sigaction sa;
	sigset_t	 set;
	size_t		 i;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = SIG_DFL;
	sigemptyset(&sa.sa_mask);
	sigemptyset(&set);
	for (i = 0; i < NSTOPSIGS; i++)
		sigaddset(&set, stopsigs[i]);
	if (sigprocmask(SIG_BLOCK, &set, &start_mask) == -1) {
		fprintf(stderr, "forkpoold: sigprocmask: %s\n",
		    strerror(errno));
		exit(1);
	}
	for (i = 0; i < NSTOPSIGS; i++)
		(void)sigaction(stopsigs[i], &sa, &start_act[i]);
	if (pthread_atfork(NULL, NULL, start_signals_child) != 0) {
		fprintf(stderr, "forkpoold: pthread_atfork failed\n");
		exit(1);
	}
}

/*
 * Back to the signals as we were started with, where nothing will read
 * a signalfd: a signal that came meanwhile takes effect now.
 */
static void
start_signals_release(void)
{
	size_t	 i;

	for (i = 0; i < NSTOPSIGS; i++)
		(void)sigaction(stopsigs[i], &start_act[i], NULL);
	(void)sigprocmask(SIG_SETMASK, &start_mask, NULL);
}

static void __attribute__((noreturn))
usage(int status)
{
	/* Asked for (-h): on stdout, and not an error. */
	fprintf(status == 0 ? stdout : stderr, "usage: forkpoold [-dhnTVv] "
	    "[-f file] [-p pidfile] [-s socket] [-w workers]\n");
	exit(status);
}

/*
 * A start-up failure: "forkpoold: PATH: reason" on stderr (in daemon mode
 * the pipe to the parent, which prints it), exit 1.  atexit handlers
 * remove what was made so far.
 */
static void __attribute__((noreturn, format(printf, 1, 2)))
startup_fail(const char *fmt, ...)
{
	va_list	 ap;
	char	 msg[PATH_MAX + 512];

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	fprintf(stderr, "forkpoold: %s\n", msg);
	exit(1);
}

/* Remove the pidfile if it is still the one we locked. */
static void
pidfile_unlink(void)
{
	struct stat	 st;
	char		 q[PATH_MAX * 4 + 3];

	if (pidfd == -1)
		return;
	if (lstat(pidpath, &st) == 0 && st.st_dev == pidst.st_dev &&
	    st.st_ino == pidst.st_ino && unlink(pidpath) == -1)
		log_warn("unlink", "pidfile=%s", log_quote(pidpath, q,
		    sizeof(q)));
	close(pidfd);
	pidfd = -1;
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
	pidfile_unlink();
	paths_dirs_remove();
}

/*
 * The pidfile's status st (lstat or fstat) refused, with the reason in
 * err: what a start refuses, forkpoold -n too.
 */
static int
pidfile_refused(const char *path, const struct stat *st, char *err,
    size_t errlen)
{
	if (S_ISLNK(st->st_mode))
		snprintf(err, errlen, "%s: a symbolic link: refusing to follow "
		    "it for the pidfile", path);
	else if (!S_ISREG(st->st_mode))
		snprintf(err, errlen, "%s: not a regular file: refusing it for "
		    "the pidfile", path);
	else if (st->st_nlink != 1)
		snprintf(err, errlen, "%s: has other hard links: refusing it "
		    "for the pidfile", path);
	else if (st->st_uid != geteuid())
		snprintf(err, errlen, "%s: owned by uid %lu, not by us (uid "
		    "%lu): refusing it for the pidfile", path,
		    (unsigned long)st->st_uid, (unsigned long)geteuid());
	else
		return 0;
	return -1;
}

/* forkpoold -n: would open_pidfile accept path ("" for none)? */
static int
pidfile_check(const char *path, char *err, size_t errlen)
{
	struct stat	 st;

	if (*path == '\0')
		return 0;
	if (paths_dir_check(path, PIDDIR_MODE, (gid_t)-1, 0, err,
	    errlen) == -1)
		return -1;
	if (lstat(path, &st) == -1) {
		if (errno == ENOENT)
			return 0;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	return pidfile_refused(path, &st, err, errlen);
}

/*
 * The pidfile, locked for as long as we run, holding our pid.  Not
 * libbsd's pidfile_open: that follows a symbolic link and truncates before
 * it knows the file is ours, so a link planted at the path would make us
 * empty whatever it points to.  Here the last component is never followed,
 * the file must be a regular file of ours with no other link, and it is
 * truncated only once the lock is held.
 */
static void
open_pidfile(const char *path)
{
	char		 err[PATH_MAX + 256], buf[32];
	ssize_t		 n;
	long		 other;
	int		 len;

	if (*path == '\0')
		return;
	if (paths_dir_check(path, PIDDIR_MODE, (gid_t)-1, 1, err,
	    sizeof(err)) == -1)
		startup_fail("%s", err);
	if ((pidfd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC |
	    O_NONBLOCK | O_NOCTTY, 0644)) == -1) {
		if (errno == ELOOP)
			startup_fail("%s: a symbolic link: refusing to follow "
			    "it for the pidfile", path);
		startup_fail("%s: %s", path, strerror(errno));
	}
	if (fstat(pidfd, &pidst) == -1)
		startup_fail("%s: %s", path, strerror(errno));
	if (pidfile_refused(path, &pidst, err, sizeof(err)) == -1) {
		close(pidfd);
		pidfd = -1;
		startup_fail("%s", err);
	}
	if (flock(pidfd, LOCK_EX | LOCK_NB) == -1) {
		int	 e = errno;

		n = pread(pidfd, buf, sizeof(buf) - 1, 0);
		close(pidfd);
		pidfd = -1;
		if (e != EWOULDBLOCK)
			startup_fail("%s: lock: %s", path, strerror(e));
		buf[n > 0 ? n : 0] = '\0';
		other = strtol(buf, NULL, 10);
		startup_fail("%s: locked by pid %ld: is forkpoold already "
		    "running?", path, other);
	}
	pidpath = path;
	len = snprintf(buf, sizeof(buf), "%ld\n", (long)getpid());
	/* Readable by all whatever the umask, as documented. */
	if (fchmod(pidfd, 0644) == -1 || ftruncate(pidfd, 0) == -1)
		startup_fail("%s: %s", path, strerror(errno));
	/*
	 * A short write sets no errno (a file size limit, RLIMIT_FSIZE, cuts
	 * it): say so rather than whatever an earlier call left there.  No
	 * second try: past the limit, that one would raise SIGXFSZ.
	 */
	if ((n = pwrite(pidfd, buf, len, 0)) == -1)
		startup_fail("%s: %s", path, strerror(errno));
	if (n != len)
		startup_fail("%s: short write (%zd of %d bytes): is a file size "
		    "limit set?", path, n, len);
}

/*
 * Daemon mode: fork; the child makes a session of its own and does all
 * the set-up (plug-ins, pidfile, socket, signalfd, epoll, workers), so
 * that everything is its own (signals reach the signalfd it reads, the
 * pidfile holds its pid, plug-in fini runs in it).  Until it is ready its
 * stderr is a pipe to the parent, which copies what comes to its own
 * stderr.  "Ready" comes on a pipe of its own, which nothing else writes
 * to by mistake (a plug-in or a library may write any byte to stderr):
 * the parent exits 0 on READY_BYTE there, or 1 when the child exits
 * without it.
 */

/* Copy what errfd holds now to our stderr, without waiting for more. */
static void
copy_pending(int errfd)
{
	char	 buf[4096];
	ssize_t	 n;
	int	 i;

	if (fcntl(errfd, F_SETFL, O_NONBLOCK) == -1)
		return;
	/* Bounded: a helper of a plug-in may hold the pipe and keep writing. */
	for (i = 0; i < 16 && (n = read(errfd, buf, sizeof(buf))) > 0; i++)
		(void)!write(STDERR_FILENO, buf, n);
}

/* Whether READY_BYTE is on rfd now. */
static int
said_ready(int rfd)
{
	char	 c;

	return fcntl(rfd, F_SETFL, O_NONBLOCK) != -1 && read(rfd, &c, 1) == 1 &&
	    c == READY_BYTE;
}

static int
wait_ready(int errfd, int rfd, pid_t pid)
{
	struct pollfd	 pfd[2];
	char		 buf[4096];
	ssize_t		 n;
	int		 st, said = 0;
	pid_t		 r;

	pfd[0].fd = errfd;
	pfd[1].fd = rfd;
	pfd[0].events = pfd[1].events = POLLIN;
	for (;;) {
		/*
		 * Poll with a timeout, and look at the child each time: a
		 * process it started (a plug-in's helper) may hold the pipes
		 * after it died.  A closed pipe is polled no more.
		 */
		if (poll(pfd, 2, 100) > 0) {
			if (pfd[0].revents != 0) {
				n = read(errfd, buf, sizeof(buf));
				if (n > 0) {
					(void)!write(STDERR_FILENO, buf, n);
					said = 1;
				} else if (n == 0 || errno != EINTR)
					pfd[0].fd = -1;
			}
			if (pfd[1].revents != 0) {
				n = read(rfd, buf, 1);
				if (n == 1 && buf[0] == READY_BYTE) {
					/* What it said before comes first. */
					copy_pending(errfd);
					return 0;
				}
				if (n == 0 || (n == -1 && errno != EINTR))
					pfd[1].fd = -1;
			}
		}
		if ((r = waitpid(pid, &st, WNOHANG)) == pid)
			break;
		if (r == -1 && errno != EINTR) {
			st = 1 << 8;	/* exit status 1 */
			break;
		}
	}
	/* Ready just before it exited (a SIGTERM that came during start-up). */
	if (pfd[1].fd != -1 && said_ready(rfd)) {
		copy_pending(errfd);
		return 0;
	}
	copy_pending(errfd);
	if (WIFSIGNALED(st))
		fprintf(stderr, "forkpoold: the daemon was killed by signal %d "
		    "during start-up\n", WTERMSIG(st));
	else if (!said)
		fprintf(stderr, "forkpoold: the daemon exited during start-up "
		    "(status %d); see the system log\n", WEXITSTATUS(st));
	return 1;
}

static void
detach(void)
{
	int	 p[2], rp[2], null;
	pid_t	 pid;

	if (pipe2(p, O_CLOEXEC) == -1 || pipe2(rp, O_CLOEXEC) == -1)
		startup_fail("pipe: %s", strerror(errno));
	fflush(stdout);
	fflush(stderr);
	if ((pid = fork()) == -1)
		startup_fail("fork: %s", strerror(errno));
	if (pid > 0) {
		close(p[1]);
		close(rp[1]);
		/* Only the daemon will read a signalfd: ^C stops us. */
		start_signals_release();
		_exit(wait_ready(p[0], rp[0], pid));
	}
	close(p[0]);
	close(rp[0]);
	/* A parent gone before we are ready must not kill us with SIGPIPE. */
	signal(SIGPIPE, SIG_IGN);
	if (setsid() == -1)
		startup_fail("setsid: %s", strerror(errno));
	if ((null = open("/dev/null", O_RDWR | O_CLOEXEC)) == -1)
		startup_fail("/dev/null: %s", strerror(errno));
	if (dup2(null, STDIN_FILENO) == -1 || dup2(null, STDOUT_FILENO) == -1 ||
	    dup2(p[1], STDERR_FILENO) == -1)
		startup_fail("dup2: %s", strerror(errno));
	/*
	 * Nothing else of the caller's: a pipe it reads to its end (a shell's
	 * $(...), a test runner) would wait for the daemon to exit.  The
	 * ready pipe goes to descriptor 3 (stdio_fill made 0 to 2 ours).
	 */
	if (rp[1] != STDERR_FILENO + 1 &&
	    dup3(rp[1], STDERR_FILENO + 1, O_CLOEXEC) == -1)
		startup_fail("dup3: %s", strerror(errno));
	readyfd = STDERR_FILENO + 1;
	if (fstat(readyfd, &readyst) == -1)
		startup_fail("fstat: %s", strerror(errno));
	closefrom(readyfd + 1);
	detached = 1;
}

/* Daemon mode: tell the parent we are listening; stderr to /dev/null. */
static void
detach_ready(void)
{
	struct stat	 st;
	int		 null;

	if (!detached)
		return;
	/*
	 * Still our pipe?  A plug-in's init may have closed descriptors it
	 * did not know, and another file may have taken the number: then the
	 * parent sees no "ready" and waits for our exit.
	 */
	if (fstat(readyfd, &st) == 0 && st.st_dev == readyst.st_dev &&
	    st.st_ino == readyst.st_ino) {
		(void)!write(readyfd, (char []){ READY_BYTE }, 1);
		close(readyfd);
	}
	readyfd = -1;
	if ((null = open("/dev/null", O_WRONLY | O_CLOEXEC)) != -1) {
		(void)dup2(null, STDERR_FILENO);
		close(null);
	}
	detached = 0;
}

/*
 * The configuration file as an absolute path, so that a reload reads the
 * same file whatever the working directory.  Symbolic links are not
 * resolved, so that a link switched to another file is followed on reload.
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
	char		 err[PATH_MAX + 256], path[PATH_MAX];
	int		 ch, debug = 0, check = 0, verbose = 0, test = 0;
	int		 fflag = 0, workers = 0;

	/* Before anything else is opened, and before any signal can come. */
	stdio_fill();
	start_signals_hold();
	setproctitle_init(argc, argv, envp);
	while ((ch = getopt(argc, argv, "df:hnp:s:TVvw:")) != -1) {
		switch (ch) {
		case 'd':
			debug = 1;
			break;
		case 'f':
			file = optarg;
			fflag = 1;
			break;
		case 'h':
			usage(0);
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
		case 'V':
			printf("forkpoold %s\n", FP_VERSION);
			exit(0);
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
		default:
			usage(2);
		}
	}
	if (optind != argc)
		usage(2);

	config_defaults(&conf);
	if (config_load(&conf, file, !fflag, err, sizeof(err)) == -1) {
		fprintf(stderr, "forkpoold: %s\n", err);
		exit(1);
	}
	if (sock != NULL && *sock == '\0') {
		fprintf(stderr, "forkpoold: -s: empty socket path\n");
		exit(2);
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
	/* Never another path in place of a default one that is too long. */
	if (conf.socket[0] == '\0') {
		if (fp_default_socket(path, sizeof(path)) == NULL)
			strlcpy(path, "the default socket path", sizeof(path));
		fprintf(stderr, "forkpoold: %s: socket path too long (%d bytes "
		    "at most; from FORKPOOL_SOCKET, XDG_RUNTIME_DIR or "
		    "TMPDIR)\n", path, FP_SOCKPATH_MAX - 1);
		exit(1);
	}
	if (!debug && !check)
		detach();
	/*
	 * Plug-ins load before the first worker fork so that workers share
	 * what they load; with -n too, as a check that they do load.  Their
	 * handlers exist from then on, and the `handler' lines can name them.
	 */
	log_init(debug || check, conf.log_level, "forkpoold");
	/* On any exit from here on, plug-ins loaded so far get their fini. */
	if (atexit(plugins_fini) != 0)
		startup_fail("atexit failed");
	start_forks = 1;
	if (plugins_load(&conf, err, sizeof(err)) == -1 ||
	    config_resolve(&conf, err, sizeof(err)) == -1)
		startup_fail("%s", err);
	start_forks = 0;
	if (check) {
		/* No signalfd: a signal that came meanwhile acts now. */
		start_signals_release();
		/* Where the daemon would put its socket and pidfile. */
		if (paths_socket_dir(&conf, 0, err, sizeof(err)) == -1 ||
		    pidfile_check(conf.pidfile, err, sizeof(err)) == -1)
			startup_fail("%s", err);
		if (verbose)
			config_print(&conf, stdout);
		printf("configuration OK\n");
		exit(0);
	}

	if ((sv = calloc(1, sizeof(*sv))) == NULL)
		startup_fail("calloc: %s", strerror(errno));
	sv->conf = conf;
	sv->pid = getpid();
	if (atexit(cleanup) != 0)
		startup_fail("atexit failed");
	/* The socket's directory first: it gets the socket's mode. */
	if (paths_socket_dir(&sv->conf, 1, err, sizeof(err)) == -1)
		startup_fail("%s", err);
	open_pidfile(sv->conf.pidfile);
	if (supervisor_setup(err, sizeof(err)) == -1)
		startup_fail("%s", err);
	detach_ready();
	supervisor();
}
