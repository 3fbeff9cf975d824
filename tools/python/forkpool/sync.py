"""The blocking client of forkpool: one call at a time on one connection,
for scripts and threads that do not use asyncio."""

from __future__ import annotations

import errno as _errno
import os
import socket as _socket
import threading
import time
from typing import Any, Dict, List, Optional, Tuple, Type

from ._protocol import (ClientSettings, Decoder, MsgIds, ProtocolViolation,
                        encode_call, encode_notify)
from ._socket import SocketRefused, check_default_socket
from .aio import BACKOFF_MAX, BACKOFF_MIN, PathLike
from .errors import ConnectionLost, Timeout, Unavailable, error_from

__all__ = ["BlockingClient", "GRACE"]

#: How much longer than a call's timeout the client waits for the daemon's
#: answer before it gives up on the connection, in seconds.
GRACE = 1.0


class BlockingClient(ClientSettings):
    """A blocking client of forkpoold::

        with forkpool.BlockingClient() as fp:
            print(fp.call("echo", "hi"))

    The arguments are those of forkpool.Client.  Calls are made one at a
    time (a lock makes the client safe to share between threads).  A call
    with a timeout (its own or the client's) waits at most timeout + GRACE
    seconds for its answer: if none comes, it raises Timeout and closes the
    connection, which cancels the call in the daemon.  A call without a
    timeout waits as long as the daemon takes (its configured timeout
    applies there).
    """

    def __init__(self, socket: Optional[PathLike] = None, *,
                 timeout: Optional[float] = None,
                 retries: Optional[int] = None,
                 connect_timeout: float = 5.0) -> None:
        super().__init__(socket, timeout, retries, connect_timeout)
        self._ids = MsgIds()
        self._lock = threading.Lock()
        self._sock: Optional[_socket.socket] = None
        self._decoder = Decoder()

    def __enter__(self) -> "BlockingClient":
        self.connect()
        return self

    def __exit__(self, et: Optional[Type[BaseException]],
                 e: Optional[BaseException], tb: Any) -> None:
        self.close()

    @property
    def connected(self) -> bool:
        return self._sock is not None

    def connect(self) -> None:
        """Open the connection now, if none is open (calls do it anyway)."""
        with self._lock:
            self._connection()

    def close(self) -> None:
        """Close the connection (the next call opens a new one)."""
        with self._lock:
            self._drop()

    def _drop(self) -> None:
        if self._sock is not None:
            self._sock.close()
            self._sock = None

    def _connection(self) -> _socket.socket:
        if self._sock is not None:
            return self._sock
        delay = self._next_try - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        s = _socket.socket(_socket.AF_UNIX, _socket.SOCK_STREAM)
        try:
            if self._default:
                check_default_socket(self.path)
            s.settimeout(self.connect_timeout)
            s.connect(self.path)
        except SocketRefused as e:
            s.close()
            self._failed()
            raise Unavailable(f"cannot connect to {self.path}: {e.args[0]}",
                              path=self.path, errno=e.args[1],
                              strerror=os.strerror(e.args[1])) from None
        except OSError as e:
            s.close()
            self._failed()
            if isinstance(e, _socket.timeout) or e.errno is None:
                no, why = _errno.ETIMEDOUT, (f"no connection within "
                                             f"{self.connect_timeout} s")
            else:
                no, why = e.errno, e.strerror or os.strerror(e.errno)
            raise Unavailable(f"cannot connect to {self.path}: {why}",
                              path=self.path, errno=no,
                              strerror=os.strerror(no)) from None
        self._backoff = 0.0
        self._next_try = 0.0
        self._sock = s
        self._decoder = Decoder()
        return s

    def _failed(self) -> None:
        self._backoff = min(max(self._backoff * 2, BACKOFF_MIN), BACKOFF_MAX)
        self._next_try = time.monotonic() + self._backoff

    def _lost(self, method: str, why: str) -> ConnectionLost:
        self._drop()
        return ConnectionLost(
            f"connection to {self.path} lost while the call was "
            f"outstanding ({why}); it may or may not have run",
            method=method)

    def call(self, method: str, *params: Any,
             timeout: Optional[float] = None,
             retries: Optional[int] = None,
             id: Optional[str] = None) -> Any:
        """Call method with params and return its result; the options and
        the exceptions are those of forkpool.Client.call()."""
        opts = self._options(method, timeout, retries, id)
        limit = None
        if opts is not None and "timeout_ms" in opts and opts["timeout_ms"]:
            limit = opts["timeout_ms"] / 1000.0 + GRACE
        with self._lock:
            s = self._connection()
            msgid = self._ids.take(())
            data = encode_call(self._packer, msgid, method, params, opts)
            ok = False
            try:
                s.settimeout(limit)
                try:
                    s.sendall(data)
                except OSError as e:
                    raise self._lost(method, f"send: {e}") from None
                error, result = self._receive(s, msgid, method, limit)
                ok = True
            finally:
                # Anything else (an interrupt): the connection is in an
                # unknown state; closing it cancels the call.
                if not ok and self._sock is s:
                    self._drop()
        if error is not None:
            raise error_from(error, method)
        return result

    def _receive(self, s: _socket.socket, msgid: int, method: str,
                 limit: Optional[float]) -> Tuple[Any, Any]:
        while True:
            try:
                data = s.recv(1 << 16)
            except _socket.timeout:
                self._drop()
                raise Timeout(f"no answer from the daemon within {limit} s "
                              f"(client side); the connection was closed",
                              method=method) from None
            except OSError as e:
                raise self._lost(method, f"recv: {e}") from None
            if not data:
                raise self._lost(method, "the daemon closed the connection")
            try:
                for rid, error, result in self._decoder.feed(data):
                    if rid != msgid:
                        continue    # not ours (cannot happen: one at a time)
                    return error, result
            except ProtocolViolation as e:
                raise self._lost(method, f"protocol error: {e}") from None

    def notify(self, method: str, *params: Any,
               timeout: Optional[float] = None,
               retries: Optional[int] = None,
               id: Optional[str] = None) -> None:
        """Send a notification (see forkpool.Client.notify())."""
        opts = self._options(method, timeout, retries, id)
        with self._lock:
            s = self._connection()
            data = encode_notify(self._packer, method, params, opts)
            try:
                s.settimeout(self.connect_timeout)
                s.sendall(data)
            except OSError as e:
                raise self._lost(method, f"send: {e}") from None

    def ping(self) -> str:
        return self.call("forkpool.ping")   # type: ignore[no-any-return]

    def handlers(self) -> List[str]:
        return self.call("forkpool.handlers")   # type: ignore[no-any-return]

    def stats(self, window: Optional[str] = None) -> Dict[str, Any]:
        if window is None:
            return self.call("forkpool.stats")  # type: ignore[no-any-return]
        return self.call("forkpool.stats", window)  # type: ignore[no-any-return]

    def workers(self) -> List[Dict[str, Any]]:
        return self.call("forkpool.workers")    # type: ignore[no-any-return]
