"""Every file the simulator writes is one the real parsers accept, and reads back the same."""

from __future__ import annotations

import json
from collections.abc import Callable
from decimal import Decimal

import pytest

from feeds.feed_keys import trading_date_for
from feeds.records import Feed

parsers = pytest.importorskip("feeds.parsers")

Rows = Callable[[bytes], list[list[str]]]


@pytest.fixture(scope="module")
def files(run) -> list:
    # Both layouts, dropped chunks, fills and a stop limit: every kind of file.
    return run(300, step=1.0, layout="both", move_probability=0.5, chunk_drop_probability=0.5)[1]


def test_every_generated_file_parses_without_warnings(files) -> None:
    feeds = set()
    for _, f in files:
        parsed = parsers.file_parse(key=f.key, data=f.body)
        assert parsed.warnings == (), (f.key, parsed.warnings)
        feeds.add(parsed.feed)
    assert feeds == set(Feed)


def test_every_key_is_a_feed_key_with_the_trading_date_of_its_moment(files) -> None:
    for moment, f in files:
        source = parsers.feed_key_parse(f.key)
        assert source is not None, f.key
        if source.feed != Feed.TT_INSTRUMENTS:
            assert source.trading_date == trading_date_for(moment)
            assert source.file_time == moment.replace(microsecond=0)


def test_spot_risk_reads_back_row_for_row(files, rows_of: Rows) -> None:
    for _, f in files[:40]:
        if not f.key.startswith("actant/spot-risk/"):
            continue
        parsed = parsers.file_parse(key=f.key, data=f.body)
        rows = [r for r in rows_of(f.body)[1:] if r[0] != "Type"]
        assert [r.key for r in parsed.spot_risk] == [row[0] for row in rows]
        for record, row in zip(parsed.spot_risk, rows, strict=True):
            assert record.bid == (None if row[1] == "INVALID" else Decimal(row[1]))
            assert record.itype == row[4]


def test_tt_files_read_back_their_ids_and_quantities(files) -> None:
    for _, f in files[:40]:
        if f.key.startswith("tt/positions/"):
            (position,) = parsers.file_parse(key=f.key, data=f.body).positions
            raw = json.loads(f.body)["positions"][0]
            assert position.net_position == raw["netPosition"]
            assert position.instrument_id == raw["instrumentId"]
        if f.key.startswith("tt/orders/"):
            orders = parsers.file_parse(key=f.key, data=f.body).orders
            assert sum(o.is_algo_parent for o in orders) == 1
            assert all(o.price is not None for o in orders if not o.is_algo_parent)
        if f.key.startswith("tt/instruments/"):
            (instrument,) = parsers.file_parse(key=f.key, data=f.body).instruments
            assert instrument.actant_future_key == "XCME.ZN.SEP25"
