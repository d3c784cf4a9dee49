"""The browser tests' desk: the sample files ingested and a worker consuming."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.conf import settings
from django.contrib.auth.models import Group, User

from feeds.sqs_consumer import NotificationConsumer

# The ingest fixtures (a per-test bucket, queues and table) serve the browser tests too.
from tests.feeds.ingest.conftest import FeedQueue, feed_queue
from tests.ladder.pages.conftest import sample_desk_ingest

__all__ = ["desk", "feed_queue"]


@pytest.fixture
def desk(transactional_db: None, feed_queue: FeedQueue) -> Iterator[FeedQueue]:
    """The sample files ingested, a worker consuming, a trader with a password."""
    sample_desk_ingest(feed_queue)
    trader = User.objects.create_user("tina-live", password="desk-pass-9f2")
    trader.groups.add(Group.objects.get_or_create(name="trader")[0])
    worker = NotificationConsumer(
        queue_name=settings.FRGM_FEED_QUEUE, in_flight=2, wait_s=1, visibility_s=5
    )
    worker.start()
    yield feed_queue
    worker.stop()
