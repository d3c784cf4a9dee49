"""The ladder's whole-book cells over the websocket: a spot-risk file that changes only
an option's position moves options P&L, book P&L and book delta (no reload)."""

from __future__ import annotations

import pytest
from asgiref.sync import sync_to_async

from frgm_site.asgi import application  # noqa: F401 - the app under test
from tests.feeds.ingest.conftest import ORDERS_KEY, POSITIONS_KEY, SPOT_KEY, VTEXP_KEY, sample
from tests.ladder.book.conftest import POSITIONS, spot_risk_with_positions
from tests.ladder.pages.conftest import INSTRUMENT
from tests.ladder.pages.test_spot_from_actant import sep25_instrument

from .conftest import connect, frame

pytestmark = pytest.mark.django_db(transaction=True)

LATER_SPOT = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203107.csv"


async def _ingest(feed_queue, *files: tuple[str, bytes]) -> None:
    for key, body in files:
        await sync_to_async(feed_queue.put)(key, body)
    assert all(await sync_to_async(feed_queue.drain)())


async def test_an_option_position_moves_the_book_cells(feed_queue, trader, live_settings) -> None:
    await _ingest(
        feed_queue,
        (VTEXP_KEY, sample("actant/vtexp_20250721_203256.csv")),
        (f"tt/instruments/instrument_{INSTRUMENT}.json", sep25_instrument()),
    )
    await _ingest(
        feed_queue,
        (SPOT_KEY, spot_risk_with_positions(POSITIONS)),
        (POSITIONS_KEY, sample("tt/positions_response.json")),
        (ORDERS_KEY, sample("tt/working_orders_response.json")),
    )
    ws = await connect(f"/ws/ladder/?instrument={INSTRUMENT}&ticks=20", trader)
    snapshot = await frame(ws)
    row = snapshot["data"]["rows"]["111.40625"]
    assert float(row["options_pnl"][1]) == pytest.approx(21_466.82, abs=1.0)

    await _ingest(feed_queue, (LATER_SPOT, spot_risk_with_positions({})))  # options closed
    delta = await frame(ws)
    assert delta["type"] == "delta"
    cells = delta["data"]["rows"]["111.40625"]
    assert cells["options_pnl"][1] == "0"
    assert "position" not in cells  # the futures side did not move
    await ws.disconnect()
