"""What both views share: feed ages and versions, decimal text, tolerant readers."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

from feeds.records import Feed
from feeds.selectors import feed_latest
from ladder.numbers import decimal_shown, int_shown


@dataclass(frozen=True)
class FeedAge:
    feed: str
    age_s: float | None  # seconds since the worker finished its last file; None before any
    last_file_time: datetime | None
    last_ingested_at: datetime | None
    last_latency_ms: float | None
    version: str | None  # the latest-state version (file time | sequencer | key)


# --- shared ------------------------------------------------------------------------------


def feed_ages(*, feeds: Iterable[Feed], now: float | None = None) -> tuple[FeedAge, ...]:
    """Each feed's age and latest-state version, in one round trip (``feed_latest``).

    A store that cannot be reached, whatever the client raises, is ``StateStoreUnavailable``.
    """
    now = time.time() if now is None else now
    return tuple(
        FeedAge(
            feed=str(latest.feed),
            age_s=None
            if latest.last_ingested_at is None
            else round(max(0.0, now - latest.last_ingested_at), 1),
            last_file_time=latest.last_file_time,
            last_ingested_at=None
            if latest.last_ingested_at is None
            else datetime.fromtimestamp(latest.last_ingested_at, UTC),
            last_latency_ms=latest.last_latency_ms,
            version=latest.version,
        )
        for latest in feed_latest(feeds=feeds)
    )


def decimal_text(value: Decimal) -> str:
    """A decimal as plain text without exponent or trailing zeros: 110.125, -65226.5625, 0."""
    if not value:
        return "0"
    shortest = value.normalize()
    text = str(shortest)  # plain unless the exponent is positive or the number tiny
    return format(shortest, "f") if "E" in text else text


def newest(times: Iterable[datetime | None]) -> datetime | None:
    known = [t for t in times if t is not None]
    return max(known) if known else None


def dec_or_none(value: Any) -> Decimal | None:
    """A stored number; None when missing. Raises ``ladder.numbers.OutOfRange``."""
    return decimal_shown(value)


def int_or_none(value: Any) -> int | None:
    """A stored whole number; None when missing. Raises ``ladder.numbers.OutOfRange``."""
    return int_shown(value)
