"""S3 keys of feed files (FEEDS.md "Where files land") and the CME trading date.

The one owner of the key layout: the parsers match keys with ``KEY_PATTERNS``,
every stamp is read with ``stamp_time``, and the Chicago zone is ``CHICAGO``.

The feed server names each file with its own America/Chicago clock and files
it under the *trading date*. CME Globex reopens ZN at 17:00 Chicago for the
next trading day, so a file written on Monday at 20:30 belongs to Tuesday's
session, and one written on Friday after 17:00 (or over the weekend) belongs
to Monday's. Exchange holidays are not modelled: the feed server does not
write files on them, and a mistake there only moves a folder by a day.

Everything here is pure: callers pass the clock in.
"""

from __future__ import annotations

import json
import re
from datetime import date, datetime, time, timedelta
from pathlib import PurePath
from zoneinfo import ZoneInfo

from feeds.records import Feed

# The feed server's clock (its file names), the desk's, and the zone TT's dates are in.
CHICAGO = ZoneInfo("America/Chicago")
# Globex's daily reopen: from here on the clock belongs to the next trading date.
SESSION_ROLL = time(17, 0)
_STAMP_FORMAT = "%Y%m%d_%H%M%S"

_STAMP = r"(?P<stamp>\d{8}_\d{6})"
_DATE = r"(?P<date>\d{4}-\d{2}-\d{2})"
_CHUNK = r"_chunk_(?P<chunk>\d{2})_of_(?P<chunks>\d{2})"  # chunk NN of MM of one batch
_SPOT_RISK_NAME = rf"bav_analysis_{_STAMP}(?:{_CHUNK})?\.csv"
_VTEXP_NAME = rf"vtexp_{_STAMP}\.csv"
_INSTRUMENT_NAME = r"instrument_(?P<instrument_id>\d+)\.json"
_FOLDERS = {
    Feed.SPOT_RISK: "actant/spot-risk",
    Feed.VTEXP: "actant/vtexp",
    Feed.TT_POSITIONS: "tt/positions",
    Feed.TT_ORDERS: "tt/orders",
    Feed.TT_INSTRUMENTS: "tt/instruments",
}
# A whole S3 key of each feed (``fullmatch``): the named groups are what the key says
# of its file (date folder, stamp, chunk NN of MM, instrument id).
KEY_PATTERNS: dict[Feed, re.Pattern[str]] = {
    Feed.SPOT_RISK: re.compile(rf"{_FOLDERS[Feed.SPOT_RISK]}/{_DATE}/{_SPOT_RISK_NAME}", re.ASCII),
    Feed.VTEXP: re.compile(rf"{_FOLDERS[Feed.VTEXP]}/{_DATE}/{_VTEXP_NAME}", re.ASCII),
    Feed.TT_POSITIONS: re.compile(
        rf"{_FOLDERS[Feed.TT_POSITIONS]}/{_DATE}/positions_{_STAMP}\.json", re.ASCII
    ),
    Feed.TT_ORDERS: re.compile(
        rf"{_FOLDERS[Feed.TT_ORDERS]}/{_DATE}/working_orders_{_STAMP}\.json", re.ASCII
    ),
    Feed.TT_INSTRUMENTS: re.compile(
        rf"{_FOLDERS[Feed.TT_INSTRUMENTS]}/{_INSTRUMENT_NAME}", re.ASCII
    ),
}

# File names as the feed server or a capture names them (``feed_key_for_filename``).
_SPOT_RISK = re.compile(rf"^{_SPOT_RISK_NAME}$")
_VTEXP = re.compile(rf"^{_VTEXP_NAME}$")
# TT responses: timestamped as the feed server writes them, or a bare capture
# such as the samples' ``positions_response.json``.
_POSITIONS = re.compile(rf"^positions(?:_{_STAMP}|_[A-Za-z0-9_-]+)?\.json$")
_ORDERS = re.compile(rf"^working_orders(?:_{_STAMP}|_[A-Za-z0-9_-]+)?\.json$")
_INSTRUMENT_BY_ID = re.compile(rf"^{_INSTRUMENT_NAME}$")
_INSTRUMENT_OTHER = re.compile(r"^instrument(?:_details)?(?:_[A-Za-z0-9_-]+)?\.json$")


def _chicago(moment: datetime) -> datetime:
    if moment.tzinfo is None:
        # A naive clock would silently file a day off; refuse it.
        raise ValueError(f"{moment!r} has no time zone: pass an aware datetime")
    return moment.astimezone(CHICAGO)


def trading_date_for(moment: datetime) -> date:
    """The CME trading date that ``moment`` (any time zone) belongs to."""
    local = _chicago(moment)
    day = local.date()
    if local.time() >= SESSION_ROLL:
        day += timedelta(days=1)
    while day.weekday() >= 5:  # Saturday and Sunday belong to Monday's session
        day += timedelta(days=1)
    return day


def file_stamp(moment: datetime) -> str:
    """``YYYYMMDD_HHMMSS`` on the Chicago clock, as in the feed server's names."""
    return _chicago(moment).strftime(_STAMP_FORMAT)


def stamp_time(stamp: str) -> datetime:
    """The Chicago moment a ``YYYYMMDD_HHMMSS`` stamp names; ValueError if it is no date."""
    naive = datetime.strptime(stamp, _STAMP_FORMAT)  # noqa: DTZ007 - zone set on the next line
    return naive.replace(tzinfo=CHICAGO)


def _dated(prefix: str, moment: datetime, name: str) -> str:
    return f"{prefix}/{trading_date_for(moment).isoformat()}/{name}"


def spot_risk_key(*, moment: datetime, chunk: int | None = None, chunks: int | None = None) -> str:
    """``actant/spot-risk/<trading date>/bav_analysis_<stamp>[_chunk_NN_of_MM].csv``."""
    suffix = ""
    if chunk is not None or chunks is not None:
        if chunk is None or chunks is None or not 1 <= chunk <= chunks <= 99:
            raise ValueError(f"chunk {chunk} of {chunks}: need 1 <= chunk <= chunks <= 99")
        suffix = f"_chunk_{chunk:02d}_of_{chunks:02d}"
    name = f"bav_analysis_{file_stamp(moment)}{suffix}.csv"
    return _dated(_FOLDERS[Feed.SPOT_RISK], moment, name)


def vtexp_key(*, moment: datetime) -> str:
    return _dated(_FOLDERS[Feed.VTEXP], moment, f"vtexp_{file_stamp(moment)}.csv")


def positions_key(*, moment: datetime) -> str:
    return _dated(_FOLDERS[Feed.TT_POSITIONS], moment, f"positions_{file_stamp(moment)}.json")


def orders_key(*, moment: datetime) -> str:
    return _dated(_FOLDERS[Feed.TT_ORDERS], moment, f"working_orders_{file_stamp(moment)}.json")


def instrument_key(*, instrument_id: str) -> str:
    if not instrument_id.isdigit():
        raise ValueError(f"TT instrument id {instrument_id!r} is not a number")
    return f"{_FOLDERS[Feed.TT_INSTRUMENTS]}/instrument_{instrument_id}.json"


def _moment_of(match: re.Match[str], now: datetime) -> datetime:
    stamp = match.group("stamp")
    if stamp is None:
        return now
    try:
        return stamp_time(stamp)
    except ValueError:
        raise ValueError(f"{match.string!r}: {stamp!r} is not a valid YYYYMMDD_HHMMSS") from None


def _instrument_id_in(name: str, data: bytes | None) -> str:
    if data is None:
        raise ValueError(f"{name!r}: the TT instrument id is inside the file; pass its bytes")
    try:
        return str(json.loads(data)["instrument"][0]["id"])
    except (ValueError, KeyError, IndexError, TypeError) as exc:
        raise ValueError(f"{name!r}: no instrument[0].id in the JSON ({exc})") from None


def chunk_batch(key: str) -> str | None:
    """The batch a spot-risk chunk's S3 key belongs to (its date folder and stamp,
    shared by every chunk of it); None for any other key."""
    match = KEY_PATTERNS[Feed.SPOT_RISK].fullmatch(key)
    if match is None or match.group("chunk") is None:
        return None
    return f"{match['date']}/{match['stamp']}"


def feed_key_for_filename(filename: str, *, now: datetime, data: bytes | None = None) -> str:
    """The S3 key the feed server would give a file called ``filename``.

    The date folder is the trading date of the timestamp in the name. A TT
    capture without one (``positions_response.json``) is named and filed as
    if written at ``now``, the way the feed server names its polls. A TT
    instrument file is keyed by its instrument id: from the name
    (``instrument_<id>.json``) or else from ``data`` (the file's bytes).
    Raises ValueError for a name no feed uses.
    """
    name = PurePath(filename).name
    now = _chicago(now)
    if match := _SPOT_RISK.match(name):
        moment = _moment_of(match, now)
        if match.group("chunk") is None:
            return spot_risk_key(moment=moment)
        return spot_risk_key(moment=moment, chunk=int(match["chunk"]), chunks=int(match["chunks"]))
    if match := _VTEXP.match(name):
        return vtexp_key(moment=_moment_of(match, now))
    if match := _POSITIONS.match(name):
        return positions_key(moment=_moment_of(match, now))
    if match := _ORDERS.match(name):
        return orders_key(moment=_moment_of(match, now))
    if match := _INSTRUMENT_BY_ID.match(name):
        return instrument_key(instrument_id=match["instrument_id"])
    if _INSTRUMENT_OTHER.match(name):
        return instrument_key(instrument_id=_instrument_id_in(name, data))
    raise ValueError(
        f"cannot place {name!r}: expected bav_analysis_YYYYMMDD_HHMMSS[_chunk_NN_of_MM].csv, "
        "vtexp_YYYYMMDD_HHMMSS.csv, positions*.json, working_orders*.json or instrument*.json"
    )
