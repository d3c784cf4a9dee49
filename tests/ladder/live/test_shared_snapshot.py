"""A view's snapshot is built and encoded once per state of the view and shared by
every socket that asks while that state is current (a web process restarted under
500 sockets is asked for 500 snapshots within seconds); a socket that joins after
the view moved gets the new state, and the deltas after any snapshot apply in order."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import pytest

from feeds.publish import updates_publish
from ladder.hub import SpotRiskRoom, Subscriber, live_hub, row_frame_cells
from ladder.hub import snapshots as snapshots_module

from .conftest import SpotRiskReader, connect, frame, spot_row, spot_update

pytestmark = pytest.mark.django_db(transaction=True)

SOCKETS = 20


async def _publish(*updates) -> None:
    await asyncio.to_thread(updates_publish, list(updates))


async def _never_closed(code: int) -> None:  # pragma: no cover - not expected
    raise AssertionError(f"closed with {code}")


def _snapshot(subscriber: Subscriber) -> tuple[str, dict[str, Any]]:
    """The snapshot queued for a subscriber (health frames skipped): its text, parsed."""
    queued = [subscriber.queue.get_nowait() for _ in range(subscriber.queue.qsize())]
    [text] = [t for t in queued if t.startswith('{"type":"snapshot"')]
    return text, json.loads(text)


@pytest.fixture
def builds(monkeypatch) -> dict[str, int]:
    """How often the spot-risk view built its snapshot data, and how often a
    snapshot's rows were encoded to JSON."""
    counts = {"data": 0, "encoded": 0}
    build, encode = SpotRiskRoom.snapshot_data, snapshots_module.encode

    async def counted_build(self: SpotRiskRoom) -> dict[str, Any] | None:
        counts["data"] += 1
        return await build(self)

    def counted_encode(frame: Any) -> str:
        if isinstance(frame, dict) and ("rows" in frame or "rows" in (frame.get("data") or {})):
            counts["encoded"] += 1
        return encode(frame)

    monkeypatch.setattr(SpotRiskRoom, "snapshot_data", counted_build)
    monkeypatch.setattr(snapshots_module, "encode", counted_encode)
    return counts


async def _watching(trader) -> tuple[Any, SpotRiskReader]:
    """A trader's socket on spot risk with two rows delivered (seq 1)."""
    ws = await connect("/ws/spot-risk/", trader)
    reader = SpotRiskReader()
    reader.rows(await frame(ws))
    await _publish(spot_update(1, {"K1": spot_row("K1", "1.1"), "K2": spot_row("K2", "2.2")}))
    delta = await frame(ws)
    assert delta["seq"] == 1
    reader.rows(delta)
    return ws, reader


async def test_sockets_joining_a_view_share_one_snapshot_built_and_encoded_once(
    stack, trader, live_settings, builds
) -> None:
    ws, _ = await _watching(trader)
    before = dict(builds)

    joining = [Subscriber(close=_never_closed) for _ in range(SOCKETS)]
    for subscriber in joining:
        await live_hub().subscribe("spot-risk", subscriber)

    assert builds["data"] - before["data"] == 1
    assert builds["encoded"] - before["encoded"] == 1
    snapshots = [_snapshot(subscriber)[1] for subscriber in joining]
    assert {s["seq"] for s in snapshots} == {1}  # the view's seq: deltas from 2 apply
    assert all(s["data"] == snapshots[0]["data"] for s in snapshots)
    rows = SpotRiskReader().rows(snapshots[0])
    assert rows == {"K1": row_frame_cells(spot_row("K1", "1.1")),
                    "K2": row_frame_cells(spot_row("K2", "2.2"))}  # fmt: skip
    await ws.disconnect()


async def test_a_shared_snapshot_is_the_frame_a_socket_always_got_with_its_own_time(
    stack, trader, live_settings
) -> None:
    ws, _ = await _watching(trader)
    first, second = Subscriber(close=_never_closed), Subscriber(close=_never_closed)
    await live_hub().subscribe("spot-risk", first)
    await asyncio.sleep(0.05)
    await live_hub().subscribe("spot-risk", second)
    (text_1, one), (text_2, two) = _snapshot(first), _snapshot(second)

    # every field, in the order the page and the drill clients read them (type, seq first)
    assert list(one) == ["type", "view", "seq", "version", "data", "feeds", "server_time"]
    assert one["type"] == "snapshot"
    assert one["view"] == "spot-risk"
    assert one["version"] == "20250721T203001|x|k1"
    assert one["feeds"]["spot-risk"]["ingested_at"] > 0
    # the page checks its clock against server_time: each socket's is the moment it is sent
    assert two["server_time"] - one["server_time"] >= 0.04
    assert abs(two["server_time"] - time.time()) < 1.0
    assert text_1.index('"data":') == text_2.index('"data":')
    await ws.disconnect()


async def test_deltas_after_a_shared_snapshot_apply_in_order_and_a_later_socket_gets_the_new_state(
    stack, trader, live_settings
) -> None:
    first, first_reader = await _watching(trader)
    joined = [await connect("/ws/spot-risk/", trader) for _ in range(3)]
    readers = [SpotRiskReader() for _ in joined]
    for ws, reader in zip(joined, readers, strict=True):
        snapshot = await frame(ws)
        assert snapshot["type"] == "snapshot"
        assert snapshot["seq"] == 1
        reader.rows(snapshot)

    await _publish(spot_update(2, {"K1": spot_row("K1", "3.3"), "K3": spot_row("K3", "4.4")}))
    sent = await frame(first)
    assert sent["seq"] == 2
    expected = first_reader.rows(sent)
    for ws, reader in zip(joined, readers, strict=True):
        delta = await frame(ws)
        assert delta["seq"] == 2  # the snapshot's seq + 1: applied, no gap
        assert reader.rows(delta) == expected

    # the view moved: a socket joining now gets the new state, not the shared old one
    later = await connect("/ws/spot-risk/", trader)
    snapshot = await frame(later)
    assert snapshot["seq"] == 2
    rows = SpotRiskReader().rows(snapshot)
    assert rows["K1"] == row_frame_cells(spot_row("K1", "3.3"))
    assert rows["K3"] == row_frame_cells(spot_row("K3", "4.4"))
    for ws in [first, *joined, later]:
        await ws.disconnect()


async def test_a_change_no_delta_shows_still_reaches_the_next_snapshot(
    stack, trader, live_settings
) -> None:
    """A theo's seventh decimal moves no shown cell (no delta: the seq and the version
    stay), but a snapshot is exact: one shared before the move must not be handed
    out after it."""
    ws, _ = await _watching(trader)
    await _publish(spot_update(2, {"K1": {**spot_row("K1", "1.1"), "theo": "1.1234561"}}))
    assert (await frame(ws))["seq"] == 2
    before = Subscriber(close=_never_closed)
    await live_hub().subscribe("spot-risk", before)
    assert _snapshot(before)[1]["seq"] == 2

    moved = {**spot_row("K1", "1.1"), "theo": "1.1234562"}
    # another group of the same file (its version), folded in after the file's frame
    late_part = spot_update(3, {"K1": moved}, group="DEC25")
    await _publish({**late_part, "seq": 1, "version": spot_update(2, {})["version"]})
    view = live_hub().views["spot-risk"]
    deadline = time.monotonic() + 5
    while view.rows["K1"].get("theo") != "1.1234562":  # type: ignore[attr-defined]
        assert time.monotonic() < deadline, "the update never reached the view"
        await asyncio.sleep(0.01)

    after = Subscriber(close=_never_closed)
    await live_hub().subscribe("spot-risk", after)
    snapshot = _snapshot(after)[1]
    assert snapshot["seq"] == 2  # nothing shown changed: no delta was sent
    row = SpotRiskReader().rows(snapshot)["K1"]
    assert row is not None
    assert row["theo"] == row_frame_cells(moved)["theo"]
    assert row_frame_cells(moved)["theo"][1] == "1.1234562"
    await ws.disconnect()
