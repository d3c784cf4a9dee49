"""``make bench-api``: ``/api/ladder/`` and ``/api/spot-risk/`` under an open-loop load.

Starts its own private stack on free ports (state store as a one-node Redis
cluster, messaging Redis, moto's server; ``tests.stack``), a SQLite database in
a temporary directory (migrated, one trader with an API token), ingests the
desk's sample files through the real pipeline (S3 put, the SQS message, the
worker's ``message_handle``), and starts ONE real uvicorn web process as the
Procfile runs it. While the load runs, a new TT orders file is ingested every
``--update-every`` seconds (so the API's per-state cache is invalidated and
recomputed under load, as on a trading day), by a thread of this process at
nice 10, moto's server likewise: in AWS the worker has CPUs of its own, and on
this 2-core machine it would otherwise take the web process's.

For each endpoint and each rate (``--rates``, default 200 and 400 requests/s)
a client process sends requests on a fixed schedule for ``--seconds``
(open loop: a request goes out at its time whether or not earlier ones have
answered, over as many keep-alive connections as that needs, up to
``MAX_CONNECTIONS``; loopback only; bounded in count and time). Latency is from
the request's scheduled time to its last byte, so a stalled server is not
hidden by a client that waits for it. Printed: achieved rate, p50/p95/p99/max,
status-code counts (and whether every 503 had ``Retry-After`` and a JSON body),
and the web process's RSS before the step, right after it and after
``--settle`` seconds of quiet.

Targets (issue 10): at 200 requests/s on each endpoint p99 <= 100 ms and no
5xx; RSS after the settle within ``RSS_SLACK_MIB`` of the baseline taken before
the first step. ``--quick`` is a short smoke run. See docs/PERFORMANCE.md
("API load").
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench.stats import cpu_model, fmt, load_average, percentile, process_cpu_s, table

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 200.0
TARGET_P99_MS = 100.0
RSS_SLACK_MIB = 25.0  # "back to baseline": allocator noise, not a leak
MAX_CONNECTIONS = 256
REQUEST_TIMEOUT_S = 15.0
WORKER_NICE = 10  # the stand-in worker's and moto's priority (see step's updater)
ENDPOINTS = {"ladder": "/api/ladder/", "spot-risk": "/api/spot-risk/"}
SAMPLES = ROOT / "tests" / "samples"
DESK_FILES = (
    ("actant/vtexp/2025-07-21/vtexp_20250721_203256.csv", "actant/vtexp_20250721_203256.csv"),
    (
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
        "actant/bav_analysis_20250721_203007.csv",
    ),
    ("tt/positions/2025-07-21/positions_20250721_203008.json", "tt/positions_response.json"),
    ("tt/orders/2025-07-21/working_orders_20250721_203008.json", "tt/working_orders_response.json"),
)


# --- the client side (a separate process) ----------------------------------------------


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


async def _load(port: int, path: str, token: str, rate: float, seconds: float) -> LoadResult:
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


def _client_process(
    port: int, path: str, token: str, rate: float, seconds: float, out: Any
) -> None:
    # The measuring side must not pause for the parent's heap (a forked child holds it).
    gc.freeze()
    gc.disable()
    try:
        result = asyncio.run(_load(port, path, token, rate, seconds))
    except Exception as exc:
        print(f"client process failed: {exc!r}", file=sys.stderr)
        result = LoadResult(statuses=Counter({type(exc).__name__: 1}))
    out.put(result)


# --- the stack, the state and the web process --------------------------------------------


class Bench:
    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.servers: list[Any] = []
        self.web: subprocess.Popen[bytes] | None = None
        self.port = 0
        self.env: dict[str, str] = {}
        self.token = ""
        self.updates = 0
        self.update_errors = 0
        self._file_time = datetime(2025, 7, 21, 20, 31, tzinfo=UTC)

    def start(self) -> None:
        from tests.stack import stack_start

        stack = stack_start(self.run_dir)
        self.servers = [stack.state, stack.messaging, stack.aws]
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, stack.aws.process.pid, WORKER_NICE)
        self.env = {
            "DJANGO_SETTINGS_MODULE": "frgm_site.settings",
            "FRGM_ENV": "local",
            "FRGM_STATE_REDIS_URL": stack.state_url,
            "FRGM_MESSAGING_REDIS_URL": stack.messaging_url,
            "CELERY_BROKER_URL": stack.messaging_url,
            "DATABASE_URL": f"sqlite:///{self.run_dir / 'db.sqlite3'}",
            "AWS_ENDPOINT_URL": stack.aws_url,
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

        from feeds.bootstrap import local_resources_ensure

        call_command("migrate", interactive=False, verbosity=0)
        local_resources_ensure()
        for key, sample in DESK_FILES:
            self.ingest(key, (SAMPLES / sample).read_bytes())
        self.token = self._token()
        self._web_start()

    def ingest(self, key: str, body: bytes) -> None:
        """Put one file in the bucket and handle its notification as the worker would."""
        from django.conf import settings

        from feeds.sqs_consumer import message_handle
        from lib.aws import client

        client("s3").put_object(Bucket=settings.FRGM_FEED_BUCKET, Key=key, Body=body)
        sqs = client("sqs")
        url = sqs.get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)["QueueUrl"]
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            messages = sqs.receive_message(
                QueueUrl=url, MaxNumberOfMessages=10, WaitTimeSeconds=1
            ).get("Messages", [])
            for message in messages:
                message_handle(message, received_at=time.time(), worker="bench", queue_url=url)
            if messages:
                return
        raise RuntimeError(f"no notification for {key} within 30 s")

    def update(self) -> None:
        """A newer TT orders file (the sample under a later time, its first order's size
        moved): a new ladder state, and a FeedUpdate for the web process's hub."""
        self._file_time += timedelta(seconds=1)
        self.updates += 1
        stamp = self._file_time.strftime("%Y%m%d_%H%M%S")
        key = f"tt/orders/2025-07-21/working_orders_{stamp}.json"
        text = (SAMPLES / "tt/working_orders_response.json").read_text()
        size = f'"leavesQuantity": {80 + self.updates % 7 * 10}.0'
        self.ingest(key, text.replace('"leavesQuantity": 80.0', size, 1).encode())

    def _token(self) -> str:
        from django.contrib.auth.models import Group, User

        from accounts.api_auth import api_token_create

        user = User.objects.create_user(username="bench-trader")
        user.groups.add(Group.objects.get_or_create(name="trader")[0])
        _, raw = api_token_create(user=user, name="bench-api")
        return raw

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
                "--ws",
                "websockets-sansio",
                "--ws-per-message-deflate",
                "false",
                "--timeout-graceful-shutdown",
                "5",
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


def rss_mib(pid: int) -> float | None:
    try:
        for text in Path(f"/proc/{pid}/status").read_text().splitlines():
            if text.startswith("VmRSS:"):
                return int(text.split()[1]) / 1024
    except OSError:
        pass
    return None


# --- a step -----------------------------------------------------------------------------


@dataclass
class Step:
    endpoint: str
    rate: float
    result: LoadResult
    rss_before: float | None
    rss_after: float | None
    rss_settled: float | None
    cpu_pct: float | None
    updates: int

    @property
    def p99(self) -> float | None:
        return percentile(self.result.latencies_ms, 99)

    @property
    def server_errors(self) -> int:
        return sum(n for s, n in self.result.statuses.items() if s.startswith("5"))

    @property
    def failures(self) -> int:
        """Requests with no HTTP answer at all (timeouts, refused or reset connections)."""
        return sum(n for s, n in self.result.statuses.items() if not s.isdigit())


def run(bench: Bench, *, path: str, rate: float, seconds: float) -> LoadResult:
    ctx = multiprocessing.get_context("fork")
    out = ctx.Queue()
    proc = ctx.Process(
        target=_client_process, args=(bench.port, path, bench.token, rate, seconds, out)
    )
    proc.start()
    result: LoadResult = out.get(timeout=seconds + REQUEST_TIMEOUT_S + 60)
    proc.join(timeout=10)
    return result


def step(
    bench: Bench, *, endpoint: str, rate: float, seconds: float, settle: float, update_every: float
) -> Step:
    assert bench.web is not None
    pid = bench.web.pid
    rss_before = rss_mib(pid)
    updates_before = bench.updates
    stop = threading.Event()

    def updater() -> None:
        # The worker's part (this thread and moto's server) runs at a lower priority:
        # in AWS the worker has CPUs of its own; here it would take the web's.
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), WORKER_NICE)
        while not stop.wait(update_every):
            try:
                bench.update()
            except Exception as exc:
                bench.update_errors += 1
                print(f"  update failed: {exc!r}", file=sys.stderr)

    thread = threading.Thread(target=updater, daemon=True)
    if update_every > 0:
        thread.start()
    cpu_before, wall_before = process_cpu_s(pid), time.monotonic()
    try:
        result = run(bench, path=ENDPOINTS[endpoint], rate=rate, seconds=seconds)
    finally:
        stop.set()
        if thread.is_alive():
            thread.join(timeout=30)
    cpu_after, wall = process_cpu_s(pid), time.monotonic() - wall_before
    rss_after = rss_mib(pid)
    time.sleep(settle)
    cpu_pct = (
        None
        if cpu_before is None or cpu_after is None
        else round((cpu_after - cpu_before) / wall * 100, 1)
    )
    return Step(
        endpoint,
        rate,
        result,
        rss_before,
        rss_after,
        rss_mib(pid),
        cpu_pct,
        bench.updates - updates_before,
    )


def warm_up(bench: Bench) -> None:
    """A few requests to each endpoint, so the baseline RSS has every module loaded."""
    for path in ENDPOINTS.values():
        run(bench, path=path, rate=20, seconds=1)


# --- main -----------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rates", default="200,400", help="requests/s, comma-separated")
    parser.add_argument("--seconds", type=float, default=20.0, help="load time per step")
    parser.add_argument("--settle", type=float, default=10.0, help="quiet time after a step")
    parser.add_argument(
        "--update-every", type=float, default=2.0, help="seconds between new orders files (0: none)"
    )
    parser.add_argument("--endpoints", default=",".join(ENDPOINTS), help="comma-separated")
    parser.add_argument("--quick", action="store_true", help="200 requests/s for 5 s")
    parser.add_argument("--keep", action="store_true", help="keep the run directory")
    options = parser.parse_args(argv)
    rates = [200.0] if options.quick else [float(r) for r in options.rates.split(",")]
    seconds = 5.0 if options.quick else options.seconds
    settle = 3.0 if options.quick else options.settle
    endpoints = [e for e in options.endpoints.split(",") if e]
    unknown = set(endpoints) - set(ENDPOINTS)
    if unknown:
        parser.error(f"unknown endpoint(s) {', '.join(sorted(unknown))}")

    run_dir = Path(tempfile.mkdtemp(prefix="frgm-bench-api-"))
    bench = Bench(run_dir)
    steps: list[Step] = []
    baseline: float | None = None
    try:
        print(f"starting the stack and a uvicorn web process in {run_dir} ...", flush=True)
        bench.start()
        warm_up(bench)
        time.sleep(1.0)
        assert bench.web is not None
        baseline = rss_mib(bench.web.pid)
        for endpoint in endpoints:
            for rate in rates:
                print(f"  {endpoint} at {rate:g} requests/s for {seconds:g} s ...", flush=True)
                steps.append(
                    step(
                        bench,
                        endpoint=endpoint,
                        rate=rate,
                        seconds=seconds,
                        settle=settle,
                        update_every=options.update_every,
                    )
                )
    finally:
        bench.stop()
        if not options.keep:
            shutil.rmtree(run_dir, ignore_errors=True)
    print()
    print(report(steps, seconds=seconds, settle=settle, update_every=options.update_every))
    return 0 if verdict(steps, baseline=baseline) else 1


def verdict(steps: list[Step], *, baseline: float | None) -> bool:
    at_target = [s for s in steps if s.rate == TARGET_RATE]
    speed_ok = bool(at_target) and all(
        (s.p99 or 0) <= TARGET_P99_MS and s.server_errors == 0 and s.failures == 0
        for s in at_target
    )
    settled = steps[-1].rss_settled if steps else None
    memory_ok = baseline is not None and settled is not None and settled <= baseline + RSS_SLACK_MIB
    print(
        f"\ntarget at {TARGET_RATE:g} requests/s on each endpoint, p99 <= {TARGET_P99_MS:g} ms "
        f"and no 5xx: {'met' if speed_ok else 'NOT met'}"
    )
    print(
        f"target RSS after the last settle within {RSS_SLACK_MIB:g} MiB of the baseline "
        f"({fmt(baseline)} MiB -> {fmt(settled)} MiB): {'met' if memory_ok else 'NOT met'}"
    )
    return speed_ok and memory_ok


def report(steps: list[Step], *, seconds: float, settle: float, update_every: float) -> str:
    rows = []
    for s in steps:
        r = s.result
        codes = " ".join(f"{code}x{n}" for code, n in sorted(r.statuses.items()))
        rows.append(
            [
                s.endpoint,
                f"{s.rate:g}",
                r.sent,
                fmt(r.done / r.wall_s if r.wall_s else None),
                fmt(percentile(r.latencies_ms, 50)),
                fmt(percentile(r.latencies_ms, 95)),
                fmt(s.p99),
                fmt(max(r.latencies_ms) if r.latencies_ms else None),
                codes,
                f"{r.retry_after_503}/{r.statuses.get('503', 0)}",
                r.connections,
                s.updates,
                fmt(s.cpu_pct),
                f"{fmt(s.rss_before)} / {fmt(s.rss_after)} / {fmt(s.rss_settled)}",
            ]
        )
    head = (
        f"API load: one uvicorn web process, open loop for {seconds:g} s per step, "
        f"a new orders file every {update_every:g} s, {settle:g} s settle; "
        f"{os.cpu_count()} x {cpu_model()}, load average {load_average()}"
    )
    return (
        head
        + "\n\n"
        + table(
            [
                "endpoint",
                "rate/s",
                "sent",
                "achieved/s",
                "p50 ms",
                "p95 ms",
                "p99 ms",
                "max ms",
                "status codes",
                "503 w/ Retry-After",
                "conns",
                "files",
                "web CPU %",
                "RSS MiB before / after / settled",
            ],
            rows,
        )
    )


if __name__ == "__main__":
    sys.exit(main())
