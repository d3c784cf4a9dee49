"""The worker's Celery tasks: the long on-call operations, one task per kind.

Adapters only: each takes the run's id (the row holds the parameters) and
hands it to ``ops.task_runs``. No retry: a failed replay or redrive needs a
person to read why; the row says it, and starting it again is safe.

``acks_late`` (settings) acknowledges a message when its task ends, so a worker
killed mid-run has the broker deliver it again; the claim in
``task_run_execute`` makes that second delivery run only a run still queued.
"""

from __future__ import annotations

import os
import socket

from celery import Task, shared_task

from ops.task_runs import task_run_execute


def _execute(task: Task, run_id: int) -> None:
    # Host and process: what on-call needs to find the worker when a run is lost.
    host = task.request.hostname or socket.gethostname()
    task_run_execute(run_id=run_id, worker=f"celery {host} pid {os.getpid()}")


@shared_task(bind=True, name="ops.replay_day")
def replay_day(self: Task, run_id: int) -> None:
    """Ingest a trading day's archived files again (``feeds.replay``)."""
    _execute(self, run_id)


@shared_task(bind=True, name="ops.rebuild_state")
def rebuild_state(self: Task, run_id: int) -> None:
    """Rebuild the latest state from DynamoDB history (``feeds.rebuild``)."""
    _execute(self, run_id)


@shared_task(bind=True, name="ops.redrive_dlq")
def redrive_dlq(self: Task, run_id: int) -> None:
    """Move the DLQ's messages back to the feed queue (``ops.redrive``)."""
    _execute(self, run_id)
