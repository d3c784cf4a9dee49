"""``make bench-ingest``: how fast one worker ingests production-size feed files.

Starts its own private stack on free ports (state store as a one-node Redis
cluster, messaging Redis, moto's server), points Django at it, and measures:

1. parse + validate of a ~500-row Actant spot-risk file (pure, in-process);
2. files per second one worker process sustains: N files uploaded first, then a
   ``NotificationConsumer`` drains the queue (in_flight 1, 4 and 8);
3. per-stage time of each file (download, parse, derive, redis, dynamodb,
   publish, the un-staged rest, SQS delete);
4. end-to-end latency (S3 event time -> publish finished) at steady 1 and 10
   files/s while a consumer runs, with a stand-in feed server (own process)
   and a stand-in web process subscribed to the channel layer.

Everything stops at the end, and on Ctrl-C. ``--quick`` is a short smoke run.
See docs/PERFORMANCE.md for the figures and what they mean.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from bench.instrument import FileSample, Recorder, RecordSample, hooks_install
from bench.stats import (
    command_version,
    cpu_model,
    fmt,
    load_average,
    machine_busy_s,
    memory_gib,
    p50_p99,
    percentile,
    process_cpu_s,
    table,
)

ROOT = Path(__file__).resolve().parent.parent
STAGES = ("download", "parse", "derive", "redis", "dynamodb", "publish")
TT_FEEDS = ("tt-positions", "tt-orders")
INGESTED = ("applied", "same", "stale")

TARGET_PARSE_P99_MS = 2.0
TARGET_FILES_PER_S = 50.0
TARGET_LATENCY_P99_MS = 100.0
DEFAULT_IN_FLIGHT = 4  # FRGM_CONSUMER_IN_FLIGHT's default


# --- options --------------------------------------------------------------------


@dataclass
class Options:
    parse_runs: int
    files: int
    in_flight: list[int]
    rates: list[float]
    duration_s: float
    spot_share: float
    seed: int
    profile: bool
    keep: bool
    quick: bool
    json_out: Path | None


def options_parse(argv: Sequence[str] | None = None) -> Options:
    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description=(__doc__ or "").split("\n")[0]
    )
    add = parser.add_argument
    add("--quick", action="store_true", help="short run: fewer files, 5 s phases")
    add("--parse-runs", type=int, help="parse repetitions (default 500; quick 200)")
    add("--files", type=int, help="files per throughput run (default 240; quick 60)")
    add("--in-flight", default="1,4,8", help="consumer in_flight values, e.g. 1,4,8")
    add("--rates", default="1,10", help="steady upload rates in files/s, e.g. 1,10")
    add("--duration", type=float, help="seconds per steady rate (default 30; quick 5)")
    parser.add_argument("--spot-share", type=float, default=0.6, help="share of spot-risk files")
    parser.add_argument("--seed", type=int, default=7, help="simulator seed")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="run the one-file-at-a-time phase under cProfile and print the hot spots",
    )
    parser.add_argument("--keep", action="store_true", help="keep the run directory (logs)")
    parser.add_argument("--json", type=Path, help="also write the raw figures to this JSON file")
    args = parser.parse_args(argv)
    quick = args.quick
    return Options(
        parse_runs=args.parse_runs or (200 if quick else 500),
        files=args.files or (60 if quick else 240),
        in_flight=[int(v) for v in args.in_flight.split(",") if v.strip()],
        rates=[float(v) for v in args.rates.split(",") if v.strip()],
        duration_s=args.duration or (5.0 if quick else 30.0),
        spot_share=args.spot_share,
        seed=args.seed,
        profile=args.profile,
        keep=args.keep,
        quick=quick,
        json_out=args.json,
    )


# --- the private stack ------------------------------------------------------------


class Bench:
    """The stack, Django pointed at it, instrumentation, and the child processes."""

    def __init__(self, run_dir: Path) -> None:
        self.run_dir = run_dir
        self.servers: list[Any] = []
        self.children: list[subprocess.Popen[bytes]] = []
        self.overrides: Any = None
        self.stack: Any = None
        self.consumer: Any = None
        self.recorder = Recorder()
        self.listener_out = run_dir / "listener.tsv"

    def start(self) -> None:
        import django

        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frgm_site.settings")
        django.setup()
        from devstack.processes import free_port, moto_start, redis_start
        from tests.stack import Stack

        base = self.run_dir / "stack"
        self.servers.append(
            redis_start(
                name="state",
                port=free_port(),
                data_dir=base / "state",
                cluster=True,
                durable=False,
            )
        )
        self.servers.append(
            redis_start(
                name="messaging",
                port=free_port(),
                data_dir=base / "messaging",
                cluster=False,
                durable=False,
            )
        )
        self.servers.append(moto_start(port=free_port(), log_dir=base))
        self.stack = Stack(*self.servers)
        self._django_point_at_stack()
        self._listener_start()
        hooks_install(self.recorder)

    def _django_point_at_stack(self) -> None:
        from django.test import override_settings

        from feeds.aws import clients_reset
        from feeds.bootstrap import local_resources_ensure
        from feeds.redis_clients import redis_clients_reset
        from tests.conftest import stack_settings

        os.environ["AWS_ENDPOINT_URL"] = self.stack.aws_url
        self.overrides = override_settings(**stack_settings(self.stack))
        self.overrides.enable()
        clients_reset()
        redis_clients_reset()
        _logs_to_file(self.run_dir / "worker.log")
        local_resources_ensure()

    def _listener_start(self) -> None:
        from feeds.messages import feed_all_group_name
        from feeds.records import Feed

        groups = [feed_all_group_name(feed.value) for feed in Feed]
        self.listener = self._child(
            "bench.listener", self.stack.messaging_url, str(self.listener_out), *groups
        )
        ready = Path(str(self.listener_out) + ".ready")
        deadline = time.monotonic() + 20
        while not ready.exists():
            if self.listener.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the channel-layer listener did not start (see run dir)")
            time.sleep(0.05)

    def _child(self, module: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.run_dir / f"{module.rsplit('.', 1)[-1]}.log").open("ab")
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        self.children.append(process)
        return process

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by the worker (this process) and each server."""
        times = os.times()
        found = {"worker": times.user + times.system}
        for name, pid in (
            ("moto", self.servers[2].process.pid),
            ("redis state", self.servers[0].process.pid),
            ("redis messaging", self.servers[1].process.pid),
            ("web stand-in", self.listener.pid),
        ):
            found[name] = process_cpu_s(pid) or 0.0
        found["machine"] = machine_busy_s() or 0.0
        return found

    def stop(self, *, interrupted: bool = False) -> None:
        if interrupted:
            # The consumer's poll thread may be mid-receive and then find its pool
            # shut down; at teardown that traceback is noise.
            threading.excepthook = lambda args: None
        if self.consumer is not None:
            with contextlib.suppress(Exception):
                self.consumer.stop(timeout_s=5)
            self.consumer = None
        for child in self.children:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    child.kill()
                    child.wait()
        if self.overrides is not None:
            with contextlib.suppress(Exception):
                self.overrides.disable()
        for server in reversed(self.servers):
            with contextlib.suppress(Exception):
                server.stop()


def _logs_to_file(path: Path) -> None:
    """The worker's log and EMF lines still get formatted and written, but to a
    file (as stdout goes to CloudWatch in AWS), not over the benchmark's table."""
    stream = path.open("a")
    for name in ("", "frgm.emf"):
        for handler in logging.getLogger(name).handlers:
            if type(handler) is logging.StreamHandler:
                handler.setStream(stream)


# --- feed files -------------------------------------------------------------------


def _feed_of(key: str) -> str:
    from feeds.parsers import feed_key_parse

    source = feed_key_parse(key)
    return str(source.feed) if source else "other"


class FileSource:
    """Simulated feed files, single layout, on a clock that moves 1 s per tick.

    The clock starts in the past and only moves forward, so every phase's files
    are newer than the last phase's and the compare-and-set applies them.
    Spot-risk files make up ``spot_share`` of the mix; the rest are TT
    positions and working orders (and a vtexp file when one is due).
    """

    def __init__(self, *, seed: int, start: datetime, spot_share: float) -> None:
        from feeds.simulator import Simulator, SimulatorConfig

        self.clock = start
        self.simulator = Simulator(
            seed=seed, now=lambda: self.clock, config=SimulatorConfig(layout="single")
        )
        # Each TT feed may have this many files per spot-risk file.
        self.ratio = (1 - spot_share) / spot_share / len(TT_FEEDS)
        self.counts: Counter[str] = Counter()
        self.preamble = self._tick()  # instrument, vtexp and the first round

    def _tick(self) -> list[Any]:
        files = self.simulator.tick()
        self.clock += timedelta(seconds=1)
        return files

    def take(self, count: int) -> list[Any]:
        chosen: list[Any] = []
        while len(chosen) < count:
            for item in self._tick():
                feed = _feed_of(item.key)
                if feed in TT_FEEDS and self.counts[feed] >= self.counts["spot-risk"] * self.ratio:
                    continue
                self.counts[feed] += 1
                chosen.append(item)
        return chosen[:count]


def _upload(files: Sequence[Any]) -> None:
    from django.conf import settings

    from feeds.aws import client

    s3 = client("s3")
    for item in files:
        s3.put_object(
            Bucket=settings.FRGM_FEED_BUCKET,
            Key=item.key,
            Body=item.body,
            ContentType=item.content_type,
        )


def _queue_url() -> str:
    from django.conf import settings

    from feeds.aws import client

    return str(client("sqs").get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)["QueueUrl"])


def _queue_depth() -> tuple[int, int]:
    from feeds.aws import client

    attrs = client("sqs").get_queue_attributes(
        QueueUrl=_queue_url(),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def _wait_for_depth(count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while _queue_depth()[0] < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} notifications reached the queue")
        time.sleep(0.05)


class IngestBroken(RuntimeError):
    """Files fail to ingest (not a slow run): stop instead of waiting it out."""


def _wait_done(recorder: Recorder, timeout_s: float) -> bool:
    """Wait for the phase's deletes; raise if ingest keeps failing meanwhile."""
    deadline = time.monotonic() + timeout_s
    while not recorder.done.wait(0.25):
        with recorder.lock:
            errors, deleted, first = recorder.errors, recorder.deleted, recorder.first_error
        if errors >= 20 and errors > 2 * deleted:
            raise IngestBroken(f"{errors} ingest errors ({deleted} files done); first: {first}")
        if time.monotonic() > deadline:
            return False
    return True


def _consumer(in_flight: int, wait_s: int) -> Any:
    from django.conf import settings

    from feeds.sqs_consumer import NotificationConsumer

    return NotificationConsumer(
        queue_name=settings.FRGM_FEED_QUEUE,
        in_flight=in_flight,
        wait_s=wait_s,
        visibility_s=settings.FRGM_CONSUMER_VISIBILITY_S,
        worker=f"bench:{in_flight}",
    )


def _drain(bench: Bench, files: Sequence[Any]) -> None:
    """Upload ``files`` and ingest them (and anything already queued) unmeasured."""
    _upload(files)
    queued = sum(_queue_depth())
    bench.recorder.reset(queued)
    consumer = _consumer(4, 1)
    consumer.start()
    try:
        _wait_done(bench.recorder, 60)
    finally:
        consumer.stop()


# --- 1. parse ----------------------------------------------------------------------


@dataclass
class ParseResult:
    label: str
    rows: int
    size: int
    times_ms: list[float]
    cpu_ms: list[float]  # the thread's CPU time: what preemption by other processes leaves out


def bench_parse(opts: Options, start: datetime) -> list[ParseResult]:
    from feeds.parsers import file_parse
    from feeds.simulator import Simulator, SimulatorConfig

    clock = [start]
    simulator = Simulator(
        seed=opts.seed + 1, now=lambda: clock[0], config=SimulatorConfig(layout="single")
    )
    by_feed: dict[str, list[Any]] = {"spot-risk": [], "tt-orders": [], "tt-positions": []}
    while min(len(v) for v in by_feed.values()) < 20:
        for item in simulator.tick():
            feed = _feed_of(item.key)
            if feed in by_feed:
                by_feed[feed].append(item)
        clock[0] += timedelta(seconds=1)
    results = []
    for feed, label in (
        ("spot-risk", "Actant spot risk (single CSV)"),
        ("tt-orders", "TT working orders (JSON)"),
        ("tt-positions", "TT positions (JSON)"),
    ):
        samples = by_feed[feed][:20]
        for item in samples:  # warm up: imports, caches
            file_parse(key=item.key, data=item.body)
        times, cpu = [], []
        runs = opts.parse_runs if feed == "spot-risk" else max(100, opts.parse_runs // 5)
        for n in range(runs):
            item = samples[n % len(samples)]
            started, cpu_started = time.perf_counter(), time.thread_time()
            file_parse(key=item.key, data=item.body)
            times.append((time.perf_counter() - started) * 1000)
            cpu.append((time.thread_time() - cpu_started) * 1000)
        parsed = file_parse(key=samples[0].key, data=samples[0].body)
        rows = len(parsed.spot_risk or ()) if feed == "spot-risk" else _rows(parsed)
        size = sum(len(i.body) for i in samples) // len(samples)
        results.append(ParseResult(label, rows, size, times, cpu))
    return results


def _rows(parsed: Any) -> int:
    for name in ("orders", "positions", "spot_risk", "rows"):
        value = getattr(parsed, name, None)
        if value:
            return len(value)
    return 0


# --- 2 and 3. throughput and stages ---------------------------------------------------


@dataclass
class Phase:
    """One measured run: a throughput drain or a steady-rate latency run."""

    label: str
    files: int
    wall_s: float = 0.0
    cpu_s: dict[str, float] = field(default_factory=dict)
    samples: list[FileSample] = field(default_factory=list)
    records: dict[str, RecordSample] = field(default_factory=dict)
    deletes_ms: list[float] = field(default_factory=list)
    receives: list[tuple[float, int]] = field(default_factory=list)
    puts: dict[str, dict[str, float]] = field(default_factory=dict)
    listened: dict[str, float] = field(default_factory=dict)
    rate: float | None = None
    complete: bool = True

    @property
    def files_per_s(self) -> float:
        return self.files / self.wall_s if self.wall_s else 0.0

    def statuses(self) -> Counter[str]:
        return Counter(s.status for s in self.samples)

    def feeds(self) -> Counter[str]:
        return Counter(s.feed for s in self.samples)


def _collect(bench: Bench, phase: Phase) -> None:
    recorder = bench.recorder
    with recorder.lock:
        phase.samples = list(recorder.files)
        phase.records = dict(recorder.records)
        phase.deletes_ms = list(recorder.deletes_ms)
        phase.receives = list(recorder.receives)


def bench_throughput(bench: Bench, source: FileSource, in_flight: int, count: int) -> Phase:
    files = source.take(count)
    _upload(files)
    _wait_for_depth(count)
    phase = Phase(label=f"in_flight={in_flight}", files=count)
    bench.recorder.reset(count)
    consumer = bench.consumer = _consumer(in_flight, 1)
    cpu_before = bench.cpu()
    started = time.perf_counter()
    consumer.start()
    phase.complete = _wait_done(bench.recorder, max(60.0, count / 2))
    phase.wall_s = (bench.recorder.last_delete or time.perf_counter()) - started
    cpu_after = bench.cpu()
    consumer.stop()
    bench.consumer = None
    phase.cpu_s = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    _collect(bench, phase)
    return phase


# --- 4. latency at a steady rate ---------------------------------------------------------


def bench_latency(bench: Bench, source: FileSource, rate: float, duration_s: float) -> Phase:
    from django.conf import settings

    count = max(1, round(rate * duration_s))
    files = source.take(count)
    folder = bench.run_dir / f"upload-{rate:g}"
    folder.mkdir(parents=True, exist_ok=True)
    manifest = []
    for n, item in enumerate(files):
        path = folder / f"{n:05d}"
        path.write_bytes(item.body)
        manifest.append({"key": item.key, "path": str(path), "content_type": item.content_type})
    manifest_path = folder / "manifest.json"
    manifest_path.write_text(
        json.dumps(
            {
                "endpoint": bench.stack.aws_url,
                "bucket": settings.FRGM_FEED_BUCKET,
                "rate": rate,
                "files": manifest,
            }
        )
    )
    phase = Phase(label=f"{rate:g} files/s", files=count, rate=rate)
    bench.recorder.reset(count)
    out = folder / "puts.jsonl"
    cpu_before = bench.cpu()
    started = time.perf_counter()
    uploader = bench._child("bench.uploader", str(manifest_path), str(out))
    uploader.wait(timeout=duration_s * 3 + 60)
    if uploader.returncode != 0:
        raise RuntimeError(f"the uploader failed ({uploader.returncode}); see uploader.log")
    phase.complete = _wait_done(bench.recorder, 30)
    phase.wall_s = time.perf_counter() - started
    cpu_after = bench.cpu()
    phase.cpu_s = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    time.sleep(0.3)  # the listener writes the last arrivals
    _collect(bench, phase)
    for text in out.read_text().splitlines():
        put = json.loads(text)
        phase.puts[put["key"]] = put
    for text in bench.listener_out.read_text().splitlines():
        key, _, arrived = text.partition("\t")
        if key in phase.puts:
            phase.listened[key] = float(arrived)
    return phase


# --- 3b. serial: where one file's time and CPU go; optional profile ------------------------


@dataclass
class Serial:
    phase: Phase
    handle_cpu_ms: dict[str, float]  # message id -> CPU of message_handle (ingest + delete)
    receive_cpu_ms: float  # per message
    profile: str = ""


def bench_serial(bench: Bench, source: FileSource, count: int, *, profile: bool) -> Serial:
    """Ingest ``count`` files one at a time in this thread (no consumer threads
    running), so the process's CPU time per stage is this file's alone."""
    import cProfile
    import io
    import pstats

    from feeds.aws import client
    from feeds.sqs_consumer import message_handle

    files = source.take(count)
    _upload(files)
    _wait_for_depth(count)
    url = _queue_url()
    phase = Phase(label="serial", files=count)
    bench.recorder.reset(count)
    profiler = cProfile.Profile() if profile else None
    handle_cpu: dict[str, float] = {}
    receive_cpu = 0.0
    cpu_before = bench.cpu()
    started = time.perf_counter()
    if profiler:
        profiler.enable()
    while len(handle_cpu) < count:
        cpu = time.process_time()
        reply = client("sqs").receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=10,
            WaitTimeSeconds=1,
            VisibilityTimeout=30,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        receive_cpu += time.process_time() - cpu
        if bench.recorder.errors >= 20:
            raise IngestBroken(f"ingest keeps failing; first: {bench.recorder.first_error}")
        for message in reply.get("Messages", []):
            cpu = time.process_time()
            message_handle(message, received_at=time.time(), worker="bench-serial", queue_url=url)
            handle_cpu[message["MessageId"]] = (time.process_time() - cpu) * 1000
    if profiler:
        profiler.disable()
    phase.wall_s = time.perf_counter() - started
    cpu_after = bench.cpu()
    phase.cpu_s = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    _collect(bench, phase)
    text = ""
    if profiler:
        path = bench.run_dir / "ingest.prof"
        profiler.dump_stats(str(path))
        buffer = io.StringIO()
        stats = pstats.Stats(profiler, stream=buffer).strip_dirs()
        stats.sort_stats("tottime").print_stats(30)
        stats.sort_stats("cumulative").print_stats(40)
        text = f"cProfile of {count} files ingested serially ({path}):\n{buffer.getvalue()}"
    return Serial(phase, handle_cpu, receive_cpu * 1000 / max(1, count), text)


# --- reporting ---------------------------------------------------------------------------


def machine_report(bench: Bench) -> list[tuple[str, str]]:
    import boto3
    import moto
    import redis

    mem = memory_gib()
    return [
        ("date", datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("CPU", f"{cpu_model()}, {os.cpu_count()} cores"),
        ("memory", f"{mem:.1f} GiB" if mem else "unknown"),
        ("OS", platform.platform()),
        ("Python", platform.python_version()),
        ("redis-server", command_version("redis-server", "--version")),
        ("moto", moto.__version__),
        ("boto3 / redis-py", f"{boto3.__version__} / {redis.__version__}"),
        ("load average", f"{load_average()} (1, 5, 15 min) at start"),
    ]


def _pairs(pairs: Sequence[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in pairs)


def _event_resolution(phases: Sequence[Phase]) -> str:
    micros = [
        r.event_microsecond
        for p in phases
        for r in p.records.values()
        if r.event_microsecond is not None
    ]
    if not micros:
        return "no S3 event times were seen"
    if all(m == 0 for m in micros):
        return (
            "moto's eventTime has WHOLE SECONDS only: latencies below carry up to 1 s of "
            "rounding and are not meaningful"
        )
    if all(m % 1000 == 0 for m in micros):
        return (
            "moto's eventTime has millisecond resolution (…T12:34:56.789Z, truncated), "
            "stamped while moto handles the PUT: latencies carry a 0-1 ms upward bias"
        )
    return "moto's eventTime has sub-millisecond resolution"


def _stage_values(samples: Sequence[FileSample], stage: str) -> list[float]:
    if stage == "rest":
        return [
            s.total_ms - sum(s.stages_ms.values()) for s in samples if s.status in ("ingested",)
        ]
    if stage == "total":
        return [s.total_ms for s in samples if s.status in ("ingested", "stale")]
    return [s.stages_ms[stage] for s in samples if stage in s.stages_ms]


def stage_table(
    columns: Sequence[tuple[str, Phase, Sequence[FileSample]]], *, sqs: bool = True
) -> str:
    rows = []
    for stage, label in (
        *((s, s) for s in STAGES),
        ("rest", "claim + record + metrics"),
        ("total", "file total (ingest)"),
    ):
        rows.append([label, *(p50_p99(_stage_values(samples, stage)) for _, _, samples in columns)])
    if sqs:
        rows.append(["sqs delete", *(p50_p99(phase.deletes_ms) for _, phase, _ in columns)])
        rows.append(
            [
                "sqs receive (per call) *",
                *(p50_p99([ms for ms, n in phase.receives if n]) for _, phase, _ in columns),
            ]
        )
    return table(["stage, ms (median / p99)", *(label for label, _, _ in columns)], rows)


def _latencies(phase: Phase) -> dict[str, list[float]]:
    published = [
        r for r in phase.records.values() if r.status in ("applied", "same") and r.key in phase.puts
    ]
    return {
        "event_to_published": [
            (r.published_at - r.event_time) * 1000 for r in published if r.event_time
        ],
        "recorded": [r.latency_ms for r in published if r.latency_ms is not None],
        "put_to_published": [
            (r.published_at - phase.puts[r.key]["put_start"]) * 1000 for r in published
        ],
        "event_to_web": [
            (phase.listened[r.key] - r.event_time) * 1000
            for r in published
            if r.event_time and r.key in phase.listened
        ],
        "put_ms": [(p["put_end"] - p["put_start"]) * 1000 for p in phase.puts.values()],
        "queue_wait": [(r.received_at - r.event_time) * 1000 for r in published if r.event_time],
    }


def _median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def serial_report(serial: Serial) -> list[str]:
    phase = serial.phase
    done = [s for s in phase.samples if s.status == "ingested"]
    groups = [(feed, [s for s in done if s.feed == feed]) for feed in ("spot-risk", *TT_FEEDS)]

    def cell(wall: float | None, cpu: float | None) -> str:
        return f"{fmt(wall)} / {fmt(cpu)}"

    rows = []
    for stage, label in (*((s, s) for s in STAGES), ("rest", "claim + record + metrics")):

        def wall_of(s: FileSample, stage: str = stage) -> float:
            if stage == "rest":
                return s.total_ms - sum(s.stages_ms.values())
            return s.stages_ms.get(stage, 0.0)

        def cpu_of(s: FileSample, stage: str = stage) -> float:
            if stage == "rest":
                return s.cpu_total_ms - sum(s.cpu_ms.values())
            return s.cpu_ms.get(stage, 0.0)

        rows.append(
            [
                label,
                *(
                    cell(_median([wall_of(s) for s in g]), _median([cpu_of(s) for s in g]))
                    for _, g in groups
                ),
                cell(_mean([wall_of(s) for s in done]), _mean([cpu_of(s) for s in done])),
            ]
        )
    rows.append(
        [
            "file total (ingest)",
            *(
                cell(_median([s.total_ms for s in g]), _median([s.cpu_total_ms for s in g]))
                for _, g in groups
            ),
            cell(_mean([s.total_ms for s in done]), _mean([s.cpu_total_ms for s in done])),
        ]
    )
    handle = list(serial.handle_cpu_ms.values())
    delete_cpu = (_mean(handle) or 0.0) - (_mean([s.cpu_total_ms for s in phase.samples]) or 0.0)
    rows.append(["sqs delete", "", "", "", cell(_mean(phase.deletes_ms), delete_cpu)])
    rows.append(["sqs receive (per message)", "", "", "", cell(None, serial.receive_cpu_ms)])
    per_file_cpu = (_mean(handle) or 0.0) + serial.receive_cpu_ms
    stand_ins = ", ".join(
        f"{name} {phase.cpu_s.get(name, 0.0) * 1000 / max(1, len(phase.samples)):.1f}"
        for name in ("moto", "redis state", "redis messaging", "web stand-in")
    )
    return [
        f"3b. One file at a time ({len(phase.samples)} files, one thread, no consumer threads): "
        "median wall ms / median worker CPU ms",
        table(["stage", *(f"{feed} ({len(g)})" for feed, g in groups), "mix (mean)"], rows),
        f"   serial rate {phase.files_per_s:.1f} files/s. Worker CPU per file, mix mean incl. "
        f"SQS receive and delete: {per_file_cpu:.1f} ms, so one worker process (one "
        f"interpreter lock) tops out near {1000 / per_file_cpu:.0f} files/s on this CPU "
        "whatever in_flight is.",
        f"   CPU per file spent by the stand-ins (ms): {stand_ins}. Other processes' load "
        f"meanwhile: {_others_pct(phase)}.",
    ]


OURS = ("worker", "moto", "redis state", "redis messaging", "web stand-in")


def _others_pct(phase: Phase) -> str:
    """Share of the machine's CPU that processes outside this benchmark used."""
    machine = phase.cpu_s.get("machine", 0.0)
    if not machine or not phase.wall_s:
        return "-"
    others = max(0.0, machine - sum(phase.cpu_s.get(name, 0.0) for name in OURS))
    return f"{100 * others / (phase.wall_s * (os.cpu_count() or 1)):.0f}%"


def _busy_pct(phase: Phase) -> str:
    machine = phase.cpu_s.get("machine", 0.0)
    if not machine or not phase.wall_s:
        return "-"
    return f"{100 * machine / (phase.wall_s * (os.cpu_count() or 1)):.0f}%"


def _worker_bound_files_per_s(phase: Phase) -> float | None:
    worker_s = phase.cpu_s.get("worker", 0.0)
    return len(phase.samples) / worker_s if worker_s else None


def _cpu_cells(phase: Phase) -> list[str]:
    per = max(1, len(phase.samples))
    return [fmt(phase.cpu_s.get(name, 0.0) * 1000 / per) for name in OURS]


def report(
    opts: Options,
    machine: list[tuple[str, str]],
    parses: list[ParseResult],
    throughput: list[Phase],
    latency: list[Phase],
    serial: Serial | None,
    parse_load: Phase | None = None,
) -> tuple[str, list[tuple[str, str, str, bool]]]:
    out: list[str] = []
    out.append("FRGM Live ingest benchmark (python -m bench.ingest)")
    out.append(_pairs(machine))
    out.append("")
    out.append("1. Parse + validate, pure, in-process (file_parse), ms")
    out.append(
        table(
            ["file", "rows", "KB", "runs", "median", "p99", "max", "CPU median", "CPU p99"],
            [
                [
                    p.label,
                    p.rows,
                    f"{p.size / 1024:.0f}",
                    len(p.times_ms),
                    fmt(percentile(p.times_ms, 50), 2),
                    fmt(percentile(p.times_ms, 99), 2),
                    fmt(max(p.times_ms), 2),
                    fmt(percentile(p.cpu_ms, 50), 2),
                    fmt(percentile(p.cpu_ms, 99), 2),
                ]
                for p in parses
            ],
        )
    )
    out.append(
        "   median/p99/max: wall clock; CPU: this thread's CPU time, which leaves out time the "
        "thread was preempted (garbage collection still counts)."
    )
    if parse_load is not None:
        out.append(f"   other processes' load on the machine meanwhile: {_others_pct(parse_load)}")
    out.append("")
    if throughput:
        mix = throughput[0].feeds()
        out.append(
            f"2. Throughput of one worker process: {opts.files} files uploaded first, then one "
            "NotificationConsumer drains the queue"
        )
        out.append(f"   mix per run: {', '.join(f'{k} {v}' for k, v in sorted(mix.items()))}")
        out.append(
            table(
                [
                    "consumer",
                    "files",
                    "wall s",
                    "files/s",
                    "CPU ms/file: worker",
                    "moto",
                    "redis state",
                    "redis msg",
                    "web stand-in",
                    "machine busy",
                    "worker CPU-bound files/s",
                    "statuses",
                ],
                [
                    [
                        p.label + ("" if p.complete else " (INCOMPLETE)"),
                        len(p.samples),
                        fmt(p.wall_s, 2),
                        fmt(p.files_per_s),
                        *_cpu_cells(p),
                        _busy_pct(p),
                        fmt(_worker_bound_files_per_s(p)),
                        " ".join(f"{k}={v}" for k, v in sorted(p.statuses().items())),
                    ]
                    for p in throughput
                ],
            )
        )
        out.append(
            "   machine busy: every process on every core over the run (100% = all "
            f"{os.cpu_count()} cores). worker CPU-bound files/s: files / the worker process's "
            "CPU seconds, what it sustains when S3, SQS, DynamoDB and Redis run elsewhere."
        )
        out.append("")
        out.append("3. Per-stage time per file, ms (median / p99)")
        columns = [(p.label, p, p.samples) for p in throughput]
        columns += [(f"steady {p.label}", p, p.samples) for p in latency]
        out.append(stage_table(columns))
        out.append(
            "   * calls that returned messages; in steady runs this includes the long-poll wait."
        )
        out.append(
            "   download, dynamodb and sqs are HTTP calls to moto; redis and publish go to the "
            "local redis-servers; derive includes two state-store reads (vtexp, future mid)."
        )
        out.append("")
    if serial is not None:
        out.extend(serial_report(serial))
        out.append("")
    if latency:
        out.append(
            "4. End-to-end latency at a steady rate, ms: consumer in_flight=4 running, feed "
            "server stand-in uploading from its own process"
        )
        out.append("   " + _event_resolution(latency))
        main_rows, parts_rows = [], []
        for p in latency:
            lat = _latencies(p)
            starts = sorted(x["put_start"] for x in p.puts.values())
            span = starts[-1] - starts[0] if len(starts) > 1 else 0.0
            e2e = lat["event_to_published"]
            statuses = Counter(r.status for r in p.records.values() if r.key in p.puts)
            label = p.label + ("" if p.complete else " (INCOMPLETE)")
            main_rows.append(
                [
                    label,
                    f"{len(p.puts)}/{p.files}",
                    fmt((len(starts) - 1) / span if span else None),
                    " ".join(f"{k}={v}" for k, v in sorted(statuses.items())),
                    fmt(percentile(e2e, 50)),
                    fmt(percentile(e2e, 90)),
                    fmt(percentile(e2e, 99)),
                    fmt(max(e2e) if e2e else None),
                    _others_pct(p),
                ]
            )
            parts_rows.append(
                [
                    label,
                    p50_p99(lat["put_ms"]),
                    p50_p99(lat["queue_wait"]),
                    p50_p99(lat["recorded"]),
                    p50_p99(e2e),
                    p50_p99(lat["event_to_web"]),
                    p50_p99(lat["put_to_published"]),
                ]
            )
        out.append(
            table(
                [
                    "rate",
                    "uploaded",
                    "sent/s",
                    "statuses",
                    "event->published p50",
                    "p90",
                    "p99",
                    "max",
                    "other load",
                ],
                main_rows,
            )
        )
        out.append("")
        out.append("   the same files, milestones (median / p99, ms):")
        out.append(
            table(
                [
                    "rate",
                    "PUT itself",
                    "event->received",
                    "event->finished_at",
                    "event->published",
                    "event->web process",
                    "PUT start->published",
                ],
                parts_rows,
            )
        )
        out.append(
            "   event->published: S3 eventTime to the end of the channel-layer publish (the "
            "headline; stale files publish nothing and are left out).\n"
            "   event->received: until the consumer had the SQS message (queueing + receive).\n"
            "   event->finished_at: the pipeline's own latency_ms (stops before publish).\n"
            "   event->web process: until a stand-in web process subscribed to the feed's "
            "group had the file's first update."
        )
        out.append("")
    checks = _targets(parses, throughput, latency)
    out.append("Targets")
    out.append(
        table(
            ["target", "wanted", "measured", "met"],
            [[name, wanted, got, "met" if ok else "NOT MET"] for name, wanted, got, ok in checks],
        )
    )
    return "\n".join(out), checks


def _targets(
    parses: list[ParseResult], throughput: list[Phase], latency: list[Phase]
) -> list[tuple[str, str, str, bool]]:
    checks = []
    if parses:
        p99 = percentile(parses[0].times_ms, 99) or 0.0
        cpu99 = percentile(parses[0].cpu_ms, 99) or 0.0
        checks.append(
            (
                "spot-risk parse + validate p99",
                f"<= {TARGET_PARSE_P99_MS:g} ms",
                f"{p99:.2f} ms wall ({cpu99:.2f} ms CPU)",
                p99 <= TARGET_PARSE_P99_MS,
            )
        )
    if throughput:
        default = next(
            (p for p in throughput if p.label == f"in_flight={DEFAULT_IN_FLIGHT}"), throughput[0]
        )
        best = max(throughput, key=lambda p: p.files_per_s)
        got = f"{default.files_per_s:.1f} files/s ({default.label}); best {best.files_per_s:.1f}"
        checks.append(
            (
                "files/s, one worker, wall (stand-ins on the same cores)",
                f">= {TARGET_FILES_PER_S:g}",
                f"{got}; machine {_busy_pct(default)} busy",
                default.files_per_s >= TARGET_FILES_PER_S and default.complete,
            )
        )
        bound = _worker_bound_files_per_s(default) or 0.0
        checks.append(
            (
                "files/s, one worker process, CPU-bound",
                f">= {TARGET_FILES_PER_S:g}",
                f"{bound:.1f} files/s ({default.label}: files / worker CPU s)",
                bound >= TARGET_FILES_PER_S and default.complete,
            )
        )
    for p in latency:
        if p.rate is not None and p.rate >= 10:
            p99 = percentile(_latencies(p)["event_to_published"], 99)
            checks.append(
                (
                    f"end-to-end p99 at {p.label}",
                    f"<= {TARGET_LATENCY_P99_MS:g} ms",
                    f"{fmt(p99)} ms",
                    p99 is not None and p99 <= TARGET_LATENCY_P99_MS,
                )
            )
    return checks


def _p50_p99(values: Sequence[float]) -> dict[str, float | None]:
    return {"p50": percentile(values, 50), "p99": percentile(values, 99)}


def _raw(
    machine: list[tuple[str, str]],
    parses: list[ParseResult],
    throughput: list[Phase],
    latency: list[Phase],
) -> dict[str, Any]:
    def phase_dict(p: Phase) -> dict[str, Any]:
        return {
            "label": p.label,
            "files": p.files,
            "wall_s": p.wall_s,
            "files_per_s": p.files_per_s,
            "cpu_s": p.cpu_s,
            "other_load": _others_pct(p),
            "statuses": dict(p.statuses()),
            "stages": {
                stage: {
                    "p50": percentile(_stage_values(p.samples, stage), 50),
                    "p99": percentile(_stage_values(p.samples, stage), 99),
                }
                for stage in (*STAGES, "rest", "total")
            },
            "sqs_delete": _p50_p99(p.deletes_ms),
            "latency": ({k: _p50_p99(v) for k, v in _latencies(p).items()} if p.puts else None),
        }

    return {
        "machine": dict(machine),
        "parse": [
            {
                "label": p.label,
                "rows": p.rows,
                "p50": percentile(p.times_ms, 50),
                "p99": percentile(p.times_ms, 99),
                "cpu_p50": percentile(p.cpu_ms, 50),
                "cpu_p99": percentile(p.cpu_ms, 99),
            }
            for p in parses
        ],
        "throughput": [phase_dict(p) for p in throughput],
        "latency": [phase_dict(p) for p in latency],
    }


# --- main --------------------------------------------------------------------------------


@contextlib.contextmanager
def _terminate_as_interrupt() -> Iterator[None]:
    def interrupt(signum: int, frame: FrameType | None) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def _say(text: str) -> None:
    print(text, flush=True)


def run(opts: Options) -> int:
    run_dir = Path(tempfile.mkdtemp(prefix="frgm-bench-ingest-"))
    bench = Bench(run_dir)
    parses: list[ParseResult] = []
    parse_load: Phase | None = None
    serial: Serial | None = None
    throughput: list[Phase] = []
    latency: list[Phase] = []
    began = time.monotonic()
    interrupted = False
    try:
        with _terminate_as_interrupt():
            _say(f"starting a private stack (run directory {run_dir}) ...")
            bench.start()
            machine = machine_report(bench)
            _say(_pairs(machine))
            _heap_as_the_worker_has_it()
            start = datetime.now(UTC) - timedelta(hours=3)
            _say(f"1/4 parse + validate, {opts.parse_runs} runs ...")
            cpu_before, began_parse = bench.cpu(), time.perf_counter()
            parses = bench_parse(opts, start)
            parse_load = Phase(label="parse", files=0, wall_s=time.perf_counter() - began_parse)
            cpu_after = bench.cpu()
            parse_load.cpu_s = {k: cpu_after[k] - cpu_before[k] for k in cpu_after}
            source = FileSource(seed=opts.seed, start=start, spot_share=opts.spot_share)
            _say("    warm-up: instrument, vtexp and a few files, unmeasured ...")
            _drain(bench, source.preamble + source.take(12))
            for in_flight in opts.in_flight:
                _say(f"2/4 throughput: {opts.files} files, in_flight={in_flight} ...")
                phase = bench_throughput(bench, source, in_flight, opts.files)
                throughput.append(phase)
                _say(f"    {phase.files_per_s:.1f} files/s in {phase.wall_s:.2f} s")
            count = min(opts.files, 30 if opts.quick else 80)
            _say(f"3/4 one file at a time: {count} files, CPU per stage ...")
            serial = bench_serial(bench, source, count, profile=opts.profile)
            _say(f"    {serial.phase.files_per_s:.1f} files/s serial")
            bench.consumer = _consumer(DEFAULT_IN_FLIGHT, 2)
            bench.consumer.start()
            for rate in opts.rates:
                _say(f"4/4 latency: {rate:g} files/s for {opts.duration_s:g} s ...")
                phase = bench_latency(bench, source, rate, opts.duration_s)
                latency.append(phase)
                e2e = _latencies(phase)["event_to_published"]
                _say(f"    p50 {fmt(percentile(e2e, 50))} ms, p99 {fmt(percentile(e2e, 99))} ms")
            bench.consumer.stop()
            bench.consumer = None
            text, _checks = report(opts, machine, parses, throughput, latency, serial, parse_load)
            _say("")
            _say(text)
            if bench.listener.poll() is not None:
                _say(
                    f"\nWARNING: the web stand-in exited early (code {bench.listener.returncode}); "
                    f"its columns are incomplete. See {run_dir}/listener.log (kept)."
                )
                opts.keep = True
            _say(
                f"\n(total run time {time.monotonic() - began:.0f} s; load average at end "
                f"{load_average()})"
            )
            if serial.profile:
                _say("\n" + serial.profile)
            if opts.json_out:
                opts.json_out.write_text(
                    json.dumps(
                        _raw(machine, parses, [*throughput, serial.phase], latency),
                        indent=2,
                        default=str,
                    )
                )
            return 0
    except KeyboardInterrupt:
        _say("\ninterrupted: stopping the stack")
        interrupted = True
        return 130
    except IngestBroken as exc:
        _say(f"\nFAILED: {exc}\n(the worker log is kept in {run_dir}/worker.log)")
        opts.keep = True
        return 1
    except RuntimeError as exc:  # a server that would not start, a queue that stayed empty
        _say(f"\nFAILED: {exc}\n(logs are kept in {run_dir})")
        opts.keep = True
        return 1
    finally:
        bench.stop(interrupted=interrupted)
        if opts.keep:
            _say(f"run directory kept: {run_dir}")
        else:
            shutil.rmtree(run_dir, ignore_errors=True)


def _heap_as_the_worker_has_it() -> None:
    """The worker settles its start-up heap before it takes a file
    (frgm_site/celery.py); the measured code runs here, so this does too."""
    import feeds.sqs_consumer  # noqa: F401 - what the worker has imported by then
    from feeds.heap import heap_settle

    heap_settle()


def main(argv: Sequence[str] | None = None) -> int:
    return run(options_parse(argv))


if __name__ == "__main__":
    sys.exit(main())
