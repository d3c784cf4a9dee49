"""Periodic ops work, run by the worker's Celery beat locally."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from ops.cloudwatch import cloudwatch_states_sync
from ops.evaluator import alarm_states_update, local_alarm_values
from ops.notify import transitions_notify


@shared_task(ignore_result=True, time_limit=30, soft_time_limit=25)
def alarms_evaluate() -> int:
    """Evaluate every alarm on the local metrics, record changes, post them to Slack.

    In AWS CloudWatch evaluates the same definitions and notifies through SNS;
    there (FRGM_ALARM_SOURCE "cloudwatch") this only mirrors their states.
    """
    if settings.FRGM_ALARM_SOURCE == "cloudwatch":
        return len(cloudwatch_states_sync())
    now = timezone.now()
    changes = alarm_states_update(values=local_alarm_values(now=now), now=now)
    transitions_notify(now=now)
    return len(changes)
