"""Only a file whose rows reach the latest state makes a feed look fresh.

A feed that sends only malformed, late or repeated files must turn stale on the
traders' and ops pages, while ops still sees those files counted.
"""

from __future__ import annotations

import time

from feeds.records import Feed
from feeds.selectors import feed_health, recent_files
from feeds.sqs_consumer import message_handle
from lib.aws import client
from lib.redis_clients import state_store
from tests.feeds.ingest.conftest import POSITIONS_KEY, sample

DAY = "tt/positions/2025-07-21/"
MALFORMED_KEY = DAY + "positions_20250721_203009.json"  # newer than the good file
OLDER_KEY = DAY + "positions_20250721_203001.json"
# What the live hub, the ladder's feed ages and feed_status read as "the last file".
LAST_FILE = ("last_key", "last_file_time", "last_event_time", "last_ingested_at", "last_latency_ms")


def _health() -> dict[str, str]:
    raw = state_store().hgetall("frgm:{tt-positions}:health")
    return {k.decode(): v.decode() for k, v in raw.items()}


def _done_markers_expire() -> None:
    for name in list(state_store().scan_iter(match="frgm:*:done:*")):
        state_store().delete(name)


def test_malformed_late_and_repeated_files_do_not_move_the_last_file(feed_queue):
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))  # 20:30:08
    received = feed_queue.receive()  # with the bucket's s3:TestEvent
    [message] = [m for m in received if "Records" in m["Body"]]
    for each in received:
        assert message_handle(
            each, received_at=time.time(), worker="test", queue_url=feed_queue.url
        )
    fresh = _health()

    feed_queue.put(MALFORMED_KEY, sample("bad/tt_positions_truncated.json"))
    feed_queue.put(OLDER_KEY, sample("tt/positions_response.json"))
    assert all(feed_queue.drain())
    _done_markers_expire()  # an hour on, SQS delivers the good file's notification again
    client("sqs").send_message(QueueUrl=feed_queue.url, MessageBody=message["Body"])
    assert all(feed_queue.drain())

    health = _health()
    assert {f: health[f] for f in LAST_FILE} == {f: fresh[f] for f in LAST_FILE}
    assert health["last_key"] == POSITIONS_KEY
    later = float(fresh["last_ingested_at"]) + 90
    assert feed_health(feed=Feed.TT_POSITIONS, now=later).age_s == 90.0  # stale, as it is
    # Counted apart, so ops still sees the feed sending files and the errors.
    assert feed_health(feed=Feed.TT_POSITIONS).totals == {
        "files": 1,
        "parse_error": 1,
        "stale": 1,
        "duplicate": 1,
    }
    assert feed_health(feed=Feed.TT_POSITIONS).parse_errors_last_hour == 1
    recent = sorted(
        (entry["key"], entry["status"]) for entry in recent_files(feed=Feed.TT_POSITIONS)
    )
    assert recent == sorted(
        [
            (POSITIONS_KEY, "applied"),
            (POSITIONS_KEY, "same"),  # listed for ops with its status
            (MALFORMED_KEY, "parse_error"),
            (OLDER_KEY, "stale"),
        ]
    )
    latencies = [entry["latency_ms"] for entry in recent_files(feed=Feed.TT_POSITIONS)]
    assert latencies[-1] is not None  # the applied file's
    assert latencies[:-1] == [None, None, None]  # no latency for files that were not
