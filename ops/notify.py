"""Post alarm state changes to Slack: each change once, retried with backoff.

Transitions are an outbox in the database: one is posted until Slack accepts
it, then never again, so a held state never repeats and a restart loses none.
The webhook URL comes from the environment and never appears in a log line.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from ops.alarms import ALARMS_BY_ID
from ops.models import AlarmTransition

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
TIMEOUT_S = 5


class NotifyFailed(RuntimeError):
    """Slack did not accept the message."""


def slack_post(*, payload: dict[str, object]) -> None:
    request = urllib.request.Request(  # noqa: S310 - the URL is our configured https webhook
        settings.FRGM_SLACK_WEBHOOK_URL,
        data=json.dumps(payload).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:  # noqa: S310
            if response.status >= 300:
                raise NotifyFailed(f"Slack answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise NotifyFailed(f"Slack answered {exc.code}") from None
    except (urllib.error.URLError, TimeoutError) as exc:
        # The reason only: the URL itself is a secret.
        raise NotifyFailed(f"Slack unreachable: {getattr(exc, 'reason', exc)}") from None


def changes_message(transitions: list[AlarmTransition]) -> dict[str, object]:
    """One Slack message for the changes of one evaluation, each with its runbook.

    Stopping a feed server stalls three feeds at once: one post naming three
    alarms wakes the on-call engineer once, not three times.
    """
    lines = [] if len(transitions) == 1 else [f"*{len(transitions)} alarm changes*"]
    runbooks: list[str] = []
    for transition in transitions:
        alarm = ALARMS_BY_ID.get(transition.alarm_id)
        title = alarm.title if alarm else transition.alarm_id
        icon = ":red_circle:" if transition.new_state == "ALARM" else ":large_green_circle:"
        lines.append(f"{icon} *{transition.new_state}*: {title}")
        if transition.reason:
            lines.append(transition.reason)
        if alarm and alarm.runbook not in runbooks:
            runbooks.append(alarm.runbook)
    lines += [f"Runbook: {settings.FRGM_PUBLIC_URL}/ops/runbooks/{slug}/" for slug in runbooks]
    return {"text": "\n".join(lines)}


def _due(transition: AlarmTransition, now: datetime) -> bool:
    """Exponential backoff: 2, 4, 8 ... seconds after each failed attempt."""
    if transition.notify_attempts == 0:
        return True
    return now >= transition.at + timedelta(seconds=2**transition.notify_attempts)


def transitions_notify(*, now: datetime | None = None) -> int:
    """Post every transition not yet posted whose retry is due, together in one message.

    Returns how many transitions went out.
    """
    if not settings.FRGM_SLACK_WEBHOOK_URL:
        return 0
    now = now or timezone.now()
    pending = AlarmTransition.objects.filter(
        notified_at__isnull=True,
        notify_attempts__lt=MAX_ATTEMPTS,
        new_state__in=["ALARM", "OK"],
    ).order_by("at")
    due = [transition.pk for transition in pending if _due(transition, now)]
    return _notify(due, now) if due else 0


def _notify(pks: list[int], now: datetime) -> int:
    with transaction.atomic():
        # Lock the rows so two workers never post the same change.
        batch = list(
            AlarmTransition.objects.select_for_update()
            .filter(pk__in=pks, notified_at__isnull=True)
            .order_by("at", "pk")
        )
        if not batch:
            return 0
        try:
            slack_post(payload=changes_message(batch))
        except NotifyFailed as exc:
            for transition in batch:
                transition.notify_attempts += 1
            AlarmTransition.objects.bulk_update(batch, ["notify_attempts"])
            log.warning(
                "alarms %s: Slack post failed (%s), attempt %d",
                ", ".join(t.alarm_id for t in batch),
                exc,
                max(t.notify_attempts for t in batch),
            )
            return 0
        for transition in batch:
            transition.notified_at = now
            transition.notify_attempts += 1
        AlarmTransition.objects.bulk_update(batch, ["notified_at", "notify_attempts"])
        return len(batch)
