#!/usr/bin/env python3
"""agent_state.py -- an asyncio service that serialises its agents' state
through forkpool while its event loop stays responsive.

    PYTHONPATH=tools/python python3 agent_state.py [--socket PATH]
        [--rate 500] [--seconds 10] [--quick] [--kill-every S]

Every event (500 a second by default) carries the state of an agent, a dict
of about 100 KB (conversation memory, tool results, beliefs, a plan), that
must be written out as JSON.  The service sends each to forkpool's
json.encode with a 5 s deadline and daemon-side retries (retries=2: a task
whose worker dies is run again on another worker), and retries itself, with
exponential back-off and jitter, the answers that say "not now":
queue_full, circuit_open (the daemon's circuit breaker for json.encode is
open), worker_crashed (the daemon's retries were used up) and
connection_lost.  json.encode has no side effects, so running it twice is
harmless; that is what makes these retries right here.

Meanwhile a coroutine sleeps 1 ms over and over and records how late it
wakes up: the loop's lag.  At the end the service prints the lag's p50 and
p99, the events sent, answered and lost (it must lose none), the retries
by code, and checks a sample of the answers (one in 50) against the state
sent: json.loads(text) == state.

--kill-every S SIGKILLs one of the daemon's workers every S seconds (the
service must be allowed to signal them: same user, or root), to show that
crashes cost retries, not events.  It starts no daemon: it talks to the
forkpoold on --socket, else $FORKPOOL_SOCKET, else the default socket; the
daemon's default configuration will do.  Exit status 0 when no event was
lost and every check held, 1 otherwise, 2 on a usage error.

The module is also imported by ../bench/agent_state.py, which runs the
same load through loop.run_in_executor with a ThreadPoolExecutor and a
ProcessPoolExecutor.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import json
import os
import random
import signal
import sys
import time
from typing import Any, Awaitable, Callable, Dict, List, Optional

# Run from the source tree without installing the package.
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                ".."))
import forkpool  # noqa: E402

#: The answers worth trying again after a pause.
RETRYABLE = (forkpool.QueueFull, forkpool.CircuitOpen,
             forkpool.WorkerCrashed, forkpool.ConnectionLost)

WORDS = ("plan", "search", "agent", "résumé", "tool", "answer", "query",
         "memory", "naïve", "budget", "observe", "reflect", "东京", "call")


def make_state(size: int = 100_000, seed: int = 1) -> Dict[str, Any]:
    """A deterministic agent state whose compact JSON is about size bytes."""
    r = random.Random(seed)

    def text(n: int) -> str:
        return " ".join(r.choice(WORDS) for _ in range(n))

    state: Dict[str, Any] = {
        "agent_id": f"agent-{seed:04d}", "step": 0, "event": None,
        "goal": text(12), "budget": {"tokens": 200000, "spent": 0,
                                      "usd": 12.5},
        "memory": [], "tools": {}, "beliefs": {}, "plan": [],
    }
    i = 0
    while len(json.dumps(state, ensure_ascii=False,
                         separators=(",", ":"))) < size:
        state["memory"].append({
            "role": ("user", "assistant", "tool")[i % 3],
            "content": text(8 + i % 17), "ts": 1_700_000_000 + 37 * i,
            "tokens": 5 + (i * 13) % 400, "score": round(r.random(), 4),
            "flags": {"pinned": i % 11 == 0, "summary": None}})
        if i % 5 == 0:
            state["tools"][f"call_{i}"] = {
                "name": r.choice(WORDS), "ok": r.random() < 0.9,
                "latency_ms": round(r.uniform(1, 900), 2),
                "result": [r.randint(0, 10**6) for _ in range(6)]}
            state["beliefs"][f"b{i}"] = round(r.uniform(-1, 1), 4)
        if i % 9 == 0:
            state["plan"].append({"id": i, "do": text(5), "done": False})
        i += 1
    return state


def event_state(base: Dict[str, Any], i: int) -> Dict[str, Any]:
    """The state that event i carries: the base with its step and ID."""
    return {**base, "step": i, "event": f"ev-{i:06d}"}


def pct(values: List[float], p: float) -> float:
    """The p-th percentile (nearest rank) of values; 0 when empty."""
    if not values:
        return 0.0
    s = sorted(values)
    return s[min(len(s) - 1, max(0, int(round(p / 100 * len(s) + 0.5)) - 1))]


class LagMonitor:
    """Sleeps interval seconds over and over and records, in seconds, how
    much later than asked the loop woke it up."""

    def __init__(self, interval: float = 0.001) -> None:
        self.interval = interval
        self.samples: List[float] = []

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            t = loop.time()
            await asyncio.sleep(self.interval)
            self.samples.append(max(0.0, loop.time() - t - self.interval))


async def drive(rate: float, seconds: float,
                handle: Callable[[int], Awaitable[Optional[str]]],
                check_every: int = 50) -> Dict[str, Any]:
    """Send rate events a second for seconds through handle(i), which
    returns the JSON text of event i, or None if it was lost; sample the
    loop's lag meanwhile.  Returns the counts, the lag and the latencies
    (ms), the main thread's CPU time per event (us, the lag monitor's
    share included), and the texts of one event in check_every."""
    loop = asyncio.get_running_loop()
    lag = LagMonitor()
    lagger = loop.create_task(lag.run())
    n = int(rate * seconds)
    done = {"answered": 0, "lost": 0}
    lat: List[float] = []
    kept: Dict[int, str] = {}

    async def one(i: int) -> None:
        t = loop.time()
        text = await handle(i)
        if text is None:
            done["lost"] += 1
            return
        lat.append((loop.time() - t) * 1000)
        done["answered"] += 1
        if i % check_every == 0:
            kept[i] = text

    await asyncio.sleep(0.05)           # the lag monitor's first samples
    cpu = time.thread_time()            # this thread's CPU time
    start = loop.time()
    tasks = []
    for i in range(n):
        wait = start + i / rate - loop.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(loop.create_task(one(i)))
    sent_in = loop.time() - start
    await asyncio.gather(*tasks)
    elapsed = loop.time() - start
    cpu = time.thread_time() - cpu
    lagger.cancel()
    try:
        await lagger
    except asyncio.CancelledError:
        pass
    lags = [x * 1000 for x in lag.samples]
    return {"sent": n, "answered": done["answered"], "lost": done["lost"],
            "rate": n / sent_in if sent_in > 0 else 0.0,
            "elapsed": elapsed, "lag_p50": pct(lags, 50),
            "lag_p99": pct(lags, 99), "lag_max": max(lags, default=0.0),
            "lag_n": len(lags), "lat_p50": pct(lat, 50),
            "lat_p99": pct(lat, 99), "kept": kept,
            "main_us": cpu / n * 1e6 if n else 0.0}


class Offloader:
    """json.encode through forkpool with a deadline, the daemon's retries,
    and the client's own retries with exponential back-off and jitter."""

    def __init__(self, fp: forkpool.Client, timeout: float = 5.0,
                 retries: int = 2, budget: float = 30.0,
                 first: float = 0.02, cap: float = 1.0) -> None:
        self.fp = fp
        self.timeout = timeout
        self.retries = retries
        self.budget = budget            # seconds per event, retries included
        self.first = first
        self.cap = cap
        self.retried: Dict[str, int] = collections.Counter()
        self.errors: Dict[str, int] = collections.Counter()

    async def encode(self, state: Dict[str, Any], cid: str) -> Optional[str]:
        loop = asyncio.get_running_loop()
        give_up = loop.time() + self.budget
        delay = self.first
        while True:
            try:
                r = await self.fp.call("json.encode", state,
                                       timeout=self.timeout,
                                       retries=self.retries, id=cid)
                return r["text"]
            except RETRYABLE as e:
                if loop.time() + delay > give_up:
                    self.errors[e.code] += 1
                    return None
                self.retried[e.code] += 1
                await asyncio.sleep(delay * random.uniform(0.5, 1.0))
                delay = min(self.cap, delay * 2)
            except forkpool.ForkPoolError as e:
                self.errors[e.code] += 1
                return None


async def killer(fp: forkpool.Client, every: float, killed: List[int]) -> None:
    """SIGKILL a worker every `every' seconds, a busy one if there is."""
    while True:
        await asyncio.sleep(every)
        ws = [w for w in await fp.workers() if w["pid"] > 0]
        busy = [w for w in ws if w["state"] == "busy"] or ws
        if busy:
            pid = random.choice(busy)["pid"]
            try:
                os.kill(pid, signal.SIGKILL)
                killed.append(pid)
            except ProcessLookupError:
                pass


def verify(base: Dict[str, Any], kept: Dict[int, str]) -> int:
    """How many of the kept texts read back as the state that was sent."""
    return sum(json.loads(t) == event_state(base, i) for i, t in kept.items())


async def main(argv: Optional[List[str]] = None) -> int:
    ap = argparse.ArgumentParser(
        description="500 events/s of a ~100 KB agent state through "
        "forkpool's json.encode, with the loop's lag sampled.")
    ap.add_argument("--socket", help="the daemon's socket (default: "
                    "$FORKPOOL_SOCKET, else the default socket)")
    ap.add_argument("--rate", type=float, default=500.0,
                    help="events per second (500)")
    ap.add_argument("--seconds", type=float, default=10.0,
                    help="how long to send (10)")
    ap.add_argument("--size", type=int, default=100_000,
                    help="bytes of JSON per state (100000)")
    ap.add_argument("--quick", action="store_true",
                    help="2 seconds instead of --seconds")
    ap.add_argument("--kill-every", type=float, metavar="S",
                    help="SIGKILL a worker every S seconds")
    a = ap.parse_args(argv)
    if a.rate <= 0 or a.seconds <= 0 or a.size < 1000 or (
            a.kill_every is not None and a.kill_every <= 0):
        ap.error("--rate, --seconds and --kill-every must be positive, "
                 "--size at least 1000")
    seconds = 2.0 if a.quick else a.seconds
    base = make_state(a.size)
    size = len(json.dumps(base, ensure_ascii=False, separators=(",", ":"))
               .encode())
    async with forkpool.Client(a.socket or None) as fp:
        off = Offloader(fp)
        print(f"agent_state: {a.rate:.0f} events/s for {seconds:g} s of a "
              f"{size / 1000:.1f} KB agent state through json.encode "
              f"(timeout {off.timeout:g} s, daemon retries {off.retries}, "
              f"client back-off on {', '.join(e.code for e in RETRYABLE)})",
              flush=True)
        killed: List[int] = []
        kill_task = None
        if a.kill_every:
            kill_task = asyncio.get_running_loop().create_task(
                killer(fp, a.kill_every, killed))

        async def handle(i: int) -> Optional[str]:
            return await off.encode(event_state(base, i), f"ev-{i:06d}")

        try:
            r = await drive(a.rate, seconds, handle)
        finally:
            if kill_task is not None:
                kill_task.cancel()
                await asyncio.gather(kill_task, return_exceptions=True)
    good = verify(base, r["kept"])
    print(f"retries: " + ", ".join(f"{e.code} {off.retried[e.code]}"
                                   for e in RETRYABLE)
          + (f"; workers killed {len(killed)}" if a.kill_every else ""))
    if off.errors:
        print("errors: " + ", ".join(f"{k} {v}"
                                     for k, v in sorted(off.errors.items())))
    print(f"loop lag: p50 {r['lag_p50']:.2f} ms, p99 {r['lag_p99']:.2f} ms, "
          f"max {r['lag_max']:.2f} ms ({r['lag_n']} samples)")
    print(f"latency: p50 {r['lat_p50']:.2f} ms, p99 {r['lat_p99']:.2f} ms; "
          f"sent at {r['rate']:.0f} events/s; main thread "
          f"{r['main_us']:.0f} us of CPU per event")
    print(f"checked: {good} of {len(r['kept'])} sampled answers read back "
          f"as the state sent")
    print(f"events: sent {r['sent']}, answered {r['answered']}, "
          f"lost {r['sent'] - r['answered']}")
    return 0 if r["answered"] == r["sent"] and good == len(r["kept"]) else 1


if __name__ == "__main__":
    try:
        sys.exit(asyncio.run(main()))
    except forkpool.ForkPoolError as e:
        print(f"agent_state: {e}", file=sys.stderr)
        sys.exit(1)
