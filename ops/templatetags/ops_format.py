"""How long ago, as an on-call engineer reads it: "4.2 s", "48 min", "3 h 05 min"."""

from __future__ import annotations

from django import template

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
