"""Drill: kill -9 the messaging Redis and start it again.

A trader's websocket client (``/ws/spot-risk/``, reconnecting as ``live.js``
does, answering pings, asking for a snapshot after a gap) records every frame
while the simulator's spot-risk files flow. The drill SIGKILLs the messaging
``redis-server`` (channel layer and Celery broker), keeps it down ``down_s``,
starts it again with the same command line and times until the client sees a
live update (a ``delta``) again. Positions files of its own flow throughout and
are counted (RPO: the span of the files lost).
"""

from __future__ import annotations

import json
import os
import signal
import threading
import time
from dataclasses import dataclass, field

from websockets.sync.client import connect
from websockets.typing import Origin

from bench.drills.stack import (
    Browser,
    DrillResult,
    SteadyPutter,
    files_count,
    redis_pid,
    seconds,
    stack_running,
    wait_for,
    wait_or_exit,
)

NAME = "messaging Redis kill -9, restart"


@dataclass
class SocketWatcher:
    """One websocket client in a thread: the time of every live update, reconnects counted."""

    url: str
    browser: Browser
    deltas: list[float] = field(default_factory=list)
    snapshots: list[float] = field(default_factory=list)
    connects: int = 0
    closes: list[str] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _session(self) -> None:
        with connect(
            self.url,
            origin=Origin(self.browser.base),
            additional_headers={"Cookie": self.browser.cookie_header()},
            open_timeout=5,
            close_timeout=1,
        ) as socket:
            self.connects += 1
            while not self._stop.is_set():
                try:
                    frame = json.loads(socket.recv(timeout=1.0))
                except TimeoutError:
                    continue
                kind = frame.get("type")
                now = time.monotonic()
                if kind == "ping":
                    socket.send(json.dumps({"type": "pong"}))
                elif kind == "delta":
                    self.deltas.append(now)
                elif kind == "snapshot":
                    self.snapshots.append(now)
                elif kind == "resync":
                    socket.send(json.dumps({"type": "snapshot"}))

    def _run(self) -> None:
        deadline = time.monotonic() + 600  # bounded even if the drill forgets to stop it
        while not self._stop.is_set() and time.monotonic() < deadline:
            try:
                self._session()
            except Exception as exc:  # the outage closes it: reconnect after a pause
                self.closes.append(type(exc).__name__)
                self._stop.wait(1.0)

    def __enter__(self) -> SocketWatcher:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def delta_after(self, moment: float) -> float | None:
        return next((t for t in self.deltas if t > moment), None)


def drill_run(*, port: int = 8630, down_s: float = 3.0, every_s: float = 0.5) -> DrillResult:
    files = int((down_s + 40) / every_s)
    with stack_running(port=port) as stack:
        trader, oncall = stack.browser("trader"), stack.browser("oncall")
        wait_or_exit(
            lambda: trader.get("/api/spot-risk/")[0] == 200, within_s=90, what="simulated spot risk"
        )
        url = f"ws://127.0.0.1:{port}/ws/spot-risk/"
        with (
            SocketWatcher(url=url, browser=trader) as watcher,
            SteadyPutter(stack, files=files, every_s=every_s) as putter,
        ):
            wait_or_exit(lambda: len(watcher.deltas) >= 2, within_s=60, what="two live updates")
            putter.wait_put(files // 6)
            os.kill(redis_pid(stack.messaging_port), signal.SIGKILL)
            killed_at = time.monotonic()
            first_after = max(putter.put_at) + 1
            time.sleep(down_s)
            stack.messaging_start()
            back_at = time.monotonic()
            update_s = wait_for(lambda: watcher.delta_after(back_at) is not None, within_s=90)
            served_s = wait_for(putter.served_after(oncall, first_after), within_s=60)
            served_s = None if served_s is None else time.monotonic() - killed_at
            putter.finish()
            before = [t for t in watcher.deltas if t <= killed_at]
            gap_before = killed_at - max(before) if before else float("nan")
        count = files_count(stack, putter)
        restarts = stack.processes()
    first = watcher.delta_after(back_at)
    rto = None if first is None else first - killed_at
    notes = [
        f"messaging Redis SIGKILLed, started again {back_at - killed_at:.1f} s later "
        f"(same port and command line, empty: it is not durable)",
        f"websocket client: first live update {seconds(update_s)} after the restart, "
        f"{seconds(rto)} after the kill (last one before the kill {gap_before:.1f} s before "
        f"it); {watcher.connects} connects, closes: {', '.join(watcher.closes) or 'none'}",
        f"a positions file put after the kill on the ops feed page {seconds(served_s)} after "
        f"the kill",
        count.note(),
        "process restarts: "
        + ", ".join(f"{n} {p.get('restarts')}" for n, p in sorted(restarts.items())),
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
