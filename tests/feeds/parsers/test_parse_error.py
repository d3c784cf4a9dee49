"""How a refused file is described to ops: file, row, column, reason."""

from __future__ import annotations

from feeds.parsers import ParseError


def test_it_reads_file_row_column_and_reason():
    error = ParseError(
        "'abc' is not a price",
        file="actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
        row=5,
        column="BID",
    )
    assert str(error) == "bav_analysis_20250721_203007.csv row 5 column BID: 'abc' is not a price"
    assert error.file == "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv"
    assert (error.row, error.column, error.reason) == (5, "BID", "'abc' is not a price")


def test_it_leaves_out_the_row_and_column_when_the_whole_file_is_wrong():
    error = ParseError(
        "the file is empty", file="actant/vtexp/2025-07-21/vtexp_20250721_203256.csv"
    )
    assert str(error) == "vtexp_20250721_203256.csv: the file is empty"


def test_it_names_row_zero_for_the_first_item_of_a_tt_array():
    error = ParseError(
        "positions[0] has no netPosition", file="positions_x.json", row=0, column="netPosition"
    )
    assert (
        str(error) == "positions_x.json row 0 column netPosition: positions[0] has no netPosition"
    )


def test_it_is_a_value_error():
    assert isinstance(ParseError("x", file="f"), ValueError)
