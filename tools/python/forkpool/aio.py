"""The asyncio client of forkpool.

One connection carries any number of calls at once: each call has its own
message ID and future, and the responses, which come in the order the
tasks finish, are matched to them as they arrive.  Cancelling the task
that awaits a call cancels the call in the daemon (forkpool.cancel).
"""

from __future__ import annotations

import asyncio
import errno as _errno
import os
import socket as _socket
from typing import Any, Dict, List, Optional, Tuple, Type, Union

from ._protocol import (ClientSettings, Decoder, MsgIds, ProtocolViolation,
                        encode_call, encode_notify,
                        pack_request)
from ._socket import SocketRefused, check_default_socket
from .errors import ConnectionLost, Unavailable, error_from

__all__ = ["Client", "BACKOFF_MIN", "BACKOFF_MAX"]

#: The wait before the first connection attempt that follows a failed one,
#: in seconds; it doubles with each further failure, up to BACKOFF_MAX.
BACKOFF_MIN = 0.05
BACKOFF_MAX = 2.0

# Bytes of requests written and not yet taken by the kernel above which
# new calls wait (asyncio's pause_writing), and below which they go on.
_HIGH_WATER = 1 << 20
_LOW_WATER = 1 << 18

PathLike = Union[str, "os.PathLike[str]"]


class _Connection(asyncio.Protocol):
    """One connection to the daemon and the calls outstanding on it.

    pending maps each message ID in flight to (future, method) for a call
    someone awaits, or to None for a response to be read and dropped: that
    of a call whose caller was cancelled, and that of forkpool.cancel.
    """

    def __init__(self, loop: asyncio.AbstractEventLoop, path: str) -> None:
        self.loop = loop
        self.path = path
        self.transport: Optional[asyncio.Transport] = None
        self.pending: Dict[int, Optional[Tuple["asyncio.Future[Any]", str]]] \
            = {}
        self.calls = 0                  # entries of pending that are calls
        self.writers = 0                # calls and notifications in writable()
        self.ids = MsgIds()
        self.decoder = Decoder()
        self.out: List[bytes] = []
        self.out_bytes = 0
        self.flush_scheduled = False
        self.paused = False
        self.resume_waiters: List["asyncio.Future[None]"] = []
        self.idle_waiters: List["asyncio.Future[None]"] = []
        self.closed = False
        self.closed_fut: "asyncio.Future[None]" = loop.create_future()
        self.why: Optional[str] = None

    # -- asyncio.Protocol ------------------------------------------------

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        transport.set_write_buffer_limits(high=_HIGH_WATER, low=_LOW_WATER)

    def data_received(self, data: bytes) -> None:
        try:
            for msgid, error, result in self.decoder.feed(data):
                entry = self.pending.pop(msgid, None)
                if entry is None:
                    continue        # dropped, or not ours
                fut, method = entry
                self._call_done()
                if fut.done():
                    continue
                if error is None:
                    fut.set_result(result)
                else:
                    fut.set_exception(error_from(error, method))
        except ProtocolViolation as e:
            self.abort(f"protocol error: {e}")

    def eof_received(self) -> Optional[bool]:
        return False                # close our side too

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        self._wake(self.resume_waiters)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.closed = True
        if self.why is None:
            self.why = (f"{exc}" if exc is not None
                        else "the daemon closed the connection")
        pending, self.pending = self.pending, {}
        self.calls = 0
        for entry in pending.values():
            if entry is not None and not entry[0].done():
                fut, method = entry
                fut.set_exception(self.lost_error(method))
        self.paused = False
        self._wake(self.resume_waiters)
        self._wake(self.idle_waiters)
        if not self.closed_fut.done():
            self.closed_fut.set_result(None)

    # -- helpers ---------------------------------------------------------

    def lost_error(self, method: Optional[str]) -> ConnectionLost:
        return ConnectionLost(
            f"connection to {self.path} lost while the call was "
            f"outstanding ({self.why}); it may or may not have run",
            method=method)

    @staticmethod
    def _wake(waiters: List["asyncio.Future[None]"]) -> None:
        for w in waiters:
            if not w.done():
                w.set_result(None)
        waiters.clear()

    def _call_done(self) -> None:
        self.calls -= 1
        if self.calls == 0 and self.writers == 0:
            self._wake(self.idle_waiters)

    async def writable(self, method: Optional[str]) -> None:
        """Wait while the transport's buffer is above its high mark, or
        the requests queued in this turn of the loop reach it.  The caller
        then sends at once (without awaiting): until then close() waits
        for it as for a call outstanding."""
        self.writers += 1
        try:
            while (self.paused or self.out_bytes >= _HIGH_WATER) \
                    and not self.closed:
                w: "asyncio.Future[None]" = self.loop.create_future()
                self.resume_waiters.append(w)
                await w
        finally:
            self.writers -= 1
            if self.calls == 0 and self.writers == 0:
                self._wake(self.idle_waiters)
        if self.closed:
            raise self.lost_error(method)

    def send(self, data: bytes) -> None:
        """Queue data; everything queued in one turn of the event loop goes
        out in one write."""
        self.out.append(data)
        self.out_bytes += len(data)
        if not self.flush_scheduled:
            self.flush_scheduled = True
            self.loop.call_soon(self.flush)

    def flush(self) -> None:
        self.flush_scheduled = False
        out, self.out = self.out, []
        self.out_bytes = 0
        if self.closed or self.transport is None or not out:
            return
        self.transport.write(out[0] if len(out) == 1 else b"".join(out))
        if not self.paused:
            self._wake(self.resume_waiters)

    def add_call(self, fut: "asyncio.Future[Any]", method: str) -> int:
        msgid = self.ids.take(self.pending)
        self.pending[msgid] = (fut, method)
        self.calls += 1
        return msgid

    def cancel_call(self, msgid: int, fut: "asyncio.Future[Any]",
                    packer: Any) -> None:
        """The caller of msgid gave up: cancel it in the daemon and drop
        its response when it comes."""
        entry = self.pending.get(msgid)
        if self.closed or entry is None or entry[0] is not fut:
            return
        self.pending[msgid] = None
        self._call_done()
        cid = self.ids.take(self.pending)
        self.pending[cid] = None
        self.send(pack_request(packer, cid, "forkpool.cancel", [msgid]))

    async def wait_idle(self) -> None:
        while (self.calls > 0 or self.writers > 0) and not self.closed:
            w: "asyncio.Future[None]" = self.loop.create_future()
            self.idle_waiters.append(w)
            await w

    def abort(self, why: str) -> None:
        if self.why is None:
            self.why = why
        if self.transport is not None:
            self.transport.abort()

    def forget(self) -> None:
        """Give up a connection whose event loop was closed (asyncio.run()
        returned) without closing it: nothing of it can run any more.  Its
        socket is shut down, so that the daemon cancels its calls; the
        descriptor is closed when the transport is collected."""
        self.closed = True
        if self.transport is not None:
            sock = self.transport.get_extra_info("socket")
            if sock is not None:
                try:
                    sock.shutdown(_socket.SHUT_RDWR)
                except OSError:
                    pass


class Client(ClientSettings):
    """An asyncio client of forkpoold::

        async with forkpool.Client() as fp:
            print(await fp.call("echo", "hi"))

    socket is the daemon's socket path; None means the default (see
    forkpool.default_socket()).  timeout (seconds) and retries are the
    defaults of every call of a handler; connect_timeout bounds each
    connection attempt, in seconds.

    The connection is opened by ``async with`` (or ``await connect()``); if
    it is lost, the calls outstanding on it raise ConnectionLost and the
    next call opens a new one.  After a failed attempt the next one waits
    BACKOFF_MIN (50 ms) first, doubling with each further failure up to
    BACKOFF_MAX (2 s); a success resets it.
    """

    def __init__(self, socket: Optional[PathLike] = None, *,
                 timeout: Optional[float] = None,
                 retries: Optional[int] = None,
                 connect_timeout: float = 5.0) -> None:
        super().__init__(socket, timeout, retries, connect_timeout)
        self._conn: Optional[_Connection] = None
        self._connecting: Optional["asyncio.Task[_Connection]"] = None
        self._closed = False

    # -- connection ------------------------------------------------------

    async def __aenter__(self) -> "Client":
        await self.connect()
        return self

    async def __aexit__(self, et: Optional[Type[BaseException]],
                        e: Optional[BaseException], tb: Any) -> None:
        if et is not None and issubclass(et, asyncio.CancelledError):
            self.abort()
        else:
            await self.close()

    @property
    def connected(self) -> bool:
        """True while a connection is open."""
        return self._current() is not None

    def _current(self) -> Optional[_Connection]:
        """The connection, if open.  One whose event loop was closed
        (asyncio.run() returned without closing the client) is given up."""
        c = self._conn
        if c is not None and not c.closed and c.loop.is_closed():
            c.forget()
            self._conn = None
        return c if c is not None and not c.closed else None

    async def connect(self) -> None:
        """Open the connection now, if none is open (calls do it anyway).
        Raises Unavailable if the socket cannot be connected."""
        self._closed = False
        await self._connection()

    async def _connection(self) -> _Connection:
        if self._closed:
            raise RuntimeError("forkpool.Client is closed")
        loop = asyncio.get_running_loop()
        c = self._current()
        if c is not None:
            if c.loop is not loop:
                raise RuntimeError("forkpool.Client: its connection belongs "
                                   "to another event loop, still open")
            return c
        t = self._connecting
        if t is None or t.get_loop() is not loop:
            t = loop.create_task(self._open())
            self._connecting = t

            def done(t: "asyncio.Task[_Connection]") -> None:
                if self._connecting is t:
                    self._connecting = None
                if not t.cancelled():
                    t.exception()   # retrieved: the waiters raise it

            t.add_done_callback(done)
        return await asyncio.shield(t)

    async def _open(self) -> _Connection:
        loop = asyncio.get_running_loop()
        try:
            delay = self._next_try - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            if self._default:
                check_default_socket(self.path)
            _, conn = await asyncio.wait_for(
                loop.create_unix_connection(
                    lambda: _Connection(loop, self.path), self.path),
                self.connect_timeout)
        except asyncio.CancelledError:
            # By close() or abort() (which let go of this attempt): the
            # calls waiting for it raise what they would after close().
            if self._connecting is not asyncio.current_task():
                raise RuntimeError("forkpool.Client is closed") from None
            raise
        except SocketRefused as e:
            self._failed(loop)
            raise Unavailable(f"cannot connect to {self.path}: {e.args[0]}",
                              path=self.path, errno=e.args[1],
                              strerror=os.strerror(e.args[1])) from None
        except (OSError, asyncio.TimeoutError) as e:
            self._failed(loop)
            if isinstance(e, OSError) and e.errno is not None:
                no, why = e.errno, e.strerror or os.strerror(e.errno)
            else:
                no, why = _errno.ETIMEDOUT, (f"no connection within "
                                             f"{self.connect_timeout} s")
            raise Unavailable(f"cannot connect to {self.path}: {why}",
                              path=self.path, errno=no,
                              strerror=os.strerror(no)) from None
        self._backoff = 0.0
        self._next_try = 0.0
        if self._closed:
            conn.abort("the client was closed")
            raise RuntimeError("forkpool.Client is closed")
        self._conn = conn
        return conn

    def _failed(self, loop: asyncio.AbstractEventLoop) -> None:
        self._backoff = min(max(self._backoff * 2, BACKOFF_MIN), BACKOFF_MAX)
        self._next_try = loop.time() + self._backoff

    async def close(self) -> None:
        """Wait until the calls outstanding have been answered, then close
        the connection.  If close() is cancelled, the connection is closed
        at once (as abort() does) and the calls still outstanding raise
        ConnectionLost; the daemon cancels them."""
        self._closed = True
        c = self._current()
        self._stop_connecting()
        if c is None:
            return
        try:
            await c.wait_idle()
            c.flush()
            if c.transport is not None:
                c.transport.close()
            # The transport closes once what was written has gone out.
            await asyncio.wait_for(asyncio.shield(c.closed_fut),
                                   self.connect_timeout)
        except BaseException:
            c.abort("the client was closed")
            raise

    def _stop_connecting(self) -> None:
        t, self._connecting = self._connecting, None
        if t is not None and not t.get_loop().is_closed():
            t.cancel()

    def abort(self) -> None:
        """Close the connection at once: the calls outstanding raise
        ConnectionLost, and the daemon cancels them."""
        self._closed = True
        self._stop_connecting()
        c = self._current()
        if c is not None:
            c.abort("the client was closed")

    # -- calls -----------------------------------------------------------

    async def call(self, method: str, *params: Any,
                   timeout: Optional[float] = None,
                   retries: Optional[int] = None,
                   id: Optional[str] = None) -> Any:
        """Call method with params and return its result.

        timeout: the task's deadline in seconds (forkpool.call's timeout_ms,
        rounded up to the millisecond; the daemon's configured timeout
        stays a ceiling); retries: how many times the task is run again if
        its worker dies while running it; id: a correlation ID that the
        daemon logs.  None: the client's default, else the daemon's.
        Raises the ForkPoolError of the daemon's error code, or
        ConnectionLost, or Unavailable.  Cancelling the task that awaits
        it sends forkpool.cancel for it and raises CancelledError at once.
        """
        opts = self._options(method, timeout, retries, id)
        conn = await self._connection()
        await conn.writable(method)
        fut: "asyncio.Future[Any]" = conn.loop.create_future()
        msgid = conn.add_call(fut, method)
        try:
            data = encode_call(self._packer, msgid, method, params, opts)
        except BaseException:
            conn.pending.pop(msgid, None)
            conn._call_done()
            raise
        conn.send(data)
        try:
            return await fut
        except asyncio.CancelledError:
            conn.cancel_call(msgid, fut, self._packer)
            raise

    async def notify(self, method: str, *params: Any,
                     timeout: Optional[float] = None,
                     retries: Optional[int] = None,
                     id: Optional[str] = None) -> None:
        """Send a notification: the daemon runs method with params (and the
        options, as call() does) and sends nothing back; it is dropped if
        the queue is full.  Returns once the notification is queued for
        writing."""
        opts = self._options(method, timeout, retries, id)
        conn = await self._connection()
        await conn.writable(method)
        conn.send(encode_notify(self._packer, method, params, opts))

    async def ping(self) -> str:
        """forkpool.ping: "pong"."""
        return await self.call("forkpool.ping")    # type: ignore[no-any-return]

    async def handlers(self) -> List[str]:
        """forkpool.handlers: the names of the handlers."""
        return await self.call("forkpool.handlers")  # type: ignore[no-any-return]

    async def stats(self, window: Optional[str] = None) -> Dict[str, Any]:
        """forkpool.stats: the daemon's figures; window ("all", "1m",
        "5m") applies to the handlers map."""
        if window is None:
            return await self.call("forkpool.stats")  # type: ignore[no-any-return]
        return await self.call("forkpool.stats", window)  # type: ignore[no-any-return]

    async def workers(self) -> List[Dict[str, Any]]:
        """forkpool.workers: a map for each worker slot."""
        return await self.call("forkpool.workers")  # type: ignore[no-any-return]
