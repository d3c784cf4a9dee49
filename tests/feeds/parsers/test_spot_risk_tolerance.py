"""What producers and tools vary (BOM, CRLF, quotes, column order, extra
columns, blank lines) reads the same as the real file it was made from."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest

from feeds.parsers import file_parse

SINGLE = "actant/bav_analysis_20250721_203007.csv"
SINGLE_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv"
CHUNK = "actant/bav_analysis_20250729_151211_chunk_01_of_16.csv"
CHUNK_KEY = "actant/spot-risk/2025-07-29/bav_analysis_20250729_151211_chunk_01_of_16.csv"


def table(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode())))


def written(rows: list[list[str]], **options) -> bytes:
    out = io.StringIO()
    csv.writer(out, lineterminator="\n", **options).writerows(rows)
    return out.getvalue().encode()


@pytest.fixture(params=[(SINGLE, SINGLE_KEY), (CHUNK, CHUNK_KEY)], ids=["single", "chunk"])
def real(request, sample) -> tuple[str, bytes]:
    name, key = request.param
    return key, sample(name)


def same_rows(key: str, original: bytes, variant: bytes) -> None:
    expected = file_parse(key=key, data=original)
    got = file_parse(key=key, data=variant)
    assert got.spot_risk == expected.spot_risk
    assert len(got.spot_risk) > 0


def test_it_reads_a_file_with_a_utf8_byte_order_mark(real):
    key, data = real
    same_rows(key, data, b"\xef\xbb\xbf" + data)


def test_it_reads_a_file_with_crlf_line_ends(real):
    key, data = real
    same_rows(key, data, data.replace(b"\n", b"\r\n"))


def test_it_reads_a_file_with_every_field_quoted(real):
    key, data = real
    same_rows(key, data, written(table(data), quoting=csv.QUOTE_ALL))


def test_it_reads_a_quoted_crlf_file(real):
    key, data = real
    same_rows(key, data, written(table(data), quoting=csv.QUOTE_ALL).replace(b"\n", b"\r\n"))


def test_it_reads_a_file_with_trailing_blank_lines(real):
    key, data = real
    same_rows(key, data, data + b"\n\n  \n\r\n")


def test_it_reads_columns_in_any_order(real):
    key, data = real
    reversed_columns = [list(reversed(cells)) for cells in table(data)]
    assert reversed_columns[0][0] != "Key"
    same_rows(key, data, written(reversed_columns))


def test_it_ignores_an_unknown_extra_column_with_a_warning(real):
    key, data = real
    rows = table(data)
    extended = [[*rows[0][:3], "DELTA", *rows[0][3:]]]
    extended += [
        [*cells[:3], "VAR_DOUBLE" if cells[0] == "Type" else "0.5", *cells[3:]]
        for cells in rows[1:]
    ]
    same_rows(key, data, written(extended))
    assert file_parse(key=key, data=written(extended)).warnings == (
        "ignored unknown column 'DELTA'",
    )


def test_it_reads_spaces_around_values(sample):
    data = (
        sample(CHUNK).replace(b",111.3906250,", b", 111.3906250 ,").replace(b"INVALID", b" INVALID")
    )
    future = file_parse(key=CHUNK_KEY, data=data).spot_risk[0]
    assert (future.bid, future.strike) == (Decimal("111.390625"), None)


def test_it_reads_a_whole_position_written_with_a_decimal_point(sample):
    data = sample(SINGLE).replace(
        b",C,.9283016,417.3747239,526.1930844,479.3074107,0,0,",
        b",C,.9283016,417.3747239,526.1930844,479.3074107,3.0,-2,",
        1,
    )
    call = file_parse(key=SINGLE_KEY, data=data).spot_risk[0]
    assert (call.key, call.position, call.sod_position) == ("XCME.OZN.AUG25.110:25.C", 3, -2)
    assert type(call.position) is int


def test_it_reads_the_sixteen_column_layout_without_its_type_row(sample):
    lines = sample(SINGLE).split(b"\n")
    without_type_row = b"\n".join([lines[0], *lines[2:]])
    same_rows(SINGLE_KEY, sample(SINGLE), without_type_row)


def test_vtexp_reads_a_bom_crlf_quoted_file(sample):
    key = "actant/vtexp/2025-07-21/vtexp_20250721_203256.csv"
    data = sample("actant/vtexp_20250721_203256.csv")
    variant = b"\xef\xbb\xbf" + written(table(data), quoting=csv.QUOTE_ALL).replace(b"\n", b"\r\n")
    assert file_parse(key=key, data=variant).vtexp == file_parse(key=key, data=data).vtexp
