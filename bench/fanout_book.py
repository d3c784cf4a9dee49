"""``bench.fanout --book``: the fan-out with the whole book live beside it.

The spot-risk clients are measured as without it; what ``--book`` adds is the
work a trading desk's web process does besides: a ladder socket (whole-book
columns) and a risk-slide socket (129 price rows x 5 vol shifts, the issue 14
grid) are open, and the state store holds what they need (a TT future position,
its instrument file, the vtexp of the options' expiries, the future's Actant row
and 500 options with a position), so every published spot-risk update makes the
hub recompute the ladder and the slide (once each, in the web process) while it
fans the spot-risk deltas out to the clients. The bench writes each update's
rows into the state store before it publishes them, as the worker does, so the
book moves and the ladder and slide frames carry changes.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

INSTRUMENT = "8092262517946017060"
FUTURE_KEY = "XCME.ZN.SEP25"
EXTRA_EXPIRY = "SEP25"
EXTRA_OPTIONS = 400  # with the bench's 100 options with a position: a 500-option book
LADDER_QUERY = ""  # the page's default: 40 ticks each side, the whole-book columns
SLIDE_QUERY = "moves=64&step=1"  # 129 price rows x the 5 default vol shifts


def book_state_seed(*, expiries: dict[str, float]) -> None:
    """The TT, vtexp and Actant state the ladder and slide views need (see above)."""
    from feeds.records import Feed
    from feeds.state_store import key
    from lib.redis_clients import state_store

    store = state_store()
    position = {
        "instrument_id": INSTRUMENT,
        "account_id": "BENCH",
        "net_position": 219,
        "sod_net_position": 200,
        "open_avg_price": "111.1",
        "pnl": "1000",
        "realized_pnl": "0",
        "pnl_price": "111.15625",
        "pnl_price_type": "1",
    }
    instrument = {
        "instrument_id": INSTRUMENT,
        "alias": "ZN Sep25",
        "product_symbol": "ZN",
        "term": "Sep25",
        "tick_size": "0.015625",
        "tick_value": "15.625",
        "point_value": "1000",
        "actant_future_key": FUTURE_KEY,
    }
    vtexp = {e: {"expiry": e, "days": days} for e, days in expiries.items()}
    rows = {FUTURE_KEY: _future_row(), **_extra_options()}
    store.hset(key(Feed.TT_POSITIONS, "rows"), f"{INSTRUMENT}:BENCH", json.dumps(position))
    store.hset(key(Feed.TT_INSTRUMENTS, "rows"), INSTRUMENT, json.dumps(instrument))
    store.hset(key(Feed.VTEXP, "rows"), mapping={e: json.dumps(r) for e, r in vtexp.items()})
    store.hset(key(Feed.SPOT_RISK, "rows"), mapping={k: json.dumps(r) for k, r in rows.items()})


def book_rows_write(changed: dict[str, dict[str, Any]]) -> None:
    """An update's rows into the state store, before it is published (as the worker)."""
    from feeds.records import Feed
    from feeds.state_store import key
    from lib.redis_clients import state_store

    state_store().hset(
        key(Feed.SPOT_RISK, "rows"), mapping={k: json.dumps(r) for k, r in changed.items()}
    )


def _future_row() -> dict[str, Any]:
    return {
        "key": FUTURE_KEY,
        "itype": "F",
        "product": "ZN",
        "expiry": None,
        "strike": None,
        "bid": "111.15625",
        "ask": "111.171875",
        "position": 0,
        "greeks": None,
    }


def _extra_options() -> dict[str, dict[str, Any]]:
    rows = {}
    for i in range(EXTRA_OPTIONS):
        strike = 108 + (i // 2) % 25 * 0.25
        itype = "C" if i % 2 == 0 else "P"
        key = f"XCME.OZN.{EXTRA_EXPIRY}.{strike:.2f}.{itype}.{i}"
        rows[key] = {
            "key": key,
            "itype": itype,
            "product": "OZN",
            "expiry": EXTRA_EXPIRY,
            "strike": f"{strike:.2f}",
            "bid": "0.5",
            "ask": "0.515625",
            "theo": "0.5078125",
            "position": (i % 7) - 3 or 5,
            "greeks": {"vol": 5.0 + i % 9 / 10},
        }
    return rows


def book_watchers(base_url: str, origin: str, cookie: str, stop: Any, out: Any) -> None:
    """A child process: one ladder and one slide socket, reading until ``stop``; puts
    {view: deltas received} (and any error frame) on ``out``."""
    out.put(asyncio.run(_watch(base_url, origin, cookie, stop)))


async def _watch(base_url: str, origin: str, cookie: str, stop: Any) -> dict[str, int]:
    from websockets.asyncio.client import connect

    counts: dict[str, int] = {"ladder": 0, "slide": 0}

    async def one(name: str, path: str) -> None:
        headers = {"Cookie": cookie}
        async with connect(
            f"{base_url}{path}",
            origin=origin,  # type: ignore[arg-type]
            additional_headers=headers,
            compression=None,
            ping_interval=None,
            max_size=2**24,
        ) as ws:
            while not stop.is_set():
                try:
                    text = await asyncio.wait_for(ws.recv(), timeout=0.5)
                except TimeoutError:
                    continue
                frame = json.loads(text)
                if frame["type"] == "delta":
                    counts[name] += 1
                elif frame["type"] == "error":  # e.g. no-data: the seeded state is wrong
                    counts[f"{name} error {frame['code']}: {frame['message']}"] = 1
                elif frame["type"] == "ping":
                    await ws.send('{"type":"pong"}')

    await asyncio.gather(
        one("ladder", f"/ws/ladder/?{LADDER_QUERY}"), one("slide", f"/ws/slide/?{SLIDE_QUERY}")
    )
    return counts
