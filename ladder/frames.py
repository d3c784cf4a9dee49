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
  alive). Only the feeds with news; the snapshot has them all. Not part of a
  view's sequence.
- ``ping``: heartbeat; the browser answers ``pong``.
- ``error``: something the browser should show or log (``code`` is stable).

Browser → server: ``{"type": "snapshot"}`` (a fresh snapshot, after a gap,
a resync or a reconnect) and ``{"type": "pong"}``.

View data. A cell is ``[text, value, css]``: the text exactly as the page
renders it (``ladder.views``' formatting: 32nds, money, "—"), the exact value
(the ``data-value`` attribute, "" when none) and the tone class (``num-pos``,
``num-neg``, ``muted`` or ""). Rows are keyed like the page's rows.

- ``spot-risk``: snapshot ``data = {"rows": {key: {col: cell}}, "totals":
  {group: {col: cell}}}`` (columns as ``ladder.views.SPOT_RISK_COLUMNS``;
  groups are expiry tokens, ``future`` and ``portfolio``); delta ``data =
  {"rows": {key: {col: cell} | null}, "added": [key], "totals": {group:
  {col: cell}}}``: a changed row carries only its changed cells, an added row
  (listed in ``added``) all of them, null means the row is gone.
- ``ladder:<instrument>[:<ticks>]``: snapshot ``data = {"header": {...},
  "rows": {price: {col: cell}}, "order": [price, ...]}`` (prices are decimal
  strings, ``data-price``; order high to low; header fields ``position``,
  ``open_avg_price``, ``tt_pnl``, ``realized_pnl``, ``sod_position``,
  ``spot`` are cells, ``spot_row`` is the price of the row nearest spot,
  ``instrument_id``, ``instrument_label``, ``spot_source``, ``as_of``,
  ``message`` are plain); delta ``data = {"header": {changed fields},
  "rows": {price: {col: cell} | null}, "added": [price]}`` plus ``order``
  when the row set moved (spot moved the centre).
"""

from __future__ import annotations

from typing import Any, Literal, TypedDict


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


class ErrorFrame(TypedDict):
    type: Literal["error"]
    code: str  # bad-request | no-data | unavailable
    message: str


ServerFrame = SnapshotFrame | DeltaFrame | ResyncFrame | HealthFrame | PingFrame | ErrorFrame
ClientFrame = PongFrame | SnapshotRequest

# Close codes (application range), alongside accounts.consumers' 4401/4403.
CLOSE_IDLE = 4408  # no pong (or anything) from the browser for too long
CLOSE_BAD_REQUEST = 4400
