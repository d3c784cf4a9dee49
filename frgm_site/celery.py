"""The Celery app: JSON only, configured from Django settings (CELERY_*).

The worker also runs the S3 notification consumer as a bootstep, so
``celery -A frgm_site worker`` alone ingests files.
"""

from __future__ import annotations

import os
import sys
from typing import Any

from celery import Celery, bootsteps, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "frgm_site.settings")

app = Celery("frgm_site")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class FeedNotificationStep(bootsteps.StartStopStep):
    """Starts the SQS notification consumer with the worker; stops it on warm shutdown."""

    requires = ("celery.worker.components:Pool",)

    def __init__(self, worker: Any, **kwargs: Any) -> None:
        super().__init__(worker, **kwargs)
        self.consumer: Any = None

    def start(self, worker: Any) -> None:
        from django.conf import settings

        if not settings.FRGM_CONSUME_NOTIFICATIONS:
            return
        from feeds.sqs_consumer import NotificationConsumer
        from lib.heap import heap_settle

        heap_settle()

        self.consumer = NotificationConsumer(
            queue_name=settings.FRGM_FEED_QUEUE,
            in_flight=settings.FRGM_CONSUMER_IN_FLIGHT,
            wait_s=settings.FRGM_CONSUMER_WAIT_S,
            visibility_s=settings.FRGM_CONSUMER_VISIBILITY_S,
            worker=worker.hostname,
        )
        self.consumer.start()

    def stop(self, worker: Any) -> None:
        if self.consumer is not None:
            self.consumer.stop()


app.steps["worker"].add(FeedNotificationStep)


@signals.worker_init.connect
def _refuse_unsafe_settings(**kwargs: Any) -> None:
    """Celery runs Django's checks but ignores their errors: unsafe production
    settings stop the worker here. SystemExit, because celery logs and swallows
    an Exception raised by a signal handler."""
    import django
    from django.core.management.base import SystemCheckError

    django.setup()
    from frgm_site.checks import settings_refuse_unsafe

    try:
        settings_refuse_unsafe()
    except SystemCheckError as exc:
        print(exc, file=sys.stderr, flush=True)
        raise SystemExit(1) from exc
