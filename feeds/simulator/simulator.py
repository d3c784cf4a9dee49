"""The feed server, simulated: which files are due now, and their S3 keys and bytes.

Cadence (FEEDS.md): spot risk, TT positions and TT working orders each every
1-2 s (a fresh uniform draw after every file); vtexp once at start and then
every 10-20 min; the future's TT instrument file once at start. A feed never
writes two files in the same clock second, because names carry whole seconds
and a second file would overwrite the first. The market advances one walk
step per elapsed second of ``now()``, so a test clock drives it exactly.

On a new trading date (17:00 Chicago, see ``feeds.feed_keys``) the desk's
position rolls to the settle, the option chain is relisted and vtexp is
rewritten at once. The traded future is chosen at start and kept.
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Literal

from feeds.feed_keys import (
    file_stamp,
    instrument_key,
    orders_key,
    positions_key,
    spot_risk_key,
    trading_date_for,
    vtexp_key,
)
from feeds.simulator.book import BookLine, OptionBook
from feeds.simulator.calendar import front_future
from feeds.simulator.desk import Desk
from feeds.simulator.market import FutureWalk, OptionChain
from feeds.simulator.spot_risk import SpotRiskSnapshot, spot_risk_chunks, spot_risk_single
from feeds.simulator.tt_json import (
    instrument_details,
    orders_response,
    positions_response,
    tt_instrument_id,
)
from feeds.simulator.vtexp import vtexp_file

CSV, JSON = "text/csv", "application/json"
Layout = Literal["single", "chunked", "both"]
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_VOL_MOVE_PROBABILITY = 0.05  # a second; with a 0.9 % step, the same drift as before
_FEEDS = ("instrument", "vtexp", "spot-risk", "positions", "orders")  # first-tick order


@dataclass(frozen=True, slots=True)
class SimulatedFile:
    key: str
    body: bytes
    content_type: str


@dataclass(frozen=True, slots=True)
class SimulatorConfig:
    layout: Layout = "both"  # "both" alternates single files and chunk batches
    spot_risk_rows: int = 500  # approximate: whole strikes for every expiry
    chunks: int = 16  # MM of a chunk batch
    chunk_drop_probability: float = 0.05  # chance a batch misses one chunk
    expiries: int = 10  # live expiries listed (the last expired one comes on top)
    interval_s: tuple[float, float] = (1.0, 2.0)  # spot risk and each TT feed
    vtexp_interval_s: tuple[float, float] = (600.0, 1200.0)
    start_price: Decimal = Decimal("111.15625")
    move_probability: float = 0.15  # chance the future moves in a second
    option_trade_probability: float = 0.02  # chance the options book trades in a second
    max_catch_up_s: int = 3600  # walk steps replayed after a long pause, at most


def _aware(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        raise ValueError(f"now() returned {moment!r} without a time zone")
    return moment


def _ns(moment: datetime) -> int:
    """Nanoseconds since the epoch, TT's ``dateTime``."""
    return (moment - _EPOCH) // timedelta(microseconds=1) * 1000


class Simulator:
    """``tick()`` returns the files due at ``now()``; deterministic for a seed and clock."""

    def __init__(
        self,
        *,
        seed: int,
        now: Callable[[], datetime],
        config: SimulatorConfig | None = None,
    ) -> None:
        self.config = config or SimulatorConfig()
        self._now = now
        streams = ("walk", "chain", "desk", "feed", "book")
        self._rng = {name: random.Random(f"{seed}:{name}") for name in streams}
        start = _aware(now())
        self.trading_date = trading_date_for(start)
        self.future = front_future(trading_date=self.trading_date)
        self.instrument_id = tt_instrument_id(self.future)
        self.walk = FutureWalk(
            rng=self._rng["walk"],
            start=self.config.start_price,
            move_probability=self.config.move_probability,
        )
        self.desk = Desk(rng=self._rng["desk"], bid=self.walk.bid, now_ns=_ns(start))
        self.desk.orders_refresh(bid=self.walk.bid, ask=self.walk.ask, now_ns=_ns(start))
        self.chain = self._chain_for(self.trading_date)
        self.book = OptionBook(
            rng=self._rng["book"],
            listed=self.chain.keys(),
            near=self.chain.keys(near=self.walk.mid, series=3),
            trade_probability=self.config.option_trade_probability,
        )
        self._vol_level = 1.0
        self._clock, self._pending_s = start, 0.0
        self._due: dict[str, datetime | None] = dict.fromkeys(_FEEDS, start)
        self._last_stamp: dict[str, str] = {}
        self._spot_risk_files = 0

    def _chain_for(self, trading_date: date) -> OptionChain:
        series = self.config.expiries + 1  # plus the one that expired last
        strikes = max(1, (self.config.spot_risk_rows - 2) // (2 * series))
        return OptionChain(
            rng=self._rng["chain"], trading_date=trading_date, center=self.walk.mid,
            expiries=self.config.expiries, strikes_per_expiry=strikes,
        )  # fmt: skip

    def tick(self) -> list[SimulatedFile]:
        """Advance the market to ``now()`` and return every file due, in upload order."""
        moment = _aware(self._now())
        self._advance(moment)
        files: list[SimulatedFile] = []
        for feed in _FEEDS:
            due = self._due[feed]
            if due is None or moment < due or self._last_stamp.get(feed) == file_stamp(moment):
                continue
            files += self._produce(feed, moment)
            self._last_stamp[feed] = file_stamp(moment)
            self._due[feed] = self._next_due(feed, moment)
        return files

    def next_due(self) -> datetime:
        """The earliest moment a feed is due (a caller may sleep until then)."""
        pending = [due for due in self._due.values() if due is not None]
        return min(pending) if pending else self._clock + timedelta(days=1)

    def _next_due(self, feed: str, moment: datetime) -> datetime | None:
        if feed == "instrument":
            return None  # written once; the future does not change during a run
        low, high = self.config.vtexp_interval_s if feed == "vtexp" else self.config.interval_s
        return moment + timedelta(seconds=self._rng["feed"].uniform(low, high))

    def _advance(self, moment: datetime) -> None:
        """One walk step per elapsed second; fills as the walk crosses orders."""
        self._pending_s += max(0.0, (moment - self._clock).total_seconds())
        self._clock = moment
        steps = math.floor(self._pending_s)
        self._pending_s -= steps
        now_ns = _ns(moment)
        for _ in range(min(steps, self.config.max_catch_up_s)):
            self.walk.step()
            # The desk's vol surface moves now and then, not every second: a surface
            # that twitched every file made every vol and Greek change in every file.
            if self._rng["walk"].random() < _VOL_MOVE_PROBABILITY:
                move = math.exp(self._rng["walk"].gauss(0, 0.009))
                self._vol_level = min(1.25, max(0.8, self._vol_level * move))
            self.desk.market_moved(mid=self.walk.mid, now_ns=now_ns)
            self.book.trade()
        self._roll_if_new_day(moment)
        self.desk.orders_refresh(bid=self.walk.bid, ask=self.walk.ask, now_ns=now_ns)

    def _roll_if_new_day(self, moment: datetime) -> None:
        trading_date = trading_date_for(moment)
        if trading_date == self.trading_date:
            return
        self.trading_date = trading_date
        self.desk.new_day(settle=self.walk.bid)
        self.chain = self._chain_for(trading_date)
        self.book.relist(
            listed=self.chain.keys(), near=self.chain.keys(near=self.walk.mid, series=3)
        )
        self._due["vtexp"] = moment  # the expiry list changed: say so at once

    def _produce(self, feed: str, moment: datetime) -> list[SimulatedFile]:
        if feed == "instrument":
            body = instrument_details(future=self.future, instrument_id=self.instrument_id)
            return [SimulatedFile(instrument_key(instrument_id=self.instrument_id), body, JSON)]
        if feed == "vtexp":
            body = vtexp_file(now=moment, expiries=self.chain.expiries)
            return [SimulatedFile(vtexp_key(moment=moment), body, CSV)]
        if feed == "spot-risk":
            return self._spot_risk(moment)
        if feed == "positions":
            body = positions_response(
                desk=self.desk, instrument_id=self.instrument_id, mid=self.walk.mid
            )
            return [SimulatedFile(positions_key(moment=moment), body, JSON)]
        body = orders_response(desk=self.desk, instrument_id=self.instrument_id)
        return [SimulatedFile(orders_key(moment=moment), body, JSON)]

    def snapshot(self, moment: datetime) -> SpotRiskSnapshot:
        quotes = self.chain.quotes(
            forward=float(self.walk.mid), now=moment, vol_level=self._vol_level
        )
        book = {key: self.book.line(key) for key in self.book.positions}
        # Actant's book holds the future too: TT's position in it.
        future = BookLine(self.desk.position.net, self.desk.position.sod_net)
        book[self.future.actant_key] = future
        return SpotRiskSnapshot(
            moment, self.future.actant_key, self.walk.bid, self.walk.ask, tuple(quotes), book
        )

    def _spot_risk(self, moment: datetime) -> list[SimulatedFile]:
        snapshot = self.snapshot(moment)
        layout = self.config.layout
        if layout == "both":
            layout = "single" if self._spot_risk_files % 2 == 0 else "chunked"
        self._spot_risk_files += 1
        if layout == "single":
            return [SimulatedFile(spot_risk_key(moment=moment), spot_risk_single(snapshot), CSV)]
        parts = spot_risk_chunks(snapshot, chunks=self.config.chunks)
        rng = self._rng["feed"]
        dropped = (
            rng.randrange(len(parts)) if rng.random() < self.config.chunk_drop_probability else -1
        )
        return [
            SimulatedFile(spot_risk_key(moment=moment, chunk=n + 1, chunks=len(parts)), body, CSV)
            for n, body in enumerate(parts)
            if n != dropped
        ]
