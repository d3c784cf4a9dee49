"""Coalescing: when a view's next frame goes out, and the one delta frame it sends.

A view's updates wait a short settle, a file's last part and a spot-risk chunk
batch's last chunk, then go out as at most one frame per ``FRGM_LIVE_INTERVAL_S``,
numbered (``seq``) and serialised once for all of the view's sockets.
"""

from __future__ import annotations

import asyncio
import logging
import time

from django.conf import settings

from ladder.frames import DeltaFrame, FeedStamp
from ladder.hub.encoding import encode
from ladder.hub.view import View

log = logging.getLogger(__name__)


def flush_delay(*, view: View, now: float) -> float:
    """How long a view's pending updates wait: the settle, or the rest of its interval."""
    settle = settings.FRGM_LIVE_SETTLE_S
    interval = settings.FRGM_LIVE_INTERVAL_S
    return max(settle, view.last_flush + interval - now)


async def view_settle(*, view: View, loop: asyncio.AbstractEventLoop) -> None:
    """Wait (a little) for the rest of the files and batches the view has begun."""
    # a file's updates (one per group) go out in one frame: wait for its last part,
    # and for a chunk batch's last chunk
    view.file_give_up = loop.time() + settings.FRGM_LIVE_FILE_WAIT_S
    # batches back to back (10x) would each renew the wait: the frame waits one cap at most
    give_up = loop.time() + settings.FRGM_LIVE_BATCH_WAIT_S
    while view.waiting(now=loop.time()) and loop.time() < give_up:
        await asyncio.sleep(0.005)
    view.stop_waiting()


async def view_delta_send(
    *, view: View, loop: asyncio.AbstractEventLoop, feeds: dict[str, FeedStamp] | None = None
) -> bool:
    """Send one delta frame with everything pending for ``view``, if anything changed.

    ``feeds``: the hub's newest file per feed; the frame carries the ones the view
    shows and has not told (files that changed nothing), so no health frame follows.
    True when a frame went out.
    """
    async with view.lock:
        stamp = view.take_stamp()
        try:
            data = await view.delta_data()
        except Exception:
            log.exception("live hub: %s delta failed", view.key)
            return False
        finally:
            view.last_flush = loop.time()
            view.changes += 1  # the state a snapshot shows may have moved: build anew
        if stamp.version:
            view.version = stamp.version
        if data is None:
            return False  # its files are not told: the caller sends them as health
        told = view.told
        news = {  # files of shown feeds not told yet (they changed nothing here)
            feed: at
            for feed, stamp_ in (feeds or {}).items()
            if feed in view.shown_feeds
            and (at := stamp_["ingested_at"] or 0.0) > told.get(feed, 0.0)
        }
        for feed, ingested in [*stamp.feeds.items(), *news.items()]:
            told[feed] = max(told.get(feed, 0.0), ingested)
        shown = {*stamp.feeds, *news}
        view.seq += 1
        text = encode(
            DeltaFrame(
                type="delta",
                view=view.key,
                seq=view.seq,
                version=view.version,
                data=data,
                # never older than what the view told already (a health frame may
                # have told a newer file of the feed while this frame waited)
                feeds={feed: told[feed] for feed in sorted(shown)},
                s3_event_time=stamp.s3_event_time,
                ingested_at=stamp.ingested_at,
                server_time=time.time(),
            )
        )
        for subscriber in view.subscribers:
            subscriber.offer(text)
        return True
