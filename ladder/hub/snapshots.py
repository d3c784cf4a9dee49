"""Snapshot frames: a socket's first frame, and its fresh start after a gap or resync."""

from __future__ import annotations

import logging
import time
from typing import Any

from ladder.frames import ErrorFrame, FeedStamp, SnapshotFrame
from ladder.hub.encoding import encode
from ladder.hub.subscriber import Subscriber
from ladder.hub.view import View
from lib.redis_clients import StateStoreUnavailable

log = logging.getLogger(__name__)


async def snapshot_queue(
    *, view: View, subscriber: Subscriber, feeds: dict[str, FeedStamp]
) -> None:
    """Replace the socket's queue by the view's snapshot (the caller holds ``view.lock``)."""
    try:
        data = await view.snapshot_data()
    except Exception as exc:
        log.warning("live hub: snapshot of %s failed: %s", view.key, exc)
        # Not the exception's text: a client's error names internal hosts and ports.
        message = (
            "the state store is unavailable; retrying"
            if isinstance(exc, StateStoreUnavailable)
            else f"{view.key}: the snapshot failed; retrying"
        )
        subscriber.restart(encode(ErrorFrame(type="error", code="unavailable", message=message)))
        return
    if data is None:
        subscriber.restart(
            encode(ErrorFrame(type="error", code="no-data", message=f"{view.key}: no data yet"))
        )
        subscriber.offer_control(snapshot_text(view=view, data=None, feeds=feeds))
        return
    subscriber.restart(snapshot_text(view=view, data=data, feeds=feeds))


def snapshot_text(*, view: View, data: dict[str, Any] | None, feeds: dict[str, FeedStamp]) -> str:
    for feed, stamp in feeds.items():
        view.told[feed] = max(view.told.get(feed, 0.0), stamp["ingested_at"] or 0.0)
    return encode(
        SnapshotFrame(
            type="snapshot",
            view=view.key,
            seq=view.seq,
            version=view.version,
            data=data,
            feeds=feeds,
            server_time=time.time(),
        )
    )
