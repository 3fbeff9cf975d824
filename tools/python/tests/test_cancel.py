"""Cancelling the task that awaits a call cancels the call in the daemon
(forkpool.cancel): a running `sleep 5000` is stopped promptly (with
cancel-running kill its worker is replaced and free for the next call),
a queued call never runs, asyncio.wait_for does the same, and the late
"cancelled" answers are read and dropped by the client."""

from __future__ import annotations

import asyncio
import time
import unittest

from tests.daemon import Daemon, OneWorkerCase, await_until

D: Daemon


def setUpModule() -> None:
    global D
    D = Daemon("client_python_cancel", workers=1, config="""\
prefetch 1
queue-limit 5000
cancel-running kill
respawn-backoff-max 100ms
breaker-threshold 0
""").start()
    CancelTest.D = D


def tearDownModule() -> None:
    try:
        assert D.stop() == 0, "daemon exit status after SIGTERM"
    finally:
        D.cleanup()


class CancelTest(OneWorkerCase):

    def pending(self) -> dict:
        conn = self.fp._conn
        assert conn is not None
        return conn.pending

    async def check_free(self) -> None:
        """The forkpool.cancel and the late answers were all read and
        dropped; the one worker takes a new call at once."""
        await await_until(lambda: self.pending() == {}, 5,
                          "the late answers to be read")
        t = time.monotonic()
        self.assertEqual(await self.fp.call("echo", "next", timeout=5),
                         "next")
        self.assertLess(time.monotonic() - t, 3)

    async def test_task_cancel_stops_the_running_task(self) -> None:
        before = D.stat("tasks_cancelled")
        task = asyncio.ensure_future(self.fp.call("sleep", 5000))
        await await_until(lambda: D.stat("running") == 1, 5,
                          "the sleep to run")
        t = time.monotonic()
        task.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await task
        self.assertLess(time.monotonic() - t, 0.5)
        await await_until(lambda: D.stat("tasks_cancelled") == before + 1,
                          3, "tasks_cancelled to grow")
        await self.check_free()

    async def test_wait_for(self) -> None:
        before = D.stat("tasks_cancelled")
        t = time.monotonic()
        with self.assertRaises(asyncio.TimeoutError):
            await asyncio.wait_for(self.fp.call("sleep", 5000), 0.3)
        self.assertLess(time.monotonic() - t, 1.5)
        await await_until(lambda: D.stat("tasks_cancelled") == before + 1,
                          3, "tasks_cancelled to grow")
        await self.check_free()

    async def test_queued_calls_never_run(self) -> None:
        before = D.stat("tasks_cancelled")
        first = asyncio.ensure_future(self.fp.call("sleep", 300))
        await await_until(lambda: D.stat("running") == 1, 5,
                          "the sleep to run")
        queued = [asyncio.ensure_future(self.fp.call("spin", 3000000))
                  for _ in range(50)]
        await await_until(lambda: D.stat("queued") == 50, 5,
                          "50 calls in the queue")
        for q in queued:
            q.cancel()
        await asyncio.gather(*queued, return_exceptions=True)
        self.assertTrue(all(q.cancelled() for q in queued))
        await await_until(lambda: D.stat("queued") == 0, 3,
                          "the queue to empty")
        self.assertEqual(await first, 300)
        await await_until(lambda: D.stat("tasks_cancelled") == before + 50,
                          3, "tasks_cancelled to grow by 50")
        spin = D.stat("handlers").get("spin", {})
        self.assertEqual(spin.get("ok", 0), 0)
        await self.check_free()

    async def test_cancel_after_answer_sends_nothing(self) -> None:
        # A call whose answer has come is not cancelled in the daemon
        # (forkpool.cancel would answer false): nothing is left pending.
        self.assertEqual(await self.fp.call("echo", 1), 1)
        task = asyncio.ensure_future(self.fp.call("echo", 2))
        await await_until(lambda: self.pending() == {}, 5, "the answer")
        task.cancel()
        with self.assertRaises(asyncio.CancelledError):
            await task
        self.assertEqual(self.pending(), {})

    async def test_many_cancelled_while_others_answer(self) -> None:
        # Cancelled and answered calls mixed on one connection: every
        # caller gets its own answer, none is lost or given to another.
        calls = [asyncio.ensure_future(self.fp.call("echo", i))
                 for i in range(2000)]
        # Sent, and some answered already.
        await await_until(lambda: len(self.pending()) < 2000, 5,
                          "the first answers")
        for i in range(0, 2000, 3):
            calls[i].cancel()
        got = await asyncio.gather(*calls, return_exceptions=True)
        ncancelled = 0
        for i, g in enumerate(got):
            if i % 3 == 0 and isinstance(g, asyncio.CancelledError):
                ncancelled += 1
            else:
                self.assertEqual(g, i)
        self.assertGreater(ncancelled, 0)
        await self.check_free()


if __name__ == "__main__":
    unittest.main()
