// socket-path.js -- the default socket, and the check of its directory,
// as the C client does (tools/libsock.c: fp_default_socket and
// fp_default_socket_check).
import fs from 'node:fs';
import path from 'node:path';

// $FORKPOOL_SOCKET if set and not empty; as root
// /run/forkpool/forkpool.sock; else $XDG_RUNTIME_DIR/forkpool.sock when
// XDG_RUNTIME_DIR is absolute; else ${TMPDIR:-/tmp}/forkpool-UID/
// forkpool.sock (TMPDIR only when absolute).
export function defaultSocket(env = process.env) {
	if (env.FORKPOOL_SOCKET)
		return env.FORKPOOL_SOCKET;
	const uid = process.geteuid();
	if (uid === 0)
		return '/run/forkpool/forkpool.sock';
	if (env.XDG_RUNTIME_DIR?.startsWith('/'))
		return `${env.XDG_RUNTIME_DIR}/forkpool.sock`;
	const tmp = env.TMPDIR?.startsWith('/') ? env.TMPDIR : '/tmp';
	return `${tmp}/forkpool-${uid}/forkpool.sock`;
}

// May the directory or symbolic link p, with status st, stand in a path
// the caller trusts?  Only if nobody but root and the caller can change
// what it leads to.  Returns a reason to refuse, or null.
function judge(p, st, uid) {
	if (st.uid !== 0 && st.uid !== uid) {
		return st.isSymbolicLink() ?
		    `${p}: a symbolic link owned by uid ${st.uid}, not by uid ` +
		    `${uid} or root: refusing to follow it` :
		    `${p}: owned by uid ${st.uid}, not by uid ${uid} or root: ` +
		    'refusing a directory that another user controls';
	}
	if (st.isDirectory() && (st.mode & 0o022) !== 0 &&
	    (st.mode & 0o1000) === 0) {
		return `${p}: writable by ${st.mode & 0o002 ? 'others' :
		    'its group'} (mode ${modeStr(st.mode)}) without the sticky ` +
		    'bit: refusing a directory that other users control';
	}
	return null;
}

function modeStr(mode) {
	return (mode & 0o7777).toString(8).padStart(4, '0');
}

// Walk dir from / as the C client's fp_path_check does, following
// symbolic links by hand: every directory passed through and every link
// must be judged trustworthy.  Returns {st} of dir, {refuse: reason}, or
// {missing: true} when a part does not exist or cannot be reached (then
// connect(2) says so).
function pathCheck(dir, uid) {
	let rest = path.isAbsolute(dir) ? dir : `${process.cwd()}/${dir}`;
	let done = '';
	let st = fs.lstatSync('/');
	let links = 0;
	const parts = () => rest.split('/').filter((s) => s !== '' && s !== '.');
	let todo = parts();
	try {
		while (todo.length > 0) {
			const name = todo.shift();
			const here = done || '/';
			const why = judge(here, st, uid);
			if (why)
				return { refuse: why };
			if (name === '..') {
				done = done.slice(0, done.lastIndexOf('/'));
				st = fs.lstatSync(done || '/');
				continue;
			}
			done = `${done}/${name}`;
			st = fs.lstatSync(done);
			if (st.isSymbolicLink()) {
				const whyLink = judge(done, st, uid);
				if (whyLink)
					return { refuse: whyLink };
				if (++links > 40)
					return { missing: true };
				const link = fs.readlinkSync(done);
				rest = `${link}/${todo.join('/')}`;
				done = link.startsWith('/') ? '' :
				    done.slice(0, done.lastIndexOf('/'));
				st = fs.lstatSync(done || '/');
				todo = parts();
			} else if (!st.isDirectory()) {
				return { refuse: `${done}: not a directory` };
			}
		}
	} catch {
		return { missing: true };
	}
	return { st };
}

// For the default socket only (not one the caller named, nor
// $FORKPOOL_SOCKET): null if its directory may be used, else why not.  A
// directory that does not exist yet is no reason: connect(2) will say.
export function checkDefaultSocket(sock, env = process.env) {
	if (env.FORKPOOL_SOCKET)
		return null;
	const slash = sock.lastIndexOf('/');
	if (slash <= 0)
		return null;
	const dir = sock.slice(0, slash);
	const uid = process.geteuid();
	const r = pathCheck(dir, uid);
	if (r.refuse)
		return r.refuse;
	if (r.missing)
		return null;
	if (r.st.uid !== uid) {
		return `${dir}: owned by uid ${r.st.uid}, not by you (uid ${uid}): ` +
		    'refusing the default socket in it';
	}
	if ((r.st.mode & 0o022) !== 0) {
		return `${dir}: writable by ${r.st.mode & 0o002 ? 'others' :
		    'its group'} (mode ${modeStr(r.st.mode)}): refusing the ` +
		    'default socket in it';
	}
	return null;
}
