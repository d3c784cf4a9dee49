"""Move the dead-letter queue's messages back to the feed queue."""

from __future__ import annotations

from typing import Any

from ops.management.task_command import OpsTaskCommand
from ops.models import TaskKind


class Command(OpsTaskCommand):
    help = (
        "Redrive the feed DLQ: SQS's own move task in AWS (FRGM_DLQ_REDRIVE=move-task), "
        "receive/send/delete against moto. Moves what is waiting when it starts; audited."
    )
    kind = TaskKind.REDRIVE

    def params(self, options: dict[str, Any]) -> dict[str, Any]:
        return {}

    def handle(self, *args: Any, **options: Any) -> None:
        self.run_start(options)
