"""What the ops page's websocket sends: its feed and alarm rows, rendered as on first paint."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.utils import timezone

from ops import selectors
from ops.alarms import ALARMS_BY_ID


def ops_rows_frame() -> dict[str, str]:
    now = timezone.now()
    alarms = [(s, ALARMS_BY_ID.get(s.alarm_id)) for s in selectors.alarm_statuses()]
    return {
        "type": "rows",
        "feeds": render_to_string("ops/_feed_rows.html", {"rows": selectors.feed_rows(now=now)}),
        "alarms": render_to_string("ops/_alarm_rows.html", {"alarms": alarms}),
        "at": now.isoformat(),
    }
