"""rebuild_state: the latest state again from DynamoDB history, never over a newer one."""

from __future__ import annotations

import json
from datetime import UTC
from io import StringIO

from django.conf import settings
from django.core.management import call_command

from feeds.rebuild import latest_state_rebuild
from feeds.records import Feed
from ladder.selectors import ladder_snapshot
from lib.aws import client
from lib.redis_clients import state_store
from tests.feeds.commands.conftest import DAY, INSTRUMENT_KEY, SPOT_KEY, day_ingest, raw_state
from tests.feeds.ingest.conftest import latest_rows, sample

CHUNK = "actant/spot-risk/2025-07-21/bav_analysis_20250721_2030{second}_chunk_{n:02d}_of_02.csv"
# The instrument the sample positions hold: ZN Sep25, Actant's XCME.ZN.SEP25.
SEP25_ID = "8092262517946017060"
SEP25_KEY = f"tt/instruments/instrument_{SEP25_ID}.json"


def _sep25_details() -> bytes:
    body = sample("tt/instrument_details_zn_jun25.json").decode()
    for jun, sep in (("4877721789746411490", SEP25_ID), ("Jun25", "Sep25"), ("ZNM5", "ZNU5")):
        body = body.replace(jun, sep)
    return body.encode()


def _spot_risk_state() -> tuple[dict[bytes, bytes], dict[bytes, bytes]]:
    state = raw_state()
    return state["spot-risk"], state["future_mid"]


def _chunks() -> tuple[bytes, bytes]:
    """The chunk sample cut in two: the future and two options, then three options."""
    header, *rows = sample("actant/bav_analysis_20250729_151211_chunk_01_of_16.csv").splitlines()
    # Each ends with a newline, as every real file does.
    return b"\n".join([header, *rows[:3], b""]), b"\n".join([header, *rows[3:], b""])


def test_a_rebuild_after_a_flush_restores_the_same_rows(feed_queue):
    day_ingest(feed_queue)
    before = raw_state()
    state_store().flushall()

    report = latest_state_rebuild(feeds=list(Feed), day=DAY)

    # Byte for byte, with the future mid that chunks price with, and the instruments.
    assert raw_state() == before
    spot = next(r for r in report.feeds if r.feed is Feed.SPOT_RISK)
    assert (spot.status, spot.keys, spot.applied) == ("rebuilt", (SPOT_KEY,), 1)


def test_instruments_come_back_whatever_day_their_file_arrived(feed_queue):
    feed_queue.put(SEP25_KEY, _sep25_details())  # arrives today, not on the day rebuilt
    day_ingest(feed_queue, bad=False)
    arrived = client("s3").head_object(Bucket=settings.FRGM_FEED_BUCKET, Key=SEP25_KEY)
    assert arrived["LastModified"].astimezone(UTC).date() != DAY
    live = ladder_snapshot()
    assert (live.instrument_label, live.spot_source) == ("ZN Sep25", "actant")
    state_store().flushall()

    report = latest_state_rebuild(feeds=list(Feed), day=DAY)

    # The ladder names the future and takes its spot from Actant's row again.
    rebuilt = ladder_snapshot()
    assert (rebuilt.instrument_label, rebuilt.spot_source, rebuilt.spot) == (
        "ZN Sep25",
        "actant",
        live.spot,
    )
    assert set(latest_rows("tt-instruments")) == {SEP25_ID, "4877721789746411490"}
    [instruments] = [r for r in report.feeds if r.feed is Feed.TT_INSTRUMENTS]
    assert (instruments.status, instruments.applied) == ("rebuilt", 2)
    assert sorted(instruments.keys) == sorted([INSTRUMENT_KEY, SEP25_KEY])


def test_the_newest_batchs_chunks_are_merged_over_the_last_whole_file(feed_queue):
    first, _ = _chunks()
    day_ingest(feed_queue, bad=False)
    feed_queue.put(CHUNK.format(second="10", n=1), first)  # its second chunk never came
    assert all(feed_queue.drain())
    before = _spot_risk_state()
    state_store().flushall()

    [spot] = latest_state_rebuild(feeds=[Feed.SPOT_RISK], day=DAY).feeds

    assert _spot_risk_state() == before
    assert spot.keys == (SPOT_KEY, CHUNK.format(second="10", n=1))


def test_a_complete_batch_stands_for_the_whole_book(feed_queue):
    first, second = _chunks()
    feed_queue.put(CHUNK.format(second="09", n=1), first)
    feed_queue.put(CHUNK.format(second="09", n=2), second)
    feed_queue.put(CHUNK.format(second="10", n=1), first.replace(b".1718750,", b".1562500,"))
    assert all(feed_queue.drain())
    before = raw_state()
    assert latest_rows("spot-risk")["XCME.ZN1.01AUG25.111.P"]["bid"] == "0.1562500"
    state_store().flushall()

    [spot] = latest_state_rebuild(feeds=[Feed.SPOT_RISK], day=DAY).feeds

    assert raw_state() == before
    assert spot.keys == (
        CHUNK.format(second="09", n=1),
        CHUNK.format(second="09", n=2),
        CHUNK.format(second="10", n=1),  # merged over the complete batch
    )


def test_a_rebuild_never_overwrites_a_newer_live_state(feed_queue):
    day_ingest(feed_queue, bad=False)
    body = json.loads(sample("tt/positions_response.json"))
    body["positions"][0]["netPosition"] = 500.0
    feed_queue.put(
        "tt/positions/2025-07-22/positions_20250722_083000.json", json.dumps(body).encode()
    )
    assert all(feed_queue.drain())
    live = raw_state()

    report = latest_state_rebuild(feeds=list(Feed), day=DAY)

    assert raw_state() == live  # not even the same files, ingested live, are rewritten
    assert {r.status for r in report.feeds} == {"kept"}
    [position] = latest_rows("tt-positions").values()
    assert position["net_position"] == 500


def test_the_command_reports_each_feed(feed_queue):
    day_ingest(feed_queue, bad=False)
    state_store().flushall()
    out = StringIO()

    call_command("rebuild_state", "--date", "2025-07-21", stdout=out)

    text = out.getvalue()
    assert "Latest state from the history of 2025-07-21:" in text
    assert f"spot-risk       rebuilt (1 applied) from {SPOT_KEY}" in text
    assert "tt-instruments  rebuilt (1 applied) from 1 instrument file(s) in S3 (any day)" in text
    assert latest_rows("tt-orders")


def test_the_command_rebuilds_only_the_feeds_named(feed_queue):
    day_ingest(feed_queue, bad=False)
    state_store().flushall()

    call_command("rebuild_state", "--date", "2025-07-21", "--feed", "tt-orders", stdout=StringIO())

    assert latest_rows("tt-orders")
    assert not latest_rows("spot-risk")
