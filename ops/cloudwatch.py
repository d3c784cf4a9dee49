"""In AWS, CloudWatch evaluates the alarms (the CDK app creates one per definition,
named ``frgm-<id>``); the portal reads their states and history from it."""

from __future__ import annotations

from datetime import datetime

from botocore.exceptions import BotoCoreError, ClientError
from django.db import transaction

from feeds.aws import AwsUnavailable, client
from ops.alarms import ALARMS_BY_ID, AlarmDefinition
from ops.evaluator import incident_record
from ops.models import AlarmStatus, AlarmTransition

ALARM_PREFIX = "frgm-"


def cloudwatch_alarm_name(alarm: AlarmDefinition) -> str:
    return f"{ALARM_PREFIX}{alarm.id}"


def cloudwatch_states_sync() -> list[AlarmTransition]:
    """Mirror CloudWatch's alarm states; a change becomes a transition and incident event.

    CloudWatch itself notifies (SNS to Chatbot), so these transitions are marked
    as notified: the portal never posts them a second time.
    """
    try:
        pages = (
            client("cloudwatch")
            .get_paginator("describe_alarms")
            .paginate(AlarmNamePrefix=ALARM_PREFIX, AlarmTypes=["MetricAlarm"])
        )
        alarms = [alarm for page in pages for alarm in page["MetricAlarms"]]
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"CloudWatch describe_alarms: {exc}") from exc
    changes = []
    for alarm in alarms:
        definition = ALARMS_BY_ID.get(alarm["AlarmName"].removeprefix(ALARM_PREFIX))
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
