"""The targets a run is held to (issue 4), and whether it met them."""

from __future__ import annotations

from bench.ingest.figures import busy_pct, latencies, worker_bound_files_per_s
from bench.ingest.parse import ParseResult
from bench.ingest.phase import Phase
from bench.stats import fmt, percentile

TARGET_PARSE_MS = 2.0  # "parse and validate a 500-row Actant file in <= 2 ms"
TARGET_FILES_PER_S = 50.0
TARGET_LATENCY_P99_MS = 100.0
DEFAULT_IN_FLIGHT = 4  # FRGM_CONSUMER_IN_FLIGHT's default


def targets(
    parses: list[ParseResult], throughput: list[Phase], latency: list[Phase]
) -> list[tuple[str, str, str, bool]]:
    checks = []
    if parses:
        # The issue names no percentile: the typical file and the slow one, both.
        for label, pct in (("median", 50), ("p99", 99)):
            wall = percentile(parses[0].times_ms, pct) or 0.0
            cpu = percentile(parses[0].cpu_ms, pct) or 0.0
            checks.append(
                (
                    f"spot-risk parse + validate, {label}",
                    f"<= {TARGET_PARSE_MS:g} ms",
                    f"{wall:.2f} ms wall ({cpu:.2f} ms CPU)",
                    wall <= TARGET_PARSE_MS,
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
                f"{got}; machine {busy_pct(default)} busy",
                default.files_per_s >= TARGET_FILES_PER_S and default.complete,
            )
        )
        bound = worker_bound_files_per_s(default) or 0.0
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
            e2e_p99 = percentile(latencies(p)["event_to_published"], 99)
            checks.append(
                (
                    f"end-to-end p99 at {p.label}",
                    f"<= {TARGET_LATENCY_P99_MS:g} ms",
                    f"{fmt(e2e_p99)} ms",
                    e2e_p99 is not None and e2e_p99 <= TARGET_LATENCY_P99_MS,
                )
            )
    return checks
