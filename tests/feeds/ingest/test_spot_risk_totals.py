"""Spot-risk totals are position-weighted: per expiry and for the portfolio,
each Greek is the sum of position x that instrument's Greek (a future: one delta
a contract), on the page and in the file's history metrics."""

from __future__ import annotations

from datetime import date

import pytest

from feeds.history import history_walk
from feeds.records import Feed
from ladder.selectors.risk import GREEKS, spot_risk_snapshot
from tests.feeds.ingest.conftest import SPOT_KEY, VTEXP_KEY, latest_rows, sample

CALL, PUT = "XCME.OZN.AUG25.111.C", "XCME.OZN.AUG25.112.P"
WEEKLY = "XCME.GY4.22JUL25.111:25.C"
FUTURE = "XCME.ZN.SEP25"
POSITIONS = {CALL: 25, PUT: -10, WEEKLY: 40, FUTURE: 7}
POSITION_COLUMN = 9  # POS.POSITION in the 16-column layout


def _with_positions() -> bytes:
    lines = []
    for line in sample("actant/bav_analysis_20250721_203007.csv").decode().splitlines():
        cells = line.split(",")
        if cells[0] in POSITIONS:
            cells[POSITION_COLUMN] = str(POSITIONS[cells[0]])
        lines.append(",".join(cells))
    return ("\n".join(lines) + "\n").encode()


def test_totals_are_the_sum_of_position_times_greek(feed_queue):
    feed_queue.put(VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv"))  # Greeks need it
    assert all(feed_queue.drain())
    feed_queue.put(SPOT_KEY, _with_positions())
    assert all(feed_queue.drain())
    rows = latest_rows("spot-risk")
    assert {key: rows[key]["position"] for key in POSITIONS} == POSITIONS

    def weighted(key: str, greek: str) -> float:
        return POSITIONS[key] * rows[key]["greeks"][greek]

    view = spot_risk_snapshot()

    totals = {group.expiry: group.totals for group in view.groups}
    [metrics] = history_walk(feed=Feed.SPOT_RISK, day=date(2025, 7, 21), metrics=True)
    for greek in GREEKS:
        august = weighted(CALL, greek) + weighted(PUT, greek)
        weekly = weighted(WEEKLY, greek)
        futures = POSITIONS[FUTURE] if greek == "delta" else 0
        portfolio = august + weekly + futures
        assert august != 0  # real Greeks, not zeros
        assert weekly != 0
        assert totals["AUG25"][greek] == pytest.approx(august, abs=1e-7), greek
        assert totals["22JUL25"][greek] == pytest.approx(weekly, abs=1e-7), greek
        assert view.totals[greek] == pytest.approx(portfolio, abs=1e-7), greek
        # The same totals in the file's history metrics item (rounded to 6 places).
        assert float(metrics.attributes[f"portfolio_{greek}"]) == pytest.approx(
            portfolio, abs=1e-6
        ), greek
    assert (totals["future"]["delta"], totals["future"]["gamma"]) == (7, None)
    assert view.totals.missing == 0  # every positioned option has its Greeks
