"""The redrive's two paths: SQS's own move task (AWS) and the receive/send/delete
loop (moto's server, which lacks move tasks). The loop runs against moto; the move
task can only run in AWS, so its calls are checked against botocore's Stubber."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import ClientError
from botocore.stub import Stubber
from django.conf import settings
from django.test import override_settings

import ops.redrive
from lib.aws import client
from ops.models import OpsTaskRun
from ops.redrive import dlq_redrive
from ops.task_runs import task_run_execute, task_run_start
from tests.feeds.ingest.conftest import FeedQueue
from tests.ops.tasks.support import dead_letters

pytestmark = pytest.mark.django_db
DLQ_ARN = "arn:aws:sqs:us-east-1:123456789012:frgm-prod-feed-events-dlq"
QUEUE_ARN = "arn:aws:sqs:us-east-1:123456789012:frgm-prod-feed-events"


def test_the_stand_in_lacks_move_tasks_so_local_redrives_use_the_loop(feed_queue: FeedQueue):
    """If moto learns StartMessageMoveTask (getmoto/moto#10265), this fails: then the
    local default can become the AWS path."""
    assert settings.FRGM_DLQ_REDRIVE == "loop"
    sqs = client("sqs", attempts=1)
    arn = sqs.get_queue_attributes(QueueUrl=feed_queue.dlq_url, AttributeNames=["QueueArn"])
    with pytest.raises(ClientError, match="StartMessageMoveTask"):
        sqs.start_message_move_task(SourceArn=arn["Attributes"]["QueueArn"])


def test_the_loop_moves_what_was_waiting_when_it_started_and_no_more(feed_queue: FeedQueue):
    dead_letters(feed_queue, 3)
    seen: list[tuple[int, int]] = []

    def progress(done: int, total: int) -> None:
        if not seen:  # two more dead letters arrive while the redrive runs
            dead_letters(feed_queue, 2)
        seen.append((done, total))

    report = dlq_redrive(progress=progress, mode="loop")

    assert (report.mode, report.moved, report.to_move) == ("loop", 3, 3)
    assert seen == [(0, 3), (3, 3)]
    assert feed_queue.depth(feed_queue.dlq_url) == 2
    assert sum(feed_queue.drain()) == 3


@pytest.fixture
def aws_sqs(monkeypatch: pytest.MonkeyPatch) -> Iterator[Stubber]:
    """The redrive's SQS client, answering as AWS does; every call must be expected."""
    sqs = client("sqs")
    stubber = Stubber(sqs)
    monkeypatch.setattr(ops.redrive, "client", lambda service, **_: sqs)
    with stubber, override_settings(FRGM_DLQ_MOVE_POLL_S=0):
        yield stubber
    stubber.assert_no_pending_responses()


def _queues(stubber: Stubber, *, waiting: int) -> None:
    for name in (settings.FRGM_FEED_DLQ, settings.FRGM_FEED_QUEUE):
        stubber.add_response(
            "get_queue_url", {"QueueUrl": f"https://sqs/{name}"}, {"QueueName": name}
        )
    stubber.add_response("get_queue_attributes", {"Attributes": {"QueueArn": DLQ_ARN}})
    stubber.add_response(
        "get_queue_attributes", {"Attributes": {"ApproximateNumberOfMessages": str(waiting)}}
    )


def _listed(status: str, moved: int, **more: Any) -> dict[str, Any]:
    task = {
        "Status": status,
        "SourceArn": DLQ_ARN,
        "DestinationArn": QUEUE_ARN,
        "ApproximateNumberOfMessagesMoved": moved,
        "ApproximateNumberOfMessagesToMove": 3,
        **more,
    }
    return {"Results": [task]}


def test_in_aws_sqs_moves_the_messages_and_the_worker_follows_its_progress(aws_sqs: Stubber):
    _queues(aws_sqs, waiting=3)
    aws_sqs.add_response("get_queue_attributes", {"Attributes": {"QueueArn": QUEUE_ARN}})
    aws_sqs.add_response(
        "start_message_move_task",
        {"TaskHandle": "handle-1"},
        {"SourceArn": DLQ_ARN, "DestinationArn": QUEUE_ARN},
    )
    list_params = {"SourceArn": DLQ_ARN, "MaxResults": 1}
    aws_sqs.add_response(
        "list_message_move_tasks", _listed("RUNNING", 1, TaskHandle="handle-1"), list_params
    )
    aws_sqs.add_response("list_message_move_tasks", _listed("COMPLETED", 3), list_params)
    seen: list[tuple[int, int]] = []

    report = dlq_redrive(progress=lambda done, total: seen.append((done, total)), mode="move-task")

    assert (report.mode, report.moved, report.to_move) == ("move-task", 3, 3)
    assert seen == [(1, 3), (3, 3)]


def test_an_empty_dlq_starts_no_move_task(aws_sqs: Stubber):
    _queues(aws_sqs, waiting=0)
    report = dlq_redrive(mode="move-task")
    assert (report.moved, report.to_move) == (0, 0)


def test_a_move_task_sqs_failed_fails_the_run_with_sqs_reason(aws_sqs: Stubber, oncall):
    _queues(aws_sqs, waiting=3)
    aws_sqs.add_response("get_queue_attributes", {"Attributes": {"QueueArn": QUEUE_ARN}})
    aws_sqs.add_response("start_message_move_task", {"TaskHandle": "handle-2"})
    aws_sqs.add_response(
        "list_message_move_tasks",
        _listed("FAILED", 1, FailureReason="AWS.SimpleQueueService.KmsAccessDenied"),
    )
    run = task_run_start(kind="redrive", params={}, user=oncall, enqueue=False)

    with override_settings(FRGM_DLQ_REDRIVE="move-task"):
        task_run_execute(run_id=run.pk, worker="worker@test")

    run = OpsTaskRun.objects.get(pk=run.pk)
    assert run.status == "failed"
    assert run.error == (
        "RedriveFailed: SQS move task failed after 1 message(s): "
        "AWS.SimpleQueueService.KmsAccessDenied"
    )
