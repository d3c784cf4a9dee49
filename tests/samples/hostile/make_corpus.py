"""Write the hostile corpus: real sample files with one hostile change each.

Run from the repository root: ``python tests/samples/hostile/make_corpus.py``.
Writes ``<kind>/<name>`` beside this script and ``expected.json``: for each
file the S3 key it arrives under and what must become of it (quarantined with
a reason containing ``reason``, or ingested). Files of many megabytes are not
kept here: tests/feeds/ingest/test_hostile_corpus.py makes them.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
SAMPLES = HERE.parent
HUGE = "1" * 5000  # past Python's 4,300-digit int limit
OVER_64_BITS = str(10**25)

expected: dict[str, dict[str, str]] = {}
_stamp = iter(range(10, 60))


def _spot_key() -> str:
    return f"actant/spot-risk/2025-07-21/bav_analysis_20250721_2040{next(_stamp):02d}.csv"


def _chunk_key() -> str:
    stamp = f"20250729_1530{next(_stamp):02d}"
    return f"actant/spot-risk/2025-07-29/bav_analysis_{stamp}_chunk_01_of_16.csv"


def _vtexp_key() -> str:
    return f"actant/vtexp/2025-07-21/vtexp_20250721_2040{next(_stamp):02d}.csv"


def _positions_key() -> str:
    return f"tt/positions/2025-07-21/positions_20250721_2040{next(_stamp):02d}.json"


def _orders_key() -> str:
    return f"tt/orders/2025-07-21/working_orders_20250721_2040{next(_stamp):02d}.json"


def _write(kind: str, name: str, key: str, data: bytes, reason: str | None) -> None:
    path = HERE / kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    expected[f"{kind}/{name}"] = (
        {"key": key, "expect": "quarantined", "reason": reason}
        if reason is not None
        else {"key": key, "expect": "ingested"}
    )


def _csv_cell(text: str, *, line: int, column: str, value: str) -> str:
    lines = text.split("\n")
    header = lines[0].split(",")
    cells = lines[line].split(",")
    cells[header.index(column)] = value
    lines[line] = ",".join(cells)
    return "\n".join(lines)


def spot_risk() -> None:
    text = (SAMPLES / "actant" / "bav_analysis_20250721_203007.csv").read_text()
    option = 2  # the first instrument row, after the header and the Type row
    cases: list[tuple[str, str, str, str]] = [
        ("bid_1e308.csv", "BID", "1e308", "BID '1e308' is out of range"),
        ("bid_5000_digits.csv", "BID", HUGE, "out of range"),
        ("ask_negative.csv", "ASK", "-1", "out of range: a price in points is 0 to 1,000"),
        ("theo_1e308.csv", "ADJTHEOR", "1e308", "ADJTHEOR '1e308' is out of range"),
        ("iv_1e30.csv", "IVBID", "1e30", "IVBID '1e30' is out of range"),
        ("strike_1e308.csv", "STRIKE", "1e308", "out of range: a strike"),
        ("position_over_64_bits.csv", "POS.POSITION", OVER_64_BITS, "out of range: a position"),
        ("position_5000_digits.csv", "POS.POSITION", HUGE, "out of range: a position"),
        ("sod_position_1e30.csv", "POS.STARTOFDAYPOS", "1e30", "out of range: a position"),
        ("premium_1e300.csv", "UTOTAL.PREMIUM", "1e300", "out of range: an amount in dollars"),
        ("pos_price_1e308.csv", "POS.PRICE", "1e308", "out of range: a price"),
    ]
    for name, column, value, reason in cases:
        data = _csv_cell(text, line=option, column=column, value=value)
        _write("spot-risk", name, _spot_key(), data.encode(), reason)
    # The last number (12345) loses its last digits and the newline: 123 would be read.
    last = len(text.rstrip("\n").split("\n")) - 1
    cut = _csv_cell(text, line=last, column="UTOTAL.YESTERDAYPL", value="12345").rstrip("\n")[:-2]
    _write("spot-risk", "last_line_cut.csv", _spot_key(), cut.encode(), "the last line is cut")
    _write(
        "spot-risk",
        "from_2099.csv",
        "actant/spot-risk/2099-12-31/bav_analysis_20991231_235959.csv",
        text.encode(),
        "from the future",
    )
    edge = _csv_cell(text, line=option, column="POS.POSITION", value="-1000000")
    _write("spot-risk", "position_at_the_bound.csv", _spot_key(), edge.encode(), None)
    _write("spot-risk", "sample.csv", _spot_key(), text.encode(), None)


def spot_risk_chunk() -> None:
    text = (SAMPLES / "actant" / "bav_analysis_20250729_151211_chunk_01_of_16.csv").read_text()
    cases = [
        ("ask_1e308.csv", "ASK", "1e308", "ASK '1e308' is out of range"),
        ("bid_5000_digits.csv", "BID", HUGE, "out of range"),
        ("ivavg_negative.csv", "IVAVERAGE", "-5", "IVAVERAGE '-5' is out of range"),
    ]
    for name, column, value, reason in cases:
        data = _csv_cell(text, line=2, column=column, value=value)
        _write("spot-risk-chunk", name, _chunk_key(), data.encode(), reason)
    cut = text.rstrip("\n")[:-2]
    _write(
        "spot-risk-chunk", "last_line_cut.csv", _chunk_key(), cut.encode(), "the last line is cut"
    )
    _write(
        "spot-risk-chunk",
        "from_2099.csv",
        "actant/spot-risk/2099-12-31/bav_analysis_20991231_235959_chunk_01_of_16.csv",
        text.encode(),
        "from the future",
    )
    _write("spot-risk-chunk", "sample.csv", _chunk_key(), text.encode(), None)


def vtexp() -> None:
    text = (SAMPLES / "actant" / "vtexp_20250721_203256.csv").read_text()
    lines = text.split("\n")

    def with_line(line: str) -> bytes:
        return "\n".join([*lines[:2], line, *lines[3:]]).encode()

    cases = [
        ("symbol_any_text.csv", "drop table users;,1.5", "is not like XCME.ZN.N.G.22JUL25"),
        ("symbol_bad_token.csv", "XCME.ZN.N.G.NOTADATE,1.5", "is not like XCME.ZN.N.G.22JUL25"),
        ("days_1e9.csv", "XCME.ZN.N.G.23JUL25,1e9", "out of range: a time to expiry"),
        ("days_5000_digits.csv", f"XCME.ZN.N.G.23JUL25,{HUGE}", "out of range"),
    ]
    for name, line, reason in cases:
        _write("vtexp", name, _vtexp_key(), with_line(line), reason)
    cut = text.rstrip("\n")[:-2]
    _write("vtexp", "last_line_cut.csv", _vtexp_key(), cut.encode(), "the last line is cut")
    _write("vtexp", "sample.csv", _vtexp_key(), text.encode(), None)


def _json_with(path: Path, array: str, change: dict[str, Any]) -> str:
    document = json.loads(path.read_text())
    document[array][0].update(change)
    return json.dumps(document, indent=2)


def _raw_number(text: str, name: str, raw: str) -> str:
    """Put a number JSON can hold but json.dumps would not write (1e308 stays 1e308)."""
    marker = '"__RAW__"'
    return text.replace(f'"{name}": {marker}', f'"{name}": {raw}')


def tt_positions() -> None:
    path = SAMPLES / "tt" / "positions_response.json"
    raw = "__RAW__"
    cases = [
        ("pnl_price_1e308.json", "pnlPrice", "1e308", "pnlPrice 1E+308 is out of range"),
        ("net_over_64_bits.json", "netPosition", OVER_64_BITS, "out of range: a position"),
        ("net_5000_digits.json", "netPosition", HUGE, "a number of 5,000 characters"),
        ("avg_buy_negative.json", "avgBuy", "-110.5", "avgBuy -110.5 is out of range"),
        ("pnl_1e300.json", "pnl", "1e300", "out of range: an amount in dollars"),
        ("fill_qty_1e20.json", "buyFillQty", "1e20", "out of range: a quantity"),
    ]
    for name, field, value, reason in cases:
        text = _raw_number(_json_with(path, "positions", {field: raw}), field, value)
        _write("tt-positions", name, _positions_key(), text.encode(), reason)
    sample = path.read_text()
    duplicate = sample.replace('"status": "Ok"', '"status": "Error", "status": "Ok"')
    _write(
        "tt-positions",
        "duplicate_status.json",
        _positions_key(),
        duplicate.encode(),
        "the name 'status' appears twice",
    )
    edge = _json_with(path, "positions", {"netPosition": -1000000})
    _write("tt-positions", "net_at_the_bound.json", _positions_key(), edge.encode(), None)
    _write("tt-positions", "sample.json", _positions_key(), sample.encode(), None)


def tt_orders() -> None:
    path = SAMPLES / "tt" / "working_orders_response.json"
    raw = "__RAW__"
    cases = [
        ("datetime_1e30.json", "dateTime", "1e30", "dateTime 1E+30 is out of range"),
        ("datetime_over_64_bits.json", "dateTime", OVER_64_BITS, "is out of range: a time"),
        ("datetime_1900.json", "dateTime", "-2208988800000000000", "is not a time"),
        ("price_1e308.json", "price", "1e308", "price 1E+308 is out of range"),
        ("leaves_over_64_bits.json", "leavesQuantity", OVER_64_BITS, "out of range: a quantity"),
        ("order_qty_5000_digits.json", "orderQty", HUGE, "a number of 5,000 characters"),
    ]
    for name, field, value, reason in cases:
        text = _raw_number(_json_with(path, "orders", {field: raw}), field, value)
        _write("tt-orders", name, _orders_key(), text.encode(), reason)
    sample = path.read_text()
    duplicate = sample.replace('"side": "1",', '"side": "2", "side": "1",', 1)
    _write(
        "tt-orders",
        "duplicate_side.json",
        _orders_key(),
        duplicate.encode(),
        "the name 'side' appears twice",
    )
    _write(
        "tt-orders",
        "from_2099.json",
        "tt/orders/2099-12-31/working_orders_20991231_235959.json",
        sample.encode(),
        "from the future",
    )
    _write("tt-orders", "sample.json", _orders_key(), sample.encode(), None)


def tt_instruments() -> None:
    path = SAMPLES / "tt" / "instrument_details_zn_jun25.json"
    raw = "__RAW__"
    cases = [
        ("tick_size_1e308.json", "tickSize", "1e308", "tickSize 1E+308 is out of range"),
        ("tick_size_tiny.json", "tickSize", "1e-10", "out of range: a tick size"),
        ("point_value_1e308.json", "pointValue", "1e308", "out of range: a point value"),
        ("tick_value_5000_digits.json", "tickValue", HUGE, "a number of 5,000 characters"),
    ]
    for number, (name, field, value, reason) in enumerate(cases, 1):
        instrument_id = f"90000000000000000{number:02d}"
        text = _raw_number(
            _json_with(path, "instrument", {"id": instrument_id, field: raw}), field, value
        )
        key = f"tt/instruments/instrument_{instrument_id}.json"
        _write("tt-instruments", name, key, text.encode(), reason)
    sample = path.read_text()
    duplicate = sample.replace('"tickSize": 0.015625,', '"tickSize": 1e308, "tickSize": 0.015625,')
    _write(
        "tt-instruments",
        "duplicate_tick_size.json",
        "tt/instruments/instrument_4877721789746411490.json",
        duplicate.encode(),
        "the name 'tickSize' appears twice",
    )
    cabinet = _json_with(path, "instrument", {"id": "9000000000000000099", "tickSize": 0.00390625})
    _write(
        "tt-instruments",
        "tick_size_1_256.json",
        "tt/instruments/instrument_9000000000000000099.json",
        cabinet.encode(),
        None,
    )


if __name__ == "__main__":
    spot_risk()
    spot_risk_chunk()
    vtexp()
    tt_positions()
    tt_orders()
    tt_instruments()
    (HERE / "expected.json").write_text(json.dumps(expected, indent=2, sort_keys=True) + "\n")
    print(f"wrote {len(expected)} files")
