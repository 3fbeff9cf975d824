"""The blocking client against a real daemon: calls and their options,
the same exceptions as the asyncio client, a daemon that stops answering
(SIGSTOP) cannot hold a call with a timeout longer than timeout + GRACE,
a lost connection, threads sharing one client."""

from __future__ import annotations

import re
import signal
import threading
import time
import unittest

import forkpool
from tests.daemon import Daemon, wait_until

D: Daemon


def setUpModule() -> None:
    global D
    D = Daemon("client_python_blocking", workers=2,
               config="respawn-backoff-max 100ms\nbreaker-threshold 0\n"
               ).start()


def tearDownModule() -> None:
    try:
        assert D.stop() == 0, "daemon exit status after SIGTERM"
    finally:
        D.cleanup()


class BlockingTest(unittest.TestCase):

    def setUp(self) -> None:
        wait_until(lambda: D.stat("workers_ready") == 2, 10,
                   "two workers ready")

    def test_calls(self) -> None:
        with forkpool.BlockingClient(D.sock) as fp:
            self.assertTrue(fp.connected)
            for v in (None, True, 2**64 - 1, -2**63, 0.1, "é", b"\x00",
                      [1, {"a": b"b"}], {2: None}):
                self.assertEqual(fp.call("echo", v), v)
            self.assertEqual(fp.call("echo", bytearray(b"x")), b"x")
            self.assertEqual(fp.call("echo", {(1, (2,)): 3}), {(1, (2,)): 3})
            self.assertEqual(fp.ping(), "pong")
            self.assertIn("echo", fp.handlers())
            self.assertEqual(fp.stats()["pid"], D.pid)
            self.assertEqual(fp.stats("5m")["window"], "5m")
            self.assertEqual(len(fp.workers()), 2)
            self.assertEqual(fp.call("sleep", 10, timeout=5, retries=0,
                                     id="b1"), 10)
        self.assertFalse(fp.connected)
        # Used again after close: connects again.
        self.assertEqual(fp.call("echo", 1), 1)
        fp.close()

    def test_errors(self) -> None:
        with forkpool.BlockingClient(D.sock) as fp:
            with self.assertRaises(forkpool.NoSuchMethod) as cm:
                fp.call("nope")
            self.assertEqual(cm.exception.method, "nope")
            with self.assertRaises(forkpool.InvalidParams):
                fp.call("sleep", "x")
            with self.assertRaises(forkpool.Timeout) as cm:
                fp.call("sleep", 5000, timeout=0.2)
            self.assertEqual(cm.exception.attempts, 1)
            with self.assertRaises(forkpool.WorkerCrashed) as cm:
                fp.call("crash", 9, retries=1, id="blocking crash")
            self.assertEqual((cm.exception.signal, cm.exception.attempts),
                             (9, 2))
            with self.assertRaises(forkpool.WorkerCrashed) as cm:
                fp.call("exit", 4)
            self.assertEqual(cm.exception.status, 4)
            # The connection is kept after the daemon's errors.
            self.assertEqual(fp.call("echo", "still"), "still")
        self.assertTrue(re.search(r'event=task_failed .*corr="blocking '
                                  r'crash"', D.log_text()))

    def test_client_defaults(self) -> None:
        with forkpool.BlockingClient(D.sock, timeout=0.2) as fp:
            t = time.monotonic()
            with self.assertRaises(forkpool.Timeout):
                fp.call("sleep", 5000)
            self.assertLess(time.monotonic() - t, 3)
            self.assertEqual(fp.ping(), "pong")

    def test_hung_daemon(self) -> None:
        with forkpool.BlockingClient(D.sock) as fp:
            self.assertEqual(fp.ping(), "pong")
            D.send(signal.SIGSTOP)
            try:
                t = time.monotonic()
                with self.assertRaises(forkpool.Timeout) as cm:
                    fp.call("echo", 1, timeout=0.3)
                elapsed = time.monotonic() - t
                self.assertIn("client side", str(cm.exception))
                self.assertGreaterEqual(elapsed, 0.3 + forkpool.GRACE - 0.05)
                self.assertLess(elapsed, 0.3 + forkpool.GRACE + 1)
                self.assertFalse(fp.connected)
            finally:
                D.send(signal.SIGCONT)
            self.assertEqual(fp.call("echo", 2, timeout=5), 2)

    def test_connection_lost_and_back(self) -> None:
        fp = forkpool.BlockingClient(D.sock)
        errors: list = []

        def call() -> None:
            try:
                fp.call("sleep", 5000)
            except forkpool.ForkPoolError as e:
                errors.append(e)
        th = threading.Thread(target=call)
        th.start()
        wait_until(lambda: D.stat("running") == 1, 5, "the sleep to run")
        t = time.monotonic()
        D.send(signal.SIGKILL)
        th.join(5)
        self.assertFalse(th.is_alive())
        self.assertLess(time.monotonic() - t, 2)
        self.assertEqual([type(e) for e in errors], [forkpool.ConnectionLost])
        D.wait()
        with self.assertRaises(forkpool.Unavailable):
            fp.call("echo", 1)
        D.restart()
        wait_until(lambda: D.stat("workers_ready") == 2, 10,
                   "two workers ready")
        self.assertEqual(fp.call("echo", 1), 1)
        fp.close()

    def test_threads_share_a_client(self) -> None:
        out: dict = {}
        with forkpool.BlockingClient(D.sock) as fp:
            def run(k: int) -> None:
                out[k] = [fp.call("echo", [k, i]) for i in range(200)]
            threads = [threading.Thread(target=run, args=(k,))
                       for k in range(8)]
            for th in threads:
                th.start()
            for th in threads:
                th.join(30)
        self.assertEqual(out, {k: [[k, i] for i in range(200)]
                               for k in range(8)})

    def test_notify(self) -> None:
        def sleeps() -> int:
            return int(D.stat("handlers").get("sleep", {}).get("calls", 0))
        before = sleeps()
        with forkpool.BlockingClient(D.sock) as fp:
            fp.notify("sleep", 1)
            fp.notify("sleep", 1, timeout=2)
        wait_until(lambda: sleeps() == before + 2, 5, "the notifications")


if __name__ == "__main__":
    unittest.main()
