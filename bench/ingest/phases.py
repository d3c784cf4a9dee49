"""The ingest benchmark's command line, stack and phases: the private stack with the
worker's code instrumented in this process and a stand-in web process (``Bench``),
simulated feed files and their upload, the queue and the consumer draining it, and
the four phases (parse, throughput, one file at a time, steady-rate latency), each a
``Phase``.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from bench.harness import Harness
from bench.instrument import FileSample, Recorder, RecordSample, hooks_install
from bench.stats import machine_busy_s, process_cpu_s
from devstack.standins import Stack

# --- options -----------------------------------------------------------------------------


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
    from bench import ingest

    parser = argparse.ArgumentParser(
        prog="python -m bench.ingest", description=(ingest.__doc__ or "").split("\n")[0]
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


# --- the stack ---------------------------------------------------------------------------


class Bench(Harness):
    """The harness with the worker's code instrumented in this process, and a stand-in
    web process (``bench.listener``) subscribed to every feed's group.

    The worker's log and EMF lines stay on (they are part of the work measured) but
    go to a file, as stdout goes to CloudWatch in AWS, not over the tables."""

    def __init__(self, run_dir: Path) -> None:
        super().__init__(run_dir)
        self.consumer: Any = None
        self.recorder = Recorder()
        self.listener_out = run_dir / "listener.tsv"

    def start(self, *, migrate: bool = True) -> Stack:
        stack = super().start(migrate=migrate)
        _logs_to_file(self.run_dir / "worker.log")
        self._listener_start(stack)
        hooks_install(self.recorder)
        return stack

    def _listener_start(self, stack: Stack) -> None:
        from feeds.messages import feed_all_group_name
        from feeds.records import Feed

        groups = [feed_all_group_name(feed.value) for feed in Feed]
        self.listener = self.child(
            "bench.listener", stack.messaging_url, str(self.listener_out), *groups
        )
        ready = Path(str(self.listener_out) + ".ready")
        deadline = time.monotonic() + 20
        while not ready.exists():
            if self.listener.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("the channel-layer listener did not start (see run dir)")
            time.sleep(0.05)

    def cpu(self) -> dict[str, float]:
        """CPU seconds used so far by the worker (this process) and each server."""
        times = os.times()
        found = {"worker": times.user + times.system}
        state, messaging, aws = self.servers
        for name, pid in (
            ("moto", aws.pid),
            ("redis state", state.pid),
            ("redis messaging", messaging.pid),
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
        super().stop()


def _logs_to_file(path: Path) -> None:
    """The worker's log and EMF lines still get formatted and written, but to a
    file (as stdout goes to CloudWatch in AWS), not over the benchmark's table."""
    stream = path.open("a")
    for name in ("", "frgm.emf"):
        for handler in logging.getLogger(name).handlers:
            if type(handler) is logging.StreamHandler:
                handler.setStream(stream)


# --- feed_files --------------------------------------------------------------------------


TT_FEEDS = ("tt-positions", "tt-orders")


def feed_of(key: str) -> str:
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
                feed = feed_of(item.key)
                if feed in TT_FEEDS and self.counts[feed] >= self.counts["spot-risk"] * self.ratio:
                    continue
                self.counts[feed] += 1
                chosen.append(item)
        return chosen[:count]


def upload(files: Sequence[Any]) -> None:
    from django.conf import settings

    from lib.aws import client

    s3 = client("s3")
    for item in files:
        s3.put_object(
            Bucket=settings.FRGM_FEED_BUCKET,
            Key=item.key,
            Body=item.body,
            ContentType=item.content_type,
        )


# --- sqs_queue ---------------------------------------------------------------------------


def queue_url() -> str:
    from django.conf import settings

    from lib.aws import client

    return str(client("sqs").get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)["QueueUrl"])


def queue_depth() -> tuple[int, int]:
    from lib.aws import client

    attrs = client("sqs").get_queue_attributes(
        QueueUrl=queue_url(),
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    return int(attrs["ApproximateNumberOfMessages"]), int(
        attrs["ApproximateNumberOfMessagesNotVisible"]
    )


def wait_for_depth(count: int, timeout_s: float = 30) -> None:
    deadline = time.monotonic() + timeout_s
    while queue_depth()[0] < count:
        if time.monotonic() > deadline:
            raise RuntimeError(f"fewer than {count} notifications reached the queue")
        time.sleep(0.05)


class IngestBroken(RuntimeError):
    """Files fail to ingest (not a slow run): stop instead of waiting it out."""


def wait_done(recorder: Recorder, timeout_s: float) -> bool:
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


def notification_consumer(in_flight: int, wait_s: int) -> Any:
    from django.conf import settings

    from feeds.sqs_consumer import NotificationConsumer

    return NotificationConsumer(
        queue_name=settings.FRGM_FEED_QUEUE,
        in_flight=in_flight,
        wait_s=wait_s,
        visibility_s=settings.FRGM_CONSUMER_VISIBILITY_S,
        worker=f"bench:{in_flight}",
    )


def drain(bench: Bench, files: Sequence[Any]) -> None:
    """Upload ``files`` and ingest them (and anything already queued) unmeasured."""
    upload(files)
    queued = sum(queue_depth())
    bench.recorder.reset(queued)
    consumer = notification_consumer(4, 1)
    consumer.start()
    try:
        wait_done(bench.recorder, 60)
    finally:
        consumer.stop()


# --- phase -------------------------------------------------------------------------------


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


def collect(bench: Bench, phase: Phase) -> None:
    recorder = bench.recorder
    with recorder.lock:
        phase.samples = list(recorder.files)
        phase.records = dict(recorder.records)
        phase.deletes_ms = list(recorder.deletes_ms)
        phase.receives = list(recorder.receives)


# --- parse -------------------------------------------------------------------------------


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
            feed = feed_of(item.key)
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


# --- throughput --------------------------------------------------------------------------


def bench_throughput(bench: Bench, source: FileSource, in_flight: int, count: int) -> Phase:
    files = source.take(count)
    upload(files)
    wait_for_depth(count)
    phase = Phase(label=f"in_flight={in_flight}", files=count)
    bench.recorder.reset(count)
    consumer = bench.consumer = notification_consumer(in_flight, 1)
    cpu_before = bench.cpu()
    started = time.perf_counter()
    consumer.start()
    phase.complete = wait_done(bench.recorder, max(60.0, count / 2))
    phase.wall_s = (bench.recorder.last_delete or time.perf_counter()) - started
    cpu_after = bench.cpu()
    consumer.stop()
    bench.consumer = None
    phase.cpu_s = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    collect(bench, phase)
    return phase


# --- serial ------------------------------------------------------------------------------


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

    from feeds.sqs_consumer import message_handle
    from lib.aws import client

    files = source.take(count)
    upload(files)
    wait_for_depth(count)
    url = queue_url()
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
    collect(bench, phase)
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


# --- latency -----------------------------------------------------------------------------


def bench_latency(bench: Bench, source: FileSource, rate: float, duration_s: float) -> Phase:
    from django.conf import settings

    stack = bench.stack
    assert stack is not None, "bench.start() first"

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
                "endpoint": stack.aws_url,
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
    uploader = bench.child("bench.uploader", str(manifest_path), str(out))
    uploader.wait(timeout=duration_s * 3 + 60)
    if uploader.returncode != 0:
        raise RuntimeError(f"the uploader failed ({uploader.returncode}); see uploader.log")
    phase.complete = wait_done(bench.recorder, 30)
    phase.wall_s = time.perf_counter() - started
    cpu_after = bench.cpu()
    phase.cpu_s = {name: cpu_after[name] - cpu_before[name] for name in cpu_after}
    time.sleep(0.3)  # the listener writes the last arrivals
    collect(bench, phase)
    for text in out.read_text().splitlines():
        put = json.loads(text)
        phase.puts[put["key"]] = put
    for text in bench.listener_out.read_text().splitlines():
        key, _, arrived = text.partition("\t")
        if key in phase.puts:
            phase.listened[key] = float(arrived)
    return phase
