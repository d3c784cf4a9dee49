"""A run always ends: done, failed with its error (and no endpoint), or lost when
its worker died or no worker took it; never 'running' forever."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

import feeds.replay
from devstack.processes import free_port
from feeds.pipeline import TransientIngestError
from lib.aws import clients_reset
from ops.models import OpsTaskRun
from ops.scheduler import ops_cycle_run
from ops.task_runs import task_run_execute, task_run_start, task_runs_lose
from tests.conftest import logged_in
from tests.feeds.commands.conftest import day_ingest
from tests.feeds.ingest.conftest import FeedQueue
from tests.ops.conftest import celery_broker

pytestmark = pytest.mark.django_db


def _running(*, beat_s_ago: float, day: str = "2025-07-21") -> OpsTaskRun:
    now = timezone.now()
    return OpsTaskRun.objects.create(
        kind="replay",
        lock=f"replay:{day}",
        params={"day": day, "feed": ""},
        status="running",
        worker="worker@ip-10-0-1-17",
        started_at=now - timedelta(minutes=10),
        beat_at=now - timedelta(seconds=beat_s_ago),
    )


@override_settings(FRGM_OPS_TASK_STALE_S=60)
def test_a_run_whose_worker_stopped_beating_is_marked_lost_and_frees_its_lock(stack, oncall):
    alive, dead = _running(beat_s_ago=5), _running(beat_s_ago=90, day="2025-07-20")

    assert task_runs_lose() == 1

    dead.refresh_from_db()
    alive.refresh_from_db()
    assert alive.status == "running"
    assert dead.status == "lost"
    assert dead.finished_at is not None
    assert "worker@ip-10-0-1-17" in dead.error
    assert "stopped without finishing" in dead.error
    # Its day can be replayed again at once.
    again = task_run_start(
        kind="replay", params={"day": "2025-07-20", "feed": ""}, user=oncall, enqueue=False
    )
    assert again.status == "queued"


@override_settings(FRGM_OPS_TASK_QUEUED_MAX_S=600)
def test_a_run_no_worker_took_is_marked_lost_saying_so(stack, oncall):
    waiting = task_run_start(kind="redrive", params={}, user=oncall, enqueue=False)
    assert task_runs_lose() == 0
    OpsTaskRun.objects.filter(pk=waiting.pk).update(
        created_at=timezone.now() - timedelta(minutes=11)
    )
    assert task_runs_lose() == 1
    waiting.refresh_from_db()
    assert waiting.status == "lost"
    assert "No worker took it within 600 s: is the worker running?" in waiting.error


@override_settings(FRGM_OPS_TASK_STALE_S=60)
def test_the_ops_scheduler_marks_lost_runs_with_no_page_open(stack):
    dead = _running(beat_s_ago=600)
    ops_cycle_run()
    dead.refresh_from_db()
    assert dead.status == "lost"


def test_a_message_delivered_again_does_not_run_a_run_twice(stack, oncall):
    """acks_late: a worker lost mid-run has its message delivered again; the claim
    lets only a queued run start, so a lost (or running, or done) run is left alone."""
    lost = _running(beat_s_ago=600)
    OpsTaskRun.objects.filter(pk=lost.pk).update(status="lost")
    assert task_run_execute(run_id=lost.pk, worker="worker@second") is None
    lost.refresh_from_db()
    assert (lost.status, lost.worker) == ("lost", "worker@ip-10-0-1-17")
    assert task_run_execute(run_id=987654, worker="worker@second") is None  # no such row


def test_a_failed_run_shows_why_without_the_endpoint(feed_queue: FeedQueue, oncall):
    run = task_run_start(kind="redrive", params={}, user=oncall, enqueue=False)
    closed = f"http://127.0.0.1:{free_port()}"  # nothing listens: SQS is away
    with override_settings(AWS_ENDPOINT_URL=closed, AWS_TIMEOUT_S=0.5):
        clients_reset()
        try:
            task_run_execute(run_id=run.pk, worker="worker@test")
        finally:
            clients_reset()
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.finished_at is not None
    assert run.error.startswith("AwsUnavailable: SQS:")
    assert 'Could not connect to the endpoint URL: "<endpoint>"' in run.error
    assert "127.0.0.1" not in run.error


def test_a_replay_with_files_that_failed_ends_failed_with_its_counts(
    feed_queue, oncall, monkeypatch
):

    day_ingest(feed_queue, bad=False)

    real = feeds.replay.feed_file_ingest

    def orders_fail(*, event, **kwargs):
        if event.key.startswith("tt/orders/"):
            raise TransientIngestError("state store: ConnectionError")
        return real(event=event, **kwargs)

    monkeypatch.setattr(feeds.replay, "feed_file_ingest", orders_fail)
    run = task_run_start(
        kind="replay", params={"day": "2025-07-21", "feed": ""}, user=oncall, enqueue=False
    )
    task_run_execute(run_id=run.pk, worker="worker@test")
    run.refresh_from_db()
    assert run.status == "failed"
    assert run.counts["failed"] == 1
    assert run.error.startswith("1 file(s) failed, e.g. tt/orders/2025-07-21/")
    assert "Run the replay again" in run.error
    assert "Replayed 5 file(s) of 2025-07-21" in run.result


@pytest.mark.django_db(transaction=True)
def test_a_run_the_broker_did_not_take_fails_at_once_saying_so(stack, oncall):
    """The messaging Redis away: the run does not sit queued until it is lost."""
    closed = free_port()
    celery_broker(f"redis://127.0.0.1:{closed}/0")
    try:
        page = logged_in(oncall).post(
            reverse("ops:task_start", args=["redrive"]), {"confirm": "redrive"}, follow=True
        )
    finally:
        celery_broker(stack.messaging_url)
    run = OpsTaskRun.objects.get()
    assert run.status == "failed"
    assert run.error.startswith("Not queued: the task broker (messaging Redis) did not take it")
    assert str(closed) not in run.error
    assert f"Run #{run.pk} did not start." in page.content.decode()
    # Its lock is free: once the broker is back, on-call starts it again.
    assert task_run_start(kind="redrive", params={}, user=oncall, enqueue=False).status == "queued"
