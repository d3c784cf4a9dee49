"""Publish feed updates to the channel layer: one message per changed group.

``file_updates_publish`` turns one ingested file (its derived rows and what the
compare-and-set changed) into its updates, numbers them per group and sends them.
"""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections import defaultdict
from collections.abc import Coroutine, Mapping
from typing import Any

import orjson
from channels.layers import get_channel_layer

from feeds.derive import DerivedFile, group_of
from feeds.messages import FEED_FILES_GROUP, FeedFile, FeedUpdate, feed_all_group_name
from feeds.records import FeedKey
from feeds.s3_events import ObjectEvent
from feeds.state_store import ApplyResult, group_sequences_next


def file_updates_publish(
    *,
    event: ObjectEvent,
    source: FeedKey,
    derived: DerivedFile,
    applied: ApplyResult,
    version: str,
    ingested_at: float,
) -> None:
    """Tell browsers what one file changed, and every page that shows feed ages
    that it landed: a file that changed nothing shown (or came stale) still proves
    its feed alive, and must reach them now, not at the pages' next health poll."""
    file_time = source.file_time.isoformat() if source.file_time else None
    event_time = event.event_time.isoformat() if event.event_time else None
    updates: list[FeedUpdate] = []
    if applied.status != "stale":  # stale: history has it; browsers keep the newer state
        # "same": an earlier delivery applied it but died before publishing: push again.
        changed = applied.changed if applied.status == "applied" else tuple(derived.rows)
        removed = {
            row_id: group_of(source.feed, json.loads(old))
            for row_id, old in applied.removed.items()
        }
        changes = changes_by_group(
            changed_ids=changed,
            rows=derived.rows,
            groups=derived.groups,
            removed_groups=removed,
            values=derived.values,
        )
        updates = updates_build(
            feed=source.feed,
            changes=changes,
            sequences=group_sequences_next(feed=source.feed, groups=changes),
            version=version,
            key=event.key,
            file_time=file_time,
            s3_event_time=event_time,
            ingested_at=ingested_at,
            chunk=source.chunk,
            chunks=source.chunks,
        )
    landed = FeedFile(
        type="feed.file",
        feed=source.feed,
        key=event.key,
        status=applied.status,
        updates=len(updates),
        file_time=file_time,
        s3_event_time=event_time,
        ingested_at=ingested_at,
    )
    if source.chunk is not None and source.chunks is not None:
        landed["chunk"], landed["chunks"] = source.chunk, source.chunks
    updates_publish(updates, landed=landed)


def changes_by_group(
    *,
    changed_ids: tuple[str, ...],
    rows: Mapping[str, str],
    groups: Mapping[str, str],
    removed_groups: Mapping[str, str],
    values: Mapping[str, dict[str, Any]] | None = None,
) -> dict[str, dict[str, Any]]:
    """Changed rows per group; a removed row is sent as None in its last group.

    ``values``: rows already held as plain JSON values (``DerivedFile.values``),
    sent as they are; any other row is read back from its text.
    """
    by_group: dict[str, dict[str, Any]] = defaultdict(dict)
    known = values or {}
    for row_id in changed_ids:
        value = known.get(row_id)
        by_group[groups[row_id]][row_id] = (
            value if value is not None else orjson.loads(rows[row_id])
        )
    for row_id, group in removed_groups.items():
        by_group[group][row_id] = None
    return dict(by_group)


def updates_build(
    *,
    feed: str,
    changes: Mapping[str, dict[str, Any]],
    sequences: Mapping[str, int],
    version: str,
    key: str,
    file_time: str | None,
    s3_event_time: str | None,
    ingested_at: float,
    chunk: int | None = None,
    chunks: int | None = None,
) -> list[FeedUpdate]:
    """One update per changed group; a chunk of a batch says which (``chunk`` of
    ``chunks``), so a subscriber can wait for the whole batch without reading the key."""
    ordered = sorted(changes.items())
    updates = []
    for part, (group, changed) in enumerate(ordered, start=1):
        update = FeedUpdate(
            type="feed.update",
            feed=feed,
            group=group,
            seq=sequences.get(group, 0),
            version=version,
            key=key,
            changed=changed,
            file_time=file_time,
            s3_event_time=s3_event_time,
            ingested_at=ingested_at,
            part=part,
            parts=len(ordered),
        )
        if chunk is not None and chunks is not None:
            update["chunk"], update["chunks"] = chunk, chunks
        updates.append(update)
    return updates


def updates_publish(updates: list[FeedUpdate], *, landed: FeedFile | None = None) -> None:
    """Send each update to its feed's group, where every web process's hub listens,
    and ``landed`` (the file's arrival) to ``FEED_FILES_GROUP``, in the same round."""
    if not updates and landed is None:
        return
    layer = get_channel_layer()
    if layer is None:
        return
    _on_publisher_loop(_send_all(layer, updates, landed))


PUBLISH_TIMEOUT_S = 10.0
_loop_lock = threading.Lock()
_loop: tuple[int, asyncio.AbstractEventLoop] | None = None


def _on_publisher_loop(coroutine: Coroutine[Any, Any, None]) -> None:
    """Run ``coroutine`` on this process's publisher loop and wait for it.

    One long-lived loop, not ``async_to_sync``'s thread and loop per file:
    channels-redis keeps its connections per event loop, so a fresh loop per
    file connected to Redis afresh for every file.
    """
    future = asyncio.run_coroutine_threadsafe(coroutine, _publisher_loop())
    future.result(timeout=PUBLISH_TIMEOUT_S)


def _publisher_loop() -> asyncio.AbstractEventLoop:
    global _loop
    with _loop_lock:
        # A forked child (Celery's pool) has the parent's loop object but not its thread.
        if _loop is None or _loop[0] != os.getpid():
            loop = asyncio.new_event_loop()
            threading.Thread(target=loop.run_forever, name="frgm-publisher", daemon=True).start()
            _loop = (os.getpid(), loop)
        return _loop[1]


async def _send_all(
    layer: object, updates: list[FeedUpdate], landed: FeedFile | None = None
) -> None:
    """All of one file's sends at once: they land together, so a subscriber can coalesce
    them into one frame (each group still sees its updates in file order: the next
    file is published only after this one's sends are done).

    One group per feed, not per instrument group: each web process subscribes once
    and fans out itself, so a per-group send would reach no one and cost a round trip.
    A layer that can send several messages to a group in one round trip does
    (frgm_site.channel_layers.FeedChannelLayer); a file's messages all go to its feed's group.
    """
    by_group: dict[str, list[Any]] = defaultdict(list)
    for update in updates:
        by_group[feed_all_group_name(update["feed"])].append(update)
    if landed is not None:
        by_group[FEED_FILES_GROUP].append(landed)
    send_many = getattr(layer, "group_send_many", None)
    if send_many is not None:
        await asyncio.gather(*(send_many(group, sends) for group, sends in by_group.items()))
        return
    await asyncio.gather(
        *(
            layer.group_send(group, update)  # type: ignore[attr-defined]
            for group, sends in by_group.items()
            for update in sends
        )
    )
