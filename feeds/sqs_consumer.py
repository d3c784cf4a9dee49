"""Receive raw S3 notifications from SQS and ingest their files.

Runs inside the Celery worker process (see frgm_site/celery.py), never as a
Celery task queue: a stock Celery consumer would delete raw S3 events as
unknown messages. A message is deleted only after every file it names is done.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.db import close_old_connections

from feeds.aws import client
from feeds.models import QuarantinedFile
from feeds.pipeline import TransientIngestError, feed_file_ingest
from feeds.redis_clients import StateStoreUnavailable
from feeds.s3_events import BadNotification, s3_events_decode
from feeds.state_store import worker_heartbeat

log = logging.getLogger(__name__)


class NotificationConsumer:
    """Long-polls the queue; up to ``in_flight`` files are ingested at once."""

    def __init__(
        self,
        *,
        queue_name: str,
        in_flight: int,
        wait_s: int,
        visibility_s: int,
        worker: str | None = None,
    ) -> None:
        self.queue_name = queue_name
        self.in_flight = in_flight
        self.wait_s = wait_s
        self.visibility_s = visibility_s
        self.worker = worker or f"{socket.gethostname()}:{threading.get_native_id()}"
        self._stop = threading.Event()
        self._slots = threading.Semaphore(in_flight)
        self._pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="ingest")
        self._receipts: dict[str, str] = {}  # message id -> receipt handle, while in flight
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.queue_url: str | None = None

    def start(self) -> None:
        for target, name in ((self._poll_loop, "sqs-poll"), (self._heartbeat, "sqs-visibility")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        log.info(
            "consuming S3 notifications from %s (%d in flight)", self.queue_name, self.in_flight
        )

    def stop(self, timeout_s: float = 25.0) -> None:
        """Stop receiving, finish the files in flight, then return."""
        # Under the lock the poller checks the flag before it submits, so no
        # message is handed to a closed pool, and a long poll need not be waited out.
        with self._lock:
            self._stop.set()
        self._pool.shutdown(wait=True)
        for thread in self._threads[1:]:  # the heartbeat; the poller is a daemon
            thread.join(timeout=timeout_s)
        log.info("notification consumer stopped")

    def _poll_loop(self) -> None:
        while not self._stop.is_set():
            try:
                worker_heartbeat(name=self.worker)
                self.poll_once()
            except (ClientError, BotoCoreError) as exc:
                log.warning("SQS receive failed (%s); retrying in 2 s", exc)
                self._stop.wait(2)
            except StateStoreUnavailable as exc:
                log.warning("state store unreachable (%s); retrying in 2 s", exc)
                self._stop.wait(2)

    def _url(self) -> str:
        if self.queue_url is None:
            self.queue_url = client("sqs").get_queue_url(QueueName=self.queue_name)["QueueUrl"]
        return self.queue_url

    def poll_once(self) -> int:
        """Receive one batch (up to 10) and hand each message to the pool."""
        reply = client("sqs").receive_message(
            QueueUrl=self._url(),
            MaxNumberOfMessages=min(10, self.in_flight),
            WaitTimeSeconds=self.wait_s,
            VisibilityTimeout=self.visibility_s,
            MessageSystemAttributeNames=["ApproximateReceiveCount"],
        )
        messages = reply.get("Messages", [])
        for message in messages:
            self._slots.acquire()  # back-pressure: never hold more than we can work on
            with self._lock:
                if self._stop.is_set():
                    # Shutting down: leave it; it is visible again within the timeout.
                    self._slots.release()
                    break
                self._receipts[message["MessageId"]] = message["ReceiptHandle"]
                self._pool.submit(self._handle, message, time.time())
        return len(messages)

    def _handle(self, message: dict[str, Any], received_at: float) -> None:
        try:
            message_handle(
                message, received_at=received_at, worker=self.worker, queue_url=self._url()
            )
        finally:
            with self._lock:
                self._receipts.pop(message["MessageId"], None)
            self._slots.release()
            close_old_connections()

    def _heartbeat(self) -> None:
        """Keep in-flight messages invisible while a slow file is processed."""
        every = max(1.0, self.visibility_s / 2)
        while not self._stop.wait(every) or self._receipts:
            with self._lock:
                entries = [
                    {"Id": str(i), "ReceiptHandle": r, "VisibilityTimeout": self.visibility_s}
                    for i, r in enumerate(self._receipts.values())
                ]
            for start in range(0, len(entries), 10):
                try:
                    client("sqs").change_message_visibility_batch(
                        QueueUrl=self._url(), Entries=entries[start : start + 10]
                    )
                except (ClientError, BotoCoreError) as exc:
                    log.warning("could not extend visibility: %s", exc)
            if self._stop.is_set() and not entries:
                return


def message_handle(
    message: dict[str, Any], *, received_at: float, worker: str, queue_url: str
) -> bool:
    """Ingest every file of one message; delete it when all are done. True if deleted."""
    receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    try:
        events = s3_events_decode(message["Body"])
        for event in events:
            outcome = feed_file_ingest(event=event, received_at=received_at, worker=worker)
            log.info(
                "%s %s %s",
                outcome.status,
                outcome.key,
                " ".join(f"{k}={v:.1f}ms" for k, v in outcome.stages_ms.items()),
            )
    except BadNotification as exc:
        _bad_notification(message, str(exc))
    except TransientIngestError as exc:
        log.warning(
            "will retry (receive %d of %d): %s", receives, settings.FRGM_FEED_MAX_RECEIVES, exc
        )
        return False
    except Exception:
        log.exception(
            "ingest failed (receive %d of %d); the message will come back",
            receives,
            settings.FRGM_FEED_MAX_RECEIVES,
        )
        return False
    client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return True


def _retry_after(queue_url: str, message: dict[str, Any], seconds: int) -> None:
    try:
        client("sqs").change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=seconds
        )
    except (ClientError, BotoCoreError) as exc:
        log.warning("could not shorten visibility for retry: %s", exc)


def _bad_notification(message: dict[str, Any], reason: str) -> None:
    """Not ours to retry forever: keep a record, then let the message go."""
    QuarantinedFile.objects.get_or_create(
        bucket="",
        key=f"sqs-message:{message['MessageId']}",
        version_id="",
        defaults={
            "kind": QuarantinedFile.Kind.BAD_NOTIFICATION,
            "reason": f"{reason}: {message['Body'][:500]}",
        },
    )
    log.warning("dropped a queue message that is not an S3 notification: %s", reason)
