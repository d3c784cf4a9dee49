"""What the ops page's websocket sends: its feed and alarm rows, rendered as on first
paint, and each file's arrival."""

from __future__ import annotations

import time
from datetime import datetime
from typing import Any

from django.template.loader import render_to_string
from django.utils import timezone

from feeds.messages import FeedFile
from ops import selectors


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
