"""Every class of bad file in tests/samples/bad/ is refused with the row,
column and reason that let ops find the problem without opening it."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.parsers import ParseError, file_parse

BAD = Path(__file__).resolve().parents[2] / "samples" / "bad"

SPOT_RISK = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv"
CHUNK = "actant/spot-risk/2025-07-29/bav_analysis_20250729_151211_chunk_01_of_16.csv"
VTEXP = "actant/vtexp/2025-07-21/vtexp_20250721_203256.csv"
POSITIONS = "tt/positions/2025-07-21/positions_20250721_203007.json"
ORDERS = "tt/orders/2025-07-21/working_orders_20250721_203007.json"
INSTRUMENT = "tt/instruments/instrument_4877721789746411490.json"

# (file in tests/samples/bad/, S3 key it arrives under, row, column, part of the reason)
CORPUS = [
    # Actant spot risk
    ("spot_risk_missing_column.csv", CHUNK, 1, "ASK", "missing column ASK"),
    (
        "spot_risk_missing_position_column.csv",
        SPOT_RISK,
        1,
        "POS.MARKETVALUE",
        "missing column POS.MARKETVALUE",
    ),
    ("spot_risk_non_numeric_price.csv", CHUNK, 3, "BID", "'abc' is not a price"),
    ("spot_risk_nan_theo.csv", CHUNK, 4, "ADJTHEOR", "'nan' is not a finite price"),
    ("spot_risk_inf_vol.csv", CHUNK, 3, "IVASK", "'inf' is not a finite volatility"),
    (
        "spot_risk_key_strike_disagree.csv",
        CHUNK,
        4,
        "STRIKE",
        "'110.7500000' disagrees with the key's strike 110:5 (110.5)",
    ),
    (
        "spot_risk_option_without_strike.csv",
        CHUNK,
        3,
        "STRIKE",
        "an option needs a strike, got 'INVALID'",
    ),
    ("spot_risk_future_with_strike.csv", CHUNK, 2, "STRIKE", "a future has no strike, got '111'"),
    (
        "spot_risk_key_type_disagree.csv",
        CHUNK,
        3,
        "ITYPE",
        "the key XCME.ZN1.01AUG25.111.P is a put but ITYPE is C",
    ),
    (
        "spot_risk_future_key_option_type.csv",
        CHUNK,
        2,
        "ITYPE",
        "the key XCME.ZN.SEP25 is a future but ITYPE is C",
    ),
    ("spot_risk_bad_itype.csv", CHUNK, 3, "ITYPE", "'X' is not an instrument type (C, P, F or N)"),
    (
        "spot_risk_bad_strike_token.csv",
        CHUNK,
        3,
        "Key",
        "strike '11a' in XCME.ZN1.01AUG25.11a.P is not like",
    ),
    (
        "spot_risk_bad_expiry.csv",
        CHUNK,
        3,
        "Key",
        "'01AGO25' in XCME.ZN1.01AGO25.111.P is not an expiry",
    ),
    (
        "spot_risk_not_xcme_key.csv",
        CHUNK,
        2,
        "Key",
        "'XNYM.ZN.SEP25' is not an XCME instrument key",
    ),
    (
        "spot_risk_duplicate_key.csv",
        CHUNK,
        4,
        "Key",
        "duplicate key XCME.ZN1.01AUG25.110:5.C (first on row 2)",
    ),
    (
        "spot_risk_fractional_position.csv",
        SPOT_RISK,
        3,
        "POS.POSITION",
        "'3.5' is not a whole number",
    ),
    (
        "spot_risk_bad_type_row.csv",
        SPOT_RISK,
        2,
        "BID",
        "'PRICE' in the Type row is not an Actant type",
    ),
    ("spot_risk_short_row.csv", CHUNK, 3, None, "8 fields where the header has 9"),
    ("spot_risk_header_only.csv", SPOT_RISK, None, None, "no instrument rows"),
    ("spot_risk_empty.csv", SPOT_RISK, None, None, "the file is empty"),
    ("spot_risk_binary_garbage.csv", SPOT_RISK, 1, None, "not UTF-8 text (byte 0xb5"),
    ("spot_risk_nul_bytes.csv", CHUNK, None, None, "contains NUL bytes"),
    ("spot_risk_json_in_csv.csv", SPOT_RISK, 1, None, "looks like JSON, not CSV"),
    (
        "spot_risk_semicolon_delimited.csv",
        CHUNK,
        1,
        None,
        "is a single column: not comma-separated",
    ),
    ("spot_risk_unclosed_quote.csv", CHUNK, 3, None, "not valid CSV"),
    # Actant vtexp
    ("vtexp_missing_column.csv", VTEXP, 1, "vtexp", "missing column vtexp"),
    ("vtexp_non_numeric.csv", VTEXP, 2, "vtexp", "'soon' is not a number of days"),
    ("vtexp_nan.csv", VTEXP, 2, "vtexp", "'NaN' is not a finite number of days"),
    ("vtexp_negative_days.csv", VTEXP, 3, "vtexp", "'-0.5' is not a time to expiry (days >= 0)"),
    ("vtexp_missing_days.csv", VTEXP, 2, "vtexp", "'' is not a time to expiry"),
    ("vtexp_duplicate_expiry.csv", VTEXP, 4, "symbol", "duplicate expiry 22JUL25 (first on row 2)"),
    # TT positions
    (
        "tt_positions_status_error.json",
        POSITIONS,
        None,
        None,
        "TT status 'Failed': message=Access token has expired",
    ),
    (
        "tt_positions_missing_net_position.json",
        POSITIONS,
        1,
        "netPosition",
        "positions[1] has no netPosition",
    ),
    (
        "tt_positions_missing_instrument_id.json",
        POSITIONS,
        0,
        "instrumentId",
        "positions[0] has no instrumentId",
    ),
    (
        "tt_positions_fractional_qty.json",
        POSITIONS,
        0,
        "netPosition",
        "netPosition 219.5 is not a whole number",
    ),
    (
        "tt_positions_item_not_object.json",
        POSITIONS,
        1,
        None,
        "positions[1] is a string, not an object",
    ),
    (
        "tt_positions_not_an_object.json",
        POSITIONS,
        None,
        None,
        "not a JSON object: the top level is an array",
    ),
    ("tt_positions_no_status.json", POSITIONS, None, None, "no status field"),
    ("tt_positions_in_orders_key.json", ORDERS, None, None, "no 'orders' array"),
    ("tt_positions_truncated.json", POSITIONS, None, None, "not valid JSON"),
    ("tt_positions_not_utf8.json", POSITIONS, None, None, "not UTF-8 text (byte 0xff on line 14"),
    # TT orders
    (
        "tt_orders_status_error.json",
        ORDERS,
        None,
        None,
        "TT status 'Error': errorMessage=Rate limit exceeded",
    ),
    (
        "tt_orders_non_algo_without_price.json",
        ORDERS,
        1,
        "price",
        "orders[1] has no price, and only an algo parent may lack it",
    ),
    (
        "tt_orders_non_algo_without_leaves.json",
        ORDERS,
        0,
        "leavesQuantity",
        "orders[0] has no leavesQuantity",
    ),
    (
        "tt_orders_stop_without_stop_price.json",
        ORDERS,
        0,
        "stopPrice",
        "orders[0] has no stopPrice",
    ),
    (
        "tt_orders_fractional_leaves.json",
        ORDERS,
        1,
        "leavesQuantity",
        "leavesQuantity 10.5 is not a whole number",
    ),
    ("tt_orders_bad_side.json", ORDERS, 0, "side", "side '3' is not 1 (buy) or 2 (sell)"),
    (
        "tt_orders_duplicate_order_id.json",
        ORDERS,
        1,
        "orderId",
        "repeats orderId 0aca0322-8ef1-4607-951d-93224663017b",
    ),
    ("tt_orders_nan_price.json", ORDERS, None, None, "NaN is not a JSON number"),
    ("tt_orders_string_price.json", ORDERS, 0, "price", "price '110.171875' is not a number"),
    # TT instruments
    (
        "tt_instrument_bad_term.json",
        INSTRUMENT,
        0,
        "term",
        "term 'Jun2025' is not a futures month like Jun25",
    ),
    (
        "tt_instrument_missing_tick_size.json",
        INSTRUMENT,
        0,
        "tickSize",
        "instrument[0] has no tickSize",
    ),
    (
        "tt_instrument_bad_expiration.json",
        INSTRUMENT,
        0,
        "expirationDate",
        "expirationDate 20251399235959 is not YYYYMMDDhhmmss",
    ),
    ("tt_instrument_empty.json", INSTRUMENT, None, None, "the instrument array is empty"),
    (
        "tt_instrument_other_id.json",
        "tt/instruments/instrument_8092262517946017060.json",
        None,
        "id",
        "named for instrument 8092262517946017060 but holds 4877721789746411490",
    ),
]


@pytest.mark.parametrize(
    ("name", "key", "row", "column", "reason"), CORPUS, ids=[c[0] for c in CORPUS]
)
def test_it_refuses_the_bad_file_naming_row_column_and_reason(
    sample, name, key, row, column, reason
):
    with pytest.raises(ParseError) as raised:
        file_parse(key=key, data=sample(f"bad/{name}"))
    error = raised.value
    assert (error.row, error.column) == (row, column)
    assert reason in error.reason
    assert error.file == key
    assert reason in str(error)


def test_every_file_in_the_bad_corpus_is_in_the_table():
    on_disk = {path.name for path in BAD.iterdir()}
    assert on_disk == {c[0] for c in CORPUS}
