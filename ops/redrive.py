"""Move dead-lettered feed notifications back to the feed queue.

In AWS this is SQS's own DLQ redrive, ``StartMessageMoveTask``: SQS moves the
messages itself, at its own pace, and ``ListMessageMoveTasks`` reports how far
it got; the worker only starts it and watches. moto's server (the local
stand-in, 5.2) does not implement those calls (getmoto/moto#10265 is still
open), so locally the worker moves them itself: receive, send to the queue,
then delete from the DLQ. ``FRGM_DLQ_REDRIVE`` chooses (``move-task`` in AWS,
``loop`` against a stand-in) rather than a probe at run time: a probe that
failed for another reason (permissions, throttling) would silently switch
AWS to the slower path.

Either way a redrive moves what was in the DLQ when it started, not what
arrives during it: a message that fails again comes back to the DLQ after its
receives, and must not be moved round and round by the same run.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings

from lib.aws import AwsUnavailable, client

MOVE_TASK = "move-task"
LOOP = "loop"
MODES = (MOVE_TASK, LOOP)
# SQS's move task states; every one but RUNNING is final.
_RUNNING = "RUNNING"

Progress = Callable[[int, int], None]  # (messages moved, messages to move)


class RedriveFailed(RuntimeError):
    """SQS reported the move task failed or was cancelled; the text is SQS's reason."""


@dataclass(frozen=True)
class RedriveReport:
    mode: str
    moved: int
    to_move: int


def dlq_redrive(*, progress: Progress | None = None, mode: str | None = None) -> RedriveReport:
    """Move the DLQ's messages back to the feed queue; returns how many moved."""
    mode = mode or settings.FRGM_DLQ_REDRIVE
    try:
        if mode == MOVE_TASK:
            return _move_task(progress)
        return _loop(progress)
    except (ClientError, BotoCoreError) as exc:
        raise AwsUnavailable(f"SQS: {exc}") from exc


def _urls() -> tuple[str, str]:
    sqs = client("sqs")
    dlq = sqs.get_queue_url(QueueName=settings.FRGM_FEED_DLQ)["QueueUrl"]
    queue = sqs.get_queue_url(QueueName=settings.FRGM_FEED_QUEUE)["QueueUrl"]
    return dlq, queue


def _attribute(url: str, name: str) -> str:
    reply = client("sqs").get_queue_attributes(QueueUrl=url, AttributeNames=[name])
    return str(reply["Attributes"][name])


def _move_task(progress: Progress | None) -> RedriveReport:
    sqs = client("sqs")
    dlq, queue = _urls()
    source = _attribute(dlq, "QueueArn")
    to_move = int(_attribute(dlq, "ApproximateNumberOfMessages"))
    if to_move == 0:  # SQS would start a task that moves nothing; say so plainly
        return RedriveReport(mode=MOVE_TASK, moved=0, to_move=0)
    sqs.start_message_move_task(SourceArn=source, DestinationArn=_attribute(queue, "QueueArn"))
    while True:
        task = _latest_task(source)
        moved = int(task.get("ApproximateNumberOfMessagesMoved", 0))
        to_move = int(task.get("ApproximateNumberOfMessagesToMove", to_move))
        if progress:
            progress(moved, to_move)
        status = task.get("Status", "")
        if status != _RUNNING:
            break
        time.sleep(settings.FRGM_DLQ_MOVE_POLL_S)
    if status != "COMPLETED":
        reason = task.get("FailureReason") or "no reason given"
        raise RedriveFailed(f"SQS move task {status.lower()} after {moved} message(s): {reason}")
    return RedriveReport(mode=MOVE_TASK, moved=moved, to_move=to_move)


def _latest_task(source: str) -> dict[str, Any]:
    """The newest move task of the DLQ: only one can run per queue, and it is ours."""
    results = client("sqs").list_message_move_tasks(SourceArn=source, MaxResults=1)["Results"]
    if not results:
        raise RedriveFailed("SQS lists no move task for the DLQ after starting one")
    return dict(results[0])


def _loop(progress: Progress | None) -> RedriveReport:
    """Each message is sent to the queue before it is deleted from the DLQ, so a
    failure half-way duplicates at worst, and the pipeline ignores duplicates."""
    sqs = client("sqs")
    dlq, queue = _urls()
    to_move = int(_attribute(dlq, "ApproximateNumberOfMessages"))
    moved = 0
    if progress:
        progress(0, to_move)
    while moved < to_move:
        batch = sqs.receive_message(
            QueueUrl=dlq,
            MaxNumberOfMessages=min(10, to_move - moved),
            WaitTimeSeconds=0,
            VisibilityTimeout=30,
        )
        messages = batch.get("Messages", [])
        if not messages:
            break
        for message in messages:
            sqs.send_message(QueueUrl=queue, MessageBody=message["Body"])
            sqs.delete_message(QueueUrl=dlq, ReceiptHandle=message["ReceiptHandle"])
            moved += 1
        if progress:
            progress(moved, to_move)
    return RedriveReport(mode=LOOP, moved=moved, to_move=to_move)
