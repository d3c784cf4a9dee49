"""What every long-running loop shares: it survives any exception, says so once per
outage, backs off, and stamps a "last turn" that a liveness check reads.

A loop that died (or hangs) while its process stays up looks ready and takes in
nothing: the worker's ``sqs-poll`` thread once died of a ``RedisClusterException``
and no file was ingested until someone restarted it. So each loop catches
``Exception`` at its boundary (not one library's base class) and hands it to its
``LoopHealth``; the container's health check (``manage.py worker_health``,
``manage.py ops_scheduler --check``) fails when a loop's stamp is stale, and the
orchestrator replaces the process.

Stamps are small files (one per loop, in ``FRGM_LIVENESS_DIR``) holding the
``CLOCK_MONOTONIC`` time of the last turn: the health check runs as another process
in the same container, and the monotonic clock is the machine's (unlike wall time,
it never jumps).
"""

from __future__ import annotations

import logging
import os
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings

BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 4.0  # a recovered dependency is used again within seconds
STAMP_EVERY_S = 1.0  # a busy loop writes its stamp at most this often


class LoopHealth:
    """One loop's failures and last turn.

    ``failed`` logs the first failure of an outage (with its traceback) and returns
    how long to back off; later failures of the same outage log at DEBUG only.
    ``ok`` ends an outage with one line saying how long it lasted. Both stamp the
    turn: a loop backing off from a dead dependency is alive, and replacing its
    process would not bring the dependency back.
    """

    def __init__(self, name: str, *, logger: logging.Logger, stamps: bool = True) -> None:
        self.name = name
        self.log = logger
        self.stamps = stamps  # False: a loop no health check reads (the web's live hub)
        self.failures = 0
        self.outage_since: float | None = None
        self._stamped_at = 0.0

    def ok(self) -> None:
        if self.outage_since is not None:
            self.log.warning(
                "%s: recovered after %.1f s (%d failed turns)",
                self.name,
                time.monotonic() - self.outage_since,
                self.failures,
            )
        self.failures, self.outage_since = 0, None
        self.turn()

    def failed(self, exc: BaseException, *, what: str = "failed") -> float:
        """Record one failed turn; returns the back-off in seconds."""
        self.failures += 1
        if self.outage_since is None:
            self.outage_since = time.monotonic()
            self.log.warning(
                "%s %s (%s: %s); backing off and retrying, logged again when it recovers",
                self.name,
                what,
                type(exc).__name__,
                exc,
                exc_info=exc,
            )
        else:
            self.log.debug("%s still failing: %s: %s", self.name, type(exc).__name__, exc)
        self.turn()
        return min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** (self.failures - 1))

    def turn(self) -> None:
        """Say "this loop is turning" (at most once a second; the file write is cheap)."""
        now = time.monotonic()
        if not self.stamps or now - self._stamped_at < STAMP_EVERY_S:
            return
        self._stamped_at = now
        try:
            liveness_stamp(name=self.name, at=now)
        except OSError as exc:  # a full or read-only disk must not stop the loop
            self.log.debug("%s: could not write its liveness stamp: %s", self.name, exc)


def liveness_stamp(*, name: str, at: float | None = None) -> None:
    """Write ``name``'s last turn, atomically (the check never reads half a number)."""
    folder = Path(settings.FRGM_LIVENESS_DIR)
    folder.mkdir(parents=True, exist_ok=True)
    partial = folder / f".{name}.{os.getpid()}"
    partial.write_text(repr(time.monotonic() if at is None else at))
    partial.replace(folder / name)


@dataclass(frozen=True)
class LoopState:
    name: str
    age_s: float | None  # since its last turn; None: it never turned here

    def alive(self, stale_s: float) -> bool:
        return self.age_s is not None and self.age_s <= stale_s

    @property
    def summary(self) -> str:
        if self.age_s is None:
            return f"{self.name}: never turned"
        return f"{self.name}: last turn {self.age_s:.1f} s ago"


def loop_states(*, names: tuple[str, ...]) -> list[LoopState]:
    """How long ago each loop last turned, by its stamp in ``FRGM_LIVENESS_DIR``."""
    folder = Path(settings.FRGM_LIVENESS_DIR)
    now = time.monotonic()
    states = []
    for name in names:
        try:
            at = float((folder / name).read_text())
        except (OSError, ValueError):
            states.append(LoopState(name=name, age_s=None))
            continue
        states.append(LoopState(name=name, age_s=max(0.0, now - at)))
    return states


def loops_dead(*, names: tuple[str, ...], stale_s: float | None = None) -> list[LoopState]:
    """The loops among ``names`` that have not turned within ``stale_s``
    (``FRGM_LIVENESS_STALE_S``): dead, hung, or never started."""
    bound = settings.FRGM_LIVENESS_STALE_S if stale_s is None else stale_s
    return [state for state in loop_states(names=names) if not state.alive(bound)]
