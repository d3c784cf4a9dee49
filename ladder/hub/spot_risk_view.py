"""The spot-risk live view: every instrument of the newest spot-risk state, packed."""

from __future__ import annotations

import asyncio
from typing import Any

from feeds.messages import FeedUpdate
from feeds.records import Feed
from ladder.frames import PackedCell
from ladder.hub.cells import (
    Cells,
    PackedCells,
    packed_cells,
    packed_row,
    row_frame_cells,
    shown_changes,
    spot_risk_columns,
    spot_risk_totals,
)
from ladder.hub.keys import SPOT_RISK_VIEW
from ladder.hub.state_reads import rows_and_version
from ladder.hub.view import View


class SpotRiskRoom(View):
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
        self.batch_told: dict[str, Any] | None = None  # the incomplete batch last framed
        self._next_id = 0

    def wants(self, update: FeedUpdate) -> bool:
        return update["feed"] == Feed.SPOT_RISK

    def absorb(self, update: FeedUpdate, *, gap: bool) -> None:
        super().absorb(update, gap=gap)
        self.pending.update(update["changed"])
        self.reload = self.reload or gap

    async def _load(self) -> dict[str, dict[str, Any]]:
        raw, version = await asyncio.to_thread(rows_and_version, Feed.SPOT_RISK)
        self.version = version or self.version
        return raw

    def _id(self, row_key: str) -> str:
        """The row's id, given on first sight; never reused for another row."""
        found = self.ids.get(row_key)
        if found is None:
            found = self.ids[row_key] = str(self._next_id)
            self._next_id += 1
        return found

    def snapshot_key(self) -> tuple[object, ...]:
        # the batch mark moves as chunks arrive, before their frame goes out
        return (*super().snapshot_key(), self.batch_mark())

    async def snapshot_data(self) -> dict[str, Any] | None:
        if self.rows is None:
            self.rows = await self._load()
            self.cells = {k: row_frame_cells(v) for k, v in self.rows.items()}
            self.totals = spot_risk_totals(self.rows)
        columns = spot_risk_columns()
        return {
            "columns": list(columns),
            "rows": {self._id(k): packed_row(self.cells[k]) for k in sorted(self.cells)},
            "totals": {group: packed_cells(cells) for group, cells in self.totals.items()},
            "batch": self.batch_mark(),
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
            cells = row_frame_cells(new)
            if old is None:
                rows[self._id(row_key)] = packed_row(cells, shown=True)
            elif changed := shown_changes(self.cells[row_key], cells):
                rows[self.ids[row_key]] = packed_cells(changed, shown=True)
            self.rows[row_key] = new
            self.cells[row_key] = cells
        batch = self.batch_mark()
        batch_moved, self.batch_told = batch != self.batch_told, batch
        if not rows:
            # nothing shown changed, but the page's "batch n/m" mark may have (a late
            # chunk that changed nothing completed the batch): tell it
            return {"rows": {}, "totals": {}, "batch": batch} if batch_moved else None
        totals = spot_risk_totals(self.rows)
        totals_delta: dict[str, PackedCells | None] = {
            group: packed_cells(changed, shown=True)
            for group, cells in totals.items()
            if (changed := shown_changes(self.totals.get(group, {}), cells))
        }
        totals_delta.update({group: None for group in self.totals if group not in totals})
        self.totals = totals
        return {"rows": rows, "totals": totals_delta, "batch": batch}
