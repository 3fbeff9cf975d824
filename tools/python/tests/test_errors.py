"""Each error code of the daemon that a test can provoke comes out of the
asyncio client as the exception of its class, with its attributes:
no_such_method, invalid_params, too_large, queue_full, timeout (with and
without attempts), worker_crashed (signal, status), handler_error,
circuit_open, cancelled (forkpool.cancel of a call in flight), internal,
permission_denied (as another user, when run as root).  shutting_down is
in test_connection."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
import unittest

import forkpool
from tests.daemon import Daemon, OneWorkerCase, await_until, build_dir

D: Daemon
HERE = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def setUpModule() -> None:
    global D
    tp = os.path.join(build_dir(), "tests", "plugins", "testplug.so")
    if not os.path.exists(tp):
        raise AssertionError(f"{tp} is not built (run make)")
    # One worker that takes one task at a time, a queue of one; requests
    # of at most 1K; the hang handler's configured deadline 200 ms and a
    # breaker that opens after 3 of its timeouts.
    D = Daemon("client_python_errors", workers=1, config=f"""\
prefetch 1
queue-limit 1
max-request-size 1K
respawn-backoff-max 100ms
breaker-threshold 3
breaker-window 30s
breaker-cooldown 60s
handler hang timeout 200ms
load "{tp}"
""").start()
    ErrorsTest.D = D


def tearDownModule() -> None:
    try:
        assert D.stop() == 0, "daemon exit status after SIGTERM"
    finally:
        D.cleanup()


class ErrorsTest(OneWorkerCase):

    async def test_no_such_method(self) -> None:
        with self.assertRaises(forkpool.NoSuchMethod) as cm:
            await self.fp.call("no.such", 1)
        e = cm.exception
        self.assertEqual((e.code, e.method), ("no_such_method", "no.such"))
        self.assertIsNone(e.attempts)
        # Through forkpool.call too (with an option).
        with self.assertRaises(forkpool.NoSuchMethod):
            await self.fp.call("no.such", timeout=1)

    async def test_invalid_params(self) -> None:
        with self.assertRaises(forkpool.InvalidParams) as cm:
            await self.fp.call("sleep", "soon")
        self.assertEqual(cm.exception.code, "invalid_params")
        with self.assertRaises(forkpool.InvalidParams):
            await self.fp.call("echo", 1, 2)
        # Options out of range are the daemon's to refuse.
        with self.assertRaises(forkpool.InvalidParams):
            await self.fp.call("echo", 1, retries=101)
        with self.assertRaises(forkpool.InvalidParams):
            await self.fp.call("echo", 1, id="x" * 129)

    async def test_too_large(self) -> None:
        with self.assertRaises(forkpool.TooLarge) as cm:
            await self.fp.call("echo", b"x" * 2000)
        self.assertEqual(cm.exception.code, "too_large")
        # The connection carries on.
        self.assertEqual(await self.fp.call("echo", b"x" * 500), b"x" * 500)

    async def test_queue_full(self) -> None:
        running = asyncio.ensure_future(self.fp.call("sleep", 600))
        await await_until(lambda: D.stat("running") == 1, 5, "the sleep to run")
        queued = asyncio.ensure_future(self.fp.call("sleep", 1))
        await await_until(lambda: D.stat("queued") == 1, 5, "a task in the queue")
        with self.assertRaises(forkpool.QueueFull) as cm:
            await self.fp.call("echo", 1)
        self.assertEqual(cm.exception.code, "queue_full")
        self.assertEqual(await running, 600)
        self.assertEqual(await queued, 1)

    async def test_timeout_running_and_waiting(self) -> None:
        running = asyncio.ensure_future(
            self.fp.call("sleep", 5000, timeout=0.4))
        await await_until(lambda: D.stat("running") == 1, 5, "the sleep to run")
        t = time.monotonic()
        with self.assertRaises(forkpool.Timeout) as cm:
            # Waits behind the sleep and never runs.
            await self.fp.call("echo", 1, timeout=0.1)
        self.assertIsNone(cm.exception.attempts)
        self.assertIn("never ran", cm.exception.message)
        with self.assertRaises(forkpool.Timeout) as cm:
            await running
        self.assertEqual(cm.exception.attempts, 1)
        self.assertIsInstance(cm.exception, TimeoutError)
        self.assertLess(time.monotonic() - t, 5)

    async def test_worker_crashed(self) -> None:
        with self.assertRaises(forkpool.WorkerCrashed) as cm:
            await self.fp.call("crash", 6)
        e = cm.exception
        self.assertEqual((e.code, e.signal, e.status, e.attempts),
                         ("worker_crashed", 6, None, 1))
        await await_until(lambda: D.stat("workers_ready") == 1, 10, "a new worker")
        with self.assertRaises(forkpool.WorkerCrashed) as cm:
            await self.fp.call("exit", 3)
        e = cm.exception
        self.assertEqual((e.signal, e.status, e.attempts), (None, 3, 1))

    async def test_handler_error(self) -> None:
        with self.assertRaises(forkpool.HandlerError) as cm:
            await self.fp.call("tp.fail", 8, "it went wrong")
        self.assertEqual((cm.exception.code, cm.exception.message),
                         ("handler_error", "it went wrong"))

    async def test_internal(self) -> None:
        with self.assertRaises(forkpool.Internal) as cm:
            await self.fp.call("tp.badcode")
        self.assertEqual(cm.exception.code, "internal")

    async def test_circuit_open(self) -> None:
        for _ in range(3):
            await await_until(lambda: D.stat("workers_ready") == 1, 10,
                       "a new worker")
            with self.assertRaises(forkpool.Timeout):
                await self.fp.call("hang")
        with self.assertRaises(forkpool.CircuitOpen) as cm:
            await self.fp.call("hang")
        self.assertEqual(cm.exception.code, "circuit_open")

    async def test_cancelled(self) -> None:
        # forkpool.cancel of a call in flight on the same connection,
        # sent by hand: the call's caller gets Cancelled.  (Cancelling the
        # caller's task does this for it: test_cancel.)
        task = asyncio.ensure_future(self.fp.call("sleep", 800))
        await await_until(lambda: D.stat("running") == 1, 5, "the sleep to run")
        conn = self.fp._conn
        assert conn is not None
        (msgid,) = [m for m, e in conn.pending.items() if e is not None]
        self.assertIs(await self.fp.call("forkpool.cancel", msgid), True)
        with self.assertRaises(forkpool.Cancelled) as cm:
            await task
        self.assertEqual((cm.exception.code, cm.exception.method),
                         ("cancelled", "sleep"))
        self.assertIs(await self.fp.call("forkpool.cancel", msgid), False)

    @unittest.skipUnless(os.geteuid() == 0, "needs root to run as nobody")
    async def test_permission_denied(self) -> None:
        # forkpool.reload as another user (nobody), through the blocking
        # client in a child process.
        os.chmod(D.dir, 0o755)
        os.chmod(D.sock, 0o666)
        code = ("import forkpool, sys\n"
                "try:\n"
                "    forkpool.BlockingClient(sys.argv[1]).call("
                "'forkpool.reload')\n"
                "except forkpool.PermissionDenied as e:\n"
                "    print(e.code)\n")
        env = dict(os.environ, PYTHONPATH=HERE)
        r = subprocess.run(
            ["setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
             sys.executable, "-c", code, D.sock],
            capture_output=True, text=True, timeout=30, env=env,
            cwd="/")
        self.assertEqual((r.returncode, r.stdout.strip(), r.stderr), (0, "permission_denied", ""))


if __name__ == "__main__":
    unittest.main()
