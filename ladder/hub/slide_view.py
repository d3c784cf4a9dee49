"""The risk slide live view: one parameter set's grid, computed once per update for all
of its sockets.

A view is one distinct parameter set (instrument, moves and step, vol shifts, days
forward, breakdown by expiry): every socket asking for the same set shares it, so
the grid is computed once per web process per update however many traders watch
it (``computations`` counts). It listens to what the ladder listens to (TT files,
spot-risk files that touch the future or an option, vtexp) and sends the cells
that changed, as the ladder view does.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qs, urlencode

from feeds.messages import FeedUpdate
from ladder.formatting import slide_cells, slide_header
from ladder.hub.cells import Cells, frame_cell
from ladder.hub.keys import DEFAULT_INSTRUMENT, SLIDE_PREFIX
from ladder.hub.ladder_view import LadderRoom, LadderUnavailable
from ladder.selectors import UnknownInstrument
from ladder.selectors.slide import slide_snapshot

SlideCompute = Callable[..., tuple[dict[str, Any], dict[str, Cells]]]


def slide_view_key(
    *,
    moves: tuple[int, ...],
    vol_shifts: tuple[float, ...],
    days: float,
    by_expiry: bool,
    instrument_id: str | None,
) -> str:
    """The view of one parameter set (``ladder.api.slide_query``'s output): equal sets,
    equal keys. Floats are written with ``repr`` so that the key reads back exactly."""
    return SLIDE_PREFIX + urlencode(
        {
            "instrument": instrument_id or DEFAULT_INSTRUMENT,
            "moves": ",".join(str(m) for m in moves),
            "vol_shifts": ",".join(repr(float(s)) for s in vol_shifts),
            "days": repr(float(days)),
            "by_expiry": "1" if by_expiry else "0",
        },
        safe=",",
    )


def slide_view_query(key: str) -> dict[str, Any]:
    """``slide_view_key`` read back: ``slide_snapshot``'s keyword arguments."""
    fields = {k: v[0] for k, v in parse_qs(key.removeprefix(SLIDE_PREFIX)).items()}
    instrument = fields.get("instrument", DEFAULT_INSTRUMENT)
    return {
        "moves": tuple(int(m) for m in fields["moves"].split(",")),
        "vol_shifts": tuple(float(s) for s in fields["vol_shifts"].split(",")),
        "days": float(fields["days"]),
        "by_expiry": fields.get("by_expiry") == "1",
        "instrument_id": None if instrument == DEFAULT_INSTRUMENT else instrument,
    }


def slide_compute_default(**query: Any) -> tuple[dict[str, Any], dict[str, Cells]]:
    """``ladder.selectors.slide.slide_snapshot`` formatted as the page formats it
    (in the compute process): the header and each row's cells, rows keyed by move."""
    try:
        view = slide_snapshot(**query)
    except UnknownInstrument as exc:
        raise LadderUnavailable(str(exc)) from exc
    rows = {
        move: {col: frame_cell(cell) for col, cell in cells.items()}
        for move, cells in slide_cells(view).items()
    }
    return slide_header(view), rows


class SlideRoom(LadderRoom):
    """The slide of one parameter set: the ladder of its instrument and reach, with the
    options book at every vol shift; snapshot and deltas as the ladder view's (header
    fields, rows by move, ``order`` when the rows changed). (Named a room, not a view:
    ``ladder.selectors.slide.SlideView`` is the read model it sends.)

    One grid per file: the worker writes a whole file to the state store before it
    publishes the file's first update (one per group), so a grid computed after any
    part has them all, and the file's later parts change nothing: they are let
    go. A spot-risk chunk batch is one snapshot of the book split over files: its
    chunks are waited for (``whole_batches``), so one grid shows it.
    """

    whole_batches = True

    def __init__(
        self,
        key: str,
        *,
        compute: SlideCompute,
        writes_pending: Callable[[], bool] | None = None,
        state_mark: Callable[[], object] | None = None,
    ) -> None:
        query = slide_view_query(key)
        reach = max((abs(m) for m in query["moves"]), default=1)  # the ladder it reads
        super().__init__(
            key,
            instrument_id=query["instrument_id"],
            ticks=reach,
            compute=compute,
            writes_pending=writes_pending,
            state_mark=state_mark,
        )
        self.query = query
        self.computations = 0  # grids computed: once per update, whatever the sockets
        self._absorbed: set[tuple[str, str]] = set()  # files folded in since the last grid
        self._computed: dict[tuple[str, str], None] = {}  # files a grid had (the newest)

    def wants(self, update: FeedUpdate) -> bool:
        if (update["feed"], update["version"]) in self._computed:
            return False  # a later part of a file a grid already had
        return super().wants(update)

    def absorb(self, update: FeedUpdate, *, gap: bool) -> None:
        self._absorbed.add((update["feed"], update["version"]))
        super().absorb(update, gap=gap)

    async def _compute(self) -> tuple[dict[str, Any], dict[str, Cells]]:
        self.computations += 1
        for file in self._absorbed:
            self._computed[file] = None
        self._absorbed.clear()
        while len(self._computed) > _FILES_REMEMBERED:
            del self._computed[next(iter(self._computed))]
        return await self.compute_run(self.compute, **self.query)


_FILES_REMEMBERED = 64  # more than the parts and chunks in flight at once
