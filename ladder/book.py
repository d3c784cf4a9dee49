"""The whole book at other prices: options repriced at every ladder level, and the slide.

The model (spot, parallel shift, Bachelier vols from ADJTHEOR, vtexp time, days
forward, the P&L and delta sums, the "not priced" rule) is stated once, in
docs/BOOK.md, with the worked example and how the grid below is computed.

Model values are floats (numpy/scipy, vectorised over options x vol shifts x
levels): dollars shown to the cent. Pure: rows in, arrays out.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import erf

POINT_VALUE = 1000.0  # ZN: dollars per point per contract
TRADING_DAYS_PER_YEAR = 252.0
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)
_INV_SQRT_2 = 1.0 / np.sqrt(2.0)
_PART_CELLS = 16_384  # cells of the grid worked on at once: ~128 KB per array

FloatArray = np.ndarray[Any, np.dtype[np.float64]]


@dataclass(frozen=True)
class Book:
    """Options with a position that can be priced, as arrays; and those that cannot."""

    spot: float
    keys: tuple[str, ...]
    expiries: tuple[str, ...]
    strike: FloatArray
    is_call: np.ndarray[Any, np.dtype[np.bool_]]
    position: FloatArray
    vol: FloatArray  # normal vol, points per sqrt(year)
    years: FloatArray
    unpriced: tuple[str, ...]  # keys of options with a position the model cannot price

    @property
    def size(self) -> int:
        return len(self.keys)


def book_from_rows(
    *, spot: float, spot_rows: Mapping[str, Mapping[str, Any]], vtexp_days: Mapping[str, float]
) -> Book:
    """The priced options of the newest spot-risk state (``feeds.selectors.latest_rows``)."""
    return book_from_terms(
        spot=spot, terms=[option_terms(row) for row in spot_rows.values()], vtexp_days=vtexp_days
    )


@dataclass(frozen=True)
class OptionTerms:
    """What the book takes from one spot-risk row of an option with a position."""

    key: str
    expiry: str
    is_call: bool
    position: float
    vol: float | None  # None: missing, not a number or not positive (not priced)
    strike: float | None


def option_terms(row: Mapping[str, Any]) -> OptionTerms | None:
    """The row's terms; None for a row that is not an option with a position."""
    if row.get("itype") not in {"C", "P"}:
        return None
    position = _number(row.get("position"))
    if not position:
        return None
    vol = _number((row.get("greeks") or {}).get("vol"))
    return OptionTerms(
        key=str(row.get("key")),
        expiry=str(row.get("expiry") or ""),
        is_call=row["itype"] == "C",
        position=position,
        vol=vol if vol is not None and vol > 0 else None,
        strike=_number(row.get("strike")),
    )


def book_from_terms(
    *, spot: float, terms: Iterable[OptionTerms | None], vtexp_days: Mapping[str, float]
) -> Book:
    """``book_from_rows`` from the rows' ``option_terms`` (a caller may keep those of
    rows that did not change: the live hub's state changes a few rows per file)."""
    keys: list[str] = []
    expiries: list[str] = []
    values: list[tuple[float, bool, float, float, float]] = []
    unpriced: list[str] = []
    for option in terms:
        if option is None:
            continue
        days = _number(vtexp_days.get(option.expiry))
        if option.vol is None or days is None or days <= 0 or option.strike is None:
            unpriced.append(option.key)
            continue
        keys.append(option.key)
        expiries.append(option.expiry)
        values.append(
            (
                option.strike,
                option.is_call,
                option.position,
                option.vol,
                days / TRADING_DAYS_PER_YEAR,
            )
        )
    columns = list(zip(*values, strict=True)) if values else [(), (), (), (), ()]
    return Book(
        spot=float(spot),
        keys=tuple(keys),
        expiries=tuple(expiries),
        strike=np.array(columns[0], dtype=np.float64),
        is_call=np.array(columns[1], dtype=np.bool_),
        position=np.array(columns[2], dtype=np.float64),
        vol=np.array(columns[3], dtype=np.float64),
        years=np.array(columns[4], dtype=np.float64),
        unpriced=tuple(sorted(unpriced)),
    )


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if np.isfinite(number) else None


@dataclass(frozen=True)
class _Grid:
    value: FloatArray  # call values, points: (options, vol shifts, levels)
    delta: FloatArray  # call deltas


def _call_grid(levels: FloatArray, strike: FloatArray, spread: FloatArray) -> _Grid:
    """Bachelier call values and deltas of options (n) at levels (m) and spreads (n, v)
    with every spread > 0, as two (n, v, m) arrays.

    The grid is ~320k cells (500 options x 5 vol shifts x 129 levels), so it is
    written for memory passes, options first (an expiry's options are one
    contiguous block): one erf and one exp, everything else in place. erf, not
    ndtr: N(d) = (1 + erf(d / sqrt 2)) / 2 is twice as fast on this machine and
    its error is absolute (~1e-16), far below a cent for a deep out-of-the-money
    option; d / sqrt 2 also gives the density as exp(-e^2) with no extra pass.
    """
    diff = levels[None, :] - strike[:, None]  # (n, m)
    e = diff[:, None, :] * (_INV_SQRT_2 / spread)[:, :, None]  # d / sqrt 2, (n, v, m)
    call_delta = erf(e)
    call_delta *= 0.5
    call_delta += 0.5
    np.multiply(e, e, out=e)
    # exp(-e^2) past e^2 ~ 708 underflows through denormals, ten times slower than the
    # rest of the grid: capped, the density there is ~1e-304 instead of 0 (no cent moves)
    np.minimum(e, 700.0, out=e)
    np.negative(e, out=e)
    np.exp(e, out=e)
    e *= (spread * _INV_SQRT_2PI)[:, :, None]  # the time value: spread x density
    value = np.multiply(call_delta, diff[:, None, :])
    value += e
    return _Grid(value, call_delta)


def _grids(book: Book, part: slice, levels: FloatArray, shifts: FloatArray, days: float) -> _Grid:
    """Call values and deltas of the book's options ``part`` at every level x shift,
    ``days`` forward; an option past expiry by then is worth its intrinsic value,
    whatever the vol."""
    strike, vol = book.strike[part], book.vol[part]
    years = np.maximum(book.years[part] - days / TRADING_DAYS_PER_YEAR, 0.0)
    live = years > 0
    if live.all():
        spread = (vol * np.sqrt(years))[:, None] * (1.0 + shifts)[None, :]
        return _call_grid(levels, strike, spread)
    grid = _Grid(
        np.empty((strike.size, shifts.size, levels.size)),
        np.empty((strike.size, shifts.size, levels.size)),
    )
    if live.any():
        spread = (vol[live] * np.sqrt(years[live]))[:, None] * (1.0 + shifts)[None, :]
        found = _call_grid(levels, strike[live], spread)
        grid.value[live], grid.delta[live] = found.value, found.delta
    diff = levels[None, :] - strike[~live, None]  # (expired, m), the same at every vol
    grid.value[~live] = np.maximum(diff, 0.0)[:, None, :]
    grid.delta[~live] = (diff > 0)[:, None, :]
    return grid


@dataclass(frozen=True)
class Slide:
    """P&L and delta of the options at each level (rows) and vol shift (columns)."""

    levels: FloatArray
    vol_shifts: FloatArray
    pnl: FloatArray  # dollars, shape (levels, shifts)
    delta: FloatArray  # contracts, shape (levels, shifts)
    pnl_by_expiry: dict[str, FloatArray]  # expiry -> dollars, shape (levels, shifts)


def book_slide(
    book: Book,
    *,
    levels: Sequence[float] | FloatArray,
    vol_shifts: Sequence[float] | FloatArray = (0.0,),
    days_forward: float = 0.0,
    by_expiry: bool = False,
) -> Slide:
    """Options P&L and delta at every level x relative vol shift, ``days_forward`` ahead.

    Puts are priced as calls and put-call parity applied to the sums, not to each
    cell: sum(pos x P) = sum(pos x C) - (L x sum of put positions - sum of put
    positions x K), a term per level. Each expiry's options are summed over one
    contiguous block of the grid (one matrix-vector product each).
    """
    levels_a = np.asarray(levels, dtype=np.float64)
    shifts = np.asarray(vol_shifts, dtype=np.float64)
    shape = (levels_a.size, shifts.size)
    if book.size == 0:
        zeros = np.zeros(shape)
        return Slide(levels_a, shifts, zeros, zeros.copy(), {})
    sorted_book, blocks = _expiry_blocks(book) if by_expiry else (book, {"": (0, book.size)})
    dollars = sorted_book.position * POINT_VALUE
    put_dollars = np.where(sorted_book.is_call, 0.0, dollars)
    today = _values_today(sorted_book)
    # A few dozen options at a time: the arrays of a part stay in the CPU's cache
    # through the dozen passes over them, instead of streaming ~2.5 MB arrays each time.
    step = max(1, _PART_CELLS // (levels_a.size * shifts.size))
    call_delta = np.zeros(levels_a.size * shifts.size)
    per_block: dict[str, FloatArray] = {}
    for name, (a, b) in blocks.items():
        calls = np.zeros(levels_a.size * shifts.size)
        for start in range(a, b, step):
            part = slice(start, min(start + step, b))
            grid = _grids(sorted_book, part, levels_a, shifts, days_forward)
            calls += dollars[part] @ grid.value.reshape(grid.value.shape[0], -1)
            call_delta += sorted_book.position[part] @ grid.delta.reshape(grid.delta.shape[0], -1)
        parity = levels_a * put_dollars[a:b].sum() - put_dollars[a:b] @ sorted_book.strike[a:b]
        pnl = calls.reshape(shifts.size, -1).T - parity[:, None] - dollars[a:b] @ today[a:b]
        per_block[name] = pnl
    puts = sorted_book.position[~sorted_book.is_call].sum()
    return Slide(
        levels=levels_a,
        vol_shifts=shifts,
        pnl=np.sum(list(per_block.values()), axis=0),
        delta=call_delta.reshape(shifts.size, -1).T - puts,
        pnl_by_expiry=per_block if by_expiry else {},
    )


def _values_today(book: Book) -> FloatArray:
    """Each option's value at spot, today, at its own vol: what P&L is counted from."""
    spread = (book.vol * np.sqrt(book.years))[:, None]  # > 0: ``book_from_rows`` saw to it
    calls = _call_grid(np.array([book.spot]), book.strike, spread).value[:, 0, 0]
    return calls - np.where(book.is_call, 0.0, book.spot - book.strike)


def _expiry_blocks(book: Book) -> tuple[Book, dict[str, tuple[int, int]]]:
    """The book with each expiry's options together (expiries in order of first
    appearance), and each expiry's block of option indices [a, b)."""
    names = list(dict.fromkeys(book.expiries))
    group = np.array([names.index(e) for e in book.expiries])
    order = np.argsort(group, kind="stable")
    bounds = np.searchsorted(group[order], np.arange(len(names) + 1))
    blocks = {name: (int(bounds[i]), int(bounds[i + 1])) for i, name in enumerate(names)}
    return _book_take(book, order), blocks


def _book_take(book: Book, order: np.ndarray) -> Book:
    return Book(
        spot=book.spot,
        keys=tuple(book.keys[i] for i in order),
        expiries=tuple(book.expiries[i] for i in order),
        strike=book.strike[order],
        is_call=book.is_call[order],
        position=book.position[order],
        vol=book.vol[order],
        years=book.years[order],
        unpriced=book.unpriced,
    )
