"""``make bench-api``: ``/api/ladder/`` and ``/api/spot-risk/`` under an open-loop load.

Starts its own private stack on free ports (state store as a one-node Redis
cluster, messaging Redis, moto's server; ``bench.harness``), a SQLite database in
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
import contextlib
import multiprocessing
import os
import sys
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bench.clients import REQUEST_TIMEOUT_S, LoadResult, http_client_process
from bench.harness import QUIET, Harness, run_directory, trader
from bench.stats import cpu_model, fmt, load_average, percentile, process_cpu_s, rss_mib, table
from devstack.standins import Stack

ROOT = Path(__file__).resolve().parent.parent
TARGET_RATE = 200.0
TARGET_P99_MS = 100.0
RSS_SLACK_MIB = 25.0  # "back to baseline": allocator noise, not a leak
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


# --- the stack, the state and the web process --------------------------------------------


class Bench(Harness):
    """The harness with the desk's sample files ingested through the real pipeline, an
    API token, and one web process; ``update`` ingests a newer orders file."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(run_dir, env=QUIET)
        self.token = ""
        self.updates = 0
        self.update_errors = 0
        self._file_time = datetime(2025, 7, 21, 20, 31, tzinfo=UTC)

    def start(self, *, migrate: bool = True) -> Stack:
        stack = super().start(migrate=migrate)
        with contextlib.suppress(OSError):
            os.setpriority(os.PRIO_PROCESS, stack.aws.pid, WORKER_NICE)
        for key, sample in DESK_FILES:
            self.ingest(key, (SAMPLES / sample).read_bytes())
        self.token = self._token()
        self.web_start()
        return stack

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
        from accounts.api_auth import api_token_create

        _, raw = api_token_create(user=trader(), name="bench-api")
        return raw


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
        target=http_client_process, args=(bench.port, path, bench.token, rate, seconds, out)
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

    steps: list[Step] = []
    baseline: float | None = None
    with run_directory("frgm-bench-api-", keep=options.keep) as run_dir:
        bench = Bench(run_dir)
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
