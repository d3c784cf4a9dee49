"""Rebuild the latest state in Redis from DynamoDB history.

Latest state is derived data (DESIGN.md "Storage layout"): every file's
derived rows are in its history snapshot item, so a lost or flushed state
store can be filled again without touching S3 or re-deriving anything.

Per feed, the items that make up the latest state are read newest first,
back to the newest item that stands for the whole state: a file applied in
``replace`` mode, or a chunked spot-risk batch with every chunk. They are then
applied oldest first through the same compare-and-set as the live path, each
with its file's version, so the newest batch's chunks are merged over the
last whole file exactly as they were live, and a rebuild never overwrites a
newer live state (the very file the live state holds is "same": left as is).
A key uploaded twice has an item per upload (``feeds.history``); the S3
sequencer kept with each orders them as it did live, so the newer upload wins.

TT instrument files have no date folder and their history items sit under
the day each arrived, which may be any day before the one rebuilt; yet the
ladder needs every instrument (the Actant future of a TT instrument, its
labels). So instruments are rebuilt from S3 instead: every current object
under ``tt/instruments/`` (the archive keeps them all), parsed and derived as
the live path did (an instrument file needs no other input), and applied with
the same versions as above, so a newer live state is still left as is.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from redis.exceptions import RedisError

from feeds.derive import ApplyMode, DerivedFile, canonical_json, file_derive, group_of
from feeds.history import HistoryItem, history_items
from feeds.parsers import ParseError, feed_key_parse, file_parse
from feeds.records import Feed
from feeds.replay import ArchivedObject, day_objects
from feeds.state_store import key, latest_apply, state_version
from lib.aws import AwsUnavailable, client
from lib.redis_clients import StateStoreUnavailable, state_store

log = logging.getLogger(__name__)

PAGE = 100
# A guard for a chunked-only day whose batches all miss a chunk: never read a
# whole day's ~900 k chunk items to find a complete one.
MAX_ITEMS = 2000


@dataclass(frozen=True)
class FeedRebuild:
    feed: Feed
    status: str  # rebuilt | kept (live state as new or newer) | empty (no history that day)
    keys: tuple[str, ...]  # object keys of the snapshots applied, oldest first
    applied: int  # how many of them changed the latest state
    rows: int  # rows in the latest state afterwards
    truncated: bool = False  # MAX_ITEMS read without finding a whole state
    source: str = "history"  # history (of the day) | s3 (every instrument file)


@dataclass(frozen=True)
class RebuildReport:
    day: date
    feeds: tuple[FeedRebuild, ...]


def latest_state_rebuild(*, feeds: Iterable[Feed], day: date) -> RebuildReport:
    return RebuildReport(day=day, feeds=tuple(_feed_rebuild(feed, day) for feed in feeds))


def _feed_rebuild(feed: Feed, day: date) -> FeedRebuild:
    if feed is Feed.TT_INSTRUMENTS:
        return _instruments_rebuild(day)
    items, truncated = _items_since_whole(feed, day)
    applied = 0
    future_mid: Decimal | None = None
    for item in reversed(items):  # oldest first: the whole state, then what merged over it
        result = latest_apply(
            derived=_derived(feed, item), version=_version(feed, item), meta=_meta(item)
        )
        if result.status == "applied":
            applied += 1
            mid = _future_mid(item.rows or {}) if feed is Feed.SPOT_RISK else None
            future_mid = mid if mid is not None else future_mid
    if feed is Feed.SPOT_RISK and future_mid is not None:
        # Chunks without the future price their options with this (pipeline._market_inputs).
        _store(state_store().set, key(feed, "future_mid"), str(future_mid))
    status = "empty" if not items else "rebuilt" if applied else "kept"
    return FeedRebuild(
        feed=feed,
        status=status,
        keys=tuple(item.object_key for item in reversed(items)),
        applied=applied,
        rows=int(_store(state_store().hlen, key(feed, "rows"))),
        truncated=truncated,
    )


def _instruments_rebuild(day: date) -> FeedRebuild:
    """Every instrument file in the bucket, whatever day it came (module docstring)."""
    feed = Feed.TT_INSTRUMENTS
    objects, _ = day_objects(day=day, feeds=(feed,))  # undated: every one, whatever the day
    keys, applied = [], 0
    for obj in objects:
        try:
            parsed = file_parse(key=obj.key, data=_object_bytes(obj))
        except ParseError as exc:  # quarantined when it arrived; never in the state
            log.warning("rebuild: skipped %s: %s", obj.key, exc)
            continue
        result = latest_apply(
            derived=file_derive(parsed),
            version=state_version(file_time=None, sequencer="", object_key=obj.key),
            meta={
                "key": obj.key,
                "version_id": obj.version_id,
                "file_time": None,
                "s3_event_time": obj.last_modified.isoformat(),
                "chunk": None,
                "chunks": None,
                "rebuilt_from": "s3",
            },
        )
        keys.append(obj.key)
        applied += result.status == "applied"
    return FeedRebuild(
        feed=feed,
        status="empty" if not keys else "rebuilt" if applied else "kept",
        keys=tuple(keys),
        applied=applied,
        rows=int(_store(state_store().hlen, key(feed, "rows"))),
        source="s3",
    )


def _object_bytes(obj: ArchivedObject) -> bytes:
    request = {"Bucket": settings.FRGM_FEED_BUCKET, "Key": obj.key}
    if obj.version_id:
        request["VersionId"] = obj.version_id
    try:
        return bytes(client("s3").get_object(**request)["Body"].read())
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"S3 get_object {obj.key}: {exc}") from exc


def _items_since_whole(feed: Feed, day: date) -> tuple[list[HistoryItem], bool]:
    """The day's snapshot items, newest first, back to one that stands for the whole state."""
    taken: list[HistoryItem] = []
    batches: dict[str, set[int]] = {}  # file time -> chunk numbers seen
    whole: str | None = None  # the file that stands for the whole state, once found
    cursor: str | None = None
    while len(taken) < MAX_ITEMS:
        items, cursor = history_items(
            feed=feed, day=day, start_after=cursor, limit=PAGE, newest_first=True
        )
        for item in items:
            if whole is not None and _file_of(item) != whole:
                return taken, False
            taken.append(item)
            if whole is None and _completes_state(feed, item, batches):
                whole = _file_of(item)  # take its other uploads too: they sort next to it
        if cursor is None:
            return taken, False
    return taken, True


def _file_of(item: HistoryItem) -> str:
    """File time and key, the same for every upload of one file."""
    return f"{item.sk.split('#', 1)[0]}#{item.object_key}"


def _completes_state(feed: Feed, item: HistoryItem, batches: dict[str, set[int]]) -> bool:
    chunks = item.attributes.get("chunks")
    if chunks is None:
        return _mode(feed, item) is ApplyMode.REPLACE
    seen = batches.setdefault(item.sk.split("#", 1)[0], set())
    seen.add(int(item.attributes.get("chunk") or 0))
    return seen >= set(range(1, int(chunks) + 1))


def _mode(feed: Feed, item: HistoryItem) -> ApplyMode:
    """As ``derive.file_derive`` chose it: chunks and instrument files are parts of the state."""
    if feed is Feed.TT_INSTRUMENTS or item.attributes.get("chunks") is not None:
        return ApplyMode.MERGE
    return ApplyMode.REPLACE


def _derived(feed: Feed, item: HistoryItem) -> DerivedFile:
    rows = item.rows or {}
    return DerivedFile(
        feed=feed,
        mode=_mode(feed, item),
        # Rows were stored as canonical JSON text; dumping the parsed rows the
        # same way gives back the very strings the live state held.
        rows={row_id: canonical_json(row) for row_id, row in rows.items()},
        groups={row_id: group_of(feed, row) for row_id, row in rows.items()},
    )


def _version(feed: Feed, item: HistoryItem) -> str:
    """The version the live path gave this file (no sequencer for items older than
    the ``sequencer`` attribute, or for a file first ingested by a replay).

    The file time comes from the key, as in the pipeline; the sort key's time
    is the same for dated feeds, but for instrument files it is the S3 event
    time, which the live version never had.
    """
    source = feed_key_parse(item.object_key)
    if source is not None:
        file_time = source.file_time
    elif feed is Feed.TT_INSTRUMENTS:
        file_time = None
    else:
        file_time = datetime.strptime(item.sk.split("#", 1)[0], "%Y-%m-%dT%H:%M:%S%z")
    sequencer = str(item.attributes.get("sequencer") or "")
    return state_version(file_time=file_time, sequencer=sequencer, object_key=item.object_key)


def _meta(item: HistoryItem) -> dict[str, Any]:
    source = feed_key_parse(item.object_key)
    attrs = item.attributes
    return {
        "key": item.object_key,
        "version_id": attrs.get("version_id"),
        "file_time": source.file_time.isoformat() if source and source.file_time else None,
        "s3_event_time": attrs.get("s3_event_time"),
        "chunk": _int(attrs.get("chunk")),
        "chunks": _int(attrs.get("chunks")),
        "rebuilt_from": "history",
    }


def _future_mid(rows: dict[str, Any]) -> Decimal | None:
    """As ``derive.future_mid_of``: the first future row with both sides."""
    for row in rows.values():
        if row.get("itype") == "F" and row.get("bid") is not None and row.get("ask") is not None:
            return (Decimal(row["bid"]) + Decimal(row["ask"])) / 2
    return None


def _int(value: Any) -> int | None:
    return None if value is None else int(value)


def _store(fn: Any, *args: Any) -> Any:
    try:
        return fn(*args)
    except RedisError as exc:
        raise StateStoreUnavailable(f"state store: {type(exc).__name__}: {exc}") from exc
