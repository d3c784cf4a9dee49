"""The measuring side: logged-in websocket clients in processes of their own, and
the 1 s poller of ``/api/ladder/`` (the desk's current app) in a thread.

A client process opens its sockets (at most ``CONNECT_CONCURRENCY`` handshakes at
a time), answers pings, and notes every frame in a ``measure.SocketLog``. When
told to stop it receives the files' ledger and sends back one ``PageResult`` per
page: 1,000 sockets x thousands of files stay in the process that saw them.
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import multiprocessing
import sys
import threading
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from typing import Any

from bench.pixel.measure import Landed, PageResult, PollLog, SocketLog, page_result

CONNECT_CONCURRENCY = 50
PAGE_PATHS = {"ladder": "/ws/ladder/", "spot-risk": "/ws/spot-risk/", "ops": "/ws/ops/"}


@dataclass(frozen=True)
class Socket:
    page: str
    cookie: str


def _process_main(base_ws: str, origin: str, sockets: list[Socket], conn: Any) -> None:
    # The measuring side must not pause: a full collection over the parent's
    # objects (forked) would stall every socket at once.
    gc.freeze()
    gc.disable()
    try:
        asyncio.run(_run(base_ws, origin, sockets, conn))
    except Exception as exc:
        print(f"client process failed: {exc!r}", file=sys.stderr)
        conn.send(("failed", repr(exc)))


async def _run(base_ws: str, origin: str, sockets: list[Socket], conn: Any) -> None:
    from websockets.asyncio.client import connect

    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    logs: list[SocketLog] = []
    opened: list[Any] = []
    failures = 0
    closed_early = 0
    stopping = False
    ready = 0

    async def one(socket: Socket) -> None:
        nonlocal failures, closed_early, ready
        log = SocketLog(socket.page)
        async with gate:
            try:
                ws = await connect(
                    base_ws + PAGE_PATHS[socket.page],
                    origin=origin,  # type: ignore[arg-type]
                    additional_headers={"Cookie": socket.cookie},
                    compression=None,
                    ping_interval=None,
                    max_size=2**24,
                    open_timeout=60,
                )
            except Exception:
                failures += 1
                return
            opened.append(ws)
            logs.append(log)
            first = json.loads(await ws.recv())  # the snapshot (or the ops rows)
            log.frame(first, time.time())
            ready += 1
        try:
            async for text in ws:
                received = time.time()
                frame = json.loads(text)
                if frame.get("type") == "ping":
                    await ws.send('{"type":"pong"}')
                    continue
                log.frame(frame, received)
        except Exception:  # a socket closed under it: counted below unless stopping
            if not stopping:
                closed_early += 1
            return
        if not stopping:
            closed_early += 1

    tasks = [asyncio.create_task(one(s)) for s in sockets]
    while ready + failures < len(sockets):
        await asyncio.sleep(0.05)
    conn.send(("ready", failures))
    loop = asyncio.get_running_loop()
    files: list[Landed] = await loop.run_in_executor(None, conn.recv)  # blocks until stop
    stopping = True
    for ws in opened:
        with contextlib.suppress(Exception):
            await ws.close()
    await asyncio.gather(*tasks, return_exceptions=True)
    results = {}
    for page in PAGE_PATHS:
        results[page] = page_result(page, [log for log in logs if log.page == page], files)
    conn.send(("done", results, failures, closed_early))


class ClientFleet:
    """``sockets`` spread over ``processes`` client processes."""

    def __init__(self, *, base_ws: str, origin: str, sockets: list[Socket], processes: int):
        ctx = multiprocessing.get_context("fork")
        self.pipes = []
        self.processes = []
        for index in range(processes):
            share = sockets[index::processes]
            if not share:
                continue
            parent, child = ctx.Pipe()
            process = ctx.Process(
                target=_process_main, args=(base_ws, origin, share, child), daemon=True
            )
            process.start()
            self.pipes.append(parent)
            self.processes.append(process)
        self.connect_failures = 0

    def wait_ready(self, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        for pipe in self.pipes:
            if not pipe.poll(max(0.1, deadline - time.monotonic())):
                raise SystemExit("the websocket clients did not connect in time")
            kind, *rest = pipe.recv()
            if kind != "ready":
                raise SystemExit(f"a client process failed: {rest}")
            self.connect_failures += rest[0]

    def finish(self, files: list[Landed]) -> tuple[dict[str, PageResult], int, int]:
        """Stop the sockets; per page, every socket's latencies for ``files``."""
        for pipe in self.pipes:
            pipe.send(files)
        merged = {page: PageResult(page) for page in PAGE_PATHS}
        failures = closed_early = 0
        for pipe in self.pipes:
            kind, *rest = pipe.recv()
            if kind != "done":
                raise SystemExit(f"a client process failed: {rest}")
            results, failed, closed = rest
            for page, result in results.items():
                merged[page].add(result)
            failures += failed
            closed_early += closed
        for process in self.processes:
            process.join(timeout=10)
        return merged, failures, closed_early


class Poller:
    """GET ``/api/ladder/`` every ``every_s`` with a trader's session, like the desk's app."""

    def __init__(self, *, base: str, cookie: str, every_s: float = 1.0) -> None:
        self.base, self.cookie, self.every_s = base, cookie, every_s
        self.log = PollLog()
        self.get_ms: list[float] = []
        self.errors = 0
        self.last_error = ""
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="poller")

    def _run(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            request = urllib.request.Request(  # noqa: S310 - the harness's own loopback stack
                self.base + "/api/ladder/", headers={"Cookie": self.cookie}
            )
            started = time.time()
            try:
                with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
                    body = json.loads(answer.read())
                received = time.time()
                self.get_ms.append((received - started) * 1000)
                self.log.answer(received, body)
            except urllib.error.HTTPError as exc:
                if not (exc.code == 404 and not self.log.answers):  # 404: no ladder yet
                    self.errors += 1
                    self.last_error = repr(exc)[:200]
            except Exception as exc:  # counted and shown: the poller's own finding
                self.errors += 1
                self.last_error = repr(exc)[:200]
            next_at += self.every_s
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=15)
