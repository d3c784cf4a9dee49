"""Replay a trading day: ingest the day's archived files from S3 again.

The raw archive is the source of truth (DESIGN.md "Storage layout"), so a day
can be pushed through the pipeline again: after the state store was lost, or
to check a parser change against real files. Each object goes straight to
``feed_file_ingest`` with a synthetic S3 event, not through SQS, so a replay
neither competes with the live queue nor waits for it.

Replaying is idempotent. An object keeps its identity (bucket, key, version
id), so within an hour of its ingest the pipeline's done marker makes it a
duplicate; after that, the compare-and-set finds the same version (or a newer
one) in Redis and DynamoDB's conditional puts write nothing. Its sequencer is
"", which sorts before any real one: a replayed file never displaces the same
file ingested live, let alone a newer one.

What is replayed, in this order:
1. TT instrument files, all of them (they have no date folder, and they are
   the reference data every day's positions and orders refer to). Only when
   replaying every feed or ``tt-instruments`` itself.
2. The day's vtexp files: spot-risk Greeks are derived with the vtexp in the
   latest state, so it must be there before the spot-risk files are.
3. Everything else under ``<prefix>/<trading date>/`` by the file time in its
   name, then its key.
Only the current version of each key is replayed; a key whose current version
is a delete marker was deleted on purpose and is left alone.

The synthetic event's time is the object's LastModified, which S3 does not
promise equals the notification's eventTime. Dated files are filed in history
by their own name, so that does not matter; an instrument file's history item
is keyed by event time, so a replay may add a second item for it when the two
fall in different seconds. Replayed files leave feed health alone (last file,
age, latency, counters and metrics), refused ones too: a stalled feed must
still look stalled while its archive is replayed.
"""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from feeds.parsers import feed_key_parse
from feeds.pipeline import TransientIngestError, feed_file_ingest
from feeds.records import Feed, FeedKey
from feeds.s3_events import ObjectEvent
from lib.aws import AwsUnavailable, client

FEED_PREFIXES: dict[Feed, str] = {
    Feed.SPOT_RISK: "actant/spot-risk/",
    Feed.VTEXP: "actant/vtexp/",
    Feed.TT_POSITIONS: "tt/positions/",
    Feed.TT_ORDERS: "tt/orders/",
    Feed.TT_INSTRUMENTS: "tt/instruments/",
}
UNDATED = frozenset({Feed.TT_INSTRUMENTS})
# Files that other files are derived with go first (see the module docstring).
_PHASE = {Feed.TT_INSTRUMENTS: 0, Feed.VTEXP: 1}
_LATER = 2

Progress = Callable[[int, int], None]  # (files done, files in all)


@dataclass(frozen=True)
class ArchivedObject:
    """The current version of one feed file in the bucket."""

    key: str
    version_id: str | None
    etag: str | None
    size: int | None
    last_modified: datetime
    source: FeedKey

    def order(self) -> tuple[int, float, str]:
        moment = self.source.file_time or self.last_modified
        return (_PHASE.get(self.source.feed, _LATER), moment.timestamp(), self.key)


@dataclass
class ReplayReport:
    day: date
    feeds: tuple[Feed, ...]
    files: int = 0
    outcomes: dict[str, int] = field(default_factory=dict)  # FileOutcome.status -> count
    failed: list[tuple[str, str]] = field(default_factory=list)  # (key, why): try again
    skipped: list[str] = field(default_factory=list)  # keys under a prefix that no feed owns


def day_replay(
    *, day: date, feed: Feed | None = None, progress: Progress | None = None
) -> ReplayReport:
    """Ingest the archived files of trading day ``day`` (of ``feed``, or of every feed)."""
    feeds = (feed,) if feed is not None else tuple(Feed)
    objects, skipped = day_objects(day=day, feeds=feeds)
    report = ReplayReport(day=day, feeds=feeds, files=len(objects), skipped=skipped)
    worker = f"replay:{socket.gethostname()}:{os.getpid()}"
    if progress:
        progress(0, len(objects))
    for done, obj in enumerate(objects, start=1):
        try:
            outcome = feed_file_ingest(
                event=_event(obj), received_at=time.time(), worker=worker, replay=True
            )
        except TransientIngestError as exc:
            report.failed.append((obj.key, str(exc)))
        else:
            report.outcomes[outcome.status] = report.outcomes.get(outcome.status, 0) + 1
        if progress:
            progress(done, len(objects))
    return report


def day_objects(*, day: date, feeds: tuple[Feed, ...]) -> tuple[list[ArchivedObject], list[str]]:
    """The feed files to replay for ``day``, in replay order, and the keys skipped."""
    objects: list[ArchivedObject] = []
    skipped: list[str] = []
    for feed in feeds:
        prefix = FEED_PREFIXES[feed]
        if feed not in UNDATED:
            prefix += f"{day.isoformat()}/"
        for version in _current_versions(prefix):
            source = feed_key_parse(version["Key"])
            if source is None or source.feed is not feed:
                skipped.append(version["Key"])
                continue
            objects.append(_archived(version, source))
    return sorted(objects, key=ArchivedObject.order), skipped


def _current_versions(prefix: str) -> Iterator[dict[str, Any]]:
    pages = client("s3").get_paginator("list_object_versions")
    try:
        for page in pages.paginate(Bucket=settings.FRGM_FEED_BUCKET, Prefix=prefix):
            for version in page.get("Versions", []):
                if version.get("IsLatest"):
                    yield version
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"S3 list_object_versions {prefix}: {exc}") from exc


def _archived(version: dict[str, Any], source: FeedKey) -> ArchivedObject:
    version_id = version.get("VersionId")
    etag = version.get("ETag")
    return ArchivedObject(
        key=version["Key"],
        # An object written before versioning was enabled has the version "null";
        # its notification carried no version id, so its identity is its ETag.
        version_id=None if version_id in (None, "null") else version_id,
        etag=etag.strip('"') if etag else None,  # notifications carry it unquoted
        size=version.get("Size"),
        last_modified=version["LastModified"],
        source=source,
    )


def _event(obj: ArchivedObject) -> ObjectEvent:
    return ObjectEvent(
        bucket=settings.FRGM_FEED_BUCKET,
        key=obj.key,
        version_id=obj.version_id,
        etag=obj.etag,
        size=obj.size,
        sequencer="",  # sorts before any real sequencer: never beats the live ingest
        event_time=obj.last_modified,
        event_name="ObjectCreated:Replay",
    )
