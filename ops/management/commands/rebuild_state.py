"""Rebuild the latest state in the state store from DynamoDB history."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandParser

from feeds.records import Feed
from ops.management.commands.replay import date_argument
from ops.management.task_command import OpsTaskCommand
from ops.models import TaskKind
from ops.operations import rebuild_default_day


class Command(OpsTaskCommand):
    help = (
        "Write each feed's newest snapshot of a trading day from DynamoDB history into the "
        "latest state, and every TT instrument file from S3 (they are undated). Never "
        "overwrites a newer live state. Inline unless --enqueue; audited either way."
    )
    kind = TaskKind.REBUILD

    def add_arguments(self, parser: CommandParser) -> None:
        super().add_arguments(parser)
        parser.add_argument(
            "--date",
            type=date_argument,
            default=None,
            help="the trading date, YYYY-MM-DD (default: today's trading date)",
        )
        parser.add_argument(
            "--feed",
            action="append",
            choices=[feed.value for feed in Feed],
            default=None,
            help="a feed to rebuild (repeatable; default: every feed)",
        )

    def params(self, options: dict[str, Any]) -> dict[str, Any]:
        day = options["date"] or rebuild_default_day()
        return {"day": day.isoformat(), "feeds": options["feed"] or []}

    def handle(self, *args: Any, **options: Any) -> None:
        self.run_start(options)
