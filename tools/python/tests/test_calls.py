"""The asyncio client against a real daemon: round trips of every
MessagePack type, 10,000 calls at once on one connection, the options of
forkpool.call (timeout, retries, id: the correlation ID reaches the
daemon's log), the client's defaults, notifications and the
administrative methods."""

from __future__ import annotations

import asyncio
import re
import sys
import time
import unittest

import forkpool
from tests.daemon import AsyncTestCase, Daemon, await_until, wait_until

D: Daemon


def setUpModule() -> None:
    global D
    D = Daemon("client_python_calls", workers=2,
               config="breaker-threshold 0\n"
                      "respawn-backoff-max 100ms\n").start()


def tearDownModule() -> None:
    try:
        assert D.stop() == 0, "daemon exit status after SIGTERM"
    finally:
        D.cleanup()


class CallsTest(AsyncTestCase):

    async def test_echo_every_type(self) -> None:
        values = [
            None, True, False, 0, 1, -1, 127, 128, -32, -33, 255, 65536,
            2**32, 2**63, 2**64 - 1, -2**63, 0.1, -0.0, 1e300, 2.5,
            "", "hi", "é€😀" * 100, "x" * 70000,
            b"", b"\x00\xff" * 10, b"y" * 70000,
            [], {}, [1, [2, [3, [4]]]], {"a": {"b": [None, {"c": b"d"}]}},
            {1: "int key", "s": 2}, [0.1, "s", b"b", None, True],
        ]
        async with forkpool.Client(D.sock) as fp:
            for v in values:
                got = await fp.call("echo", v)
                self.assertEqual(got, v, repr(v)[:80])
                self.assertIs(type(got), type(v), repr(v)[:80])
            # bytearray and memoryview go as bin and come back as bytes;
            # a tuple as an array, back as a list.
            self.assertEqual(await fp.call("echo", bytearray(b"ab")), b"ab")
            self.assertEqual(await fp.call("echo", memoryview(b"cd")), b"cd")
            self.assertEqual(await fp.call("echo", (1, (2,))), [1, [2]])
            self.assertEqual(repr(await fp.call("echo", 0.1)), "0.1")
            with self.assertRaises(TypeError):
                await fp.call("echo", object())
            with self.assertRaises(OverflowError):
                await fp.call("echo", 2**64)
            # The connection is still fine after a value that could not
            # be encoded.
            self.assertEqual(await fp.call("echo", "after"), "after")

    async def test_tuple_keys(self) -> None:
        # A dict with tuple keys goes as a map with array keys, and comes
        # back with tuple keys; it used to kill the connection (a list
        # cannot be a dict key) and every call outstanding on it.
        v = {(1, 2): "a", (3, (4, "x")): [5], "s": {(): None}}
        async with forkpool.Client(D.sock) as fp:
            other = asyncio.ensure_future(fp.call("sleep", 200))
            self.assertEqual(await fp.call("echo", v), v)
            self.assertEqual(await other, 200)
            self.assertEqual(await fp.call("echo", [v, v]), [v, v])

    async def test_10000_concurrent(self) -> None:
        async with forkpool.Client(D.sock) as fp:
            t = time.monotonic()
            got = await asyncio.gather(*(fp.call("echo", [i, str(i)])
                                         for i in range(10000)))
            elapsed = time.monotonic() - t
            self.assertEqual(got, [[i, str(i)] for i in range(10000)])
            print(f"\n    10,000 concurrent echo calls: {elapsed:.2f} s",
                  file=sys.stderr)
            self.assertEqual(fp._conn.pending, {})  # type: ignore[union-attr]

    async def test_sequential_and_pipelined_sleeps(self) -> None:
        async with forkpool.Client(D.sock) as fp:
            # With two workers the shorter sleep answers first (the
            # crash tests may have left a worker being replaced).
            await await_until(lambda: D.stat("workers_ready") == 2, 5,
                       "two workers ready")
            order = []

            async def one(ms: int) -> None:
                order.append(await fp.call("sleep", ms))
            await asyncio.gather(one(300), one(10))
            self.assertEqual(order, [10, 300])

    async def test_id_reaches_the_log_and_retries(self) -> None:
        async with forkpool.Client(D.sock) as fp:
            with self.assertRaises(forkpool.WorkerCrashed) as cm:
                await fp.call("crash", 9, retries=2, id="py job 7")
            e = cm.exception
            self.assertEqual((e.signal, e.attempts, e.method),
                             (9, 3, "crash"))
            self.assertEqual(e.code, "worker_crashed")
        line = wait_until(
            lambda: re.search(r'event=task_failed .*handler=crash .*'
                              r'attempts=3 corr="py job 7"', D.log_text()),
            5, "task_failed with corr in the log")
        self.assertTrue(line)
        self.assertEqual(len(re.findall(r'event=task_retry .*corr="py job 7"',
                                        D.log_text())), 2)

    async def test_timeout_option(self) -> None:
        async with forkpool.Client(D.sock) as fp:
            t = time.monotonic()
            with self.assertRaises(forkpool.Timeout) as cm:
                await fp.call("sleep", 5000, timeout=0.3)
            self.assertLess(time.monotonic() - t, 3)
            self.assertEqual(cm.exception.attempts, 1)
            self.assertIsInstance(cm.exception, TimeoutError)
            self.assertEqual(await fp.call("sleep", 10, timeout=5), 10)

    async def test_client_defaults(self) -> None:
        async with forkpool.Client(D.sock, timeout=0.2, retries=1) as fp:
            with self.assertRaises(forkpool.Timeout):
                await fp.call("sleep", 5000)
            # A call's own option wins over the client's.
            self.assertEqual(await fp.call("sleep", 400, timeout=5), 400)
            with self.assertRaises(forkpool.WorkerCrashed) as cm:
                await fp.call("crash", 9, timeout=5)
            self.assertEqual(cm.exception.attempts, 2)
            # Administrative methods go without them (forkpool.call
            # refuses them).
            self.assertEqual(await fp.ping(), "pong")
            self.assertIsInstance(await fp.stats(), dict)

    async def test_notify(self) -> None:
        def echo_calls() -> int:
            h = D.stat("handlers").get("echo", {})
            return int(h.get("calls", 0))
        before = echo_calls()
        async with forkpool.Client(D.sock) as fp:
            for i in range(5):
                await fp.notify("echo", i)
            await fp.notify("echo", "with options", timeout=5, id="n1")
            await fp.notify("no.such.method", 1)    # ignored by the daemon
        await await_until(lambda: echo_calls() >= before + 6, 5,
                   "the notifications to run")

    async def test_admin_methods(self) -> None:
        async with forkpool.Client(D.sock) as fp:
            self.assertEqual(await fp.ping(), "pong")
            self.assertIn("echo", await fp.handlers())
            self.assertIn("crash", await fp.handlers())
            stats = await fp.stats()
            self.assertEqual(stats["pid"], D.pid)
            self.assertEqual(stats["workers"], 2)
            self.assertEqual((await fp.stats("1m"))["window"], "1m")
            with self.assertRaises(forkpool.InvalidParams):
                await fp.stats("2m")
            workers = await fp.workers()
            self.assertEqual(len(workers), 2)
            self.assertEqual({w["slot"] for w in workers}, {0, 1})
            self.assertEqual(await fp.call("forkpool.ping"), "pong")

    async def test_reconnect_after_close(self) -> None:
        fp = forkpool.Client(D.sock)
        async with fp:
            self.assertTrue(fp.connected)
            self.assertEqual(await fp.ping(), "pong")
        self.assertFalse(fp.connected)
        with self.assertRaises(RuntimeError):
            await fp.ping()
        async with fp:
            self.assertEqual(await fp.ping(), "pong")

    async def test_close_waits_for_outstanding(self) -> None:
        fp = forkpool.Client(D.sock)
        await fp.connect()
        task = asyncio.ensure_future(fp.call("sleep", 300))
        await asyncio.sleep(0.05)
        await fp.close()
        self.assertTrue(task.done())
        self.assertEqual(task.result(), 300)

    async def test_default_socket(self) -> None:
        import os
        from unittest import mock
        with mock.patch.dict(os.environ, {"FORKPOOL_SOCKET": D.sock}):
            async with forkpool.Client() as fp:
                self.assertEqual(fp.path, D.sock)
                self.assertEqual(await fp.ping(), "pong")


if __name__ == "__main__":
    unittest.main()
