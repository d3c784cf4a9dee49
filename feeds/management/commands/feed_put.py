"""Hand-drop one feed file into the bucket under the key the feed server would use."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from feeds.feed_keys import CHICAGO, feed_key_for_filename
from lib.aws import client


def _content_type(key: str) -> str:
    return "application/json" if key.endswith(".json") else "text/csv"


class Command(BaseCommand):
    help = (
        "Upload FILE to FRGM_FEED_BUCKET. The key is derived from the file name as in "
        "FEEDS.md (names without a timestamp get the current Chicago time); --key overrides it."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="a feed file, e.g. bav_analysis_20250721_203007.csv")
        parser.add_argument(
            "--key", default=None, help="the S3 key to use instead of the derived one"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from exc
        key = options["key"]
        if key is None:
            try:
                key = feed_key_for_filename(path.name, now=datetime.now(tz=CHICAGO), data=data)
            except ValueError as exc:
                raise CommandError(f"{exc}; pass --key to choose the key yourself") from exc
        bucket = settings.FRGM_FEED_BUCKET
        try:
            reply = client("s3").put_object(
                Bucket=bucket, Key=key, Body=data, ContentType=_content_type(key)
            )
        except (BotoCoreError, ClientError) as exc:
            raise CommandError(f"cannot upload to s3://{bucket}/{key}: {exc}") from exc
        version = reply.get("VersionId") or "-"
        self.stdout.write(f"s3://{bucket}/{key} version {version} ({len(data)} bytes)")
