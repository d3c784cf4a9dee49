"""Which position the ladder shows when nobody chose one: the future with the largest
absolute position (issue 5), never an option.

TT's positions file says nothing of what an instrument is. Two facts do:

- TT's instrument file for it (``tt/instruments/instrument_<id>.json``): its
  product and futures month, which map it to Actant's future key
  (``ZN`` + ``Sep25`` -> ``XCME.ZN.SEP25``);
- Actant's spot-risk state, which types every key: a product is a futures
  product when Actant quotes a future of it (``XCME.ZN.SEP25``, ``ITYPE`` F);
  ``OZN``, ``VY3`` ... are option products and never appear as a future.

So an instrument is a future when its TT file names a product Actant quotes as
a future; not a future when its TT file names any other product; and unknown
when its TT file has not arrived (TT sends it once, when the instrument first
appears) or Actant has quoted no future yet.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime
from enum import IntEnum
from typing import Any

from feeds.records import TtPosition


class Kind(IntEnum):
    """What a TT instrument is, in the order the default prefers them."""

    FUTURE = 0
    UNKNOWN = 1  # no TT instrument file yet, or no Actant future to compare with
    NOT_FUTURE = 2  # an option (or anything but a future): never the default


def futures_products(spot_rows: Mapping[str, Mapping[str, Any]]) -> frozenset[str]:
    """The products Actant quotes a future of (``{"ZN"}``)."""
    return frozenset(
        str(row.get("product")) for row in spot_rows.values() if row.get("itype") == "F"
    )


def instrument_kind(*, instrument: Mapping[str, Any] | None, futures: frozenset[str]) -> Kind:
    """A TT instrument's kind from its TT file (``instrument``, None when none came)."""
    if not instrument or not futures:
        return Kind.UNKNOWN
    return Kind.FUTURE if instrument.get("product_symbol") in futures else Kind.NOT_FUTURE


def default_position(
    *,
    positions: Iterable[TtPosition],
    instruments: Mapping[str, Mapping[str, Any]],
    spot_rows: Mapping[str, Mapping[str, Any]],
) -> TtPosition | None:
    """The future with the largest absolute position; None when no position may be it.

    A flat future (0) still counts: its ladder shows the orders working in it.
    When no instrument is known to be a future, the largest position whose kind
    is unknown stands in (the desk's TT files may predate the instrument's file);
    a position known not to be a future never does.
    Ties: the nearer expiry (the front month), then the lower instrument id and
    account, so every page, socket and script agrees on one.
    """
    ranked = position_order(positions=positions, instruments=instruments, spot_rows=spot_rows)
    if not ranked or ranked[0][0] is Kind.NOT_FUTURE:
        return None
    return ranked[0][1]


def position_order(
    *,
    positions: Iterable[TtPosition],
    instruments: Mapping[str, Mapping[str, Any]],
    spot_rows: Mapping[str, Mapping[str, Any]],
) -> list[tuple[Kind, TtPosition]]:
    """Every position with its kind, the default's preference first."""
    futures = futures_products(spot_rows)
    kinds = [
        (instrument_kind(instrument=instruments.get(p.instrument_id), futures=futures), p)
        for p in positions
    ]
    return sorted(
        kinds,
        key=lambda pair: (
            pair[0],
            -abs(pair[1].net_position),
            _expiry(instruments.get(pair[1].instrument_id)),
            pair[1].instrument_id,
            pair[1].account_id,
        ),
    )


def _expiry(instrument: Mapping[str, Any] | None) -> float:
    """Expiry as epoch seconds; no known expiry sorts last."""
    text = (instrument or {}).get("expiration")
    return datetime.fromisoformat(text).timestamp() if text else math.inf
