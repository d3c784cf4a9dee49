"""One file, from its S3 notification to Redis, DynamoDB and browsers.

download -> parse -> derive -> Redis (compare-and-set) -> DynamoDB -> publish
-> feed health. The caller deletes the SQS message only when this returns;
a transient failure raises ``TransientIngestError`` and the message comes back.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime
from decimal import Decimal
from functools import partial
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from redis.exceptions import RedisError

from feeds.derive import DerivedFile, MarketInputs, file_derive, future_mid_of, group_of
from feeds.history import history_body, history_write
from feeds.limits import HISTORY_ITEM_MAX_BYTES
from feeds.messages import FeedFile, FeedUpdate
from feeds.metrics import metrics_emit
from feeds.parsers import ParseError, feed_key_parse, file_parse, size_check
from feeds.publish import changes_by_group, updates_build, updates_publish
from feeds.quarantine import quarantine_record
from feeds.records import Feed, FeedKey, ParsedFile
from feeds.s3_events import ObjectEvent
from feeds.self_heal import greeks_repair_after, state_heal_ensure
from feeds.state_store import (
    ApplyResult,
    IngestRecord,
    claim_release,
    claim_take,
    file_freshens,
    group_sequences_next,
    ingest_record,
    intake_refusal_record,
    key,
    latest_apply,
    state_version,
)
from lib.aws import AwsUnavailable, client
from lib.redis_clients import StateStoreUnavailable, state_store

log = logging.getLogger(__name__)


class TransientIngestError(RuntimeError):
    """A dependency failed; the file should be tried again later."""


class _TooLarge(Exception):
    """S3 says the object is bigger than its feed allows: it is not downloaded."""

    def __init__(self, reason: str, size: int) -> None:
        super().__init__(reason)
        self.size = size


@dataclass
class FileOutcome:
    status: str  # ingested | stale | duplicate | busy | quarantined | missing | ignored
    key: str
    feed: str | None = None
    stages_ms: dict[str, float] = field(default_factory=dict)
    detail: str = ""


class _Stopwatch:
    def __init__(self) -> None:
        self.stages: dict[str, float] = {}

    @contextmanager
    def stage(self, name: str) -> Iterator[None]:
        started = time.perf_counter()
        try:
            yield
        finally:
            self.stages[name] = round((time.perf_counter() - started) * 1000, 3)


def feed_file_ingest(
    *, event: ObjectEvent, received_at: float, worker: str = "", replay: bool = False
) -> FileOutcome:
    """Ingest one object exactly once in effect, however often it is delivered.

    ``replay``: an archived file re-ingested by hand; it updates state and
    history but not the feed's live health, counters or metrics, even when it
    is refused.
    """
    if event.bucket not in feed_buckets():
        # Only our own bucket's objects are feed files: a message naming another
        # (a misrouted or forged notification) is counted, shown, never read.
        intake_refusal_record(kind="foreign_bucket", bucket=event.bucket, object_key=event.key)
        log.warning("refused %s/%s: not a configured feed bucket", event.bucket, event.key)
        return FileOutcome("refused", event.key, detail=f"bucket {event.bucket} is not ours")
    source = feed_key_parse(event.key)
    if source is None:
        intake_refusal_record(kind="ignored", bucket=event.bucket, object_key=event.key)
        log.info("ignored %s: not a feed file", event.key)
        return FileOutcome("ignored", event.key)
    feed = source.feed
    try:
        # A new or wiped state store is rebuilt first, once (feeds/self_heal.py).
        state_heal_ensure(source=source, replay=replay)
        claim = claim_take(feed=feed, object_id=event.object_id, worker=worker)
        if claim == "done":
            return FileOutcome("duplicate", event.key, feed)
        if claim == "busy":
            raise TransientIngestError(f"{event.key} is being ingested by another worker")
        outcome = _ingest_claimed(
            event=event, source=source, received_at=received_at, replay=replay
        )
        greeks_repair_after(source=source, status=outcome.status, replay=replay)
    except (StateStoreUnavailable, AwsUnavailable) as exc:
        _release_quietly(feed, event.object_id)
        raise TransientIngestError(str(exc)) from exc
    except TransientIngestError:
        raise
    except Exception:
        _release_quietly(feed, event.object_id)
        raise
    return outcome


def feed_buckets() -> frozenset[str]:
    """The buckets whose objects are feed files."""
    return frozenset({settings.FRGM_FEED_BUCKET})


def _release_quietly(feed: Feed, object_id: str) -> None:
    with suppress(StateStoreUnavailable):  # the claim expires on its own
        claim_release(feed=feed, object_id=object_id)


def _ingest_claimed(
    *, event: ObjectEvent, source: FeedKey, received_at: float, replay: bool
) -> FileOutcome:
    watch = _Stopwatch()
    refuse = partial(_refuse, event, source, watch=watch, received_at=received_at, replay=replay)
    ahead = _ahead_of_arrival(event, source, received_at=received_at)
    if ahead is not None:
        return refuse("parse_error", ahead, error=ValueError(ahead), size=event.size)
    try:
        if event.size is not None:  # the notification says how big: ask before reading
            size_check(feed=source.feed, size=event.size, file=event.key)
        with watch.stage("download"):
            data, read = _download(event, limit_feed=source.feed)
    except ParseError as exc:
        return refuse("parse_error", str(exc), error=exc, size=event.size)
    except _TooLarge as exc:
        return refuse("parse_error", str(exc), error=exc, size=exc.size)
    if data is None:
        return refuse("missing_object", "object no longer exists in S3")
    try:
        with watch.stage("parse"):
            parsed = file_parse(key=event.key, data=data)
    except Exception as exc:  # any failure of a pure parser is the file's
        return refuse("parse_error", _reason(exc), error=exc, size=len(data))
    if parsed.warnings:  # accepted, but the producer may have changed: say so once
        log.warning("parsed %s with warnings: %s", event.key, "; ".join(parsed.warnings))
    market = _market_inputs(parsed)  # I/O: its failures are transient, raised
    try:
        with watch.stage("derive"):
            derived = file_derive(parsed, market=market)
            # Known to fit DynamoDB before anything is written anywhere.
            body = history_body(derived.rows)
    except Exception as exc:  # derive is pure: a failure is the file's
        return refuse(
            "parse_error", f"could not derive its rows: {_reason(exc)}", error=exc, size=len(data)
        )
    if len(body) > HISTORY_ITEM_MAX_BYTES:
        reason = (
            f"its history item would be {len(body):,} bytes compressed "
            f"({len(derived.rows):,} rows): DynamoDB takes at most {HISTORY_ITEM_MAX_BYTES:,}"
        )
        return refuse("parse_error", reason, error=ValueError(reason), size=len(data))
    version = state_version(
        file_time=source.file_time, sequencer=event.sequencer, object_key=event.key
    )
    with watch.stage("redis"):
        applied = latest_apply(derived=derived, version=version, meta=_meta(event, source))
        _remember_future(parsed, applied)
    with watch.stage("dynamodb"):
        _history(event, source, derived, read, body)
    finished = time.time()
    with watch.stage("publish"):
        _publish(event, source, derived, applied, version, finished)
    record = _record(
        event,
        source,
        received_at=received_at,
        finished_at=finished,
        stages_ms=watch.stages,
        status=applied.status,
        rows=len(derived.rows),
        version=version,
        warnings=parsed.warnings,
        fresh=not replay
        and file_freshens(feed=source.feed, status=applied.status, version=version),
    )
    ingest_record(record, live=not replay)
    if not replay:
        _emit(record)
    status = "ingested" if applied.status != "stale" else "stale"
    return FileOutcome(status, event.key, source.feed, watch.stages)


def _record(
    event: ObjectEvent,
    source: FeedKey,
    *,
    received_at: float,
    finished_at: float,
    stages_ms: dict[str, float],
    status: str,
    rows: int,
    version: str = "",
    fresh: bool = False,
    warnings: tuple[str, ...] = (),
) -> IngestRecord:
    return IngestRecord(
        feed=source.feed,
        object_id=event.object_id,
        key=event.key,
        file_time=source.file_time,
        event_time=event.event_time,
        received_at=received_at,
        finished_at=finished_at,
        stages_ms=stages_ms,
        status=status,
        rows=rows,
        chunk=source.chunk,
        chunks=source.chunks,
        version=version,
        fresh=fresh,
        warnings=warnings,
    )


@dataclass(frozen=True)
class _Upload:
    """Which upload of its key the bytes read are: S3 says so even when the
    notification did not (an object from before versioning has only its ETag)."""

    version_id: str | None
    etag: str | None


def _reason(exc: Exception) -> str:
    """A refusal's reason: a ParseError says it; anything else names its type."""
    if isinstance(exc, ParseError):
        return str(exc)
    return f"unreadable: {type(exc).__name__}: {str(exc)[:300]}"


def _ahead_of_arrival(event: ObjectEvent, source: FeedKey, *, received_at: float) -> str | None:
    """Why a file stamped well after it arrived is refused, or None.

    The name's stamp orders a feed's files: one from 2099 would make every
    real file after it "stale" and freeze the feed.
    """
    if source.file_time is None:
        return None
    arrived = event.event_time or datetime.fromtimestamp(received_at, UTC)
    tolerance = settings.FRGM_FEED_FUTURE_TOLERANCE_S
    ahead = (source.file_time - arrived).total_seconds()
    if ahead <= tolerance:
        return None
    return (
        f"from the future: stamped {source.file_time:%Y-%m-%d %H:%M:%S %Z}, "
        f"{ahead:,.0f} s after it arrived ({arrived.astimezone(UTC):%Y-%m-%d %H:%M:%S} UTC); "
        f"a file may be at most {tolerance:g} s ahead"
    )


def _download(event: ObjectEvent, *, limit_feed: Feed) -> tuple[bytes | None, _Upload]:
    """The object's bytes (None when it is gone) and the upload they are.

    Raises ``_TooLarge`` when S3 says the object is bigger than ``limit_feed``
    allows: its body is never read.
    """
    request = {"Bucket": event.bucket, "Key": event.key}
    if event.version_id:
        request["VersionId"] = event.version_id
    try:
        reply = client("s3").get_object(**request)
        version = reply.get("VersionId")
        read = _Upload(
            version_id=version if version and version != "null" else None,
            etag=str(reply.get("ETag") or "").strip('"') or None,
        )
        length = int(reply.get("ContentLength") or 0)
        try:
            size_check(feed=limit_feed, size=length, file=event.key)
        except ParseError as exc:
            reply["Body"].close()
            raise _TooLarge(str(exc), length) from None
        return bytes(reply["Body"].read()), read
    except ClientError as exc:
        if exc.response["Error"]["Code"] in {"NoSuchKey", "NoSuchVersion", "404", "NoSuchBucket"}:
            return None, _Upload(event.version_id, event.etag)
        raise AwsUnavailable(f"S3 get_object {event.key}: {exc}") from exc
    except BotoCoreError as exc:
        raise AwsUnavailable(f"S3 get_object {event.key}: {exc}") from exc


def _refuse(
    event: ObjectEvent,
    source: FeedKey,
    kind: str,
    reason: str,
    *,
    watch: _Stopwatch,
    received_at: float,
    replay: bool,
    error: Exception | None = None,
    size: int | None = None,
) -> FileOutcome:
    """Quarantine with the reason, count it, and mark the object done.

    A refused file is no "last file" of its feed (``ingest_record``). A replayed
    one is quarantined if it never was, and nothing else: no counter, no metric.
    """
    quarantine_record(
        event=event,
        feed=source.feed,
        kind=kind,
        reason=reason,
        error=error,
        size=size,
        repeat=not replay,
    )
    if not replay:
        metrics_emit(
            feed=source.feed,
            metrics={"ParseErrors" if error else "MissingObjects": (1, "Count")},
            properties={"Key": event.key},
        )
    record = _record(
        event,
        source,
        received_at=received_at,
        finished_at=time.time(),
        stages_ms=watch.stages,
        status=kind,
        rows=0,
    )
    ingest_record(record, live=not replay)
    log.warning("quarantined %s: %s", event.key, reason)
    return FileOutcome(
        "quarantined" if error else "missing", event.key, source.feed, watch.stages, reason
    )


def _market_inputs(parsed: ParsedFile) -> MarketInputs | None:
    """Spot-risk Greeks need the future's mid (if this file lacks it) and vtexp."""
    if parsed.feed is not Feed.SPOT_RISK:
        return None
    store = state_store()
    try:
        vtexp = store.hgetall(key(Feed.VTEXP, "rows"))
        future = (
            None
            if future_mid_of(parsed.spot_risk)
            else store.get(key(Feed.SPOT_RISK, "future_mid"))
        )
        positions = {} if parsed.spot_risk_positions else _positions_shown(store, parsed)
    except RedisError as exc:
        raise StateStoreUnavailable(f"state store: {exc}") from exc
    days = {_text(k): Decimal(json.loads(v)["days"]) for k, v in vtexp.items()}
    return MarketInputs(
        future_mid=Decimal(_text(future)) if future else None,
        vtexp_days=days,
        positions=positions,
    )


def _positions_shown(store: Any, parsed: ParsedFile) -> dict[str, int]:
    """The positions the latest state holds for this file's instruments."""
    ids = [row.key for row in parsed.spot_risk if row.itype != "N"]
    if not ids:
        return {}
    values = store.hmget(key(Feed.SPOT_RISK, "rows"), ids)
    shown = {}
    for row_id, value in zip(ids, values, strict=True):
        position = json.loads(value).get("position") if value is not None else None
        if position is not None:
            shown[row_id] = int(position)
    return shown


def _text(value: bytes | str) -> str:
    return value.decode() if isinstance(value, bytes) else value


def _remember_future(parsed: ParsedFile, applied: ApplyResult) -> None:
    if parsed.feed is not Feed.SPOT_RISK or applied.status != "applied":
        return
    mid = future_mid_of(parsed.spot_risk)
    if mid is not None:
        state_store().set(key(Feed.SPOT_RISK, "future_mid"), str(mid))


def _meta(event: ObjectEvent, source: FeedKey) -> dict[str, object]:
    return {
        "key": event.key,
        "version_id": event.version_id,
        "file_time": source.file_time.isoformat() if source.file_time else None,
        "s3_event_time": event.event_time.isoformat() if event.event_time else None,
        "chunk": source.chunk,
        "chunks": source.chunks,
    }


def _history(
    event: ObjectEvent, source: FeedKey, derived: DerivedFile, read: _Upload, body: bytes
) -> None:
    day = source.trading_date or (event.event_time or datetime.now(UTC)).date()
    history_write(
        feed=source.feed,
        trading_date=day,
        file_time=source.file_time or event.event_time,
        object_key=event.key,
        version_id=read.version_id,
        etag=read.etag,
        rows=derived.rows,
        body=body,
        metrics=derived.metrics,
        attributes={
            "s3_event_time": event.event_time.isoformat() if event.event_time else None,
            "chunk": source.chunk,
            "chunks": source.chunks,
            # Orders the uploads of one key (rebuild); "" for a replayed file.
            "sequencer": event.sequencer,
        },
    )


def _publish(
    event: ObjectEvent,
    source: FeedKey,
    derived: DerivedFile,
    applied: ApplyResult,
    version: str,
    finished: float,
) -> None:
    file_time = source.file_time.isoformat() if source.file_time else None
    event_time = event.event_time.isoformat() if event.event_time else None
    updates: list[FeedUpdate] = []
    # "stale": history has it; browsers keep the newer state (its arrival still counts).
    if applied.status != "stale":
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
            ingested_at=finished,
        )
    # Every file's arrival goes out now, not at the pages' next health poll: a file
    # that changed nothing a page shows still tells the page its feed is alive.
    landed = FeedFile(
        type="feed.file",
        feed=source.feed,
        key=event.key,
        status=applied.status,
        updates=len(updates),
        file_time=file_time,
        s3_event_time=event_time,
        ingested_at=finished,
    )
    updates_publish(updates, landed=landed)


def _emit(record: IngestRecord) -> None:
    metrics: dict = {"FilesIngested": (1, "Count")}
    if record.fresh and record.latency_ms is not None:  # a stale file's data reached no one
        metrics["EndToEndLatency"] = (record.latency_ms, "Milliseconds")
    for stage, millis in record.stages_ms.items():
        metrics[f"Stage{stage.capitalize()}"] = (millis, "Milliseconds")
    metrics_emit(
        feed=record.feed, metrics=metrics, properties={"Key": record.key, "Status": record.status}
    )
