"""Replay one trading day's archived feed files from S3 through the ingest pipeline."""

from __future__ import annotations

import time
from argparse import ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from feeds.records import Feed
from feeds.replay import ReplayReport, day_replay
from lib.aws import AwsUnavailable

BAR_WIDTH = 30
REDRAW_S = 0.1  # a terminal redrawn per file at 40 files/s only flickers


class Command(BaseCommand):
    help = (
        "Ingest again every archived file of a trading day (see feeds/replay.py for the order). "
        "Idempotent: files already in the latest state and history change nothing."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--date", required=True, type=date_argument, help="the trading date, YYYY-MM-DD"
        )
        parser.add_argument(
            "--feed",
            choices=[feed.value for feed in Feed],
            default=None,
            help="one feed only (tt-instruments: every instrument file, they have no date)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        day: date = options["date"]
        feed = Feed(options["feed"]) if options["feed"] else None
        bar = _ProgressLine(self.stderr) if self.stderr.isatty() else None
        try:
            report = day_replay(day=day, feed=feed, progress=bar)
        except AwsUnavailable as exc:
            raise CommandError(str(exc)) from exc
        finally:
            if bar:
                bar.close()
        self.stdout.write(_summary(report))
        if report.failed:
            raise CommandError(f"{len(report.failed)} file(s) failed; run the replay again")


def date_argument(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date: expected YYYY-MM-DD") from None


class _ProgressLine:
    """``replay [=====>     ] 120/400 files 30%`` on one line, redrawn in place."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.drawn_at = 0.0
        self.drawn = False

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.drawn_at < REDRAW_S:
            return
        self.drawn_at, self.drawn = now, True
        share = done / total if total else 1.0
        filled = int(share * BAR_WIDTH)
        arrow = ">" if filled < BAR_WIDTH else ""
        bar = ("=" * filled + arrow).ljust(BAR_WIDTH)
        self.out.write(f"\rreplay [{bar}] {done}/{total} files {share:4.0%}", ending="")
        self.out.flush()

    def close(self) -> None:
        if self.drawn:
            self.out.write("")  # end the progress line


def _summary(report: ReplayReport) -> str:
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
