"""Drill: FLUSHALL the state store while files flow.

Notes every feed's latest state in the store (``frgm:{feed}:meta`` and
``:rows``), puts positions files of its own at a steady rate and, after a
third of them, flushes the store (redis-py on its port, as an operator's slip
or a failover to an empty node would). RTO: from the flush until every feed's
latest state is back (the self-heal from history on the next file) and a file
put after the flush is on on-call's feed page. RPO: the span of files lost.
"""

from __future__ import annotations

import time

import redis

from bench.drills.stack import (
    DrillResult,
    SteadyPutter,
    files_count,
    seconds,
    stack_running,
    wait_for,
    wait_or_exit,
)

NAME = "state store FLUSHALL under flow"


def _latest_keys(store: redis.Redis) -> set[str]:
    keys = set()
    for pattern in ("frgm:*:meta", "frgm:*:rows"):
        keys |= {k.decode() for k in store.scan_iter(match=pattern, count=1000)}
    return keys


def drill_run(*, port: int = 8620, files: int = 45, every_s: float = 0.5) -> DrillResult:
    store = redis.Redis(host="127.0.0.1", port=port + 1, socket_timeout=5)
    try:
        with stack_running(port=port) as stack:
            trader, oncall = stack.browser("trader"), stack.browser("oncall")
            wait_or_exit(
                lambda: trader.get("/api/spot-risk/")[0] == 200,
                within_s=90,
                what="simulated spot risk",
            )
            with SteadyPutter(stack, files=files, every_s=every_s) as putter:
                putter.wait_put(files // 3)
                before = _latest_keys(store)
                store.flushall()
                flushed_at = time.monotonic()
                first_after = max(putter.put_at) + 1
                healed_s = wait_for(lambda: before <= _latest_keys(store), within_s=90)
                served_s = wait_for(putter.served_after(oncall, first_after), within_s=90)
                served_s = None if served_s is None else time.monotonic() - flushed_at
                missing = sorted(before - _latest_keys(store))
                putter.finish()
            count = files_count(stack, putter)
    finally:
        store.close()
    rto = None if healed_s is None or served_s is None else max(healed_s, served_s)
    feeds = sorted({k.split(":")[1] for k in before})
    notes = [
        f"{count.put} files put, one every {every_s:.1f} s; FLUSHALL after file {first_after - 1}",
        f"latest state of every feed back ({len(before)} keys, {', '.join(feeds)}) "
        f"{seconds(healed_s)} after the flush"
        + (f"; still missing: {', '.join(missing[:4])}" if missing else ""),
        f"a file put after the flush on the ops feed page {seconds(served_s)} after the flush",
        count.note(),
    ]
    if putter.errors:
        notes.append(f"puts that failed: {len(putter.errors)} (first: {putter.errors[0]})")
    return DrillResult(
        name=NAME,
        rto_s=rto,
        rpo_s=len(count.lost) * every_s,
        notes=notes,
        checks_ok=not count.twice and not putter.errors,
    )
