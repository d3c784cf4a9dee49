"""Phase 1: parse + validate, pure, in-process (``file_parse``)."""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from bench.ingest.feed_files import feed_of
from bench.ingest.options import Options


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
