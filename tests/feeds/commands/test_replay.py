"""replay: a trading day's archive through the pipeline again, changing nothing twice."""

from __future__ import annotations

import io
import json
from io import StringIO

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError

from feeds.models import QuarantinedFile
from feeds.records import Feed
from feeds.replay import day_objects, day_replay
from feeds.state_store import key as state_key
from lib.aws import client
from lib.redis_clients import state_store
from tests.feeds.commands.conftest import (
    BAD_SPOT_KEY,
    DAY,
    INSTRUMENT_KEY,
    ORDERS_KEY,
    POSITIONS_KEY,
    SPOT_KEY,
    VTEXP_KEY,
    day_ingest,
    history,
    raw_state,
)
from tests.feeds.ingest.conftest import latest_rows, sample

DATED = [feed for feed in Feed if feed is not Feed.TT_INSTRUMENTS]
EVERY_FILE = {"ingested": 5, "quarantined": 1}
NEXT_DAY_POSITIONS_KEY = "tt/positions/2025-07-22/positions_20250722_083000.json"


def _history() -> dict[Feed, list]:
    return {feed: history(feed) for feed in DATED}


def _done_markers_expire() -> None:
    """What an hour does: the pipeline forgets which objects it finished."""
    store = state_store()
    for name in list(store.scan_iter(match="frgm:*:done:*")):
        store.delete(name)


def test_a_replay_after_a_flush_recreates_the_latest_state(feed_queue):
    day_ingest(feed_queue)
    before, history_before = raw_state(), _history()
    state_store().flushall()
    calls: list[tuple[int, int]] = []

    report = day_replay(day=DAY, progress=lambda done, total: calls.append((done, total)))

    assert raw_state() == before  # spot-risk Greeks too: vtexp was replayed first
    assert _history() == history_before
    assert (report.files, report.outcomes, report.failed) == (6, EVERY_FILE, [])
    assert calls == [(n, 6) for n in range(7)]


def test_replaying_a_day_twice_changes_nothing(feed_queue):
    day_ingest(feed_queue)
    state_store().flushall()
    day_replay(day=DAY)
    after, history_after = raw_state(), _history()

    again = day_replay(day=DAY)

    assert again.outcomes == {"duplicate": 6}  # done markers: within the hour
    assert (raw_state(), _history()) == (after, history_after)

    _done_markers_expire()
    later = day_replay(day=DAY)

    # Through the whole pipeline again: the same versions are in Redis already,
    # DynamoDB's conditional puts refuse duplicates, nothing changes.
    assert later.outcomes == EVERY_FILE
    assert (raw_state(), _history()) == (after, history_after)


def test_a_replay_never_overwrites_a_newer_live_state(feed_queue):
    day_ingest(feed_queue, bad=False)
    body = json.loads(sample("tt/positions_response.json"))
    body["positions"][0]["netPosition"] = 500.0
    feed_queue.put(
        "tt/positions/2025-07-22/positions_20250722_083000.json", json.dumps(body).encode()
    )
    assert all(feed_queue.drain())
    _done_markers_expire()

    report = day_replay(day=DAY, feed=Feed.TT_POSITIONS)

    assert report.outcomes == {"stale": 1}
    [position] = latest_rows("tt-positions").values()
    assert position["net_position"] == 500


def test_it_replays_inputs_first_then_files_by_their_time_and_skips_what_no_feed_owns(feed_queue):
    for key in (ORDERS_KEY, SPOT_KEY, POSITIONS_KEY, VTEXP_KEY, BAD_SPOT_KEY, INSTRUMENT_KEY):
        feed_queue.put(key, b"{}")  # listing reads no content
    feed_queue.put("actant/spot-risk/2025-07-21/notes.txt", b"not a feed file")
    feed_queue.put(NEXT_DAY_POSITIONS_KEY, b"{}")
    gone = "tt/orders/2025-07-21/working_orders_20250721_203009.json"
    feed_queue.put(gone, b"{}")
    client("s3").delete_object(Bucket=settings.FRGM_FEED_BUCKET, Key=gone)

    objects, skipped = day_objects(day=DAY, feeds=tuple(Feed))

    assert [obj.key for obj in objects] == [
        INSTRUMENT_KEY,  # reference data
        VTEXP_KEY,  # spot-risk Greeks are derived with it
        BAD_SPOT_KEY,  # 20:30:06
        SPOT_KEY,  # 20:30:07
        ORDERS_KEY,  # 20:30:08, by key
        POSITIONS_KEY,  # 20:30:08
    ]
    assert all(obj.version_id for obj in objects)
    assert skipped == ["actant/spot-risk/2025-07-21/notes.txt"]
    only, _ = day_objects(day=DAY, feeds=(Feed.TT_POSITIONS,))
    assert [obj.key for obj in only] == [POSITIONS_KEY]


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_the_command_shows_progress_and_a_summary(feed_queue):
    day_ingest(feed_queue)
    state_store().flushall()
    out, err = StringIO(), _Terminal()

    call_command("replay", "--date", "2025-07-21", stdout=out, stderr=err)

    assert "\rreplay [" in err.getvalue()
    assert err.getvalue().rstrip().endswith("6/6 files 100%")
    summary = out.getvalue()
    assert "Replayed 6 file(s) of 2025-07-21" in summary
    assert "ingested     5" in summary
    assert "quarantined  1" in summary
    assert latest_rows("tt-orders")


def test_the_command_refuses_a_date_that_is_not_one(feed_queue):
    with pytest.raises(CommandError, match="YYYY-MM-DD"):
        call_command("replay", "--date", "21/07/2025")


def test_a_replay_does_not_make_a_silent_feed_look_live(feed_queue, emf_documents):
    """Archived files restore state and history, but not any feed's last-file time,
    latency, counters or metrics, a malformed one neither: a stalled feed must
    still look stalled to on-call, and a replay must page no one."""
    day_ingest(feed_queue)  # with a malformed spot-risk file
    state_store().flushall()
    refused = QuarantinedFile.objects.get(key=BAD_SPOT_KEY)
    logged = len(emf_documents())

    report = day_replay(day=DAY)

    assert report.outcomes == EVERY_FILE
    for feed in Feed:
        assert latest_rows(feed), feed
        assert state_store().hgetall(state_key(feed, "health")) == {}, feed
    # No per-minute counter (files, parse errors), recent file or chunk batch anywhere.
    written = {name.decode().split(":")[2] for name in state_store().scan_iter(match="frgm:*")}
    assert written <= {"rows", "rowver", "meta", "seq", "done", "future_mid"}
    assert emf_documents()[logged:] == []  # no ParseErrors to alarm on
    refused.refresh_from_db()
    assert refused.times_seen == 1
