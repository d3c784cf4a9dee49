"""Decode the S3 event notifications that arrive on the SQS queue. Pure."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import unquote_plus


class BadNotification(ValueError):
    """A queue message that is not an S3 event notification."""


@dataclass(frozen=True, slots=True)
class ObjectEvent:
    bucket: str
    key: str  # decoded: S3 sends keys URL-encoded, spaces as '+'
    version_id: str | None
    etag: str | None
    size: int | None
    sequencer: str  # orders events for the same key; hex of varying length
    event_time: datetime | None
    event_name: str

    @property
    def object_id(self) -> str:
        """Identity of this exact object version: the dedupe key."""
        return f"{self.bucket}/{self.key}@{self.version_id or self.etag or self.sequencer}"


def s3_events_decode(body: str) -> list[ObjectEvent]:
    """The ObjectCreated records of one message; [] for ``s3:TestEvent``.

    One message may hold several records; records of other kinds are skipped.
    """
    try:
        payload = json.loads(body)
    except ValueError as exc:
        raise BadNotification(f"message body is not JSON: {exc}") from None
    if not isinstance(payload, dict):
        raise BadNotification("message body is not a JSON object")
    if payload.get("Event") == "s3:TestEvent":
        return []
    if "Records" not in payload and "Message" in payload:
        return s3_events_decode(payload["Message"])  # delivered through SNS
    records = payload.get("Records")
    if not isinstance(records, list):
        raise BadNotification("message has no Records list")
    return [_event(record) for record in records if _is_object_created(record)]


def _is_object_created(record: object) -> bool:
    return isinstance(record, dict) and str(record.get("eventName", "")).startswith("ObjectCreated")


def _event(record: dict) -> ObjectEvent:
    try:
        s3 = record["s3"]
        obj = s3["object"]
        bucket = s3["bucket"]["name"]
        key = unquote_plus(obj["key"])
    except (KeyError, TypeError) as exc:
        raise BadNotification(f"S3 record lacks {exc}") from None
    return ObjectEvent(
        bucket=bucket,
        key=key,
        version_id=obj.get("versionId") or None,
        etag=(obj.get("eTag") or obj.get("etag") or None),
        size=obj.get("size"),
        sequencer=str(obj.get("sequencer") or ""),
        event_time=_time(record.get("eventTime")),
        event_name=str(record.get("eventName")),
    )


def _time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
