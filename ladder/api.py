"""The JSON read API for desk scripts (``docs/API.md``): the pages' numbers as JSON.

Adapters only: parse and check the query (400 naming the parameter), call
one selector, serialise. Prices and money are decimal strings, exactly the
values the pages carry in ``data-value``. No data yet is a 404 with an
``error`` saying so; a store that cannot be reached is a 503. The ladder and
spot-risk answers are computed once per state of their feeds (``api_cache``).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.http import HttpRequest, HttpResponse, JsonResponse

from accounts.api_auth import api_error, api_role_required
from accounts.roles import Role
from feeds.history import HistoryItem, history_items
from feeds.records import Feed
from ladder.api_cache import api_answer_cached
from ladder.scenario import LadderRow
from ladder.selectors import (
    GREEKS,
    LADDER_FEEDS,
    MAX_TICKS,
    SPOT_RISK_FEEDS,
    BookRow,
    SpotRiskLine,
    Totals,
    UnknownInstrument,
    decimal_text,
    ladder_snapshot,
    spot_risk_snapshot,
)
from ladder.selectors.slide import (
    DEFAULT_MOVES,
    DEFAULT_STEP,
    DEFAULT_VOL_SHIFTS,
    SlideRow,
    slide_moves,
    slide_snapshot,
)
from lib.aws import AwsUnavailable
from lib.redis_clients import StateStoreUnavailable

DEFAULT_TICKS = 40
HISTORY_LIMIT = 100
HISTORY_MAX_LIMIT = 1000
HISTORY_KINDS = ("metrics", "snapshot")


class BadParameter(ValueError):
    def __init__(self, name: str, message: str) -> None:
        super().__init__(f"{name}: {message}")
        self.name = name


def _text(value: Decimal | None) -> str | None:
    return None if value is None else decimal_text(value)


def _when(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _int_param(request: HttpRequest, name: str, *, default: int, low: int, high: int) -> int:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise BadParameter(name, f"must be a whole number, not {raw!r}") from None
    if not low <= value <= high:
        raise BadParameter(name, f"must be between {low} and {high}, not {value}")
    return value


def _bad(exc: BadParameter) -> JsonResponse:
    return api_error(400, str(exc), parameter=exc.name)


def _unavailable(what: str) -> JsonResponse:
    return api_error(503, f"{what} is unavailable; try again shortly")


# --- /api/ladder/ ------------------------------------------------------------------------


def ladder_row_json(row: LadderRow) -> dict[str, Any]:
    return {
        "price": decimal_text(row.price),
        "display": row.display,
        "buy_qty": row.buy_qty,
        "sell_qty": row.sell_qty,
        "position": row.position,
        "pnl": decimal_text(row.pnl),
        "risk": decimal_text(row.risk),
        "breakeven": _text(row.breakeven),
    }


@api_role_required(Role.TRADER)
def ladder_api(request: HttpRequest) -> HttpResponse:
    try:
        ticks = _int_param(request, "ticks", default=DEFAULT_TICKS, low=1, high=MAX_TICKS)
        instrument = request.GET.get("instrument") or None
        if instrument is not None and not instrument.isdigit():
            raise BadParameter(
                "instrument", f"must be a TT instrument id (digits), not {instrument!r}"
            )
        return api_answer_cached(
            key=("ladder", instrument, ticks),
            feeds=LADDER_FEEDS,
            compute=lambda: ladder_body(instrument_id=instrument, ticks=ticks),
        )
    except BadParameter as exc:
        return _bad(exc)
    except UnknownInstrument as exc:
        return api_error(404, str(exc), parameter="instrument")
    except StateStoreUnavailable:
        return _unavailable("the state store")


def ladder_body(*, instrument_id: str | None, ticks: int) -> tuple[int, dict[str, Any]]:
    """/api/ladder/'s status and body, but for ``feeds`` (``api_cache`` adds them)."""
    view = ladder_snapshot(instrument_id=instrument_id, ticks=ticks)
    if view.header is None:
        return 404, {
            "error": view.message or "no data yet",
            "instruments": [
                {
                    "instrument": c.instrument_id,
                    "label": c.label,
                    "position": c.net_position,
                    "kind": c.kind,
                }
                for c in view.instruments
            ],
        }
    header = view.header
    return 200, {
        "instrument": view.instrument_id,
        "instrument_label": view.instrument_label,
        "account": header.account_id,
        "spot": _text(view.spot),
        "spot_source": view.spot_source,
        "as_of": _when(view.as_of),
        "header": {
            "position": header.net_position,
            "open_avg_price": _text(header.open_avg_price),
            "tt_pnl": _text(header.tt_pnl),
            "realized_pnl": _text(header.realized_pnl),
            "sod_position": header.sod_net_position,
            "tick_size": _text(header.tick_size),
            "tick_value": _text(header.tick_value),
            "point_value": _text(header.point_value),
        },
        "options_not_priced": {
            "count": len(view.options_not_priced),
            "keys": list(view.options_not_priced),
        },
        "rows": [
            {**ladder_row_json(row), **book_row_json(book)}
            for row, book in zip(view.rows, view.book_rows, strict=True)
        ],
    }


def book_row_json(row: BookRow) -> dict[str, Any]:
    return {
        "options_pnl": decimal_text(row.options_pnl),
        "book_pnl": decimal_text(row.book_pnl),
        "book_delta": decimal_text(row.book_delta),
    }


# --- /api/slide/ ------------------------------------------------------------------------

MAX_VOL_SHIFTS = 11
MAX_DAYS = 400.0


def _float_param(
    request: HttpRequest, name: str, *, default: float, low: float, high: float
) -> float:
    raw = request.GET.get(name)
    if raw is None or raw == "":
        return default
    try:
        value = float(raw)
    except ValueError:
        raise BadParameter(name, f"must be a number, not {raw!r}") from None
    if not low <= value <= high:  # also refuses nan
        raise BadParameter(name, f"must be between {low:g} and {high:g}, not {raw}")
    return value


def _vol_shifts_param(request: HttpRequest) -> tuple[float, ...]:
    raw = request.GET.get("vol_shifts")
    if raw is None or raw == "":
        return DEFAULT_VOL_SHIFTS
    parts = [p.strip() for p in raw.split(",")]
    if len(parts) > MAX_VOL_SHIFTS:
        raise BadParameter("vol_shifts", f"at most {MAX_VOL_SHIFTS} shifts, not {len(parts)}")
    shifts: list[float] = []
    for part in parts:
        try:
            shift = float(part)
        except ValueError:
            raise BadParameter(
                "vol_shifts", f"must be relative shifts like -0.1,0,0.1, not {part!r}"
            ) from None
        if not -0.99 <= shift <= 5.0:  # a vol cannot go to zero or below
            raise BadParameter("vol_shifts", f"each shift must be between -0.99 and 5, not {part}")
        shifts.append(shift)
    return tuple(shifts)


def slide_query(request: HttpRequest) -> dict[str, Any]:
    """The slide's parameters, checked (``BadParameter`` names the first bad one)."""
    moves = _int_param(request, "moves", default=DEFAULT_MOVES, low=1, high=MAX_TICKS)
    step = _int_param(request, "step", default=min(DEFAULT_STEP, moves), low=1, high=moves)
    by_expiry = request.GET.get("by_expiry") or "0"
    if by_expiry not in ("0", "1"):
        raise BadParameter("by_expiry", f"must be 0 or 1, not {by_expiry!r}")
    instrument = request.GET.get("instrument") or None
    if instrument is not None and not instrument.isdigit():
        raise BadParameter("instrument", f"must be a TT instrument id (digits), not {instrument!r}")
    return {
        "moves": slide_moves(moves=moves, step=step),
        "vol_shifts": _vol_shifts_param(request),
        "days": _float_param(request, "days", default=0.0, low=0.0, high=MAX_DAYS),
        "by_expiry": by_expiry == "1",
        "instrument_id": instrument,
    }


@api_role_required(Role.TRADER)
def slide_api(request: HttpRequest) -> HttpResponse:
    try:
        query = slide_query(request)
        return api_answer_cached(
            key=("slide", *sorted(query.items())),
            feeds=LADDER_FEEDS,
            compute=lambda: slide_body(**query),
        )
    except BadParameter as exc:
        return _bad(exc)
    except UnknownInstrument as exc:
        return api_error(404, str(exc), parameter="instrument")
    except StateStoreUnavailable:
        return _unavailable("the state store")


def slide_body(**query: Any) -> tuple[int, dict[str, Any]]:
    """/api/slide/'s status and body, but for ``feeds`` (``api_cache`` adds them)."""
    view = slide_snapshot(**query)
    ladder = view.ladder
    if ladder.header is None:
        return 404, {"error": ladder.message or "no data yet"}
    return 200, {
        "instrument": ladder.instrument_id,
        "instrument_label": ladder.instrument_label,
        "spot": _text(ladder.spot),
        "spot_source": ladder.spot_source,
        "centre": decimal_text(ladder.header.centre),
        "as_of": _when(ladder.as_of),
        "vol_shifts": list(view.vol_shifts),
        "days": view.days,
        "options_not_priced": {
            "count": len(view.options_not_priced),
            "keys": list(view.options_not_priced),
        },
        "rows": [slide_row_json(row, by_expiry=query["by_expiry"]) for row in view.rows],
    }


def slide_row_json(row: SlideRow, *, by_expiry: bool) -> dict[str, Any]:
    body: dict[str, Any] = {
        "move": row.move,
        "move_32nds": row.move_32nds,
        "price": decimal_text(row.price),
        "display": row.display,
        "futures_position": row.futures_position,
        "futures_pnl": decimal_text(row.futures_pnl),
        "book_pnl": [decimal_text(v) for v in row.pnl],
        "book_delta": [decimal_text(v) for v in row.delta],
    }
    if by_expiry:
        body["options_pnl_by_expiry"] = {
            e: [decimal_text(v) for v in values] for e, values in row.by_expiry.items()
        }
    return body


# --- /api/spot-risk/ ---------------------------------------------------------------------


def spot_risk_line_json(line: SpotRiskLine) -> dict[str, Any]:
    return {
        "key": line.key,
        "itype": line.itype,
        "product": line.product,
        "expiry": line.expiry,
        "strike": _text(line.strike),
        "bid": _text(line.bid),
        "ask": _text(line.ask),
        "theo": _text(line.theo),
        "iv_bid": _text(line.iv_bid),
        "iv_ask": _text(line.iv_ask),
        "iv_avg": _text(line.iv_avg),
        "position": line.position,
        "greeks": None if line.greeks is None else {k: line.greeks[k] for k in sorted(line.greeks)},
        # Fields whose stored value is out of range (null above): only when there are any.
        **({"out_of_range": sorted(line.out_of_range)} if line.out_of_range else {}),
    }


def totals_json(totals: Totals) -> dict[str, Any]:
    return {**{name: totals[name] for name in GREEKS}, "missing": totals.missing}


@api_role_required(Role.TRADER)
def spot_risk_api(request: HttpRequest) -> HttpResponse:
    expiry = request.GET.get("expiry") or None
    try:
        return api_answer_cached(
            key=("spot-risk", expiry),
            feeds=SPOT_RISK_FEEDS,
            compute=lambda: spot_risk_body(expiry=expiry),
        )
    except ValueError as exc:
        return _bad(BadParameter("expiry", str(exc)))
    except StateStoreUnavailable:
        return _unavailable("the state store")


def spot_risk_body(*, expiry: str | None) -> tuple[int, dict[str, Any]]:
    """/api/spot-risk/'s status and body, but for ``feeds`` (``api_cache`` adds them)."""
    view = spot_risk_snapshot(expiry=expiry)
    if not view.groups:
        return 404, {"error": view.message or "no data yet"}
    return 200, {
        "as_of": _when(view.as_of),
        "expiry": view.expiry,
        "expiries": list(view.expiries),
        "instruments": [
            {**spot_risk_line_json(line), "group": group.expiry}
            for group in view.groups
            for line in group.lines
        ],
        "totals": {
            "portfolio": totals_json(view.totals),
            "by_expiry": {group.expiry: totals_json(group.totals) for group in view.groups},
        },
    }


# --- /api/history/ -----------------------------------------------------------------------


def cursor_encode(sort_key: str) -> str:
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def cursor_decode(cursor: str) -> str:
    try:
        sort_key = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        sort_key = ""
    if not sort_key or cursor_encode(sort_key) != cursor:  # b64decode skips stray characters
        raise BadParameter("after", "is not a cursor this API returned")
    return sort_key


def _history_query(request: HttpRequest) -> dict[str, Any]:
    feeds = [f.value for f in Feed]
    feed = request.GET.get("feed", "")
    if feed not in feeds:
        raise BadParameter("feed", f"must be one of {', '.join(feeds)}, not {feed!r}")
    raw_day = request.GET.get("date", "")
    try:
        day = date.fromisoformat(raw_day)
    except ValueError:
        raise BadParameter("date", f"must be YYYY-MM-DD, not {raw_day!r}") from None
    kind = request.GET.get("kind") or "metrics"
    if kind not in HISTORY_KINDS:
        raise BadParameter("kind", f"must be metrics or snapshot, not {kind!r}")
    rows = request.GET.get("rows") or "0"
    if rows not in ("0", "1"):
        raise BadParameter("rows", f"must be 0 or 1, not {rows!r}")
    after = request.GET.get("after") or None
    return {
        "feed": Feed(feed),
        "day": day,
        "kind": kind,
        "rows": rows == "1",
        "after": None if after is None else cursor_decode(after),
        "limit": _int_param(request, "limit", default=HISTORY_LIMIT, low=1, high=HISTORY_MAX_LIMIT),
    }


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return decimal_text(value)
    if isinstance(value, Mapping):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    return value


def history_item_json(item: HistoryItem, *, rows: bool) -> dict[str, Any]:
    body = {"sk": item.sk, "object_key": item.object_key, **_plain(item.attributes)}
    if rows and item.rows is not None:
        body["rows"] = item.rows
    return body


@api_role_required(Role.TRADER)
def history_api(request: HttpRequest) -> JsonResponse:
    try:
        query = _history_query(request)
    except BadParameter as exc:
        return _bad(exc)
    try:
        items, last = history_items(
            feed=query["feed"],
            day=query["day"],
            metrics=query["kind"] == "metrics",
            start_after=query["after"],
            limit=query["limit"],
        )
    except AwsUnavailable:
        return _unavailable("history (DynamoDB)")
    return JsonResponse(
        {
            "feed": str(query["feed"]),
            "date": query["day"].isoformat(),
            "kind": query["kind"],
            "items": [history_item_json(item, rows=query["rows"]) for item in items],
            "next": None if last is None else cursor_encode(last),
        }
    )
