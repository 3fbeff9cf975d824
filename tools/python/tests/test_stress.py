"""The asyncio client under pressure: a 16 MiB bytes echo; 20,000 calls
at once against a daemon that reads at most 64 outstanding requests of a
connection (max-outstanding 64): every call is answered, nothing hangs,
and the requests the client holds for writing stay bounded (back-pressure:
calls wait before they are encoded); a connection lost with thousands of
calls waiting to be written fails them all."""

from __future__ import annotations

import asyncio
import sys
import time
import unittest

import forkpool
from forkpool import aio
from tests.daemon import AsyncTestCase, Daemon, await_until

D: Daemon


def setUpModule() -> None:
    global D
    D = Daemon("client_python_stress", workers=2, config="""\
max-outstanding 64
queue-limit 100000
respawn-backoff-max 100ms
""").start()


def tearDownModule() -> None:
    try:
        assert D.stop() == 0, "daemon exit status after SIGTERM"
    finally:
        D.cleanup()


class StressTest(AsyncTestCase):

    async def test_16mib_echo(self) -> None:
        big = bytes(range(256)) * (1 << 16)
        self.assertEqual(len(big), 16 << 20)
        async with forkpool.Client(D.sock) as fp:
            t = time.monotonic()
            got = await fp.call("echo", big, timeout=60)
            self.assertEqual(got, big)
            # And two at once, with small calls between.
            r = await asyncio.gather(fp.call("echo", big), fp.call("echo", 1),
                                     fp.call("echo", memoryview(big)))
            self.assertEqual(r, [big, 1, big])
            print(f"\n    3 echoes of 16 MiB: {time.monotonic() - t:.2f} s",
                  file=sys.stderr)

    async def test_backpressure_20000(self) -> None:
        payload = b"p" * 1024
        n = 20000
        async with forkpool.Client(D.sock) as fp:
            conn = fp._conn
            assert conn is not None and conn.transport is not None
            peak = {"buffered": 0, "paused": 0, "waiting": 0}
            stop = False

            async def sample() -> None:
                while not stop:
                    assert conn is not None and conn.transport is not None
                    b = conn.transport.get_write_buffer_size() + conn.out_bytes
                    peak["buffered"] = max(peak["buffered"], b)
                    peak["paused"] += conn.paused
                    peak["waiting"] = max(peak["waiting"],
                                          len(conn.resume_waiters))
                    await asyncio.sleep(0.005)
            sampler = asyncio.ensure_future(sample())
            t = time.monotonic()
            got = await asyncio.wait_for(
                asyncio.gather(*(fp.call("echo", [i, payload])
                                 for i in range(n))), 60)
            elapsed = time.monotonic() - t
            stop = True
            await sampler
            self.assertEqual([g[0] for g in got], list(range(n)))
            self.assertTrue(all(g[1] == payload for g in got))
            print(f"\n    {n} calls of 1 KiB, max-outstanding 64: "
                  f"{elapsed:.2f} s; peak bytes held for writing "
                  f"{peak['buffered']}, calls waiting {peak['waiting']}",
                  file=sys.stderr)
            # The daemon stopped reading, so calls had to wait ...
            self.assertGreater(peak["waiting"], 0)
            # ... and what was held for writing stayed about the high mark
            # (not 20 MiB): the transport's buffer plus one turn's requests.
            self.assertLess(peak["buffered"], 3 * aio._HIGH_WATER)
            self.assertEqual(conn.pending, {})

    async def test_close_while_waiting_to_write(self) -> None:
        # close() waits for the calls and notifications that wait to be
        # written, not only for those sent: here notifications (no answer
        # to wait for) fill the buffers and calls wait behind them; they
        # used to raise ConnectionLost, unsent.
        before = D.stat("handlers").get("echo", {}).get("calls", 0)
        payload = b"n" * 65536
        fp = forkpool.Client(D.sock)
        await fp.connect()
        notes = [asyncio.ensure_future(fp.notify("echo", payload))
                 for _ in range(100)]
        calls = [asyncio.ensure_future(fp.call("echo", i)) for i in range(10)]
        await asyncio.sleep(0)
        conn = fp._conn
        assert conn is not None
        self.assertGreater(len(conn.resume_waiters), 0)
        await asyncio.wait_for(fp.close(), 30)
        self.assertEqual(await asyncio.gather(*notes), [None] * 100)
        self.assertEqual(await asyncio.gather(*calls), list(range(10)))
        await await_until(lambda: D.stat("handlers")["echo"]["calls"] ==
                          before + 110, 10, "the notifications to run")

    async def test_lost_while_waiting_to_write(self) -> None:
        payload = b"q" * 1024
        async with forkpool.Client(D.sock) as fp:
            conn = fp._conn
            assert conn is not None and conn.transport is not None
            # Stop reading answers: the daemon stops reading requests at
            # 64 outstanding, and the calls back up in the client.
            conn.transport.pause_reading()
            tasks = [asyncio.ensure_future(fp.call("echo", payload))
                     for _ in range(5000)]
            await await_until(lambda: len(conn.resume_waiters) > 1000, 10,
                              "calls waiting to be written")
            # A cancelled waiter never sends its request.
            tasks[-1].cancel()
            fp.abort()
            done, _ = await asyncio.wait(tasks, timeout=5)
            self.assertEqual(len(done), 5000)
            self.assertTrue(tasks[-1].cancelled())
            for x in tasks[:-1]:
                self.assertIsInstance(x.exception(), forkpool.ConnectionLost)
        async with forkpool.Client(D.sock) as fp:
            self.assertEqual(await fp.call("echo", 1), 1)


if __name__ == "__main__":
    unittest.main()
