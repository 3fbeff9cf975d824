#!/usr/bin/env python3
"""agent_state.py -- benchmark of the agent-state scenario
(../examples/agent_state.py): a steady rate of ~100 KB states serialised as
JSON while the event loop's lag is sampled, four ways:

    forkpool  json.encode through forkpool (timeout 5 s, retries 2, the
              client's back-off), on the daemon's 2 workers
    thread    loop.run_in_executor(ThreadPoolExecutor(2), json.dumps, state)
    process   loop.run_in_executor(ProcessPoolExecutor(2), json.dumps, state)
    inproc    json.dumps(state) on the loop itself

    PYTHONPATH=tools/python python3 agent_state.py [--socket PATH]
        [--rate 500] [--seconds 3] [--quick] [--variants forkpool,...]

Prints a table (the format of tools/node/bench/lib.js, which
tests/bench/clients.sh reads): events/s answered, the loop's lag p50 and
p99 (ms), the latency p99 of an event (ms), the main thread's CPU time per
event (us) and the events lost.
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import functools
import json
import os
import sys
from typing import Any, Dict, Optional

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                "..", "examples"))
import agent_state as ex  # noqa: E402
import forkpool  # noqa: E402  (the path is set by agent_state)

METRICS = ("ev_s", "lag_p50_ms", "lag_p99_ms", "lat_p99_ms", "main_us",
           "lost")
dumps = functools.partial(json.dumps, ensure_ascii=False,
                          separators=(",", ":"))


def row(case: str, variant: str, r: Dict[str, Any]) -> None:
    vals = {"ev_s": r["answered"] / r["elapsed"], "lag_p50_ms": r["lag_p50"],
            "lag_p99_ms": r["lag_p99"], "lat_p99_ms": r["lat_p99"],
            "main_us": r["main_us"],
            "lost": r["sent"] - r["answered"]}

    def fmt(v: float) -> str:
        return (f"{v}" if isinstance(v, int) else f"{v:.0f}" if v >= 100 else f"{v:.1f}" if v >= 10
                else f"{v:.2f}")
    print(" ".join(["agent-state".ljust(12), case.ljust(14), variant.ljust(10)]
                   + [fmt(vals[m]).rjust(12) for m in METRICS]), flush=True)


async def run(a: argparse.Namespace) -> int:
    base = ex.make_state(a.size)
    size = len(dumps(base).encode())
    case = f"{a.rate:.0f}/s-{size // 1000}KB"
    print(f"# agent-state: {a.rate:.0f} events/s for {a.seconds:g} s of a "
          f"{size / 1000:.1f} KB state serialised as JSON; python "
          f"{sys.version.split()[0]}, {os.cpu_count()} cpus")
    print("# ev_s: events answered per second; lag: how late a 1 ms sleep "
          "of the loop wakes up; lat: an event's latency; main_us: the main "
          "thread's CPU time per event; lost: events without an answer")
    print(" ".join(["bench".ljust(12), "case".ljust(14), "variant".ljust(10)]
                   + [m.rjust(12) for m in METRICS]), flush=True)
    loop = asyncio.get_running_loop()
    failed = False
    want = dumps(ex.event_state(base, 0))

    def check(name: str, r: Dict[str, Any]) -> None:
        nonlocal failed
        if ex.verify(base, r["kept"]) != len(r["kept"]):
            print(f"# FAIL: {name}: an answer does not read back as its "
                  f"state")
            failed = True

    for v in a.variants:
        if v == "forkpool":
            async with forkpool.Client(a.socket or None) as fp:
                off = ex.Offloader(fp)
                got = await off.encode(ex.event_state(base, 0), "check")
                if got is None or json.loads(got) != json.loads(want):
                    print("# FAIL: forkpool: json.encode's text differs")
                    failed = True

                async def handle(i: int) -> Optional[str]:
                    return await off.encode(ex.event_state(base, i),
                                            f"ev-{i}")
                r = await ex.drive(a.rate, a.seconds, handle)
        elif v in ("thread", "process"):
            pool = (concurrent.futures.ThreadPoolExecutor(2) if v == "thread"
                    else concurrent.futures.ProcessPoolExecutor(2))
            with pool:
                # Start the workers before the clock does.
                await asyncio.gather(*(loop.run_in_executor(pool, dumps, {})
                                       for _ in range(4)))

                async def handle(i: int) -> Optional[str]:
                    return await loop.run_in_executor(
                        pool, dumps, ex.event_state(base, i))
                r = await ex.drive(a.rate, a.seconds, handle)
        else:
            async def handle(i: int) -> Optional[str]:
                return dumps(ex.event_state(base, i))
            r = await ex.drive(a.rate, a.seconds, handle)
        check(v, r)
        row(case, v, r)
        if r["answered"] != r["sent"]:
            failed = True
    return 1 if failed else 0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--socket")
    ap.add_argument("--rate", type=float, default=500.0)
    ap.add_argument("--seconds", type=float, default=3.0)
    ap.add_argument("--size", type=int, default=100_000)
    ap.add_argument("--quick", action="store_true", help="1 s a variant")
    ap.add_argument("--variants", default="forkpool,thread,process,inproc")
    a = ap.parse_args()
    a.variants = a.variants.split(",")
    bad = set(a.variants) - {"forkpool", "thread", "process", "inproc"}
    if bad or a.rate <= 0 or a.seconds <= 0:
        ap.error(f"unknown variants {sorted(bad)}" if bad
                 else "--rate and --seconds must be positive")
    if a.quick:
        a.seconds = 1.0
    return asyncio.run(run(a))


if __name__ == "__main__":
    sys.exit(main())
