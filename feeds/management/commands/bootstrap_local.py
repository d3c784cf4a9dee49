from typing import Any

from django.core.management.base import BaseCommand

from feeds.bootstrap import local_resources_ensure


class Command(BaseCommand):
    help = (
        "Create the feed bucket (versioned), notification queue and DLQ, the "
        "bucket->queue notification and the DynamoDB history table. Idempotent."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        report = local_resources_ensure()
        for name in report.created:
            self.stdout.write(f"  created   {name}")
        for name in report.updated:
            self.stdout.write(f"  updated   {name}")
        for name in report.unchanged:
            self.stdout.write(f"  unchanged {name}")
