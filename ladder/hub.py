"""The live hub: one channel-layer subscriber per web process, fanning out to local sockets.

Why: one Channels consumer per socket fed by ``group_send`` delivered a broadcast
to 1,000 sockets at p99 0.65-0.84 s on our 2-core machines; one subscriber per
process writing one pre-serialised frame to every local socket reached ~0.2 s
(issue 5, "Benchmark"). So:

- the hub joins the feeds' all-updates groups (``feed.<feed>``) with ONE
  channel for the whole process and reads ``FeedUpdate`` messages;
- it keeps the state of each live view (``spot-risk``, ``ladder:<instrument>``)
  in memory, coalesces updates per view (a short settle, a file's last part
  and a spot-risk chunk batch's last chunk, then at most one frame per
  ``FRGM_LIVE_INTERVAL_S``), numbers the view's frames (``seq``) and
  serialises each frame once (spot-risk frames packed: ``ladder.frames``);
- every socket is a ``Subscriber`` with a bounded queue; a full queue means
  the browser is too slow: its queue is cleared and it gets one ``resync``,
  and nothing else until it asks for a snapshot. Nobody waits for it.
- one heartbeat loop pings every socket and closes the silent ones; one
  health loop tells browsers when each feed's last file arrived.

All of it runs in the web process's event loop; Redis reads (view loads,
ladder recomputes, feed health) go through ``asyncio.to_thread``.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import json
import logging
import re
import time
import weakref
from collections.abc import Callable, Coroutine, Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from channels.layers import get_channel_layer
from django.conf import settings
from redis.exceptions import TimeoutError as RedisTimeoutError

from feeds import selectors
from feeds.messages import FeedUpdate, feed_all_group_name
from feeds.records import Feed
from feeds.redis_clients import state_store
from feeds.state_store import key
from ladder.frames import (
    CLOSE_IDLE,
    DeltaFrame,
    ErrorFrame,
    FeedStamp,
    HealthFrame,
    PackedCell,
    PingFrame,
    ResyncFrame,
    SnapshotFrame,
    cell_pack,
)

log = logging.getLogger(__name__)

# actant/spot-risk/<date>/bav_analysis_<stamp>_chunk_NN_of_MM.csv: chunk NN of batch <stamp>
_CHUNK_KEY = re.compile(r"(?P<batch>.+)_chunk_(?P<chunk>\d+)_of_(?P<chunks>\d+)\.csv")
SUBSCRIBED_FEEDS = (
    Feed.SPOT_RISK,
    Feed.TT_POSITIONS,
    Feed.TT_ORDERS,
    Feed.VTEXP,
    Feed.TT_INSTRUMENTS,
)
LADDER_FEEDS = frozenset({Feed.TT_POSITIONS, Feed.TT_ORDERS, Feed.TT_INSTRUMENTS})
SPOT_RISK_VIEW = "spot-risk"
LADDER_PREFIX = "ladder:"
DEFAULT_INSTRUMENT = "default"  # the ladder's own choice: the future with the largest position
DEFAULT_TICKS = 40
MAX_TICKS = 400
GREEK_COLUMNS = ("vol", "delta", "gamma", "vega", "theta")
GROUPS_REFRESH_S = 3600.0  # re-join the groups well inside channels-redis' group expiry


def live_setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def encode(frame: Mapping[str, Any]) -> str:
    """A frame as compact JSON text: done once per frame, whatever the number of sockets."""
    return json.dumps(frame, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")


# --------------------------------------------------------------------- subscribers


class Subscriber:
    """One local socket: a bounded queue of pre-serialised frames."""

    def __init__(
        self, *, close: Callable[[int], Coroutine[Any, Any, None]], queue_size: int | None = None
    ) -> None:
        size = int(queue_size or live_setting("FRGM_LIVE_QUEUE_SIZE", 32))
        self.queue: asyncio.Queue[str] = asyncio.Queue(maxsize=size)
        self.view = ""
        self.behind = False  # sent a resync; waits for the browser's snapshot request
        self.closing = False
        self.resyncs = 0
        self.last_seen = time.monotonic()
        self.close = close

    def offer(self, text: str) -> bool:
        """Queue a view frame; a full queue turns into one resync frame."""
        if self.behind:
            return False
        try:
            self.queue.put_nowait(text)
            return True
        except asyncio.QueueFull:
            self.behind = True
            self.resyncs += 1
            self._clear()
            self.queue.put_nowait(
                encode(ResyncFrame(type="resync", view=self.view, reason="too far behind"))
            )
            return False

    def offer_control(self, text: str) -> None:
        """Queue a ping or health frame; dropped silently when there is no room."""
        with contextlib.suppress(asyncio.QueueFull):
            self.queue.put_nowait(text)

    def restart(self, text: str) -> None:
        """Replace whatever is queued by a snapshot: the browser starts over from it."""
        self._clear()
        self.behind = False
        self.queue.put_nowait(text)

    def seen(self) -> None:
        self.last_seen = time.monotonic()

    def _clear(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()


# --------------------------------------------------------------------- views


class _Stamp:
    """The newest update folded into a view's pending frame, and each feed's newest."""

    def __init__(self) -> None:
        self.feeds: dict[str, float] = {}  # feed -> ingested_at of its newest update
        self.version: str | None = None
        self.s3_event_time: str | None = None
        self.ingested_at: float | None = None

    def add(self, update: FeedUpdate) -> None:
        feed, ingested = update["feed"], update["ingested_at"]
        self.feeds[feed] = max(self.feeds.get(feed, 0.0), ingested)
        if self.ingested_at is None or ingested >= self.ingested_at:
            self.ingested_at = ingested
            self.s3_event_time = update["s3_event_time"]
            self.version = update["version"]


class View:
    """A live view: its state, its subscribers, its sequence number."""

    # Wait for every part of a file before sending (views built from the updates'
    # rows); a view that re-reads the state store has the whole file at once.
    whole_files = False
    # Wait for every chunk of a spot-risk batch too: the batch is one snapshot of
    # the book split over files, so one frame shows it (not 3-4, each with totals
    # that mix two moments). A missing chunk holds it FRGM_LIVE_BATCH_WAIT_S at most.
    whole_batches = False
    shown_feeds: frozenset[str] = frozenset()  # the feeds whose age the page shows

    def __init__(self, key: str) -> None:
        self.key = key
        self.seq = 0
        self.version: str | None = None
        self.subscribers: set[Subscriber] = set()
        self.lock = asyncio.Lock()
        self.last_flush = 0.0  # loop time of the last frame
        self.flush_task: asyncio.Task[None] | None = None
        self.stamp = _Stamp()
        self.dirty = False
        self.incomplete: dict[tuple[str, str], set[int]] = {}  # file -> parts still to come
        self.batches: dict[str, set[int]] = {}  # chunk batch -> chunks still to come
        self.batch_since: float | None = None  # loop time the open batches' first chunk came
        self._batches_over: dict[str, None] = {}  # recent batches: a late chunk waits for none
        self.told: dict[str, float] = {}  # feed -> newest ingested_at its sockets were sent
        self.file_give_up = 0.0  # loop time a flush stops waiting for a file's parts

    def wants(self, update: FeedUpdate) -> bool:
        raise NotImplementedError

    def absorb(self, update: FeedUpdate, *, gap: bool) -> None:
        self.stamp.add(update)
        self.dirty = True
        parts = update.get("parts", 1)
        if parts > 1 and self.whole_files:
            file = (update["feed"], update["key"])
            left = self.incomplete.setdefault(file, set(range(1, parts + 1)))
            left.discard(update.get("part", 1))
            if not left:
                del self.incomplete[file]
        if self.whole_batches:
            self._batch_absorb(update)

    def _batch_absorb(self, update: FeedUpdate) -> None:
        chunk = _CHUNK_KEY.fullmatch(update["key"])
        if chunk is None or chunk["batch"] in self._batches_over:
            return
        batch = chunk["batch"]
        if not self.batches:
            self.batch_since = asyncio.get_running_loop().time()
        left = self.batches.setdefault(batch, set(range(1, int(chunk["chunks"]) + 1)))
        if (update["feed"], update["key"]) not in self.incomplete:  # the chunk is all in
            left.discard(int(chunk["chunk"]))
        if not left:
            self._batch_over(batch)

    def _batch_over(self, batch: str) -> None:
        self.batches.pop(batch, None)
        self._batches_over[batch] = None
        while len(self._batches_over) > 32:
            del self._batches_over[next(iter(self._batches_over))]
        if not self.batches:
            self.batch_since = None

    def waiting(self, *, now: float) -> bool:
        """Some file or batch still has parts to come, and not for too long."""
        batch_wait = live_setting("FRGM_LIVE_BATCH_WAIT_S", 1.0)
        if self.batch_since is not None and now < self.batch_since + batch_wait:
            return True
        return bool(self.incomplete) and now < self.file_give_up

    def stop_waiting(self) -> None:
        self.incomplete.clear()
        for batch in list(self.batches):
            self._batch_over(batch)

    def take_stamp(self) -> _Stamp:
        stamp, self.stamp = self.stamp, _Stamp()
        return stamp

    async def snapshot_data(self) -> dict[str, Any] | None:
        raise NotImplementedError

    async def delta_data(self) -> dict[str, Any] | None:
        """Fold the pending updates in; what changed, or None when nothing did."""
        raise NotImplementedError


Cell = list[str]  # [text as the page shows it, exact value ("" when none), tone css class]
Cells = dict[str, Cell]


def _cell(cell: Any) -> Cell:
    """A ``ladder.views.Cell`` as the compact list a frame carries."""
    return [cell.text, cell.value, cell.css]


def spot_risk_cells(row: Mapping[str, Any]) -> Cells:
    """One spot-risk state row as the page's cells (``data-col`` -> cell), formatted once."""
    from ladder import selectors as ladder_selectors
    from ladder import views

    line = ladder_selectors.line_from_row(row)
    return {col: _cell(cell) for col, cell in views.spot_risk_cells(line).items()}


def spot_risk_totals(rows: Mapping[str, Mapping[str, Any]]) -> dict[str, Cells]:
    """Position-weighted Greeks per expiry group and for the portfolio, as cells."""
    from ladder import selectors as ladder_selectors
    from ladder import views

    lines = [ladder_selectors.line_from_row(row) for row in rows.values()]
    groups: dict[str, list[Any]] = {}
    for line in lines:
        group = "future" if line.itype == "F" or not line.expiry else line.expiry
        groups.setdefault(group, []).append(line)
    totals = {
        group: {
            col: _cell(c)
            for col, c in views.totals_cells(ladder_selectors.totals_of(members)).items()
        }
        for group, members in groups.items()
    }
    totals["portfolio"] = {
        col: _cell(c) for col, c in views.totals_cells(ladder_selectors.totals_of(lines)).items()
    }
    return totals


def _changed_cells(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    return {col: value for col, value in new.items() if old.get(col) != value}


def _shown_changes(old: Mapping[str, Any], new: Mapping[str, Any]) -> dict[str, Any]:
    """Cells whose text or tone changed; an exact value that moved beyond the shown
    places (a theo's seventh decimal as time passes) is not worth a byte to a browser.
    Every file nudged every theo, vol and Greek, so spot-risk deltas carried all 500
    rows; this keeps them to what a trader can see change. (A browser's data-value,
    used for sorting, may then lag the exact value below the shown places; a
    snapshot is exact.) Comparing with the previous exact cells is enough: their
    text is what the browsers show, or it would have been sent."""
    return {
        col: cell
        for col, cell in new.items()
        if (shown := old.get(col)) is None or shown[0] != cell[0] or shown[2] != cell[2]
    }


class SpotRiskView(View):
    """Every instrument of the newest spot-risk state, by key; deltas are changed cells.

    Frames are packed (``ladder.frames``): a row is known by a short id, a cell
    by its column's index, and a cell drops what its text implies. A vol surface
    that moves changes ~3,000 shown cells at once; packed, that is ~60 KB, not
    ~130 KB.
    """

    whole_files = True
    whole_batches = True
    shown_feeds = frozenset({Feed.SPOT_RISK, Feed.VTEXP})

    def __init__(self, key: str = SPOT_RISK_VIEW) -> None:
        super().__init__(key)
        self.rows: dict[str, dict[str, Any]] | None = None  # raw state rows
        self.cells: dict[str, Cells] = {}
        self.totals: dict[str, Cells] = {}
        self.pending: dict[str, dict[str, Any] | None] = {}
        self.reload = False
        self.ids: dict[str, str] = {}  # row key -> its id in this view's frames
        self._next_id = 0

    def wants(self, update: FeedUpdate) -> bool:
        return update["feed"] == Feed.SPOT_RISK

    def absorb(self, update: FeedUpdate, *, gap: bool) -> None:
        super().absorb(update, gap=gap)
        self.pending.update(update["changed"])
        self.reload = self.reload or gap

    async def _load(self) -> dict[str, dict[str, Any]]:
        raw, version = await asyncio.to_thread(_rows_and_version, Feed.SPOT_RISK)
        self.version = version or self.version
        return raw

    def _id(self, row_key: str) -> str:
        """The row's id, given on first sight; never reused for another row."""
        found = self.ids.get(row_key)
        if found is None:
            found = self.ids[row_key] = str(self._next_id)
            self._next_id += 1
        return found

    async def snapshot_data(self) -> dict[str, Any] | None:
        if self.rows is None:
            self.rows = await self._load()
            self.cells = {k: spot_risk_cells(v) for k, v in self.rows.items()}
            self.totals = spot_risk_totals(self.rows)
        columns = spot_risk_columns()
        return {
            "columns": list(columns),
            "rows": {self._id(k): packed_row(self.cells[k]) for k in sorted(self.cells)},
            "totals": {group: packed_cells(cells) for group, cells in self.totals.items()},
        }

    async def delta_data(self) -> dict[str, Any] | None:
        self.dirty = False
        if self.rows is None:  # nobody asked for a snapshot yet
            self.pending.clear()
            return None
        changes, self.pending = self.pending, {}
        if self.reload:  # a missed update: start again from the state store
            self.reload = False
            fresh = await self._load()
            changes = {k: None for k in self.rows if k not in fresh}
            changes.update({k: v for k, v in fresh.items() if self.rows.get(k) != v})
        rows: dict[str, PackedCells | list[PackedCell] | None] = {}
        for row_key, new in changes.items():
            old = self.rows.get(row_key)
            if new is None:
                if old is not None:
                    rows[self.ids.pop(row_key)] = None
                    del self.rows[row_key]
                    del self.cells[row_key]
                continue
            if old == new:
                continue
            cells = spot_risk_cells(new)
            if old is None:
                rows[self._id(row_key)] = packed_row(cells, shown=True)
            elif changed := _shown_changes(self.cells[row_key], cells):
                rows[self.ids[row_key]] = packed_cells(changed, shown=True)
            self.rows[row_key] = new
            self.cells[row_key] = cells
        if not rows:
            return None
        totals = spot_risk_totals(self.rows)
        totals_delta: dict[str, PackedCells | None] = {
            group: packed_cells(changed, shown=True)
            for group, cells in totals.items()
            if (changed := _shown_changes(self.totals.get(group, {}), cells))
        }
        totals_delta.update({group: None for group in self.totals if group not in totals})
        self.totals = totals
        return {"rows": rows, "totals": totals_delta}


PackedCells = dict[str, PackedCell]  # column index -> packed cell


@functools.cache
def spot_risk_columns() -> tuple[str, ...]:
    """The spot-risk table's columns, in the page's order (the key first)."""
    from ladder import views

    return tuple(col for col, _, _ in views.SPOT_RISK_COLUMNS)


@functools.cache
def _column_index() -> dict[str, str]:
    return {col: str(i) for i, col in enumerate(spot_risk_columns())}


def packed_row(cells: Cells, *, shown: bool = False) -> list[PackedCell]:
    """All of a row's cells, packed, in column order."""
    return [cell_pack(cells[col], shown=shown) for col in spot_risk_columns()]


def packed_cells(cells: Cells, *, shown: bool = False) -> PackedCells:
    """Some cells of a row (or a totals line), packed, by column index."""
    index = _column_index()
    return {index[col]: cell_pack(cell, shown=shown) for col, cell in cells.items()}


LadderCompute = Callable[..., tuple[dict[str, Any], dict[str, Cells]]]


class LadderUnavailable(RuntimeError):
    """The ladder cannot be computed (no read model, unknown instrument, no data yet)."""


def ladder_compute_default(
    *, instrument_id: str | None, ticks: int
) -> tuple[dict[str, Any], dict[str, Cells]]:
    """``ladder.selectors.ladder_snapshot`` formatted as the page formats it (in a thread)."""
    try:
        from ladder import selectors as ladder_selectors
        from ladder import views
        from ladder.prices import round_to_tick
    except ImportError as exc:
        raise LadderUnavailable("the ladder read model is not installed") from exc
    try:
        view = ladder_selectors.ladder_snapshot(instrument_id=instrument_id, ticks=ticks)
    except LookupError as exc:  # UnknownInstrument
        raise LadderUnavailable(str(exc)) from exc
    header: dict[str, Any] = {
        "instrument_id": view.instrument_id,
        "instrument_label": view.instrument_label,
        "spot_source": view.spot_source,
        "as_of": view.as_of.isoformat() if view.as_of else None,
        "message": view.message,
    }
    if view.header is None:
        return header, {}
    h = view.header
    header.update(
        {
            "position": _cell(views.quantity(h.net_position, signed=True)),
            "open_avg_price": _cell(views.price_near(h.open_avg_price)),
            "tt_pnl": _cell(views.money(h.tt_pnl)),
            "realized_pnl": _cell(views.money(h.realized_pnl)),
            "sod_position": _cell(views.quantity(h.sod_net_position, signed=True)),
            "spot": _cell(views.price(h.spot)),
            "spot_row": ladder_selectors.decimal_text(
                round_to_tick(price=h.spot, tick=h.tick_size)
            ),
        }
    )
    rows = {
        ladder_selectors.decimal_text(row.price): {
            col: _cell(cell) for col, cell in views.ladder_cells(row).items()
        }
        for row in view.rows
    }
    return header, rows


class LadderView(View):
    """The scenario ladder of one instrument, recomputed at most once per window."""

    shown_feeds = LADDER_FEEDS | {Feed.SPOT_RISK}

    def __init__(self, key: str, *, instrument_id: str | None, ticks: int, compute: LadderCompute):
        super().__init__(key)
        self.instrument_id = instrument_id
        self.ticks = ticks
        self.compute = compute
        self.header: dict[str, Any] | None = None
        self.rows: dict[str, Cells] | None = None

    def wants(self, update: FeedUpdate) -> bool:
        if update["feed"] in LADDER_FEEDS:
            return True
        if update["feed"] == Feed.SPOT_RISK:  # the spot: the future's mid
            return any(row is None or row.get("itype") == "F" for row in update["changed"].values())
        return False

    async def _compute(self) -> tuple[dict[str, Any], dict[str, Cells]]:
        return await asyncio.to_thread(
            self.compute, instrument_id=self.instrument_id, ticks=self.ticks
        )

    async def snapshot_data(self) -> dict[str, Any] | None:
        if self.rows is None:
            try:
                self.header, self.rows = await self._compute()
            except LadderUnavailable:
                return None
        return {"header": self.header, "rows": self.rows, "order": list(self.rows)}

    async def delta_data(self) -> dict[str, Any] | None:
        self.dirty = False
        try:
            header, rows = await self._compute()
        except LadderUnavailable:
            return None
        old_header, old_rows = self.header or {}, self.rows or {}
        self.header, self.rows = header, rows
        header_delta = _changed_cells(old_header, header)
        header_delta.update({k: None for k in old_header if k not in header})
        row_delta: dict[str, Cells | None] = {p: None for p in old_rows if p not in rows}
        added: list[str] = []
        for price, cells in rows.items():
            old = old_rows.get(price)
            if old is None:
                row_delta[price] = cells
                added.append(price)
            elif changed := _changed_cells(old, cells):
                row_delta[price] = changed
        if not header_delta and not row_delta:
            return None
        data: dict[str, Any] = {"header": header_delta, "rows": row_delta, "added": added}
        if added or any(v is None for v in row_delta.values()):  # the rows moved: new order
            data["order"] = list(rows)
        return data


def ladder_view_key(*, instrument_id: str | None, ticks: int = DEFAULT_TICKS) -> str:
    key = LADDER_PREFIX + (instrument_id or DEFAULT_INSTRUMENT)
    return key if ticks == DEFAULT_TICKS else f"{key}:{ticks}"


# --------------------------------------------------------------------- the hub


class LiveHub:
    """One per event loop (one per web process in production)."""

    def __init__(self, *, ladder_compute: LadderCompute | None = None) -> None:
        self.loop = asyncio.get_running_loop()
        self.views: dict[str, View] = {}
        self.feeds: dict[str, FeedStamp] = {}
        self.ladder_compute: LadderCompute = ladder_compute or ladder_compute_default
        self.channel: str | None = None
        self.frames_sent = 0
        self._group_seq: dict[tuple[str, str], int] = {}
        self._start_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []

    # lifecycle

    async def ensure_started(self) -> None:
        async with self._start_lock:
            if self._tasks:
                return
            layer = get_channel_layer()
            if layer is None:
                raise RuntimeError("no channel layer configured: the live hub needs one")
            # Django, the apps and the settings are loaded by now and live as long as the
            # process: move them out of the collector's sight, so a full collection
            # (which stops the event loop) scans the live objects only, not the startup heap.
            gc.freeze()
            self.channel = await layer.new_channel()
            await self._join(layer)
            try:
                self.feeds = await asyncio.to_thread(_feed_stamps)
            except Exception:
                log.warning("live hub: feed health unavailable at start", exc_info=True)
            self._tasks = [
                asyncio.create_task(self._read_loop(layer), name="live-hub-read"),
                asyncio.create_task(self._heartbeat_loop(), name="live-hub-heartbeat"),
                asyncio.create_task(self._health_loop(layer), name="live-hub-health"),
            ]
            log.info("live hub started on %s", self.channel)

    async def stop(self) -> None:
        tasks, self._tasks = self._tasks, []
        for task in tasks:
            task.cancel()
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
        layer = get_channel_layer()
        if layer is not None and self.channel:
            for feed in SUBSCRIBED_FEEDS:
                with contextlib.suppress(Exception):
                    await layer.group_discard(feed_all_group_name(feed), self.channel)

    async def _join(self, layer: Any) -> None:
        for feed in SUBSCRIBED_FEEDS:
            await layer.group_add(feed_all_group_name(feed), self.channel)

    # subscribers

    async def subscribe(self, key: str, subscriber: Subscriber) -> None:
        """Add a socket to a view and queue its first snapshot."""
        await self.ensure_started()
        view = self.views.get(key)
        if view is None:
            view = self.views[key] = self._view_create(key)
        subscriber.view = key
        async with view.lock:
            view.subscribers.add(subscriber)
            await self._snapshot_locked(view, subscriber)

    async def snapshot(self, subscriber: Subscriber) -> None:
        """A fresh snapshot for a socket that asked for one (gap, resync)."""
        view = self.views.get(subscriber.view)
        if view is None:
            return
        async with view.lock:
            await self._snapshot_locked(view, subscriber)

    def unsubscribe(self, subscriber: Subscriber) -> None:
        view = self.views.get(subscriber.view)
        if view is None:
            return
        view.subscribers.discard(subscriber)
        if not view.subscribers:
            del self.views[subscriber.view]
            if view.flush_task is not None:
                view.flush_task.cancel()

    def subscriber_count(self) -> int:
        return sum(len(view.subscribers) for view in self.views.values())

    async def _snapshot_locked(self, view: View, subscriber: Subscriber) -> None:
        try:
            data = await view.snapshot_data()
        except Exception as exc:
            log.warning("live hub: snapshot of %s failed: %s", view.key, exc)
            subscriber.restart(
                encode(ErrorFrame(type="error", code="unavailable", message=str(exc)[:200]))
            )
            return
        if data is None:
            subscriber.restart(
                encode(ErrorFrame(type="error", code="no-data", message=f"{view.key}: no data yet"))
            )
            subscriber.offer_control(self._snapshot_text(view, None))
            return
        subscriber.restart(self._snapshot_text(view, data))

    def _snapshot_text(self, view: View, data: dict[str, Any] | None) -> str:
        for feed, stamp in self.feeds.items():
            view.told[feed] = max(view.told.get(feed, 0.0), stamp["ingested_at"] or 0.0)
        return encode(
            SnapshotFrame(
                type="snapshot",
                view=view.key,
                seq=view.seq,
                version=view.version,
                data=data,
                feeds=self.feeds,
                server_time=time.time(),
            )
        )

    def _view_create(self, key: str) -> View:
        if key == SPOT_RISK_VIEW:
            return SpotRiskView()
        if key.startswith(LADDER_PREFIX):
            instrument, _, ticks = key.removeprefix(LADDER_PREFIX).partition(":")
            return LadderView(
                key,
                instrument_id=None if instrument == DEFAULT_INSTRUMENT else instrument,
                ticks=int(ticks) if ticks else DEFAULT_TICKS,
                compute=self.ladder_compute,
            )
        raise ValueError(f"unknown live view {key!r}")

    # updates

    def dispatch(self, update: FeedUpdate) -> None:
        """One FeedUpdate from the channel layer: fold it into every view it touches."""
        feed, group, seq = update["feed"], update["group"], int(update["seq"])
        last = self._group_seq.get((feed, group))
        gap = last is not None and seq > last + 1
        if gap:
            log.warning("live hub: %s/%s jumped from seq %s to %s", feed, group, last, seq)
        self._group_seq[(feed, group)] = seq  # lower: the worker's counters restarted
        stamp = self.feeds.get(feed)
        if stamp is None or (stamp["ingested_at"] or 0) <= update["ingested_at"]:
            self.feeds[feed] = FeedStamp(
                ingested_at=update["ingested_at"],
                file_time=update["file_time"],
                event_time=update["s3_event_time"],
            )
        for view in list(self.views.values()):
            if view.wants(update):
                view.absorb(update, gap=gap)
                self._schedule(view)

    def _schedule(self, view: View) -> None:
        if view.flush_task is not None and not view.flush_task.done():
            return
        settle = live_setting("FRGM_LIVE_SETTLE_S", 0.01)
        interval = live_setting("FRGM_LIVE_INTERVAL_S", 0.25)
        delay = max(settle, view.last_flush + interval - self.loop.time())
        view.flush_task = asyncio.create_task(self._flush_later(view, delay))

    async def _flush_later(self, view: View, delay: float) -> None:
        await asyncio.sleep(delay)
        # a file's updates (one per group) go out in one frame: wait for its last part,
        # and for a chunk batch's last chunk
        view.file_give_up = self.loop.time() + live_setting("FRGM_LIVE_FILE_WAIT_S", 0.1)
        while view.waiting(now=self.loop.time()):
            await asyncio.sleep(0.005)
        view.stop_waiting()
        try:
            await self.flush(view)
        finally:
            view.flush_task = None
            if view.dirty and self.views.get(view.key) is view:
                self._schedule(view)

    async def flush(self, view: View) -> None:
        """Send one delta frame with everything pending for ``view``, if anything changed."""
        async with view.lock:
            stamp = view.take_stamp()
            try:
                data = await view.delta_data()
            except Exception:
                log.exception("live hub: %s delta failed", view.key)
                return
            finally:
                view.last_flush = self.loop.time()
            if stamp.version:
                view.version = stamp.version
            for feed, ingested in stamp.feeds.items():
                view.told[feed] = max(view.told.get(feed, 0.0), ingested)
            if data is None:
                return
            view.seq += 1
            text = encode(
                DeltaFrame(
                    type="delta",
                    view=view.key,
                    seq=view.seq,
                    version=view.version,
                    data=data,
                    feeds=dict(sorted(stamp.feeds.items())),
                    s3_event_time=stamp.s3_event_time,
                    ingested_at=stamp.ingested_at,
                    server_time=time.time(),
                )
            )
            for subscriber in view.subscribers:
                subscriber.offer(text)
            self.frames_sent += 1

    # loops

    async def _read_loop(self, layer: Any) -> None:
        while True:
            try:
                message = await layer.receive(self.channel)
            except asyncio.CancelledError:
                raise
            except (TimeoutError, RedisTimeoutError):
                # redis-py >= 8 times out an idle BZPOPMIN after its socket timeout
                # (django/channels_redis#422): nothing was lost, block again at once
                continue
            except Exception:
                log.warning("live hub: channel layer receive failed", exc_info=True)
                await asyncio.sleep(1.0)
                with contextlib.suppress(Exception):
                    await self._join(layer)
                continue
            if message.get("type") == "feed.update":
                try:
                    self.dispatch(message)
                except Exception:
                    log.exception("live hub: bad feed update %r", message.get("key"))

    async def _heartbeat_loop(self) -> None:
        while True:
            await asyncio.sleep(live_setting("FRGM_LIVE_PING_S", 15.0))
            idle_s = live_setting("FRGM_LIVE_IDLE_S", 45.0)
            now = time.monotonic()
            text = encode(PingFrame(type="ping", server_time=time.time()))
            for view in list(self.views.values()):
                for subscriber in list(view.subscribers):
                    if subscriber.closing:
                        continue
                    if now - subscriber.last_seen > idle_s:
                        subscriber.closing = True
                        asyncio.create_task(subscriber.close(CLOSE_IDLE))  # noqa: RUF006
                    else:
                        subscriber.offer_control(text)

    async def _health_loop(self, layer: Any) -> None:
        joined = self.loop.time()
        while True:
            await asyncio.sleep(live_setting("FRGM_LIVE_HEALTH_S", 2.0))
            if self.loop.time() - joined > GROUPS_REFRESH_S:
                with contextlib.suppress(Exception):
                    await self._join(layer)
                    joined = self.loop.time()
            if not self.subscriber_count():
                continue
            try:
                stamps = await asyncio.to_thread(_feed_stamps)
            except Exception:
                log.warning("live hub: feed health unavailable", exc_info=True)
                continue
            for feed, stamp in stamps.items():
                known = self.feeds.get(feed)
                if known is None or (known["ingested_at"] or 0) < (stamp["ingested_at"] or 0):
                    self.feeds[feed] = stamp
            self.health_broadcast()

    def health_broadcast(self) -> None:
        """Tell each view's sockets about files their deltas did not tell them of.

        A file that changed nothing sends no delta, yet it proves the feed alive;
        a file that did change something was in a delta (``feeds``) already.
        """
        now = time.time()
        for view in list(self.views.values()):
            news = {
                feed: stamp
                for feed, stamp in self.feeds.items()
                if feed in view.shown_feeds
                and (stamp["ingested_at"] or 0.0) > view.told.get(feed, 0.0)
            }
            if not news or not view.subscribers:
                continue
            for feed, stamp in news.items():
                view.told[feed] = stamp["ingested_at"] or 0.0
            text = encode(HealthFrame(type="health", feeds=news, server_time=now))
            for subscriber in view.subscribers:
                subscriber.offer_control(text)


def _rows_and_version(feed: Feed) -> tuple[dict[str, dict[str, Any]], str | None]:
    """A feed's latest rows and the state version they are at (read in a thread).

    The version is read first: rows can only be as new or newer than it, and
    updates after it reach the hub through the channel layer anyway.
    """
    raw = state_store().hget(key(feed, "meta"), "version")
    rows = selectors.latest_rows(feed=feed)
    version = raw.decode() if isinstance(raw, bytes) else raw
    return rows, version or None


def _feed_stamps() -> dict[str, FeedStamp]:
    """Each feed's last-file times: one small hash per feed (``feed_health`` reads
    ~120 counters per feed for its per-minute figures; the banner needs three fields)."""
    store = state_store()
    stamps: dict[str, FeedStamp] = {}
    for feed in Feed:
        raw = store.hmget(
            key(feed, "health"), "last_ingested_at", "last_file_time", "last_event_time"
        )
        ingested, file_time, event_time = (v.decode() if isinstance(v, bytes) else v for v in raw)
        stamps[str(feed)] = FeedStamp(
            ingested_at=float(ingested) if ingested else None,
            file_time=file_time or None,
            event_time=event_time or None,
        )
    return stamps


_HUBS: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LiveHub] = weakref.WeakKeyDictionary()


def live_hub() -> LiveHub:
    """This event loop's hub (created on first use; started by the first subscriber)."""
    loop = asyncio.get_running_loop()
    hub = _HUBS.get(loop)
    if hub is None:
        hub = _HUBS[loop] = LiveHub()
    return hub
