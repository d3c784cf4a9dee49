"""Drill: stop the state store for 20 s, then start it again.

SIGTERMs the state store's ``redis-server`` and asks every page and API call
every second for the outage: any 500 fails the drill. It starts the server
again with the same command line (its data: appendonly), puts a new positions
file and times until on-call's feed page lists it (nobody restarting anything).
RTO: from the store back to that file on the page; RPO: the drill's file lost.
"""

from __future__ import annotations

import os
import signal
import time
from pathlib import Path

from bench.drills.stack import (
    DrillResult,
    drill_base,
    drill_key,
    file_put,
    redis_pid,
    stack_running,
    wait_for,
    wait_or_exit,
)

PAGES = ("/ladder/", "/ladder/spot-risk/", "/ladder/analytics/", "/ops/", "/ops/intake/")
API = ("/api/ladder/", "/api/spot-risk/")
NAME = "state store stopped 20 s"


def drill_run(*, port: int = 8600, outage_s: float = 20.0) -> DrillResult:
    with stack_running(port=port) as stack:
        trader, oncall = stack.browser("trader"), stack.browser("oncall")
        wait_or_exit(
            lambda: trader.get("/api/spot-risk/")[0] == 200, within_s=90, what="simulated spot risk"
        )
        os.kill(redis_pid(stack.state_port), signal.SIGTERM)
        down_at = time.monotonic()
        seen: dict[str, dict[int, int]] = {}
        while time.monotonic() - down_at < outage_s:
            for path in PAGES + API:
                status, _ = (oncall if path.startswith("/ops/") else trader).get(path)
                seen.setdefault(path, {}).setdefault(status, 0)
                seen[path][status] += 1
            time.sleep(1.0)
        stack.state_store_start()
        back_at = time.monotonic()
        key = drill_key(drill_base(), 0)
        file_put(stack, key)
        put_at = time.monotonic()
        served_s = wait_for(
            lambda: Path(key).name in oncall.get("/ops/feeds/tt-positions/")[1], within_s=60
        )
    errors = {p: s for p, s in seen.items() if any(code >= 500 and code != 503 for code in s)}
    api_ok = all(set(seen[p]) <= {200, 503} for p in API)
    notes = [f"{path:<22} {', '.join(f'{c}x{n}' for c, n in sorted(st.items()))}"
             for path, st in seen.items()]  # fmt: skip
    notes.insert(0, f"answers during the {outage_s:.0f} s outage (status x count):")
    rto = None if served_s is None else put_at - back_at + served_s
    notes.append(
        f"store back after {back_at - down_at:.1f} s; a file put {put_at - back_at:.1f} s "
        f"later was on the ops feed page {_or_never(served_s)} after its PUT"
    )
    return DrillResult(
        name=NAME,
        rto_s=rto,
        rpo_s=0.0 if served_s is not None else None,
        notes=notes,
        checks_ok=not errors and api_ok,
    )


def _or_never(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"
