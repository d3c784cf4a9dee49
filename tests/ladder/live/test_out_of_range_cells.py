"""Over the websocket, a number out of range in the state store is what the page shows:
a dash whose tone says "out of range" (live.js turns it into the same note)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from frgm_site.asgi import application  # noqa: F401 - the app under test
from ladder.frames import cell_unpack
from tests.feeds.ingest.conftest import (
    ORDERS_KEY,
    POSITIONS_KEY,
    SPOT_KEY,
    VTEXP_KEY,
    sample,
)
from tests.ladder.pages.test_out_of_range_values import BAD, FUTURE, rows_tamper

from .conftest import SpotRiskReader, connect, frame

pytestmark = pytest.mark.django_db(transaction=True)

INSTRUMENT = "8092262517946017060"
OUT_OF_RANGE_CELL = ["—", "", "muted out-of-range"]


async def _ingest(feed_queue, *files: tuple[str, bytes]) -> None:
    for key, body in files:
        await sync_to_async(feed_queue.put)(key, body)
    assert all(await sync_to_async(feed_queue.drain)())


async def test_a_spot_risk_cell_out_of_range_is_a_dash_over_the_socket(
    feed_queue, trader, live_settings
) -> None:
    await _ingest(
        feed_queue,
        (VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv")),
        (SPOT_KEY, sample("actant/bav_analysis_20250721_203007.csv")),
    )
    await sync_to_async(rows_tamper)(
        "spot-risk", lambda r: r["key"] == FUTURE, bid=BAD["1e308"], ask=BAD["5,000 digits"]
    )
    ws = await connect("/ws/spot-risk/", trader)
    snapshot = await frame(ws)
    assert snapshot["type"] == "snapshot"
    future = SpotRiskReader().rows(snapshot)[FUTURE]
    assert future is not None
    assert future["bid"] == OUT_OF_RANGE_CELL
    assert future["ask"] == OUT_OF_RANGE_CELL
    assert future["key"][0] == FUTURE  # the rest of the row stands
    await ws.disconnect()


async def test_a_ladder_header_value_out_of_range_is_a_dash_over_the_socket(
    feed_queue, trader, live_settings
) -> None:
    await _ingest(
        feed_queue,
        (POSITIONS_KEY, sample("tt/positions_response.json")),
        (ORDERS_KEY, sample("tt/working_orders_response.json")),
    )
    await sync_to_async(rows_tamper)(
        "tt-positions", lambda r: r["instrument_id"] == INSTRUMENT, pnl=BAD["NaN"]
    )
    ws = await connect(f"/ws/ladder/?instrument={INSTRUMENT}&ticks=20", trader)
    snapshot = await frame(ws)
    assert snapshot["type"] == "snapshot"
    header = snapshot["data"]["header"]
    assert cell_unpack(header["tt_pnl"]) == OUT_OF_RANGE_CELL
    assert header["position"][1] == "219"
    assert len(snapshot["data"]["rows"]) == 41
    await ws.disconnect()
