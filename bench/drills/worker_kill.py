"""Drill: kill -9 the worker while files flow; count them.

Puts positions files of its own at a steady rate; after a third of them it
SIGKILLs the worker (the Celery main process, as an OOM kill would) and the
stack's supervisor starts it again. Then: files lost (no history item), files
applied twice (more than one history item for a key: exactly one each), and
the RTO: from the kill until a file put after it is on on-call's feed page.
RPO: the span of the files lost (their count times the put interval).
"""

from __future__ import annotations

import os
import signal

from bench.drills.stack import (
    DrillResult,
    SteadyPutter,
    files_count,
    seconds,
    stack_running,
    wait_for,
    wait_or_exit,
)

NAME = "worker kill -9 mid-stream"


def drill_run(*, port: int = 8610, files: int = 45, every_s: float = 0.5) -> DrillResult:
    with stack_running(port=port) as stack:
        trader, oncall = stack.browser("trader"), stack.browser("oncall")
        wait_or_exit(
            lambda: trader.get("/api/spot-risk/")[0] == 200, within_s=90, what="simulated spot risk"
        )
        worker = stack.processes()["worker"]
        with SteadyPutter(stack, files=files, every_s=every_s) as putter:
            putter.wait_put(files // 3)
            os.kill(int(worker["pid"]), signal.SIGKILL)
            first_after = max(putter.put_at) + 1
            restarted_s = wait_for(
                lambda: stack.processes().get("worker", {}).get("pid") not in (None, worker["pid"]),
                within_s=60,
            )
            served_s = wait_for(putter.served_after(oncall, first_after), within_s=90)
            putter.finish()
        count = files_count(stack, putter)
        restarts = stack.processes().get("worker", {}).get("restarts")
    notes = [
        f"{count.put} files put, one every {every_s:.1f} s; worker SIGKILLed after file "
        f"{first_after - 1}; the supervisor had it running again {seconds(restarted_s)} "
        f"later (restarts: {restarts})",
        count.note(),
        f"a file put after the kill on the ops feed page {seconds(served_s)} after the kill",
    ]
    if putter.errors:
        notes.append(f"puts that failed: {len(putter.errors)} (first: {putter.errors[0]})")
    if count.lost:
        notes.append("lost: " + ", ".join(k.rsplit("/", 1)[1] for k in count.lost[:5]))
    return DrillResult(
        name=NAME,
        rto_s=served_s,
        rpo_s=len(count.lost) * every_s,
        notes=notes,
        checks_ok=not count.twice and not putter.errors,
    )
