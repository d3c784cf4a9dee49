"""Post alarm state changes to Slack: each change once, retried with backoff.

Transitions are an outbox in the database: one is posted until Slack accepts
it, then never again, so a held state never repeats and a restart loses none.
A Slack outage is waited out however long it lasts (the backoff stops growing
at ``MAX_BACKOFF_S``); the alarms page shows what is still undelivered. When
an alarm changes again before its last change went out, only the newest is
posted, naming the ones it supersedes. The webhook URL comes from the
environment and never appears in a log line or on a page.
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
from ops.runbooks import alarm_runbooks

log = logging.getLogger(__name__)

MAX_BACKOFF_S = 300  # a long outage is retried every 5 minutes, never given up
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


def changes_message(
    transitions: list[AlarmTransition],
    *,
    superseded: dict[str, list[AlarmTransition]] | None = None,
) -> dict[str, object]:
    """One Slack message for the changes of one evaluation, each with its runbooks.

    Stopping a feed server stalls three feeds at once: one post naming three
    alarms wakes the on-call engineer once, not three times. ``superseded`` holds,
    per alarm, earlier changes that never went out: they are named, not posted.
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
        earlier = (superseded or {}).get(transition.alarm_id, [])
        if earlier:
            missed = ", ".join(
                f"{t.new_state} at {timezone.localtime(t.at):%H:%M:%S}" for t in earlier
            )
            lines.append(f"Not delivered while Slack was unreachable: {missed}")
        runbooks += [
            slug for slug in alarm_runbook_slugs(transition.alarm_id) if slug not in runbooks
        ]
    lines += [f"Runbook: {settings.FRGM_PUBLIC_URL}/ops/runbooks/{slug}/" for slug in runbooks]
    return {"text": "\n".join(lines)}


def alarm_runbook_slugs(alarm_id: str) -> list[str]:
    """Every runbook for the alarm: its own, then each other one that names it."""
    return [runbook.slug for runbook in alarm_runbooks(alarm_id)]


def _due(transition: AlarmTransition, now: datetime) -> bool:
    """Exponential backoff after each failed attempt: 2, 4, 8 ... seconds, at most
    ``MAX_BACKOFF_S``."""
    if transition.notify_attempts == 0 or transition.notify_last_attempt_at is None:
        return True
    wait = min(2**transition.notify_attempts, MAX_BACKOFF_S)
    return now >= transition.notify_last_attempt_at + timedelta(seconds=wait)


def transitions_notify(*, now: datetime | None = None) -> int:
    """Post every transition not yet posted whose retry is due, together in one message.

    Returns how many transitions went out.
    """
    if not settings.FRGM_SLACK_WEBHOOK_URL:
        return 0
    now = now or timezone.now()
    pending = list(
        AlarmTransition.objects.filter(
            notified_at__isnull=True, superseded=False, new_state__in=["ALARM", "OK"]
        ).order_by("at", "pk")
    )
    newest = {t.alarm_id: t for t in pending}  # the last of each alarm's pending changes
    if not any(_due(t, now) for t in newest.values()):
        return 0
    return _notify([t.pk for t in newest.values()], [t.pk for t in pending], now)


def _notify(pks: list[int], pending: list[int], now: datetime) -> int:
    with transaction.atomic():
        # Lock the rows so two schedulers never post the same change.
        rows = list(
            AlarmTransition.objects.select_for_update()
            .filter(pk__in=pending, notified_at__isnull=True, superseded=False)
            .order_by("at", "pk")
        )
        batch = [t for t in rows if t.pk in pks]
        if not batch:
            return 0
        earlier: dict[str, list[AlarmTransition]] = {}
        for transition in rows:
            if transition.pk not in pks:
                earlier.setdefault(transition.alarm_id, []).append(transition)
        try:
            slack_post(payload=changes_message(batch, superseded=earlier))
        except NotifyFailed as exc:
            for transition in batch:
                transition.notify_attempts += 1
                transition.notify_last_attempt_at = now
                transition.notify_error = str(exc)[:255]
            AlarmTransition.objects.bulk_update(
                batch, ["notify_attempts", "notify_last_attempt_at", "notify_error"]
            )
            log.warning(
                "alarms %s: Slack post failed (%s), attempt %d; retrying",
                ", ".join(t.alarm_id for t in batch),
                exc,
                max(t.notify_attempts for t in batch),
            )
            return 0
        for transition in batch:
            transition.notified_at = now
            transition.notify_attempts += 1
            transition.notify_last_attempt_at = now
            transition.notify_error = ""
        AlarmTransition.objects.bulk_update(
            batch, ["notified_at", "notify_attempts", "notify_last_attempt_at", "notify_error"]
        )
        superseded = [t for ts in earlier.values() for t in ts]
        for transition in superseded:
            transition.superseded = True
        AlarmTransition.objects.bulk_update(superseded, ["superseded"])
        return len(batch)
