"""Ops values as an on-call engineer reads them: ages ("4.2 s", "48 min", "3 h 05 min")
and alarm states ("no data" rather than INSUFFICIENT_DATA)."""

from __future__ import annotations

from django import template

from ops.feed_states import SCHEDULE_NAMES, TradingSchedule
from ops.wording import endpoint_free

register = template.Library()


@register.filter
def age(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    if seconds < 120:
        return f"{seconds:.1f} s"
    minutes = int(seconds // 60)
    if minutes < 120:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"


STATE_LABELS = {"INSUFFICIENT_DATA": "no data"}


@register.filter
def alarm_state(state: str) -> str:
    """An alarm state as on-call says it: CloudWatch's INSUFFICIENT_DATA is "no data"."""
    return STATE_LABELS.get(state, state)


@register.filter
def schedule_name(schedule: str) -> str:
    """A feed's trading schedule as the pages name it: "CME Globex", "always"."""
    return SCHEDULE_NAMES.get(TradingSchedule(schedule), schedule)


@register.filter
def get_item(mapping: dict[str, object], key: str) -> object:
    """``mapping[key]``, or None: a template cannot index a dict by a variable."""
    return mapping.get(key)


@register.filter(name="endpoint_free")
def endpoint_free_filter(text: str | None) -> str:
    """Error texts on the ops pages without internal URLs, addresses or host:ports."""
    return endpoint_free(str(text or ""))
