"""A forkpoold of the tests' own: started in a private temporary directory
from $FORKPOOLD, with the test handlers (-T), ready once its socket answers
forkpool.ping (bounded polling), stopped by its PID.

The daemon's standard error (its log) goes to $FP_LOGDIR/NAME.log when
FP_LOGDIR is set (the test runner scans it for sanitizer reports), else to
daemon.log in the temporary directory.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
import unittest
from typing import Any, Callable, List, Optional

import msgpack

__all__ = ["Daemon", "AsyncTestCase", "forkpoold", "build_dir", "wait_until",
           "await_until"]


def forkpoold() -> str:
    """$FORKPOOLD, or skip the test if it is not set."""
    path = os.environ.get("FORKPOOLD")
    if not path:
        raise unittest.SkipTest("FORKPOOLD is not set (the forkpoold to "
                                "test, e.g. build/forkpoold)")
    return os.path.abspath(path)


def build_dir() -> str:
    """$FP_BUILD, else the directory of $FORKPOOLD."""
    return os.path.abspath(os.environ.get("FP_BUILD")
                           or os.path.dirname(forkpoold()))


def sanitized() -> bool:
    """The daemon under test is a sanitizer build (slower)."""
    return "san" in os.path.basename(build_dir())


def wait_until(cond: Callable[[], Any], timeout: float,
               what: str = "condition", step: float = 0.02) -> Any:
    """Poll cond every step seconds until it returns a true value (which
    is returned), for at most timeout seconds; AssertionError after."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout} s waiting "
                                 f"for {what}")
        time.sleep(step)


_LIVE: "set[Daemon]" = set()


def _terminated(signum: int, frame: Any) -> None:
    """SIGTERM (the test runner's timeout): stop every daemon still
    running, at once, before exiting."""
    for d in list(_LIVE):
        d.kill()
        shutil.rmtree(d.dir, ignore_errors=True)
    os._exit(128 + signum)


def _default_signals() -> None:
    # A shell that starts a job in the background ignores SIGINT and
    # SIGQUIT for it; the daemon must get them with their default action.
    signal.signal(signal.SIGINT, signal.SIG_DFL)
    signal.signal(signal.SIGQUIT, signal.SIG_DFL)


class Daemon:
    """One forkpoold.  config is the text of its forkpool.conf."""

    def __init__(self, name: str, config: str = "", workers: int = 2,
                 test_handlers: bool = True) -> None:
        self.name = name
        # sun_path holds 107 bytes: keep the socket path short.
        self.dir = tempfile.mkdtemp(prefix="fpy.", dir="/tmp")
        self.sock = os.path.join(self.dir, "fp.sock")
        self.conf = os.path.join(self.dir, "fp.conf")
        with open(self.conf, "w") as f:
            f.write(config)
        logdir = os.environ.get("FP_LOGDIR")
        if logdir and os.path.isdir(logdir):
            self.log = os.path.join(logdir, f"{name}.log")
        else:
            self.log = os.path.join(self.dir, "daemon.log")
        self.workers = workers
        self.test_handlers = test_handlers
        self.proc: Optional[subprocess.Popen[bytes]] = None
        self.started: List[int] = []

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 20.0) -> "Daemon":
        argv = [forkpoold(), "-d", "-s", self.sock, "-p", "none",
                "-f", self.conf, "-w", str(self.workers)]
        if self.test_handlers:
            argv.append("-T")
        with open(self.log, "ab") as log:
            log.write(f"=== {self.name}: {' '.join(argv)}\n".encode())
            log.flush()
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                preexec_fn=_default_signals)
        self.started.append(self.proc.pid)
        if not _LIVE:
            signal.signal(signal.SIGTERM, _terminated)
        _LIVE.add(self)
        end = time.monotonic() + timeout
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(
                    f"forkpoold exited with status {self.proc.returncode} "
                    f"during start-up; log:\n{self.log_text()[-3000:]}")
            if self.ping():
                return self
            if time.monotonic() >= end:
                self.kill()
                raise AssertionError(f"forkpoold not answering on "
                                     f"{self.sock} after {timeout} s")
            time.sleep(0.02)

    def ping(self) -> bool:
        """Does the socket answer forkpool.ping (within 2 s)?"""
        try:
            return self.request("forkpool.ping") == [None, "pong"]
        except OSError:
            return False

    def request(self, method: str, *params: Any, timeout: float = 2.0
                ) -> List[Any]:
        """One request on a fresh connection, without the client under
        test: [error, result]."""
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
            s.settimeout(timeout)
            s.connect(self.sock)
            s.sendall(msgpack.packb([0, 1, method, list(params)]))
            u = msgpack.Unpacker(raw=False, strict_map_key=False)
            while True:
                data = s.recv(65536)
                if not data:
                    raise ConnectionResetError("connection closed")
                u.feed(data)
                for msg in u:
                    return [msg[2], msg[3]]

    def stat(self, key: str) -> Any:
        error, result = self.request("forkpool.stats")
        assert error is None, error
        return result[key]

    def log_text(self) -> str:
        try:
            with open(self.log, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def send(self, sig: int) -> None:
        assert self.proc is not None
        self.proc.send_signal(sig)

    def wait(self, timeout: float = 20.0) -> int:
        """Bounded wait for the daemon to exit; SIGKILL after timeout."""
        assert self.proc is not None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError(f"forkpoold {self.proc.pid} still running "
                                 f"{timeout} s after it was told to stop")

    def stop(self, sig: int = signal.SIGTERM, timeout: float = 20.0) -> int:
        """Send sig (by PID) and wait, bounded; the exit status."""
        if self.proc is None or self.proc.poll() is not None:
            return self.proc.returncode if self.proc else 0
        self.proc.send_signal(sig)
        return self.wait(timeout)

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait()

    def restart(self) -> "Daemon":
        """Start again on the same socket (after a stop)."""
        assert self.proc is None or self.proc.poll() is not None
        return self.start()

    def cleanup(self) -> None:
        """Stop the daemon (SIGTERM, bounded, then SIGKILL) and remove the
        temporary directory.  Its workers die with it (PR_SET_PDEATHSIG)."""
        try:
            if self.proc is not None and self.proc.poll() is None:
                self.proc.terminate()
                try:
                    self.proc.wait(5)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
        finally:
            _LIVE.discard(self)
            shutil.rmtree(self.dir, ignore_errors=True)


class AsyncTestCase(unittest.IsolatedAsyncioTestCase):
    """IsolatedAsyncioTestCase without asyncio's debug mode, which it turns
    on: its bookkeeping of every future (a traceback each) makes thousands
    of calls ten times slower and logs the slow callbacks it causes."""

    async def asyncSetUp(self) -> None:
        asyncio.get_running_loop().set_debug(False)


class OneWorkerCase(AsyncTestCase):
    """A test against the module's daemon D (set by the subclass) of one
    worker: it starts with that worker ready and idle, and a connected
    forkpool.Client in self.fp, closed after the test."""

    D: "Daemon"

    async def asyncSetUp(self) -> None:
        await super().asyncSetUp()
        await await_until(lambda: self.D.stat("workers_ready") == 1 and
                          self.D.stat("workers_busy") == 0, 10,
                          "the worker to be ready and idle")
        import forkpool
        self.fp = forkpool.Client(self.D.sock)
        await self.fp.connect()

    async def asyncTearDown(self) -> None:
        await self.fp.close()


async def await_until(cond: Callable[[], Any], timeout: float,
                      what: str = "condition", step: float = 0.02) -> Any:
    """wait_until for a coroutine: the event loop runs while it polls (so
    that the calls it waits for are sent and answered)."""
    end = time.monotonic() + timeout
    while True:
        v = cond()
        if v:
            return v
        if time.monotonic() >= end:
            raise AssertionError(f"timed out after {timeout} s waiting "
                                 f"for {what}")
        await asyncio.sleep(step)
