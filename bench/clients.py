"""The benchmarks' clients, each run in processes of their own (forked), so the
measuring side is not the bottleneck and never pauses for the parent's heap.

- websockets: ``ws_clients`` opens N logged-in ``websockets`` connections to one
  live page's socket, reads each snapshot, then notes every delta's latency
  (receive - ``ingested_at``), sequence gaps, out-of-order frames and resyncs
  (``bench.fanout``, and any benchmark that watches a live page);
- HTTP: ``http_load`` sends GETs on a fixed schedule (open loop) over as many
  keep-alive connections as that needs (``bench.api_load``).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import json
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

CONNECT_CONCURRENCY = 50
MAX_CONNECTIONS = 256
REQUEST_TIMEOUT_S = 15.0


# --- websockets -------------------------------------------------------------------------


@dataclass
class ClientResult:
    latencies_ms: list[float] = field(default_factory=list)
    hub_ms: list[float] = field(default_factory=list)  # publish -> hub serialised the frame
    by_seq: dict[int, list[float]] = field(default_factory=dict)
    deltas: int = 0
    gaps: int = 0  # frames missed (seq jumped)
    out_of_order: int = 0  # seq went backwards or repeated
    resyncs: int = 0
    errors: int = 0
    first_seq: dict[int, int] = field(default_factory=dict)  # client -> snapshot seq
    last_seq: dict[int, int] = field(default_factory=dict)  # client -> last delta seq
    connect_failures: int = 0
    closed_early: int = 0
    delta_bytes: int = 0


def ws_client_process(
    url: str,
    origin: str,
    cookies: list[str],
    ready: Any,
    start: Any,
    stop: Any,
    out: Any,
    offset: int,
) -> None:
    # The measuring side must not pause: a forked child holds the parent's Django
    # and boto objects, and a full collection over them stalls every client at once.
    gc.freeze()
    gc.disable()
    try:
        result = asyncio.run(ws_clients(url, origin, cookies, ready, start, stop, offset))
    except Exception as exc:
        result = ClientResult(errors=1)
        print(f"client process failed: {exc!r}", file=sys.stderr)
    out.put(result)


async def ws_clients(
    url: str, origin: str, cookies: list[str], ready: Any, start: Any, stop: Any, offset: int
) -> ClientResult:
    from websockets.asyncio.client import connect

    result = ClientResult()
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)
    measuring = asyncio.Event()
    sockets: list[Any] = []

    async def one(index: int, cookie: str) -> None:
        async with gate:
            try:
                ws = await connect(
                    url,
                    origin=origin,  # type: ignore[arg-type]
                    additional_headers={"Cookie": cookie},
                    compression=None,
                    ping_interval=None,
                    max_size=2**24,
                    open_timeout=30,
                )
            except Exception:
                result.connect_failures += 1
                return
            sockets.append(ws)
            snapshot = json.loads(await ws.recv())
            while snapshot.get("type") != "snapshot":
                snapshot = json.loads(await ws.recv())
            result.first_seq[index] = snapshot["seq"]
        await listen(index, ws)

    async def listen(index: int, ws: Any) -> None:
        last = result.first_seq[index]
        try:
            async for text in ws:
                received = time.time()
                frame = json.loads(text)
                kind = frame["type"]
                if kind == "ping":
                    await ws.send('{"type":"pong"}')
                elif kind == "resync":
                    result.resyncs += 1
                elif kind == "delta":
                    seq = frame["seq"]
                    if seq <= last:
                        result.out_of_order += 1
                    elif seq > last + 1:
                        result.gaps += seq - last - 1
                    last = max(last, seq)
                    result.last_seq[index] = last
                    result.deltas += 1
                    result.delta_bytes += len(text)
                    if measuring.is_set() and frame.get("ingested_at"):
                        latency = (received - frame["ingested_at"]) * 1000
                        result.latencies_ms.append(latency)
                        result.hub_ms.append((frame["server_time"] - frame["ingested_at"]) * 1000)
                        result.by_seq.setdefault(seq, []).append(latency)
                elif kind == "error":
                    result.errors += 1
        except Exception:
            if not stop.is_set():
                result.closed_early += 1

    tasks = [asyncio.create_task(one(offset + i, cookie)) for i, cookie in enumerate(cookies)]
    while len(result.first_seq) + result.connect_failures < len(cookies):
        await asyncio.sleep(0.02)
    ready.set()
    while not start.is_set():
        await asyncio.sleep(0.01)
    measuring.set()
    while not stop.is_set():
        await asyncio.sleep(0.05)
    for ws in sockets:
        with contextlib.suppress(Exception):
            await ws.close()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    return result


def results_merge(results: list[ClientResult]) -> ClientResult:
    merged = ClientResult()
    for r in results:
        merged.latencies_ms += r.latencies_ms
        merged.hub_ms += r.hub_ms
        for seq, values in r.by_seq.items():
            merged.by_seq.setdefault(seq, []).extend(values)
        merged.deltas += r.deltas
        merged.gaps += r.gaps
        merged.out_of_order += r.out_of_order
        merged.resyncs += r.resyncs
        merged.errors += r.errors
        merged.first_seq.update(r.first_seq)
        merged.last_seq.update(r.last_seq)
        merged.connect_failures += r.connect_failures
        merged.closed_early += r.closed_early
        merged.delta_bytes += r.delta_bytes
    return merged


# --- HTTP ------------------------------------------------------------------------------


@dataclass
class LoadResult:
    sent: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    statuses: Counter[str] = field(default_factory=Counter)
    retry_after_503: int = 0  # 503s with Retry-After and a JSON body
    wall_s: float = 0.0
    connections: int = 0

    @property
    def done(self) -> int:
        return len(self.latencies_ms)


class _Pool:
    """Keep-alive connections to one server, opened as the schedule needs them."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.idle: list[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = []
        self.opened = 0
        self.most = 0
        self.free = asyncio.Condition()

    async def take(
        self, *, fresh: bool = False
    ) -> tuple[tuple[asyncio.StreamReader, asyncio.StreamWriter], bool]:
        """A connection, and whether it was used before (an idle one the server may
        have closed meanwhile: uvicorn drops keep-alive connections idle for 5 s)."""
        async with self.free:
            while not (self.idle and not fresh) and self.opened >= MAX_CONNECTIONS:
                await self.free.wait()
            if self.idle and not fresh:
                return self.idle.pop(), True
            self.opened += 1
            self.most = max(self.most, self.opened)
        try:
            return await asyncio.open_connection("127.0.0.1", self.port), False
        except Exception:
            await self.drop()
            raise

    async def give(self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter]) -> None:
        async with self.free:
            self.idle.append(conn)
            self.free.notify()

    async def drop(
        self, conn: tuple[asyncio.StreamReader, asyncio.StreamWriter] | None = None
    ) -> None:
        if conn is not None:
            conn[1].close()
        async with self.free:
            self.opened -= 1
            self.free.notify()


async def _exchange(
    conn: tuple[asyncio.StreamReader, asyncio.StreamWriter], request: bytes
) -> tuple[str, dict[str, str], bytes]:
    reader, writer = conn
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = lines[0].split(" ", 2)[1]
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    body = await reader.readexactly(int(headers.get("content-length", "0")))
    return status, headers, body


async def _one(pool: _Pool, request: bytes) -> tuple[str, bool]:
    conn, reused = await pool.take()
    try:
        status, headers, body = await _exchange(conn, request)
    except (asyncio.IncompleteReadError, ConnectionResetError):
        await pool.drop(conn)
        if not reused:
            raise
        # The server closed this idle connection: send again on a new one, as any
        # HTTP client does with an idempotent GET.
        conn, _ = await pool.take(fresh=True)
        try:
            status, headers, body = await _exchange(conn, request)
        except BaseException:
            await pool.drop(conn)
            raise
    except BaseException:
        await pool.drop(conn)
        raise
    if headers.get("connection", "").lower() == "close":
        await pool.drop(conn)
    else:
        await pool.give(conn)
    good_503 = False
    if status == "503":
        with contextlib.suppress(ValueError):
            good_503 = "retry-after" in headers and "error" in json.loads(body)
    return status, good_503


async def http_load(port: int, path: str, token: str, rate: float, seconds: float) -> LoadResult:
    request = (
        f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Authorization: Bearer {token}\r\nAccept: application/json\r\n\r\n"
    ).encode()
    pool = _Pool(port)
    result = LoadResult()
    count = int(rate * seconds)
    began = time.monotonic()

    async def timed(due: float) -> None:
        try:
            status, good_503 = await asyncio.wait_for(_one(pool, request), REQUEST_TIMEOUT_S)
        except TimeoutError:
            status, good_503 = "timeout", False
        except Exception as exc:
            status, good_503 = type(exc).__name__, False
        result.latencies_ms.append((time.monotonic() - due) * 1000)
        result.statuses[status] += 1
        result.retry_after_503 += good_503

    tasks = []
    for n in range(count):
        due = began + n / rate
        await asyncio.sleep(max(0.0, due - time.monotonic()))
        tasks.append(asyncio.create_task(timed(due)))
        result.sent += 1
    await asyncio.gather(*tasks)
    result.wall_s = time.monotonic() - began
    result.connections = pool.most
    for _, writer in pool.idle:
        writer.close()
    return result


def http_client_process(
    port: int, path: str, token: str, rate: float, seconds: float, out: Any
) -> None:
    # The measuring side must not pause for the parent's heap (a forked child holds it).
    gc.freeze()
    gc.disable()
    try:
        result = asyncio.run(http_load(port, path, token, rate, seconds))
    except Exception as exc:
        print(f"client process failed: {exc!r}", file=sys.stderr)
        result = LoadResult(statuses=Counter({type(exc).__name__: 1}))
    out.put(result)
