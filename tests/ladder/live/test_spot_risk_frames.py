"""Spot-risk frames stay small: a chunk batch is one frame, cells are packed, and a
delta carries numbers as the page shows them. A batch that misses a chunk is not
held: it goes out with what arrived, marked incomplete."""

from __future__ import annotations

import asyncio
import json
import time

import pytest
from django.test import override_settings

from feeds.publish import updates_publish
from ladder.frames import cell_pack, cell_unpack
from ladder.hub import row_frame_cells
from tests.ladder.pages.conftest import desk  # noqa: F401 - fixture

from .conftest import SpotRiskReader, connect, frame, frames_for, spot_row, spot_update

pytestmark = pytest.mark.django_db(transaction=True)
BATCH = "actant/spot-risk/2025-07-21/bav_analysis_20250721_203012"


def _chunk(seq: int, chunk: int, chunks: int, row_key: str) -> dict:
    """Chunk ``chunk`` of ``chunks`` of one batch, as ``feeds.publish.updates_build`` sends it."""
    update = spot_update(seq, {row_key: spot_row(row_key, "1.5")}, group=f"G{chunk}")
    update["key"] = f"{BATCH}_chunk_{chunk:02d}_of_{chunks:02d}.csv"
    update["file_time"] = "2025-07-21T20:30:12-05:00"  # the batch's stamp, 20250721_203012
    update["chunk"], update["chunks"] = chunk, chunks
    return update


async def _publish(*updates) -> None:
    await asyncio.to_thread(updates_publish, list(updates))


async def test_a_chunk_batch_goes_out_as_one_frame(stack, trader, live_settings) -> None:
    with override_settings(FRGM_LIVE_BATCH_WAIT_S=3.0, FRGM_LIVE_BATCH_GAP_S=1.0):
        ws = await connect("/ws/spot-risk/", trader)
        reader = SpotRiskReader()
        reader.rows(await frame(ws))
        await _publish(_chunk(1, 1, 2, "K1"))
        assert await frames_for(ws, 0.4) == []  # chunk 2 of the batch is still coming
        await _publish(_chunk(1, 2, 2, "K2"))
        delta = await frame(ws)
        assert delta["seq"] == 1
        assert sorted(reader.rows(delta)) == ["K1", "K2"]
        assert delta["data"]["batch"] is None  # complete: nothing to mark
        assert await frames_for(ws, 0.3) == []
        await ws.disconnect()


async def test_a_batch_missing_a_chunk_goes_out_at_once_marked_incomplete(
    stack, trader, live_settings
) -> None:
    with override_settings(FRGM_LIVE_BATCH_WAIT_S=1.0, FRGM_LIVE_BATCH_GAP_S=0.1):
        ws = await connect("/ws/spot-risk/", trader)
        reader = SpotRiskReader()
        reader.rows(await frame(ws))
        loop = asyncio.get_running_loop()
        sent_at = loop.time()
        await _publish(_chunk(1, 1, 3, "K1"), _chunk(1, 3, 3, "K3"))  # chunk 2 never comes
        delta = await frame(ws, timeout=3)
        # not held for the batch wait (1 s): out once no chunk came for the gap
        assert loop.time() - sent_at < 0.5
        assert sorted(reader.rows(delta)) == ["K1", "K3"]
        assert delta["data"]["batch"] == {
            "name": "2025-07-21T20:30:12-05:00",  # the batch: its chunks' file time
            "arrived": 2,
            "chunks": 3,
        }
        # the late chunk is shown at once too, and completes the batch: the mark clears
        await _publish(_chunk(2, 2, 3, "K2"))
        late_at = loop.time()
        late = await frame(ws, timeout=3)
        assert sorted(reader.rows(late)) == ["K2"]
        assert late["data"]["batch"] is None
        assert loop.time() - late_at < 0.5
        await ws.disconnect()


async def test_a_newer_batch_releases_the_one_missing_a_chunk(stack, trader, live_settings) -> None:
    with override_settings(FRGM_LIVE_BATCH_WAIT_S=3.0, FRGM_LIVE_BATCH_GAP_S=3.0):
        ws = await connect("/ws/spot-risk/", trader)
        reader = SpotRiskReader()
        reader.rows(await frame(ws))
        await _publish(_chunk(1, 1, 2, "K1"))  # its chunk 2 never comes
        newer = _chunk(2, 1, 1, "N1")
        newer["key"] = BATCH.replace("203012", "203014") + "_chunk_01_of_01.csv"
        newer["file_time"] = "2025-07-21T20:30:14-05:00"  # what the worker parsed from the key
        loop = asyncio.get_running_loop()
        sent_at = loop.time()
        await _publish(newer)
        seen = sorted(key for delta in await frames_for(ws, 0.5) for key in reader.rows(delta))
        assert seen == ["K1", "N1"]
        assert loop.time() - sent_at < 1.0
        await ws.disconnect()


async def test_a_late_chunk_that_changes_nothing_still_clears_the_mark(
    stack, trader, live_settings
) -> None:
    from feeds.messages import FeedFile

    with override_settings(FRGM_LIVE_BATCH_WAIT_S=1.0, FRGM_LIVE_BATCH_GAP_S=0.1):
        ws = await connect("/ws/spot-risk/", trader)
        reader = SpotRiskReader()
        reader.rows(await frame(ws))
        await _publish(_chunk(1, 1, 2, "K1"))
        first = await frame(ws, timeout=3)
        assert first["data"]["batch"]["arrived"] == 1
        same = FeedFile(
            type="feed.file",
            feed="spot-risk",
            key=f"{BATCH}_chunk_02_of_02.csv",
            status="applied",
            updates=0,  # its rows were as they were: no FeedUpdate
            file_time="2025-07-21T20:30:12-05:00",  # the batch's stamp, as the worker parsed it
            s3_event_time=None,
            ingested_at=time.time(),
            chunk=2,
            chunks=2,
        )
        await asyncio.to_thread(updates_publish, [], landed=same)
        cleared = await frame(ws, timeout=3)
        assert cleared["data"] == {"rows": {}, "totals": {}, "batch": None}
        await ws.disconnect()


def _sample_cells() -> list[list[str]]:
    from feeds.records import Feed
    from feeds.selectors import latest_rows

    rows = latest_rows(feed=Feed.SPOT_RISK)
    return [cell for row in rows.values() for cell in row_frame_cells(row).values()]


@pytest.mark.usefixtures("desk")
def test_a_packed_cell_unpacks_to_the_same_cell() -> None:
    cells = _sample_cells()
    packed = [cell_pack(cell) for cell in cells]
    assert [cell_unpack(p) for p in packed] == cells
    # the sample's cells: a third smaller, nothing lost (46 % are their text alone)
    assert len(json.dumps(packed)) < 0.7 * len(json.dumps(cells))


@pytest.mark.parametrize(
    ("cell", "in_a_delta"),
    [
        (["1,011.44", "1011.440476", ""], "1,011.44"),  # an IV: the value shown
        (["-0.9116", "-0.91155009", ""], "-0.9116"),  # a Greek
        (["110'040", "110.125", ""], ["110'040", "110.125"]),  # 32nds: the exact price
        (["0'29.71", "0.9283016", ""], ["0'29.71", "0.9283016"]),  # a theo off the grid
        (["+219", "219", "num-pos"], ["+219", "219", "num-pos"]),  # a tone of its own
        (["—", "", "muted"], "—"),
        (["", "0"], ["", "0"]),
    ],
)
def test_a_delta_cell_carries_the_number_shown(cell, in_a_delta) -> None:
    cell = [*cell, ""][:3]
    assert cell_pack(cell, shown=True) == in_a_delta
    assert cell_unpack(in_a_delta)[0] == cell[0]
    assert cell_unpack(in_a_delta)[2] == cell[2]


async def test_batches_back_to_back_do_not_hold_the_page_past_the_batch_wait(
    stack, trader, live_settings
) -> None:
    """Each new batch would renew the wait: a stream of them (10x the desk's rate)
    still shows a frame within one batch wait."""
    with override_settings(FRGM_LIVE_BATCH_WAIT_S=0.4, FRGM_LIVE_BATCH_GAP_S=0.3):
        ws = await connect("/ws/spot-risk/", trader)
        reader = SpotRiskReader()
        reader.rows(await frame(ws))
        loop = asyncio.get_running_loop()
        started = loop.time()

        async def stream() -> None:
            for n in range(20):  # 2 s of batches, each missing its third chunk
                for chunk in (1, 2):
                    update = _chunk(n + 1, chunk, 3, f"S{n}-{chunk}")
                    update["key"] = update["key"].replace("203012", f"2031{n:02d}")
                    await _publish(update)
                    await asyncio.sleep(0.05)

        streaming = asyncio.create_task(stream())
        first = await frame(ws, timeout=3)
        assert loop.time() - started < 1.0
        assert first["data"]["batch"]["chunks"] == 3
        await streaming
        await ws.disconnect()
