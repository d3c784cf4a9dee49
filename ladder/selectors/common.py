"""What both views share: feed ages and versions, decimal text, tolerant readers."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from feeds.records import Feed
from feeds.redis_clients import state_store
from feeds.selectors import FeedHealth, feed_health
from feeds.state_store import key
from feeds.store_status import state_read
from ladder.numbers import decimal_shown, int_shown


@dataclass(frozen=True)
class FeedAge:
    feed: str
    age_s: float | None  # seconds since the worker finished its last file; None before any
    last_file_time: datetime | None
    last_ingested_at: datetime | None
    last_latency_ms: float | None
    version: str | None  # the latest-state version (file time | sequencer | key)

    @classmethod
    def of(cls, health: FeedHealth, version: str | None) -> FeedAge:
        return cls(
            feed=str(health.feed),
            age_s=health.age_s,
            last_file_time=health.last_file_time,
            last_ingested_at=health.last_ingested_at,
            last_latency_ms=health.last_latency_ms,
            version=version,
        )


# --- shared ------------------------------------------------------------------------------


def feed_ages(*, feeds: Iterable[Feed]) -> tuple[FeedAge, ...]:
    """Each feed's age and latest-state version (one pipeline for the versions)."""
    wanted = tuple(feeds)

    def read() -> list[Any]:
        pipe = state_store().pipeline(transaction=False)
        for feed in wanted:
            pipe.hget(key(feed, "meta"), "version")
        return list(pipe.execute())

    versions = [v.decode() if v else None for v in state_read(read)]
    return tuple(
        FeedAge.of(feed_health(feed=feed), version)
        for feed, version in zip(wanted, versions, strict=True)
    )


def decimal_text(value: Decimal) -> str:
    """A decimal as plain text without exponent or trailing zeros: 110.125, -65226.5625, 0."""
    if value == 0:
        return "0"
    return format(value.normalize(), "f")


def newest(times: Iterable[datetime | None]) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def dec_or_none(value: Any) -> Decimal | None:
    """A stored number; None when missing. Raises ``ladder.numbers.OutOfRange``."""
    return decimal_shown(value)


def int_or_none(value: Any) -> int | None:
    """A stored whole number; None when missing. Raises ``ladder.numbers.OutOfRange``."""
    return int_shown(value)
