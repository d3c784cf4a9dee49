"""The ladder live view: one instrument's scenario ladder, recomputed at most once per window."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

from feeds.messages import FeedUpdate
from feeds.records import Feed
from ladder.formatting import ladder_book_rows, ladder_cells, ladder_header_cells
from ladder.hub.cells import Cells, changed_cells, frame_cell
from ladder.hub.config import LADDER_FEEDS
from ladder.hub.view import View
from ladder.prices import round_to_tick
from ladder.selectors import decimal_text, ladder_snapshot
from lib.compute_process import compute_run

LadderCompute = Callable[..., tuple[dict[str, Any], dict[str, Cells]]]
# How long a recompute waits at most for the sockets' pending writes (``writes_pending``).
WRITES_WAIT_S = 0.15


class LadderUnavailable(RuntimeError):
    """The ladder cannot be computed (unknown instrument, no data yet)."""


def ladder_compute_default(
    *, instrument_id: str | None, ticks: int, state_mark: object = None
) -> tuple[dict[str, Any], dict[str, Cells]]:
    """``ladder.selectors.ladder_snapshot`` formatted as the page formats it (in the
    compute process); ``state_mark`` as ``ladder_snapshot``'s."""
    try:
        view = ladder_snapshot(instrument_id=instrument_id, ticks=ticks, state_mark=state_mark)
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
    header.update({name: frame_cell(cell) for name, cell in ladder_header_cells(view).items()})
    header["spot_row"] = decimal_text(round_to_tick(price=h.spot, tick=h.tick_size))
    rows = {
        decimal_text(row.price): {
            col: frame_cell(cell) for col, cell in ladder_cells(row, book).items()
        }
        for row, book in zip(view.rows, ladder_book_rows(view), strict=True)
    }
    return header, rows


class LadderRoom(View):
    """The scenario ladder of one instrument, recomputed at most once per window."""

    shown_feeds = LADDER_FEEDS | {Feed.SPOT_RISK, Feed.VTEXP}

    def __init__(
        self,
        key: str,
        *,
        instrument_id: str | None,
        ticks: int,
        compute: LadderCompute,
        writes_pending: Callable[[], bool] | None = None,
        state_mark: Callable[[], object] | None = None,
    ):
        super().__init__(key)
        self.instrument_id = instrument_id
        self.ticks = ticks
        self.compute = compute
        self.writes_pending = writes_pending
        # the hub's mark of what it has heard (``ladder_inputs_shared``); sent with
        # each recompute when the room has one
        self.state_mark = state_mark
        self.header: dict[str, Any] | None = None
        self.rows: dict[str, Cells] | None = None

    def wants(self, update: FeedUpdate) -> bool:
        if update["feed"] in LADDER_FEEDS:
            return True
        if update["feed"] == Feed.VTEXP:  # the options' time: the whole-book columns
            return True
        if update["feed"] == Feed.SPOT_RISK:  # the spot (the future's mid) and the options
            return any(
                row is None or row.get("itype") in {"F", "C", "P"}
                for row in update["changed"].values()
            )
        return False

    async def _compute(self) -> tuple[dict[str, Any], dict[str, Cells]]:
        return await self.compute_run(
            self.compute, instrument_id=self.instrument_id, ticks=self.ticks
        )

    def marked(self) -> dict[str, object]:
        """``state_mark=`` the hub's mark now, for a room that has one."""
        return {} if self.state_mark is None else {"state_mark": self.state_mark()}

    async def compute_run(
        self, compute: Callable[..., tuple[dict[str, Any], dict[str, Cells]]], **kwargs: Any
    ) -> tuple[dict[str, Any], dict[str, Cells]]:
        """Run a recompute in the compute process (``lib.compute_process``), off the
        event loop's GIL, once the sockets' writes have gone out (``writes_done``),
        with the hub's mark as it is then (``marked``: a file heard while it waited
        is in the state it reads)."""
        await self.writes_done()
        return await compute_run(compute, **kwargs, **self.marked())

    async def writes_done(self) -> None:
        """Let the frames queued for sockets go out first (``WRITES_WAIT_S`` at most).

        The same file usually triggers both a recompute and a spot-risk frame to
        every socket. A recompute in a thread holds the GIL for most of its ~15-20
        ms (Redis replies, the grid, formatting) and stretches that fan-out by as
        much. One in the compute process holds no GIL but takes a CPU the fan-out
        needs: the web task's share of one (a quarter vCPU in production), or the
        core the browsers' reads run on beside it (the bench's clients). So either
        waits for the writes; the ladder's and slide's frames go out after the
        spot-risk frame, well within their 1 s.
        """
        if self.writes_pending is None:
            return
        loop = asyncio.get_running_loop()
        give_up = loop.time() + WRITES_WAIT_S
        while self.writes_pending() and loop.time() < give_up:
            await asyncio.sleep(0.005)

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
        header_delta = changed_cells(old_header, header)
        header_delta.update({k: None for k in old_header if k not in header})
        row_delta: dict[str, Cells | None] = {p: None for p in old_rows if p not in rows}
        added: list[str] = []
        for price, cells in rows.items():
            old = old_rows.get(price)
            if old is None:
                row_delta[price] = cells
                added.append(price)
            elif changed := changed_cells(old, cells):
                row_delta[price] = changed
        if not header_delta and not row_delta:
            return None
        data: dict[str, Any] = {"header": header_delta, "rows": row_delta, "added": added}
        if added or any(v is None for v in row_delta.values()):  # the rows moved: new order
            data["order"] = list(rows)
        return data
