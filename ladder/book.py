"""The whole book at other prices: options repriced at every ladder level, and the slide.

The model, stated once (docs/BOOK.md says the same in words):

- spot S is the future's mid from the newest spot-risk file (the ladder's spot);
  every option is repriced with its underlying moved by the same amount, L - S
  (a parallel shift);
- each option's vol sigma is the Bachelier implied vol of its ``ADJTHEOR`` at S,
  as the spot-risk Greeks (derived on ingest) carry it; its time T is its
  expiry's vtexp days / 252 from the newest vtexp file;
- options P&L(L) = sum of position x (V(L, K, T', sigma') - V(S, K, T, sigma)) x 1,000
  over options with a position, where a vol shift x makes sigma' = sigma (1 + x)
  and d days forward make T' = max(T - d / 252, 0) (past expiry an option is
  worth its intrinsic value);
- book delta(L) = the futures position at L + sum of position x delta(L), in contracts;
- an option with a position but no price, no vol or no vtexp is left out and
  counted (``Book.unpriced``), never silently zero.

Model values are floats (numpy, vectorised over levels x vol shifts x options):
dollars shown to the cent. Pure: rows in, arrays out.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.special import ndtr

POINT_VALUE = 1000.0  # ZN: dollars per point per contract
TRADING_DAYS_PER_YEAR = 252.0
_INV_SQRT_2PI = 1.0 / np.sqrt(2.0 * np.pi)

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
    keys: list[str] = []
    expiries: list[str] = []
    values: list[tuple[float, bool, float, float, float]] = []
    unpriced: list[str] = []
    for row in spot_rows.values():
        if row.get("itype") not in {"C", "P"}:
            continue
        position = _number(row.get("position"))
        if not position:
            continue
        key = str(row.get("key"))
        vol = _number((row.get("greeks") or {}).get("vol"))
        days = _number(vtexp_days.get(str(row.get("expiry") or "")))
        strike = _number(row.get("strike"))
        if vol is None or vol <= 0 or days is None or days <= 0 or strike is None:
            unpriced.append(key)
            continue
        keys.append(key)
        expiries.append(str(row.get("expiry")))
        values.append((strike, row["itype"] == "C", position, vol, days / TRADING_DAYS_PER_YEAR))
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


def _values_and_deltas(
    forward: FloatArray, strike: FloatArray, spread: FloatArray, is_call: np.ndarray
) -> tuple[FloatArray, FloatArray]:
    """Bachelier value and delta, broadcast; a zero spread is the intrinsic value.

    Written for the grid's ~300k cells: one ndtr, one exp, and parity for puts
    (no discounting: P = C - (F - K), put delta = call delta - 1).
    """
    diff = np.subtract(forward, strike)
    live = spread > 0
    safe = np.where(live, spread, 1.0)
    d = diff / safe
    call_delta = ndtr(d)
    density = np.exp(-0.5 * d * d)
    density *= _INV_SQRT_2PI
    value = diff * call_delta
    value += safe * density
    if not live.all():  # expired (days forward): the intrinsic value, a 0/1 delta
        value = np.where(live, value, np.maximum(diff, 0.0))
        call_delta = np.where(live, call_delta, (diff > 0).astype(np.float64))
    value -= np.where(is_call, 0.0, diff)
    call_delta -= np.where(is_call, 0.0, 1.0)
    return value, call_delta


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
    """Options P&L and delta at every level x relative vol shift, ``days_forward`` ahead."""
    levels_a = np.asarray(levels, dtype=np.float64)
    shifts = np.asarray(vol_shifts, dtype=np.float64)
    shape = (levels_a.size, shifts.size)
    if book.size == 0:
        zeros = np.zeros(shape)
        return Slide(levels_a, shifts, zeros, zeros.copy(), {})
    base_value, _ = _values_and_deltas(
        np.full(book.size, book.spot), book.strike, book.vol * np.sqrt(book.years), book.is_call
    )
    years = np.maximum(book.years - days_forward / TRADING_DAYS_PER_YEAR, 0.0)
    spread = (book.vol[None, :] * (1.0 + shifts[:, None])) * np.sqrt(years)[None, :]  # (v, n)
    value, delta = _values_and_deltas(
        levels_a[:, None, None], book.strike, spread[None, :, :], book.is_call
    )  # (m, v, n)
    value -= base_value
    dollars = book.position * POINT_VALUE
    expiry_pnl: dict[str, FloatArray] = {}
    if by_expiry:
        names = list(dict.fromkeys(book.expiries))
        one_hot = np.zeros((book.size, len(names)))
        one_hot[np.arange(book.size), [names.index(e) for e in book.expiries]] = 1.0
        per_expiry = value @ (one_hot * dollars[:, None])  # (m, v, expiries)
        expiry_pnl = {name: per_expiry[:, :, i] for i, name in enumerate(names)}
    return Slide(
        levels=levels_a,
        vol_shifts=shifts,
        pnl=value @ dollars,
        delta=delta @ book.position,
        pnl_by_expiry=expiry_pnl,
    )
