"""What a parser accepts but notices is logged once, kept with the file and shown to on-call."""

from __future__ import annotations

import json
import logging

import pytest
from django.urls import reverse

from feeds.records import Feed
from feeds.selectors import recent_files
from tests.conftest import logged_in
from tests.feeds.ingest.conftest import POSITIONS_KEY, sample
from tests.feeds.ingest.test_chunk_positions import CALL, HEADER_9

CHUNK_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203012_chunk_01_of_02.csv"


def _positions_not_last_page() -> bytes:
    body = json.loads(sample("tt/positions_response.json"))
    body["lastPage"] = "false"
    return json.dumps(body).encode()


def _chunk_with_a_new_column() -> bytes:
    header = HEADER_9.replace(b"\n", b",DESK\n")
    return header + f"{CALL},.3125000,.3281250,111,C,.3180913,414.7,448.0,431.4,ZN\n".encode()


CASES = [
    (POSITIONS_KEY, _positions_not_last_page, Feed.TT_POSITIONS, "lastPage is false"),
    (CHUNK_KEY, _chunk_with_a_new_column, Feed.SPOT_RISK, "ignored unknown column 'DESK'"),
]


@pytest.mark.parametrize(("key", "body", "feed", "warning"), CASES)
def test_a_parser_warning_is_logged_once_and_shown_with_its_file(
    feed_queue, oncall, caplog, key, body, feed, warning
):
    feed_queue.put(key, body())
    with caplog.at_level(logging.WARNING, logger="feeds.pipeline"):
        assert all(feed_queue.drain())

    logged = [r.getMessage() for r in caplog.records if warning in r.getMessage()]
    assert len(logged) == 1
    assert key in logged[0]
    [entry] = recent_files(feed=feed)
    assert entry["status"] == "applied"  # accepted, with the warning
    assert [w for w in entry["warnings"] if warning in w]
    page = logged_in(oncall).get(reverse("ops:feed", kwargs={"feed": feed.value})).text
    assert warning in page.replace("&#x27;", "'")
