"""Rebuild the latest state in the state store from DynamoDB history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from feeds.feed_keys import trading_date_for
from feeds.management.commands.replay import date_argument
from feeds.rebuild import FeedRebuild, latest_state_rebuild
from feeds.records import Feed
from lib.aws import AwsUnavailable
from lib.redis_clients import StateStoreUnavailable


class Command(BaseCommand):
    help = (
        "Write each feed's newest snapshot of a trading day from DynamoDB history into the "
        "latest state, and every TT instrument file from S3 (they are undated). Never "
        "overwrites a newer live state."
    )

    def add_arguments(self, parser: CommandParser) -> None:
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

    def handle(self, *args: Any, **options: Any) -> None:
        day: date = options["date"] or trading_date_for(datetime.now(UTC))
        feeds = [Feed(name) for name in options["feed"]] if options["feed"] else list(Feed)
        try:
            report = latest_state_rebuild(feeds=feeds, day=day)
        except (AwsUnavailable, StateStoreUnavailable) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(f"Latest state from the history of {day.isoformat()}:")
        for result in report.feeds:
            self.stdout.write(f"  {result.feed.value:<15} {_describe(result)}")


def _describe(result: FeedRebuild) -> str:
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
