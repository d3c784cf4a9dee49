"""Replay one trading day's archived feed files from S3 through the ingest pipeline."""

from __future__ import annotations

import time
from argparse import ArgumentTypeError
from datetime import date
from typing import Any

from django.core.management.base import CommandParser

from feeds.records import Feed
from ops.management.task_command import OpsTaskCommand, Progress
from ops.models import TaskKind

BAR_WIDTH = 30
REDRAW_S = 0.1  # a terminal redrawn per file at 40 files/s only flickers


class Command(OpsTaskCommand):
    help = (
        "Ingest again every archived file of a trading day (see feeds/replay.py for the order). "
        "Idempotent: files already in the latest state and history change nothing. Inline "
        "unless --enqueue; either way audited and shown on /ops/tasks/."
    )
    kind = TaskKind.REPLAY

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--date", required=True, type=date_argument, help="the trading date, YYYY-MM-DD"
        )
        parser.add_argument(
            "--feed",
            choices=[feed.value for feed in Feed],
            default=None,
            help="one feed only (tt-instruments: every instrument file, they have no date)",
        )

    def params(self, options: dict[str, Any]) -> dict[str, Any]:
        return {"day": options["date"].isoformat(), "feed": options["feed"] or ""}

    def progress(self) -> Progress | None:
        return _ProgressLine(self.stderr) if self.stderr.isatty() else None

    def handle(self, *args: Any, **options: Any) -> None:
        self.run_start(options)


def date_argument(value: str) -> date:
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise ArgumentTypeError(f"{value!r} is not a date: expected YYYY-MM-DD") from None


class _ProgressLine:
    """``replay [=====>     ] 120/400 files 30%`` on one line, redrawn in place; the
    line ends with the last file."""

    def __init__(self, out: Any) -> None:
        self.out = out
        self.drawn_at = 0.0

    def __call__(self, done: int, total: int) -> None:
        now = time.monotonic()
        if done < total and now - self.drawn_at < REDRAW_S:
            return
        self.drawn_at = now
        share = done / total if total else 1.0
        filled = int(share * BAR_WIDTH)
        arrow = ">" if filled < BAR_WIDTH else ""
        bar = ("=" * filled + arrow).ljust(BAR_WIDTH)
        ending = "\n" if done >= total else ""
        self.out.write(f"\rreplay [{bar}] {done}/{total} files {share:4.0%}", ending=ending)
        self.out.flush()
