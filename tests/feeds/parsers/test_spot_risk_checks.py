"""The key checks hold on every row, also on rows whose expiry and strike
the parser has already met earlier in the same file."""

from __future__ import annotations

import pytest

from feeds.parsers import ParseError, file_parse

SINGLE = "actant/bav_analysis_20250721_203007.csv"
SINGLE_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv"
# Line 100 of the real file; OZN AUG25 and the 111:25 strike come earlier.
LATE_ROW = b"XCME.OZN.AUG25.111:25.C,.1718750,.1875000,111.2500000,C,"


def late_row_changed(data: bytes, old: bytes, new: bytes) -> bytes:
    line = LATE_ROW.replace(old, new)
    assert data.index(LATE_ROW) > data.index(b"XCME.OZN.AUG25.111:25.P")
    return data.replace(LATE_ROW, line)


@pytest.mark.parametrize(
    ("old", "new", "column", "reason"),
    [
        (b",111.2500000,", b",111.5000000,", "STRIKE", "disagrees with the key's strike 111:25"),
        (b",C,", b",P,", "ITYPE", "is a call but ITYPE is P"),
        (b"AUG25.111:25.C", b"AUG25.111:25.X", "Key", "is not an option key ending in .C or .P"),
        (b"OZN.AUG25", b"OZN.AUX25", "Key", "'AUX25' in XCME.OZN.AUX25.111:25.C is not an expiry"),
        (b"XCME.OZN", b"XCMX.OZN", "Key", "is not an XCME instrument key"),
        (b".C,", b".X,", "Key", "is not an option key ending in .C or .P"),
        (
            b".C,.1718750,.1875000,111.2500000,C,",
            b".X,.1718750,.1875000,111.2500000,X,",
            "ITYPE",
            "'X' is not an instrument type",
        ),
    ],
)
def test_it_checks_a_late_row_as_strictly_as_the_first(sample, old, new, column, reason):
    data = late_row_changed(sample(SINGLE), old, new)
    with pytest.raises(ParseError) as raised:
        file_parse(key=SINGLE_KEY, data=data)
    assert (raised.value.row, raised.value.column) == (100, column)
    assert reason in raised.value.reason


def test_it_gives_every_row_the_strike_written_in_its_key(sample):
    rows = file_parse(key=SINGLE_KEY, data=sample(SINGLE)).spot_risk
    strikes = {str(r.strike) for r in rows if ".111:25." in r.key}
    assert strikes == {"111.25"}  # not the column's 111.2500000, whichever row came first


def test_an_instrument_met_in_an_earlier_file_is_checked_again_when_its_row_changes(sample):
    # The parser remembers checked instruments across files (they repeat in
    # every file); a later file whose row contradicts itself is still refused.
    file_parse(key=SINGLE_KEY, data=sample(SINGLE))
    data = late_row_changed(sample(SINGLE), b",111.2500000,", b",111.7500000,")
    with pytest.raises(ParseError) as raised:
        file_parse(key=SINGLE_KEY, data=data)
    assert (raised.value.row, raised.value.column) == (100, "STRIKE")
