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

from feeds.parsers.base import FieldError, ParseError, utf8_text, whole

T = TypeVar("T")
Item = dict[str, Any]

_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class _NotANumber(ValueError):
    pass


def _constant_reject(name: str) -> Any:
    # Python's json reads NaN and Infinity by default; JSON has no such values.
    raise _NotANumber(name)


def tt_items(data: bytes, *, file: str, array: str) -> tuple[list[Item], tuple[str, ...]]:
    """The objects in the response's ``array``, and warnings about the response."""
    document = _document(data, file=file)
    _status_check(document, file=file)
    items = document.get(array)
    if not isinstance(items, list):
        if items is None:
            raise ParseError(f"no {array!r} array: not a TT {array} response", file=file)
        raise ParseError(f"{array!r} is {_kind(items)}, not an array", file=file)
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
        return json.loads(text, parse_float=Decimal, parse_int=int, parse_constant=_constant_reject)
    except _NotANumber as error:
        raise ParseError(f"{error} is not a JSON number", file=file) from None
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


def decimal_field(item: Item, name: str) -> Decimal | None:
    """A price or amount, exact; null or absent is no value."""
    value = item.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise FieldError(name, f"{name} {value!r} is not a number")
    return Decimal(value)


def qty_field(item: Item, name: str, *, signed: bool = False) -> int:
    """A quantity: TT writes 80.0; a fraction of a contract is an error."""
    value = _present(item, name)
    number = decimal_field(item, name)
    assert number is not None  # _present ruled out null
    quantity = whole(number, name, f"{name} {value}")
    if quantity < 0 and not signed:
        raise FieldError(name, f"{name} {value} is negative")
    return quantity


def optional_qty_field(item: Item, name: str) -> int | None:
    return None if item.get(name) is None else qty_field(item, name)


def epoch_ns_field(item: Item, name: str) -> datetime | None:
    """Nanoseconds since the epoch as aware UTC, to the microsecond datetime keeps."""
    value = item.get(name)
    if value is None:
        return None
    number = decimal_field(item, name)
    assert number is not None
    nanoseconds = whole(number, name, f"{name} {value}")
    if nanoseconds <= 0:
        raise FieldError(name, f"{name} {value} is not a time")
    # Integer arithmetic: a float timestamp would lose the microseconds.
    return _EPOCH + timedelta(microseconds=nanoseconds // 1000)
