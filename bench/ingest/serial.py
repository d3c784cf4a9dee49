"""Phase 3b: one file at a time, where its time and CPU go; optionally under cProfile."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench.ingest.feed_files import FileSource, upload
from bench.ingest.phase import Phase, collect
from bench.ingest.sqs_queue import IngestBroken, queue_url, wait_for_depth
from bench.ingest.stack import Bench


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
