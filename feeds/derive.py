"""From a parsed file to what the ladder and analytics read. Pure.

Each feed's latest state is a set of rows keyed by an id (an Actant key, a TT
instrument id, an expiry token), each row a canonical JSON text, and each row
belongs to a group (an expiry, an instrument) that browsers subscribe to.
Canonical text (sorted keys, decimals as strings) lets the state store tell a
changed row from an unchanged one by comparing strings.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any

import orjson

from feeds.greeks import greeks_from_price, vtexp_days_to_years
from feeds.records import Feed, ParsedFile, SpotRiskRow, TtOrder

POINT_VALUE = Decimal(1000)  # ZN: $1,000 a point
# A spot-risk file's metrics say so when no option could have Greeks: no future
# price or no vtexp existed yet (history marks its items for repair).
GREEKS_MISSING = "greeks_missing"


class ApplyMode(StrEnum):
    REPLACE = "replace"  # the file is the whole truth: rows it lacks are gone
    MERGE = "merge"  # the file is a part (a chunk): rows it lacks are kept


@dataclass(frozen=True)
class DerivedFile:
    feed: Feed
    mode: ApplyMode
    rows: dict[str, str]  # row id -> canonical JSON
    groups: dict[str, str]  # row id -> group
    metrics: dict[str, Any] = field(default_factory=dict)  # small numbers for the metrics item
    # Row id -> the row as the JSON values its text holds, where derive built it
    # so (spot risk: strings, numbers, None); publish sends these instead of
    # parsing ~500 texts back.
    values: dict[str, dict[str, Any]] = field(default_factory=dict)


def canonical_json(value: Any) -> str:
    """Sorted keys, no spaces, decimals as strings, dates in ISO 8601.

    orjson: every row of every file passes here (a json.dumps of a spot-risk
    row cost ~10 us, about a third of deriving a file).
    """
    return orjson.dumps(
        value, option=orjson.OPT_SORT_KEYS | orjson.OPT_PASSTHROUGH_DATETIME, default=_plain
    ).decode()


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def _dec(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


@dataclass(frozen=True)
class MarketInputs:
    """What spot-risk Greeks need from other files: the future and vtexp."""

    future_mid: Decimal | None = None
    vtexp_days: Mapping[str, Decimal] = field(default_factory=dict)
    # The position each instrument shows now, for a layout without position columns.
    positions: Mapping[str, int] = field(default_factory=dict)


def file_derive(parsed: ParsedFile, *, market: MarketInputs | None = None) -> DerivedFile:
    market = market or MarketInputs()
    if parsed.feed is Feed.SPOT_RISK:
        return _spot_risk(parsed, market)
    if parsed.feed is Feed.TT_POSITIONS:
        return _positions(parsed)
    if parsed.feed is Feed.TT_ORDERS:
        return _orders(parsed)
    if parsed.feed is Feed.VTEXP:
        rows = {
            r.expiry: canonical_json({"expiry": r.expiry, "days": r.days}) for r in parsed.vtexp
        }
        return DerivedFile(
            parsed.feed,
            ApplyMode.REPLACE,
            rows,
            dict.fromkeys(rows, "vtexp"),
            {"expiries": len(rows)},
        )
    return _instruments(parsed)


def group_of(feed: Feed, row: Mapping[str, Any]) -> str:
    """The group a row belongs to: what a browser subscribes to."""
    if feed is Feed.SPOT_RISK:
        return str(row.get("expiry") or "future")
    if feed is Feed.VTEXP:
        return "vtexp"
    return str(row.get("instrument_id") or "unknown")


def future_mid_of(rows: tuple[SpotRiskRow, ...]) -> Decimal | None:
    """The mid of the first future row with both sides (ZN trades one front future)."""
    for row in rows:
        if row.itype == "F" and row.mid is not None:
            return row.mid
    return None


def _spot_risk(parsed: ParsedFile, market: MarketInputs) -> DerivedFile:
    forward = future_mid_of(parsed.spot_risk) or market.future_mid
    forward_points = None if forward is None else float(forward)
    years = {expiry: vtexp_days_to_years(days) for expiry, days in market.vtexp_days.items()}
    rows: dict[str, str] = {}
    values: dict[str, dict[str, Any]] = {}
    groups: dict[str, str] = {}
    totals = {"delta": 0.0, "gamma": 0.0, "vega": 0.0, "theta": 0.0}
    carried = not parsed.spot_risk_positions
    for row in parsed.spot_risk:
        if row.itype == "N":
            continue  # the product row: every value INVALID, nothing to show
        if carried:
            # A 9-column file says nothing of positions: the book has not changed
            # because the feed server wrote a chunk, so the known position stands.
            row = replace(row, position=market.positions.get(row.key))
        greeks = _greeks(row, forward_points, years)
        value = values[row.key] = _spot_row(row, greeks, carried=carried)
        rows[row.key] = canonical_json(value)
        groups[row.key] = row.expiry or "future"
        _accumulate(totals, row, greeks)
    chunked = parsed.source.chunks is not None
    metrics: dict[str, Any] = {"rows": len(rows), "future_mid": forward}
    # No future or no vtexp at all yet (a new or wiped store): history marks the
    # file, and the first vtexp repairs it (feeds.self_heal.greeks_repair).
    missing = _inputs_missing(forward_points, years) and any(map(_priceable, values.values()))
    if missing:
        metrics[GREEKS_MISSING] = True
    # A chunk holds part of the book, and totals without the options' Greeks would
    # chart a false dip: neither has totals (a repair adds them).
    if not chunked and not missing:
        metrics.update({f"portfolio_{k}": round(v, 6) for k, v in totals.items()})
    return DerivedFile(
        parsed.feed,
        ApplyMode.MERGE if chunked else ApplyMode.REPLACE,
        rows,
        groups,
        metrics,
        values=values,
    )


def _greeks(
    row: SpotRiskRow, forward: float | None, years: Mapping[str, float]
) -> dict[str, float] | None:
    return _greeks_of(
        itype=row.itype,
        strike=row.strike,
        theo=row.theo,
        expiry=row.expiry,
        forward=forward,
        years=years,
    )


def _greeks_of(
    *,
    itype: str | None,
    strike: Decimal | None,
    theo: Decimal | None,
    expiry: str | None,
    forward: float | None,
    years: Mapping[str, float],
) -> dict[str, float] | None:
    """Greeks rounded to 8 places: float noise in the last digits would make
    every row look changed in every file."""
    if theo is None or forward is None or strike is None or itype not in ("C", "P"):
        return None
    to_expiry = years.get(expiry or "")
    if to_expiry is None:
        return None
    found = greeks_from_price(forward, float(strike), to_expiry, float(theo), itype == "C")
    if found is None:
        return None
    vol, delta, gamma, vega, theta = found
    return {
        "vol": round(vol, 8),
        "delta": round(delta, 8),
        "gamma": round(gamma, 8),
        "vega": round(vega, 8),
        "theta": round(theta, 8),
    }


def _accumulate(
    totals: dict[str, float], row: SpotRiskRow, greeks: dict[str, float] | None
) -> None:
    _accumulate_position(totals, itype=row.itype, position=row.position, greeks=greeks)


def _accumulate_position(
    totals: dict[str, float], *, itype: str, position: int | None, greeks: dict[str, float] | None
) -> None:
    if not position:
        return
    if itype == "F":
        totals["delta"] += position  # a future is one delta a contract
    elif greeks is not None:
        for name in totals:
            totals[name] += position * greeks[name]


def _inputs_missing(forward: float | None, years: Mapping[str, float]) -> bool:
    """No future price or no vtexp at all: no option can have Greeks."""
    return forward is None or not years


def _priceable(row: Mapping[str, Any]) -> bool:
    """An option row that would have Greeks, given the future and vtexp."""
    return (
        row.get("itype") in ("C", "P") and row.get("theo") is not None and bool(row.get("strike"))
    )


@dataclass(frozen=True)
class RegreekedRows:
    """A stored spot-risk snapshot's rows with the Greeks derive would have given them."""

    rows: dict[str, str]  # row id -> canonical JSON, as ``file_derive`` writes it
    metrics: dict[str, Any]  # what the file's metrics item would have held
    complete: bool  # False while the future or vtexp is still missing


def spot_risk_rows_regreek(
    rows: Mapping[str, Mapping[str, Any]], *, market: MarketInputs, whole: bool
) -> RegreekedRows:
    """Greeks for rows stored without them (``GREEKS_MISSING``), as ``file_derive``
    computes them: the file's own future if it has one, else ``market``'s, and
    ``market``'s vtexp. ``whole``: a file, not a chunk, so the portfolio totals too."""
    own = _stored_future_mid(rows)
    forward = own if own is not None else market.future_mid
    forward_points = None if forward is None else float(forward)
    years = {expiry: vtexp_days_to_years(days) for expiry, days in market.vtexp_days.items()}
    totals = {"delta": 0.0, "gamma": 0.0, "vega": 0.0, "theta": 0.0}
    out: dict[str, str] = {}
    for row_id, stored in rows.items():
        row = dict(stored)
        greeks = _greeks_of(
            itype=row.get("itype"),
            strike=_decimal(row.get("strike")),
            theo=_decimal(row.get("theo")),
            expiry=row.get("expiry"),
            forward=forward_points,
            years=years,
        )
        row["greeks"] = greeks
        out[row_id] = canonical_json(row)
        _accumulate_position(
            totals, itype=str(row.get("itype")), position=row.get("position"), greeks=greeks
        )
    metrics: dict[str, Any] = {"future_mid": forward}
    if whole:
        metrics.update({f"portfolio_{k}": round(v, 6) for k, v in totals.items()})
    complete = not _inputs_missing(forward_points, years)
    return RegreekedRows(out, metrics, complete)


def _stored_future_mid(rows: Mapping[str, Mapping[str, Any]]) -> Decimal | None:
    """As ``future_mid_of``, over stored rows: the first future row with both sides."""
    for row in rows.values():
        if row.get("itype") == "F" and row.get("bid") is not None and row.get("ask") is not None:
            return (Decimal(row["bid"]) + Decimal(row["ask"])) / 2
    return None


def _decimal(value: Any) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _spot_row(
    row: SpotRiskRow, greeks: dict[str, float] | None, *, carried: bool
) -> dict[str, Any]:
    return {
        "key": row.key,
        "itype": row.itype,
        "product": row.product,
        "expiry": row.expiry,
        "strike": _dec(row.strike),
        "bid": _dec(row.bid),
        "ask": _dec(row.ask),
        "theo": _dec(row.theo),
        "iv_bid": _dec(row.iv_bid),
        "iv_ask": _dec(row.iv_ask),
        "iv_avg": _dec(row.iv_avg),
        "position": row.position,
        "position_carried": carried and row.position is not None,
        "greeks": greeks,
    }


def _positions(parsed: ParsedFile) -> DerivedFile:
    rows: dict[str, str] = {}
    for p in parsed.positions:
        row_id = f"{p.instrument_id}:{p.account_id}"
        rows[row_id] = canonical_json(
            {
                "instrument_id": p.instrument_id,
                "account_id": p.account_id,
                "net_position": p.net_position,
                "sod_net_position": p.sod_net_position,
                "sod_price": p.sod_price,
                "avg_buy": p.avg_buy,
                "avg_sell": p.avg_sell,
                "open_avg_price": p.open_avg_price,
                "buy_fill_qty": p.buy_fill_qty,
                "sell_fill_qty": p.sell_fill_qty,
                "buy_working_qty": p.buy_working_qty,
                "sell_working_qty": p.sell_working_qty,
                "pnl": p.pnl,
                "realized_pnl": p.realized_pnl,
                "pnl_price": p.pnl_price,
                "pnl_price_type": p.pnl_price_type,
            }
        )
    groups = {row_id: row_id.split(":")[0] for row_id in rows}
    metrics = {
        "net_position": sum(p.net_position for p in parsed.positions),
        "pnl": sum((p.pnl for p in parsed.positions if p.pnl is not None), Decimal(0)),
        "realized_pnl": sum(
            (p.realized_pnl for p in parsed.positions if p.realized_pnl is not None), Decimal(0)
        ),
    }
    return DerivedFile(parsed.feed, ApplyMode.REPLACE, rows, groups, metrics)


def _orders(parsed: ParsedFile) -> DerivedFile:
    """Resting child orders per order id; algo parents are not resting orders."""
    resting = [o for o in parsed.orders if not o.is_algo_parent]
    rows = {o.order_id: canonical_json(_order_row(o)) for o in resting}
    groups = {o.order_id: o.instrument_id for o in resting}
    metrics = {
        "orders": len(resting),
        "buy_qty": sum(o.leaves_qty or 0 for o in resting if o.side == "buy"),
        "sell_qty": sum(o.leaves_qty or 0 for o in resting if o.side == "sell"),
    }
    return DerivedFile(parsed.feed, ApplyMode.REPLACE, rows, groups, metrics)


def _order_row(o: TtOrder) -> dict[str, Any]:
    return {
        "order_id": o.order_id,
        "parent_order_id": o.parent_order_id,
        "instrument_id": o.instrument_id,
        "account_id": o.account_id,
        "side": o.side.value,
        "order_type": o.order_type.value,
        "price": o.price,
        "stop_price": o.stop_price,
        "order_qty": o.order_qty,
        "leaves_qty": o.leaves_qty,
        "status": o.status,
        "placed_at": o.placed_at,
    }


def _instruments(parsed: ParsedFile) -> DerivedFile:
    rows = {
        i.instrument_id: canonical_json(
            {
                "instrument_id": i.instrument_id,
                "alias": i.alias,
                "name": i.name,
                "product_symbol": i.product_symbol,
                "term": i.term,
                "tick_size": i.tick_size,
                "tick_value": i.tick_value,
                "point_value": i.point_value,
                "expiration": i.expiration,
                "actant_future_key": i.actant_future_key,
            }
        )
        for i in parsed.instruments
    }
    # Instrument files arrive one instrument at a time: merge, never replace.
    return DerivedFile(
        parsed.feed, ApplyMode.MERGE, rows, {k: k for k in rows}, {"instruments": len(rows)}
    )
