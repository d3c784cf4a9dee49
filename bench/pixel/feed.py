"""The feed side of the harness: the simulator writing the production mix into a
folder (as the desk's feed server does), the real producer (``feeds.push``)
uploading it, and a listener of the worker's ``FeedFile`` announcements.

``rate`` runs the simulator's clock that many times faster than the wall clock
(every feed at ``rate`` x its rate), starting in the past so it reaches the
present as the run ends: file names stay one per simulated second per feed and
never ahead of their arrival (the pipeline refuses files from the future).
"""

from __future__ import annotations

import asyncio
import contextlib
import multiprocessing
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from feeds.messages import FEED_FILES_GROUP
from feeds.push.producer import Producer
from feeds.push.s3 import s3_client
from feeds.push.spool import Spool
from feeds.simulator.simulator import Layout, Simulator, SimulatorConfig


@dataclass
class Put:
    key: str
    started: float  # epoch seconds the PUT began
    done: float
    version: str


class _TimedS3:
    """The producer's S3 client, noting when each PUT began and what S3 answered."""

    def __init__(self, real: Any) -> None:
        self._real = real
        self.puts: list[Put] = []
        self._lock = threading.Lock()

    def put_object(self, **kwargs: Any) -> Any:
        started = time.time()
        answer = self._real.put_object(**kwargs)
        put = Put(kwargs["Key"], started, time.time(), str(answer.get("VersionId") or ""))
        with self._lock:
            self.puts.append(put)
        return answer

    def __getattr__(self, name: str) -> Any:
        return getattr(self._real, name)


class SimulatedClock:
    """``rate`` x the wall clock, reaching the present ``span_s`` wall seconds from now."""

    def __init__(self, *, rate: float, span_s: float) -> None:
        self.rate = rate
        self.wall0 = time.time()
        self.sim0 = datetime.now(UTC) - timedelta(seconds=(rate - 1) * span_s)

    def __call__(self) -> datetime:
        return self.sim0 + timedelta(seconds=(time.time() - self.wall0) * self.rate)


@dataclass
class FeedRun:
    """The simulator and the producer, each in a thread, for one phase of the run."""

    watch: Path
    endpoint: str
    bucket: str
    rate: float
    layout: Layout
    span_s: float
    seed: int = 13
    put_concurrency: int = 1  # the producer's default: a batch's chunks one after another
    written: int = 0
    s3: _TimedS3 | None = None
    errors: list[str] = field(default_factory=list)
    _stop_pushing: threading.Event = field(default_factory=threading.Event)
    _threads: list[threading.Thread] = field(default_factory=list)

    def start(self) -> None:
        self.watch.mkdir(parents=True, exist_ok=True)
        self.s3 = _TimedS3(s3_client(endpoint_url=self.endpoint, region="us-east-1"))
        # The feed server in a process of its own: the simulator's files (500 priced
        # rows each) at 10x would hold this process's GIL from the producer.
        ctx = multiprocessing.get_context("fork")
        self._writer_stop = ctx.Event()
        self._written = ctx.Value("i", 0)
        self._writer = ctx.Process(
            target=_write,
            args=(self.watch, self.rate, self.layout, self.span_s, self.seed),
            kwargs={"stop": self._writer_stop, "written": self._written},
            daemon=True,
        )
        self._writer.start()
        self._threads = [threading.Thread(target=self._push, daemon=True, name="producer")]
        self._threads[0].start()

    def _push(self) -> None:
        """The producer's loop (``producer_run``'s passes), and the feed server's
        housekeeping: a file PUT leaves the folder, as the desk's rotates. Left there,
        30 minutes at 10x is 40,000 files for every pass to list and stat."""
        spool = Spool(self.watch / ".frgm-spool")
        assert self.s3 is not None
        producer = Producer(
            watch=self.watch,
            spool=spool,
            s3=self.s3,
            bucket=self.bucket,
            settle_s=0.05,
            put_concurrency=self.put_concurrency,
        )
        removed = 0
        try:
            while not self._stop_pushing.is_set():
                try:
                    producer.scan()
                    producer.drain()
                except Exception as exc:  # noted; the loop goes on, as producer_run's
                    self.errors.append(f"producer: {exc!r}")
                puts = self.s3.puts
                for put in puts[removed:]:
                    with contextlib.suppress(OSError):
                        (self.watch / put.key.rsplit("/", 1)[-1]).unlink()
                removed = len(puts)
                self._stop_pushing.wait(0.02)
        finally:
            spool.close()

    def stop_writing(self) -> None:
        self._writer_stop.set()
        self._writer.join(timeout=15)
        self.written = int(self._written.value)
        if self._writer.exitcode not in (0, None):
            self.errors.append(f"the feed server process exited with {self._writer.exitcode}")

    def stop(self, *, drain_s: float = 10.0) -> None:
        """Stop writing, let the producer send what is written, then stop it."""
        self.stop_writing()
        deadline = time.monotonic() + drain_s
        while time.monotonic() < deadline and self.backlog():
            time.sleep(0.1)
        self._stop_pushing.set()
        self._threads[0].join(timeout=10)

    def backlog(self) -> int:
        """Files in the folder not PUT yet (a PUT one leaves it)."""
        return sum(1 for p in self.watch.iterdir() if p.is_file() and not p.name.startswith("."))

    @property
    def puts(self) -> list[Put]:
        return list(self.s3.puts) if self.s3 else []


def _write(
    watch: Path, rate: float, layout: Layout, span_s: float, seed: int, *, stop: Any, written: Any
) -> None:
    """The feed server: the simulator's files into ``watch`` as they fall due."""
    clock = SimulatedClock(rate=rate, span_s=span_s)
    simulator = Simulator(seed=seed, now=clock, config=SimulatorConfig(layout=layout))
    while not stop.is_set():
        for file in simulator.tick():
            name = file.key.rsplit("/", 1)[-1]
            hidden = watch / f".{name}.part"  # the producer skips dot files
            hidden.write_bytes(file.body)
            hidden.rename(watch / name)
            with written.get_lock():
                written.value += 1
        wait = (simulator.next_due() - clock()).total_seconds() / rate
        stop.wait(min(0.5, max(0.005, wait)))


class FileListener:
    """Every ``FeedFile`` the worker announces, in a thread of its own loop."""

    def __init__(self, messaging_url: str) -> None:
        self.url = messaging_url
        self.files: dict[str, list[dict[str, Any]]] = {}  # key -> its announcements
        self._stop = threading.Event()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True, name="file-listener")

    def start(self) -> None:
        self._thread.start()
        if not self._ready.wait(30):
            raise SystemExit("the file listener did not join its group")

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=10)

    def _run(self) -> None:
        asyncio.run(self._listen())

    async def _listen(self) -> None:
        from channels_redis.core import RedisChannelLayer

        layer = RedisChannelLayer(
            hosts=[{"address": self.url, "socket_timeout": 15}], capacity=100000, expiry=120
        )
        channel = await layer.new_channel()
        await layer.group_add(FEED_FILES_GROUP, channel)
        self._ready.set()
        # One receive at a time, never cancelled: a receive cancelled by a timeout can
        # drop the message it had already popped (channels-redis).
        receiving = asyncio.ensure_future(layer.receive(channel))
        while not self._stop.is_set():
            done, _ = await asyncio.wait({receiving}, timeout=0.5)
            if not done:
                continue
            try:
                message = receiving.result()
            except Exception:
                message = None
                await asyncio.sleep(0.2)
            receiving = asyncio.ensure_future(layer.receive(channel))
            if message is not None:
                # when a subscriber outside the web process heard it: the worker's
                # publish and the messaging Redis, without the web's event loop
                heard = {**message, "heard_at": time.time()}
                self.files.setdefault(str(message.get("key")), []).append(heard)
        receiving.cancel()
        with contextlib.suppress(BaseException):
            await receiving
        with contextlib.suppress(Exception):
            await layer.group_discard(FEED_FILES_GROUP, channel)
