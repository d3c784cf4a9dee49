"""Helpers of the ops task tests: dead letters, a logged-in socket, a run followed live."""

from __future__ import annotations

from typing import Any

from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings
from django.test import Client
from django.urls import reverse

from frgm_site.asgi import application
from lib.aws import client
from tests.feeds.ingest.conftest import FeedQueue, sample

ORIGIN = (b"origin", b"http://127.0.0.1:8000")
ENDED = {"done", "failed", "lost"}
POSITIONS = "tt/positions/2025-07-21/positions_20250721_2031{:02d}.json"


def dead_letters(queue: FeedQueue, count: int) -> None:
    """``count`` positions files whose notifications ended in the DLQ, as SQS leaves
    them after their last receive (moved here by hand, as SQS would)."""
    for n in range(count):
        queue.put(POSITIONS.format(n), sample("tt/positions_response.json"))
    sqs = client("sqs")
    before = queue.depth(queue.dlq_url)
    moved = 0
    while moved < count:
        for message in queue.receive():
            if "Records" not in message["Body"]:  # moto's s3:TestEvent
                sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
                continue
            sqs.delete_message(QueueUrl=queue.url, ReceiptHandle=message["ReceiptHandle"])
            sqs.send_message(QueueUrl=queue.dlq_url, MessageBody=message["Body"])
            moved += 1
    assert queue.depth(queue.dlq_url) == before + count


@sync_to_async
def cookie(user: Any) -> tuple[bytes, bytes]:
    browser = Client()
    browser.force_login(user)
    name = settings.SESSION_COOKIE_NAME
    return (b"cookie", f"{name}={browser.cookies[name].value}".encode())


async def tasks_socket(user: Any) -> WebsocketCommunicator:
    """The page's socket, past its opening frames (the recent runs, then "synced")."""
    communicator, _ = await tasks_socket_opening(user)
    return communicator


async def tasks_socket_opening(user: Any) -> tuple[WebsocketCommunicator, list[dict[str, Any]]]:
    """The page's socket and the frames it opens with, "synced" last."""
    communicator = WebsocketCommunicator(
        application, "/ws/ops/tasks/", headers=[ORIGIN, await cookie(user)]
    )
    connected, _ = await communicator.connect()
    assert connected
    opening: list[dict[str, Any]] = []
    while not opening or opening[-1]["type"] != "synced":
        opening.append(await communicator.receive_json_from(timeout=10))
    return communicator, opening


@sync_to_async
def post_start(user: Any, kind: str, data: dict[str, Any]) -> Any:
    browser = Client()
    browser.force_login(user)
    return browser.post(reverse("ops:task_start", args=[kind]), data)


async def frames_until_ended(communicator: WebsocketCommunicator) -> list[dict[str, Any]]:
    """The run frames the page receives, up to the one that ends the run."""
    frames: list[dict[str, Any]] = []
    while not frames or frames[-1]["status"] not in ENDED:
        frame = await communicator.receive_json_from(timeout=60)
        assert frame["type"] == "task"
        frames.append(frame)
    return frames


async def started_on_the_page(user: Any, kind: str, data: dict[str, Any]) -> list[dict[str, Any]]:
    """Start ``kind`` with the page's form and follow it on the page's socket."""
    communicator = await tasks_socket(user)
    try:
        response = await post_start(user, kind, data)
        assert response.status_code == 302, response.content.decode()[:2000]
        return await frames_until_ended(communicator)
    finally:
        await communicator.disconnect()
