"""A file too big for its feed is refused with its true size before it is read,
and a file whose history item would not fit DynamoDB is refused before
anything of it is written (Redis included): never retried, never dead-lettered."""

from __future__ import annotations

import random
import time
from decimal import Decimal

import pytest
from django.conf import settings

from feeds.limits import FILE_LIMITS
from feeds.models import QuarantinedFile
from feeds.pipeline import feed_file_ingest
from feeds.records import Feed
from feeds.s3_events import ObjectEvent
from tests.feeds.ingest.conftest import (
    SPOT_KEY,
    VTEXP_KEY,
    history_count,
    latest_rows,
    sample,
)

HEADER = sample("actant/bav_analysis_20250721_203007.csv").split(b"\n")[:2]
FUTURE_ROW = b"XCME.ZN.SEP25,111.1562500,111.1718750,INVALID,F,,,,,0,0,0,,,0,0"


def spot_risk_file(options: int, *, digits: int = 7, seed: int = 1) -> bytes:
    """A valid 16-column spot-risk file with ``options`` calls (one a 1/64 strike)
    whose values carry ``digits`` decimals (more digits, less compression)."""
    pick = random.Random(seed)

    def number(low: float, high: float) -> str:
        return f"{pick.uniform(low, high):.{digits}f}"

    rows = []
    for i in range(options):
        strike = Decimal(50) + Decimal(i) / Decimal(64)
        token = f"{strike.normalize():f}".replace(".", ":")
        rows.append(
            f"XCME.OZN.AUG25.{token}.C,{number(0, 5)},{number(0, 5)},{strike:.7f},C,"
            f"{number(0, 5)},{number(300, 900)},{number(300, 900)},{number(300, 900)},"
            f"{pick.randint(-500, 500)},{pick.randint(-500, 500)},{number(-1e5, 1e5)},"
            f"{number(0, 5)},{number(-1e5, 1e5)},{number(-1e5, 1e5)},{number(-1e5, 1e5)}".encode()
        )
    return b"\n".join([*HEADER, *rows, FUTURE_ROW]) + b"\n"


def _nothing_written() -> None:
    assert latest_rows("spot-risk") == {}
    assert history_count("spot-risk", "2025-07-21") == 0


def test_a_52_mb_file_is_refused_with_its_true_size_before_it_is_downloaded(feed_queue) -> None:
    size = 52 * 1024 * 1024
    feed_queue.put(SPOT_KEY, HEADER[0] + b"\n" + b"x" * (size - len(HEADER[0]) - 1))
    assert all(feed_queue.drain())
    record = QuarantinedFile.objects.get(key=SPOT_KEY)
    assert "the file is 54,525,952 bytes: a spot-risk file is at most 2,097,152" in record.reason
    assert record.size == size
    _nothing_written()


def test_the_size_s3_reports_is_checked_when_the_event_does_not_say_it(feed_queue) -> None:
    limit = FILE_LIMITS[Feed.SPOT_RISK].max_bytes
    data = spot_risk_file(10) + b"\n" * limit  # blank lines: valid, and too many bytes
    feed_queue.put(SPOT_KEY, data)
    event = ObjectEvent(
        bucket=settings.FRGM_FEED_BUCKET,
        key=SPOT_KEY,
        version_id=None,
        etag=None,
        size=None,  # a notification without a size: the GET's length decides
        sequencer="",
        event_time=None,
        event_name="ObjectCreated:Put",
    )
    outcome = feed_file_ingest(event=event, received_at=time.time())
    assert outcome.status == "quarantined"
    assert f"the file is {len(data):,} bytes" in outcome.detail
    assert "parse" not in outcome.stages_ms  # its body was never read
    _nothing_written()


def test_a_valid_150k_row_file_is_refused_by_size_and_nothing_is_written(feed_queue) -> None:
    data = spot_risk_file(150_000, digits=2)
    assert len(data) > 15_000_000
    feed_queue.put(SPOT_KEY, data)
    assert all(feed_queue.drain())
    assert feed_queue.depth(feed_queue.dlq_url) == 0
    record = QuarantinedFile.objects.get(key=SPOT_KEY)
    assert f"the file is {len(data):,} bytes" in record.reason
    _nothing_written()


def test_a_file_over_its_row_limit_is_refused_before_its_rows_are_read(feed_queue) -> None:
    most = FILE_LIMITS[Feed.SPOT_RISK].max_rows
    data = spot_risk_file(most, digits=2)  # the limit's options, and the future row
    assert len(data) < FILE_LIMITS[Feed.SPOT_RISK].max_bytes
    feed_queue.put(SPOT_KEY, data)
    assert all(feed_queue.drain())
    record = QuarantinedFile.objects.get(key=SPOT_KEY)
    assert f"{most + 3:,} lines: a spot-risk file has at most {most:,} rows" in record.reason
    _nothing_written()


@pytest.mark.parametrize("options", [3_999])
def test_a_file_whose_history_item_would_not_fit_is_refused_before_redis(
    feed_queue, options
) -> None:
    feed_queue.put(VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv"))
    assert all(feed_queue.drain())  # with vtexp, each option's row carries its Greeks
    data = spot_risk_file(options, digits=22)  # within the limits, and barely compressible
    assert len(data) < FILE_LIMITS[Feed.SPOT_RISK].max_bytes
    feed_queue.put(SPOT_KEY, data)
    assert all(feed_queue.drain())
    assert feed_queue.depth(feed_queue.dlq_url) == 0
    record = QuarantinedFile.objects.get(key=SPOT_KEY)
    assert "its history item would be" in record.reason
    assert "DynamoDB takes at most" in record.reason
    _nothing_written()
