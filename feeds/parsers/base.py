"""What every feed parser shares: its error, its shape, and the value checks.

A parser is a pure function of the file's bytes and what its S3 key says
(``FeedKey``); it never reads S3 or the clock, so the same bytes always give
the same records or the same ``ParseError``.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any, Protocol, TypeVar

from feeds.limits import Bound
from feeds.records import Feed, FeedKey, ParsedFile


class ParseError(ValueError):
    """A feed file we refuse: it is quarantined with this message for ops.

    ``row`` is the 1-based line number in a CSV file, or the index in the
    response's array (0-based, as in ``orders[3]``) for a TT JSON file;
    ``column`` is the CSV column or JSON field name. Either is None when the
    problem is the file as a whole.
    """

    def __init__(
        self, reason: str, *, file: str, row: int | None = None, column: str | None = None
    ) -> None:
        self.file = file
        self.row = row
        self.column = column
        self.reason = reason
        super().__init__(reason)

    def __str__(self) -> str:
        # The base name carries the feed's timestamp; the full key is in .file.
        where = [self.file.rsplit("/", 1)[-1]]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column}")
        return f"{' '.join(where)}: {self.reason}"


class UnknownKey(ValueError):
    """An S3 key that is not a feed file: ignored and counted, never parsed."""

    def __init__(self, key: str) -> None:
        self.key = key
        super().__init__(f"{key!r} is not a feed file")


class FieldError(ValueError):
    """One bad value. Internal: the value helpers do not know the file or the
    row, so the row loop that calls them turns this into a ``ParseError``."""

    def __init__(self, column: str, reason: str) -> None:
        self.column = column
        self.reason = reason
        super().__init__(f"{column}: {reason}")


R = TypeVar("R")


class Parser(Protocol):
    """One feed format: which keys it owns and how to read their bytes."""

    feed: Feed
    key_pattern: re.Pattern[str]

    def parse(self, data: bytes, *, source: FeedKey) -> ParsedFile: ...


# Three-letter months as Actant (SEP25) and TT (Sep25, upper-cased) write them.
MONTHS = ("JAN", "FEB", "MAR", "APR", "MAY", "JUN", "JUL", "AUG", "SEP", "OCT", "NOV", "DEC")
MONTH_YEAR = re.compile(rf"(?:{'|'.join(MONTHS)})[0-9]{{2}}")

_NO_VALUE = frozenset(("", "INVALID"))


def decimal_cell(text: str, column: str, what: str = "number") -> Decimal | None:
    """A CSV cell as an exact Decimal; ``INVALID`` or blank is no value."""
    if text in _NO_VALUE:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        # Rare path, so the common cells skip the strip.
        if text.strip() in _NO_VALUE:
            return None
        raise FieldError(column, f"{text!r} is not a {what}") from None
    if not value.is_finite():
        # Decimal reads nan/inf happily; no price or risk number is infinite.
        raise FieldError(column, f"{text!r} is not a finite {what}")
    return value


def int_cell(text: str, column: str, bound: Bound | None = None) -> int | None:
    """A CSV cell as a whole number; ``3.0`` is 3 (Actant writes some that
    way), ``3.5`` is an error, blank or ``INVALID`` is no value."""
    if text in _NO_VALUE:
        return None
    try:
        number = int(text)
    except ValueError:  # 3.0, INVALID with spaces, or 4,300+ digits: Decimal reads them
        value = decimal_cell(text, column, "whole number")
        if value is None:
            return None
        if bound is not None:
            bounded(value, column, bound, repr(text))
        return whole(value, column, repr(text))
    if bound is not None:
        bounded(number, column, bound, repr(text))
    return number


def bounded(value: Decimal | int, column: str, bound: Bound, shown: str) -> None:
    """Refuse a value outside ``bound`` (feeds/limits.py), before anything
    formats, rounds or serialises it."""
    if not bound.holds(value):
        raise FieldError(column, bound.refusal(_short(shown)))


def _short(shown: str) -> str:
    """A value as a reason shows it: a 5,000-digit number is not repeated whole."""
    return shown if len(shown) <= 40 else f"{shown[:20]}...({len(shown)} characters)"


def whole(value: Decimal, column: str, shown: str) -> int:
    """``value`` as an int, refusing a fraction instead of truncating it."""
    if value != value.to_integral_value():
        raise FieldError(column, f"{shown} is not a whole number")
    return int(value)


class DecimalCells(dict[str, Decimal | None]):
    """One file's cell text -> ``decimal_cell`` value, filled as rows are read.

    Zeros, INVALID and tick prices repeat on every row, and a dict hit is
    several times cheaper than ``Decimal()`` and its checks. A bad text raises
    ``FieldError`` with an empty column: the row loop, which knows where the
    text came from, names the column.
    ``bound``: the range every value must lie in (feeds/limits.py).
    """

    def __init__(self, bound: Bound) -> None:
        super().__init__({"": None, "INVALID": None})
        self.bound = bound
        self.low, self.high = bound.low, bound.high

    def __missing__(self, text: str) -> Decimal | None:
        # decimal_cell inlined for the common good text: misses are most of
        # the cost (theoretical values and vols are new on every row).
        try:
            value: Decimal | None = Decimal(text)
        except InvalidOperation:
            value = None
        if value is None or not value.is_finite():
            value = decimal_cell(text, "")  # None for ' INVALID ', else raises
            if value is None:
                self[text] = None
                return None
        if not self.low <= value <= self.high:
            bounded(value, "", self.bound, repr(text))
        self[text] = value
        return value


class IntCells(dict[str, int | None]):
    """As ``DecimalCells``, for ``int_cell`` values."""

    def __init__(self, bound: Bound) -> None:
        super().__init__({"": None, "INVALID": None})
        self.bound = bound
        # int against int: several times cheaper than against the Decimal bounds.
        self.low, self.high = int(bound.low), int(bound.high)

    def __missing__(self, text: str) -> int | None:
        try:
            value: int | None = int(text)
        except ValueError:  # the careful path: 3.0, INVALID, 4,300+ digits
            value = int_cell(text, "", self.bound)
        if value is not None and not self.low <= value <= self.high:
            bounded(value, "", self.bound, repr(text))
        self[text] = value
        return value


def record_factory(cls: type[R]) -> Callable[..., R]:
    """A constructor for a frozen, slotted dataclass that costs a quarter of
    its own: the generated ``__init__`` of a frozen class sets every field
    through ``object.__setattr__`` (for SpotRiskRow, ~2.5-4 us a row here,
    more than the whole 2 ms budget for a 500-row file).

    A non-frozen twin with the same slots is filled with plain stores and then
    becomes a ``cls``; from then on it is as frozen as any other (equality,
    hash and pickling are ``cls``'s own). Takes the fields positionally, in
    declaration order, with the same defaults. Falls back to ``cls`` itself
    whenever the twin would not be exact: a ``__post_init__`` to run, a field
    outside ``__init__``, or a layout Python refuses to swap.
    """
    fields = dataclasses.fields(cls)  # type: ignore[arg-type]
    if hasattr(cls, "__post_init__") or any(not f.init or f.kw_only for f in fields):
        return cls
    twin: Any = dataclasses.make_dataclass(
        f"_{cls.__name__}Draft",
        [(f.name, f.type, _twin_field(f)) for f in fields],
        slots=True,
        eq=False,
        repr=False,
    )
    if twin.__slots__ != getattr(cls, "__slots__", None):
        return cls

    def build(*values: Any) -> R:
        draft = twin(*values)
        draft.__class__ = cls
        return draft

    try:
        probe = build(*(None for f in fields if f.default is dataclasses.MISSING))
    except TypeError:
        return cls
    return build if type(probe) is cls else cls


def _twin_field(f: dataclasses.Field[Any]) -> Any:
    if f.default is not dataclasses.MISSING:
        return dataclasses.field(default=f.default)
    if f.default_factory is not dataclasses.MISSING:
        return dataclasses.field(default_factory=f.default_factory)
    return dataclasses.field()


def utf8_text(data: bytes, *, file: str, line_is_row: bool = True) -> str:
    """The file as text; a UTF-8 BOM (Excel, some Windows writers) is dropped.

    In a JSON file ``row`` means an array index, so ``line_is_row=False``
    keeps the line of a bad byte in the reason only.
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        byte = data[error.start]
        raise ParseError(
            f"not UTF-8 text (byte 0x{byte:02x} on line {line}, offset {error.start})",
            file=file,
            row=line if line_is_row else None,
        ) from None
    if not text.strip():
        raise ParseError("the file is empty", file=file)
    return text
