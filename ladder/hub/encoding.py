"""Frames as the sockets get them: compact JSON text, serialised once per frame."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import date, datetime
from decimal import Decimal
from typing import Any


def encode(frame: Mapping[str, Any]) -> str:
    """A frame as compact JSON text: done once per frame, whatever the number of sockets."""
    return json.dumps(frame, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(f"not JSON serialisable: {type(value).__name__}")
