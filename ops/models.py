"""What on-call and admins keep: feed settings, silences, alarm states, incidents
and references to secrets (never their values). The audit trail is accounts'."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.utils import timezone

from feeds.records import Feed
from ops.feed_states import SCHEDULE_CHOICES, TradingSchedule


class FeedSettings(models.Model):
    """Per-feed expectations, editable by admins; defaults in ops.feed_states."""

    feed = models.CharField(
        max_length=64,
        unique=True,
        choices=[(feed.value, feed.value) for feed in Feed],
        help_text="One of the feeds the portal ingests.",
    )
    interval_s = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="A file at least this often (seconds); empty: on change only.",
    )
    grace_s = models.PositiveIntegerField(
        help_text="Silent this long (seconds, not less than the interval): stalled."
    )
    schedule = models.CharField(
        max_length=16,
        choices=SCHEDULE_CHOICES,
        default=TradingSchedule.CME_GLOBEX.value,
        help_text="When files are expected; outside it a silent feed is closed.",
    )

    class Meta:
        verbose_name_plural = "feed settings"

    def __str__(self) -> str:
        return self.feed

    def clean(self) -> None:
        # Late after the interval, stalled after the grace: a shorter grace would
        # stall a feed before it was ever late.
        interval, grace = self.interval_s, self.grace_s
        if interval is not None and grace is not None and grace < interval:
            raise ValidationError(
                {
                    "grace_s": f"The grace ({grace} s) must be at least the expected interval "
                    f"({interval} s): a feed is late after its interval and stalled only "
                    "after its grace."
                }
            )


class Holiday(models.Model):
    """A trading date on which CME Globex does not trade ZN."""

    day = models.DateField(unique=True)
    name = models.CharField(max_length=128)

    class Meta:
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day} {self.name}"


class Silence(models.Model):
    """Maintenance: a feed or an alarm that must not alarm until a chosen time."""

    class Target(models.TextChoices):
        FEED = "feed", "Feed"
        ALARM = "alarm", "Alarm"

    target = models.CharField(max_length=8, choices=Target.choices)
    name = models.CharField(max_length=128, help_text="A feed name or an alarm id.")
    until = models.DateTimeField()
    reason = models.CharField(max_length=255)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-until"]
        indexes = [models.Index(fields=["target", "name", "until"])]

    def __str__(self) -> str:
        return f"{self.target} {self.name} until {self.until:%Y-%m-%d %H:%M}"


class AlarmStatus(models.Model):
    """The current state of each alarm, and since when."""

    alarm_id = models.CharField(max_length=64, unique=True)
    state = models.CharField(max_length=24)
    since = models.DateTimeField()
    reason = models.TextField(blank=True)
    # The last few periods, oldest first, as [start, value] (ops.alarms.periods_add).
    recent = models.JSONField(default=list, blank=True)

    class Meta:
        verbose_name_plural = "alarm statuses"

    def __str__(self) -> str:
        return f"{self.alarm_id}: {self.state}"


class EvaluationRun(models.Model):
    """The ops scheduler's last run (one row): the pages say how fresh the alarm
    states are, and the web itself raises the alarm when runs stop."""

    name = models.CharField(max_length=32, unique=True, default="alarms")
    attempted_at = models.DateTimeField()
    succeeded_at = models.DateTimeField(null=True, blank=True)
    error = models.TextField(blank=True, help_text="Why the last run failed; empty if it did not.")

    def __str__(self) -> str:
        return f"{self.name} last evaluated {self.succeeded_at}"


class AlarmTransition(models.Model):
    """Every state change of an alarm: its history, and the notification outbox."""

    alarm_id = models.CharField(max_length=64, db_index=True)
    old_state = models.CharField(max_length=24)
    new_state = models.CharField(max_length=24)
    reason = models.TextField(blank=True)
    at = models.DateTimeField(default=timezone.now, db_index=True)
    notified_at = models.DateTimeField(null=True, blank=True)
    notify_attempts = models.PositiveIntegerField(default=0)
    notify_last_attempt_at = models.DateTimeField(null=True, blank=True)
    notify_error = models.CharField(max_length=255, blank=True)  # the last failure, never the URL
    # A newer change of the same alarm went out first, naming this one.
    superseded = models.BooleanField(default=False)

    class Meta:
        ordering = ["-at"]

    def __str__(self) -> str:
        return f"{self.alarm_id} {self.old_state} -> {self.new_state}"


class Incident(models.Model):
    class State(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        RESOLVED = "resolved", "Resolved"

    alarm_id = models.CharField(max_length=64, db_index=True)
    title = models.CharField(max_length=255)
    state = models.CharField(max_length=16, choices=State.choices, default=State.OPEN)
    opened_at = models.DateTimeField(default=timezone.now)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-opened_at"]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title} ({self.state})"

    @property
    def duration(self) -> timedelta:
        return (self.resolved_at or timezone.now()) - self.opened_at


# A note or a resolution's text: a few paragraphs, not a log dump (~2.5 MB notes
# were stored before this was enforced).
NOTE_MAX_CHARS = 4000


class IncidentEvent(models.Model):
    """The incident's timeline: alarm changes, acknowledgements, notes, resolution."""

    class Kind(models.TextChoices):
        ALARM = "alarm", "Alarm"
        ACK = "ack", "Acknowledged"
        NOTE = "note", "Note"
        RESOLVE = "resolve", "Resolved"

    incident = models.ForeignKey(Incident, on_delete=models.PROTECT, related_name="events")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    text = models.TextField(blank=True, validators=[MaxLengthValidator(NOTE_MAX_CHARS)])
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT
    )
    at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.kind} {self.at:%H:%M:%S}"


class SecretReference(models.Model):
    """Where a secret lives and who uses it. Never its value."""

    name = models.CharField(max_length=128, unique=True)
    arn = models.CharField(max_length=2048, unique=True)
    purpose = models.CharField(max_length=255)
    used_by = models.CharField(max_length=255, help_text="Services that read it, e.g. web, worker.")
    rotation_days = models.PositiveIntegerField(default=90)
    owner = models.CharField(max_length=128)
    last_rotated = models.DateTimeField(null=True, blank=True)
    last_accessed = models.DateTimeField(null=True, blank=True)
    last_verified = models.DateTimeField(null=True, blank=True)
    verify_error = models.CharField(max_length=255, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def rotation_overdue(self, now: datetime | None = None) -> bool:
        """Past its rotation period; a verified secret never rotated counts as overdue."""
        if self.last_rotated is None:
            return self.last_verified is not None
        return (now or timezone.now()) - self.last_rotated > timedelta(days=self.rotation_days)
