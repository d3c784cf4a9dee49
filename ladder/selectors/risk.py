"""The spot-risk page's read model: every instrument by expiry, with position-weighted totals."""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from feeds.records import Feed
from feeds.selectors import latest_rows
from ladder.numbers import OutOfRange, decimal_shown, float_shown, int_shown
from ladder.selectors.common import FeedAge, feed_ages, newest

GREEKS = ("delta", "gamma", "vega", "theta")
SPOT_RISK_FEEDS = (Feed.SPOT_RISK, Feed.VTEXP)
FUTURE_GROUP = "future"
_MONTHS = {m.upper(): i for i, m in enumerate(calendar.month_abbr) if m}
_EXPIRY_RE = re.compile(r"^(?P<day>\d{2})?(?P<mon>[A-Z]{3})(?P<yy>\d{2})$")


@dataclass(frozen=True)
class SpotRiskLine:
    key: str
    itype: str
    product: str
    expiry: str | None
    strike: Decimal | None
    bid: Decimal | None
    ask: Decimal | None
    theo: Decimal | None
    iv_bid: Decimal | None
    iv_ask: Decimal | None
    iv_avg: Decimal | None
    position: int | None
    greeks: dict[str, float] | None  # vol, delta, gamma, vega, theta per contract
    # Fields whose stored value is out of range (``ladder.numbers``): read as missing,
    # shown as a dash with a note. A bad Greek drops them all (totals need each one).
    out_of_range: frozenset[str] = frozenset()


@dataclass(frozen=True)
class Totals:
    values: dict[str, float | None]  # delta, gamma, vega, theta; None when nothing contributed
    contributing: int  # rows that added to the totals
    missing: int  # rows with a position but no Greeks: left out of the totals

    def __getitem__(self, name: str) -> float | None:
        return self.values[name]


@dataclass(frozen=True)
class ExpiryGroup:
    expiry: str  # the expiry token, or "future"
    label: str
    expires: date | None
    lines: tuple[SpotRiskLine, ...]
    totals: Totals


@dataclass(frozen=True)
class SpotRiskView:
    groups: tuple[ExpiryGroup, ...]
    expiries: tuple[str, ...]  # every expiry of the snapshot, for the filter, in order
    totals: Totals  # the portfolio (every group, whatever the filter)
    feeds: tuple[FeedAge, ...]
    as_of: datetime | None
    expiry: str | None = None  # the filter applied
    message: str | None = None
    out_of_range: int = 0  # values of the shown groups left out as out of range

    @property
    def versions(self) -> dict[str, str | None]:
        return {age.feed: age.version for age in self.feeds}


# --- spot risk ---------------------------------------------------------------------------


def spot_risk_snapshot(*, expiry: str | None = None) -> SpotRiskView:
    """Every instrument of the newest spot-risk state, grouped by expiry, with totals.

    ``expiry`` keeps one group (the token, or ``"future"``); the portfolio
    totals always cover every group. An unknown expiry raises ``ValueError``.
    """
    feeds = feed_ages(feeds=SPOT_RISK_FEEDS)
    lines = [line_from_row(r) for r in latest_rows(feed=Feed.SPOT_RISK).values()]
    as_of = newest(age.last_file_time for age in feeds if age.feed == Feed.SPOT_RISK)
    if not lines:
        return SpotRiskView(
            groups=(),
            expiries=(),
            totals=totals_of([]),
            feeds=feeds,
            as_of=None,
            expiry=expiry,
            message="No data yet: no Actant spot-risk file has arrived.",
        )
    groups = _groups(lines)
    expiries = tuple(g.expiry for g in groups)
    if expiry is not None and expiry not in expiries:
        raise ValueError(f"unknown expiry {expiry!r}; the snapshot has {', '.join(expiries)}")
    shown = tuple(g for g in groups if expiry in (None, g.expiry))
    return SpotRiskView(
        groups=shown,
        expiries=expiries,
        totals=totals_of(lines),
        feeds=feeds,
        as_of=as_of,
        expiry=expiry,
        out_of_range=sum(len(line.out_of_range) for g in shown for line in g.lines),
    )


def line_from_row(row: Mapping[str, Any]) -> SpotRiskLine:
    """A state row as a line; a number out of range is missing, and named in
    ``out_of_range`` (the row itself is kept: its other values are good)."""
    bad: set[str] = set()

    def number(name: str) -> Decimal | None:
        try:
            return decimal_shown(row.get(name))
        except OutOfRange:
            bad.add(name)
            return None

    try:
        position = int_shown(row.get("position"))
    except OutOfRange:
        position = None
        bad.add("position")
    return SpotRiskLine(
        key=str(row["key"]),
        itype=str(row.get("itype") or ""),
        product=str(row.get("product") or ""),
        expiry=row.get("expiry"),
        strike=number("strike"),
        bid=number("bid"),
        ask=number("ask"),
        theo=number("theo"),
        iv_bid=number("iv_bid"),
        iv_ask=number("iv_ask"),
        iv_avg=number("iv_avg"),
        position=position,
        greeks=_greeks(row.get("greeks"), bad),
        out_of_range=frozenset(bad),
    )


def _greeks(raw: Any, bad: set[str]) -> dict[str, float] | None:
    if not raw or not isinstance(raw, Mapping):
        return None
    greeks: dict[str, float] = {}
    for name, value in raw.items():
        try:
            number = float_shown(value)
        except OutOfRange:
            bad.add(str(name))
            continue
        if number is not None:
            greeks[str(name)] = number
    if any(name not in greeks for name in GREEKS):
        return None  # totals need every Greek of a line: left out, counted as missing
    return greeks


def totals_of(lines: Iterable[SpotRiskLine]) -> Totals:
    """Position-weighted Greeks: a future is one delta a contract; no Greeks, no share."""
    sums: dict[str, float] = dict.fromkeys(GREEKS, 0.0)
    futures = options = missing = 0
    for line in lines:
        if line.itype == "F":
            sums["delta"] += line.position or 0
            futures += 1
        elif line.greeks is not None:
            for name in GREEKS:
                sums[name] += (line.position or 0) * line.greeks[name]
            options += 1
        elif line.position:
            missing += 1
    contributing = futures + options
    # A future has delta only: with no option behind them, the other totals are not zero
    # but not there at all.
    values: dict[str, float | None] = {
        name: (round(value, 8) if (options or (futures and name == "delta")) else None)
        for name, value in sums.items()
    }
    return Totals(values=values, contributing=contributing, missing=missing)


def _groups(lines: list[SpotRiskLine]) -> tuple[ExpiryGroup, ...]:
    by_expiry: dict[str, list[SpotRiskLine]] = {}
    for line in lines:
        group = FUTURE_GROUP if line.itype == "F" or not line.expiry else line.expiry
        by_expiry.setdefault(group, []).append(line)
    groups = []
    for token, members in by_expiry.items():
        members.sort(key=lambda ln: (ln.strike or Decimal(0), ln.itype, ln.key))
        products = sorted({ln.product for ln in members})
        expires = None if token == FUTURE_GROUP else expiry_date(token)
        label = "Future" if token == FUTURE_GROUP else f"{token} · {' '.join(products)}"
        groups.append(ExpiryGroup(token, label, expires, tuple(members), totals_of(members)))
    groups.sort(key=lambda g: (g.expiry != FUTURE_GROUP, g.expires or date.max, g.expiry))
    return tuple(groups)


def expiry_date(token: str) -> date | None:
    """The date an expiry token stands for: ``21JUL25`` is the day; ``AUG25`` (a
    standard monthly option) expires on the last Friday at least two business
    days before the last business day of the month before (CME's ZN rule,
    holidays ignored: this only orders the groups)."""
    match = _EXPIRY_RE.match(token.upper())
    if match is None or match["mon"] not in _MONTHS:
        return None
    year, month = 2000 + int(match["yy"]), _MONTHS[match["mon"]]
    if match["day"]:
        try:
            return date(year, month, int(match["day"]))
        except ValueError:
            return None
    prior = date(year, month, 1) - timedelta(days=1)
    while prior.weekday() >= 5:  # the last business day of the month before
        prior -= timedelta(days=1)
    day, business = prior, 0
    while business < 2:
        day -= timedelta(days=1)
        business += day.weekday() < 5
    while day.weekday() != 4:  # the Friday on or before
        day -= timedelta(days=1)
    return day
