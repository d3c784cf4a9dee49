"""Recording files we refuse, with the reason and the first bad row."""

from __future__ import annotations

from django.db.models import F

from feeds.models import QuarantinedFile
from feeds.s3_events import ObjectEvent


def quarantine_record(
    *,
    event: ObjectEvent,
    feed: str,
    kind: str,
    reason: str,
    error: Exception | None,
    size: int | None,
    repeat: bool = True,
) -> QuarantinedFile:
    """One record per object version; a repeat only counts up ``times_seen``.

    ``repeat=False`` (a replay): record a file never refused before, but count
    no repeat: a replay is not the feed sending it again.
    """
    record, created = QuarantinedFile.objects.get_or_create(
        bucket=event.bucket,
        key=event.key,
        version_id=event.version_id or "",
        defaults={
            "feed": feed,
            "kind": kind,
            "reason": reason[:4000],
            "row": getattr(error, "row", None),
            "column": getattr(error, "column", None) or "",
            "size": size,
        },
    )
    if not created and repeat:
        QuarantinedFile.objects.filter(pk=record.pk).update(times_seen=F("times_seen") + 1)
    return record
