"""feeds' read face gives the pages, the hub and ops what they show, without their
naming a state-store key."""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta

from feeds.feed_keys import CHICAGO, spot_risk_key
from feeds.records import Feed
from feeds.selectors import (
    chunk_batches_incomplete,
    feed_latest,
    latest_rows,
    latest_rows_and_version,
    latest_rows_shared,
)
from feeds.state_store import key
from ladder.hub.state_reads import feed_stamps
from lib.redis_clients import state_store
from tests.feeds.ingest.conftest import SPOT_KEY, sample

CHUNK = "actant/bav_analysis_20250729_151211_chunk_01_of_16.csv"


def test_latest_rows_and_version_are_the_file_s_rows_at_its_version(feed_queue) -> None:
    assert latest_rows_and_version(feed=Feed.SPOT_RISK) == ({}, None)
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    assert all(feed_queue.drain())

    rows, version = latest_rows_and_version(feed=Feed.SPOT_RISK)
    assert rows == latest_rows(feed=Feed.SPOT_RISK)
    assert "XCME.ZN.SEP25" in rows
    assert version is not None
    assert version.startswith("20250722T013007|")  # 20:30:07 Chicago (CDT) in UTC
    assert version.endswith(f"|{SPOT_KEY}")


def test_the_hub_banner_gets_the_last_file_times_as_the_worker_wrote_them(feed_queue) -> None:
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    assert all(feed_queue.drain())

    stamp = feed_stamps()["spot-risk"]
    health = state_store().hgetall("frgm:{spot-risk}:health")
    assert stamp["file_time"] == health[b"last_file_time"].decode() == "2025-07-21T20:30:07-05:00"
    assert stamp["event_time"] == health[b"last_event_time"].decode()
    assert stamp["ingested_at"] == float(health[b"last_ingested_at"])
    assert feed_stamps()["vtexp"] == {"ingested_at": None, "file_time": None, "event_time": None}
    [latest] = feed_latest(feeds=[Feed.SPOT_RISK])
    assert latest.last_event_time is not None


def test_a_batch_missing_chunks_is_listed_with_the_chunks_it_misses(feed_queue) -> None:
    moment = datetime.now(CHICAGO).replace(microsecond=0) - timedelta(minutes=1)
    body = sample(CHUNK)
    for chunk in (1, 3):  # chunk 2 of 3 never comes
        feed_queue.put(spot_risk_key(moment=moment, chunk=chunk, chunks=3), body)
    assert all(feed_queue.drain())

    now = time.time()
    [batch] = chunk_batches_incomplete(since=now - 3600, until=now)
    assert batch.batch == moment.strftime("%Y%m%d_%H%M%S")
    assert (batch.got, batch.expected, batch.missing) == (2, 3, (2,))
    assert chunk_batches_incomplete(since=now - 3600, until=moment.timestamp() - 1) == []


def test_a_shared_read_decodes_only_the_rows_whose_stored_bytes_changed(feed_queue) -> None:
    feed_queue.put(SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv"))
    assert all(feed_queue.drain())
    first = latest_rows_shared(feed=Feed.SPOT_RISK)
    assert first == latest_rows(feed=Feed.SPOT_RISK)
    changed, gone, *kept = sorted(first)
    moved = {**first[changed], "bid": "1.5"}
    rows_key = key(Feed.SPOT_RISK, "rows")
    state_store().hset(rows_key, changed, json.dumps(moved))
    state_store().hdel(rows_key, gone)

    second = latest_rows_shared(feed=Feed.SPOT_RISK)

    assert second == latest_rows(feed=Feed.SPOT_RISK)  # what a fresh read gives
    assert second[changed]["bid"] == "1.5"
    assert first[changed]["bid"] != "1.5"  # the earlier read's row is left as it was
    assert gone not in second
    assert all(second[row_id] is first[row_id] for row_id in kept)  # not decoded again
