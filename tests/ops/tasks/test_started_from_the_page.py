"""On-call starts replay, rebuild and redrive on the ops page; the worker runs them
and the page sees each one's progress and its end, which stays listed afterwards."""

from __future__ import annotations

import json

import pytest
from asgiref.sync import sync_to_async
from django.urls import reverse

from accounts.models import AuditEvent
from lib.aws import client
from lib.redis_clients import state_store
from ops.models import OpsTaskRun
from tests.conftest import logged_in
from tests.feeds.commands.conftest import day_ingest
from tests.feeds.ingest.conftest import POSITIONS_KEY, latest_rows, sample
from tests.ops.tasks.support import (
    dead_letters,
    frames_until_ended,
    started_on_the_page,
    tasks_socket,
    tasks_socket_opening,
)

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.slow]


async def test_a_redrive_started_on_the_page_reaches_done_and_its_progress_arrives_live(
    ops_worker, feed_queue, oncall
):
    await sync_to_async(dead_letters)(feed_queue, 3)

    frames = await started_on_the_page(oncall, "redrive", {"confirm": "redrive"})

    statuses = [frame["status"] for frame in frames]
    assert statuses[0] == "queued"
    assert "running" in statuses
    assert statuses[-1] == "done"
    assert any(f["status"] == "running" and f["total"] == 3 and f["done"] < 3 for f in frames)
    last = frames[-1]
    assert (last["done"], last["total"]) == (3, 3)
    assert "moved 3" in last["html"]
    assert "Moved 3 message(s) back" in last["html"]
    run = await sync_to_async(OpsTaskRun.objects.get)(pk=last["run"])
    assert (run.status, run.counts, run.started_by_id) == ("done", {"moved": 3}, oncall.pk)
    assert run.finished_at is not None
    assert run.worker.startswith("celery ")  # the worker ran it, not the web
    assert await sync_to_async(feed_queue.depth)(feed_queue.dlq_url) == 0
    assert sum(await sync_to_async(feed_queue.drain)()) == 3  # back in the queue, ingested
    assert await sync_to_async(latest_rows)("tt-positions")
    audit = await sync_to_async(AuditEvent.objects.select_related("actor").get)(
        action="dlq.redrive"
    )
    assert audit.actor.username == "oscar-oncall"
    assert json.loads(audit.detail) == {"run": run.pk, "params": {}, "via": "page"}


async def test_a_replay_started_on_the_page_ingests_the_day_again(ops_worker, feed_queue, oncall):
    await sync_to_async(day_ingest)(feed_queue)
    await sync_to_async(state_store().flushall)()

    frames = await started_on_the_page(oncall, "replay", {"day": "2025-07-21", "feed": ""})

    assert frames[-1]["status"] == "done"
    assert (frames[-1]["done"], frames[-1]["total"]) == (6, 6)
    run = await sync_to_async(OpsTaskRun.objects.get)(pk=frames[-1]["run"])
    assert run.counts == {"ingested": 5, "quarantined": 1}
    assert "Replayed 6 file(s) of 2025-07-21" in run.result
    assert await sync_to_async(latest_rows)("tt-orders")
    audit = await sync_to_async(AuditEvent.objects.get)(action="day.replay")
    assert audit.target == "replay 2025-07-21 (every feed)"


async def test_a_rebuild_started_on_the_page_restores_the_latest_state(
    ops_worker, feed_queue, oncall
):
    await sync_to_async(day_ingest)(feed_queue, bad=False)
    await sync_to_async(state_store().flushall)()

    frames = await started_on_the_page(
        oncall, "rebuild", {"day": "2025-07-21", "feeds": ["tt-orders", "tt-positions"]}
    )

    assert frames[-1]["status"] == "done"
    assert (frames[-1]["done"], frames[-1]["total"]) == (2, 2)
    run = await sync_to_async(OpsTaskRun.objects.get)(pk=frames[-1]["run"])
    assert run.counts == {"rebuilt": 2}
    assert await sync_to_async(latest_rows)("tt-orders")
    assert not await sync_to_async(latest_rows)("spot-risk")  # not asked for
    audit = await sync_to_async(AuditEvent.objects.get)(action="state.rebuild")
    assert audit.target == "rebuild 2025-07-21 (tt-orders, tt-positions)"


def test_a_finished_run_stays_listed_with_its_result(stack, oncall):
    run = OpsTaskRun.objects.create(
        kind="redrive",
        lock="redrive",
        status="done",
        counts={"moved": 4},
        result="Moved 4 message(s) back to the feed queue.",
        started_by=oncall,
    )
    page = logged_in(oncall).get(reverse("ops:tasks")).content.decode()
    assert f'id="run-{run.pk}"' in page
    assert "Moved 4 message(s) back to the feed queue." in page
    assert "oscar-oncall" in page


async def test_a_page_that_reconnects_is_sent_the_runs_as_they_are_now(stack, oncall):
    # A run that ended while the page's socket was down: the page would show it
    # "running" forever if the socket only carried changes.
    run = await sync_to_async(OpsTaskRun.objects.create)(
        kind="rebuild", lock="rebuild", status="done", result="Rebuilt 5 feeds.", started_by=oncall
    )
    communicator, opening = await tasks_socket_opening(oncall)
    await communicator.disconnect()
    runs = [frame for frame in opening if frame["type"] == "task"]
    assert [(frame["run"], frame["status"]) for frame in runs] == [(run.pk, "done")]
    assert "Rebuilt 5 feeds." in runs[0]["html"]
    assert opening[-1] == {"type": "synced", "runs": 1}


async def test_redrive_moves_dead_letters_back_and_they_are_ingested(
    ops_worker, feed_queue, oncall
):
    """The DLQ's own form (intake and feed pages): typed confirmation, then the
    worker moves the messages and the page it came from follows the run."""
    await sync_to_async(feed_queue.put)(POSITIONS_KEY, sample("tt/positions_response.json"))
    [notification] = [
        m for m in await sync_to_async(feed_queue.receive)() if "Records" in m["Body"]
    ]
    sqs = client("sqs")
    await sync_to_async(sqs.delete_message)(
        QueueUrl=feed_queue.url, ReceiptHandle=notification["ReceiptHandle"]
    )
    await sync_to_async(sqs.send_message)(
        QueueUrl=feed_queue.dlq_url, MessageBody=notification["Body"]
    )
    assert await sync_to_async(feed_queue.depth)(feed_queue.dlq_url) == 1
    browser = await sync_to_async(logged_in)(oncall)
    intake = reverse("ops:intake")

    refused = await sync_to_async(browser.post)(
        reverse("ops:dlq_redrive"), {"confirm": "yes", "next": intake}, follow=True
    )
    assert "Type redrive to confirm" in refused.content.decode()
    assert await sync_to_async(feed_queue.depth)(feed_queue.dlq_url) == 1

    socket = await tasks_socket(oncall)
    started = await sync_to_async(browser.post)(
        reverse("ops:dlq_redrive"), {"confirm": "redrive", "next": intake}
    )
    assert started["Location"] == intake
    frames = await frames_until_ended(socket)
    await socket.disconnect()
    assert frames[-1]["status"] == "done"
    assert await sync_to_async(feed_queue.depth)(feed_queue.dlq_url) == 0
    assert all(await sync_to_async(feed_queue.drain)())
    assert await sync_to_async(latest_rows)("tt-positions")
    audit = await sync_to_async(AuditEvent.objects.select_related("actor").get)(
        action="dlq.redrive"
    )
    assert audit.actor.username == "oscar-oncall"
    page = (await sync_to_async(browser.get)(intake)).content.decode()
    assert f'id="run-{frames[-1]["run"]}"' in page  # listed on the page that started it
    assert "Moved 1 message(s) back to the feed queue" in page
