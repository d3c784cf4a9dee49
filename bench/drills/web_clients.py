"""Websocket clients that reconnect as the live pages do, in a process of their own.

``ladder/static/ladder/live.js`` reconnects after a close with exponential
backoff and "equal jitter": the first try after ``backoff/2 + random() *
backoff/2`` with ``backoff`` starting at 500 ms, doubling up to 15 s, and back
to 500 ms once a snapshot arrives; a fresh socket waits for its snapshot before
it applies deltas. These clients follow that schedule exactly (the constants are
read from live.js, so the drill follows the page if it changes), answer pings,
and note the wall-clock time of every try, open, snapshot and delta.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import random
import re
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

LIVE_JS = Path(__file__).resolve().parents[2] / "ladder" / "static" / "ladder" / "live.js"
FIRST_CONNECTS_AT_ONCE = 50  # the first page loads are spread; only reconnects may herd
# A spot-risk snapshot is large: the clients read its type and seq from the head of
# the frame (the encoder writes them first) so 500 of them keep up on 2 shared cores.
_HEAD = re.compile(r'"type":\s*"(\w+)"(?:.*?"seq":\s*(\d+))?')
LAG_NOTED_S = 0.2


def frame_head(text: str) -> tuple[str, int | None]:
    """A frame's type and seq, cheaply; the whole frame parsed only when the head lacks them."""
    found = _HEAD.search(text[:400])
    if found and (found[2] is not None or found[1] not in {"snapshot", "delta"}):
        return found[1], int(found[2]) if found[2] else None
    frame = json.loads(text)
    seq = frame.get("seq")
    return str(frame.get("type")), int(seq) if seq is not None else None


def live_js_backoff() -> tuple[float, float]:
    """BACKOFF_MIN_MS and BACKOFF_MAX_MS as live.js has them, in seconds."""
    text = LIVE_JS.read_text()
    found = {
        name: float(m[1]) / 1000
        for name in ("BACKOFF_MIN_MS", "BACKOFF_MAX_MS")
        if (m := re.search(rf"var {name} = (\d+);", text))
    }
    if len(found) != 2:
        raise SystemExit(f"{LIVE_JS}: no BACKOFF_MIN_MS/BACKOFF_MAX_MS: update the drill")
    return found["BACKOFF_MIN_MS"], found["BACKOFF_MAX_MS"]


def next_delay(backoff: float, *, backoff_max: float) -> tuple[float, float]:
    """live.js's scheduleReconnect: the delay, and the backoff after it."""
    return backoff / 2 + random.random() * (backoff / 2), min(backoff * 2, backoff_max)


@dataclass
class ClientLog:
    """One client's times (``time.time()``): every try, open, close, snapshot, delta."""

    tries: list[float] = field(default_factory=list)
    opens: list[float] = field(default_factory=list)
    closes: list[float] = field(default_factory=list)
    snapshots: list[tuple[float, int]] = field(default_factory=list)  # (time, seq)
    deltas: list[tuple[float, int]] = field(default_factory=list)
    errors: dict[str, int] = field(default_factory=dict)  # how its sockets ended
    gaps: int = 0  # a delta whose seq was not last + 1 (live.js asks a snapshot)


async def _client(
    url: str,
    origin: str,
    cookie: str,
    log: ClientLog,
    gate: asyncio.Semaphore,
    stop: Any,
    ready: Any,
    back: tuple[Any, Any],
) -> None:
    from websockets.asyncio.client import connect

    backoff_min, backoff_max = live_js_backoff()
    backoff = backoff_min
    first = True
    while not stop.is_set():
        log.tries.append(time.time())
        try:
            async with gate if first else contextlib.nullcontext():
                ws = await connect(
                    url,
                    origin=origin,  # type: ignore[arg-type]
                    additional_headers={"Cookie": cookie},
                    compression=None,
                    ping_interval=None,
                    max_size=2**24,
                    # A browser's WebSocket waits for its handshake as long as the server
                    # takes (live.js sets no timer before onopen); a client that gave up
                    # and tried again would only add abandoned handshakes to the server's work.
                    open_timeout=None,
                )
            first = False
            log.opens.append(time.time())
            last: int | None = None
            async with ws:
                async for text in ws:
                    kind, seq = frame_head(str(text))
                    if kind == "ping":
                        await ws.send('{"type":"pong"}')
                    elif kind == "snapshot" and seq is not None:
                        now = time.time()
                        if not log.snapshots:
                            with ready.get_lock():
                                ready.value += 1
                        _back_count(log, back, now)
                        last = seq
                        log.snapshots.append((now, last))
                        backoff = backoff_min  # as live.js: a snapshot resets the backoff
                    elif kind == "delta" and last is not None and seq is not None:
                        if seq != last + 1:
                            log.gaps += 1
                            await ws.send('{"type":"snapshot"}')
                            last = None
                        else:
                            last = seq
                            log.deltas.append((time.time(), last))
                    elif kind == "resync":
                        await ws.send('{"type":"snapshot"}')
                        last = None
                    if stop.is_set():
                        return
        except Exception as exc:  # refused, reset, closed: live.js's onclose
            log.errors[type(exc).__name__] = log.errors.get(type(exc).__name__, 0) + 1
        log.closes.append(time.time())
        delay, backoff = next_delay(backoff, backoff_max=backoff_max)
        await asyncio.sleep(delay)


def _back_count(log: ClientLog, back: tuple[Any, Any], now: float) -> None:
    """Count this client once in ``back[1]`` at its first snapshot after ``back[0]``
    (the drill sets that to the moment of its fault)."""
    since, count = back
    if since.value and now > since.value and not any(t > since.value for t, _ in log.snapshots):
        with count.get_lock():
            count.value += 1


async def _clients(
    url: str, origin: str, cookie: str, count: int, stop: Any, ready: Any, back: tuple[Any, Any]
) -> tuple[list[ClientLog], list[tuple[float, float]]]:
    """The clients' logs, and when this process's loop ran late (a starved measuring
    side would misdate the frames: the drill prints it)."""
    logs = [ClientLog() for _ in range(count)]
    gate = asyncio.Semaphore(FIRST_CONNECTS_AT_ONCE)
    tasks = [
        asyncio.create_task(_client(url, origin, cookie, log, gate, stop, ready, back))
        for log in logs
    ]
    lags: list[tuple[float, float]] = []
    while not stop.is_set():
        before = time.monotonic()
        await asyncio.sleep(0.05)
        late = time.monotonic() - before - 0.05
        if late > LAG_NOTED_S:
            lags.append((time.time(), late))
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return logs, lags


def clients_process(
    url: str,
    origin: str,
    cookie: str,
    count: int,
    stop: Any,
    ready: Any,
    back: tuple[Any, Any],
    out: Any,
) -> None:
    """The process's body: ``count`` clients until ``stop``; their logs onto ``out``."""
    logs, lags = asyncio.run(_clients(url, origin, cookie, count, stop, ready, back))
    out.put({"logs": [log.__dict__ for log in logs], "lags": lags})
