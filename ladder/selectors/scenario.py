"""The ladder page's read model: the scenario ladder of one TT position."""

from __future__ import annotations

import dataclasses
import functools
import logging
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from feeds.records import Feed, OrderType, Side, TtOrder, TtPosition
from feeds.selectors import latest_rows, latest_rows_shared
from ladder.book import Book, OptionTerms, book_from_terms, book_slide, option_terms
from ladder.numbers import OutOfRange
from ladder.scenario import (
    DEFAULT_TICKS,
    MAX_TICKS,
    ZN_POINT_VALUE,
    ZN_TICK_SIZE,
    Ladder,
    LadderRow,
    scenario_ladder,
)
from ladder.selectors.common import (
    FeedAge,
    dec_or_none,
    decimal_text,
    feed_ages,
    int_or_none,
    newest,
)
from ladder.selectors.default_instrument import default_position, position_order

log = logging.getLogger(__name__)

LADDER_FEEDS = (
    Feed.TT_POSITIONS,
    Feed.TT_ORDERS,
    Feed.SPOT_RISK,
    Feed.TT_INSTRUMENTS,
    Feed.VTEXP,  # the options' time to expiry (the whole-book columns)
)
_ORDER_TYPES = {t.value: t for t in OrderType}
NO_FUTURE = (
    "No future position: the latest TT positions file holds none that is a future "
    "(options only, by their TT instrument files). Choose an instrument to see its ladder."
)


class UnknownInstrument(LookupError):
    """The requested TT instrument has no position in the latest positions file."""


@dataclass(frozen=True)
class InstrumentChoice:
    instrument_id: str
    account_id: str
    label: str  # the TT alias when known, else the id
    net_position: int
    kind: str = "unknown"  # future | unknown | not_future (``default_instrument.Kind``)


@dataclass(frozen=True)
class LadderHeader:
    """Everything about the ladder but its rows (what the page's header shows)."""

    account_id: str
    net_position: int
    open_avg_price: Decimal | None
    tt_pnl: Decimal | None
    realized_pnl: Decimal | None
    sod_net_position: int
    spot: Decimal
    centre: Decimal
    tick_size: Decimal
    tick_value: Decimal
    point_value: Decimal
    # Header fields whose stored value is out of range (``ladder.numbers``): shown
    # as a dash with a note (open_avg_price, tt_pnl, realized_pnl).
    out_of_range: frozenset[str] = frozenset()


@dataclass(frozen=True)
class BookRow:
    """The whole book at one ladder level: dollars to the cent, delta in contracts."""

    options_pnl: Decimal
    book_pnl: Decimal  # the row's futures P&L + options P&L
    book_delta: Decimal  # the row's futures position + the options' delta


@dataclass(frozen=True)
class LadderView:
    """Flat on purpose: ``header`` and ``rows`` at the top, every Decimal normalised
    (``110.40625``, not ``110.406250``), so ``str(row.price)`` is the page's
    ``data-price`` and the API's ``price`` everywhere (the live hub relies on it)."""

    header: LadderHeader | None
    rows: tuple[LadderRow, ...]
    instrument_id: str | None
    instrument_label: str | None
    spot: Decimal | None
    spot_source: str | None  # "actant" (future mid) or "tt" (pnlPrice)
    ticks: int
    feeds: tuple[FeedAge, ...]
    as_of: datetime | None  # the newest file time behind the numbers
    instruments: tuple[InstrumentChoice, ...] = ()
    message: str | None = None  # why there is no ladder
    # What the stored data held that the ladder left out as out of range (a footnote).
    notes: tuple[str, ...] = ()
    # The whole book (``ladder.book``): one per row, in the rows' order.
    book_rows: tuple[BookRow, ...] = ()
    options_not_priced: tuple[str, ...] = ()  # keys of options with a position left out
    book: Book | None = field(default=None, compare=False, repr=False)  # for the slide

    @property
    def versions(self) -> dict[str, str | None]:
        return {age.feed: age.version for age in self.feeds}


@dataclass(frozen=True)
class _Inputs:
    positions: list[TtPosition]
    orders: list[TtOrder]
    # shared decoded rows (``latest_rows_shared``): read only
    instruments: Mapping[str, Mapping[str, Any]]
    spot_rows: Mapping[str, Mapping[str, Any]]
    vtexp_days: dict[str, float] = field(default_factory=dict)
    feeds: tuple[FeedAge, ...] = field(default=())
    notes: tuple[str, ...] = ()  # rows left out as out of range or unreadable
    # instrument id -> header fields of its position that were out of range
    bad_fields: dict[str, frozenset[str]] = field(default_factory=dict)


# --- the ladder --------------------------------------------------------------------------


def ladder_snapshot(
    *,
    instrument_id: str | None = None,
    ticks: int = DEFAULT_TICKS,
    centre: Decimal | None = None,
    state_mark: object = None,
    book_columns: bool = True,
) -> LadderView:
    """The scenario ladder of one TT instrument (default: the future with the largest
    absolute position, ``default_instrument.default_position``).

    ``state_mark``: the caller's proof that nothing changed since an earlier call
    with the same mark (``ladder_inputs_shared``); ``book_columns=False`` leaves
    out the whole-book columns (``book_rows``) for a caller that does not show them.

    Raises ``UnknownInstrument`` when ``instrument_id`` has no position, and
    ``ValueError`` when ``ticks`` is outside 1..``MAX_TICKS``.
    """
    if not 1 <= ticks <= MAX_TICKS:
        raise ValueError(f"ticks must be between 1 and {MAX_TICKS}")
    shared = ladder_inputs_shared(state_mark)
    inputs = shared.inputs
    choices = _choices(inputs)
    notes = list(inputs.notes)
    if not inputs.positions:
        return _no_ladder(
            instruments=choices,
            ticks=ticks,
            feeds=inputs.feeds,
            message="No data yet: no TT positions file has arrived.",
            notes=notes,
        )
    position = _position_pick(inputs, instrument_id)
    if position is None:
        return _no_ladder(
            instruments=choices,
            ticks=ticks,
            feeds=inputs.feeds,
            message=NO_FUTURE,
            notes=notes,
        )
    instrument = inputs.instruments.get(position.instrument_id, {})
    label = str(instrument.get("alias") or position.instrument_id)
    no_ladder = functools.partial(
        _no_ladder,
        instruments=choices,
        ticks=ticks,
        feeds=inputs.feeds,
        instrument_id=position.instrument_id,
        label=label,
    )
    spot, source = _spot(position, instrument, inputs.spot_rows, notes)
    bad = inputs.bad_fields.get(position.instrument_id, frozenset())
    if spot is None:
        why = (
            "TT's pnlPrice for this instrument is out of range in the stored data"
            if "pnl_price" in bad
            else "no TT pnlPrice for this instrument"
        )
        return no_ladder(message=f"No spot yet: no Actant future mid and {why}.", notes=notes)
    try:
        tick_size = _positive(instrument.get("tick_size"), ZN_TICK_SIZE)
        point_value = _positive(instrument.get("point_value"), ZN_POINT_VALUE)
    except OutOfRange:
        return no_ladder(
            message="No ladder: the TT instrument file's tick size or point value is out of "
            "range in the stored data.",
            notes=notes,
        )
    known = shared.ladder_rows(
        (position.instrument_id, position.account_id, spot, tick_size, point_value)
    )
    try:
        ladder = _normalised(
            scenario_ladder(
                position=position,
                orders=[o for o in inputs.orders if o.account_id == position.account_id],
                spot=spot,
                tick_size=tick_size,
                point_value=point_value,
                ticks_each_side=ticks,
                centre=centre,
                rows_known=known,
            ),
            known,
        )
    except (ArithmeticError, ValueError):  # the bounds should make this unreachable
        log.exception("ladder of %s cannot be computed", position.instrument_id)
        return no_ladder(
            message="No ladder: it cannot be computed from the stored data.", notes=notes
        )
    book = shared.book(spot)
    used = {Feed.TT_POSITIONS, Feed.TT_ORDERS} | ({Feed.SPOT_RISK} if source == "actant" else set())
    return LadderView(
        header=dataclasses.replace(_header_of(ladder), out_of_range=_header_fields_bad(bad)),
        rows=ladder.rows,
        instrument_id=position.instrument_id,
        instrument_label=label,
        spot=spot,
        spot_source=source,
        ticks=ticks,
        feeds=inputs.feeds,
        as_of=newest(age.last_file_time for age in inputs.feeds if age.feed in used),
        instruments=choices,
        notes=tuple(notes),
        book_rows=_book_rows(ladder.rows, book) if book_columns else (),
        options_not_priced=book.unpriced,
        book=book,
    )


def options_book(
    *, spot: Decimal, spot_rows: Mapping[str, Mapping[str, Any]], vtexp_days: Mapping[str, float]
) -> Book:
    """The priced options of the state at the ladder's spot (``ladder.book``)."""
    return book_from_terms(spot=float(spot), terms=_terms_of(spot_rows), vtexp_days=vtexp_days)


# id(row) -> (the row, its terms): a shared read (``latest_rows_shared``) gives back a
# row that did not change as the same dict, so its terms are not read again. The row is
# held with them: while it is, its id cannot be another row's.
_terms_held: dict[int, tuple[Mapping[str, Any], OptionTerms | None]] = {}


def _terms_of(spot_rows: Mapping[str, Mapping[str, Any]]) -> list[OptionTerms | None]:
    global _terms_held
    held = _terms_held
    now: dict[int, tuple[Mapping[str, Any], OptionTerms | None]] = {}
    terms = []
    for row in spot_rows.values():
        known = held.get(id(row))
        if known is None or known[0] is not row:
            known = (row, option_terms(row))
        now[id(row)] = known
        terms.append(known[1])
    _terms_held = now  # the rows of the newest read only
    return terms


def _book_rows(rows: tuple[LadderRow, ...], book: Book) -> tuple[BookRow, ...]:
    slide = book_slide(book, levels=[float(row.price) for row in rows])
    return tuple(
        BookRow(
            options_pnl=cents(pnl),
            book_pnl=_norm(row.pnl + cents(pnl)),
            book_delta=_norm(row.position + delta_places(delta)),
        )
        for row, pnl, delta in zip(rows, slide.pnl[:, 0], slide.delta[:, 0], strict=True)
    )


def cents(value: float) -> Decimal:
    """A model value (float dollars) shown to the cent."""
    return _norm(Decimal(f"{value:.2f}"))


def delta_places(value: float) -> Decimal:
    """A model delta (float contracts) to two places."""
    return _norm(Decimal(f"{value:.2f}"))


def _header_fields_bad(bad: frozenset[str]) -> frozenset[str]:
    return frozenset(_HEADER_FIELD_OF[name] for name in bad if name in _HEADER_FIELD_OF)


# A position row's field -> the header field that shows it.
_HEADER_FIELD_OF = {
    "open_avg_price": "open_avg_price",
    "pnl": "tt_pnl",
    "realized_pnl": "realized_pnl",
}


def _positive(value: Any, default: Decimal) -> Decimal:
    """An instrument's tick size or point value; the ZN one when the file has none.
    Raises ``OutOfRange`` for zero, negative or out-of-range values."""
    number = dec_or_none(value)
    if number is None:
        return default
    if number <= 0:
        raise OutOfRange("not positive")
    return number


def _no_ladder(
    *,
    instruments: tuple[InstrumentChoice, ...],
    ticks: int,
    feeds: tuple[FeedAge, ...],
    message: str,
    instrument_id: str | None = None,
    label: str | None = None,
    notes: list[str] | tuple[str, ...] = (),
) -> LadderView:
    return LadderView(
        header=None,
        rows=(),
        instrument_id=instrument_id,
        instrument_label=label,
        spot=None,
        spot_source=None,
        ticks=ticks,
        feeds=feeds,
        as_of=None,
        instruments=instruments,
        message=message,
        notes=tuple(notes),
    )


def _header_of(ladder: Ladder) -> LadderHeader:
    return LadderHeader(
        account_id=ladder.account_id,
        net_position=ladder.net_position,
        open_avg_price=ladder.open_avg_price,
        tt_pnl=ladder.tt_pnl,
        realized_pnl=ladder.realized_pnl,
        sod_net_position=ladder.sod_net_position,
        spot=ladder.spot,
        centre=ladder.centre,
        tick_size=ladder.tick_size,
        tick_value=ladder.tick_value,
        point_value=ladder.point_value,
    )


def _normalised(ladder: Ladder, known: dict[Decimal, LadderRow]) -> Ladder:
    """Every Decimal of the ladder in its shortest exact form (see ``LadderView``).
    ``known``: the rows normalised before, by level (``SharedInputs.ladder_rows``);
    the rows normalised here are added to it."""
    changes: dict[str, Any] = {
        f.name: _norm(getattr(ladder, f.name))
        for f in dataclasses.fields(ladder)
        if isinstance(getattr(ladder, f.name), Decimal)
    }
    rows = tuple(
        row if known.get(row.price) is row else _row_normalised(row) for row in ladder.rows
    )
    known.update((row.price, row) for row in rows)
    return dataclasses.replace(ladder, rows=rows, **changes)


def _row_normalised(row: LadderRow) -> LadderRow:
    return LadderRow(  # not dataclasses.replace: a third of the cost, on 210 rows an update
        price=_norm(row.price),
        display=row.display,
        buy_qty=row.buy_qty,
        sell_qty=row.sell_qty,
        position=row.position,
        pnl=_norm(row.pnl),
        risk=_norm(row.risk),
        breakeven=None if row.breakeven is None else _norm(row.breakeven),
    )


def _norm(value: Decimal) -> Decimal:
    return Decimal(decimal_text(value))


# How long inputs read under a mark are shared: a recompute asks within
# milliseconds of the one before it; a mark unchanged for longer is not proof enough.
INPUTS_SHARED_S = 1.0


class SharedInputs:
    """One read of the ladder's inputs and the options books priced from it, by spot."""

    def __init__(self, mark: object, inputs: _Inputs) -> None:
        self.mark = mark
        self.read_at = time.monotonic()
        self.inputs = inputs
        self._books: dict[Decimal, Book] = {}
        self._ladder_rows: dict[tuple[Any, ...], dict[Decimal, LadderRow]] = {}

    def book(self, spot: Decimal) -> Book:
        """The options book at ``spot`` (``options_book``), priced once per read."""
        book = self._books.get(spot)
        if book is None:
            inputs = self.inputs
            book = options_book(spot=spot, spot_rows=inputs.spot_rows, vtexp_days=inputs.vtexp_days)
            self._books[spot] = book
        return book

    def ladder_rows(self, ladder: tuple[Any, ...]) -> dict[Decimal, LadderRow]:
        """The scenario rows computed so far of one ladder (instrument, account, spot,
        tick size, point value), normalised, by level: the live hub's ladder (81
        levels) and slide (129) of one update share the ladder's levels."""
        return self._ladder_rows.setdefault(ladder, {})


_shared: SharedInputs | None = None  # the newest read under a mark


def ladder_inputs_shared(mark: object = None) -> SharedInputs:
    """The state the ladder is computed from, read once per ``mark``.

    The live hub recomputes the ladder and the risk slide of the same update one
    after the other; each read and decoded the same 500-option spot risk (a
    quarter of the slide's time). The hub passes a mark that changes with every
    update or file it hears, so a recompute with the mark of the one before
    (within ``INPUTS_SHARED_S``) may use that one's read: anything newer was
    announced, and has a new mark and a recompute of its own. No mark: a fresh
    read. What is shared is only read, never changed, by the ladder and the slide.
    """
    global _shared
    if mark is not None:
        held = _shared
        if (
            held is not None
            and held.mark == mark
            and time.monotonic() - held.read_at < INPUTS_SHARED_S
        ):
            return held
    shared = SharedInputs(mark, _ladder_inputs())
    if mark is not None:
        _shared = shared
    return shared


def _ladder_inputs() -> _Inputs:
    notes: list[str] = []
    positions: list[TtPosition] = []
    bad_fields: dict[str, frozenset[str]] = {}
    for row_id, row in latest_rows(feed=Feed.TT_POSITIONS).items():
        bad: set[str] = set()
        try:
            position = position_from_row(row, out_of_range=bad)
        except (OutOfRange, KeyError, TypeError, ValueError):
            notes.append(f"TT position {row_id} left out: a number out of range or unreadable")
            continue
        positions.append(position)
        if bad:
            bad_fields[position.instrument_id] = frozenset(bad)
            notes.append(
                f"TT position {position.instrument_id}: {', '.join(sorted(bad))} out of range"
                " in the stored data, shown as —"
            )
    orders: list[TtOrder] = []
    refused = 0
    for row in latest_rows(feed=Feed.TT_ORDERS).values():
        try:
            orders.append(order_from_row(row, strict=True))
        except (OutOfRange, KeyError, TypeError, ValueError):
            refused += 1
    if refused:
        notes.append(
            f"{refused} working order{'s' if refused > 1 else ''} left out of the ladder:"
            " a number out of range or unreadable in the stored data"
        )
    return _Inputs(
        positions=positions,
        orders=orders,
        instruments=latest_rows_shared(feed=Feed.TT_INSTRUMENTS),
        spot_rows=latest_rows_shared(feed=Feed.SPOT_RISK),
        vtexp_days=vtexp_days_read(),
        feeds=feed_ages(feeds=LADDER_FEEDS),
        notes=tuple(notes),
        bad_fields=bad_fields,
    )


def vtexp_days_read() -> dict[str, float]:
    """Each expiry's vtexp days from the newest vtexp file (unreadable ones left out)."""
    days: dict[str, float] = {}
    for row in latest_rows(feed=Feed.VTEXP).values():
        try:
            days[str(row["expiry"])] = float(row["days"])
        except (KeyError, TypeError, ValueError):
            continue
    return days


def _position_pick(inputs: _Inputs, instrument_id: str | None) -> TtPosition | None:
    """The chosen instrument's position, or the default's (None: no future to show)."""
    if instrument_id is None:
        return default_position(
            positions=inputs.positions, instruments=inputs.instruments, spot_rows=inputs.spot_rows
        )
    candidates = [p for p in inputs.positions if p.instrument_id == instrument_id]
    if not candidates:
        raise UnknownInstrument(f"no TT position for instrument {instrument_id}")
    return max(candidates, key=lambda p: (abs(p.net_position), p.account_id))


def _choices(inputs: _Inputs) -> tuple[InstrumentChoice, ...]:
    """Every position, in the default's order: futures first, largest first."""
    ranked = position_order(
        positions=inputs.positions, instruments=inputs.instruments, spot_rows=inputs.spot_rows
    )
    return tuple(
        InstrumentChoice(
            instrument_id=p.instrument_id,
            account_id=p.account_id,
            label=str(inputs.instruments.get(p.instrument_id, {}).get("alias") or p.instrument_id),
            net_position=p.net_position,
            kind=kind.name.lower(),
        )
        for kind, p in ranked
    )


def _spot(
    position: TtPosition,
    instrument: Mapping[str, Any],
    spot_rows: Mapping[str, Mapping[str, Any]],
    notes: list[str],
) -> tuple[Decimal | None, str | None]:
    """The Actant future's mid when it has both sides, else TT's pnlPrice."""
    future_key = str(instrument.get("actant_future_key") or "")
    future = spot_rows.get(future_key)
    if future is not None:
        try:
            bid, ask = dec_or_none(future.get("bid")), dec_or_none(future.get("ask"))
        except OutOfRange:
            bid = ask = None
            notes.append(f"Actant {future_key}: bid or ask out of range, not used as the spot")
        if bid is not None and ask is not None:
            return (bid + ask) / 2, "actant"
    if position.pnl_price is not None:
        return position.pnl_price, "tt"
    return None, None


def position_from_row(
    row: Mapping[str, Any], *, out_of_range: set[str] | None = None
) -> TtPosition:
    """A positions row as ``feeds.derive`` wrote it, back as a record.

    A price or P&L out of range (``ladder.numbers``) is read as missing and its
    name added to ``out_of_range``; a position or quantity out of range raises
    ``OutOfRange`` (a ladder of a wrong position is worse than none).
    """
    bad = set() if out_of_range is None else out_of_range

    def number(name: str) -> Decimal | None:
        try:
            return dec_or_none(row.get(name))
        except OutOfRange:
            bad.add(name)
            return None

    def whole(name: str) -> int:
        return int_or_none(row.get(name)) or 0

    return TtPosition(
        instrument_id=str(row["instrument_id"]),
        account_id=str(row.get("account_id") or ""),
        net_position=whole("net_position"),
        sod_net_position=whole("sod_net_position"),
        sod_price=number("sod_price"),
        avg_buy=number("avg_buy"),
        avg_sell=number("avg_sell"),
        open_avg_price=number("open_avg_price"),
        buy_fill_qty=whole("buy_fill_qty"),
        sell_fill_qty=whole("sell_fill_qty"),
        buy_working_qty=whole("buy_working_qty"),
        sell_working_qty=whole("sell_working_qty"),
        pnl=number("pnl"),
        realized_pnl=number("realized_pnl"),
        pnl_price=number("pnl_price"),
        pnl_price_type=row.get("pnl_price_type"),
    )


def order_from_row(row: Mapping[str, Any], *, strict: bool = False) -> TtOrder:
    """An orders row as ``feeds.derive`` wrote it (resting child orders only), as a record.

    ``strict``: a number out of range raises ``OutOfRange`` (the ladder leaves the
    order out and says so); otherwise it reads as missing.
    """
    placed = row.get("placed_at")

    def number(name: str) -> Decimal | None:
        try:
            return dec_or_none(row.get(name))
        except OutOfRange:
            if strict:
                raise
            return None

    def whole(name: str) -> int | None:
        try:
            return int_or_none(row.get(name))
        except OutOfRange:
            if strict:
                raise
            return None

    return TtOrder(
        order_id=str(row["order_id"]),
        parent_order_id=row.get("parent_order_id"),
        instrument_id=str(row.get("instrument_id") or ""),
        account_id=str(row.get("account_id") or ""),
        side=Side(str(row.get("side"))),
        order_type=_ORDER_TYPES.get(str(row.get("order_type")), OrderType.OTHER),
        price=number("price"),
        stop_price=number("stop_price"),
        order_qty=whole("order_qty"),
        leaves_qty=whole("leaves_qty"),
        status=str(row.get("status") or ""),
        is_algo_parent=False,  # derive keeps no algo parents in the state
        placed_at=datetime.fromisoformat(placed) if placed else None,
    )
