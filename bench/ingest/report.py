"""What a run of the ingest benchmark prints: figures derived from a phase (stage
times, latencies, CPU shares), the targets it is held to (issue 4), the machine it
ran on, the report's tables and the raw figures as JSON (``--json``).
"""

from __future__ import annotations

import os
import platform
from collections import Counter
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from bench.ingest.phases import TT_FEEDS, Bench, Options, ParseResult, Phase, Serial
from bench.instrument import FileSample
from bench.stats import (
    command_version,
    cpu_model,
    fmt,
    load_average,
    memory_gib,
    p50_p99,
    percentile,
    table,
)

# --- figures -----------------------------------------------------------------------------


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


# --- targets -----------------------------------------------------------------------------


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


# --- machine -----------------------------------------------------------------------------


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


def pairs_text(pairs: Sequence[tuple[str, str]]) -> str:
    width = max(len(name) for name, _ in pairs)
    return "\n".join(f"{name.ljust(width)}  {value}" for name, value in pairs)


# --- raw ---------------------------------------------------------------------------------


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


# --- report ------------------------------------------------------------------------------


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
    out.append(pairs_text(machine))
    out.append("")
    out.append("1. Parse + validate, pure, in-process (file_parse), ms")
    out.append(
        table(
            ["file", "rows", "KB", "runs", "min", "median", "p99", "max", "CPU median", "CPU p99"],
            [
                [
                    p.label,
                    p.rows,
                    f"{p.size / 1024:.0f}",
                    len(p.times_ms),
                    fmt(min(p.times_ms), 2),
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
        "   min/median/p99/max: wall clock; CPU: this thread's CPU time, which leaves out time "
        "the thread was preempted (garbage collection still counts). On a VM whose speed "
        "drifts, min is the code's own cost."
    )
    if parse_load is not None:
        out.append(f"   other processes' load on the machine meanwhile: {others_pct(parse_load)}")
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
                        busy_pct(p),
                        fmt(worker_bound_files_per_s(p)),
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
            lat = latencies(p)
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
                    others_pct(p),
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
    checks = targets(parses, throughput, latency)
    out.append("Targets")
    out.append(
        table(
            ["target", "wanted", "measured", "met"],
            [[name, wanted, got, "met" if ok else "NOT MET"] for name, wanted, got, ok in checks],
        )
    )
    return "\n".join(out), checks


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


def stage_table(
    columns: Sequence[tuple[str, Phase, Sequence[FileSample]]], *, sqs: bool = True
) -> str:
    rows = []
    for stage, label in (
        *((s, s) for s in STAGES),
        ("rest", "claim + record + metrics"),
        ("total", "file total (ingest)"),
    ):
        rows.append([label, *(p50_p99(stage_values(samples, stage)) for _, _, samples in columns)])
    if sqs:
        rows.append(
            [
                "sqs delete (per call: up to 10 messages)",
                *(p50_p99(phase.deletes_ms) for _, phase, _ in columns),
            ]
        )
        rows.append(
            [
                "sqs receive (per call) *",
                *(p50_p99([ms for ms, n in phase.receives if n]) for _, phase, _ in columns),
            ]
        )
    return table(["stage, ms (median / p99)", *(label for label, _, _ in columns)], rows)


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
        f"meanwhile: {others_pct(phase)}.",
    ]


def _cpu_cells(phase: Phase) -> list[str]:
    per = max(1, len(phase.samples))
    return [fmt(phase.cpu_s.get(name, 0.0) * 1000 / per) for name in OURS]


def _median(values: Sequence[float]) -> float | None:
    return percentile(values, 50)


def _mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None
