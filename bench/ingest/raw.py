"""The raw figures as JSON-ready data (``--json``)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bench.ingest.figures import STAGES, latencies, others_pct, stage_values
from bench.ingest.parse import ParseResult
from bench.ingest.phase import Phase
from bench.stats import percentile


def _p50_p99(values: Sequence[float]) -> dict[str, float | None]:
    return {"p50": percentile(values, 50), "p99": percentile(values, 99)}


def raw(
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
            "other_load": others_pct(p),
            "statuses": dict(p.statuses()),
            "stages": {
                stage: {
                    "p50": percentile(stage_values(p.samples, stage), 50),
                    "p99": percentile(stage_values(p.samples, stage), 99),
                }
                for stage in (*STAGES, "rest", "total")
            },
            "sqs_delete": _p50_p99(p.deletes_ms),
            "latency": ({k: _p50_p99(v) for k, v in latencies(p).items()} if p.puts else None),
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
