"""The feed server's producer: watch a folder, spool each complete file, upload
it to its S3 key in order, and say how far behind it is.

Pure stdlib and boto3 (no Django): it runs on the desk's feed server, Windows
or Linux. A file is *complete* when its size and modification time have not
changed for ``settle_s`` (the feed server writes, then closes; polling works
the same on every OS and on network shares, where change notifications do not).
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from feeds.feed_keys import chunk_batch, feed_key_for_filename
from feeds.push.spool import Spool, Spooled
from lib.emf import emf_line

log = logging.getLogger("frgm.push")
emf_log = logging.getLogger("frgm.emf")

EMF_NAMESPACE = "FRGM/Producer"
BACKOFF_FIRST_S = 0.5
BACKOFF_MAX_S = 30.0
SKIP_OLDER_THAN_S = 3 * 24 * 3600  # an old file in the folder was sent long ago
CONTENT_TYPES = {".csv": "text/csv", ".json": "application/json"}
# A spot-risk chunk batch is one moment of the book split over files, and the
# pages show it once its last chunk is in: with ``put_concurrency`` > 1 its chunks
# go up together, not one after another (16 sequential PUTs over a WAN spread a
# batch over ~0.5 s that every chunk then waits through). Off by default: with
# the worker as the bottleneck (bench.pixel, moto on the same 2 cores) a burst of
# 16 only moved the wait from the producer to the worker's queue and slowed
# moto's PUTs 3x (docs/PERFORMANCE.md, file to pixel); measure against real S3.
PUT_CONCURRENCY = 16  # the most a batch's PUTs at once (the S3 client's pool)


def backoff_s(failures: int, *, rand: Callable[[], float] = random.random) -> float:
    """Exponential with full jitter: many feed servers never retry in step."""
    ceiling = min(BACKOFF_MAX_S, BACKOFF_FIRST_S * 2 ** max(0, failures - 1))
    return ceiling * (0.5 + rand() / 2)


@dataclass
class _Seen:
    size: int
    mtime_ns: int
    stable_since: float


@dataclass
class Producer:
    """One pass of ``scan`` spools what became complete; ``drain`` uploads in order."""

    watch: Path
    spool: Spool
    s3: Any
    bucket: str
    settle_s: float = 0.5
    clock: Callable[[], float] = time.monotonic
    _seen: dict[Path, _Seen] = field(default_factory=dict)
    _failures: int = 0
    _retry_at: float = 0.0
    _unplaceable: set[str] = field(default_factory=set)
    put_concurrency: int = 1  # up to PUT_CONCURRENCY: a chunk batch's PUTs at once
    _pool: ThreadPoolExecutor | None = None

    def scan(self) -> int:
        """Spool every file that is complete and new; the count spooled."""
        now, accepted = self.clock(), 0
        present: set[Path] = set()
        for path in sorted(self.watch.iterdir(), key=lambda p: p.name):
            if not path.is_file() or path.name.startswith("."):
                continue
            present.add(path)
            try:
                stat = path.stat()
            except OSError:
                continue  # gone between listing and stat
            seen = self._seen.get(path)
            if seen is None or (seen.size, seen.mtime_ns) != (stat.st_size, stat.st_mtime_ns):
                self._seen[path] = _Seen(stat.st_size, stat.st_mtime_ns, now)
                continue
            if now - seen.stable_since < self.settle_s or stat.st_size == 0:
                continue
            if time.time() - stat.st_mtime_ns / 1e9 > SKIP_OLDER_THAN_S:
                continue
            if self.spool.known(path, size=stat.st_size, mtime_ns=stat.st_mtime_ns):
                continue
            key = self._key_for(path)
            if key and self.spool.accept(
                path, key=key, size=stat.st_size, mtime_ns=stat.st_mtime_ns
            ):
                accepted += 1
        for gone in set(self._seen) - present:
            del self._seen[gone]
        return accepted

    def _key_for(self, path: Path) -> str | None:
        try:
            return feed_key_for_filename(
                path.name, now=datetime.now(UTC), data=path.read_bytes()[:65536]
            )
        except ValueError as exc:
            if path.name not in self._unplaceable:
                self._unplaceable.add(path.name)
                log.warning("push: %s is no feed file, left alone: %s", path.name, exc)
            return None

    def drain(self, *, limit: int = 100) -> int:
        """Upload waiting files oldest first; stop at the first failure (order is kept).

        With ``put_concurrency`` > 1 the chunks of one spot-risk batch go up together:
        they are one moment, so their order among themselves does not matter; the
        files after a batch wait for all of it. Returns how many reached S3 in this pass.
        """
        if self.clock() < self._retry_at:
            return 0
        done = 0
        for run in _runs(self.spool.waiting(limit)):
            sent, failure = self._send_run(run)
            done += sent
            if failure is not None:
                item, exc = failure
                self._failures += 1
                pause = backoff_s(self._failures)
                self._retry_at = self.clock() + pause
                self.spool.failed(item.seq, f"{type(exc).__name__}: {exc}")
                if self._failures == 1:
                    log.warning("push: S3 refused %s (%s); spooling, retry in %.1f s",
                                item.key, exc, pause)  # fmt: skip
                return done
            if self._failures:
                log.info("push: S3 reachable again after %d failed attempt(s)", self._failures)
            self._failures = 0
        return done

    def _send_run(self, run: list[Spooled]) -> tuple[int, tuple[Spooled, Exception] | None]:
        """PUT ``run`` (one file, or one batch's chunks at once); how many reached S3,
        and the first that did not with its error. The journal is written on this
        thread only (SQLite): every file is marked sending before any PUT begins."""
        for item in run:
            if item.state != "sending":
                self.spool.sending(item.seq)
        if len(run) == 1 or self.put_concurrency <= 1:
            outcomes = [self._upload(item) for item in run]
        else:
            if self._pool is None:
                self._pool = ThreadPoolExecutor(
                    max_workers=self.put_concurrency, thread_name_prefix="push-put"
                )
            outcomes = list(self._pool.map(self._upload, run))
        sent, failure = 0, None
        for item, error in zip(run, outcomes, strict=True):
            if error is None:
                self.spool.sent(item.seq)
                sent += 1
            elif failure is None:
                failure = (item, error)
        return sent, failure

    def _upload(self, item: Spooled) -> Exception | None:
        """One file into S3 (unless a PUT before a crash got it there); the error, if
        S3 or the disk refused. Runs on a pool thread: no journal writes here."""
        try:
            if item.state == "sending" and self._already_there(item):
                return None  # the PUT before a crash or a lost answer got through
            self._put(item)
        except (ClientError, BotoCoreError, OSError) as exc:
            return exc
        return None

    def _put(self, item: Spooled) -> None:
        self.s3.put_object(
            Bucket=self.bucket,
            Key=item.key,
            Body=item.path.read_bytes(),
            ContentType=CONTENT_TYPES.get(Path(item.key).suffix, "application/octet-stream"),
            ChecksumAlgorithm="SHA256",
            ChecksumSHA256=item.sha256_b64,  # S3 refuses the PUT if the bytes differ
        )

    def _already_there(self, item: Spooled) -> bool:
        try:
            head = self.s3.head_object(Bucket=self.bucket, Key=item.key, ChecksumMode="ENABLED")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") in {"404", "NoSuchKey", "NotFound"}:
                return False
            raise
        return head.get("ChecksumSHA256") == item.sha256_b64

    def backlog_report(self) -> str:
        backlog = self.spool.backlog()
        emf_log.info(
            emf_line(
                dimensions={"Bucket": self.bucket},
                metrics={
                    "ProducerBacklogFiles": (backlog.files, "Count"),
                    "ProducerOldestSeconds": (round(backlog.oldest_age_s, 1), "Seconds"),
                },
                namespace=EMF_NAMESPACE,
            )
        )
        line = f"push: backlog {backlog.files} file(s), oldest {backlog.oldest_age_s:.0f} s" + (
            f", S3 failing ({self._failures} attempts)" if self._failures else ""
        )
        log.info(line)
        return line


def _runs(items: list[Spooled]) -> Iterator[list[Spooled]]:
    """The waiting files in order, a chunk batch's consecutive chunks as one run."""
    run: list[Spooled] = []
    for item in items:
        batch = chunk_batch(item.key)
        if run and (batch is None or batch != chunk_batch(run[0].key)):
            yield run
            run = []
        run.append(item)
    if run:
        yield run


def producer_run(
    producer: Producer,
    *,
    stop: threading.Event,
    every_s: float = 0.2,
    report_every_s: float = 60.0,
) -> None:
    """Scan and drain until ``stop``; a backlog line every ``report_every_s``."""
    next_report = 0.0
    while not stop.is_set():
        try:
            producer.scan()
            producer.drain()
            if producer.clock() >= next_report:
                producer.backlog_report()
                next_report = producer.clock() + report_every_s
        except Exception:  # the loop outlives any one bad turn (a disk hiccup, a bug)
            log.exception("push: a pass failed; going on")
            stop.wait(1.0)
        stop.wait(every_s)
