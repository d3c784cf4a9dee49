"""feed_health: per-minute buckets read as sliding windows."""

from __future__ import annotations

from feeds.records import Feed
from feeds.selectors import feed_health
from lib.redis_clients import state_store

MINUTE = 29_000_000  # an epoch minute


def _bucket(kind: str, minute: int, count: int) -> None:
    state_store().set(f"frgm:{{spot-risk}}:{kind}:{minute}", count)


def test_the_last_minute_counts_this_minute_and_the_overlapping_share_of_the_last(stack):
    _bucket("files", MINUTE, 10)  # the current minute, 15 s in
    _bucket("files", MINUTE - 1, 40)  # 45 of its 60 s are inside the window
    _bucket("files", MINUTE - 30, 5)
    _bucket("files", MINUTE - 61, 1000)  # over an hour ago

    health = feed_health(feed=Feed.SPOT_RISK, now=MINUTE * 60 + 15)

    assert health.files_last_minute == 10 + 30
    assert health.files_last_hour == 10 + 40 + 5


def test_parse_errors_are_counted_over_the_last_hour(stack):
    _bucket("parse_error", MINUTE - 59, 2)
    _bucket("parse_error", MINUTE - 60, 4)  # half of it is still inside the hour

    health = feed_health(feed=Feed.SPOT_RISK, now=MINUTE * 60 + 30)

    assert health.parse_errors_last_hour == 2 + 2


def test_a_feed_that_never_sent_a_file_has_no_age(stack):
    health = feed_health(feed=Feed.VTEXP)

    assert (health.last_key, health.age_s, health.files_total) == (None, None, 0)
