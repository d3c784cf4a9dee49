"""The simulated Actant book holds options near the money and the TT future position."""

from __future__ import annotations

from decimal import Decimal

from feeds.simulator.spot_risk import CHUNK_HEADER

POSITION, SOD = 9, 10


def _book(rows: list[list[str]]) -> dict[str, int]:
    return {row[0]: int(row[POSITION]) for row in rows[2:] if row[POSITION] not in ("", "0")}


def _single_files(files) -> list:
    return [f for _, f in files if "spot-risk" in f.key and "_chunk_" not in f.key]


def test_the_book_holds_near_the_money_options_and_the_future(run, rows_of) -> None:
    simulator, files = run(layout="single")
    rows = rows_of(_single_files(files)[0].body)
    book = _book(rows)
    options = {k: v for k, v in book.items() if k != simulator.future.actant_key}
    assert len(options) >= 6
    mid = simulator.walk.mid
    for key in options:
        strike = key.split(".")[3].replace(":", ".")
        strike = Decimal(strike if "." in strike else strike + ".0")
        assert abs(strike - mid) <= 1, key
    assert book[simulator.future.actant_key] == simulator.desk.position.net


def test_the_book_trades_now_and_then_and_keeps_its_start_of_day(run, rows_of) -> None:
    _, files = run(600, step=1.0, layout="single", option_trade_probability=0.2)
    singles = _single_files(files)
    first, last = rows_of(singles[0].body), rows_of(singles[-1].body)
    assert _book(first) != _book(last)
    sod_first = {row[0]: row[SOD] for row in first[2:]}
    sod_last = {row[0]: row[SOD] for row in last[2:]}
    assert sod_first == sod_last  # the same trading date: start of day stands


def test_chunks_carry_no_position_columns(run) -> None:
    _, files = run(layout="chunked")
    chunk = next(f for _, f in files if "_chunk_" in f.key)
    assert chunk.body.split(b"\n")[0].decode() == CHUNK_HEADER
