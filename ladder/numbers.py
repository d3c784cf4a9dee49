"""Which stored numbers the pages, the API and the live hub may show or compute with.

The parsers range-check what they accept, but the web side must not trust the
state store blindly: state written before those checks existed, or by a future
bug, once turned ``pnlPrice`` 1e308 into ``decimal.Overflow`` and a 5,000-digit
price into a 500 on every trader page. A number outside these bounds is not
data but damage: it is read as missing and shown as a dash with a note
(``OUT_OF_RANGE_NOTE``), never formatted or fed into the ladder's arithmetic.

The bounds are far wider than any real ZN price, quantity or Greek, and narrow
enough that every sum, product and quantize the pages do stays exact and cannot
overflow (the ladder works at 60 digits, the 32nds grid at 120).
"""

from __future__ import annotations

import math
from decimal import Decimal, InvalidOperation
from typing import Any

SHOWN_MAX_ABS = Decimal(10) ** 12  # a trillion: no price, position, P&L or Greek is near it
_MAX_ABS_LEADING = SHOWN_MAX_ABS.adjusted()  # 12: a number led by a digit past it is beyond
SHOWN_MAX_DIGITS = 40  # significant digits; a float has 17, a TT average ~20
# The smallest non-zero magnitude a price, tick or point value may have: a tick of
# 1e-900000 would make price / tick overflow.
SHOWN_MIN_EXPONENT = -30
OUT_OF_RANGE_CSS = "out-of-range"
OUT_OF_RANGE_NOTE = "value out of range in the stored data: not shown"


class OutOfRange(ValueError):
    """A stored number the pages must not show or compute with."""


def decimal_shown(value: Any) -> Decimal | None:
    """A stored value as a Decimal the pages can use; None when missing.

    Raises ``OutOfRange`` for anything not finite, beyond ``SHOWN_MAX_ABS``, longer
    than ``SHOWN_MAX_DIGITS`` digits or smaller than 1e``SHOWN_MIN_EXPONENT``
    (but not zero), and for text that is not a number.
    """
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise OutOfRange(f"not a number: {value!r}")
    if isinstance(value, int) and abs(value) > SHOWN_MAX_ABS:  # before str(): 5,000 digits
        raise OutOfRange("integer out of range")
    text = value if isinstance(value, str) else repr(value) if isinstance(value, float) else None
    if text is not None and len(text) > SHOWN_MAX_DIGITS + 12:  # sign, point, exponent
        raise OutOfRange("number too long")
    try:
        number = value if isinstance(value, Decimal) else Decimal(value if text is None else text)
    except (InvalidOperation, TypeError, ValueError):
        raise OutOfRange(f"not a number: {str(value)[:40]!r}") from None
    if not decimal_is_shown(number):
        raise OutOfRange("number out of range")
    return number


def decimal_is_shown(number: Decimal) -> bool:
    """Whether a Decimal is within the bounds (see ``decimal_shown``)."""
    if not number.is_finite():
        return False
    if number.is_zero():
        return True
    # adjusted() is the exponent of the leading digit: no arithmetic that could trap
    leading = number.adjusted()
    if leading < SHOWN_MIN_EXPONENT or leading > _MAX_ABS_LEADING:
        return False
    if leading == _MAX_ABS_LEADING and abs(number) > SHOWN_MAX_ABS:
        return False
    # Every shown and computed cell comes through here: the text holds every digit of
    # the coefficient, and is a sixth of the cost of counting them (as_tuple).
    return len(str(number)) <= SHOWN_MAX_DIGITS or len(number.as_tuple().digits) <= SHOWN_MAX_DIGITS


def int_shown(value: Any) -> int | None:
    """A stored whole number (a position, a quantity); None when missing.
    Raises ``OutOfRange`` beyond ``SHOWN_MAX_ABS`` or for a fraction or non-number."""
    number = decimal_shown(value)
    if number is None:
        return None
    if number != number.to_integral_value():
        raise OutOfRange("not a whole number")
    return int(number)


def float_shown(value: Any) -> float | None:
    """A stored float (a Greek, a vol): finite and within ``SHOWN_MAX_ABS``; tiny
    values are fine (a far option's gamma of 1e-300 is a zero to show, not damage)."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise OutOfRange(f"not a number: {value!r}")
    if isinstance(value, str) and len(value) > SHOWN_MAX_DIGITS + 12:
        raise OutOfRange("number too long")
    if isinstance(value, int) and abs(value) > SHOWN_MAX_ABS:
        raise OutOfRange("integer out of range")
    try:
        number = float(value)
    except (TypeError, ValueError, OverflowError):
        raise OutOfRange(f"not a number: {str(value)[:40]!r}") from None
    if not math.isfinite(number) or abs(number) > SHOWN_MAX_ABS:
        raise OutOfRange("number out of range")
    return number
