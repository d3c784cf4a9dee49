"""What the ops page's websocket sends: its feed and alarm rows, rendered as on first paint."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

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
