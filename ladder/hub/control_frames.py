"""Control frames: pings (and closing the silent sockets), and feed health."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable

from django.conf import settings

from ladder.frames import CLOSE_IDLE, FeedStamp, HealthFrame, PingFrame
from ladder.hub.encoding import encode
from ladder.hub.view import View


def heartbeat_send(*, views: Iterable[View]) -> None:
    """Ping every socket; close the ones silent past ``FRGM_LIVE_IDLE_S``."""
    idle_s = settings.FRGM_LIVE_IDLE_S
    now = time.monotonic()
    text = encode(PingFrame(type="ping", server_time=time.time()))
    for view in views:
        for subscriber in list(view.subscribers):
            if subscriber.closing:
                continue
            if now - subscriber.last_seen > idle_s:
                subscriber.closing = True
                asyncio.create_task(subscriber.close(CLOSE_IDLE))  # noqa: RUF006
            else:
                subscriber.offer_control(text)


def health_send(*, views: Iterable[View], feeds: dict[str, FeedStamp]) -> None:
    """Tell each view's sockets about files their deltas did not tell them of.

    A file that changed nothing sends no delta, yet it proves the feed alive;
    a file that did change something was in a delta (``feeds``) already.
    """
    now = time.time()
    for view in views:
        news = {
            feed: stamp
            for feed, stamp in feeds.items()
            if feed in view.shown_feeds and (stamp["ingested_at"] or 0.0) > view.told.get(feed, 0.0)
        }
        if not news or not view.subscribers:
            continue
        for feed, stamp in news.items():
            view.told[feed] = stamp["ingested_at"] or 0.0
        text = encode(HealthFrame(type="health", feeds=news, server_time=now))
        for subscriber in view.subscribers:
            subscriber.offer_control(text)
