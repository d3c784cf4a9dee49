"""The worker container's health check: ``manage.py worker_health`` exits 1 when one
of the notification consumer's loops (``sqs-poll``, ``sqs-visibility``,
``sqs-delete``) has not turned within ``FRGM_LIVENESS_STALE_S``, so a worker whose
poller died or hangs is replaced instead of looking ready."""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from feeds.sqs_consumer import WORKER_LOOPS
from lib.loops import loop_states, loops_dead


class Command(BaseCommand):
    help = "Exit 1 when a loop of this container's notification consumer is dead or stuck."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--stale-s", type=float, default=None, help="default: FRGM_LIVENESS_STALE_S"
        )

    def handle(self, *args: object, stale_s: float | None, **options: object) -> None:
        if not settings.FRGM_CONSUME_NOTIFICATIONS:
            self.stdout.write("this worker does not consume notifications: no loop to check")
            return
        dead = loops_dead(names=WORKER_LOOPS, stale_s=stale_s)
        if dead:
            raise CommandError("; ".join(state.summary for state in dead))
        self.stdout.write("; ".join(state.summary for state in loop_states(names=WORKER_LOOPS)))
