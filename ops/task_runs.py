"""The life of an ops task run: start (audited), claim, progress, finish, lost.

A run is a row (``OpsTaskRun``) first and a Celery message second: the row is
written and audited in one transaction, and the message is sent only once it
commits, so a worker never looks for a row that is not there. Every change is
published to ``OPS_TASKS_GROUP``, where the ops pages listen.

A worker claims a run with a conditional update (queued -> running), so a
message delivered twice (acks_late after a lost worker) runs the work once.
While it runs, a thread stamps ``beat_at``; a running row whose beat is older
than ``FRGM_OPS_TASK_STALE_S`` belongs to a worker that died (a hard time
limit, an OOM kill, a lost task) and is marked ``lost`` by ``task_runs_lose``,
which the ops scheduler calls every cycle and the pages call before they list
runs. A queued run no worker took within ``FRGM_OPS_TASK_QUEUED_MAX_S`` (no
worker, or the broker lost the message) is marked lost too. Either frees its lock.
"""

from __future__ import annotations

import json
import logging
import threading
import time
from datetime import datetime, timedelta
from typing import Any

from asgiref.sync import async_to_sync
from celery import current_app
from celery.exceptions import SoftTimeLimitExceeded
from channels.layers import get_channel_layer
from django.conf import settings
from django.contrib.auth.models import User
from django.db import IntegrityError, close_old_connections, transaction
from django.utils import timezone

from accounts.services import audit_record
from ops.live import task_run_update
from ops.messages import OPS_TASKS_GROUP
from ops.models import OpsTaskRun, RunStatus, TaskKind
from ops.operations import (
    OperationFailed,
    Outcome,
    Progress,
    operation_describe,
    operation_lock,
    operation_run,
)
from ops.wording import endpoint_free

log = logging.getLogger(__name__)

# The Celery task of each kind (ops/tasks.py), by name: the service sends by name
# so that it need not import the tasks that import it.
TASK_NAMES = {
    TaskKind.REPLAY: "ops.replay_day",
    TaskKind.REBUILD: "ops.rebuild_state",
    TaskKind.REDRIVE: "ops.redrive_dlq",
}
# The audit trail's action per kind; dlq.redrive as before the redrive was a task.
AUDIT_ACTIONS = {
    TaskKind.REPLAY: "day.replay",
    TaskKind.REBUILD: "state.rebuild",
    TaskKind.REDRIVE: "dlq.redrive",
}
ERROR_MAX_CHARS = 2000


class RunRefused(ValueError):
    """Another run holds the same lock; the text names it."""


def task_run_start(
    *,
    kind: str,
    params: dict[str, Any],
    user: User | None,
    via: str = "page",
    enqueue: bool = True,
) -> OpsTaskRun:
    """Record, audit and (``enqueue``) queue a run; ``RunRefused`` while a run
    holding the same lock is queued or running. Without ``enqueue`` the caller
    runs it (``task_run_execute``) in its own process."""
    lock = operation_lock(kind=kind, params=params)
    try:
        with transaction.atomic():
            run = OpsTaskRun.objects.create(
                kind=kind, params=params, lock=lock, started_by=user, via=via
            )
            audit_record(
                actor=user,
                action=AUDIT_ACTIONS[TaskKind(kind)],
                target=operation_describe(kind=kind, params=params),
                detail=json.dumps({"run": run.pk, "params": params, "via": via}),
            )
            if enqueue:
                transaction.on_commit(lambda: _announced_then_enqueued(run))
    except IntegrityError:
        raise RunRefused(_refusal(lock)) from None
    if not enqueue:
        task_run_publish(run)
    return run


def _announced_then_enqueued(run: OpsTaskRun) -> None:
    """Tell the pages the run is queued, then queue it: the other way round, a fast
    worker's "running" could reach a page before "queued", which then went back."""
    task_run_publish(run)
    _enqueue(run)


def _enqueue(run: OpsTaskRun) -> None:
    """Send the run's task; a broker that does not take it (the messaging Redis
    away) fails the run at once, saying so, rather than leaving it queued until
    it is marked lost."""
    try:
        current_app.send_task(TASK_NAMES[TaskKind(run.kind)], args=[run.pk])
    except Exception as exc:
        log.warning("ops task run #%s: not queued: %s", run.pk, endpoint_free(str(exc)))
        _end(
            run,
            RunStatus.FAILED,
            error=f"Not queued: the task broker (messaging Redis) did not take it: "
            f"{type(exc).__name__}: {exc}",
        )


def _refusal(lock: str) -> str:
    active = (
        OpsTaskRun.objects.filter(lock=lock, status__in=OpsTaskRun.ACTIVE)
        .select_related("started_by")
        .first()
    )
    if active is None:  # it ended between the insert and this read
        return "The same operation was running a moment ago: start it again."
    who = active.started_by or active.via
    return (
        f"{operation_describe(kind=active.kind, params=active.params).capitalize()} is "
        f"{active.status} already (run #{active.pk}, started by {who}): wait for it to finish."
    )


def task_run_execute(
    *, run_id: int, worker: str, also: Progress | None = None
) -> OpsTaskRun | None:
    """Claim run ``run_id`` and do its work here; None when it is not ours to run
    (done, failed, lost, or another worker's). Never raises the operation's error:
    the row keeps it, for the page. ``also`` hears every progress step too (a
    terminal's progress line)."""
    if not _claim(run_id, worker):
        log.info("ops task run #%s: not queued any more, not run again", run_id)
        return None
    run = OpsTaskRun.objects.select_related("started_by").get(pk=run_id)
    task_run_publish(run)
    reporter = _Progress(run, also)
    stop = threading.Event()
    beat = threading.Thread(target=_beat, args=(run_id, stop), name=f"ops-run-{run_id}-beat")
    beat.start()
    try:
        outcome = operation_run(kind=run.kind, params=run.params, progress=reporter)
    except OperationFailed as exc:
        _end(run, RunStatus.FAILED, outcome=exc.outcome, error=str(exc))
    except SoftTimeLimitExceeded:
        limit = settings.CELERY_TASK_SOFT_TIME_LIMIT
        _end(run, RunStatus.FAILED, error=f"Stopped after the time limit of {limit} s.")
    except Exception as exc:
        log.exception("ops task run #%s (%s) failed", run.pk, run.kind)
        _end(run, RunStatus.FAILED, error=f"{type(exc).__name__}: {exc}")
    else:
        _end(run, RunStatus.DONE, outcome=outcome)
    finally:
        stop.set()
        beat.join()
    return run


def _claim(run_id: int, worker: str) -> bool:
    now = timezone.now()
    claimed = OpsTaskRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
        status=RunStatus.RUNNING, worker=worker, started_at=now, beat_at=now
    )
    return claimed == 1


def _beat(run_id: int, stop: threading.Event) -> None:
    """Stamp the run alive until told to stop; its own connection, closed at the end."""
    try:
        while not stop.wait(settings.FRGM_OPS_TASK_BEAT_S):
            OpsTaskRun.objects.filter(pk=run_id, status=RunStatus.RUNNING).update(
                beat_at=timezone.now()
            )
    except Exception:  # a missed beat at worst marks the run lost; never kill the work
        log.warning("ops task run #%s: could not stamp its beat", run_id, exc_info=True)
    finally:
        close_old_connections()


class _Progress:
    """The operation's progress callback: the row and the page, at most every
    ``FRGM_OPS_TASK_PROGRESS_EVERY_S`` (a replay reports every file), and always
    the first and the last step."""

    def __init__(self, run: OpsTaskRun, also: Progress | None) -> None:
        self.run = run
        self.also = also
        self.sent_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        if self.also:
            self.also(done, total)
        now = time.monotonic()
        first_or_last = done == 0 or done >= total
        if not first_or_last and now - self.sent_at < settings.FRGM_OPS_TASK_PROGRESS_EVERY_S:
            return
        self.sent_at = now
        self.run.done, self.run.total, self.run.beat_at = done, total, timezone.now()
        self.run.save(update_fields=["done", "total", "beat_at"])
        task_run_publish(self.run)


def _end(run: OpsTaskRun, status: str, *, outcome: Outcome | None = None, error: str = "") -> None:
    run.status = status
    run.finished_at = timezone.now()
    if outcome is not None:
        run.result, run.counts = outcome.result, outcome.counts
    # Errors name hosts and endpoints (boto, redis-py): the page shows none of them.
    run.error = endpoint_free(error)[:ERROR_MAX_CHARS]
    run.save(update_fields=["status", "finished_at", "result", "counts", "error"])
    task_run_publish(run)


def task_runs_lose(*, now: datetime | None = None) -> int:
    """Mark runs whose worker stopped beating, or that no worker took, as lost;
    returns how many. Cheap when there are none: one indexed query."""
    now = now or timezone.now()
    stale = now - timedelta(seconds=settings.FRGM_OPS_TASK_STALE_S)
    unclaimed = now - timedelta(seconds=settings.FRGM_OPS_TASK_QUEUED_MAX_S)
    lost = list(OpsTaskRun.objects.filter(status=RunStatus.RUNNING, beat_at__lt=stale)) + list(
        OpsTaskRun.objects.filter(status=RunStatus.QUEUED, created_at__lt=unclaimed)
    )
    for run in lost:
        if run.status == RunStatus.RUNNING:
            error = (
                f"The worker ({run.worker or 'unknown'}) stopped without finishing: its last "
                f"sign of life was {timezone.localtime(run.beat_at):%H:%M:%S}. It died, was "
                "restarted or hit the hard time limit. Start the run again: it is idempotent."
            )
        else:
            error = (
                f"No worker took it within {settings.FRGM_OPS_TASK_QUEUED_MAX_S:g} s: "
                "is the worker running? Start the run again once it is."
            )
        # Conditional, as the claim: a run that finished meanwhile keeps its ending.
        changed = OpsTaskRun.objects.filter(pk=run.pk, status=run.status).update(
            status=RunStatus.LOST, error=endpoint_free(error), finished_at=now
        )
        if changed:
            run.status, run.error, run.finished_at = RunStatus.LOST, error, now
            task_run_publish(run)
    return len(lost)


def task_run_publish(run: OpsTaskRun) -> None:
    """Tell the ops pages; a channel layer away costs the live view, never the run."""
    layer = get_channel_layer()
    if layer is None:
        return
    try:
        async_to_sync(layer.group_send)(OPS_TASKS_GROUP, task_run_update(run))
    except Exception as exc:
        log.warning("ops task run #%s: not published: %s", run.pk, endpoint_free(str(exc)))
