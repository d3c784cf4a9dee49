"""Every file the worker finishes is announced on the files group, whatever it
changed: the pages show a feed alive from it the moment it lands."""

from __future__ import annotations

from feeds.messages import FEED_FILES_GROUP
from tests.feeds.ingest.conftest import POSITIONS_KEY, sample

SAME_LATER = "tt/positions/2025-07-21/positions_20250721_203012.json"
OLDER = "tt/positions/2025-07-21/positions_20250721_203001.json"


def test_each_file_is_announced_once_with_what_it_changed(feed_queue, channel_listener):
    files = channel_listener(FEED_FILES_GROUP)
    body = sample("tt/positions_response.json")
    for key in (POSITIONS_KEY, SAME_LATER, OLDER):  # new, unchanged, older than the latest
        feed_queue.put(key, body)
        assert all(feed_queue.drain())
    told = files()
    assert [(m["key"], m["status"], m["updates"] > 0) for m in told] == [
        (POSITIONS_KEY, "applied", True),
        (SAME_LATER, "applied", False),  # changed nothing: no FeedUpdate, still announced
        (OLDER, "stale", False),
    ]
    assert all(m["type"] == "feed.file" and m["feed"] == "tt-positions" for m in told)
    assert all(m["s3_event_time"] and m["ingested_at"] for m in told)
