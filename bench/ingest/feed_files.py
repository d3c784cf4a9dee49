"""Simulated feed files, in the production mix, and their upload to the stack's bucket."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

TT_FEEDS = ("tt-positions", "tt-orders")


def feed_of(key: str) -> str:
    from feeds.parsers import feed_key_parse

    source = feed_key_parse(key)
    return str(source.feed) if source else "other"


class FileSource:
    """Simulated feed files, single layout, on a clock that moves 1 s per tick.

    The clock starts in the past and only moves forward, so every phase's files
    are newer than the last phase's and the compare-and-set applies them.
    Spot-risk files make up ``spot_share`` of the mix; the rest are TT
    positions and working orders (and a vtexp file when one is due).
    """

    def __init__(self, *, seed: int, start: datetime, spot_share: float) -> None:
        from feeds.simulator import Simulator, SimulatorConfig

        self.clock = start
        self.simulator = Simulator(
            seed=seed, now=lambda: self.clock, config=SimulatorConfig(layout="single")
        )
        # Each TT feed may have this many files per spot-risk file.
        self.ratio = (1 - spot_share) / spot_share / len(TT_FEEDS)
        self.counts: Counter[str] = Counter()
        self.preamble = self._tick()  # instrument, vtexp and the first round

    def _tick(self) -> list[Any]:
        files = self.simulator.tick()
        self.clock += timedelta(seconds=1)
        return files

    def take(self, count: int) -> list[Any]:
        chosen: list[Any] = []
        while len(chosen) < count:
            for item in self._tick():
                feed = feed_of(item.key)
                if feed in TT_FEEDS and self.counts[feed] >= self.counts["spot-risk"] * self.ratio:
                    continue
                self.counts[feed] += 1
                chosen.append(item)
        return chosen[:count]


def upload(files: Sequence[Any]) -> None:
    from django.conf import settings

    from lib.aws import client

    s3 = client("s3")
    for item in files:
        s3.put_object(
            Bucket=settings.FRGM_FEED_BUCKET,
            Key=item.key,
            Body=item.body,
            ContentType=item.content_type,
        )
