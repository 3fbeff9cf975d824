"""Where the daemon listens when nobody says otherwise, and whether the
directory of that default path can be trusted: the same rules as the C
client (tools/libsock.c, fp_default_socket and fp_default_socket_check).
"""

from __future__ import annotations

import errno as _errno
import os
import stat
from typing import Optional, Tuple, Union

__all__ = ["default_socket", "check_default_socket", "SocketRefused"]


class SocketRefused(Exception):
    """The default socket's directory is not trusted (args: message,
    errno)."""


def default_socket() -> str:
    """The default socket path.

    ``$FORKPOOL_SOCKET`` if set and not empty; else for root
    ``/run/forkpool/forkpool.sock``; else ``$XDG_RUNTIME_DIR/forkpool.sock``
    when XDG_RUNTIME_DIR is absolute; else
    ``${TMPDIR:-/tmp}/forkpool-UID/forkpool.sock`` (TMPDIR only when
    absolute).
    """
    env = os.environ.get("FORKPOOL_SOCKET")
    if env:
        return env
    if os.geteuid() == 0:
        return "/run/forkpool/forkpool.sock"
    xdg = os.environ.get("XDG_RUNTIME_DIR")
    if xdg and xdg.startswith("/"):
        return f"{xdg}/forkpool.sock"
    tmp = os.environ.get("TMPDIR")
    if not (tmp and tmp.startswith("/")):
        tmp = "/tmp"
    return f"{tmp}/forkpool-{os.geteuid()}/forkpool.sock"


def _judge(path: str, st: os.stat_result) -> None:
    """May the directory or symbolic link at path stand in a trusted path?
    Only if nobody but root and the effective uid can change it."""
    euid = os.geteuid()
    if st.st_uid not in (0, euid):
        if stat.S_ISLNK(st.st_mode):
            raise SocketRefused(
                f"{path}: a symbolic link owned by uid {st.st_uid}, not by "
                f"uid {euid} or root: refusing to follow it", _errno.EPERM)
        raise SocketRefused(
            f"{path}: owned by uid {st.st_uid}, not by uid {euid} or root: "
            f"refusing a directory that another user controls", _errno.EPERM)
    if (stat.S_ISDIR(st.st_mode) and st.st_mode & (stat.S_IWGRP | stat.S_IWOTH)
            and not st.st_mode & stat.S_ISVTX):
        who = "others" if st.st_mode & stat.S_IWOTH else "its group"
        raise SocketRefused(
            f"{path}: writable by {who} (mode {stat.S_IMODE(st.st_mode):04o}) "
            f"without the sticky bit: refusing a directory that other users "
            f"control", _errno.EPERM)


def _path_check(directory: str) -> os.stat_result:
    """Walk directory from /, as fp_path_check does: every directory passed
    through and every symbolic link followed must be trusted (_judge).
    Returns the status of the directory reached.  Raises SocketRefused
    (EPERM, ENOTDIR) or OSError (missing, unreachable)."""
    rest = directory if directory.startswith("/") else \
        os.path.join(os.getcwd(), directory)
    done = ""
    st = os.lstat("/")
    links = 0
    parts = [p for p in rest.split("/") if p]
    while parts:
        name = parts.pop(0)
        if name == ".":
            continue
        _judge(done or "/", st)
        if name == "..":
            done = done.rsplit("/", 1)[0] if "/" in done else ""
            st = os.lstat(done or "/")
            continue
        cur = f"{done}/{name}"
        st = os.lstat(cur)
        if stat.S_ISLNK(st.st_mode):
            _judge(cur, st)
            links += 1
            if links > 40:
                raise OSError(_errno.ELOOP, os.strerror(_errno.ELOOP), cur)
            target = os.readlink(cur)
            parts = [p for p in target.split("/") if p] + parts
            if target.startswith("/"):
                done = ""
            st = os.lstat(done or "/")
            continue
        if not stat.S_ISDIR(st.st_mode):
            raise SocketRefused(f"{cur}: not a directory", _errno.ENOTDIR)
        done = cur
    return st


def check_default_socket(path: str) -> None:
    """Refuse (SocketRefused) a default socket path whose directory another
    user controls; a path from $FORKPOOL_SOCKET or named by the caller is
    not checked.  A missing directory is left for connect() to report."""
    if os.environ.get("FORKPOOL_SOCKET"):
        return
    slash = path.rfind("/")
    if slash <= 0:
        return
    directory = path[:slash]
    try:
        st = _path_check(directory)
    except OSError:
        return
    euid = os.geteuid()
    if st.st_uid != euid:
        raise SocketRefused(
            f"{directory}: owned by uid {st.st_uid}, not by you (uid {euid}): "
            f"refusing the default socket in it", _errno.EPERM)
    if st.st_mode & (stat.S_IWGRP | stat.S_IWOTH):
        who = "others" if st.st_mode & stat.S_IWOTH else "its group"
        raise SocketRefused(
            f"{directory}: writable by {who} (mode "
            f"{stat.S_IMODE(st.st_mode):04o}): refusing the default socket "
            f"in it", _errno.EPERM)


def resolve(socket: Optional[Union[str, "os.PathLike[str]"]]
            ) -> Tuple[str, bool]:
    """The path to connect to, and whether it is the default one."""
    if socket is None:
        return default_socket(), True
    return os.fspath(socket), False
