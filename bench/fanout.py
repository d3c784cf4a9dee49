"""``make bench-fanout``: websocket fan-out of one web process to 100, 500 and 1,000 clients.

Starts its own private stack on free ports (state store as a one-node Redis
cluster, messaging Redis, moto's server), a SQLite database in a temporary
directory (migrated, one trader, one session per client), and a real uvicorn
web process exactly as the Procfile runs it (``--ws-per-message-deflate
false``). Then, for each client count:

1. N logged-in websocket clients (``websockets``, in two client processes so
   the measuring side is not the bottleneck) open ``/ws/spot-risk/`` and read
   their snapshot;
2. the bench publishes 2 spot-risk updates a second (6 changed rows each, the
   size of a real file's change: deltas of ~1 KB) for ``--seconds`` through the
   real publish path (``feeds.publish``), stamping each with the publish time;
3. every client notes when each delta arrives: latency = receive - publish,
   plus missing frames (sequence gaps), out-of-order frames and resyncs;
4. the web process's CPU (from /proc/<pid>/stat) and RSS (/proc/<pid>/status).

``--quick`` is a short smoke run; ``--book`` keeps a ladder and a risk-slide socket
open beside the clients, so the hub recomputes the whole book on every update
(``bench.fanout_book``). See docs/PERFORMANCE.md ("Fan-out").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

from bench import fanout_book
from bench.stats import cpu_model, fmt, machine_busy_s, percentile, process_cpu_s, table

ROOT = Path(__file__).resolve().parent.parent
TARGET_P99_MS = 250.0
CLIENT_PROCESSES = int(os.environ.get("FRGM_BENCH_CLIENT_PROCESSES", "2"))
CONNECT_CONCURRENCY = 50
STATE_ROWS = 150  # the spot-risk state the snapshot carries
CHANGED_ROWS = 6  # rows one update changes
GROUP = "AUG25"


# --- results --------------------------------------------------------------------------


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


@dataclass
class Step:
    clients: int
    connect_s: float
    published: int
    result: ClientResult
    cpu_pct: float | None
    rss_mib: float | None
    frame_bytes: int
    machine_pct: float | None = None  # every core, every process (clients included)
    client_cpu_s: float | None = None  # the client processes, connect to close


# --- the client side (separate processes) ----------------------------------------------


def _client_process(
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
        result = asyncio.run(_clients(url, origin, cookies, ready, start, stop, offset))
    except Exception as exc:
        result = ClientResult(errors=1)
        print(f"client process failed: {exc!r}", file=sys.stderr)
    out.put(result)


async def _clients(
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


def _merge(results: list[ClientResult]) -> ClientResult:
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


# --- the stack, the database and the web process ---------------------------------------


class Bench:
    def __init__(self, run_dir: Path, *, book: bool = False) -> None:
        self.run_dir = run_dir
        self.book = book  # the whole book live beside the clients (``bench.fanout_book``)
        self.servers: list[Any] = []
        self.web: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.seq = 0
        self.env: dict[str, str] = {}
        self.children_cpu_s = 0.0  # CPU of the client processes reaped so far

    def start(self) -> None:
        from tests.stack import stack_start

        stack = stack_start(self.run_dir)
        state, messaging, aws = stack.state, stack.messaging, stack.aws
        self.servers = [state, messaging, aws]
        self.env = {
            "DJANGO_SETTINGS_MODULE": "frgm_site.settings",
            "FRGM_ENV": "local",
            "FRGM_STATE_REDIS_URL": f"redis://127.0.0.1:{state.port}/0",
            "FRGM_MESSAGING_REDIS_URL": f"redis://127.0.0.1:{messaging.port}/0",
            "CELERY_BROKER_URL": f"redis://127.0.0.1:{messaging.port}/0",
            "DATABASE_URL": f"sqlite:///{self.run_dir / 'db.sqlite3'}",
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{aws.port}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": os.environ.get("AWS_DEFAULT_REGION", "us-east-1"),
            "FRGM_LOG_LEVEL": "WARNING",
            "FRGM_EMF": "false",
        }
        os.environ.update(self.env)
        import django

        django.setup()
        from django.core.management import call_command

        call_command("migrate", interactive=False, verbosity=0)
        self._state_seed()
        self._web_start()

    def _state_seed(self) -> None:
        from feeds.records import Feed
        from feeds.state_store import key
        from lib.redis_clients import state_store

        store = state_store()
        rows: dict[Any, Any] = {row_id: json.dumps(row) for row_id, row in _rows(0).items()}
        store.hset(key(Feed.SPOT_RISK, "rows"), mapping=rows)
        store.hset(
            key(Feed.SPOT_RISK, "meta"), mapping=cast(Any, {"version": "bench|0", "meta": "{}"})
        )
        if self.book:
            fanout_book.book_state_seed(expiries={GROUP: 3.832639, fanout_book.EXTRA_EXPIRY: 24.5})

    def _web_start(self) -> None:
        from devstack.processes import free_port, wait_for_port

        self.port = free_port()
        log = (self.run_dir / "web.log").open("wb")
        self.web = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "uvicorn",
                "frgm_site.asgi:application",
                "--host",
                "127.0.0.1",
                "--port",
                str(self.port),
                "--ws-per-message-deflate",
                "false",
                "--ws",
                os.environ.get("FRGM_BENCH_WS", "auto"),
                "--no-access-log",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env={**os.environ, **self.env},
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        wait_for_port(self.port, timeout_s=30, process=self.web)

    def sessions(self, count: int) -> list[str]:
        """``count`` logged-in sessions of one trader (as ``Client.force_login`` makes them)."""
        from django.conf import settings
        from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
        from django.contrib.auth.models import Group, User
        from django.contrib.sessions.backends.db import SessionStore

        user, created = User.objects.get_or_create(username="bench-trader")
        if created:
            user.set_unusable_password()
            user.save()
            user.groups.add(Group.objects.get_or_create(name="trader")[0])
        cookies = []
        for _ in range(count):
            session = SessionStore()
            session[SESSION_KEY] = str(user.pk)
            session[BACKEND_SESSION_KEY] = "django.contrib.auth.backends.ModelBackend"
            session[HASH_SESSION_KEY] = user.get_session_auth_hash()
            session.create()
            cookies.append(f"{settings.SESSION_COOKIE_NAME}={session.session_key}")
        return cookies

    def publish(self) -> int:
        """One spot-risk update through feeds.publish; returns the frame's size estimate."""
        from feeds.publish import updates_build, updates_publish

        self.seq += 1
        changed = {
            row_id: row
            for i, (row_id, row) in enumerate(_rows(self.seq).items())
            if (i + self.seq) % (STATE_ROWS // CHANGED_ROWS) == 0
        }
        if self.book:
            fanout_book.book_rows_write(changed)
        updates = updates_build(
            feed="spot-risk",
            changes={GROUP: changed},
            sequences={GROUP: self.seq},
            version=f"bench|{self.seq:08d}",
            key=f"actant/spot-risk/bench/{self.seq}.csv",
            file_time=None,
            s3_event_time=None,
            ingested_at=time.time(),  # the publish time: the clients measure from it
        )
        updates_publish(updates)
        return len(json.dumps(changed))

    def stop(self) -> None:
        if self.web is not None and self.web.poll() is None:
            self.web.terminate()
            try:
                self.web.wait(10)
            except subprocess.TimeoutExpired:
                self.web.kill()
        for server in reversed(self.servers):
            with contextlib.suppress(Exception):
                server.stop()


def _rows(version: int) -> dict[str, dict[str, Any]]:
    """The bench's spot-risk state: options of one expiry with prices that move."""
    rows = {}
    for i in range(STATE_ROWS):
        strike = 105 + i * 0.25
        itype = "C" if i % 2 == 0 else "P"
        key = f"XCME.OZN.{GROUP}.{strike:.2f}.{itype}"
        bump = (version % 7) / 64
        rows[key] = {
            "key": key,
            "itype": itype,
            "product": "OZN",
            "expiry": GROUP,
            "strike": f"{strike:.2f}",
            "bid": f"{0.5 + bump:.6f}",
            "ask": f"{0.515625 + bump:.6f}",
            "theo": f"{0.5078125 + bump:.7f}",
            "iv_bid": f"{4.1 + version % 5 / 10:.4f}",
            "iv_ask": f"{4.3 + version % 5 / 10:.4f}",
            "iv_avg": f"{4.2 + version % 5 / 10:.4f}",
            "position": i % 3,
            "greeks": {
                "vol": 4.2 + version % 5 / 10,
                "delta": 0.5 - i / 1000 + version % 3 / 100,
                "gamma": 0.12,
                "vega": 0.05 + version % 4 / 1000,
                "theta": -0.01,
            },
        }
    return rows


# --- a step -----------------------------------------------------------------------------


def _rss_mib(pid: int) -> float | None:
    try:
        for text in Path(f"/proc/{pid}/status").read_text().splitlines():
            if text.startswith("VmRSS:"):
                return int(text.split()[1]) / 1024
    except OSError:
        pass
    return None


def step(bench: Bench, clients: int, seconds: float, rate: float) -> Step:
    assert bench.web is not None
    ctx = multiprocessing.get_context("fork")
    cookies = bench.sessions(clients)
    url = f"ws://127.0.0.1:{bench.port}/ws/spot-risk/"
    origin = f"http://127.0.0.1:{bench.port}"
    ready = [ctx.Event() for _ in range(CLIENT_PROCESSES)]
    start, stop = ctx.Event(), ctx.Event()
    out = ctx.Queue()
    share = -(-clients // CLIENT_PROCESSES)
    processes = []
    watchers = None
    if bench.book:
        [watcher_cookie] = bench.sessions(1)
        watchers = ctx.Process(
            target=fanout_book.book_watchers,
            args=(f"ws://127.0.0.1:{bench.port}", origin, watcher_cookie, stop, out),
            daemon=True,
        )
        watchers.start()
    began = time.monotonic()
    for n in range(CLIENT_PROCESSES):
        part = cookies[n * share : (n + 1) * share]
        if not part:
            ready[n].set()
            continue
        proc = ctx.Process(
            target=_client_process,
            args=(url, origin, part, ready[n], start, stop, out, n * share),
            daemon=True,
        )
        proc.start()
        processes.append(proc)
    for event in ready:
        if not event.wait(timeout=180):
            raise RuntimeError("clients did not connect within 180 s")
    connect_s = time.monotonic() - began
    time.sleep(1.0)  # let the snapshots drain

    cpu_before = process_cpu_s(bench.web.pid)
    busy_before = machine_busy_s()
    wall_before = time.monotonic()
    start.set()
    published = 0
    frame_bytes = 0
    interval = 1.0 / rate
    next_at = time.monotonic()
    end = next_at + seconds
    while next_at < end:
        time.sleep(max(0.0, next_at - time.monotonic()))
        frame_bytes = bench.publish()
        published += 1
        next_at += interval
    time.sleep(1.0)  # the last frames arrive
    cpu_after = process_cpu_s(bench.web.pid)
    busy_after = machine_busy_s()
    wall = time.monotonic() - wall_before
    rss = _rss_mib(bench.web.pid)
    stop.set()
    received = [out.get(timeout=60) for _ in range(len(processes) + (watchers is not None))]
    results = [r for r in received if isinstance(r, ClientResult)]
    if watchers is not None:  # the watchers put {view: deltas received}
        book = [r for r in received if isinstance(r, dict)]
        print(f"    book views live beside them, deltas received: {book}", flush=True)
        watchers.join(timeout=10)
    for proc in processes:
        proc.join(timeout=10)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    client_cpu_s = children.ru_utime + children.ru_stime - bench.children_cpu_s
    bench.children_cpu_s += client_cpu_s
    cpu_pct = (
        None
        if cpu_before is None or cpu_after is None
        else round((cpu_after - cpu_before) / wall * 100, 1)
    )
    machine_pct = (
        None
        if busy_before is None or busy_after is None
        else round((busy_after - busy_before) / wall * 100 / (os.cpu_count() or 1), 1)
    )
    time.sleep(0.5)  # the server notices the closes before the next step
    return Step(
        clients,
        connect_s,
        published,
        _merge(results),
        cpu_pct,
        rss,
        frame_bytes,
        machine_pct,
        round(client_cpu_s, 1),
    )


def _missing(step_: Step) -> int:
    """Deltas a client should have had (its snapshot to the view's last frame) but did not."""
    result = step_.result
    if not result.first_seq:
        return 0
    final = max([*result.last_seq.values(), *result.first_seq.values()])
    expected = sum(final - first for first in result.first_seq.values())
    return max(0, expected - result.deltas)


# --- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", default="100,500,1000", help="client counts, comma-separated")
    parser.add_argument("--seconds", type=float, default=10.0, help="publishing time per step")
    parser.add_argument("--rate", type=float, default=2.0, help="updates per second")
    parser.add_argument("--quick", action="store_true", help="50 clients for 3 s")
    parser.add_argument("--verbose", action="store_true", help="latency of every frame")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    parser.add_argument(
        "--book", action="store_true", help="a ladder and a slide socket live beside the clients"
    )
    options = parser.parse_args(argv)
    counts = [50] if options.quick else [int(c) for c in options.clients.split(",")]
    seconds = 3.0 if options.quick else options.seconds

    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = max(counts) * 2 + 1024
    if soft < wanted:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(wanted, hard), hard))

    run_dir = Path(tempfile.mkdtemp(prefix="frgm-bench-fanout-"))
    bench = Bench(run_dir, book=options.book)
    steps: list[Step] = []
    try:
        print(f"starting the stack and a uvicorn web process in {run_dir} ...", flush=True)
        bench.start()
        for count in counts:
            print(f"  {count} clients ...", flush=True)
            steps.append(step(bench, count, seconds, options.rate))
    finally:
        bench.stop()
        if not options.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    print()
    print(report(steps, seconds=seconds, rate=options.rate))
    if options.verbose:
        for s in steps:
            print(f"\n{s.clients} clients, per frame: seq  p50  max (ms)")
            for seq, values in sorted(s.result.by_seq.items()):
                print(f"  {seq:4d} {percentile(values, 50):7.1f} {max(values):7.1f}")
    worst = steps[-1]
    ok = (
        (percentile(worst.result.latencies_ms, 99) or 0) <= TARGET_P99_MS
        and _missing(worst) == 0
        and worst.result.resyncs == 0
        and worst.result.connect_failures == 0
    )
    print(
        f"\ntarget p99 <= {TARGET_P99_MS:.0f} ms with nothing dropped at {worst.clients} clients: "
        f"{'met' if ok else 'NOT met'}"
    )
    return 0


def report(steps: list[Step], *, seconds: float, rate: float) -> str:
    rows = []
    for s in steps:
        r = s.result
        rows.append(
            [
                s.clients,
                fmt(s.connect_s, 1),
                s.published,
                r.deltas,
                r.delta_bytes // r.deltas if r.deltas else "-",
                fmt(percentile(r.hub_ms, 99)),
                fmt(percentile(r.latencies_ms, 50)),
                fmt(percentile(r.latencies_ms, 99)),
                fmt(max(r.latencies_ms) if r.latencies_ms else None),
                _missing(s),
                r.out_of_order,
                r.resyncs,
                r.connect_failures + r.closed_early,
                fmt(s.cpu_pct),
                fmt(s.rss_mib),
                fmt(s.machine_pct),
                fmt(s.client_cpu_s),
            ]
        )
    head = (
        f"websocket fan-out: one uvicorn web process (--ws-per-message-deflate false), "
        f"/ws/spot-risk/, {rate:g} updates/s for {seconds:g} s per step, "
        f"{CHANGED_ROWS} changed rows per update, {CLIENT_PROCESSES} client processes; "
        f"{os.cpu_count()} x {cpu_model()}"
    )
    return (
        head
        + "\n\n"
        + table(
            [
                "clients",
                "connect s",
                "published",
                "deltas recv",
                "delta B",
                "hub p99 ms",
                "p50 ms",
                "p99 ms",
                "max ms",
                "missing",
                "out-of-order",
                "resyncs",
                "conn errors",
                "web CPU %",
                "web RSS MiB",
                "machine CPU %",
                "client CPU s",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
