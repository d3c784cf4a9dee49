"""The three long on-call operations, as ``ops.task_runs`` runs them.

Each kind knows its parameters (JSON, as a run row and a Celery message keep
them), what it locks, how it runs with a progress callback, and how its
outcome reads on the page and in the terminal alike. The work itself is the
feeds' (``feeds.replay``, ``feeds.rebuild``) or ``ops.redrive``'s.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from django.conf import settings

from feeds.feed_keys import trading_date_for
from feeds.rebuild import FeedRebuild, latest_state_rebuild
from feeds.records import Feed
from feeds.replay import ReplayReport, day_replay
from ops.models import TaskKind
from ops.redrive import dlq_redrive

Progress = Callable[[int, int], None]  # (steps done, steps in all)


class OperationFailed(RuntimeError):
    """The operation ran to its end but left work undone; ``outcome`` says what it did."""

    def __init__(self, message: str, outcome: Outcome) -> None:
        super().__init__(message)
        self.outcome = outcome


@dataclass(frozen=True)
class Outcome:
    result: str  # the summary on-call reads
    counts: dict[str, int] = field(default_factory=dict)


def operation_lock(*, kind: str, params: dict[str, Any]) -> str:
    """What a run holds while active: one replay per day, one rebuild, one redrive
    (SQS runs one move task per queue anyway)."""
    if kind == TaskKind.REPLAY:
        return f"replay:{params['day']}"
    return str(kind)


def operation_describe(*, kind: str, params: dict[str, Any]) -> str:
    """``replay 2025-07-21 (spot-risk)``: the audit trail's target and the page's title."""
    if kind == TaskKind.REPLAY:
        return f"replay {params['day']} ({params.get('feed') or 'every feed'})"
    if kind == TaskKind.REBUILD:
        feeds = ", ".join(params.get("feeds") or []) or "every feed"
        return f"rebuild {params.get('day') or 'today'} ({feeds})"
    return f"redrive {settings.FRGM_FEED_DLQ}"


def operation_run(*, kind: str, params: dict[str, Any], progress: Progress) -> Outcome:
    if kind == TaskKind.REPLAY:
        return _replay(params, progress)
    if kind == TaskKind.REBUILD:
        return _rebuild(params, progress)
    if kind == TaskKind.REDRIVE:
        return _redrive(progress)
    raise ValueError(f"no operation {kind!r}")


def _replay(params: dict[str, Any], progress: Progress) -> Outcome:
    feed = Feed(params["feed"]) if params.get("feed") else None
    report = day_replay(day=date.fromisoformat(params["day"]), feed=feed, progress=progress)
    counts = dict(report.outcomes)
    if report.failed:
        counts["failed"] = len(report.failed)
    if report.skipped:
        counts["skipped"] = len(report.skipped)
    outcome = Outcome(result=replay_summary(report), counts=counts)
    if report.failed:
        first_key, why = report.failed[0]
        raise OperationFailed(
            f"{len(report.failed)} file(s) failed, e.g. {first_key}: {why}. "
            "Run the replay again: files already ingested change nothing.",
            outcome,
        )
    return outcome


def replay_summary(report: ReplayReport) -> str:
    feeds = ", ".join(feed.value for feed in report.feeds)
    lines = [f"Replayed {report.files} file(s) of {report.day.isoformat()} ({feeds})"]
    for status, count in sorted(report.outcomes.items()):
        lines.append(f"  {status:<12} {count}")
    for key, why in report.failed:
        lines.append(f"  failed       {key}: {why}")
    if report.skipped:
        lines.append(f"  skipped {len(report.skipped)} key(s) that are no feed file:")
        lines += [f"    {key}" for key in report.skipped[:20]]
    return "\n".join(lines)


def _rebuild(params: dict[str, Any], progress: Progress) -> Outcome:
    day = date.fromisoformat(params["day"]) if params.get("day") else rebuild_default_day()
    feeds = [Feed(name) for name in params.get("feeds") or []] or list(Feed)
    lines = [f"Latest state from the history of {day.isoformat()}:"]
    counts: dict[str, int] = {}
    progress(0, len(feeds))
    for done, feed in enumerate(feeds, start=1):
        # One feed at a time: the page sees each one land, and a store going away
        # half-way leaves the feeds already rebuilt named in the error's outcome.
        [result] = latest_state_rebuild(feeds=[feed], day=day).feeds
        counts[result.status] = counts.get(result.status, 0) + 1
        lines.append(f"  {result.feed.value:<15} {rebuild_describe(result)}")
        progress(done, len(feeds))
    return Outcome(result="\n".join(lines), counts=counts)


def rebuild_default_day() -> date:
    return trading_date_for(datetime.now(UTC))


def rebuild_describe(result: FeedRebuild) -> str:
    if result.source == "s3":
        files = f"{len(result.keys)} instrument file(s) in S3 (any day)"
        if result.status == "empty":
            return "no instrument file in S3: left as it was"
        if result.status == "kept":
            return f"kept: the live state is as new or newer than {files}"
        return f"rebuilt ({result.applied} applied) from {files}; {result.rows} row(s)"
    if result.status == "empty":
        return "no history that day: left as it was"
    newest = result.keys[-1]
    also = f" (+{len(result.keys) - 1} older, merged under it)" if len(result.keys) > 1 else ""
    if result.status == "kept":
        verdict = "kept: the live state is as new or newer than"
    else:
        verdict = f"rebuilt ({result.applied} applied) from"
    warning = "; stopped reading early, the state may lack rows" if result.truncated else ""
    rows = f"{result.rows} row" + ("" if result.rows == 1 else "s")
    return f"{verdict} {newest}{also}; {rows}{warning}"


def _redrive(progress: Progress) -> Outcome:
    report = dlq_redrive(progress=progress)
    how = "SQS move task" if report.mode == "move-task" else "receive, send, delete"
    return Outcome(
        result=f"Moved {report.moved} message(s) back to the feed queue ({how}).",
        counts={"moved": report.moved},
    )
