"""The analytics page and the JSON its charts refresh from.

Adapters only: parse the query, check the role, read the feeds through their
selectors, hand the numbers to the pure figure builders in ``ladder.analytics``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from csp.decorators import csp_update
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from accounts.roles import Role, role_required
from feeds.feed_keys import trading_date_for
from feeds.history import history_items
from feeds.records import Feed
from feeds.selectors import feed_health, latest_rows, recent_files
from ladder import analytics
from ladder.plotly_finder import PLOTLY_STYLE_HASHES
from lib.aws import AwsUnavailable
from lib.redis_clients import StateStoreUnavailable

log = logging.getLogger(__name__)

# One request reads at most this many metrics items per feed; the browser asks
# again with the returned cursor while ``more`` is true.
MAX_ITEMS_PER_FEED = 2000
PAGE = 500
LATENCY_FILES = 100
POLL_MS = 5000


class BadQuery(ValueError):
    pass


def _day(request: HttpRequest) -> date:
    """``?date=YYYY-MM-DD``; today's CME trading date (rolls at 17:00 Chicago) by default."""
    text = request.GET.get("date", "").strip()
    if not text:
        return trading_date_for(datetime.now(UTC))
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise BadQuery(f"date must be YYYY-MM-DD, got {text!r}") from None


@dataclass(frozen=True)
class SeriesRead:
    points: dict[str, dict[str, list[Any]]]  # field -> {"x", "y"} (y exact)
    cursor: dict[str, str]  # feed -> last sort key read
    more: bool  # some feed has items left past the cursor


def series_read(*, day: date, after: dict[str, str]) -> SeriesRead:
    """The day's metrics items after ``after`` (feed -> sort key), as series points."""
    items: dict[str, list[analytics.SeriesItem]] = {}
    cursor = dict(after)
    more = False
    for feed in analytics.SERIES_FEEDS:
        read: list[analytics.SeriesItem] = []
        start = after.get(feed)
        while len(read) < MAX_ITEMS_PER_FEED:
            page, following = history_items(
                feed=Feed(feed), day=day, metrics=True, start_after=start, limit=PAGE
            )
            read += [analytics.SeriesItem(sk=i.sk, attributes=i.attributes) for i in page]
            if page:
                cursor[feed] = page[-1].sk
            if following is None:
                break
            start = following
        else:
            more = True
        items[feed] = read
    return SeriesRead(analytics.series_points(items), cursor, more)


def smile_read() -> dict[str, Any]:
    rows = latest_rows(feed=Feed.SPOT_RISK)
    health = feed_health(feed=Feed.SPOT_RISK)
    expiries = analytics.smile_expiries(rows)
    figures = analytics.smile_figures(rows)
    return {
        "expiries": expiries,
        "default": analytics.smile_default(expiries, figures),
        "figures": figures,
        "as_of": health.last_file_time.isoformat() if health.last_file_time else None,
        "message": "" if expiries else "no options in the latest spot-risk file",
    }


def latency_read() -> dict[str, Any]:
    recent = {
        feed: recent_files(feed=Feed(feed), limit=LATENCY_FILES)
        for feed, _ in analytics.LATENCY_FEEDS
    }
    return {
        "figure": analytics.latency_figure(recent),
        "points": {feed: analytics.latency_points(files) for feed, files in recent.items()},
    }


def _after(request: HttpRequest) -> dict[str, str]:
    return {
        feed: request.GET[f"after-{feed}"]
        for feed in analytics.SERIES_FEEDS
        if request.GET.get(f"after-{feed}")
    }


def unavailable_text(exc: Exception) -> str:
    """What a user reads: which store, never the client's text (it names internal
    endpoint URLs and hosts; the log keeps it)."""
    if isinstance(exc, StateStoreUnavailable):
        return "the state store is unavailable"
    return "history (DynamoDB) is unavailable"


def _unavailable(exc: Exception) -> JsonResponse:
    log.warning("analytics read failed: %s: %s", type(exc).__name__, exc)
    response = JsonResponse({"error": f"{unavailable_text(exc)}; try again shortly"}, status=503)
    response["Retry-After"] = "5"
    return response


@csp_update({"style-src": PLOTLY_STYLE_HASHES})
@role_required(Role.TRADER)
def analytics_page(request: HttpRequest) -> HttpResponse:
    try:
        day = _day(request)
    except BadQuery as exc:
        day, error, status = trading_date_for(datetime.now(UTC)), f"{exc}; showing today", 400
    else:
        error, status = "", 200
    today = trading_date_for(datetime.now(UTC))
    initial: dict[str, Any] = {"date": day.isoformat(), "live": day == today, "poll_ms": POLL_MS}
    # Each chart on its own: history (DynamoDB) down leaves the smile and latency
    # (the state store), and the other way round; what is missing is a note.
    notes: list[str] = []
    store_down = False
    try:
        series = series_read(day=day, after={})
    except (AwsUnavailable, StateStoreUnavailable) as exc:
        log.warning("analytics series read failed: %s: %s", type(exc).__name__, exc)
        notes.append(f"The day's series cannot be read: {unavailable_text(exc)}.")
        series = SeriesRead({}, {}, False)
    try:
        smile = smile_read()
        latency = latency_read()
    except StateStoreUnavailable:
        store_down = True
        text = "The smile and latency cannot be read: the state store is unavailable."
        notes.append(text)
        smile = {"expiries": [], "default": None, "figures": {}, "as_of": None, "message": text}
        latency = {"figure": analytics.latency_figure({}), "points": {}}
    if notes:
        error = " ".join([error, *notes]).strip()
    initial.update(
        series=analytics.series_figure(series.points, day=day),
        cursor=series.cursor,
        more=series.more,
        smile=smile,
        latency=latency["figure"],
        themes=analytics.THEMES,
    )
    context = {
        "active": "analytics",
        "state_store_down": store_down,
        "day": day,
        "error": error,
        "has_history": any(p["y"] for p in series.points.values()),
        "initial": initial,
    }
    return render(request, "ladder/analytics.html", context, status=status)


@role_required(Role.TRADER)
def analytics_series(request: HttpRequest) -> JsonResponse:
    """``?date=YYYY-MM-DD[&after-<feed>=<sort key>]``: the day's points, or those after."""
    try:
        day = _day(request)
        read = series_read(day=day, after=_after(request))
    except BadQuery as exc:
        return JsonResponse({"error": str(exc)}, status=400)
    except (AwsUnavailable, StateStoreUnavailable) as exc:
        return _unavailable(exc)
    after = _after(request)
    body: dict[str, Any] = {
        "date": day.isoformat(),
        "points": analytics.series_json(read.points),
        "cursor": read.cursor,
        "more": read.more,
        "message": "" if read.cursor else f"no history for {day.isoformat()}",
    }
    if not after:  # a first read: the whole figure, so an empty chart can be replaced
        body["figure"] = analytics.series_figure(read.points, day=day)
    return JsonResponse(body)


@role_required(Role.TRADER)
def analytics_smile(request: HttpRequest) -> JsonResponse:
    """The volatility smile of every expiry in the newest spot-risk state."""
    try:
        return JsonResponse(smile_read())
    except StateStoreUnavailable as exc:
        return _unavailable(exc)


@role_required(Role.TRADER)
def analytics_latency(request: HttpRequest) -> JsonResponse:
    """Per-file S3-event-to-ingested latency of each feed's last files."""
    try:
        return JsonResponse(latency_read())
    except StateStoreUnavailable as exc:
        return _unavailable(exc)
