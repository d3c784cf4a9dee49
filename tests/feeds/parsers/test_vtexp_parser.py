"""Actant time to expiry: days per expiry token, exactly as written."""

from __future__ import annotations

from decimal import Decimal

import pytest

from feeds.parsers import file_parse
from feeds.records import Feed, ParsedFile

VTEXP = "actant/vtexp_20250721_203256.csv"
VTEXP_KEY = "actant/vtexp/2025-07-21/vtexp_20250721_203256.csv"


@pytest.fixture
def vtexp(sample) -> ParsedFile:
    return file_parse(key=VTEXP_KEY, data=sample(VTEXP))


def test_it_reads_the_days_for_an_expiry_token_exactly(vtexp):
    days = {row.expiry: row.days for row in vtexp.vtexp}
    assert days["22JUL25"] == Decimal("0.728472")
    assert days["AUG25"] == Decimal("3.832639")
    assert days["04AUG25"] == Decimal("9.727778")


def test_it_takes_the_expiry_token_from_the_last_part_of_the_symbol(vtexp):
    first = vtexp.vtexp[0]
    assert (first.symbol, first.expiry) == ("XCME.ZN.N.G.22JUL25", "22JUL25")


def test_it_reads_every_row_in_file_order(vtexp):
    assert vtexp.feed is Feed.VTEXP
    assert [row.expiry for row in vtexp.vtexp] == [
        "22JUL25",
        "23JUL25",
        "24JUL25",
        "AUG25",
        "28JUL25",
        "29JUL25",
        "30JUL25",
        "31JUL25",
        "01AUG25",
        "04AUG25",
    ]


def test_it_accepts_zero_days_on_the_expiry_day():
    data = b"symbol,vtexp\nXCME.ZN.N.G.21JUL25,0\n"
    (row,) = file_parse(key=VTEXP_KEY, data=data).vtexp
    assert row.days == 0


def test_it_reads_the_columns_in_either_order_and_warns_of_extra_ones():
    data = b"vtexp,note,symbol\n0.728472,x,XCME.ZN.N.G.22JUL25\n"
    parsed = file_parse(key=VTEXP_KEY, data=data)
    assert [(r.expiry, r.days) for r in parsed.vtexp] == [("22JUL25", Decimal("0.728472"))]
    assert parsed.warnings == ("ignored unknown column 'note'",)
