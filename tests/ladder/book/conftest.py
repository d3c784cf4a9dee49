"""The desk's sample files with the issue's four option positions, ingested for real,
and the TT future mapped to Actant's (so the ladder's spot is the Actant mid)."""

from __future__ import annotations

import csv
import io

import pytest

from tests.feeds.ingest.conftest import (
    ORDERS_KEY,
    POSITIONS_KEY,
    SPOT_KEY,
    VTEXP_KEY,
    FeedQueue,
    feed_queue,
    sample,
)
from tests.ladder.pages.conftest import INSTRUMENT
from tests.ladder.pages.test_spot_from_actant import sep25_instrument

__all__ = ["book_desk", "feed_queue"]

POSITIONS = {
    "XCME.OZN.AUG25.111.C": 50,
    "XCME.OZN.AUG25.111:5.P": -30,
    "XCME.WY4.23JUL25.111.C": 20,
    "XCME.HY4.24JUL25.111:25.P": -40,
}
SPOT = "111.1640625"  # the Actant future's mid


def spot_risk_with_positions(positions: dict[str, int]) -> bytes:
    """The sample spot-risk file with ``POS.POSITION`` set from ``positions`` (else 0)."""
    text = sample("actant/bav_analysis_20250721_203007.csv").decode()
    rows = list(csv.reader(io.StringIO(text)))
    column = rows[0].index("POS.POSITION")
    for row in rows[2:]:
        if row and row[0] in positions:
            row[column] = str(positions[row[0]])
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode()


@pytest.fixture
def book_desk(feed_queue: FeedQueue) -> FeedQueue:
    feed_queue.put(VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv"))
    feed_queue.put(f"tt/instruments/instrument_{INSTRUMENT}.json", sep25_instrument())
    assert all(feed_queue.drain())
    feed_queue.put(SPOT_KEY, spot_risk_with_positions(POSITIONS))
    feed_queue.put(POSITIONS_KEY, sample("tt/positions_response.json"))
    feed_queue.put(ORDERS_KEY, sample("tt/working_orders_response.json"))
    assert all(feed_queue.drain())
    return feed_queue
