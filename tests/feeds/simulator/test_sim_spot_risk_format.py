"""Generated spot-risk files look exactly like the samples, cell by cell."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable

import pytest

from feeds.simulator.spot_risk import CHUNK_HEADER, SINGLE_HEADER, TYPE_ROW

SINGLE_SAMPLE = "bav_analysis_20250721_203007.csv"
CHUNK_SAMPLE = "bav_analysis_20250729_151211_chunk_01_of_16.csv"
OPTION_KEY = re.compile(
    r"^XCME\.(?:(?:VY|GY|WY|HY|ZN)[1-5]\.\d{2}[A-Z]{3}\d{2}|OZN\.[A-Z]{3}\d{2})\.\d{3}(?::\d{1,2})?\.[CP]$"
)
FUTURE_KEY = re.compile(r"^XCME\.ZN\.[A-Z]{3}\d{2}$")
# How a cell is written, regardless of its value: the samples' vocabulary.
SHAPES = {
    "empty": re.compile(r"^$"),
    "invalid": re.compile(r"^INVALID$"),
    "dot7": re.compile(r"^\.\d{7}$"),  # below one: no leading zero
    "num7": re.compile(r"^[1-9]\d*\.\d{7}$"),
    "int": re.compile(r"^(?:0|-?[1-9]\d*)$"),  # VAR_INT32: a short position is negative
    "itype": re.compile(r"^[CPFN]$"),
    "key": re.compile(r"^XCME\.ZN$|" + FUTURE_KEY.pattern + "|" + OPTION_KEY.pattern),
}

Rows = Callable[[bytes], list[list[str]]]


def shape(cell: str) -> str:
    found = [name for name, pattern in SHAPES.items() if pattern.match(cell)]
    assert len(found) == 1, f"{cell!r} has no single shape: {found}"
    return found[0]


def shapes_by_column(rows: list[list[str]]) -> dict[int, set[str]]:
    found: dict[int, set[str]] = defaultdict(set)
    for row in rows:
        for column, cell in enumerate(row):
            found[column].add(shape(cell))
    return found


def first_file(files: list, suffix: str) -> bytes:
    return next(f.body for _, f in files if "spot-risk" in f.key and f.key.endswith(suffix))


def test_the_single_file_has_the_samples_header_and_type_row(run, sample, rows_of: Rows) -> None:
    _, files = run(layout="single")
    body = first_file(files, ".csv")
    expected = rows_of(sample(SINGLE_SAMPLE))
    assert rows_of(body)[:2] == expected[:2]
    assert body.split(b"\n")[:2] == [SINGLE_HEADER.encode(), TYPE_ROW.encode()]


def test_every_single_file_cell_is_written_the_way_the_sample_writes_that_column(
    run, sample, rows_of: Rows
) -> None:
    _, files = run(layout="single")
    generated = shapes_by_column(rows_of(first_file(files, ".csv"))[2:])
    expected = shapes_by_column(rows_of(sample(SINGLE_SAMPLE))[2:])
    assert len(generated) == 16
    for column, shapes in generated.items():
        assert shapes <= expected[column], f"column {column}: {shapes - expected[column]}"


def test_chunk_cells_are_written_the_way_the_chunk_sample_writes_them(
    run, sample, rows_of: Rows
) -> None:
    _, files = run(layout="chunked", chunk_drop_probability=0)
    chunks = [rows_of(f.body) for _, f in files if "_chunk_" in f.key]
    assert chunks
    for rows in chunks:
        assert rows[0] == rows_of(sample(CHUNK_SAMPLE))[0] == CHUNK_HEADER.split(",")
        # the sample chunk has no INVALID option price; the single sample shows them
        allowed = shapes_by_column(rows_of(sample(SINGLE_SAMPLE))[2:])
        for column, shapes in shapes_by_column(rows[1:]).items():
            assert shapes <= allowed[column]


def test_the_future_and_product_rows_are_shaped_like_the_samples(run, rows_of: Rows) -> None:
    simulator, files = run(layout="single")
    rows = rows_of(first_file(files, ".csv"))
    future, product = rows[-2], rows[-1]
    assert future[0] == "XCME.ZN.SEP25" == simulator.future.actant_key
    net, sod = simulator.desk.position.net, simulator.desk.position.sod_net
    assert future[3:] == ["INVALID", "F", "", "", "", "", str(net), str(sod), "0", "", "", "0", "0"]
    assert product == ["XCME.ZN", "INVALID", "INVALID", "INVALID", "N"] + [""] * 4 + [
        "0", "0", "0", "", "", "0", "0",
    ]  # fmt: skip
    chunk_future = rows_of(first_file(run(layout="chunked")[1], "_chunk_01_of_16.csv"))[1]
    assert chunk_future[3:] == ["INVALID", "F", "", "", "", ""]


def test_option_keys_agree_with_their_strike_and_type_columns(run, sample, rows_of: Rows) -> None:
    _, files = run(layout="single")
    options = [r for r in rows_of(first_file(files, ".csv"))[2:] if r[4] in "CP"]
    for rows in (options, [r for r in rows_of(sample(SINGLE_SAMPLE))[2:] if r[4] in "CP"]):
        for row in rows:
            assert OPTION_KEY.match(row[0]), row[0]
            *_, strike_token, itype = row[0].split(".")
            whole, _, fraction = strike_token.partition(":")
            strike = float(whole) + (float("0." + fraction) if fraction else 0.0)
            assert float(row[3]) == strike
            assert ("." in row[3]) == bool(fraction)  # 111 for whole strikes, 110.2500000 else
            assert row[4] == itype


def test_files_are_plain_ascii_lines_ending_in_a_newline(run) -> None:
    _, files = run(layout="both")
    for _, f in files:
        if f.key.endswith(".csv"):
            assert f.body.endswith(b"\n")
            assert b"\r" not in f.body
            f.body.decode("ascii")


@pytest.mark.parametrize(("rows", "expiries"), [(500, 10), (134, 4), (1000, 10)])
def test_the_row_count_follows_the_configured_size(
    run, rows_of: Rows, rows: int, expiries: int
) -> None:
    _, files = run(layout="single", spot_risk_rows=rows, expiries=expiries)
    count = len(rows_of(first_file(files, ".csv"))) - 2
    assert rows * 0.9 <= count <= rows


def test_the_expired_weekly_is_listed_with_every_value_invalid(run, rows_of: Rows) -> None:
    # At 20:30 on Monday 21 Jul the VY3 21JUL25 weekly has expired (as in the sample).
    _, files = run(layout="single")
    rows = rows_of(first_file(files, ".csv"))[2:]
    expired = [r for r in rows if r[0].startswith("XCME.VY3.21JUL25.")]
    assert expired
    for row in expired:
        assert row[1:3] == ["INVALID", "INVALID"]
        assert row[5:9] == ["", "", "", ""]
