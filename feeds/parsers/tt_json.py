"""What the three TT responses share (FEEDS.md "TT (JSON)"): the envelope
(``status``, ``lastPage``, one array of objects) and typed field reads.

Numbers are read as exact Decimals straight from the JSON text; a float never
exists, so 110.3671875 stays 110.3671875.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from feeds.limits import FILE_LIMITS, NUMBER_TEXT_MAX, POSITION, QUANTITY, TIME_MAX, TIME_MIN, Bound
from feeds.parsers.base import FieldError, ParseError, bounded, utf8_text, whole
from feeds.records import Feed

T = TypeVar("T")
Item = dict[str, Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_MIN = int((TIME_MIN - _EPOCH).total_seconds()) * 10**9
_NS_MAX = int((TIME_MAX - _EPOCH).total_seconds()) * 10**9


class _NotANumber(ValueError):
    pass


class _DuplicateName(ValueError):
    pass


def _constant_reject(name: str) -> Any:
    # Python's json reads NaN and Infinity by default; JSON has no such values.
    raise _NotANumber(name)


def _number_text(text: str) -> str:
    # int() refuses 4,300+ digits with a ValueError json does not expect, and
    # no value we read needs more than a few dozen characters.
    if len(text) > NUMBER_TEXT_MAX:
        raise _NotANumber(f"a number of {len(text):,} characters ({text[:20]}...)")
    return text


def _int(text: str) -> int:
    return int(_number_text(text))


def _decimal(text: str) -> Decimal:
    return Decimal(_number_text(text))


def _object(pairs: list[tuple[str, Any]]) -> Item:
    """An object whose names are all different: with a name twice, which value
    TT meant is unknown (``"status":"Error","status":"Ok"`` must not pass)."""
    found = dict(pairs)
    if len(found) != len(pairs):
        seen: set[str] = set()
        for name, _ in pairs:
            if name in seen:
                raise _DuplicateName(name)
            seen.add(name)
    return found


def tt_items(
    data: bytes, *, file: str, array: str, feed: Feed
) -> tuple[list[Item], tuple[str, ...]]:
    """The objects in the response's ``array``, and warnings about the response."""
    document = _document(data, file=file)
    _status_check(document, file=file)
    items = document.get(array)
    if not isinstance(items, list):
        if items is None:
            raise ParseError(f"no {array!r} array: not a TT {array} response", file=file)
        raise ParseError(f"{array!r} is {_kind(items)}, not an array", file=file)
    most = FILE_LIMITS[feed].max_rows
    if len(items) > most:
        raise ParseError(
            f"{len(items):,} items in {array!r}: a {feed} file has at most {most:,}", file=file
        )
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ParseError(
                f"{array}[{index}] is {_kind(item)}, not an object", file=file, row=index
            )
    warnings: tuple[str, ...] = ()
    if str(document.get("lastPage", "true")).lower() == "false":
        # The feed server writes one page; a later page's items are not here.
        warnings = (f"lastPage is false: TT has more {array} than this file holds",)
    return items, warnings


def items_build(items: list[Item], build: Callable[[Item], T], *, file: str, array: str) -> list[T]:
    """``build`` each item; a bad field names the item's index and the field."""
    built: list[T] = []
    for index, item in enumerate(items):
        try:
            built.append(build(item))
        except FieldError as error:
            raise ParseError(
                f"{array}[{index}] {error.reason}", file=file, row=index, column=error.column
            ) from None
    return built


def _document(data: bytes, *, file: str) -> Any:
    text = utf8_text(data, file=file, line_is_row=False)
    try:
        return json.loads(
            text,
            parse_float=_decimal,
            parse_int=_int,
            parse_constant=_constant_reject,
            object_pairs_hook=_object,
        )
    except _NotANumber as error:
        raise ParseError(f"{error} is not a JSON number we read", file=file) from None
    except _DuplicateName as error:
        raise ParseError(
            f"the name {str(error)[:60]!r} appears twice in one object: which value is meant?",
            file=file,
        ) from None
    except json.JSONDecodeError as error:
        raise ParseError(
            f"not valid JSON: {error.msg} (line {error.lineno} column {error.colno})", file=file
        ) from None
    except RecursionError:
        raise ParseError("not valid JSON: nested too deeply", file=file) from None


def _status_check(document: Any, *, file: str) -> None:
    if not isinstance(document, dict):
        raise ParseError(f"not a JSON object: the top level is {_kind(document)}", file=file)
    status = document.get("status")
    if status == "Ok":
        return
    if status is None:
        raise ParseError("no status field: not a TT response", file=file)
    raise ParseError(f"TT status {status!r}: {_tt_message(document)}", file=file)


def _tt_message(document: Item) -> str:
    """TT's own words about the failure, from whichever field carries them."""
    said = [
        f"{name}={value}"
        for name, value in document.items()
        if name != "status"
        and any(word in name.lower() for word in ("message", "error", "reason", "detail"))
    ]
    return "; ".join(said) if said else "no message"


def _kind(value: Any) -> str:
    """What a JSON value is, for messages: ``an array``, ``a string`` ..."""
    kinds = {dict: "an object", list: "an array", str: "a string", bool: "a boolean"}
    if type(value) in kinds:
        return kinds[type(value)]
    return "null" if value is None else "a number"


def _present(item: Item, name: str) -> Any:
    value = item.get(name)
    if value is None:
        raise FieldError(name, f"has no {name}")
    return value


def text_field(item: Item, name: str) -> str:
    value = _present(item, name)
    if not isinstance(value, str) or not value:
        raise FieldError(name, f"{name} {value!r} is not a non-empty string")
    return value


def optional_text_field(item: Item, name: str) -> str | None:
    return None if item.get(name) is None else text_field(item, name)


def code_field(item: Item, name: str) -> str:
    """An id or enum code: TT writes most as strings, account ids as numbers."""
    value = _present(item, name)
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return text_field(item, name)


def decimal_field(item: Item, name: str, bound: Bound | None = None) -> Decimal | None:
    """A price or amount, exact, within ``bound`` (feeds/limits.py); null or
    absent is no value."""
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise FieldError(name, f"{name} {value!r} is not a number")
    number = Decimal(value)
    if bound is not None:
        bounded(number, name, bound, f"{name} {value}")
    return number


def qty_field(item: Item, name: str, *, signed: bool = False) -> int:
    """A quantity: TT writes 80.0; a fraction of a contract is an error.
    A position (``signed``) lies within ``POSITION``, any other within ``QUANTITY``."""
    value = _present(item, name)
    number = decimal_field(item, name)
    assert number is not None  # _present ruled out null
    if number < 0 and not signed:
        raise FieldError(name, f"{name} {value} is negative")
    bounded(number, name, POSITION if signed else QUANTITY, f"{name} {value}")
    return whole(number, name, f"{name} {value}")


def optional_qty_field(item: Item, name: str) -> int | None:
    return None if item.get(name) is None else qty_field(item, name)


def epoch_ns_field(item: Item, name: str) -> datetime | None:
    """Nanoseconds since the epoch as aware UTC, to the microsecond datetime keeps."""
    value = item.get(name)
    if value is None:
        return None
    number = decimal_field(item, name)
    assert number is not None
    if number <= 0:
        raise FieldError(name, f"{name} {value} is not a time")
    if not _NS_MIN <= number <= _NS_MAX:
        raise FieldError(
            name,
            f"{name} {value} is out of range: a time is nanoseconds since 1970 "
            f"between {TIME_MIN:%Y-%m-%d} and {TIME_MAX:%Y-%m-%d}",
        )
    nanoseconds = whole(number, name, f"{name} {value}")
    # Integer arithmetic: a float timestamp would lose the microseconds.
    return _EPOCH + timedelta(microseconds=nanoseconds // 1000)
