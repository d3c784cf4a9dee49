"""A key uploaded again (a new S3 object version) is a new file, in history too.

The feed server may rewrite a file under the same name; each version must keep
its own history items, while a repeated notification of one version still
writes nothing twice. Every reader of history must keep working.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal

from django.urls import reverse

from feeds.history import history_walk
from feeds.rebuild import latest_state_rebuild
from feeds.records import Feed
from feeds.replay import day_replay
from ladder.analytics_views import series_read
from lib.aws import client
from lib.redis_clients import state_store
from tests.conftest import logged_in
from tests.feeds.ingest.conftest import POSITIONS_KEY, latest_rows, sample

DAY = date(2025, 7, 21)


def _positions_with(net: int) -> bytes:
    body = json.loads(sample("tt/positions_response.json"))
    body["positions"][0]["netPosition"] = float(net)
    return json.dumps(body).encode()


def _net_position() -> int:
    [position] = latest_rows("tt-positions").values()
    return position["net_position"]


def _items(*, metrics: bool) -> dict[str, Decimal]:
    """version id -> net position, of each history item of the day."""
    return {
        item.attributes["version_id"]: (
            item.attributes["net_position"]
            if metrics
            else Decimal(next(iter((item.rows or {}).values()))["net_position"])
        )
        for item in history_walk(feed=Feed.TT_POSITIONS, day=DAY, metrics=metrics)
    }


def _as_s3_sends_it(body: str) -> str:
    """moto gives every notification one fixed sequencer; S3's grow with each
    upload of a key, and order them (the compare-and-set relies on it)."""
    payload = json.loads(body)
    for record in payload["Records"]:
        record["s3"]["object"]["sequencer"] = "617F08299329D18A"  # moto's + 1
    return json.dumps(payload)


def _upload_twice_and_repeat_the_second_notification(feed_queue) -> tuple[str, str]:
    first = feed_queue.put(POSITIONS_KEY, _positions_with(100))["VersionId"]
    assert all(feed_queue.drain())
    second = feed_queue.put(POSITIONS_KEY, _positions_with(300))["VersionId"]  # corrected
    [message] = [m for m in feed_queue.receive() if "Records" in m["Body"]]
    sqs = client("sqs")
    sqs.delete_message(QueueUrl=feed_queue.url, ReceiptHandle=message["ReceiptHandle"])
    for _ in range(2):  # the notification, and SQS delivering it again
        sqs.send_message(QueueUrl=feed_queue.url, MessageBody=_as_s3_sends_it(message["Body"]))
    assert all(feed_queue.drain())
    return first, second


def test_each_version_of_a_key_has_its_own_history_items_and_a_repeat_writes_none(feed_queue):
    first, second = _upload_twice_and_repeat_the_second_notification(feed_queue)

    assert _net_position() == 300
    assert _items(metrics=False) == {first: 100, second: 300}
    assert _items(metrics=True) == {first: 100, second: 300}


def test_history_readers_see_both_versions_and_rebuild_and_replay_take_the_newer(
    feed_queue, trader
):
    _upload_twice_and_repeat_the_second_notification(feed_queue)

    # The history API pages through both items, each once.
    seen, cursor = [], None
    for _ in range(4):
        query = {"feed": "tt-positions", "date": DAY.isoformat(), "limit": "1"}
        body = (
            logged_in(trader)
            .get(reverse("api:history"), {**query, "after": cursor} if cursor else query)
            .json()
        )
        seen += [item["net_position"] for item in body["items"]]
        if (cursor := body["next"]) is None:
            break
    assert sorted(seen) == ["100", "300"]
    # The analytics series plot both.
    assert sorted(series_read(day=DAY, after={}).points["net_position"]["y"]) == [100, 300]

    state_store().flushall()
    [rebuilt] = latest_state_rebuild(feeds=[Feed.TT_POSITIONS], day=DAY).feeds
    assert (rebuilt.status, _net_position()) == ("rebuilt", 300)

    state_store().flushall()
    report = day_replay(day=DAY, feed=Feed.TT_POSITIONS)  # the current version only
    assert (report.outcomes, _net_position()) == ({"ingested": 1}, 300)
    assert len(_items(metrics=False)) == 2  # nothing written twice
