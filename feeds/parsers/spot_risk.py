"""Actant spot risk (FEEDS.md "Actant spot risk"): one CSV row per instrument.

Two layouts: a single 16-column file whose second line is Actant's ``Type``
row, and 9-column chunks without it. This runs for every file every 1-2 s,
so the per-row path avoids regexes and dict-per-row work where a plain
check will do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from operator import itemgetter

from feeds.feed_keys import KEY_PATTERNS
from feeds.limits import MONEY, POSITION, PRICE, STRIKE, VOLATILITY, Bound
from feeds.parsers.base import (
    MONTH_YEAR,
    DecimalCells,
    FieldError,
    IntCells,
    ParseError,
    bounded,
    decimal_cell,
    int_cell,
    record_factory,
)
from feeds.parsers.table import Row, csv_rows, ends_with_newline, header_index, width_check
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
    ("BID", "price", PRICE),
    ("ASK", "price", PRICE),
    ("ADJTHEOR", "price", PRICE),
    ("IVBID", "volatility", VOLATILITY),
    ("IVASK", "volatility", VOLATILITY),
    ("IVAVERAGE", "volatility", VOLATILITY),
)
# In SpotRiskRow order: premium, pos_price, market_value, total_premium, yesterday_pl.
_MONEY_COLUMNS = POSITION_COLUMNS[2:]
_MONEY_BOUNDS = (MONEY, PRICE, MONEY, MONEY, MONEY)

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

    def numbers(self) -> list[tuple[int, str, str, Bound]]:
        """Every numeric cell as (position, column, what it is, its bound), in row order."""
        found = [(self.strike, "STRIKE", "strike", STRIKE)]
        found += [
            (at, name, what, bound)
            for at, (name, what, bound) in zip(self.values, _VALUE_COLUMNS, strict=True)
        ]
        if self.money:
            found += [
                (at, name, "number", bound)
                for at, name, bound in zip(self.money, _MONEY_COLUMNS, _MONEY_BOUNDS, strict=True)
            ]
        return found


class SpotRiskParser:
    feed = Feed.SPOT_RISK
    key_pattern = KEY_PATTERNS[Feed.SPOT_RISK]

    def parse(self, data: bytes, *, source: FeedKey) -> ParsedFile:
        return spot_risk_parse(data, source=source)


def spot_risk_parse(data: bytes, *, source: FeedKey) -> ParsedFile:
    file = source.key
    header, *body = csv_rows(data, file=file, feed=Feed.SPOT_RISK)
    names = [cell.strip() for cell in header[1]]
    has_type_row = _type_row_first(names, body)
    # Any position column (or the Type row) means the 16-column layout, and
    # then all of them must be there: a partial set is a broken export.
    extended = has_type_row or any(name in POSITION_COLUMNS for name in names)
    required = BASE_COLUMNS + POSITION_COLUMNS if extended else BASE_COLUMNS
    index, warnings = header_index(header, required=required, known=_KNOWN, file=file)
    layout = _layout(index, width=len(names), extended=extended)
    if has_type_row:
        _type_row_check(body.pop(0), names, file=file)
    if not body:
        raise ParseError("no instrument rows: the file has only its header", file=file)
    # Decimal reads NaN and Infinity happily, and no price or risk number is
    # either. Every spelling of them has "nan" or "inf" in it: looking once for
    # those in the whole file spares ~500 rows a check per value.
    lowered = data.lower()
    may_be_infinite = b"nan" in lowered or b"inf" in lowered
    records = tuple(_records(body, layout, file=file, may_be_infinite=may_be_infinite))
    ends_with_newline(data, body[-1], file=file)
    return ParsedFile(
        feed=Feed.SPOT_RISK,
        source=source,
        spot_risk=records,
        warnings=warnings,
        spot_risk_positions=extended,
    )


def _layout(index: dict[str, int], *, width: int, extended: bool) -> _Layout:
    return _Layout(
        width=width,
        key=index["Key"],
        itype=index["ITYPE"],
        strike=index["STRIKE"],
        values=tuple(index[column] for column, _, _ in _VALUE_COLUMNS),
        position=index["POS.POSITION"] if extended else None,
        sod_position=index["POS.STARTOFDAYPOS"] if extended else None,
        money=tuple(index[column] for column in _MONEY_COLUMNS) if extended else (),
    )


def _type_row_first(names: list[str], body: list[Row]) -> bool:
    """Whether the first row after the header is Actant's Type row: ``Type``
    in the Key column (first, unless someone reordered the columns)."""
    if not body:
        return False
    at = names.index("Key") if "Key" in names else 0
    cells = body[0][1]
    return at < len(cells) and cells[at].strip() == "Type"


def _type_row_check(row: Row, names: list[str], *, file: str) -> None:
    """Loose: the Type row only names Actant's value types, which we do not use."""
    width_check(row, len(names), file=file)
    line, cells = row
    for name, cell in zip(names, cells, strict=True):
        value = cell.strip()
        if name != "Key" and value and not value.startswith("VAR_"):
            raise ParseError(
                f"{value!r} in the Type row is not an Actant type (VAR_...)",
                file=file,
                row=line,
                column=name,
            )


def _records(
    body: list[Row], layout: _Layout, *, file: str, may_be_infinite: bool
) -> list[SpotRiskRow]:
    record = _row_reader(layout, may_be_infinite=may_be_infinite)
    width = layout.width
    records: list[SpotRiskRow] = []
    for row in body:
        line, cells = row
        if len(cells) != width:
            width_check(row, width, file=file)
        try:
            records.append(record(cells))
        except FieldError as error:
            if not error.column:
                error = _named(cells, layout)
            raise ParseError(error.reason, file=file, row=line, column=error.column) from None
    if len({r.key for r in records}) != len(records):
        _duplicate_refuse(body, records, file=file)
    return records


def _duplicate_refuse(body: list[Row], records: list[SpotRiskRow], *, file: str) -> None:
    """Two rows for one instrument: which one is the market? Refuse both."""
    first_line: dict[str, int] = {}
    for (line, _), built in zip(body, records, strict=True):
        first = first_line.setdefault(built.key, line)
        if first != line:
            raise ParseError(
                f"duplicate key {built.key} (first on row {first})",
                file=file,
                row=line,
                column="Key",
            )


# SpotRiskRow(...) with its fields in order, at a fraction of the frozen __init__'s cost.
_row_new = record_factory(SpotRiskRow)

# What a row's Key, ITYPE and STRIKE cells name once checked: (key, itype,
# product, expiry, strike). The same few hundred instruments come in every
# file and the checks are a pure function of those three texts, so they are
# remembered across files: a file pays them only for instruments it is the
# first to name. Bounded: new strikes and expiries come a few a day.
_Identity = tuple[str, str, str, str | None, Decimal | None]
_IDENTITIES: dict[tuple[str, str, str], _Identity] = {}
_IDENTITIES_MAX = 20_000


def _row_reader(layout: _Layout, *, may_be_infinite: bool) -> Callable[[list[str]], SpotRiskRow]:
    """One file's cells -> record function. Every row of every file passes
    here, so it works on local names and reads each repeated text once.
    ``may_be_infinite``: the file spells NaN or infinity somewhere, so values
    are checked for it one by one."""
    # Prices repeat on the tick grid from row to row: a cache pays. Theo and the
    # three vols are new on nearly every row, so they are read straight.
    price = DecimalCells(PRICE).__getitem__
    money = DecimalCells(MONEY).__getitem__
    number = Decimal
    whole = IntCells(POSITION).__getitem__
    price_low, price_high = PRICE.low, PRICE.high
    vol_low, vol_high = VOLATILITY.low, VOLATILITY.high
    identities = _IDENTITIES
    identity_of = itemgetter(layout.key, layout.itype, layout.strike)
    values_of = itemgetter(*layout.values)
    # The position block (POS.*, UTOTAL.*) reads the same on most rows (the
    # desk holds few of the listed options): read each distinct block once.
    block_of = (
        itemgetter(layout.position, layout.sod_position, *layout.money) if layout.money else None
    )
    blocks: dict[tuple[str, ...], tuple[int | Decimal | None, ...]] = {}

    def record(cells: list[str]) -> SpotRiskRow:
        texts = identity_of(cells)
        identity = identities.get(texts)
        if identity is None:
            identity = _identity_checked(*texts)
        key, itype, product, expiry, strike = identity
        bid, ask, theo, iv_bid, iv_ask, iv_avg = values_of(cells)
        try:
            theo_value = number(theo) if theo else None
            iv_bid_value = number(iv_bid) if iv_bid else None
            iv_ask_value = number(iv_ask) if iv_ask else None
            iv_avg_value = number(iv_avg) if iv_avg else None
        except InvalidOperation:  # INVALID, or not a number: the careful path says which
            theo_value, iv_bid_value, iv_ask_value, iv_avg_value = (
                decimal_cell(text, "") for text in (theo, iv_bid, iv_ask, iv_avg)
            )
        if may_be_infinite:
            for value in (theo_value, iv_bid_value, iv_ask_value, iv_avg_value):
                if value is not None and not value.is_finite():
                    raise FieldError("", "not a finite number")
        if theo_value is not None and not price_low <= theo_value <= price_high:
            raise FieldError("", "out of range")  # _named says which column and why
        for value in (iv_bid_value, iv_ask_value, iv_avg_value):
            if value is not None and not vol_low <= value <= vol_high:
                raise FieldError("", "out of range")
        if block_of is None:
            return _row_new(
                key, itype, product, expiry, strike, price(bid), price(ask),
                theo_value, iv_bid_value, iv_ask_value, iv_avg_value,
            )  # fmt: skip
        block_texts = block_of(cells)
        block = blocks.get(block_texts)
        if block is None:
            block = blocks[block_texts] = (
                whole(block_texts[0]),
                whole(block_texts[1]),
                money(block_texts[2]),
                price(block_texts[3]),
                money(block_texts[4]),
                money(block_texts[5]),
                money(block_texts[6]),
            )
        position, sod_position, premium, pos_price, worth, total_premium, yesterday_pl = block
        return _row_new(
            key, itype, product, expiry, strike, price(bid), price(ask),
            theo_value, iv_bid_value, iv_ask_value, iv_avg_value,
            position, sod_position, premium, pos_price, worth, total_premium, yesterday_pl,
        )  # fmt: skip

    return record


def _identity_checked(key_text: str, itype_text: str, strike_text: str) -> _Identity:
    """Check a row's Key, ITYPE and STRIKE against each other, and remember
    what they name (``FieldError`` if they disagree)."""
    key, itype = key_text.strip(), itype_text.strip()
    column_strike = decimal_cell(strike_text, "STRIKE", "strike")
    if column_strike is not None:
        bounded(column_strike, "STRIKE", STRIKE, repr(strike_text))
    identity = (key, itype, *_instrument(key, key.split("."), itype, strike_text, column_strike))
    if len(_IDENTITIES) >= _IDENTITIES_MAX:
        _IDENTITIES.clear()
    _IDENTITIES[(key_text, itype_text, strike_text)] = identity
    return identity


def _instrument(
    key: str,
    parts: list[str],
    itype: str,
    strike_text: str,
    column_strike: Decimal | None,
) -> tuple[str, str | None, Decimal | None]:
    """Product, expiry token and strike read from the key, which must agree
    with ITYPE and STRIKE: a row that contradicts itself is not trusted."""
    if itype not in _ITYPES:
        raise FieldError("ITYPE", f"{itype!r} is not an instrument type (C, P, F or N)")
    if parts[0] != "XCME" or not all(parts):
        raise FieldError("Key", f"{key!r} is not an XCME instrument key")
    if len(parts) != 5:
        return _future_or_product(key, parts, itype, strike_text, column_strike)
    _, product, expiry, strike_token, right = parts
    if right != itype:
        if right not in _RIGHTS:
            raise FieldError("Key", f"{key!r} is not an option key ending in .C or .P")
        raise FieldError("ITYPE", f"the key {key} is a {_RIGHTS[right]} but ITYPE is {itype}")
    if not _OPTION_EXPIRY.fullmatch(expiry):
        raise FieldError("Key", f"{expiry!r} in {key} is not an expiry like 21JUL25 or AUG25")
    strike = _key_strike(strike_token, key)
    if column_strike is None:
        raise FieldError("STRIKE", f"an option needs a strike, got {strike_text!r}")
    if column_strike != strike:
        raise FieldError(
            "STRIKE", f"{strike_text!r} disagrees with the key's strike {strike_token} ({strike})"
        )
    return product, expiry, strike


def _named(cells: list[str], layout: _Layout) -> FieldError:
    """The cache saw a bad text but not its column: find the first bad cell
    again, one named column at a time (only on the error path)."""
    for position, column, what, bound in layout.numbers():
        try:
            value = decimal_cell(cells[position], column, what)
            if value is not None:
                bounded(value, column, bound, f"{column} {cells[position]!r}")
        except FieldError as error:
            return error
    for at, column in (
        (layout.position, "POS.POSITION"),
        (layout.sod_position, "POS.STARTOFDAYPOS"),
    ):
        if at is not None:
            try:
                int_cell(cells[at], column, POSITION)
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
