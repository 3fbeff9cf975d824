"""The connection to the daemon: a daemon that dies (SIGKILL) with 100
calls outstanding, or in the middle of sending a large answer, makes every
one of them raise ConnectionLost at once, and the client connects again
for the next call once the daemon is back on the same socket; SIGQUIT
answers the calls outstanding "shutting_down"; a socket that does not
exist gives Unavailable with the path and the errno; failed attempts back
off (50 ms doubling to 2 s); close() drains and abort() does not."""

from __future__ import annotations

import asyncio
import collections
import collections.abc
import errno
import gc
import os
import signal
import threading
import time
import unittest
import warnings

import forkpool
from tests.daemon import AsyncTestCase, Daemon, await_until, wait_until


class ConnectionTest(AsyncTestCase):

    def setUp(self) -> None:
        self.d = Daemon("client_python_connection", workers=2,
                        config="respawn-backoff-max 100ms\n").start()
        self.addCleanup(self.d.cleanup)

    async def outstanding(self, fp: forkpool.Client, n: int,
                          method: str = "sleep", *params: object
                          ) -> list:
        tasks = [asyncio.ensure_future(fp.call(method, *(params or (3000,))))
                 for _ in range(n)]
        await await_until(lambda: fp._conn is not None and
                          len(fp._conn.pending) == n and not fp._conn.out,
                          5, f"{n} calls sent")
        return tasks

    async def test_sigkill_with_100_outstanding(self) -> None:
        async with forkpool.Client(self.d.sock) as fp:
            tasks = await self.outstanding(fp, 100)
            t = time.monotonic()
            self.d.send(signal.SIGKILL)
            done, _ = await asyncio.wait(tasks, timeout=5)
            self.assertEqual(len(done), 100, "calls still outstanding 5 s "
                             "after the daemon was killed")
            self.assertLess(time.monotonic() - t, 2)
            kinds = collections.Counter(type(x.exception()) for x in tasks)
            self.assertEqual(kinds, {forkpool.ConnectionLost: 100})
            e = tasks[0].exception()
            self.assertIsInstance(e, ConnectionError)
            self.assertEqual((e.code, e.method), ("connection_lost", "sleep"))
            self.assertIn(self.d.sock, str(e))
            self.d.wait()
            # Nothing listens: the next call cannot connect.
            with self.assertRaises(forkpool.Unavailable) as cm:
                await fp.ping()
            self.assertIn(cm.exception.errno,
                          (errno.ECONNREFUSED, errno.ENOENT))
            # Back on the same socket: the next call connects again
            # (after the back-off of the failed attempt, 50 ms).
            self.d.restart()
            self.assertEqual(await fp.call("echo", "again"), "again")

    async def test_sigquit_answers_shutting_down(self) -> None:
        async with forkpool.Client(self.d.sock) as fp:
            tasks = await self.outstanding(fp, 100)
            self.d.send(signal.SIGQUIT)
            done, _ = await asyncio.wait(tasks, timeout=10)
            self.assertEqual(len(done), 100)
            kinds = collections.Counter(type(x.exception()) for x in tasks)
            # The daemon answers them before it closes the connection.
            self.assertEqual(kinds, {forkpool.ShuttingDown: 100})
            self.assertEqual(tasks[0].exception().code, "shutting_down")
            self.assertEqual(self.d.wait(), 0)
            self.d.restart()
            # The lost connection was noticed: a new one is opened.
            await await_until(lambda: not fp.connected, 5, "the close")
            self.assertEqual(await fp.ping(), "pong")

    async def test_killed_in_the_middle_of_an_answer(self) -> None:
        big = b"\xab" * (8 << 20)
        fp = forkpool.Client(self.d.sock)
        await fp.connect()
        try:
            conn = fp._conn
            assert conn is not None and conn.transport is not None
            # Stop reading, so that the daemon's first answer stops
            # half-way: the socket buffers hold much less than 8 MiB.
            conn.transport.pause_reading()
            tasks = [asyncio.ensure_future(fp.call("echo", big))
                     for _ in range(3)]
            await await_until(lambda: self.d.stat("tasks_ok") >= 1, 20,
                              "the first answer")
            self.d.send(signal.SIGKILL)
            self.d.wait()
            conn.transport.resume_reading()
            done, _ = await asyncio.wait(tasks, timeout=10)
            self.assertEqual(len(done), 3)
            for x in tasks:
                self.assertIsInstance(x.exception(), forkpool.ConnectionLost)
            self.d.restart()
            self.assertEqual(await asyncio.wait_for(fp.call("echo", big), 30),
                             big)
        finally:
            fp.abort()

    async def test_no_such_socket(self) -> None:
        path = os.path.join(self.d.dir, "nothing-here.sock")
        fp = forkpool.Client(path)
        with self.assertRaises(forkpool.Unavailable) as cm:
            await fp.connect()
        e = cm.exception
        self.assertIsInstance(e, ConnectionError)
        self.assertEqual((e.code, e.errno, e.filename),
                         ("unavailable", errno.ENOENT, path))
        self.assertEqual(str(e), f"unavailable: cannot connect to {path}: "
                         f"No such file or directory")
        with self.assertRaises(forkpool.Unavailable) as cm:
            forkpool.BlockingClient(path).call("echo", 1)
        self.assertEqual(cm.exception.errno, errno.ENOENT)
        # A file that is not a socket.
        with open(path, "w"):
            pass
        with self.assertRaises(forkpool.Unavailable) as cm:
            await forkpool.Client(path).connect()
        self.assertEqual(cm.exception.errno, errno.ECONNREFUSED)

    async def test_backoff(self) -> None:
        path = os.path.join(self.d.dir, "nothing-here.sock")
        fp = forkpool.Client(path)
        t = time.monotonic()
        for _ in range(5):
            with self.assertRaises(forkpool.Unavailable):
                await fp.call("echo", 1)
        # Waits of 50, 100, 200 and 400 ms before attempts 2 to 5.
        elapsed = time.monotonic() - t
        self.assertGreaterEqual(elapsed, 0.75)
        self.assertLess(elapsed, 3)
        self.assertAlmostEqual(fp._backoff, 0.8)
        # Calls at once share one attempt (after one wait of 0.8 s).
        t = time.monotonic()
        r = await asyncio.gather(*(fp.call("echo", 1) for _ in range(10)),
                                 return_exceptions=True)
        self.assertTrue(all(isinstance(x, forkpool.Unavailable) for x in r))
        self.assertLess(time.monotonic() - t, 1.6)
        self.assertAlmostEqual(fp._backoff, 1.6)
        # Then 2 s, at most.
        fp._failed(asyncio.get_running_loop())
        self.assertEqual(fp._backoff, forkpool.BACKOFF_MAX)
        fp._failed(asyncio.get_running_loop())
        self.assertEqual(fp._backoff, forkpool.BACKOFF_MAX)

    async def test_close_while_connecting(self) -> None:
        # close() or abort() while a call waits for a connection attempt
        # (here its back-off): the call raises RuntimeError, as a call
        # after close() does, not CancelledError (its task was not
        # cancelled); a later connect() starts afresh.
        path = os.path.join(self.d.dir, "nothing-here.sock")
        for stop in ("close", "abort"):
            fp = forkpool.Client(path)
            with self.assertRaises(forkpool.Unavailable):
                await fp.connect()
            call = asyncio.ensure_future(fp.call("echo", 1))
            await await_until(lambda: fp._connecting is not None, 1,
                              "the attempt")
            if stop == "close":
                await fp.close()
            else:
                fp.abort()
            with self.assertRaisesRegex(RuntimeError, "Client is closed"):
                await asyncio.wait_for(call, 2)
            self.assertFalse(call.cancelled())
            fp.path = self.d.sock
            await fp.connect()
            self.assertEqual(await fp.call("echo", stop), stop)
            await fp.close()

    async def test_close_drains_and_abort_does_not(self) -> None:
        fp = forkpool.Client(self.d.sock)
        await fp.connect()
        tasks = await self.outstanding(fp, 4, "sleep", 200)
        await fp.close()
        self.assertEqual([t.result() for t in tasks], [200] * 4)
        fp = forkpool.Client(self.d.sock)
        await fp.connect()
        tasks = await self.outstanding(fp, 4, "sleep", 1000)
        t = time.monotonic()
        fp.abort()
        done, _ = await asyncio.wait(tasks, timeout=2)
        self.assertEqual(len(done), 4)
        self.assertLess(time.monotonic() - t, 1)
        for x in tasks:
            self.assertIsInstance(x.exception(), forkpool.ConnectionLost)
        # The daemon cancelled them with the connection.
        await await_until(lambda: self.d.stat("tasks_cancelled") == 4, 5,
                          "the daemon to cancel the sleeps")
        # A cancelled close() aborts.
        fp = forkpool.Client(self.d.sock)
        await fp.connect()
        tasks = await self.outstanding(fp, 2, "sleep", 1000)
        with self.assertRaises(asyncio.TimeoutError):
            await asyncio.wait_for(fp.close(), 0.2)
        done, _ = await asyncio.wait(tasks, timeout=2)
        self.assertEqual(len(done), 2)
        for x in tasks:
            self.assertIsInstance(x.exception(), forkpool.ConnectionLost)


class EventLoopsTest(unittest.TestCase):
    """One client used by one asyncio.run() after another."""

    def setUp(self) -> None:
        self.d = Daemon("client_python_connection", workers=1).start()
        self.addCleanup(self.d.cleanup)

    def test_next_event_loop(self) -> None:
        # Not closed in the first event loop: its connection is given up
        # in the next one (it used to fail every call with "Event loop is
        # closed"), and the daemon sees it closed.
        fp = forkpool.Client(self.d.sock)
        with warnings.catch_warnings():
            # The transports given up warn when collected: unclosed.
            warnings.simplefilter("ignore", ResourceWarning)
            self.assertEqual(asyncio.run(fp.call("echo", 1)), 1)
            self.assertEqual(self.d.stat("connections"), 2)  # stats' own
            self.assertEqual(asyncio.run(fp.call("echo", 2)), 2)
            self.assertEqual(asyncio.run(fp.call("echo", 3)), 3)
            wait_until(lambda: self.d.stat("connections") == 2, 5,
                       "the connections given up to be closed")
            self.assertFalse(fp.connected)

            async def close() -> None:
                await fp.close()
            asyncio.run(close())
            wait_until(lambda: self.d.stat("connections") == 1, 5,
                       "the last one to be closed")
            gc.collect()

    def test_two_event_loops_at_once(self) -> None:
        # A connection in use by a running event loop is not taken over
        # by another one (a thread of its own): a clear RuntimeError.
        fp = forkpool.Client(self.d.sock)
        loop = asyncio.new_event_loop()
        try:
            loop.run_until_complete(fp.connect())

            async def other() -> None:
                await fp.call("echo", 1)
            errors: list = []
            th = threading.Thread(target=lambda: errors.append(
                _raised(lambda: asyncio.run(other()))))
            th.start()
            th.join(10)
            self.assertEqual([type(e) for e in errors], [RuntimeError])
            self.assertIn("another event loop", str(errors[0]))
            self.assertEqual(loop.run_until_complete(fp.call("echo", 4)), 4)
            loop.run_until_complete(fp.close())
        finally:
            loop.close()


def _raised(f: "collections.abc.Callable[[], object]") -> object:
    try:
        return f()
    except Exception as e:
        return e


if __name__ == "__main__":
    unittest.main()
