"""What ``manage.py replay``, ``rebuild_state`` and ``dlq_redrive`` share.

Inline by default: the command does the work in its own process and prints the
outcome, as before these were tasks. On-call reaches for the terminal when the
worker itself is in trouble (crash-looping on a lost store, its image being
rolled back), and a drill or a runbook step wants to know the result before its
next line. ``--enqueue`` hands the run to the worker instead and returns at once.
Either way the run is a row (so the ops pages show it, and it holds the same
lock as a run started there) and an audit entry naming the OS user.
"""

from __future__ import annotations

import getpass
import os
import socket
from collections.abc import Callable
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from ops.models import OpsTaskRun, RunStatus
from ops.task_runs import RunRefused, task_run_execute, task_run_start

Progress = Callable[[int, int], None]


class OpsTaskCommand(BaseCommand):
    kind: str

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--enqueue",
            action="store_true",
            help="hand the run to the worker (Celery) and return; follow it on /ops/tasks/",
        )

    def params(self, options: dict[str, Any]) -> dict[str, Any]:
        raise NotImplementedError

    def progress(self) -> Progress | None:
        """A terminal's progress line, or None."""
        return None

    def run_start(self, options: dict[str, Any]) -> OpsTaskRun:
        """Start the run; inline, return it ended. Raises CommandError when it failed."""
        enqueue = bool(options["enqueue"])
        try:
            run = task_run_start(
                kind=self.kind,
                params=self.params(options),
                user=None,
                via=f"manage.py ({_os_user()})"[:32],
                enqueue=enqueue,
            )
        except RunRefused as exc:
            raise CommandError(str(exc)) from exc
        if enqueue:
            self.stdout.write(f"Queued run #{run.pk}: the worker runs it; see /ops/tasks/.")
            return run
        worker = f"manage.py:{socket.gethostname()}:{os.getpid()}"
        task_run_execute(run_id=run.pk, worker=worker, also=self.progress())
        run.refresh_from_db()
        if run.result:
            self.stdout.write(run.result)
        if run.status != RunStatus.DONE:
            raise CommandError(run.error or f"run #{run.pk} {run.status}")
        return run


def _os_user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (a container's arbitrary uid)
        return f"uid {os.getuid()}"
