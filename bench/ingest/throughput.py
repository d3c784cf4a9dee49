"""Phases 2 and 3: files per second one worker process drains, and each file's stages."""

from __future__ import annotations

import time

from bench.ingest.feed_files import FileSource, upload
from bench.ingest.phase import Phase, collect
from bench.ingest.sqs_queue import notification_consumer, wait_done, wait_for_depth
from bench.ingest.stack import Bench


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
