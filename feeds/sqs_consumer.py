"""Receive raw S3 notifications from SQS and ingest their files.

Runs inside the Celery worker process (see frgm_site/celery.py), never as a
Celery task queue: a stock Celery consumer would delete raw S3 events as
unknown messages. A message is deleted only after every file it names is done.
"""

from __future__ import annotations

import logging
import queue
import socket
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import close_old_connections
from django.utils import timezone

from feeds.models import IngestFailure, QuarantinedFile
from feeds.pipeline import TransientIngestError, feed_file_ingest
from feeds.s3_events import BadNotification, ObjectEvent, s3_events_decode
from feeds.state_store import worker_heartbeat
from lib.aws import client
from lib.loops import LoopHealth

log = logging.getLogger(__name__)

RECEIVE_MAX = 10  # SQS's most per receive
# After a transient failure the message comes back after this many seconds (by
# its receive count), not after the visibility timeout: early retries meet the
# 15 s recovery target, and the 5 receives that send a message to the DLQ
# (FRGM_FEED_MAX_RECEIVES) take about a minute, long enough for a failover.
RETRY_DELAYS_S = (2, 4, 8, 15, 30)


# Finished messages are deleted in batches: one SQS call for up to 10 files
# instead of one each, waiting at most this long for company. The file is
# already in Redis, DynamoDB and the browsers by then; a crash before the
# delete brings the message back, and the claim's done marker acknowledges it.
DELETE_LINGER_S = 0.05

# The consumer's loops, by the names their liveness stamps carry; the worker's
# health check (manage.py worker_health) fails when one of them stops turning.
POLL_LOOP, VISIBILITY_LOOP, DELETE_LOOP = "sqs-poll", "sqs-visibility", "sqs-delete"
WORKER_LOOPS = (POLL_LOOP, VISIBILITY_LOOP, DELETE_LOOP)
# An idle loop still turns (and stamps) at least this often.
IDLE_TURN_S = 1.0


def retry_delay_s(receives: int) -> int:
    """How long a message that failed on its ``receives``-th receive stays away."""
    return RETRY_DELAYS_S[max(0, min(receives, len(RETRY_DELAYS_S)) - 1)]


class NotificationConsumer:
    """Long-polls the queue, up to 10 messages a receive; up to ``in_flight`` files
    are ingested at once.

    It holds at most ``max(in_flight, 10)`` messages: those being ingested and
    those received and waiting for a thread, all kept invisible by the
    visibility heartbeat until they are done.
    """

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
        self._held = threading.Semaphore(max(in_flight, RECEIVE_MAX))  # received, not done
        self._pool = ThreadPoolExecutor(max_workers=in_flight, thread_name_prefix="ingest")
        self._receipts: dict[str, str] = {}  # message id -> receipt handle, while held
        self._futures: dict[str, Future[None]] = {}  # message id -> its turn in the pool
        self._lock = threading.Lock()
        self._threads: list[threading.Thread] = []
        self.queue_url: str | None = None
        self._deletes = DeleteBatcher(queue_url=self._url)
        self._poll_health = LoopHealth(POLL_LOOP, logger=log)

    def start(self) -> None:
        for target, name in ((self._poll_loop, "sqs-poll"), (self._heartbeat, "sqs-visibility")):
            thread = threading.Thread(target=target, name=name, daemon=True)
            thread.start()
            self._threads.append(thread)
        self._deletes.start()
        log.info(
            "consuming S3 notifications from %s (%d in flight)", self.queue_name, self.in_flight
        )

    def stop(self, timeout_s: float = 25.0) -> None:
        """Stop receiving, give back at once the messages no thread has started on,
        finish the files in flight, then return."""
        deadline = time.monotonic() + timeout_s
        # Under the lock the poller checks the flag before it submits, so no
        # message is handed to a closed pool.
        with self._lock:
            self._stop.set()
            unstarted = [mid for mid, future in self._futures.items() if future.cancel()]
            receipts = [self._receipts.pop(mid) for mid in unstarted]
            for mid in unstarted:
                del self._futures[mid]
        self._room_give(len(receipts))
        # Another worker takes them now, not after their visibility timeout.
        messages_return(queue_url=self._url, receipts=receipts)
        self._pool.shutdown(wait=True)  # the files being processed finish first
        self._deletes.stop(timeout_s=max(0.0, deadline - time.monotonic()))
        # The poller's open long poll may still bring messages: it gives them back.
        for thread in self._threads:
            thread.join(timeout=max(0.0, min(deadline - time.monotonic(), self.wait_s + 2)))
        log.info("notification consumer stopped (%d waiting message(s) given back)", len(receipts))

    def _poll_loop(self) -> None:
        """Heartbeat, then receive; any failure (the state store, SQS, a bug) is logged
        once per outage and retried after a back-off: this thread must never die.
        While the state store is down nothing is received, so no message spends
        its receives (and lands in the DLQ) on an outage."""
        health = self._poll_health
        while not self._stop.is_set():
            try:
                worker_heartbeat(name=self.worker)
                self.poll_once()
            except Exception as exc:
                self._stop.wait(health.failed(exc))
            else:
                health.ok()

    def _url(self) -> str:
        if self.queue_url is None:
            self.queue_url = client("sqs").get_queue_url(QueueName=self.queue_name)["QueueUrl"]
        return self.queue_url

    def poll_once(self) -> int:
        """Receive one batch (as many as may be held, up to 10) and hand each message
        to the pool; those waiting for a thread stay invisible like those in flight."""
        room = self._room_take()
        if not room:
            return 0
        try:
            reply = client("sqs").receive_message(
                QueueUrl=self._url(),
                MaxNumberOfMessages=room,
                WaitTimeSeconds=self.wait_s,
                VisibilityTimeout=self.visibility_s,
                MessageSystemAttributeNames=["ApproximateReceiveCount"],
            )
        except BaseException:
            self._room_give(room)
            raise
        messages = reply.get("Messages", [])
        self._room_give(room - len(messages))
        received_at = time.time()
        with self._lock:
            stopping = self._stop.is_set()
            if not stopping:
                for message in messages:
                    self._receipts[message["MessageId"]] = message["ReceiptHandle"]
                    self._futures[message["MessageId"]] = self._pool.submit(
                        self._handle, message, received_at
                    )
        if stopping:  # shutting down: another worker takes them now
            self._room_give(len(messages))
            messages_return(queue_url=self._url, receipts=[m["ReceiptHandle"] for m in messages])
        return len(messages)

    def _room_take(self) -> int:
        """Wait for room for one message (back-pressure), then take up to 10 places."""
        while not self._held.acquire(timeout=1):
            if self._stop.is_set():
                return 0
            self._poll_health.turn()  # waiting for room is a turn: the loop is alive
        room = 1
        while room < RECEIVE_MAX and self._held.acquire(blocking=False):
            room += 1
        return room

    def _room_give(self, places: int) -> None:
        for _ in range(places):
            self._held.release()

    def _handle(self, message: dict[str, Any], received_at: float) -> None:
        try:
            message_handle(
                message,
                received_at=received_at,
                worker=self.worker,
                queue_url=self._url(),
                delete=self._deletes.add,
            )
        except Exception:
            # The pool would keep it in a future nobody reads: say it here. The
            # message comes back after its visibility timeout.
            log.exception("message %s could not be handled", message.get("MessageId"))
        finally:
            with self._lock:
                self._receipts.pop(message["MessageId"], None)
                self._futures.pop(message["MessageId"], None)
            self._held.release()
            close_old_connections()

    def _heartbeat(self) -> None:
        """Keep held messages invisible while they wait or a slow file is processed;
        after a stop, until the last file in flight is done."""
        health = LoopHealth(VISIBILITY_LOOP, logger=log)
        # A third of the timeout, so one late turn (a busy machine) still lands before it
        # ends; the old floor of 1 s extended a 1 s timeout only as it ran out.
        every = max(0.25, self.visibility_s / 3)
        due = time.monotonic() + every
        while True:
            pause = min(IDLE_TURN_S, max(0.0, due - time.monotonic()))
            if self._stop.is_set():
                time.sleep(min(pause, 0.5))  # the flag no longer makes wait() wait
            else:
                self._stop.wait(pause)
            with self._lock:
                held = list(self._receipts.values())
            if self._stop.is_set() and not held:
                return
            health.turn()
            if time.monotonic() < due:
                continue
            try:
                self._visibility_extend(held)
            except Exception as exc:
                due = time.monotonic() + min(every, health.failed(exc, what="visibility extension"))
            else:
                health.ok()
                due = time.monotonic() + every

    def _visibility_extend(self, receipts: list[str]) -> None:
        for start in range(0, len(receipts), RECEIVE_MAX):
            entries = [
                {"Id": str(i), "ReceiptHandle": r, "VisibilityTimeout": self.visibility_s}
                for i, r in enumerate(receipts[start : start + RECEIVE_MAX])
            ]
            client("sqs").change_message_visibility_batch(QueueUrl=self._url(), Entries=entries)


def message_handle(
    message: dict[str, Any],
    *,
    received_at: float,
    worker: str,
    queue_url: str,
    delete: Callable[[str], None] | None = None,
) -> bool:
    """Ingest every file of one message; delete it when all are done. True if deleted
    (or handed to ``delete``, which takes the receipt handle, to delete soon)."""
    receives = int(message.get("Attributes", {}).get("ApproximateReceiveCount", "1"))
    current: ObjectEvent | None = None
    try:
        events = s3_events_decode(message["Body"])
        for event in events:
            current = event
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
        delay = retry_delay_s(receives)
        log.warning(
            "will retry in %d s (receive %d of %d): %s",
            delay,
            receives,
            settings.FRGM_FEED_MAX_RECEIVES,
            exc,
        )
        ingest_failure_note(message, current, f"{exc}", receives=receives)
        _retry_after(queue_url, message, delay)
        return False
    except Exception as exc:
        delay = retry_delay_s(receives)
        ingest_failure_note(message, current, f"{type(exc).__name__}: {exc}", receives=receives)
        log.exception(
            "ingest failed (receive %d of %d); the message comes back in %d s",
            receives,
            settings.FRGM_FEED_MAX_RECEIVES,
            delay,
        )
        _retry_after(queue_url, message, delay)
        return False
    if receives > 1:  # it failed before: its failure is no longer waiting anywhere
        ingest_failure_forget(message["MessageId"])
    if delete is not None:
        delete(message["ReceiptHandle"])
    else:
        client("sqs").delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return True


class DeleteBatcher:
    """Deletes finished messages with ``DeleteMessageBatch``, up to 10 a call."""

    def __init__(self, *, queue_url: Callable[[], str], linger_s: float = DELETE_LINGER_S) -> None:
        self._queue_url = queue_url
        self._linger_s = linger_s
        self._health = LoopHealth(DELETE_LOOP, logger=log)
        self._receipts: queue.SimpleQueue[str | None] = queue.SimpleQueue()
        self._thread = threading.Thread(target=self._run, name="sqs-delete", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def add(self, receipt: str) -> None:
        self._receipts.put(receipt)

    def stop(self, timeout_s: float) -> None:
        """Delete what is waiting, then end."""
        self._receipts.put(None)
        if self._thread.is_alive():
            self._thread.join(timeout=timeout_s)
        else:  # never started (a consumer polled by hand): delete what waits, here
            self._run()

    def _run(self) -> None:
        stopping = False
        while not stopping:
            self._health.turn()
            try:
                first = self._receipts.get(timeout=IDLE_TURN_S)
            except queue.Empty:
                continue
            if first is None:
                return
            batch = [first]
            deadline = time.monotonic() + self._linger_s
            while len(batch) < RECEIVE_MAX:
                try:
                    more = self._receipts.get(timeout=max(0.0, deadline - time.monotonic()))
                except queue.Empty:
                    break
                if more is None:
                    stopping = True
                    break
                batch.append(more)
            self._delete(batch)

    def _delete(self, receipts: list[str]) -> None:
        try:
            reply = client("sqs").delete_message_batch(
                QueueUrl=self._queue_url(),
                Entries=[{"Id": str(i), "ReceiptHandle": r} for i, r in enumerate(receipts)],
            )
        except Exception as exc:
            # The messages come back after their visibility timeout; the claims'
            # done markers acknowledge them without ingesting twice.
            self._health.failed(exc, what=f"could not delete {len(receipts)} finished messages")
            return
        self._health.ok()
        for failed in reply.get("Failed", []):
            log.warning("could not delete a finished message: %s", failed.get("Message"))


def messages_return(*, queue_url: Callable[[], str], receipts: list[str]) -> None:
    """Make held messages visible now (a stopping worker's), up to 10 a call; if SQS
    will not, their visibility timeout still brings them back."""
    for start in range(0, len(receipts), RECEIVE_MAX):
        batch = receipts[start : start + RECEIVE_MAX]
        try:
            client("sqs").change_message_visibility_batch(
                QueueUrl=queue_url(),
                Entries=[
                    {"Id": str(i), "ReceiptHandle": r, "VisibilityTimeout": 0}
                    for i, r in enumerate(batch)
                ],
            )
        except Exception as exc:
            log.warning("could not give back %d message(s): %s", len(batch), exc)


FAILURES_KEPT_DAYS = 14  # SQS keeps a message at most 14 days


def ingest_failure_note(
    message: dict[str, Any], event: ObjectEvent | None, error: str, *, receives: int
) -> None:
    """Keep the message's last failure and its file in the database, which
    stays up when the state store is the thing that failed; never raises."""
    try:
        IngestFailure.objects.update_or_create(
            message_id=message["MessageId"],
            defaults={
                "bucket": event.bucket[:255] if event else "",
                "key": event.key[:1024] if event else "",
                "error": error[:2000],
                "receives": receives,
            },
        )
        if receives == 1:  # now and then, not on every failure
            IngestFailure.objects.filter(
                at__lt=timezone.now() - timedelta(days=FAILURES_KEPT_DAYS)
            ).delete()
    except Exception:  # the retry matters more than its note
        log.warning("could not note the failure of message %s", message.get("MessageId"))


def ingest_failure_forget(message_id: str) -> None:
    try:
        IngestFailure.objects.filter(message_id=message_id).delete()
    except Exception:  # a stale note is harmless
        log.warning("could not forget the failure of message %s", message_id)


def _retry_after(queue_url: str, message: dict[str, Any], seconds: int) -> None:
    """Make the message visible again in ``seconds``; if SQS will not, the visibility
    timeout still brings it back."""
    try:
        client("sqs").change_message_visibility(
            QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"], VisibilityTimeout=seconds
        )
    except Exception as exc:
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
