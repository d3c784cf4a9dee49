"""A wiped or new state store heals itself with the next file, once; no file goes to
history without the Greeks it would have had (or it is marked and repaired)."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date

from django.conf import settings
from django.urls import reverse

from feeds.history import HistoryItem, history_items
from feeds.records import Feed
from feeds.sqs_consumer import message_handle
from lib.aws import client
from lib.redis_clients import state_store
from tests.conftest import logged_in
from tests.feeds.commands.conftest import DAY, day_ingest, raw_state
from tests.feeds.ingest.conftest import SPOT_KEY, VTEXP_KEY, FeedQueue, sample

SPOT_SAMPLE = "actant/bav_analysis_20250721_203007.csv"
CALL = "XCME.OZN.AUG25.110:25.C"


def _book_with_a_position() -> bytes:
    """The sample book holding 25 of the call, so its totals depend on its Greeks."""
    body = sample(SPOT_SAMPLE)
    row = b"XCME.OZN.AUG25.110:25.C,.9218750,.9375000,110.2500000,C,.9283016,"
    start = body.index(row)
    end = body.index(b"\n", start)
    fields = body[start:end].split(b",")
    fields[9] = b"25"  # POS.POSITION
    return body[:start] + b",".join(fields) + body[end:]


def _spot_key(second: int) -> str:
    return f"actant/spot-risk/2025-07-21/bav_analysis_20250721_2031{second:02d}.csv"


def _snapshot(object_key: str, *, metrics: bool = False, day: date = DAY) -> HistoryItem:
    items, _ = history_items(feed=Feed.SPOT_RISK, day=day, metrics=metrics, limit=1000)
    [item] = [i for i in items if i.object_key == object_key]
    return item


def _heals(documents: list[dict]) -> list[dict]:
    return [d for d in documents if "StateSelfHeals" in d]


def _received(queue: FeedQueue, count: int) -> list[dict]:
    """``count`` notifications, taken off the queue before any is handled."""
    messages: list[dict] = []
    deadline = time.monotonic() + 20
    while len(messages) < count and time.monotonic() < deadline:
        messages += queue.receive(visibility_s=30)
    assert len(messages) == count
    return messages


def test_after_a_flush_the_next_file_brings_every_feed_back_with_its_greeks(
    feed_queue, emf_documents
):
    day_ingest(feed_queue, bad=False)  # vtexp, instruments, spot risk, positions, orders
    before, heals_before = raw_state(), len(_heals(emf_documents()))
    state_store().flushall()

    feed_queue.put(_spot_key(0), sample(SPOT_SAMPLE))  # the same book, a few seconds later
    assert all(feed_queue.drain())

    # vtexp, instruments, positions and orders are back byte for byte, and the new
    # file (the same book) was priced with the restored vtexp and future.
    assert raw_state() == before
    new = _snapshot(_spot_key(0))
    assert new.rows is not None
    assert new.rows[CALL]["greeks"]["vol"] > 0
    assert new.rows == _snapshot(SPOT_KEY).rows
    assert "greeks_missing" not in new.attributes
    [heal] = _heals(emf_documents())[heals_before:]
    assert heal["StateSelfHeals"] == 1
    assert heal["Feeds"]["vtexp"].startswith("rebuilt")


def test_concurrent_files_after_a_flush_rebuild_once(feed_queue, emf_documents):
    day_ingest(feed_queue, bad=False)
    before, heals_before = raw_state(), len(_heals(emf_documents()))
    state_store().flushall()
    for second in range(6):
        feed_queue.put(_spot_key(second), sample(SPOT_SAMPLE))
    messages = _received(feed_queue, 6)

    with ThreadPoolExecutor(max_workers=6) as pool:
        handled = list(
            pool.map(
                lambda m: message_handle(
                    m, received_at=time.time(), worker="test", queue_url=feed_queue.url
                ),
                messages,
            )
        )

    assert all(handled)
    assert len(_heals(emf_documents())[heals_before:]) == 1
    assert state_store().hget("frgm:{heal}:last", "count") == b"1"
    assert raw_state() == before
    for second in range(6):
        rows = _snapshot(_spot_key(second)).rows
        assert rows is not None
        assert rows[CALL]["greeks"] is not None, second


def test_a_spot_risk_file_before_any_vtexp_is_marked_then_repaired_when_vtexp_arrives(
    feed_queue,
):
    feed_queue.put(SPOT_KEY, _book_with_a_position())  # a new store, and no vtexp ever
    assert all(feed_queue.drain())
    marked = _snapshot(SPOT_KEY)
    assert marked.attributes["greeks_missing"] is True
    assert marked.rows is not None
    assert marked.rows[CALL]["greeks"] is None
    marked_metrics = _snapshot(SPOT_KEY, metrics=True).attributes
    assert marked_metrics["greeks_missing"] is True
    assert "portfolio_vega" not in marked_metrics  # no chart point until it is right

    feed_queue.put(VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv"))
    assert all(feed_queue.drain())
    # What it would have had: the same book, put once vtexp was there.
    feed_queue.put(_spot_key(0), _book_with_a_position())
    assert all(feed_queue.drain())

    repaired, fresh = _snapshot(SPOT_KEY), _snapshot(_spot_key(0))
    assert "greeks_missing" not in repaired.attributes
    assert repaired.rows == fresh.rows
    assert repaired.rows is not None
    assert repaired.rows[CALL]["greeks"]["vol"] > 0
    metrics = _snapshot(SPOT_KEY, metrics=True).attributes
    assert "greeks_missing" not in metrics
    totals = ("portfolio_delta", "portfolio_gamma", "portfolio_vega", "portfolio_theta")
    fresh_metrics = _snapshot(_spot_key(0), metrics=True).attributes
    assert [metrics[t] for t in totals] == [fresh_metrics[t] for t in totals]
    assert metrics["portfolio_vega"] != 0


def test_on_call_sees_on_the_ops_page_that_the_store_healed_itself(feed_queue, oncall):
    day_ingest(feed_queue, bad=False)
    state_store().flushall()
    assert "restored itself" not in logged_in(oncall).get(reverse("ops:health")).content.decode()

    feed_queue.put(_spot_key(0), sample(SPOT_SAMPLE))
    assert all(feed_queue.drain())

    page = logged_in(oncall).get(reverse("ops:health")).content.decode()
    assert "The state store was empty (new or wiped) and restored itself from history" in page
    assert "vtexp rebuilt 10 rows" in page


def test_a_file_waits_for_a_rebuild_another_worker_holds_and_heals_when_its_lock_lapses(
    feed_queue, monkeypatch
):
    day_ingest(feed_queue, bad=False)
    before = raw_state()
    state_store().flushall()
    # A worker took the rebuild and died: its lock lapses on its own (here: at once).
    state_store().set("frgm:{heal}:lock", "a-dead-worker", ex=60)
    monkeypatch.setattr("feeds.self_heal.WAIT_S", 0.3)
    feed_queue.put(_spot_key(0), sample(SPOT_SAMPLE))

    [message] = _received(feed_queue, 1)
    handled = message_handle(
        message, received_at=time.time(), worker="test", queue_url=feed_queue.url
    )

    assert handled is False  # not ingested without vtexp: its message comes back
    assert feed_queue.depth() == 1
    assert raw_state()["vtexp"] == {}
    state_store().delete("frgm:{heal}:lock")
    deadline = time.monotonic() + 20  # it is back after its retry delay
    while feed_queue.depth() and time.monotonic() < deadline:
        assert all(feed_queue.drain())
    assert feed_queue.depth() == 0
    assert raw_state() == before
    assert _snapshot(_spot_key(0)).rows == _snapshot(SPOT_KEY).rows


def test_a_history_item_the_rebuild_cannot_read_does_not_stop_intake(feed_queue, emf_documents):
    day_ingest(feed_queue, bad=False)
    before, heals_before = raw_state(), len(_heals(emf_documents()))
    [vtexp] = history_items(feed=Feed.VTEXP, day=DAY)[0]
    client("dynamodb").update_item(
        TableName=settings.FRGM_HISTORY_TABLE,
        Key={"pk": {"S": f"vtexp#{DAY.isoformat()}"}, "sk": {"S": vtexp.sk}},
        UpdateExpression="SET #rows = :junk",
        ExpressionAttributeNames={"#rows": "rows"},
        ExpressionAttributeValues={":junk": {"B": b"not a snapshot"}},
    )
    state_store().flushall()

    feed_queue.put(_spot_key(0), sample(SPOT_SAMPLE))
    assert all(feed_queue.drain())

    after = raw_state()
    assert after["vtexp"] == {}
    assert {f: after[f] for f in ("tt-orders", "tt-positions", "tt-instruments")} == {
        f: before[f] for f in ("tt-orders", "tt-positions", "tt-instruments")
    }
    assert _snapshot(_spot_key(0)).attributes["greeks_missing"] is True  # repaired by vtexp
    [heal] = _heals(emf_documents())[heals_before:]
    assert heal["Feeds"]["vtexp"].startswith("failed")
