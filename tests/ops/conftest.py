"""Ops fixtures: the ingest tests' stack (a per-test bucket, queues and table, the
EMF documents logged), and a real Celery worker on the test stack's broker."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from celery.contrib.testing.worker import start_worker
from django.test import override_settings

from devstack.standins import Stack
from frgm_site.celery import app
from tests.feeds.ingest.conftest import emf_documents, feed_queue  # noqa: F401


def celery_broker(url: str) -> None:
    """Point the Celery app at the broker ``url`` (the test stack's messaging Redis,
    as in AWS).

    The app read its broker from settings once; its connection pools were made
    with that URL, so they go too (private attributes: Celery has no public reset
    that keeps the app registered)."""
    app.conf.broker_url = url
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def ops_worker(stack: Stack, transactional_db: None) -> Iterator[Any]:
    """A real Celery worker, in a thread (solo pool: one task at a time, as each of
    the worker container's processes), consuming the test stack's broker.

    Without the SQS notification consumer: the tests drain their queue themselves.
    The database is the test's, committed (``transactional_db``), as a worker
    process sees it."""
    celery_broker(stack.messaging_url)
    with (
        override_settings(FRGM_CONSUME_NOTIFICATIONS=False),
        start_worker(app, pool="solo", perform_ping_check=False, loglevel="WARNING") as worker,
    ):
        yield worker
