"""How durations read in alarm reasons and Slack messages: whole units a person says."""

from __future__ import annotations


def duration_text(seconds: float) -> str:
    """ "61 s", "12 min 05 s", "3 h 05 min", "2 d 4 h"; never a negative time."""
    whole = max(0, round(seconds))
    if whole < 120:
        return f"{whole} s"
    minutes, secs = divmod(whole, 60)
    if minutes < 120:
        return f"{minutes} min {secs:02d} s" if secs else f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 48:
        return f"{hours} h {minutes:02d} min"
    return f"{hours // 24} d {hours % 24} h"
