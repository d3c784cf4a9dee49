"""What on-call does: acknowledge, note, resolve, silence, redrive. Every action is audited."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.contrib.auth.models import User
from django.db import transaction
from django.utils import timezone

from accounts.services import audit_record
from feeds.records import Feed
from feeds.s3_events import BadNotification, s3_events_decode
from feeds.selectors import ingest_failures_for
from feeds.state_store import latest_state_clear
from lib.aws import AwsUnavailable, client
from ops.models import NOTE_MAX_CHARS, Incident, IncidentEvent, Silence


class ActionRefused(ValueError):
    """The action does not apply in the object's current state."""


@transaction.atomic
def incident_acknowledge(*, incident: Incident, user: User) -> Incident:
    if incident.state != Incident.State.OPEN:
        raise ActionRefused(f"incident #{incident.pk} is {incident.state}, not open")
    incident.state = Incident.State.ACKNOWLEDGED
    incident.save(update_fields=["state"])
    IncidentEvent.objects.create(incident=incident, kind=IncidentEvent.Kind.ACK, by=user)
    audit_record(actor=user, action="incident.ack", target=f"incident #{incident.pk}")
    return incident


def _note_length_check(text: str) -> None:
    # Every path (page, admin, a script) stops here, not only the form.
    if len(text) > NOTE_MAX_CHARS:
        raise ActionRefused(
            f"a note is at most {NOTE_MAX_CHARS:,} characters; this one has {len(text):,}"
        )


@transaction.atomic
def incident_note_add(*, incident: Incident, user: User, text: str) -> IncidentEvent:
    if not text.strip():
        raise ActionRefused("a note needs some text")
    _note_length_check(text.strip())
    event = IncidentEvent.objects.create(
        incident=incident, kind=IncidentEvent.Kind.NOTE, by=user, text=text.strip()
    )
    audit_record(actor=user, action="incident.note", target=f"incident #{incident.pk}")
    return event


@transaction.atomic
def incident_resolve(*, incident: Incident, user: User, text: str = "") -> Incident:
    if incident.state == Incident.State.RESOLVED:
        raise ActionRefused(f"incident #{incident.pk} is resolved already")
    _note_length_check(text.strip())
    incident.state = Incident.State.RESOLVED
    incident.resolved_at = timezone.now()
    incident.save(update_fields=["state", "resolved_at"])
    IncidentEvent.objects.create(
        incident=incident, kind=IncidentEvent.Kind.RESOLVE, by=user, text=text.strip()
    )
    audit_record(actor=user, action="incident.resolve", target=f"incident #{incident.pk}")
    return incident


def silence_create(*, user: User, target: str, name: str, until: datetime, reason: str) -> Silence:
    if until <= timezone.now():
        raise ActionRefused("a silence must end in the future")
    silence = Silence.objects.create(
        target=target, name=name, until=until, reason=reason, created_by=user
    )
    audit_record(
        actor=user,
        action="silence.create",
        target=f"{target} {name}",
        detail=f"until {until.isoformat()}: {reason}",
    )
    return silence


def dlq_depth() -> int:
    sqs = client("sqs", attempts=1)
    try:
        url = sqs.get_queue_url(QueueName=settings.FRGM_FEED_DLQ)["QueueUrl"]
        attrs = sqs.get_queue_attributes(
            QueueUrl=url, AttributeNames=["ApproximateNumberOfMessages"]
        )["Attributes"]
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"SQS: {exc}") from exc
    return int(attrs["ApproximateNumberOfMessages"])


def dlq_redrive(*, user: User, limit: int = 1000) -> int:
    """Move dead-lettered notifications back to the feed queue; returns how many.

    Each message is sent to the queue before it is deleted from the DLQ, so a
    failure half-way duplicates at worst, and the pipeline ignores duplicates.
    """
    sqs = client("sqs")
    try:
        dlq = sqs.get_queue_url(QueueName=settings.FRGM_FEED_DLQ)["QueueUrl"]
        queue = sqs.get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)["QueueUrl"]
        moved = 0
        while moved < limit:
            batch = sqs.receive_message(
                QueueUrl=dlq, MaxNumberOfMessages=10, WaitTimeSeconds=0, VisibilityTimeout=30
            )
            messages = batch.get("Messages", [])
            if not messages:
                break
            for message in messages:
                sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])
                sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
                moved += 1
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"SQS: {exc}") from exc
    audit_record(
        actor=user,
        action="dlq.redrive",
        target=settings.FRGM_FEED_DLQ,
        detail=json.dumps({"moved": moved}),
    )
    return moved


@dataclass(frozen=True)
class DeadLetter:
    """One message waiting in the DLQ: its files and the last error noted for it."""

    message_id: str
    files: list[str]  # bucket/key of each object it names
    receives: int
    sent_at: datetime | None
    error: str  # "" when none was noted (e.g. the worker died mid-file)
    error_at: datetime | None


def dlq_peek(*, limit: int = 10) -> list[DeadLetter]:
    """Up to ``limit`` (at most 10) waiting messages, left waiting: received with
    visibility 0, so a redrive or another peek sees them at once."""
    sqs = client("sqs", attempts=1)
    try:
        url = sqs.get_queue_url(QueueName=settings.FRGM_FEED_DLQ)["QueueUrl"]
        reply = sqs.receive_message(
            QueueUrl=url,
            MaxNumberOfMessages=max(1, min(limit, 10)),
            WaitTimeSeconds=0,
            VisibilityTimeout=0,
            MessageSystemAttributeNames=["ApproximateReceiveCount", "SentTimestamp"],
        )
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"SQS: {exc}") from exc
    messages = reply.get("Messages", [])
    files_of: dict[str, list[tuple[str, str]]] = {}
    for message in messages:
        try:
            events = s3_events_decode(message.get("Body", ""))
        except BadNotification:
            events = []
        files_of[message["MessageId"]] = [(e.bucket, e.key) for e in events]
    failures = ingest_failures_for(
        message_ids=list(files_of),
        keys=[k for files in files_of.values() for _, k in files],
    )
    letters = []
    for message in messages:
        message_id = message["MessageId"]
        files = files_of[message_id]
        failure = failures.get(message_id) or next(
            (failures[k] for _, k in files if k in failures), None
        )
        attributes = message.get("Attributes", {})
        sent = attributes.get("SentTimestamp")
        letters.append(
            DeadLetter(
                message_id=message_id,
                files=[f"{bucket}/{k}" for bucket, k in files] or ["(not an S3 notification)"],
                receives=int(attributes.get("ApproximateReceiveCount", 0)),
                sent_at=datetime.fromtimestamp(int(sent) / 1000, UTC) if sent else None,
                error=failure.error if failure else "",
                error_at=failure.at if failure else None,
            )
        )
    return letters


def feed_state_clear(*, user: User, feed: Feed) -> int:
    """Forget a feed's latest state so its next real file is applied (after a
    bad file froze it); audited. Returns the number of state keys removed."""
    removed = latest_state_clear(feed=feed)
    audit_record(
        actor=user,
        action="feed.state_clear",
        target=str(feed),
        detail=json.dumps({"keys_removed": removed}),
    )
    return removed
