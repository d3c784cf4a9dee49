"""In AWS, CloudWatch evaluates the alarms (the CDK app creates one per definition,
named ``<FRGM_ALARM_PREFIX><id>``, ``frgm-<env>-`` per environment); the portal
reads its own environment's states and history from it, and turns alarm actions
off while an alarm is silenced, so a portal silence stops CloudWatch paging too.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import transaction

from accounts.services import audit_record
from lib.aws import AwsUnavailable, client
from ops.alarms import ALARMS_BY_ID, AlarmDefinition
from ops.evaluator import incident_record
from ops.models import AlarmStatus, AlarmTransition
from ops.selectors import active_silences, silences_by_alarm

NAMES_PER_CALL = 100  # DisableAlarmActions and EnableAlarmActions take at most 100


def cloudwatch_alarm_name(alarm: AlarmDefinition) -> str:
    return f"{settings.FRGM_ALARM_PREFIX}{alarm.id}"


def cloudwatch_alarms_describe() -> list[dict[str, Any]]:
    """This environment's metric alarms (its prefix: another environment's are not ours)."""
    try:
        pages = (
            client("cloudwatch")
            .get_paginator("describe_alarms")
            .paginate(AlarmNamePrefix=settings.FRGM_ALARM_PREFIX, AlarmTypes=["MetricAlarm"])
        )
        return [alarm for page in pages for alarm in page["MetricAlarms"]]
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"CloudWatch describe_alarms: {exc}") from exc


def _definition(alarm: dict[str, Any]) -> AlarmDefinition | None:
    return ALARMS_BY_ID.get(alarm["AlarmName"].removeprefix(settings.FRGM_ALARM_PREFIX))


def cloudwatch_states_sync(*, alarms: list[dict[str, Any]] | None = None) -> list[AlarmTransition]:
    """Mirror CloudWatch's alarm states; a change becomes a transition and incident event.

    CloudWatch itself notifies (SNS to Chatbot), so these transitions are marked
    as notified: the portal never posts them a second time.
    """
    alarms = cloudwatch_alarms_describe() if alarms is None else alarms
    changes = []
    for alarm in alarms:
        definition = _definition(alarm)
        if definition is None:
            continue
        change = _mirror(
            definition,
            alarm["StateValue"],
            alarm["StateUpdatedTimestamp"],
            alarm.get("StateReason", ""),
        )
        if change is not None:
            changes.append(change)
    return changes


@transaction.atomic
def _mirror(
    alarm: AlarmDefinition, state: str, since: datetime, reason: str
) -> AlarmTransition | None:
    status, created = AlarmStatus.objects.select_for_update().get_or_create(
        alarm_id=alarm.id, defaults={"state": state, "since": since, "reason": reason}
    )
    if not created and status.state == state:
        return None
    old = "INSUFFICIENT_DATA" if created else status.state
    status.state, status.since, status.reason = state, since, reason
    status.save()
    if created and state != "ALARM":
        return None
    transition = AlarmTransition.objects.create(
        alarm_id=alarm.id,
        old_state=old,
        new_state=state,
        reason=reason,
        at=since,
        notified_at=since,
    )
    incident_record(alarm, transition)
    return transition


def cloudwatch_actions_sync(
    *, now: datetime, alarms: list[dict[str, Any]] | None = None
) -> dict[str, list[str]]:
    """Alarm actions off for every silenced alarm, on again once its silence ends.

    Run on every scheduler run, so a silence's end needs no one to act, and an
    action that failed is simply tried again. Returns the names changed.
    """
    alarms = cloudwatch_alarms_describe() if alarms is None else alarms
    silenced = silences_by_alarm(active_silences(now=now))
    changed: dict[str, list[str]] = {"disabled": [], "enabled": []}
    for alarm in alarms:
        definition = _definition(alarm)
        if definition is None:
            continue
        quiet = definition.id in silenced
        if quiet and alarm.get("ActionsEnabled", True):
            changed["disabled"].append(alarm["AlarmName"])
        elif not quiet and not alarm.get("ActionsEnabled", True):
            changed["enabled"].append(alarm["AlarmName"])
    _actions_set(changed["disabled"], enabled=False)
    _actions_set(changed["enabled"], enabled=True)
    for verb, names in changed.items():
        if names:
            audit_record(actor=None, action=f"alarm.actions_{verb}", target=", ".join(names)[:255])
    return changed


def _actions_set(names: list[str], *, enabled: bool) -> None:
    call = "enable_alarm_actions" if enabled else "disable_alarm_actions"
    try:
        for start in range(0, len(names), NAMES_PER_CALL):
            getattr(client("cloudwatch"), call)(AlarmNames=names[start : start + NAMES_PER_CALL])
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"CloudWatch {call}: {exc}") from exc
