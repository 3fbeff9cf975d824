/*
 * plugin.c -- loading handler plug-ins (forkpool_plugin.h): `load' lines
 * of forkpool.conf(5), once, in the supervisor before the first fork.
 *
 * Every plug-in is first tried in a throw-away child: dlopen (which runs
 * the object's constructors), the checks of the descriptor, init,
 * worker_init and fini.  Only when that child reports success does the
 * supervisor load it itself, so a plug-in that crashes, hangs or exits in
 * any of them is refused with a message instead of taking the daemon with
 * it.  (A plug-in that crashes only sometimes can still crash the real
 * init; the probe catches what is deterministic.)
 */
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <dlfcn.h>
#include <elf.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <link.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <bsd/string.h>

#include "forkpool.h"
#include "config.h"
#include "daemon.h"
#include "handlers.h"
#include "log.h"
#include "plugin.h"
#include "priv.h"

struct plugin {
	void		*dl;
	const struct fp_plugin *desc;
	struct fp_host	 host;
	void		*state;
	char		 name[FP_PLUGIN_NAME_MAX + 1];
};

static struct plugin	 plugins[FP_CONF_PLUGINS];
static int		 nplugins;
static pid_t		 loader;	/* the process that loaded them */
static int		 finished;	/* plugins_fini ran */
static const struct fp_config *loadconf; /* during plugins_load */

/* A name of a plug-in or handler: 1..63 bytes of [A-Za-z0-9_.-]. */
static int
name_ok(const char *s)
{
	size_t	 n;

	if (s == NULL)
		return 0;
	for (n = 0; s[n] != '\0'; n++)
		if (n == FP_PLUGIN_NAME_MAX || (strchr("_.-", s[n]) == NULL &&
		    !(s[n] >= 'a' && s[n] <= 'z') &&
		    !(s[n] >= 'A' && s[n] <= 'Z') &&
		    !(s[n] >= '0' && s[n] <= '9')))
			return 0;
	return n > 0;
}

/*
 * The size of the data symbol at addr as the object's symbol table
 * declares it, or 0 if unknown.
 */
static size_t
symbol_size(void *addr)
{
	Dl_info		 info;
	const ElfW(Sym)	*sym = NULL;

	if (dladdr1(addr, &info, (void **)&sym, RTLD_DL_SYMENT) == 0 ||
	    sym == NULL)
		return 0;
	return sym->st_size;
}

/*
 * Check the descriptor: version first, then every field the daemon will
 * use, then that the handler names are free.
 */
static int
check_desc(const struct fp_plugin *d, size_t symsize, char *err,
    size_t errlen)
{
	const struct fp_plugin_handler *h;
	size_t	 i, j;

	if (symsize != 0 && symsize < 2 * sizeof(uint32_t)) {
		snprintf(err, errlen, "symbol %s is %zu bytes, too small for a "
		    "struct fp_plugin", FP_PLUGIN_SYMBOL, symsize);
		return -1;
	}
	if (d->abi_version != FP_PLUGIN_ABI_VERSION) {
		snprintf(err, errlen, "plug-in ABI version %u, but this "
		    "forkpoold supports version %d: rebuild the plug-in with "
		    "this forkpool's forkpool_plugin.h", d->abi_version,
		    FP_PLUGIN_ABI_VERSION);
		return -1;
	}
	if (d->struct_size < sizeof(struct fp_plugin) ||
	    (symsize != 0 && symsize < d->struct_size)) {
		snprintf(err, errlen, "struct fp_plugin of %u bytes (symbol "
		    "%zu bytes), expected at least %zu: not built with "
		    "FP_PLUGIN_HEADER?", d->struct_size, symsize,
		    sizeof(struct fp_plugin));
		return -1;
	}
	if (!name_ok(d->name)) {
		snprintf(err, errlen, "the plug-in's name is missing or not "
		    "1 to %d characters of A-Z a-z 0-9 _ . -",
		    FP_PLUGIN_NAME_MAX);
		return -1;
	}
	for (i = 0; i < (size_t)nplugins; i++)
		if (strcmp(plugins[i].name, d->name) == 0) {
			snprintf(err, errlen, "a plug-in named %s is loaded "
			    "already", d->name);
			return -1;
		}
	if (d->handlers == NULL || d->handlers[0].name == NULL) {
		snprintf(err, errlen, "plug-in %s has no handlers", d->name);
		return -1;
	}
	for (i = 0; d->handlers[i].name != NULL; i++) {
		h = &d->handlers[i];
		if (i == FP_PLUGIN_HANDLERS_MAX) {
			snprintf(err, errlen, "plug-in %s has more than %d "
			    "handlers", d->name, FP_PLUGIN_HANDLERS_MAX);
			return -1;
		}
		if (!name_ok(h->name) || strncmp(h->name, "forkpool.", 9) == 0) {
			snprintf(err, errlen, "plug-in %s: handler %zu: the name "
			    "must be 1 to %d characters of A-Z a-z 0-9 _ . - "
			    "and not start with \"forkpool.\"", d->name, i,
			    FP_PLUGIN_NAME_MAX);
			return -1;
		}
		if (h->fn == NULL || (h->flags & ~FP_HANDLER_RAW) != 0) {
			snprintf(err, errlen, "plug-in %s: handler %s: %s",
			    d->name, h->name, h->fn == NULL ? "no function" :
			    "unknown flags");
			return -1;
		}
		for (j = 0; j < i; j++)
			if (strcmp(d->handlers[j].name, h->name) == 0)
				break;
		if (j < i || handler_index(h->name, strlen(h->name)) != -1) {
			snprintf(err, errlen, "plug-in %s: handler %s: the name "
			    "is taken (a built-in handler or another plug-in's)",
			    d->name, h->name);
			return -1;
		}
	}
	if (handler_count() + i > FP_HANDLERS_MAX) {
		snprintf(err, errlen, "plug-in %s: too many handlers in all "
		    "(%d at most)", d->name, FP_HANDLERS_MAX);
		return -1;
	}
	return 0;
}

/* dlopen the object and check its descriptor into *p. */
static int
open_plugin(const char *path, struct plugin *p, char *err, size_t errlen)
{
	const char	*e;
	void		*sym;

	memset(p, 0, sizeof(*p));
	if ((p->dl = dlopen(path, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		snprintf(err, errlen, "cannot load: %s", e != NULL ? e :
		    "dlopen failed");
		return -1;
	}
	(void)dlerror();
	if ((sym = dlsym(p->dl, FP_PLUGIN_SYMBOL)) == NULL) {
		snprintf(err, errlen, "missing symbol %s: not a forkpool "
		    "plug-in", FP_PLUGIN_SYMBOL);
		goto fail;
	}
	if (check_desc(sym, symbol_size(sym), err, errlen) == -1)
		goto fail;
	p->desc = sym;
	strlcpy(p->name, p->desc->name, sizeof(p->name));
	plugin_host_init(&p->host, p->name);
	return 0;
fail:
	dlclose(p->dl);
	p->dl = NULL;
	return -1;
}

/* Call init; on failure the message says so. */
static int
call_init(struct plugin *p, const struct fp_load *ld, char *err,
    size_t errlen)
{
	char	 msg[256] = "";

	if (p->desc->init == NULL)
		return 0;
	if (p->desc->init(&p->host, ld->has_arg ? ld->arg : NULL, &p->state,
	    msg, sizeof(msg)) != 0) {
		msg[sizeof(msg) - 1] = '\0';
		snprintf(err, errlen, "plug-in %s: init failed: %s", p->name,
		    msg[0] != '\0' ? msg : "(no message)");
		return -1;
	}
	return 0;
}

static int
call_worker_init(struct plugin *p, char *err, size_t errlen)
{
	char	 msg[256] = "";

	if (p->desc->worker_init == NULL)
		return 0;
	if (p->desc->worker_init(&p->host, p->state, msg, sizeof(msg)) != 0) {
		msg[sizeof(msg) - 1] = '\0';
		snprintf(err, errlen, "plug-in %s: worker_init failed: %s",
		    p->name, msg[0] != '\0' ? msg : "(no message)");
		return -1;
	}
	return 0;
}

/*
 * The probe child: everything a plug-in does in its life, in a process
 * that may die.  Writes "ok" or the message to fd and exits.
 */
static void __attribute__((noreturn))
probe_child(const struct fp_load *ld, int fd)
{
	struct plugin	 p;
	char		 err[512], tag[48], why[256];
	int		 r;

	signal(SIGPIPE, SIG_IGN);
	snprintf(tag, sizeof(tag), "probe=%d", getpid());
	log_settag(tag);
	r = open_plugin(ld->path, &p, err, sizeof(err));
	if (r == 0)
		r = call_init(&p, ld, err, sizeof(err));
	/* worker_init runs as `user' in workers: try it so here too. */
	if (r == 0 && priv_drop(loadconf, why, sizeof(why)) == -1) {
		snprintf(err, sizeof(err), "cannot run as user %s: %s",
		    loadconf->user, why);
		r = -1;
	}
	if (r == 0)
		r = call_worker_init(&p, err, sizeof(err));
	if (r == 0 && p.desc->fini != NULL)
		p.desc->fini(&p.host, p.state);
	if (r == 0)
		strlcpy(err, "ok", sizeof(err));
	(void)!write(fd, err, strlen(err));
	_exit(r == 0 ? 0 : 1);
}

static uint64_t
mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/*
 * Run probe_child and judge it: it must say "ok" and exit 0 within
 * timeout_ms.  The probe leads a process group of its own, which is
 * killed afterwards: whatever a plug-in started while it was tried (a
 * helper process that keeps the pipe open, say) goes too.  Returns 0, or
 * -1 with the reason in err.
 */
static int
probe(const struct fp_load *ld, uint64_t timeout_ms, char *err,
    size_t errlen)
{
	char		 msg[512], junk[256];
	size_t		 n = 0;
	ssize_t		 r;
	uint64_t	 end = mono_ms() + timeout_ms, now;
	struct pollfd	 pfd;
	siginfo_t	 si;
	pid_t		 pid;
	int		 fds[2], st, eof = 0, exited = 0;

	if (pipe2(fds, O_CLOEXEC | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "pipe: %s", strerror(errno));
		return -1;
	}
	fflush(NULL);
	if ((pid = fork()) == -1) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		(void)setpgid(0, 0);
		close(fds[0]);
		probe_child(ld, fds[1]);
	}
	(void)setpgid(pid, pid);	/* whichever of the two runs first */
	close(fds[1]);
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	for (;;) {
		/* Take what the pipe holds; keep the first 511 bytes. */
		while ((r = read(fds[0], n < sizeof(msg) - 1 ? msg + n : junk,
		    n < sizeof(msg) - 1 ? sizeof(msg) - 1 - n :
		    sizeof(junk))) > 0)
			if (n < sizeof(msg) - 1)
				n += (size_t)r;
		if (r == 0)
			eof = 1;
		if (exited)
			break;
		/* Exited?  Look without reaping: the zombie keeps its pid. */
		memset(&si, 0, sizeof(si));
		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG |
		    WNOWAIT) == 0 && si.si_pid == pid) {
			exited = 1;
			continue;	/* read what it wrote last */
		}
		if ((now = mono_ms()) >= end)
			break;
		if (eof) {
			/* No more to read; poll would return at once. */
			struct timespec ts = { 0, 2 * 1000000 };

			nanosleep(&ts, NULL);
		} else
			(void)poll(&pfd, 1, end - now < 20 ? (int)(end - now) :
			    20);
	}
	close(fds[0]);
	msg[n] = '\0';
	(void)kill(-pid, SIGKILL);
	while (waitpid(pid, &st, 0) == -1 && errno == EINTR)
		;
	if (!exited) {
		snprintf(err, errlen, "the plug-in did not finish loading "
		    "within load-timeout (%llu ms); killed it",
		    (unsigned long long)timeout_ms);
		return -1;
	}
	if (WIFSIGNALED(st)) {
		snprintf(err, errlen, "the plug-in crashed while loading "
		    "(signal %d, %s)%s%s", WTERMSIG(st), strsignal(WTERMSIG(st)),
		    n > 0 ? ": " : "", msg);
		return -1;
	}
	if (WEXITSTATUS(st) == 0 && strcmp(msg, "ok") == 0)
		return 0;
	if (WEXITSTATUS(st) == 1 && n > 0 && strcmp(msg, "ok") != 0)
		snprintf(err, errlen, "%s", msg);
	else
		snprintf(err, errlen, "the plug-in exited (status %d) while "
		    "loading", WEXITSTATUS(st));
	return -1;
}

/* Load one plug-in for good: probe it, open it, init, register. */
static int
load_one(const struct fp_load *ld, uint64_t timeout_ms, char *err,
    size_t errlen)
{
	struct plugin	*p = &plugins[nplugins];
	struct handler	 h;
	const struct fp_plugin_handler *ph;
	char		 qv[256], qp[PATH_MAX * 4 + 3];

	if (probe(ld, timeout_ms, err, errlen) == -1 ||
	    open_plugin(ld->path, p, err, errlen) == -1)
		return -1;
	if (call_init(p, ld, err, errlen) == -1) {
		dlclose(p->dl);
		return -1;
	}
	for (ph = p->desc->handlers; ph->name != NULL; ph++) {
		memset(&h, 0, sizeof(h));
		h.name = ph->name;
		h.pfn = ph->fn;
		h.flags = (ph->flags & FP_HANDLER_RAW) ? HF_RAW : 0;
		h.state = p->state;
		h.host = &p->host;
		/* check_desc made sure the names are free and fit. */
		if (handler_add(&h) == -1)
			fatalx("plugin_load", "msg=\"handler table\"");
	}
	nplugins++;
	log_info("plugin_loaded", "plugin=%s version=%s path=%s", p->name,
	    log_quote(p->desc->version != NULL ? p->desc->version : "-", qv,
	    sizeof(qv)), log_quote(ld->path, qp, sizeof(qp)));
	return 0;
}

/*
 * Whether st, the plug-in file (dir 0) or a directory above it (dir 1),
 * could be changed by someone else than root and the daemon's own user:
 * owned by another user, or writable by group or others (a directory
 * writable by others with the sticky bit, such as /tmp, is fine: nobody
 * can replace what root owns in it).
 */
static int
unsafe(const struct stat *st, int dir, const char *path, char *err,
    size_t errlen)
{
	const char	*what = dir ? "directory" : "file";

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errlen, "refused: %s %.512s is owned by uid %u, not "
		    "by root or the daemon's user", what, path,
		    (unsigned)st->st_uid);
		return -1;
	}
	if ((st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !(dir && (st->st_mode & S_ISVTX))) {
		snprintf(err, errlen, "refused: %s %.512s is writable by %s (mode "
		    "%04o)", what, path, (st->st_mode & S_IWOTH) ? "anyone" :
		    "its group", (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

/* The directories of path, from its own up to /, as unsafe() sees them. */
static int
unsafe_dirs(const char *path, char *err, size_t errlen)
{
	char		 dir[PATH_MAX], *slash;
	struct stat	 st;

	if (strlcpy(dir, path, sizeof(dir)) >= sizeof(dir))
		return 0;
	while ((slash = strrchr(dir, '/')) != NULL) {
		if (slash == dir)
			slash[1] = '\0';
		else
			*slash = '\0';
		if (stat(dir, &st) == -1) {
			snprintf(err, errlen, "refused: directory %.512s: %s", dir,
			    strerror(errno));
			return -1;
		}
		if (unsafe(&st, 1, dir, err, errlen) == -1)
			return -1;
		if (slash == dir)
			break;
	}
	return 0;
}

/*
 * Root runs a plug-in's init and fini: refuse one that another user could
 * have written, through the file, a directory above it, or a directory
 * above a symbolic link to it.  A path that cannot be resolved is left to
 * dlopen(3), which says why it cannot load it.
 */
static int
check_file(const char *path, char *err, size_t errlen)
{
	char		 real[PATH_MAX];
	struct stat	 st;

	if (realpath(path, real) == NULL || stat(real, &st) == -1)
		return 0;
	if (unsafe(&st, 0, real, err, errlen) == -1 ||
	    unsafe_dirs(path, err, errlen) == -1 ||
	    (strcmp(real, path) != 0 && unsafe_dirs(real, err, errlen) == -1))
		return -1;
	return 0;
}

int
plugins_load(const struct fp_config *c, char *err, size_t errlen)
{
	char	 msg[1024];
	int	 i;

	if (nplugins != 0) {
		snprintf(err, errlen, "plug-ins are loaded already");
		return -1;
	}
	loader = getpid();
	loadconf = c;
	for (i = 0; i < c->nload; i++)
		if (check_file(c->load[i].path, msg, sizeof(msg)) == -1 ||
		    load_one(&c->load[i], c->load_timeout_ms, msg,
		    sizeof(msg)) == -1) {
			snprintf(err, errlen, "%s:%d: load %s: %s", c->file,
			    c->load[i].line, c->load[i].path, msg);
			return -1;
		}
	return 0;
}

int
plugins_worker_init(char *err, size_t errlen)
{
	int	 i;

	for (i = 0; i < nplugins; i++)
		if (call_worker_init(&plugins[i], err, errlen) == -1)
			return -1;
	return 0;
}

void
plugins_fini(void)
{
	int	 i;

	/* Once, and only where init ran: never in a worker. */
	if (finished || nplugins == 0 || getpid() != loader)
		return;
	finished = 1;
	for (i = nplugins - 1; i >= 0; i--)
		if (plugins[i].desc->fini != NULL)
			plugins[i].desc->fini(&plugins[i].host,
			    plugins[i].state);
}

int
plugins_count(void)
{
	return nplugins;
}
