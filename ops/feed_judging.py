"""Each feed judged now: its settings from the database, its last file from the state
store, and, for alarms and Slack, a reason on-call reads at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils import timezone

from feeds.records import Feed
from feeds.selectors import feed_health
from ops.feed_states import (
    DEFAULT_EXPECTATIONS,
    SCHEDULE_NAMES,
    FeedExpectation,
    FeedState,
    TradingSchedule,
    feed_silent_since,
    feed_state,
)
from ops.models import FeedSettings, Holiday, Silence
from ops.wording import duration_text


@dataclass(frozen=True)
class FeedContext:
    """What judging feeds needs from the database, read once per evaluation or page."""

    expectations: dict[str, FeedExpectation]
    holidays: frozenset[date]
    paused_until: dict[str, datetime]


def feed_context_load(*, now: datetime) -> FeedContext:
    expectations = dict(DEFAULT_EXPECTATIONS)
    for row in FeedSettings.objects.all():
        expectations[row.feed] = FeedExpectation(
            interval_s=row.interval_s, grace_s=row.grace_s, schedule=TradingSchedule(row.schedule)
        )
    paused: dict[str, datetime] = {}
    for name, until in Silence.objects.filter(
        target=Silence.Target.FEED, until__gt=now
    ).values_list("name", "until"):
        paused[name] = max(until, paused.get(name, until))
    return FeedContext(
        expectations=expectations,
        holidays=frozenset(Holiday.objects.values_list("day", flat=True)),
        paused_until=paused,
    )


def feed_state_now(feed: str, *, now: datetime, context: FeedContext) -> FeedState:
    return feed_judge(feed, now=now, context=context).state


@dataclass(frozen=True)
class FeedJudgement:
    state: FeedState
    detail: str  # since when, and the last file: what on-call asks first


def feed_judge(feed: str, *, now: datetime, context: FeedContext) -> FeedJudgement:
    """The feed's state and its reason, from one reading of its health: a file that
    lands meanwhile cannot make a stall read "no file for 0 s"."""
    health = feed_health(feed=Feed(feed), now=now.timestamp())
    expectation = context.expectations[feed]
    last = health.last_ingested_at
    state = feed_state(
        last_file_at=last,
        now=now,
        expectation=expectation,
        holidays=context.holidays,
        paused_until=context.paused_until.get(feed),
    )
    if state is FeedState.PAUSED:
        until = timezone.localtime(context.paused_until[feed])
        return FeedJudgement(state, f"{feed}: paused until {until:%a %H:%M}")
    if state is FeedState.CLOSED:
        market = SCHEDULE_NAMES[expectation.schedule]
        detail = f"{feed}: market closed ({market}), no file expected until it opens"
        return FeedJudgement(state, detail)
    if last is None:
        return FeedJudgement(state, f"no {feed} file has ever arrived")
    if state is not FeedState.STALLED:
        seconds = (now - last).total_seconds()
        ago = f"{duration_text(seconds)} ago" if seconds >= 1 else "just now"
        return FeedJudgement(state, f"{feed} files arriving again: last {ago}, {health.last_key}")
    since = feed_silent_since(last_file_at=last, now=now, schedule=expectation.schedule)
    silent = duration_text((now - since).total_seconds())
    grace = duration_text(expectation.grace_s)
    if since > last:  # nothing since the open: the night before does not count
        silent = f"since the open at {timezone.localtime(since):%H:%M} ({silent})"
    else:
        silent = f"for {silent}"
    return FeedJudgement(state, f"no {feed} file {silent} (grace {grace}); last {health.last_key}")
