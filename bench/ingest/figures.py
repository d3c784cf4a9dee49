"""Figures derived from a phase: stage times, latencies, CPU shares."""

from __future__ import annotations

import os
from collections.abc import Sequence

from bench.ingest.phase import Phase
from bench.instrument import FileSample

STAGES = ("download", "parse", "derive", "redis", "dynamodb", "publish")
OURS = ("worker", "moto", "redis state", "redis messaging", "web stand-in")


def stage_values(samples: Sequence[FileSample], stage: str) -> list[float]:
    if stage == "rest":
        return [
            s.total_ms - sum(s.stages_ms.values()) for s in samples if s.status in ("ingested",)
        ]
    if stage == "total":
        return [s.total_ms for s in samples if s.status in ("ingested", "stale")]
    return [s.stages_ms[stage] for s in samples if stage in s.stages_ms]


def latencies(phase: Phase) -> dict[str, list[float]]:
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


def others_pct(phase: Phase) -> str:
    """Share of the machine's CPU that processes outside this benchmark used."""
    machine = phase.cpu_s.get("machine", 0.0)
    if not machine or not phase.wall_s:
        return "-"
    others = max(0.0, machine - sum(phase.cpu_s.get(name, 0.0) for name in OURS))
    return f"{100 * others / (phase.wall_s * (os.cpu_count() or 1)):.0f}%"


def busy_pct(phase: Phase) -> str:
    machine = phase.cpu_s.get("machine", 0.0)
    if not machine or not phase.wall_s:
        return "-"
    return f"{100 * machine / (phase.wall_s * (os.cpu_count() or 1)):.0f}%"


def worker_bound_files_per_s(phase: Phase) -> float | None:
    worker_s = phase.cpu_s.get("worker", 0.0)
    return len(phase.samples) / worker_s if worker_s else None
