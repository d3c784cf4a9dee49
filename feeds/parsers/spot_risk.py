"""Actant spot risk (FEEDS.md "Actant spot risk"): one CSV row per instrument.

Two layouts: a single 16-column file whose second line is Actant's ``Type``
row, and 9-column chunks without it. This runs for every file every 1-2 s,
so the per-row path avoids regexes and dict-per-row work where a plain
check will do.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from operator import itemgetter
from decimal import Decimal

from feeds.parsers.base import (
    MONTH_YEAR,
    DecimalCells,
    FieldError,
    IntCells,
    ParseError,
    decimal_cell,
    int_cell,
)
from feeds.parsers.table import Row, csv_rows, header_index, width_check
from feeds.records import Feed, FeedKey, ParsedFile, SpotRiskRow

BASE_COLUMNS = ("Key", "BID", "ASK", "STRIKE", "ITYPE", "ADJTHEOR", "IVBID", "IVASK", "IVAVERAGE")
POSITION_COLUMNS = (
    "POS.POSITION",
    "POS.STARTOFDAYPOS",
    "POS.PREMIUM",
    "POS.PRICE",
    "POS.MARKETVALUE",
    "UTOTAL.PREMIUM",
    "UTOTAL.YESTERDAYPL",
)
_KNOWN = frozenset(BASE_COLUMNS + POSITION_COLUMNS)
# In SpotRiskRow order: bid, ask, theo, iv_bid, iv_ask, iv_avg.
_VALUE_COLUMNS = (
    ("BID", "price"),
    ("ASK", "price"),
    ("ADJTHEOR", "price"),
    ("IVBID", "volatility"),
    ("IVASK", "volatility"),
    ("IVAVERAGE", "volatility"),
)
# In SpotRiskRow order: premium, pos_price, market_value, total_premium, yesterday_pl.
_MONEY_COLUMNS = POSITION_COLUMNS[2:]

_ITYPES = frozenset(("C", "P", "F", "N"))
_RIGHTS = {"C": "call", "P": "put"}
_OPTION_EXPIRY = re.compile(rf"(?:[0-9]{{2}})?{MONTH_YEAR.pattern}")  # 21JUL25 or AUG25


@dataclass(frozen=True, slots=True)
class _Layout:
    """Where each column sits in this file: found once, used for every row."""

    width: int
    key: int
    itype: int
    strike: int
    values: tuple[int, ...]  # positions of _VALUE_COLUMNS
    position: int | None  # None in the 9-column layout
    sod_position: int | None
    money: tuple[int, ...]  # positions of _MONEY_COLUMNS; () in the 9-column layout

    def numbers(self) -> list[tuple[int, str, str]]:
        """Every numeric cell as (position, column, what it is), in row order."""
        found = [(self.strike, "STRIKE", "strike")]
        found += [(at, name, what) for at, (name, what) in zip(self.values, _VALUE_COLUMNS)]
        found += [(at, name, "number") for at, name in zip(self.money, _MONEY_COLUMNS)]
        return found


class SpotRiskParser:
    feed = Feed.SPOT_RISK
    key_pattern = re.compile(
        r"actant/spot-risk/(?P<date>\d{4}-\d{2}-\d{2})/bav_analysis_(?P<stamp>\d{8}_\d{6})"
        r"(?:_chunk_(?P<chunk>\d{2})_of_(?P<chunks>\d{2}))?\.csv",
        re.ASCII,
    )

    def parse(self, data: bytes, *, source: FeedKey) -> ParsedFile:
        return spot_risk_parse(data, source=source)


def spot_risk_parse(data: bytes, *, source: FeedKey) -> ParsedFile:
    file = source.key
    header, *body = csv_rows(data, file=file)
    has_type_row = bool(body) and body[0][1][0].strip() == "Type"
    # Any position column (or the Type row) means the 16-column layout, and
    # then all of them must be there: a partial set is a broken export.
    names = [cell.strip() for cell in header[1]]
    extended = has_type_row or any(name in POSITION_COLUMNS for name in names)
    required = BASE_COLUMNS + POSITION_COLUMNS if extended else BASE_COLUMNS
    index, warnings = header_index(header, required=required, known=_KNOWN, file=file)
    layout = _layout(index, width=len(names), extended=extended)
    if has_type_row:
        _type_row_check(body.pop(0), names, file=file)
    if not body:
        raise ParseError("no instrument rows: the file has only its header", file=file)
    records = tuple(_records(body, layout, file=file))
    return ParsedFile(feed=Feed.SPOT_RISK, source=source, spot_risk=records, warnings=warnings)


def _layout(index: dict[str, int], *, width: int, extended: bool) -> _Layout:
    return _Layout(
        width=width,
        key=index["Key"],
        itype=index["ITYPE"],
        strike=index["STRIKE"],
        values=tuple(index[column] for column, _ in _VALUE_COLUMNS),
        position=index["POS.POSITION"] if extended else None,
        sod_position=index["POS.STARTOFDAYPOS"] if extended else None,
        money=tuple(index[column] for column in _MONEY_COLUMNS) if extended else (),
    )


def _type_row_check(row: Row, names: list[str], *, file: str) -> None:
    """Loose: the Type row only names Actant's value types, which we do not use."""
    width_check(row, len(names), file=file)
    line, cells = row
    for name, cell in zip(names[1:], cells[1:], strict=True):
        value = cell.strip()
        if value and not value.startswith("VAR_"):
            raise ParseError(
                f"{value!r} in the Type row is not an Actant type (VAR_...)",
                file=file,
                row=line,
                column=name,
            )


def _records(body: list[Row], layout: _Layout, *, file: str) -> list[SpotRiskRow]:
    reader = _RowReader(layout)
    records: list[SpotRiskRow] = []
    first_line: dict[str, int] = {}
    for row in body:
        line, cells = row
        if len(cells) != layout.width:
            width_check(row, layout.width, file=file)
        try:
            record = reader.record(cells)
        except FieldError as error:
            if not error.column:
                error = _named(cells, layout)
            raise ParseError(error.reason, file=file, row=line, column=error.column) from None
        first = first_line.setdefault(record.key, line)
        if first != line:
            # Two rows for one instrument: which one is the market? Refuse both.
            raise ParseError(
                f"duplicate key {record.key} (first on row {first})",
                file=file,
                row=line,
                column="Key",
            )
        records.append(record)
    return records


class _RowReader:
    """Turns one file's rows into records, remembering the texts it has read:
    the values repeat from row to row (see ``DecimalCells``)."""

    def __init__(self, layout: _Layout) -> None:
        self.layout = layout
        self.decimals = DecimalCells()
        self.ints = IntCells()
        self.strikes: dict[str, Decimal] = {}
        self.expiries: set[str] = set()
        self.values_of = itemgetter(*layout.values)
        self.money_of = itemgetter(*layout.money) if layout.money else None

    def record(self, cells: list[str]) -> SpotRiskRow:
        layout, decimals = self.layout, self.decimals
        key = cells[layout.key].strip()
        itype = cells[layout.itype].strip()
        strike_text = cells[layout.strike]
        product, expiry, strike = self.instrument(key, itype, strike_text, decimals[strike_text])
        bid, ask, theo, iv_bid, iv_ask, iv_avg = map(decimals.__getitem__, self.values_of(cells))
        if self.money_of is None or layout.position is None or layout.sod_position is None:
            return SpotRiskRow(
                key, itype, product, expiry, strike, bid, ask, theo, iv_bid, iv_ask, iv_avg
            )
        premium, pos_price, market_value, total_premium, yesterday_pl = map(
            decimals.__getitem__, self.money_of(cells)
        )
        return SpotRiskRow(
            key,
            itype,
            product,
            expiry,
            strike,
            bid,
            ask,
            theo,
            iv_bid,
            iv_ask,
            iv_avg,
            self.ints[cells[layout.position]],
            self.ints[cells[layout.sod_position]],
            premium,
            pos_price,
            market_value,
            total_premium,
            yesterday_pl,
        )

    def instrument(
        self, key: str, itype: str, strike_text: str, column_strike: Decimal | None
    ) -> tuple[str, str | None, Decimal | None]:
        """Product, expiry token and strike read from the key, which must agree
        with ITYPE and STRIKE: a row that contradicts itself is not trusted."""
        if itype not in _ITYPES:
            raise FieldError("ITYPE", f"{itype!r} is not an instrument type (C, P, F or N)")
        parts = key.split(".")
        if parts[0] != "XCME" or not all(parts):
            raise FieldError("Key", f"{key!r} is not an XCME instrument key")
        if len(parts) == 5:
            return self.option(key, parts, itype, strike_text, column_strike)
        return _future_or_product(key, parts, itype, strike_text, column_strike)

    def option(
        self,
        key: str,
        parts: list[str],
        itype: str,
        strike_text: str,
        column_strike: Decimal | None,
    ) -> tuple[str, str, Decimal]:
        _, product, expiry, strike_token, right = parts
        if right != itype:
            if right not in _RIGHTS:
                raise FieldError("Key", f"{key!r} is not an option key ending in .C or .P")
            raise FieldError("ITYPE", f"the key {key} is a {_RIGHTS[right]} but ITYPE is {itype}")
        if expiry not in self.expiries:
            if not _OPTION_EXPIRY.fullmatch(expiry):
                raise FieldError(
                    "Key", f"{expiry!r} in {key} is not an expiry like 21JUL25 or AUG25"
                )
            self.expiries.add(expiry)
        strike = self.strikes.get(strike_token)
        if strike is None:
            strike = self.strikes[strike_token] = _key_strike(strike_token, key)
        if column_strike != strike:
            raise FieldError(
                "STRIKE",
                f"{strike_text!r} disagrees with the key's strike {strike_token} = {strike}",
            )
        return product, expiry, strike


def _named(cells: list[str], layout: _Layout) -> FieldError:
    """The cache saw a bad text but not its column: find the first bad cell
    again, one named column at a time (only on the error path)."""
    for position, column, what in layout.numbers():
        try:
            decimal_cell(cells[position], column, what)
        except FieldError as error:
            return error
    for position, column in (
        (layout.position, "POS.POSITION"),
        (layout.sod_position, "POS.STARTOFDAYPOS"),
    ):
        if position is not None:
            try:
                int_cell(cells[position], column)
            except FieldError as error:
                return error
    return FieldError("Key", "a value is not a number")  # unreachable: the cache found one


def _future_or_product(
    key: str, parts: list[str], itype: str, strike_text: str, column_strike: Decimal | None
) -> tuple[str, str | None, None]:
    if len(parts) == 3:
        kind, expiry = "future", parts[2]
        if not MONTH_YEAR.fullmatch(expiry):
            raise FieldError("Key", f"{expiry!r} in {key} is not a futures month like SEP25")
    elif len(parts) == 2:
        kind, expiry = "product", None
    else:
        raise FieldError("Key", f"{key!r} is not an option, future or product key")
    if itype != ("F" if kind == "future" else "N"):
        raise FieldError("ITYPE", f"the key {key} is a {kind} but ITYPE is {itype}")
    if column_strike is not None:
        raise FieldError("STRIKE", f"a {kind} has no strike, got {strike_text!r}")
    return parts[1], expiry, None


def _key_strike(token: str, key: str) -> Decimal:
    """Actant writes the strike's decimal point as ``:`` (the key already uses
    dots): ``110:25`` = 110.25, ``111:5`` = 111.5, ``110`` = 110."""
    whole, colon, fraction = token.partition(":")
    if not (
        whole.isascii()
        and whole.isdigit()
        and (not colon or (fraction.isascii() and fraction.isdigit()))
    ):
        raise FieldError("Key", f"strike {token!r} in {key} is not like 110, 110:25 or 111:5")
    return Decimal(f"{whole}.{fraction}" if colon else whole)
