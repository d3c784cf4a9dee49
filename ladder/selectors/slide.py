"""The risk slide's read model: book P&L at price moves x vol shifts, days forward.

Rows are moves of whole ticks from the ladder's centre row (the tick nearest the
spot), so every row is a ladder row and its futures P&L is the ladder's, exact;
the options are repriced at the same level (``ladder.book``) with their vols
shifted by each relative ``vol_shift`` and their time shortened by ``days``.
A cell is futures P&L + options P&L, dollars to the cent; each row's book delta
(futures position + options delta, contracts) is given per vol shift.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal

from ladder.book import book_slide
from ladder.prices import price_to_32nds
from ladder.selectors.scenario import (
    InstrumentChoice,
    LadderView,
    cents,
    ladder_snapshot,
)

DEFAULT_MOVES = 64  # ticks each side
DEFAULT_STEP = 8
DEFAULT_VOL_SHIFTS = (-0.2, -0.1, 0.0, 0.1, 0.2)


@dataclass(frozen=True)
class SlideRow:
    move: int  # ticks from the centre row
    move_32nds: str  # the move in 32nds, e.g. -0'040 for -8 ticks
    price: Decimal
    display: str  # the level in 32nds
    futures_position: int
    futures_pnl: Decimal
    pnl: tuple[Decimal, ...]  # book P&L per vol shift
    delta: tuple[Decimal, ...]  # book delta per vol shift
    by_expiry: dict[str, tuple[Decimal, ...]]  # options P&L per expiry, per vol shift


@dataclass(frozen=True)
class SlideView:
    ladder: LadderView  # the futures side (header, spot, feeds, instruments, message)
    vol_shifts: tuple[float, ...]
    days: float
    rows: tuple[SlideRow, ...]
    expiries: tuple[str, ...] = ()

    @property
    def message(self) -> str | None:
        return self.ladder.message

    @property
    def options_not_priced(self) -> tuple[str, ...]:
        return self.ladder.options_not_priced

    @property
    def instruments(self) -> tuple[InstrumentChoice, ...]:
        return self.ladder.instruments


def slide_moves(*, moves: int = DEFAULT_MOVES, step: int = DEFAULT_STEP) -> tuple[int, ...]:
    """-moves ... +moves in ``step`` ticks, always through 0, highest first (as the ladder)."""
    up = list(range(0, moves + 1, step))
    return tuple(sorted({*up, *(-m for m in up)}, reverse=True))


def slide_snapshot(
    *,
    moves: Sequence[int],
    vol_shifts: Sequence[float] = DEFAULT_VOL_SHIFTS,
    days: float = 0.0,
    by_expiry: bool = False,
    instrument_id: str | None = None,
    state_mark: object = None,
) -> SlideView:
    """The slide of one TT instrument's ladder and the whole options book.

    ``state_mark``: as ``ladder_snapshot``'s (the live hub's: its ladder and slide
    of one update share one read of the state).

    Raises ``UnknownInstrument`` like ``ladder_snapshot``, ``ValueError`` when a move
    is beyond ``MAX_TICKS``.
    """
    reach = max((abs(m) for m in moves), default=0)
    ladder = ladder_snapshot(
        instrument_id=instrument_id,
        ticks=max(reach, 1),
        state_mark=state_mark,
        book_columns=False,  # the slide prices its own levels (``book_slide`` below)
    )
    shifts = tuple(float(x) for x in vol_shifts)
    if ladder.header is None or ladder.book is None:
        return SlideView(ladder=ladder, vol_shifts=shifts, days=days, rows=())
    header = ladder.header
    by_price = {row.price: row for row in ladder.rows}
    wanted = [(m, by_price[_level(header.centre, header.tick_size, m)]) for m in moves]
    slide = book_slide(
        ladder.book,
        levels=[float(row.price) for _, row in wanted],
        vol_shifts=shifts,
        days_forward=days,
        by_expiry=by_expiry,
    )
    expiries = tuple(slide.pnl_by_expiry)
    # Python floats, not numpy scalars, each model value to two places (``cents``) and
    # added to the exact futures figure: the same Decimals as ``cents``/``delta_places``
    # added. All consumers write a Decimal with ``decimal_text``, so the sums are not
    # normalised here (~1 ms a grid).
    pnl, delta = slide.pnl.tolist(), slide.delta.tolist()
    rows = tuple(
        SlideRow(
            move=move,
            move_32nds=_signed_32nds(move * header.tick_size),
            price=row.price,
            display=row.display,
            futures_position=row.position,
            futures_pnl=row.pnl,
            pnl=_plus_each(row.pnl, pnl[i]),
            delta=_plus_each(Decimal(row.position), delta[i]),
            by_expiry={e: tuple(cents(v) for v in slide.pnl_by_expiry[e][i]) for e in expiries},
        )
        for i, (move, row) in enumerate(wanted)
    )
    return SlideView(ladder=ladder, vol_shifts=shifts, days=days, rows=rows, expiries=expiries)


def _level(centre: Decimal, tick: Decimal, move: int) -> Decimal:
    return Decimal(format((centre + move * tick).normalize(), "f"))


def _plus_each(exact: Decimal, values: list[float]) -> tuple[Decimal, ...]:
    """``exact`` + each model value to two places."""
    return tuple(exact + Decimal(f"{v:.2f}") for v in values)


def _signed_32nds(move: Decimal) -> str:
    text = price_to_32nds(abs(move))
    return "0'000" if move == 0 else ("+" if move > 0 else "-") + text
