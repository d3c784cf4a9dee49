"""Live view keys: ``spot-risk``, ``ladder:<instrument>[:<ticks>]`` and ``slide:<query>``
(``ladder.hub.slide_view.slide_view_key``)."""

from __future__ import annotations

SPOT_RISK_VIEW = "spot-risk"
LADDER_PREFIX = "ladder:"
SLIDE_PREFIX = "slide:"
DEFAULT_INSTRUMENT = "default"  # the ladder's own choice: the future with the largest position
DEFAULT_TICKS = 40
MAX_TICKS = 400


def ladder_view_key(*, instrument_id: str | None, ticks: int = DEFAULT_TICKS) -> str:
    key = LADDER_PREFIX + (instrument_id or DEFAULT_INSTRUMENT)
    return key if ticks == DEFAULT_TICKS else f"{key}:{ticks}"
