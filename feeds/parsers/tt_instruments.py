"""TT instrument details (FEEDS.md "TT (JSON)", ``ttpds /instrument/<id>``):
what a TT instrument id is, and the Actant key of the same future."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from feeds.feed_keys import CHICAGO, KEY_PATTERNS
from feeds.limits import POINT_VALUE, TICK_SIZE, TICK_VALUE, Bound
from feeds.parsers.base import MONTH_YEAR, FieldError, ParseError, bounded
from feeds.parsers.tt_json import (
    Item,
    code_field,
    decimal_field,
    items_build,
    text_field,
    tt_items,
)
from feeds.records import Feed, FeedKey, ParsedFile, TtInstrument


class TtInstrumentsParser:
    feed = Feed.TT_INSTRUMENTS
    key_pattern = KEY_PATTERNS[Feed.TT_INSTRUMENTS]

    def parse(self, data: bytes, *, source: FeedKey) -> ParsedFile:
        return tt_instruments_parse(data, source=source)


def tt_instruments_parse(data: bytes, *, source: FeedKey) -> ParsedFile:
    file = source.key
    items, warnings = tt_items(data, file=file, array="instrument", feed=Feed.TT_INSTRUMENTS)
    if not items:
        raise ParseError("the instrument array is empty", file=file)
    instruments = items_build(items, _instrument, file=file, array="instrument")
    ids = [instrument.instrument_id for instrument in instruments]
    if source.instrument_id is not None and source.instrument_id not in ids:
        # The file name is how we find an id's details: it must not lie.
        raise ParseError(
            f"the file is named for instrument {source.instrument_id} but holds {', '.join(ids)}",
            file=file,
            column="id",
        )
    return ParsedFile(
        feed=Feed.TT_INSTRUMENTS, source=source, instruments=tuple(instruments), warnings=warnings
    )


def _instrument(item: Item) -> TtInstrument:
    product_symbol = text_field(item, "productSymbol")
    term = text_field(item, "term")
    return TtInstrument(
        instrument_id=code_field(item, "id"),
        alias=text_field(item, "alias"),
        name=text_field(item, "name"),
        product_symbol=product_symbol,
        term=term,
        tick_size=_positive(item, "tickSize", TICK_SIZE),
        tick_value=_positive(item, "tickValue", TICK_VALUE),
        point_value=_positive(item, "pointValue", POINT_VALUE),
        expiration=_expiration(item),
        actant_future_key=_actant_future_key(product_symbol, term),
    )


def _positive(item: Item, name: str, bound: Bound) -> Decimal:
    value = decimal_field(item, name)
    if value is None:
        raise FieldError(name, f"has no {name}")
    if value <= 0:
        raise FieldError(name, f"{name} {value} is not a positive number")
    bounded(value, name, bound, f"{name} {item[name]}")
    return value


def _expiration(item: Item) -> datetime | None:
    """``20250618235959`` (YYYYMMDDhhmmss, the exchange's Chicago time)."""
    value = item.get("expirationDate")
    if value is None or value == 0:
        return None
    text = str(value)
    try:
        if isinstance(value, bool) or not isinstance(value, int) or len(text) != 14:
            raise ValueError
        return datetime.strptime(text, "%Y%m%d%H%M%S").replace(tzinfo=CHICAGO)
    except ValueError:
        raise FieldError(
            "expirationDate", f"expirationDate {value!r} is not YYYYMMDDhhmmss"
        ) from None


def _actant_future_key(product_symbol: str, term: str) -> str:
    """TT ``ZN`` + ``Jun25`` is Actant's ``XCME.ZN.JUN25``."""
    month_year = term.upper()
    if not MONTH_YEAR.fullmatch(month_year):
        raise FieldError("term", f"term {term!r} is not a futures month like Jun25")
    if not (product_symbol.isascii() and product_symbol.isalnum()):
        raise FieldError("productSymbol", f"productSymbol {product_symbol!r} is not a symbol")
    return f"XCME.{product_symbol}.{month_year}"
