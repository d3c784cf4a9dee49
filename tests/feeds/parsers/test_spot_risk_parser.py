"""Actant spot risk: both real layouts read as a trader would check them."""

from __future__ import annotations

import dataclasses
from decimal import Decimal

import pytest

from feeds.parsers import file_parse
from feeds.records import Feed, ParsedFile, SpotRiskRow

SINGLE = "actant/bav_analysis_20250721_203007.csv"
SINGLE_KEY = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv"
CHUNK = "actant/bav_analysis_20250729_151211_chunk_01_of_16.csv"
CHUNK_KEY = "actant/spot-risk/2025-07-29/bav_analysis_20250729_151211_chunk_01_of_16.csv"


@pytest.fixture
def single(sample) -> ParsedFile:
    return file_parse(key=SINGLE_KEY, data=sample(SINGLE))


@pytest.fixture
def chunk(sample) -> ParsedFile:
    return file_parse(key=CHUNK_KEY, data=sample(CHUNK))


def row(parsed: ParsedFile, key: str) -> SpotRiskRow:
    (found,) = [r for r in parsed.spot_risk if r.key == key]
    return found


def test_it_reads_the_future_row_bid_and_ask_exactly(single):
    future = row(single, "XCME.ZN.SEP25")
    assert future.bid == Decimal("111.15625")
    assert future.ask == Decimal("111.171875")
    assert future.mid == Decimal("111.1640625")
    assert (future.itype, future.product, future.expiry, future.strike) == (
        "F",
        "ZN",
        "SEP25",
        None,
    )


def test_it_reads_a_leading_dot_price_as_an_exact_decimal(single):
    call = row(single, "XCME.OZN.AUG25.110:25.C")
    assert call.bid == Decimal("0.921875")
    assert call.ask == Decimal("0.9375")
    assert call.theo == Decimal("0.9283016")
    assert all(type(v) is Decimal for v in (call.bid, call.ask, call.theo, call.iv_avg))


@pytest.mark.parametrize(
    ("key", "strike"),
    [
        ("XCME.OZN.AUG25.110:25.C", "110.25"),
        ("XCME.VY3.21JUL25.111:5.P", "111.5"),
        ("XCME.HY4.24JUL25.111.C", "111"),
        ("XCME.OZN.AUG25.112:75.P", "112.75"),
    ],
)
def test_it_reads_the_colon_in_a_key_strike_as_the_decimal_point(single, key, strike):
    assert row(single, key).strike == Decimal(strike)
    assert str(row(single, key).strike) == strike


def test_it_reads_invalid_and_empty_values_as_none_not_zero(single):
    expired = row(single, "XCME.VY3.21JUL25.110:75.P")
    assert (expired.bid, expired.ask, expired.theo) == (None, None, None)
    assert (expired.iv_bid, expired.iv_ask, expired.iv_avg) == (None, None, None)
    one_sided = row(single, "XCME.HY4.24JUL25.110:25.P")
    assert one_sided.bid is None
    assert one_sided.ask == Decimal("0.015625")
    assert one_sided.iv_bid is None
    assert one_sided.iv_ask == Decimal("567.7810451")
    assert one_sided.mid is None


def test_it_reads_option_product_expiry_and_type_from_the_key(single):
    weekly = row(single, "XCME.VY3.21JUL25.110:75.P")
    assert (weekly.product, weekly.expiry, weekly.itype, weekly.is_option) == (
        "VY3",
        "21JUL25",
        "P",
        True,
    )
    monthly = row(single, "XCME.OZN.AUG25.113.C")
    assert (monthly.product, monthly.expiry, monthly.itype) == ("OZN", "AUG25", "C")


def test_it_reads_the_product_row_with_every_value_missing(single):
    product = row(single, "XCME.ZN")
    assert (product.itype, product.product, product.expiry, product.strike) == (
        "N",
        "ZN",
        None,
        None,
    )
    assert (product.bid, product.ask, product.theo) == (None, None, None)


def test_it_reads_every_instrument_row_of_the_single_file_in_order(single):
    keys = [r.key for r in single.spot_risk]
    assert len(keys) == 132  # 134 lines: the header and the Type row are not instruments
    assert len(set(keys)) == 132
    assert keys[0] == "XCME.OZN.AUG25.110:25.C"
    assert keys[-2:] == ["XCME.ZN.SEP25", "XCME.ZN"]
    assert single.feed is Feed.SPOT_RISK
    assert single.warnings == ()


def test_it_reads_position_fields_in_the_sixteen_column_layout(single):
    call = row(single, "XCME.OZN.AUG25.110:25.C")
    assert (call.position, call.sod_position) == (0, 0)
    assert type(call.position) is int
    assert call.premium == 0
    assert (call.pos_price, call.market_value) == (None, None)  # blank in the file
    assert (call.total_premium, call.yesterday_pl) == (0, 0)


def test_it_reads_the_chunk_number_and_count_from_the_key(chunk):
    assert (chunk.source.chunk, chunk.source.chunks) == (1, 16)
    assert chunk.source.key == CHUNK_KEY


def test_it_reads_the_nine_column_chunk_rows_without_position_fields(chunk):
    assert [r.key for r in chunk.spot_risk] == [
        "XCME.ZN.SEP25",
        "XCME.ZN1.01AUG25.111.P",
        "XCME.ZN1.01AUG25.110:5.C",
        "XCME.ZN1.01AUG25.110:75.C",
        "XCME.ZN1.01AUG25.111:75.C",
        "XCME.ZN1.01AUG25.113.C",
    ]
    future = chunk.spot_risk[0]
    assert (future.bid, future.ask) == (Decimal("111.390625"), Decimal("111.40625"))
    put = row(chunk, "XCME.ZN1.01AUG25.111.P")
    assert (put.bid, put.ask, put.strike) == (Decimal("0.171875"), Decimal("0.1875"), 111)
    assert put.iv_avg == Decimal("776.1830304")
    assert all(
        (r.position, r.sod_position, r.premium, r.yesterday_pl) == (None, None, None, None)
        for r in chunk.spot_risk
    )


def test_every_row_equals_a_frozen_record_built_the_ordinary_way(single, chunk):
    # The parser builds rows through a faster constructor; they must be the
    # very same records, as frozen as any other.
    for parsed in (single, chunk):
        for built in parsed.spot_risk:
            ordinary = SpotRiskRow(
                **{f.name: getattr(built, f.name) for f in dataclasses.fields(built)}
            )
            assert type(built) is SpotRiskRow
            assert built == ordinary
            assert hash(built) == hash(ordinary)
    with pytest.raises(dataclasses.FrozenInstanceError):
        single.spot_risk[0].bid = Decimal(1)  # type: ignore[misc]
