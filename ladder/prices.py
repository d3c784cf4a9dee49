"""Treasury prices as traders read them: points and 32nds, exact ``Decimal`` only.

TT writes 110.171875 as ``110'055``: the whole points, ``'``, two digits of
32nds, and one digit for the fraction of a 32nd (``0``, ``2`` = 1/4,
``5`` = 1/2, ``7`` = 3/4). That form can only say prices on the 1/128 grid.

Conventions chosen here:

- Negative prices (calendar spreads) are written sign-and-magnitude:
  -0.046875 is ``-0'015``, never ``-1'305``.
- Prices off the 1/128 grid (option "cabinet" prices below one tick, such as
  Actant's ``.0069999``, or averages such as TT's ``avgBuy``) are written as
  plain decimal points (``0.0069999``). Rounding them to the nearest 1/128
  would show a different, tradable price; the missing ``'`` is the marker
  that the value is not in 32nds. ``strict=True`` raises instead.
- ``parse_32nds`` reads every form ``price_to_32nds`` writes (including the
  plain decimal one), so ``parse_32nds(price_to_32nds(p)) == p`` for every
  finite ``p``.
"""

from __future__ import annotations

import functools
import re
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation, localcontext

# The fraction-of-a-32nd digit for 0, 1, 2, 3 quarters of a 32nd.
_QUARTER_DIGITS = "0257"
_QUARTERS_BY_SUFFIX = {
    "": 0,
    "0": 0,
    "2": 1,
    "5": 2,
    "7": 3,
    "+": 2,  # CME's "110-08+" is 8.5/32
    ".0": 0,
    ".25": 1,
    ".5": 2,
    ".75": 3,
}
_THIRTY_SECONDS_RE = re.compile(
    r"""^(?P<sign>-)?(?P<whole>\d+)['-](?P<n32>\d{2})
        (?P<frac>\.0|\.25|\.5|\.75|[0257]|\+)?$""",
    re.VERBOSE,
)
_DECIMAL_RE = re.compile(r"^-?(\d+\.?\d*|\.\d+)$")
# Enough digits that grid checks on any realistic price are exact: with the
# default 28, 110.000...0001 (30 digits) would round onto the grid.
_EXACT_PRECISION = 120


def is_on_32nds_grid(price: Decimal) -> bool:
    """True when ``price`` is a whole number of 1/128 points (what 32nds can say)."""
    if not price.is_finite():
        return False
    with localcontext(prec=_EXACT_PRECISION):
        return (price * 128) % 1 == 0


def price_to_32nds(price: Decimal, *, strict: bool = False) -> str:
    """``110.171875`` -> ``"110'055"``; off-grid prices as plain decimals (see module doc)."""
    if not price.is_finite():  # before the cache: a signalling NaN cannot be hashed
        raise ValueError(f"not a price: {price}")
    return _to_32nds(price, strict)


# A ladder's and a slide's levels recur on every update (~4 us each). Equal Decimals
# (110.5, 110.50) share an entry: their 32nds are the same text.
@functools.lru_cache(maxsize=4096)
def _to_32nds(price: Decimal, strict: bool) -> str:
    if not is_on_32nds_grid(price):
        if strict:
            raise ValueError(f"{price} is not on the 1/128 grid of 32nds")
        return _plain_decimal(price)
    sign = "-" if price < 0 else ""
    magnitude = abs(price)
    whole = int(magnitude)  # int() truncates toward zero: the magnitude's whole points
    with localcontext(prec=_EXACT_PRECISION):
        quarters_of_32nds = int((magnitude - whole) * 128)
    n32, quarter = divmod(quarters_of_32nds, 4)
    return f"{sign}{whole}'{n32:02d}{_QUARTER_DIGITS[quarter]}"


def parse_32nds(text: str) -> Decimal:
    """Read ``110'085``, ``110-08.5``, ``110-085``, ``110-08+``, ``110-08`` or ``110.265625``."""
    cleaned = text.strip()
    match = _THIRTY_SECONDS_RE.match(cleaned)
    if match is None:
        return _parse_plain_decimal(cleaned, original=text)
    n32 = int(match["n32"])
    if n32 > 31:
        raise ValueError(f"{text!r}: {n32} is not a number of 32nds (00-31)")
    quarters = n32 * 4 + _QUARTERS_BY_SUFFIX[match["frac"] or ""]
    with localcontext(prec=_EXACT_PRECISION):  # exact: 1/128 is a finite decimal
        magnitude = Decimal(match["whole"]) + Decimal(quarters) / 128
    return -magnitude if match["sign"] else magnitude


def ticks_between(*, start: Decimal, end: Decimal, tick: Decimal) -> int:
    """Whole ticks from ``start`` to ``end`` (negative when ``end`` is lower).

    Raises ``ValueError`` when the distance is not a whole number of ticks, so
    a price off the grid is never silently rounded onto it.
    """
    if tick <= 0:
        raise ValueError(f"tick must be positive, not {tick}")
    with localcontext(prec=_EXACT_PRECISION):
        count = (end - start) / tick
        whole = count % 1 == 0
    if not whole:
        raise ValueError(f"{start} to {end} is not a whole number of {tick} ticks")
    return int(count)


def round_to_tick(*, price: Decimal, tick: Decimal, rounding: str = ROUND_HALF_UP) -> Decimal:
    """The grid price nearest ``price``; ``rounding`` is a ``decimal`` rounding mode."""
    if tick <= 0:
        raise ValueError(f"tick must be positive, not {tick}")
    with localcontext(prec=_EXACT_PRECISION):
        return (price / tick).quantize(Decimal(1), rounding=rounding) * tick


def _plain_decimal(price: Decimal) -> str:
    # Fixed-point, without trailing zeros or an exponent: 0.0069999, 110, -0.5.
    text = format(price, "f")
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def _parse_plain_decimal(cleaned: str, *, original: str) -> Decimal:
    if not _DECIMAL_RE.match(cleaned):
        raise ValueError(f"{original!r} is not a price in 32nds or decimal points")
    try:
        return Decimal(cleaned)
    except InvalidOperation as exc:  # the regex should make this unreachable
        raise ValueError(f"{original!r} is not a price") from exc
