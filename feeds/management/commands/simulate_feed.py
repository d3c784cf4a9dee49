"""Play the feed server: upload simulated Actant and TT files to the feed bucket.

Stops cleanly on SIGTERM/SIGINT (the file being uploaded is finished first,
then exit 0). An unreachable bucket is logged and retried with backoff, so a
simulator started before the local stack simply waits for it.

``--pause`` and ``--resume`` (from a second terminal) stop and restart the
uploads of a running simulator without stopping it (``make run`` would start
a stopped simulator again), and a feed going silent is exactly what an
on-call drill needs.
"""

from __future__ import annotations

import logging
import random
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from types import FrameType
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from feeds.feed_keys import CHICAGO
from feeds.simulator import Layout, SimulatedFile, Simulator, SimulatorConfig
from lib.aws import client

logger = logging.getLogger(__name__)
_BACKOFF_S = (1.0, 2.0, 5.0, 10.0, 30.0)
_IDLE_S = 0.25  # longest sleep between checks, so a stop request is seen quickly


def pause_flag() -> Path:
    """While this file exists, running simulators upload nothing."""
    return Path(settings.RUN_DIR) / "simulator.paused"


class Command(BaseCommand):
    help = (
        "Upload simulated spot-risk, vtexp and TT files to FRGM_FEED_BUCKET at production cadence."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--rate", type=float, default=None,
            help="files per second per feed (default: one every 1-2 s, as in production; "
            "at most one per second, since names carry whole seconds)",
        )  # fmt: skip
        parser.add_argument(
            "--seed", type=int, default=None, help="random seed (default: random, logged)"
        )
        parser.add_argument("--layout", choices=("single", "chunked", "both"), default="both")
        parser.add_argument(
            "--duration", type=float, default=None, help="stop after this many seconds"
        )
        parser.add_argument(
            "--once", action="store_true", help="upload the first round of files and exit"
        )
        switch = parser.add_mutually_exclusive_group()
        switch.add_argument(
            "--pause", action="store_true", help="tell running simulators to stop uploading"
        )
        switch.add_argument(
            "--resume", action="store_true", help="tell paused simulators to upload again"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["pause"] or options["resume"]:
            self._switch(pause=options["pause"])
            return
        config = _config(rate=options["rate"], layout=options["layout"])
        seed = (
            options["seed"]
            if options["seed"] is not None
            else random.SystemRandom().randrange(10**6)
        )
        simulator = Simulator(seed=seed, now=lambda: datetime.now(tz=CHICAGO), config=config)
        bucket = settings.FRGM_FEED_BUCKET
        logger.info(
            "simulating feeds into s3://%s (seed %d, layout %s)", bucket, seed, config.layout
        )
        stop = threading.Event()
        with _stop_on_signals(stop):
            uploaded = feed_simulate(
                simulator=simulator, bucket=bucket, stop=stop,
                once=options["once"], duration_s=options["duration"],
            )  # fmt: skip
        logger.info("simulator stopped after %d uploads", uploaded)

    def _switch(self, *, pause: bool) -> None:
        flag = pause_flag()
        if pause:
            flag.touch()
            self.stdout.write(
                "simulator paused: the feeds go silent (late, then stalled on /ops/). "
                "Resume with: manage.py simulate_feed --resume"
            )
        else:
            flag.unlink(missing_ok=True)
            self.stdout.write("simulator resumed: files flow again within a second or two")


def _config(*, rate: float | None, layout: Layout) -> SimulatorConfig:
    if rate is None:
        return SimulatorConfig(layout=layout)
    if rate <= 0:
        raise CommandError(f"--rate {rate}: must be above 0")
    interval = 1 / rate
    return SimulatorConfig(layout=layout, interval_s=(interval * 0.8, interval * 1.2))


@contextmanager
def _stop_on_signals(stop: threading.Event) -> Iterator[None]:
    """SIGTERM/SIGINT set ``stop``; handlers can only be installed from the main thread."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def request_stop(signum: int, frame: FrameType | None) -> None:
        logger.info("%s received: finishing the current upload", signal.Signals(signum).name)
        stop.set()

    previous = {sig: signal.signal(sig, request_stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def feed_simulate(
    *,
    simulator: Simulator,
    bucket: str,
    stop: threading.Event,
    once: bool,
    duration_s: float | None,
) -> int:
    """Upload due files until ``stop``, the duration or (``once``) one round; return the count."""
    deadline = None if duration_s is None else time.monotonic() + duration_s
    uploaded = 0
    paused = False
    while not stop.is_set():
        if pause_flag().exists() != paused:
            paused = not paused
            logger.warning(
                "simulator %s", "paused (manage.py simulate_feed --resume)" if paused else "resumed"
            )
        if paused:
            stop.wait(_IDLE_S)
            continue
        for item in simulator.tick():
            if not _upload(item, bucket=bucket, stop=stop):
                return uploaded  # stopped while the bucket was unreachable
            uploaded += 1
        if once or (deadline is not None and time.monotonic() >= deadline):
            break
        wait = (simulator.next_due() - datetime.now(tz=CHICAGO)) / timedelta(seconds=1)
        stop.wait(min(max(wait, 0.01), _IDLE_S))
    return uploaded


def _upload(item: SimulatedFile, *, bucket: str, stop: threading.Event) -> bool:
    """Put one file, retrying with backoff while S3 is unreachable; False if stopped first."""
    attempt = 0
    while True:
        try:
            client("s3").put_object(
                Bucket=bucket, Key=item.key, Body=item.body, ContentType=item.content_type
            )
        except (BotoCoreError, ClientError) as exc:
            pause = _BACKOFF_S[min(attempt, len(_BACKOFF_S) - 1)]
            logger.error(
                "cannot upload to s3://%s (%s); retrying in %.0f s. Is the local stack running "
                "and the bucket created (manage.py bootstrap_local)?", bucket, exc, pause,
            )  # fmt: skip
            attempt += 1
            if stop.wait(pause):
                logger.warning("stopped before s3://%s/%s was uploaded", bucket, item.key)
                return False
            continue
        logger.info("put %s (%d bytes)", item.key, len(item.body))
        return True
