"""How durations read in alarm reasons and Slack messages: whole units a person says;
and error texts as on-call may read them."""

from __future__ import annotations

import re

# A client's error names where it failed to connect: a URL (an endpoint, a webhook
# whose path is a secret), an address or a host with its port. Pages show the rest.
_URL = re.compile(r"\b[a-zA-Z][a-zA-Z0-9+.-]*://[^\s'\"<>)]+")
_ADDRESS = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}(?::\d{1,5})?\b")
_HOST_PORT = re.compile(r"\b(?:localhost|[a-zA-Z0-9-]+(?:\.[a-zA-Z0-9-]+)+):\d{2,5}\b")


def endpoint_free(text: str) -> str:
    """``text`` with every URL, address and host:port replaced by a placeholder."""
    text = _URL.sub("<endpoint>", text)
    text = _ADDRESS.sub("<host>", text)
    return _HOST_PORT.sub("<host>", text)


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
