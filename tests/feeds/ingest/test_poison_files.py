"""A file that cannot be parsed is quarantined with its reason; nothing is lost."""

from __future__ import annotations

import pytest
from django.conf import settings

from feeds.models import QuarantinedFile
from lib.aws import client
from lib.redis_clients import state_store
from tests.feeds.ingest.conftest import SAMPLES, sample
from tests.feeds.parsers.test_parser_bad_inputs import CORPUS

# One corpus for parser and pipeline: each bad file with the key it arrives under.
KEYS = {name: key for name, key, *_ in CORPUS}
BAD = sorted(path.name for path in (SAMPLES / "bad").iterdir())


def _key_for(name: str) -> str:
    return KEYS[name]


def test_every_bad_file_has_a_key_in_the_corpus() -> None:
    assert set(BAD) == set(KEYS)


@pytest.mark.parametrize("name", BAD)
def test_a_bad_file_is_quarantined_with_its_reason_and_kept_in_s3(feed_queue, name) -> None:
    key = _key_for(name)
    feed_queue.put(key, sample(f"bad/{name}"))
    assert all(feed_queue.drain())  # removed from the queue: never retried forever
    record = QuarantinedFile.objects.get(key=key)
    assert record.kind == "parse_error"
    assert record.reason.strip()
    assert client("s3").head_object(Bucket=settings.FRGM_FEED_BUCKET, Key=key)  # raw kept
    feed = record.feed
    assert state_store().hget(f"frgm:{{{feed}}}:health", "parse_error_total") == b"1"
    assert state_store().hlen(f"frgm:{{{feed}}}:rows") == 0


def test_a_bad_file_does_not_stop_the_good_ones(feed_queue) -> None:
    feed_queue.put(
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203006.csv",
        sample("bad/spot_risk_nan_theo.csv"),
    )
    feed_queue.put(
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
        sample("actant/bav_analysis_20250721_203007.csv"),
    )
    assert all(feed_queue.drain())
    assert state_store().hexists("frgm:{spot-risk}:rows", "XCME.ZN.SEP25")
    record = QuarantinedFile.objects.get()
    assert record.key.endswith("203006.csv")
    assert record.row is not None
    assert record.column == "ADJTHEOR"


def test_a_quarantine_names_the_first_bad_row_and_column(feed_queue) -> None:
    feed_queue.put(
        _key_for("spot_risk_non_numeric_price.csv"), sample("bad/spot_risk_non_numeric_price.csv")
    )
    feed_queue.drain()
    record = QuarantinedFile.objects.get()
    assert record.row is not None
    assert record.column
    assert f"row {record.row} column {record.column}:" in record.reason
