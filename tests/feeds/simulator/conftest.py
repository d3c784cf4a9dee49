"""Fixtures for the feed simulator: a hand-driven Chicago clock and the real samples."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from feeds.simulator import SimulatedFile, Simulator, SimulatorConfig

CHICAGO = ZoneInfo("America/Chicago")
DATA = Path(__file__).parent / "data"
# The moment the single-file sample was written (Monday evening: Tuesday's trading date).
SAMPLE_MOMENT = datetime(2025, 7, 21, 20, 30, 7, tzinfo=CHICAGO)


class Clock:
    """``now()`` for the simulator, moved by the test."""

    def __init__(self, moment: datetime) -> None:
        self.moment = moment

    def __call__(self) -> datetime:
        return self.moment

    def advance(self, seconds: float) -> None:
        self.moment += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> Clock:
    return Clock(SAMPLE_MOMENT)


@pytest.fixture
def sample() -> Callable[[str], bytes]:
    return lambda name: (DATA / name).read_bytes()


def csv_rows(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode("ascii"))))


@pytest.fixture
def rows_of() -> Callable[[bytes], list[list[str]]]:
    return csv_rows


Files = list[tuple[datetime, SimulatedFile]]
Run = Callable[..., tuple[Simulator, Files]]


def _drive(
    seconds: float = 0,
    *,
    seed: int = 7,
    step: float = 0.5,
    start: datetime = SAMPLE_MOMENT,
    **config: object,
) -> tuple[Simulator, Files]:
    clock = Clock(start)
    simulator = Simulator(seed=seed, now=clock, config=SimulatorConfig(**config))  # type: ignore[arg-type]
    files = [(clock.moment, f) for f in simulator.tick()]
    elapsed = 0.0
    while elapsed < seconds:
        clock.advance(step)
        elapsed += step
        files += [(clock.moment, f) for f in simulator.tick()]
    return simulator, files


@pytest.fixture
def simulate() -> Run:
    """Drive a fresh simulator for ``seconds`` in ``step``-second clock moves from ``start``;
    returns it and every file with the moment it was produced."""
    return _drive


@pytest.fixture(scope="session")
def run() -> Run:
    """``simulate``, shared: runs are deterministic, so identical calls share one
    result. Read it; never tick the returned simulator further."""
    cache: dict[tuple[object, ...], tuple[Simulator, Files]] = {}

    def cached(seconds: float = 0, **options: object) -> tuple[Simulator, Files]:
        memo = (seconds, tuple(sorted(options.items())))
        if memo not in cache:
            cache[memo] = _drive(seconds, **options)  # type: ignore[arg-type]
        return cache[memo]

    return cached
