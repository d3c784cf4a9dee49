"""Drill: restart the web process with 500 websocket clients connected.

500 trader clients hold ``/ws/spot-risk/`` open (in a process of their own,
reconnecting with live.js's own backoff and jitter: ``web_clients.py``) while
the simulator's files flow. The drill SIGTERMs the web process (uvicorn, as a
deploy or an OOM-restart would stop it); devstack's supervisor starts it again.

Measured: when each client tried again (tries per 250 ms after the stop: a
thundering herd would put most of them in one slot), when each got a fresh
snapshot on the new process (p50/p95/max after the stop), that every client got
one and then deltas in sequence from it, and the RTO: from the stop until the
last client had its snapshot and a live update after it. No file is at risk in
this drill (the worker ingests throughout): positions files of the drill's own
flow one a second and are counted (RPO: their span lost; none applied twice).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from collections import Counter
from typing import Any

from bench.drills.stack import (
    DrillResult,
    SteadyPutter,
    files_count,
    seconds,
    stack_running,
    wait_for,
    wait_or_exit,
)
from bench.drills.web_clients import LAG_NOTED_S, clients_process, live_js_backoff
from bench.stats import percentile

SLOT_S = 0.25
CLIENT_PROCESSES = 2  # as bench.fanout: one asyncio loop for 500 sockets lags on 2 cores


def _after(times: list[Any], moment: float) -> Any:
    return next((t for t in times if (t[0] if isinstance(t, list | tuple) else t) > moment), None)


def _spread(values: list[float]) -> str:
    if not values:
        return "none"
    ordered = sorted(values)
    return (
        f"p50 {percentile(ordered, 50):.1f} s, p95 {percentile(ordered, 95):.1f} s, "
        f"p99 {percentile(ordered, 99):.1f} s, max {ordered[-1]:.1f} s"
    )


def _connect_rate(snapshot_s: list[float], serving_s: float | None) -> str:
    """Fresh snapshots a second, from the web answering /healthz to the last one:
    what the restarted process served, whatever the clients' schedule."""
    if not snapshot_s or serving_s is None:
        return "no rate (no snapshot, or the web never answered)"
    span = max(snapshot_s) - serving_s
    if span <= 0:
        return f"all {len(snapshot_s)} before /healthz answered"
    return f"{len(snapshot_s) / span:.0f} a second ({len(snapshot_s)} in {span:.1f} s)"


def _histogram(offsets: list[float], *, slot_s: float, until_s: float) -> list[str]:
    """Tries per slot after the stop, one line per second: ``0-1 s: 3 41 12 0``."""
    slots = Counter(int(t // slot_s) for t in offsets if 0 <= t < until_s)
    per_second = int(1 / slot_s)
    lines = []
    for second in range(int(until_s)):
        counts = [slots.get(second * per_second + i, 0) for i in range(per_second)]
        if any(counts):
            lines.append(f"{second:>2}-{second + 1:<2} s: " + " ".join(f"{c:>3}" for c in counts))
    return lines


def drill_run(*, port: int = 8650, clients: int = 500, watch_s: float = 120.0) -> DrillResult:
    ctx = multiprocessing.get_context("spawn")  # a clean interpreter: nothing of Django's
    with stack_running(port=port) as stack:
        trader = stack.browser("trader")
        wait_or_exit(
            lambda: trader.get("/api/spot-risk/")[0] == 200, within_s=90, what="simulated spot risk"
        )
        stop, out, ready = ctx.Event(), ctx.Queue(), ctx.Value("i", 0)
        back = (ctx.Value("d", 0.0), ctx.Value("i", 0))  # (the stop's time, clients back)
        url = f"ws://127.0.0.1:{port}/ws/spot-risk/"
        shares = [clients // CLIENT_PROCESSES + (i < clients % CLIENT_PROCESSES)
                  for i in range(CLIENT_PROCESSES)]  # fmt: skip
        processes = [
            ctx.Process(
                target=clients_process,
                args=(url, stack.base, trader.cookie_header(), share, stop, ready, back, out),
                daemon=True,
            )
            for share in shares
        ]
        for process in processes:
            process.start()
        # Files flow throughout (the worker is not restarted): none may be lost or doubled.
        putter = SteadyPutter(stack, files=600, every_s=1.0).__enter__()
        try:
            connected_s = wait_for(lambda: ready.value >= clients, within_s=180, every_s=0.5)
            time.sleep(5)  # a few live updates each before the stop
            web = stack.processes()["web"]
            stopped_at = back[0].value = time.time()
            os.kill(int(web["pid"]), signal.SIGTERM)
            restarted_s = wait_for(
                lambda: stack.processes().get("web", {}).get("pid") not in (None, web["pid"]),
                within_s=60,
            )
            answered = wait_for(lambda: trader.get("/healthz")[0] == 200, within_s=90, every_s=0.1)
            serving_s = None if answered is None else time.time() - stopped_at
            # Every client back (bounded), then a few seconds of deltas after the last.
            wait_for(lambda: back[1].value >= clients, within_s=watch_s, every_s=0.5)
            time.sleep(5)
        finally:
            putter.__exit__()
            stop.set()
            parts = [out.get(timeout=60) for _ in processes]
            for process in processes:
                process.join(timeout=30)
                if process.is_alive():
                    process.kill()
        restarts = stack.processes().get("web", {}).get("restarts")
        count = files_count(stack, putter)
    logs = [log for part in parts for log in part["logs"]]
    lags = [lag for part in parts for lag in part["lags"]]
    result = _result(logs, stopped_at, restarted_s, serving_s, restarts, clients)
    result.notes.append(f"positions files put one a second throughout: {count.note()}")
    if result.rpo_s is not None:
        result.rpo_s = len(count.lost) * putter.every_s
    result.checks_ok = result.checks_ok and not count.twice and not putter.errors
    worst = max(lags, key=lambda lag: lag[1], default=None)
    result.notes.insert(
        1,
        f"all {clients} connected {seconds(connected_s)} after the first try, in "
        f"{CLIENT_PROCESSES} client processes; their loops ran late by more than "
        f"{LAG_NOTED_S:.1f} s {len(lags)} times"
        + (f" (worst {worst[1]:.1f} s, {worst[0] - stopped_at:+.1f} s from the stop)" if worst
           else ""),
    )  # fmt: skip
    return result


def _result(
    logs: list[dict[str, Any]],
    stopped_at: float,
    restarted_s: float | None,
    serving_s: float | None,
    restarts: object,
    clients: int,
) -> DrillResult:
    connected_before = sum(1 for log in logs if any(t < stopped_at for t, _ in log["snapshots"]))
    retry_offsets = [t - stopped_at for log in logs for t in log["tries"] if t > stopped_at]
    first_retry = [t - stopped_at for log in logs if (t := _after(log["tries"], stopped_at))]
    fresh = [(log, _after(log["snapshots"], stopped_at)) for log in logs]
    snapshot_s = [snap[0] - stopped_at for _, snap in fresh if snap]
    live_s = []  # stop -> the first delta after the fresh snapshot
    in_sequence = 0
    for log, snap in fresh:
        if not snap:
            continue
        delta = _after(log["deltas"], snap[0])
        if delta:
            live_s.append(delta[0] - stopped_at)
            in_sequence += delta[1] > snap[1]
    seq_before = [
        max((seq for t, seq in log["snapshots"] + log["deltas"] if t < stopped_at), default=None)
        for log in logs
    ]
    sample = next(((b, s[1]) for b, (_, s) in zip(seq_before, fresh, strict=True) if s), None)
    busiest = max(Counter(int(t // SLOT_S) for t in retry_offsets).values(), default=0)
    up_s = serving_s or 0.0
    busiest_up = max(
        Counter(int(t // SLOT_S) for t in retry_offsets if t >= up_s).values(), default=0
    )
    backoff_min, backoff_max = live_js_backoff()
    all_back = len(snapshot_s) == clients and len(live_s) == clients
    rto = max(live_s) if all_back else None
    gaps = sum(log["gaps"] for log in logs)
    ended: Counter[str] = Counter()
    for log in logs:
        ended.update(log["errors"])
    notes = [
        f"{connected_before} of {clients} clients on /ws/spot-risk/ with a snapshot before the "
        f"stop; web SIGTERMed, the supervisor had it running again {seconds(restarted_s)} later "
        f"(restarts: {restarts}), /healthz answering {seconds(serving_s)} after the stop",
        f"reconnect schedule from live.js: backoff {backoff_min * 1000:.0f} ms doubling to "
        f"{backoff_max:.0f} s, equal jitter; {len(retry_offsets)} tries after the stop, first try "
        f"{_spread(first_retry)} after it; busiest {SLOT_S * 1000:.0f} ms slot: {busiest} tries "
        f"({busiest / max(1, clients):.0%} of the clients), refused while the web was down; "
        f"once it answered: busiest slot {busiest_up} tries ({busiest_up / max(1, clients):.0%})",
        "sockets ended by: " + ", ".join(f"{name} x{n}" for name, n in ended.most_common()),
        "tries per 250 ms after the stop (each line one second, four slots):",
        *(f"  {line}" for line in _histogram(retry_offsets, slot_s=SLOT_S, until_s=60)),
        f"fresh snapshot on the new process: {len(snapshot_s)} of {clients} clients, "
        f"{_spread(snapshot_s)} after the stop; from /healthz answering to the last: "
        f"{_connect_rate(snapshot_s, serving_s)}",
        f"a live delta after it: {len(live_s)} of {clients}, {_spread(live_s)} after the stop; "
        f"in sequence from the snapshot: {in_sequence}; gaps (snapshot asked again): {gaps}",
        f"sequence numbers: last seen before the stop {sample[0]}, first snapshot after it "
        f"{sample[1]} (one client: the new process's views number afresh; the client takes "
        "the snapshot's seq and applies deltas from it)"
        if sample
        else "no client got a snapshot after the stop",
    ]
    return DrillResult(
        name=f"web restart, {clients} clients",
        rto_s=rto,
        rpo_s=0.0 if all_back else None,
        notes=notes,
        checks_ok=all_back and in_sequence == clients and connected_before == clients,
    )
