"""``manage.py feed_push --watch DIR``: the producer with this site's bucket and endpoint."""

from __future__ import annotations

import os
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandParser

from feeds.push.__main__ import main


class Command(BaseCommand):
    help = (
        "Watch DIR and upload each complete feed file to FRGM_FEED_BUCKET in order, spooling "
        "while S3 is unreachable (python -m feeds.push is the same without Django)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--watch", required=True)
        parser.add_argument("--spool", default=None)
        parser.add_argument("--settle", type=float, default=0.5)

    def handle(self, *args: Any, **options: Any) -> None:
        argv = ["--watch", options["watch"], "--bucket", settings.FRGM_FEED_BUCKET]
        argv += ["--settle", str(options["settle"]), "--region", settings.AWS_REGION]
        if options["spool"]:
            argv += ["--spool", options["spool"]]
        if settings.AWS_ENDPOINT_URL:
            argv += ["--endpoint-url", settings.AWS_ENDPOINT_URL]
        if settings.AWS_LOCAL_CREDENTIALS:
            # moto accepts any key; the same dummy pair lib.aws uses locally
            os.environ.setdefault("AWS_ACCESS_KEY_ID", "local")
            os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "local")
        raise SystemExit(main(argv))
