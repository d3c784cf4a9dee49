"""The ops schedule: every few seconds, in a process of its own (``manage.py
ops_scheduler``; the Procfile's ``scheduler``, its own ECS service in AWS).

Not in the worker it watches: a frozen worker once froze its own evaluator, and
every alarm, "No worker is consuming" included, stayed OK. Not through Celery
either: the broker is one of the things that can fail. Each run records itself
(``EvaluationRun``), so the web can tell when runs stop and say so on the ops
pages (``ops.selectors.evaluation_freshness``).
"""

from __future__ import annotations

import logging
import threading
import time
from datetime import datetime

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from lib.loops import LoopHealth
from ops.cloudwatch import (
    cloudwatch_actions_sync,
    cloudwatch_alarms_describe,
    cloudwatch_states_sync,
)
from ops.evaluator import alarm_states_update, local_alarm_values
from ops.health_metrics import health_metrics_emit
from ops.heartbeat import Heartbeat
from ops.models import EvaluationRun
from ops.notify import transitions_notify

log = logging.getLogger(__name__)

# The name of the loop's liveness stamp: ``ops_scheduler --check`` fails when it is stale.
SCHEDULER_LOOP = "ops-scheduler"


def ops_cycle_run(
    *,
    now: datetime | None = None,
    health: LoopHealth | None = None,
    heartbeat: Heartbeat | None = None,
) -> int:
    """One run: publish the health metrics, evaluate (or, in AWS, mirror CloudWatch),
    post changes, then beat (``heartbeat``: a good run only); returns the number of
    state changes. A failure is logged (through the scheduler loop's ``health``, once
    per outage) and recorded, never raised."""
    now = now or timezone.now()
    try:
        health_metrics_emit(now=now)  # what CloudWatch's alarms read, in AWS
        if settings.FRGM_ALARM_SOURCE == "cloudwatch":
            # CloudWatch evaluates and notifies through SNS; the portal mirrors it,
            # and silences its alarms' actions while the portal silences them.
            alarms = cloudwatch_alarms_describe()
            changes = len(cloudwatch_states_sync(alarms=alarms))
            cloudwatch_actions_sync(now=now, alarms=alarms)
        else:
            changes = len(alarm_states_update(values=local_alarm_values(now=now), now=now))
            transitions_notify(now=now)
    except Exception as exc:
        if health is None:
            log.exception("ops run failed")
        else:
            health.failed(exc, what="run failed")
        evaluation_record(at=now, error=f"{type(exc).__name__}: {exc}"[:2000])
        return 0
    evaluation_record(at=now)
    if health is not None:
        health.ok()
    if heartbeat is not None:
        heartbeat.beat(now=now)  # last: only a run that did its work says "alive"
    return changes


def evaluation_record(*, at: datetime, error: str = "") -> EvaluationRun:
    run, _ = EvaluationRun.objects.get_or_create(name="alarms", defaults={"attempted_at": at})
    run.attempted_at, run.error = at, error
    if not error:
        run.succeeded_at = at
    run.save()
    return run


def scheduler_run(*, every_s: float, stop: threading.Event) -> None:
    """Run ``ops_cycle_run`` every ``every_s`` seconds until ``stop`` is set; a run in
    progress finishes first. Runs keep their cadence however long one takes.

    Nothing a run raises ends the loop (recording a failed run needs the database,
    which may be what failed): it is logged once per outage and the next run is tried
    on time; each turn stamps the loop's liveness (``SCHEDULER_LOOP``)."""
    log.info("ops scheduler: a run every %.0f s (%s alarms)", every_s, settings.FRGM_ALARM_SOURCE)
    health = LoopHealth(SCHEDULER_LOOP, logger=log)
    heartbeat = Heartbeat()
    log.info("ops scheduler: external heartbeat %s", "on" if heartbeat.pinger else "off")
    next_at = time.monotonic()
    try:
        while not stop.is_set():
            health.turn()
            try:
                ops_cycle_run(health=health, heartbeat=heartbeat)
                close_old_connections()  # a long-lived process: never hold a dead connection
            except Exception as exc:  # the failure could not even be recorded
                health.failed(exc, what="run failed")
            next_at += every_s
            stop.wait(max(0.0, next_at - time.monotonic()))
            next_at = max(next_at, time.monotonic() - every_s)  # after a long run, do not race
    finally:
        heartbeat.close()
    log.info("ops scheduler stopped")
