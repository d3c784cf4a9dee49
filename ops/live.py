"""What the ops pages' websockets send, rendered as on first paint: the feed and
alarm rows, each file's arrival, and the rows of ops task runs."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from feeds.messages import FeedFile
from ops import selectors
from ops.messages import OpsTaskUpdate
from ops.models import OpsTaskRun
from ops.operations import operation_describe


def ops_rows_frame() -> dict[str, str]:
    now = timezone.now()
    alarms = selectors.alarm_rows(
        freshness=selectors.evaluation_freshness(now=now),
        silences=selectors.active_silences(now=now),
    )
    return {
        "type": "rows",
        "feeds": render_to_string(
            "ops/_feed_rows.html", {"rows": selectors.feed_rows_readable(now=now)}
        ),
        "alarms": render_to_string("ops/_alarm_rows.html", {"alarms": alarms}),
        "at": now.isoformat(),
    }


def task_run_row(update: OpsTaskUpdate) -> dict[str, Any]:
    """A run as its table row shows it, from the message the pages also receive live."""
    created = datetime.fromisoformat(update["created_at"])
    finished = update["finished_at"]
    total = update["total"]
    return {
        **update,
        "title": operation_describe(kind=update["kind"], params=update["params"]),
        "created": timezone.localtime(created),
        "finished": timezone.localtime(datetime.fromisoformat(finished)) if finished else None,
        "percent": round(100 * update["done"] / total) if total else None,
        "counts_text": ", ".join(f"{k} {v}" for k, v in sorted(update["counts"].items())),
    }


def task_run_html(update: OpsTaskUpdate) -> str:
    return render_to_string("ops/_task_run.html", {"r": task_run_row(update)})


def task_run_update(run: OpsTaskRun) -> OpsTaskUpdate:
    return OpsTaskUpdate(
        type="ops.task",
        run=run.pk,
        kind=run.kind,
        status=run.status,
        done=run.done,
        total=run.total,
        counts=dict(run.counts),
        result=run.result,
        error=run.error,
        params=dict(run.params),
        started_by=str(run.started_by or run.via),
        created_at=run.created_at.isoformat(),
        finished_at=run.finished_at.isoformat() if run.finished_at else None,
    )


def task_run_rows(runs: list[OpsTaskRun]) -> list[dict[str, Any]]:
    return [task_run_row(task_run_update(run)) for run in runs]


def file_frame(landed: FeedFile) -> dict[str, Any]:
    """One file's arrival as the ops page shows it: its feed's "last file" cell.

    ``latency_ms``: S3 event to ingest finished (the page's "Latency" column, for
    this one file); ``server_time`` lets the page correct its clock for the age.
    """
    latency_ms = None
    if landed["s3_event_time"]:
        event = datetime.fromisoformat(landed["s3_event_time"]).timestamp()
        latency_ms = round((landed["ingested_at"] - event) * 1000, 1)
    return {
        "type": "file",
        "feed": landed["feed"],
        "key": landed["key"],
        "status": landed["status"],
        "ingested_at": landed["ingested_at"],
        "event_time": landed["s3_event_time"],
        "latency_ms": latency_ms,
        "server_time": time.time(),
    }
