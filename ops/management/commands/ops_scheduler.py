"""Run the ops schedule in its own process: ``manage.py ops_scheduler``.

Stops cleanly on SIGTERM/SIGINT (the run in progress finishes first). ``--check``
is the container's health check: it fails when the scheduler loop in this container
has not turned within ``FRGM_LIVENESS_STALE_S`` (dead or hung) or the last good run
is stale.
"""

from __future__ import annotations

import signal
import threading
from types import FrameType

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import timezone

from lib.loops import loops_dead
from ops.heartbeat import Heartbeat
from ops.scheduler import SCHEDULER_LOOP, ops_cycle_run, scheduler_run
from ops.selectors import evaluation_freshness


class Command(BaseCommand):
    help = (
        "Evaluate alarms (or mirror CloudWatch's), publish health metrics and post to "
        "Slack every FRGM_ALARM_EVALUATE_EVERY_S seconds, until stopped."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one run, then exit")
        parser.add_argument(
            "--check",
            action="store_true",
            help=(
                "exit 1 when the scheduler loop is dead or stuck, or the last good run is "
                "stale (the container's health check)"
            ),
        )

    def handle(self, *args: object, once: bool, check: bool, **options: object) -> None:
        if check:
            dead = loops_dead(names=(SCHEDULER_LOOP,))
            if dead:
                raise CommandError(dead[0].summary)
            freshness = evaluation_freshness(now=timezone.now())
            if freshness.last_at is None or freshness.stale:
                raise CommandError(freshness.summary)
            self.stdout.write(freshness.summary)
            return
        if settings.FRGM_ALARM_SOURCE == "cloudwatch" and not settings.FRGM_ALARM_PREFIX:
            # Without it every environment's alarms would be mirrored and silenced here.
            raise CommandError(
                "FRGM_ALARM_PREFIX is not set: give this environment's alarm name prefix "
                "(frgm-<env>-, as the CDK app names the alarms)"
            )
        if once:
            heartbeat = Heartbeat()
            try:
                self.stdout.write(f"{ops_cycle_run(heartbeat=heartbeat)} alarm change(s)")
            finally:
                heartbeat.close()  # the ping of this run goes out before the process ends
            return
        stop = threading.Event()

        def on_signal(signum: int, frame: FrameType | None) -> None:
            stop.set()

        signal.signal(signal.SIGTERM, on_signal)
        signal.signal(signal.SIGINT, on_signal)
        scheduler_run(every_s=settings.FRGM_ALARM_EVALUATE_EVERY_S, stop=stop)
