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
#include "clock.h"
#include "config.h"
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

/*
 * dlopen the object open on fd (open_file) and check its descriptor into
 * *p; path, as written in the load line, is for messages.
 */
static int
open_plugin(int fd, const char *path, struct plugin *p, char *err,
    size_t errlen)
{
	char		 dlpath[64];
	const char	*e;
	size_t		 n;
	void		*sym;

	memset(p, 0, sizeof(*p));
	snprintf(dlpath, sizeof(dlpath), "/proc/self/fd/%d", fd);
	if ((p->dl = dlopen(dlpath, RTLD_NOW | RTLD_LOCAL)) == NULL) {
		e = dlerror();
		if (e == NULL)
			e = "dlopen failed";
		/* Name the file as the load line does. */
		n = strlen(dlpath);
		if (strncmp(e, dlpath, n) == 0 && e[n] == ':')
			snprintf(err, errlen, "cannot load: %s%s", path, e + n);
		else
			snprintf(err, errlen, "cannot load: %s", e);
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
probe_child(const struct fp_load *ld, int plugfd, int fd)
{
	struct plugin	 p;
	char		 err[512], tag[48], why[256];
	int		 r;

	signal(SIGPIPE, SIG_IGN);
	snprintf(tag, sizeof(tag), "probe=%d", getpid());
	log_settag(tag);
	r = open_plugin(plugfd, ld->path, &p, err, sizeof(err));
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

/*
 * Run probe_child and judge it: it must say "ok" and exit 0 within
 * timeout_ms.  The probe leads a process group of its own, which is
 * killed afterwards: whatever a plug-in started while it was tried (a
 * helper process that keeps the pipe open, say) goes too.  Returns 0, or
 * -1 with the reason in err.
 */
static int
probe(const struct fp_load *ld, int plugfd, uint64_t timeout_ms, char *err,
    size_t errlen)
{
	char		 msg[512], junk[256];
	size_t		 n = 0;
	ssize_t		 r;
	uint64_t	 end = (uint64_t)fp_now_ms() + timeout_ms, now;
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
		probe_child(ld, plugfd, fds[1]);
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
		if ((now = (uint64_t)fp_now_ms()) >= end)
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

/*
 * Load one plug-in, open on plugfd, for good: probe it, open it, init,
 * register.
 */
static int
load_one(const struct fp_load *ld, int plugfd, uint64_t timeout_ms,
    char *err, size_t errlen)
{
	struct plugin	*p = &plugins[nplugins];
	struct handler	 h;
	const struct fp_plugin_handler *ph;
	char		 qv[256], qp[PATH_MAX * 4 + 3];

	if (probe(ld, plugfd, timeout_ms, err, errlen) == -1 ||
	    open_plugin(plugfd, ld->path, p, err, errlen) == -1)
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
 * Whether st, the plug-in file (K_FILE), a directory on the way to it
 * (K_DIR) or a symbolic link on the way (K_LINK), could be changed by
 * someone else than root and the user the daemon runs as: owned by another
 * user, or (not for a link, whose mode means nothing) writable by group or
 * others.  A directory writable by others with the sticky bit, such as
 * /tmp, is fine: nobody can replace what root owns in it.
 */
enum kind { K_FILE, K_DIR, K_LINK };

static int
unsafe(const struct stat *st, enum kind k, const char *path, char *err,
    size_t errlen)
{
	static const char *const what[] = { "file", "directory",
	    "symbolic link" };

	if (st->st_uid != 0 && st->st_uid != geteuid()) {
		snprintf(err, errlen, "refused: %s %.512s is owned by uid %u, "
		    "not by root or the daemon's user", what[k], path,
		    (unsigned)st->st_uid);
		return -1;
	}
	if (k != K_LINK && (st->st_mode & (S_IWGRP | S_IWOTH)) != 0 &&
	    !(k == K_DIR && (st->st_mode & S_ISVTX))) {
		snprintf(err, errlen, "refused: %s %.512s is writable by %s "
		    "(mode %04o)", what[k], path, (st->st_mode & S_IWOTH) ?
		    "anyone" : "its group", (unsigned)(st->st_mode & 07777));
		return -1;
	}
	return 0;
}

#define WALK_LINKS	40		/* symbolic links, as the kernel's */

/*
 * Open the absolute path one component at a time from /, as the kernel
 * would resolve it, checking with unsafe() every directory entered (by
 * the descriptor opened, not by name) and every symbolic link followed,
 * wherever it leads: so what is finally opened is reached only through
 * things root or the daemon's user control, and no one else can swap a
 * part of the way between the check and the use.  With dir 0 the path
 * must name a regular file, opened O_RDONLY (O_NONBLOCK: a FIFO does not
 * hang the daemon); with dir 1 a directory, opened O_PATH.  Returns the
 * descriptor; -1 with the reason in err, and *sys set when the reason is
 * an error of the system (no such file...) rather than a refusal; or,
 * with dir 1, -2 when the directory does not exist where no one else can
 * create it.
 */
static int
walk(const char *path, int dir, int *sys, char *err, size_t errlen)
{
	char		 rest[PATH_MAX * 2], where[PATH_MAX * 2];
	char		 name[NAME_MAX + 1], tgt[PATH_MAX];
	const char	*p;
	struct stat	 dst, st;
	size_t		 len, wl;
	ssize_t		 n;
	char		*s;
	int		 dfd = -1, nfd, links = 0, last;

	*sys = 0;
	if (path[0] != '/') {
		snprintf(err, errlen, "refused: %.512s is not an absolute path",
		    path);
		return -1;
	}
	if (strlcpy(rest, path, sizeof(rest)) >= sizeof(rest))
		goto toolong;
	where[0] = '\0';
	if ((dfd = open("/", O_PATH | O_DIRECTORY | O_CLOEXEC)) == -1 ||
	    fstat(dfd, &dst) == -1) {
		snprintf(err, errlen, "/: %s", strerror(errno));
		*sys = 1;
		goto fail;
	}
	if (unsafe(&dst, K_DIR, "/", err, errlen) == -1)
		goto fail;
	p = rest;
	for (;;) {
		while (*p == '/')
			p++;
		if (*p == '\0') {
			if (dir)
				return dfd;
			snprintf(err, errlen, "%.512s: %s", path,
			    strerror(EISDIR));
			*sys = 1;
			goto fail;
		}
		len = strcspn(p, "/");
		if (len > NAME_MAX) {
			snprintf(err, errlen, "refused: %.512s: a file name is "
			    "too long", path);
			goto fail;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		last = p[strspn(p, "/")] == '\0';
		if (strcmp(name, ".") == 0)
			continue;
		if (strcmp(name, "..") == 0) {
			if ((nfd = openat(dfd, "..", O_PATH | O_DIRECTORY |
			    O_CLOEXEC)) == -1) {
				snprintf(err, errlen, "%.512s/..: %s", where,
				    strerror(errno));
				*sys = 1;
				goto fail;
			}
			close(dfd);
			dfd = nfd;
			if ((s = strrchr(where, '/')) != NULL)
				*s = '\0';
			if (fstat(dfd, &dst) == -1) {
				snprintf(err, errlen, "%.512s/..: %s", where,
				    strerror(errno));
				*sys = 1;
				goto fail;
			}
			if (unsafe(&dst, K_DIR, where[0] != '\0' ? where : "/",
			    err, errlen) == -1)
				goto fail;
			continue;
		}
		wl = strlen(where);
		if (wl + 1 + len >= sizeof(where))
			goto toolong;
		where[wl] = '/';
		memcpy(where + wl + 1, name, len + 1);
		if (fstatat(dfd, name, &st, AT_SYMLINK_NOFOLLOW) == -1) {
			if (errno == ENOENT && dir && (dst.st_mode &
			    (S_IWGRP | S_IWOTH)) == 0) {
				close(dfd);
				return -2;
			}
			if (errno == ENOENT && dir) {
				snprintf(err, errlen, "refused: %.512s does not "
				    "exist, and others may create it",
				    where);
				goto fail;
			}
			snprintf(err, errlen, "%.512s: %s", where,
			    strerror(errno));
			*sys = 1;
			goto fail;
		}
		if (S_ISLNK(st.st_mode)) {
			if (unsafe(&st, K_LINK, where, err, errlen) == -1)
				goto fail;
			if (++links > WALK_LINKS) {
				snprintf(err, errlen, "%.512s: %s", path,
				    strerror(ELOOP));
				*sys = 1;
				goto fail;
			}
			if ((n = readlinkat(dfd, name, tgt, sizeof(tgt))) ==
			    -1 || n == 0 || (size_t)n >= sizeof(tgt)) {
				snprintf(err, errlen, "refused: cannot read the "
				    "symbolic link %.512s%s%s", where,
				    n == -1 ? ": " : "", n == -1 ?
				    strerror(errno) : "");
				goto fail;
			}
			/* rest = target "/" what is left after the link */
			len = strlen(p);
			if ((size_t)n + 1 + len >= sizeof(rest))
				goto toolong;
			memmove(rest + n + 1, p, len + 1);
			memcpy(rest, tgt, (size_t)n);
			rest[n] = '/';
			p = rest;
			where[wl] = '\0';
			if (tgt[0] == '/') {
				close(dfd);
				where[0] = '\0';
				if ((dfd = open("/", O_PATH | O_DIRECTORY |
				    O_CLOEXEC)) == -1 || fstat(dfd, &dst) == -1) {
					snprintf(err, errlen, "/: %s",
					    strerror(errno));
					*sys = 1;
					goto fail;
				}
				if (unsafe(&dst, K_DIR, "/", err, errlen) == -1)
					goto fail;
			}
			continue;
		}
		if (S_ISDIR(st.st_mode) && (!last || dir)) {
			if ((nfd = openat(dfd, name, O_PATH | O_DIRECTORY |
			    O_NOFOLLOW | O_CLOEXEC)) == -1) {
				snprintf(err, errlen, "refused: %.512s: %s",
				    where, strerror(errno));
				goto fail;
			}
			close(dfd);
			dfd = nfd;
			if (fstat(dfd, &dst) == -1) {
				snprintf(err, errlen, "%.512s: %s", where,
				    strerror(errno));
				*sys = 1;
				goto fail;
			}
			if (unsafe(&dst, K_DIR, where, err, errlen) == -1)
				goto fail;
			continue;
		}
		if (!last || dir || !S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%.512s: %s", where,
			    S_ISDIR(st.st_mode) ? strerror(EISDIR) :
			    !last || dir ? strerror(ENOTDIR) :
			    "not a regular file");
			*sys = 1;
			goto fail;
		}
		nfd = openat(dfd, name, O_RDONLY | O_CLOEXEC | O_NOFOLLOW |
		    O_NONBLOCK | O_NOCTTY);
		if (nfd == -1 || fstat(nfd, &st) == -1) {
			snprintf(err, errlen, "refused: %.512s: %s", where,
			    strerror(errno));
			if (nfd != -1)
				close(nfd);
			goto fail;
		}
		close(dfd);
		if (!S_ISREG(st.st_mode)) {
			snprintf(err, errlen, "%.512s: not a regular file",
			    where);
			*sys = 1;
			close(nfd);
			return -1;
		}
		if (unsafe(&st, K_FILE, where, err, errlen) == -1) {
			close(nfd);
			return -1;
		}
		return nfd;
	}
toolong:
	snprintf(err, errlen, "refused: %.512s: the path%s is too long", path,
	    links > 0 ? " with its symbolic links resolved" : "");
	return -1;
fail:
	if (dfd != -1)
		close(dfd);
	return -1;
}

/*
 * Check a list of directories from the plug-in's DT_RUNPATH or DT_RPATH
 * (what: "RUNPATH" or "RPATH"): the dynamic linker looks for the
 * libraries the plug-in needs there, as root, so each must pass walk()
 * too.  $ORIGIN cannot be honoured: the plug-in is loaded through its
 * descriptor, /proc/self/fd/N, so the linker would take /proc/self/fd for
 * its directory.
 */
static int
check_dirlist(const char *list, const char *what, const char *path,
    char *err, size_t errlen)
{
	char		 dir[PATH_MAX], msg[768];
	const char	*p = list;
	size_t		 len;
	int		 fd, sys;

	for (;;) {
		len = strcspn(p, ":");
		if (len >= sizeof(dir)) {
			snprintf(err, errlen, "refused: the %s of %.512s has an "
			    "entry that is too long", what, path);
			return -1;
		}
		memcpy(dir, p, len);
		dir[len] = '\0';
		if (strchr(dir, '$') != NULL || dir[0] != '/') {
			snprintf(err, errlen, "refused: the %s of %.200s names "
			    "\"%.200s\": %s", what, path, dir,
			    strchr(dir, '$') != NULL ? "$ORIGIN and other "
			    "$ tokens are not supported (the plug-in is loaded "
			    "through its file descriptor); use absolute paths" :
			    "not an absolute path");
			return -1;
		}
		if ((fd = walk(dir, 1, &sys, msg, sizeof(msg))) == -1) {
			snprintf(err, errlen, "refused: the %s of %.200s names "
			    "%.200s: %.400s", what, path, dir,
			    strncmp(msg, "refused: ", 9) == 0 ? msg + 9 : msg);
			return -1;
		}
		if (fd >= 0)
			close(fd);
		if (p[len] == '\0')
			return 0;
		p += len + 1;
	}
}

/* pread exactly len bytes at off, or fail. */
static int
read_at(int fd, void *buf, size_t len, off_t off)
{
	ssize_t	 n;
	size_t	 got = 0;

	while (got < len) {
		if ((n = pread(fd, (char *)buf + got, len - got,
		    off + (off_t)got)) <= 0)
			return -1;
		got += (size_t)n;
	}
	return 0;
}

#if __ELF_NATIVE_CLASS == 64
#define ELFCLASS_HERE	ELFCLASS64
#else
#define ELFCLASS_HERE	ELFCLASS32
#endif

/*
 * The directories the plug-in's own dynamic section names for finding
 * the libraries it needs (DT_RUNPATH, DT_RPATH), and a needed library
 * named by a path (DT_NEEDED with a slash), must pass walk().  A file
 * that is not an ELF object of this machine's class is left to dlopen(3),
 * which refuses it before running anything; one that is but cannot be
 * read as such is refused.
 */
static int
check_elf(int fd, const char *path, char *err, size_t errlen)
{
	ElfW(Ehdr)	 eh;
	ElfW(Phdr)	*ph = NULL;
	ElfW(Dyn)	*dyn = NULL;
	char		*str = NULL, msg[768];
	ElfW(Addr)	 strva = 0;
	size_t		 i, ndyn = 0, strsz = 0;
	off_t		 stroff = -1;
	int		 rc = -1, nfd, sys, found = 0;

	if (read_at(fd, &eh, sizeof(eh), 0) == -1 ||
	    memcmp(eh.e_ident, ELFMAG, SELFMAG) != 0 ||
	    eh.e_ident[EI_CLASS] != ELFCLASS_HERE)
		return 0;
	if (eh.e_phentsize != sizeof(ElfW(Phdr)) || eh.e_phnum == 0 ||
	    eh.e_phnum >= PN_XNUM ||
	    (ph = calloc(eh.e_phnum, sizeof(*ph))) == NULL ||
	    read_at(fd, ph, eh.e_phnum * sizeof(*ph), (off_t)eh.e_phoff) == -1)
		goto bad;
	for (i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_DYNAMIC)
			break;
	if (i == eh.e_phnum) {
		rc = 0;		/* no dynamic section: needs nothing */
		goto out;
	}
	ndyn = ph[i].p_filesz / sizeof(ElfW(Dyn));
	if (ndyn == 0 || ndyn > 65536 ||
	    (dyn = calloc(ndyn, sizeof(*dyn))) == NULL ||
	    read_at(fd, dyn, ndyn * sizeof(*dyn), (off_t)ph[i].p_offset) == -1)
		goto bad;
	for (i = 0; i < ndyn && dyn[i].d_tag != DT_NULL; i++) {
		if (dyn[i].d_tag == DT_STRTAB)
			strva = dyn[i].d_un.d_ptr;
		else if (dyn[i].d_tag == DT_STRSZ)
			strsz = dyn[i].d_un.d_val;
		else if (dyn[i].d_tag == DT_RUNPATH ||
		    dyn[i].d_tag == DT_RPATH || dyn[i].d_tag == DT_NEEDED)
			found = 1;
	}
	ndyn = i;
	if (!found) {
		rc = 0;
		goto out;
	}
	/* The string table's address to its place in the file. */
	for (i = 0; i < eh.e_phnum; i++)
		if (ph[i].p_type == PT_LOAD && strva >= ph[i].p_vaddr &&
		    strva - ph[i].p_vaddr < ph[i].p_filesz &&
		    strsz <= ph[i].p_filesz - (strva - ph[i].p_vaddr))
			stroff = (off_t)(ph[i].p_offset + (strva - ph[i].p_vaddr));
	if (stroff == -1 || strsz == 0 || strsz > 16 * 1024 * 1024 ||
	    (str = malloc(strsz + 1)) == NULL ||
	    read_at(fd, str, strsz, stroff) == -1)
		goto bad;
	str[strsz] = '\0';
	for (i = 0; i < ndyn; i++) {
		if (dyn[i].d_tag != DT_RUNPATH && dyn[i].d_tag != DT_RPATH &&
		    dyn[i].d_tag != DT_NEEDED)
			continue;
		if (dyn[i].d_un.d_val >= strsz)
			goto bad;
		if (dyn[i].d_tag == DT_NEEDED) {
			if (strchr(str + dyn[i].d_un.d_val, '/') == NULL)
				continue;
			if ((nfd = walk(str + dyn[i].d_un.d_val, 0, &sys, msg,
			    sizeof(msg))) == -1) {
				snprintf(err, errlen, "refused: %.200s needs "
				    "%.200s: %.400s", path, str + dyn[i].d_un.d_val,
				    strncmp(msg, "refused: ", 9) == 0 ?
				    msg + 9 : msg);
				goto out;
			}
			close(nfd);
		} else if (check_dirlist(str + dyn[i].d_un.d_val,
		    dyn[i].d_tag == DT_RUNPATH ? "RUNPATH" : "RPATH", path,
		    err, errlen) == -1)
			goto out;
	}
	rc = 0;
	goto out;
bad:
	snprintf(err, errlen, "refused: %.512s: cannot read its ELF dynamic "
	    "section", path);
out:
	free(ph);
	free(dyn);
	free(str);
	return rc;
}

/*
 * Root runs a plug-in's constructors, init and fini: open the file of a
 * load line once, through walk() (no one else controls the file, a
 * directory or a symbolic link on the way), check the directories of the
 * file's real path as the kernel names the open file, and its
 * RUNPATH/RPATH; both the probe and the real load then dlopen(3) this
 * descriptor, never the name again.  Any failure refuses the plug-in.
 * Returns the descriptor, or -1 with the reason in err.
 */
static int
open_file(const char *path, char *err, size_t errlen)
{
	char		 fdp[64], real[PATH_MAX], msg[768];
	struct stat	 st, rst;
	ssize_t		 n;
	int		 fd, rfd, sys;

	if ((fd = walk(path, 0, &sys, msg, sizeof(msg))) == -1) {
		snprintf(err, errlen, "%s%s", sys ? "cannot load: " : "", msg);
		return -1;
	}
	snprintf(fdp, sizeof(fdp), "/proc/self/fd/%d", fd);
	if ((n = readlink(fdp, real, sizeof(real))) == -1 ||
	    (size_t)n >= sizeof(real)) {
		snprintf(err, errlen, "refused: cannot read the real path of "
		    "the file%s%s", n == -1 ? ": " : " (too long)",
		    n == -1 ? strerror(errno) : "");
		goto fail;
	}
	real[n] = '\0';
	if ((rfd = walk(real, 0, &sys, msg, sizeof(msg))) == -1) {
		snprintf(err, errlen, "refused: real path %.200s: %.400s", real,
		    strncmp(msg, "refused: ", 9) == 0 ? msg + 9 : msg);
		goto fail;
	}
	if (fstat(fd, &st) == -1 || fstat(rfd, &rst) == -1 ||
	    st.st_dev != rst.st_dev || st.st_ino != rst.st_ino) {
		close(rfd);
		snprintf(err, errlen, "refused: %.512s is no longer the file "
		    "that was opened", real);
		goto fail;
	}
	close(rfd);
	if (check_elf(fd, path, err, errlen) == -1)
		goto fail;
	return fd;
fail:
	close(fd);
	return -1;
}

int
plugins_load(const struct fp_config *c, char *err, size_t errlen)
{
	char	 msg[1024];
	int	 fds[FP_CONF_PLUGINS];
	int	 i, n, rc = 0;

	if (nplugins != 0) {
		snprintf(err, errlen, "plug-ins are loaded already");
		return -1;
	}
	loader = getpid();
	loadconf = c;
	/*
	 * Each file stays open until all are loaded: the dynamic linker
	 * knows a plug-in by its name, /proc/self/fd/N, and would hand the
	 * next one the last one's object if N were used again.
	 */
	for (i = n = 0; i < c->nload; i++) {
		if ((fds[n] = open_file(c->load[i].path, msg,
		    sizeof(msg))) != -1 && load_one(&c->load[i], fds[n++],
		    c->load_timeout_ms, msg, sizeof(msg)) == 0)
			continue;
		snprintf(err, errlen, "%s:%d: load %s: %s", c->file,
		    c->load[i].line, c->load[i].path, msg);
		rc = -1;
		break;
	}
	while (n > 0)
		close(fds[--n]);
	return rc;
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
