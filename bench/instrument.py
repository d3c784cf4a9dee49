"""Timing hooks around the real worker code, installed by patching module names.

Nothing in feeds/ changes: the benchmark replaces three names the consumer and
pipeline look up at call time, and each replacement calls the original.

- ``feeds.sqs_consumer.feed_file_ingest``: the whole file (stages and the
  un-staged rest: claim, ingest record, metrics line) and its ``stages_ms``;
- ``feeds.pipeline.ingest_record``: called right after publish, so its entry is
  the moment the channel-layer publish finished; carries the S3 event time;
- ``feeds.sqs_consumer.client("sqs")``: times ``delete_message``,
  ``delete_message_batch`` (the consumer's) and ``receive_message``;
- ``feeds.pipeline._Stopwatch``: also notes the process's CPU time per stage
  (meaningful only when one file is processed at a time).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

_current = threading.local()  # the stopwatch of the file this thread is ingesting


@dataclass(frozen=True)
class FileSample:
    key: str
    feed: str
    status: str
    stages_ms: dict[str, float]
    total_ms: float  # feed_file_ingest, start to return
    cpu_ms: dict[str, float] = field(default_factory=dict)  # process CPU per stage
    cpu_total_ms: float = 0.0  # process CPU, start to return


@dataclass(frozen=True)
class RecordSample:
    key: str
    feed: str
    status: str  # applied | same | stale | parse_error | missing_object
    event_time: float | None  # epoch seconds, from the S3 notification's eventTime
    event_microsecond: int | None
    received_at: float  # the consumer received the SQS message
    finished_at: float  # what the pipeline records (before publish)
    published_at: float  # publish finished (ingest_record called)
    latency_ms: float | None  # the pipeline's own figure: event time -> finished_at


class Recorder:
    """Thread-safe collection of one phase's samples; ``done`` fires at ``target`` deletes."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.reset(0)

    def reset(self, target: int) -> None:
        with self.lock:
            self.files: list[FileSample] = []
            self.records: dict[str, RecordSample] = {}
            self.deletes_ms: list[float] = []
            self.receives: list[tuple[float, int]] = []  # (ms, messages) per call
            self.deleted = 0
            self.target = target
            self.last_delete = 0.0  # perf_counter of the latest delete
            self.done = threading.Event()
            self.errors = 0
            self.first_error: str | None = None

    def file(self, sample: FileSample) -> None:
        with self.lock:
            self.files.append(sample)

    def record(self, sample: RecordSample) -> None:
        with self.lock:
            self.records.setdefault(sample.key, sample)

    def delete(self, millis: float, count: int = 1) -> None:
        """``count`` messages deleted by one call that took ``millis``."""
        with self.lock:
            self.deletes_ms.append(millis)
            self.deleted += count
            self.last_delete = time.perf_counter()
            if self.target and self.deleted >= self.target:
                self.done.set()

    def error(self, exc: BaseException) -> None:
        """An ingest raised: transient ones (busy claims) are normal, a flood is not."""
        with self.lock:
            self.errors += 1
            if self.first_error is None:
                self.first_error = f"{type(exc).__name__}: {exc}"

    def receive(self, millis: float, count: int) -> None:
        with self.lock:
            self.receives.append((millis, count))


class _TimedSqs:
    """The real SQS client, with delete and receive timed."""

    def __init__(self, real: Any, recorder: Recorder) -> None:
        self._real = real
        self._recorder = recorder

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real(), name)

    def delete_message(self, **kwargs: Any) -> Any:
        started = time.perf_counter()
        reply = self._real().delete_message(**kwargs)
        self._recorder.delete((time.perf_counter() - started) * 1000)
        return reply

    def delete_message_batch(self, **kwargs: Any) -> Any:
        started = time.perf_counter()
        reply = self._real().delete_message_batch(**kwargs)
        self._recorder.delete(
            (time.perf_counter() - started) * 1000, len(reply.get("Successful", []))
        )
        return reply

    def receive_message(self, **kwargs: Any) -> Any:
        started = time.perf_counter()
        reply = self._real().receive_message(**kwargs)
        self._recorder.receive(
            (time.perf_counter() - started) * 1000, len(reply.get("Messages", []))
        )
        return reply


def hooks_install(recorder: Recorder) -> None:
    import feeds.pipeline as pipeline
    import feeds.sqs_consumer as consumer
    from feeds.state_store import IngestRecord
    from lib.aws import client as real_client

    ingest = consumer.feed_file_ingest
    record_write = pipeline.ingest_record
    stopwatch = pipeline._Stopwatch
    stage = stopwatch.stage

    class CpuStopwatch(stopwatch):  # type: ignore[misc, valid-type, name-defined]
        def __init__(self) -> None:
            super().__init__()
            self.cpu: dict[str, float] = {}
            _current.watch = self

        @contextmanager
        def stage(self, name: str) -> Iterator[None]:
            cpu = time.process_time()
            try:
                with stage(self, name):
                    yield
            finally:
                self.cpu[name] = (time.process_time() - cpu) * 1000

    def timed_ingest(*args: Any, **kwargs: Any) -> Any:
        event = kwargs["event"] if "event" in kwargs else args[0]
        _current.watch = None
        started, cpu = time.perf_counter(), time.process_time()
        try:
            outcome = ingest(*args, **kwargs)
        except Exception as exc:
            recorder.error(exc)
            raise
        cpu_total = (time.process_time() - cpu) * 1000
        watch = _current.watch
        recorder.file(
            FileSample(
                key=event.key,
                feed=str(outcome.feed or ""),
                status=outcome.status,
                stages_ms=dict(outcome.stages_ms),
                total_ms=(time.perf_counter() - started) * 1000,
                cpu_ms=dict(watch.cpu) if watch is not None else {},
                cpu_total_ms=cpu_total,
            )
        )
        return outcome

    def timed_record(record: IngestRecord, *args: Any, **kwargs: Any) -> None:
        published_at = time.time()
        record_write(record, *args, **kwargs)
        event = record.event_time
        recorder.record(
            RecordSample(
                key=record.key,
                feed=str(record.feed),
                status=record.status,
                event_time=event.timestamp() if event else None,
                event_microsecond=event.microsecond if event else None,
                received_at=record.received_at,
                finished_at=record.finished_at,
                published_at=published_at,
                latency_ms=record.latency_ms,
            )
        )

    sqs = _TimedSqs(lambda: real_client("sqs"), recorder)

    def client(service: str, **kwargs: Any) -> Any:
        return sqs if service == "sqs" else real_client(service, **kwargs)

    consumer.feed_file_ingest = timed_ingest  # type: ignore[assignment]
    pipeline.ingest_record = timed_record  # type: ignore[assignment]
    consumer.client = client  # type: ignore[assignment]
    pipeline._Stopwatch = CpuStopwatch  # type: ignore[misc]
