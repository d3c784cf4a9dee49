"""What the database keeps about files: the ones we refused, with why."""

from __future__ import annotations

from django.db import models


class QuarantinedFile(models.Model):
    """A file that cannot be ingested. The raw object stays in S3; this says why."""

    class Kind(models.TextChoices):
        PARSE_ERROR = "parse_error", "Parse error"
        MISSING_OBJECT = "missing_object", "Object no longer exists"
        BAD_NOTIFICATION = "bad_notification", "Not an S3 notification"

    bucket = models.CharField(max_length=255)
    key = models.CharField(max_length=1024)
    version_id = models.CharField(max_length=255, blank=True)
    feed = models.CharField(max_length=64, blank=True)
    kind = models.CharField(max_length=32, choices=Kind.choices)
    reason = models.TextField()
    row = models.PositiveIntegerField(null=True, blank=True)
    column = models.CharField(max_length=128, blank=True)
    size = models.PositiveBigIntegerField(null=True, blank=True)
    first_seen = models.DateTimeField(auto_now_add=True, db_index=True)
    times_seen = models.PositiveIntegerField(default=1)

    class Meta:
        ordering = ["-first_seen"]
        constraints = [
            models.UniqueConstraint(
                fields=["bucket", "key", "version_id"], name="quarantine_one_per_object_version"
            )
        ]

    def __str__(self) -> str:
        return f"{self.key} ({self.get_kind_display()})"


class IngestFailure(models.Model):
    """A queue message's last transient failure: the ops pages show it beside the
    dead-letter queue, where the message itself carries no reason."""

    message_id = models.CharField(max_length=128, unique=True)
    bucket = models.CharField(max_length=255, blank=True)
    key = models.CharField(max_length=1024, blank=True, db_index=True)
    error = models.TextField()
    receives = models.PositiveIntegerField(default=1)
    at = models.DateTimeField(auto_now=True, db_index=True)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.key or self.message_id}: {self.error[:80]}"
