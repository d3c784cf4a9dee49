"""Live push tests: the real ASGI app, the real Redis channel layer, session cookies."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.contrib.auth.models import User
from django.test import Client, override_settings

from feeds.messages import FeedUpdate
from frgm_site.asgi import application
from tests.feeds.ingest.conftest import FeedQueue, feed_queue  # noqa: F401 - fixture

SAME_ORIGIN = (b"origin", b"http://127.0.0.1:8000")
FAST = {
    "FRGM_LIVE_SETTLE_S": 0.02,
    "FRGM_LIVE_INTERVAL_S": 0.05,
    "FRGM_LIVE_HEALTH_S": 0.5,
    "FRGM_LIVE_PING_S": 30.0,
    "FRGM_LIVE_IDLE_S": 90.0,
}


@pytest.fixture
def live_settings() -> Iterator[dict[str, float]]:
    """Short coalescing windows so tests run fast; a test may override more."""
    with override_settings(**FAST):
        yield FAST


@pytest.fixture(autouse=True)
def _hub_stopped(live_hub_stopped: None) -> None:
    """Every live test stops its hub before its event loop closes."""


@sync_to_async
def session_cookie(user: User) -> bytes:
    client = Client()
    client.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


async def connect(path: str, user: User | None) -> WebsocketCommunicator:
    headers = [SAME_ORIGIN]
    if user is not None:
        headers.append((b"cookie", await session_cookie(user)))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, _ = await communicator.connect(timeout=5)
    assert connected
    return communicator


async def frame(
    communicator: WebsocketCommunicator,
    *,
    kinds: tuple[str, ...] = ("snapshot", "delta", "resync", "error"),
    timeout: float = 5.0,
) -> dict[str, Any]:
    """The next frame of one of ``kinds`` (health and ping frames are skipped)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        # receive_output(timeout=...) would cancel the application on a timeout: poll instead
        if communicator.output_queue.empty():
            if communicator.future.done():
                communicator.future.result()  # the consumer crashed: raise its error
                raise AssertionError("the consumer has finished")
            if loop.time() > deadline:
                raise TimeoutError(f"no {kinds} frame within {timeout} s")
            await asyncio.sleep(0.005)
            continue
        output = await communicator.receive_output()
        if output["type"] == "websocket.close":
            return {"type": "close", "code": output.get("code")}
        assert output["type"] == "websocket.send", output
        parsed = json.loads(output["text"])
        if parsed["type"] in kinds:
            return parsed


async def frames_for(
    communicator: WebsocketCommunicator,
    seconds: float,
    *,
    kinds: tuple[str, ...] = ("delta", "resync"),
) -> list[dict[str, Any]]:
    """Every frame of ``kinds`` arriving within ``seconds``."""
    collected = []
    while True:
        try:
            collected.append(await frame(communicator, kinds=kinds, timeout=seconds))
        except TimeoutError:
            return collected


def spot_update(seq: int, changed: dict[str, Any], *, group: str = "SEP25") -> FeedUpdate:
    import time

    return FeedUpdate(
        type="feed.update",
        feed="spot-risk",
        group=group,
        seq=seq,
        version=f"20250721T2030{seq:02d}|x|k{seq}",
        key=f"actant/spot-risk/k{seq}.csv",
        changed=changed,
        file_time=None,
        s3_event_time="2025-07-21T20:30:07+00:00",
        ingested_at=time.time(),
    )


def spot_row(key: str, bid: str, itype: str = "C") -> dict[str, Any]:
    return {
        "key": key,
        "itype": itype,
        "product": "OZN",
        "expiry": "SEP25",
        "strike": "110.25",
        "bid": bid,
        "ask": None,
        "theo": None,
        "iv_bid": None,
        "iv_ask": None,
        "iv_avg": None,
        "position": 0,
        "greeks": None,
    }


class SpotRiskReader:
    """Reads packed spot-risk frames back as the browser does: rows by instrument key,
    cells by column name, each cell ``[text, value, css]`` (``ladder/frames.py``)."""

    def __init__(self) -> None:
        self.columns: list[str] = []
        self.keys: dict[str, str] = {}  # row id -> instrument key

    def rows(self, received: dict[str, Any]) -> dict[str, dict[str, list[str]] | None]:
        data = received["data"]
        if received["type"] == "snapshot":
            self.columns, self.keys = data["columns"], {}
        rows: dict[str, dict[str, list[str]] | None] = {}
        for row_id, packed in data["rows"].items():
            if packed is None:
                rows[self.keys.pop(row_id)] = None
                continue
            cells = self.cells(packed)
            if isinstance(packed, list):  # a new row, its key first
                assert row_id not in self.keys, "a row id given twice"
                self.keys[row_id] = cells["key"][0]
            rows[self.keys[row_id]] = cells
        return rows

    def totals(self, received: dict[str, Any]) -> dict[str, dict[str, list[str]] | None]:
        return {
            group: None if packed is None else self.cells(packed)
            for group, packed in received["data"]["totals"].items()
        }

    def cells(self, packed: list | dict) -> dict[str, list[str]]:
        from ladder.frames import cell_unpack

        pairs = enumerate(packed) if isinstance(packed, list) else packed.items()
        return {self.columns[int(i)]: cell_unpack(cell) for i, cell in pairs}


def shown(cells: dict[str, list[str]]) -> dict[str, list[str]]:
    """Cells as a delta carries them: numbers' values as shown (``cell_pack(shown=True)``)."""
    from ladder.frames import cell_pack, cell_unpack

    return {col: cell_unpack(cell_pack(cell, shown=True)) for col, cell in cells.items()}
