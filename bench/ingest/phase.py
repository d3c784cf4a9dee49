"""One measured run (a throughput drain, the serial run or a steady-rate latency run)."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from bench.ingest.stack import Bench
from bench.instrument import FileSample, RecordSample


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
