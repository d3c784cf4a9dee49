"""Every websocket frame of the live views, defined once (server and ``live.js``).

Server → browser:

- ``snapshot``: the whole view. ``seq`` is the view's sequence number at the
  time of the snapshot; the next delta carries ``seq + 1``.
- ``delta``: what changed since the previous frame of the same view. A browser
  that sees ``seq != last + 1`` asks for a snapshot.
- ``resync``: the browser fell too far behind (its queue filled up): frames
  were dropped for it; it must ask for a snapshot. Nothing more is sent to it
  until it does (pings excepted).
- ``health``: per feed, when its last file was ingested (``live.js`` turns this
  into the "stale: <feed> last file N s ago" banner), for files the view's
  deltas did not carry (a file that changed nothing still proves its feed
  alive): in the view's next frame slot after the file lands (a delta going
  out then carries the file in its ``feeds`` instead), and from the hub's
  health loop as a backstop. Only the feeds with news; the snapshot has them
  all. Not part of a view's sequence.
- ``ping``: heartbeat; the browser answers ``pong``.
- ``error``: something the browser should show or log (``code`` is stable).

Browser → server: ``{"type": "snapshot"}`` (a fresh snapshot, after a gap,
a resync or a reconnect) and ``{"type": "pong"}``; on the slide only,
``{"type": "subscribe", "query": "<the socket's query string>"}`` (other
parameters: the socket moves to their view and gets its snapshot; a bad query
gets a ``bad-request`` error and changes nothing).

View data. A cell is ``[text, value, css]``: the text exactly as the page
renders it (``ladder.formatting``: 32nds, money, "—"), the exact value
(the ``data-value`` attribute, "" when none) and the tone class (``num-pos``,
``num-neg``, ``muted`` or ""). Rows are keyed like the page's rows. A packed
cell (``cell_pack``) drops what the text implies: the text alone when the
value is the text less thousands separators and a leading "+" ("" for "" and
"—") and the tone is the text's own ("muted" for "—", else ""); ``[text,
value]`` when only the tone is implied; else all three.

- ``spot-risk`` (packed: it is the big one, ~500 rows whose vols and Greeks move
  with every file): snapshot ``data = {"columns": [col, ...], "rows": {id:
  [cell, ...]}, "totals": {group: {index: cell}}}``. ``columns`` are
  ``ladder.formatting.SPOT_RISK_COLUMNS``' names; a row is its cells in that order,
  the first being the instrument key; ``id`` is a short number the view gives
  each row for as long as the row lives, so deltas need not repeat the key;
  ``index`` is a position in ``columns``; groups are expiry tokens,
  ``future`` and ``portfolio``. Delta ``data = {"rows": {id: {index: cell} |
  [cell, ...] | null}, "totals": {group: {index: cell} | null}}``: an object
  holds a row's changed cells only, a list is a new row (all its cells, key
  first, under a new id), null means the row is gone (its id with it). Cells
  are packed (``cell_pack``); in deltas a number's exact value is the number
  shown (``data-value`` then sorts as the page reads; a snapshot is exact).
  Both carry ``batch``: ``{"name", "arrived", "chunks"}`` while the newest
  spot-risk moment is a chunk batch missing chunks (the page shows "batch
  14/16 chunks": what arrived is shown at once, not held), null once a whole
  batch or a single file is the newest.
- ``ladder:<instrument>[:<ticks>]``: snapshot ``data = {"header": {...},
  "rows": {price: {col: cell}}, "order": [price, ...]}`` (prices are decimal
  strings, ``data-price``; order high to low; header fields ``position``,
  ``open_avg_price``, ``tt_pnl``, ``realized_pnl``, ``sod_position``,
  ``spot`` are cells, ``spot_row`` is the price of the row nearest spot,
  ``instrument_id``, ``instrument_label``, ``spot_source``, ``as_of``,
  ``message`` are plain); delta ``data = {"header": {changed fields},
  "rows": {price: {col: cell} | null}, "added": [price]}`` plus ``order``
  when the row set moved (spot moved the centre).
- ``slide:<parameters>`` (one view per distinct parameter set of ``/ws/slide/``,
  ``ladder.hub.slide_view``): as the ladder's, rows keyed by their move in
  ticks (``data-move``), cells ``move_32nds``, ``price``, ``delta``,
  ``pnl:<i>`` (book P&L at vol shift i) and with the breakdown
  ``x:<expiry>:<i>``; header fields plain: ``spot``, ``spot_source``,
  ``centre``, ``days``, ``as_of``, ``instrument_label``, ``message``,
  ``shifts`` (labels), ``expiries``, ``not_priced`` (``{"text", "keys"}``).
  docs/BOOK.md shows a frame.
"""

from __future__ import annotations

import re
from typing import Any, Literal, TypedDict

from ladder.formatting import DASH  # a missing value

_PLAIN_NUMBER = re.compile(r"-?[0-9]+(?:\.[0-9]+)?")

Cell = list[str]  # [text, exact value, tone css]
PackedCell = str | list[str]


class FeedStamp(TypedDict):
    """When a feed's last file arrived, as a browser needs it for the stale banner."""

    ingested_at: float | None  # epoch seconds the worker finished the file
    file_time: str | None  # ISO time in the file's name
    event_time: str | None  # ISO time S3 saw the object


class SnapshotFrame(TypedDict):
    type: Literal["snapshot"]
    view: str
    seq: int
    version: str | None
    data: dict[str, Any] | None  # None: the view has no data yet (no files)
    feeds: dict[str, FeedStamp]
    server_time: float  # epoch seconds, lets the browser correct its clock for ages


class DeltaFrame(TypedDict):
    type: Literal["delta"]
    view: str
    seq: int
    version: str | None
    data: dict[str, Any]
    feeds: dict[str, float]  # feed -> ingested_at of its newest update in this frame
    s3_event_time: str | None  # of the newest update in it: e2e latency = now - this
    ingested_at: float | None  # epoch seconds the worker finished that update
    server_time: float  # epoch seconds the hub serialised the frame


class ResyncFrame(TypedDict):
    type: Literal["resync"]
    view: str
    reason: str


class HealthFrame(TypedDict):
    type: Literal["health"]
    feeds: dict[str, FeedStamp]
    server_time: float


class PingFrame(TypedDict):
    type: Literal["ping"]
    server_time: float


class PongFrame(TypedDict):
    """Browser → server."""

    type: Literal["pong"]


class SnapshotRequest(TypedDict):
    """Browser → server."""

    type: Literal["snapshot"]


class SubscribeRequest(TypedDict):
    """Browser → server (the slide): new parameters for this socket's view."""

    type: Literal["subscribe"]
    query: str  # as the socket's own query string: moves=16&step=4&...


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str  # bad-request | no-data | unavailable
    message: str


ServerFrame = SnapshotFrame | DeltaFrame | ResyncFrame | HealthFrame | PingFrame | ErrorFrame
ClientFrame = PongFrame | SnapshotRequest | SubscribeRequest

# Close codes (application range), alongside accounts.consumers' 4401/4403.
CLOSE_IDLE = 4408  # no pong (or anything) from the browser for too long
CLOSE_BAD_REQUEST = 4400


def cell_pack(cell: Cell, *, shown: bool = False) -> PackedCell:
    """A cell without what its text implies (``live.js`` ``cellOf`` undoes it).

    ``shown``: a number's value is sent as the number the text shows (``1,011.44``
    -> ``1011.44``), not its exact value: a delta tells what changed on screen.
    """
    text, value, css = cell
    implied = "" if text in ("", DASH) else text.replace(",", "").removeprefix("+")
    if shown and _PLAIN_NUMBER.fullmatch(implied):
        value = implied
    if css != ("muted" if text == DASH else ""):
        return [text, value, css]
    return text if value == implied else [text, value]


def cell_unpack(packed: PackedCell) -> Cell:
    """``cell_pack`` undone (for Python readers of the frames: tests, probes)."""
    if isinstance(packed, str):
        text, value = (
            packed,
            "" if packed in ("", DASH) else packed.replace(",", "").removeprefix("+"),
        )
    elif len(packed) == 2:
        text, value = packed
    else:
        return list(packed)
    return [text, value, "muted" if text == DASH else ""]
