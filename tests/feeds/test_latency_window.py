"""Latency percentiles cover every file of the last 5 minutes, not the last 100 files.

Spot risk alone can send hundreds of files in 5 minutes; the ops page's p50/p99
and the latency alarm's p95 must see them all. Written through the real record
path with explicit times, read back by the ops selectors and the evaluator.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

import feeds.state_store as store_module
from feeds.records import Feed
from feeds.selectors import latency_samples
from feeds.state_store import IngestRecord, ingest_record
from lib.redis_clients import state_store
from ops.evaluator import local_alarm_values
from ops.selectors import feed_rows

pytestmark = pytest.mark.django_db
NOW = 1_785_000_000.0
DELAY_S = 0.04  # S3 event -> message received, for every file


def _file(n: int, *, finished_at: float, latency_ms: float, fresh: bool = True) -> None:
    event = finished_at - latency_ms / 1000
    ingest_record(
        IngestRecord(
            feed=Feed.SPOT_RISK,
            object_id=f"bucket/actant/spot-risk/f{n}.csv@v1",
            key=f"actant/spot-risk/f{n}.csv",
            file_time=None,
            event_time=datetime.fromtimestamp(event, UTC),
            received_at=event + DELAY_S,
            finished_at=finished_at,
            stages_ms={},
            status="applied" if fresh else "stale",
            rows=1,
            fresh=fresh,
        )
    )


def _busy_five_minutes() -> None:
    """400 files in the last 5 minutes: 300 at 100 ms, then 94 at 1 s and 6 at 5 s;
    older and stale files, far slower, that no window may count."""
    for n in range(50):
        _file(1000 + n, finished_at=NOW - 540 + n, latency_ms=9000)  # 9 to 8 minutes ago
    for n in range(400):
        latency = 100 if n < 300 else 1000 if n < 394 else 5000
        _file(n, finished_at=NOW - 299 + n * 0.74, latency_ms=latency)
        if n % 40 == 0:
            _file(2000 + n, finished_at=NOW - 299 + n * 0.74, latency_ms=9000, fresh=False)


def test_the_ops_page_percentiles_cover_every_file_of_the_last_five_minutes(stack):
    _busy_five_minutes()

    [spot] = [
        row for row in feed_rows(now=datetime.fromtimestamp(NOW, UTC)) if row.feed == "spot-risk"
    ]

    # The last 100 files alone would say p50 1000 ms.
    assert (spot.latency.p50, spot.latency.p99) == (pytest.approx(100, abs=0.2), 5000)
    assert spot.notification_delay.p50 == pytest.approx(DELAY_S * 1000, abs=0.2)
    assert spot.processing.p50 == pytest.approx(100 - DELAY_S * 1000, abs=0.2)


def test_the_latency_alarm_reads_the_p95_of_every_file_of_the_last_five_minutes(stack):
    _busy_five_minutes()

    value = local_alarm_values(now=datetime.fromtimestamp(NOW, UTC))["e2e-latency-high"]

    assert value == pytest.approx(1000, abs=0.2)  # the last 100 files alone: 5000, an alarm


def test_samples_are_read_by_time_and_kept_in_bounded_memory(stack, monkeypatch):
    monkeypatch.setattr(store_module, "LATENCY_SAMPLES_MAX", 50)
    for n in range(80):
        _file(n, finished_at=NOW - 79 + n, latency_ms=100 + n)

    window = latency_samples(feed=Feed.SPOT_RISK, since=NOW - 9.5, until=NOW)

    assert [s.latency_ms for s in window] == pytest.approx([170 + n for n in range(10)], abs=0.2)
    assert state_store().zcard("frgm:{spot-risk}:latency") == 50  # the newest 50
    _file(99, finished_at=NOW + 700, latency_ms=100)  # ten minutes on: the rest are too old
    assert state_store().zcard("frgm:{spot-risk}:latency") == 1
    with pytest.raises(ValueError, match="kept for 600 s"):
        latency_samples(feed=Feed.SPOT_RISK, since=NOW - 3600, until=NOW)
