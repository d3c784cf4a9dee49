"""Metrics as CloudWatch Embedded Metric Format log lines: no API call on the hot path.

In AWS a process's stdout goes to CloudWatch Logs, which extracts the metrics.
The writer only: which namespace and metric names a part emits is that part's
knowledge (``feeds.metrics`` for ingest, ``ops.health_metrics`` for health).
"""

from __future__ import annotations

import json
import logging
import time
from typing import Literal

Unit = Literal["Count", "Milliseconds", "Seconds", "None"]

emf_logger = logging.getLogger("frgm.emf")


def emf_line(
    *,
    namespace: str,
    dimensions: dict[str, str],
    metrics: dict[str, tuple[float, Unit]],
    properties: dict[str, object] | None = None,
    timestamp_ms: int | None = None,
    dimension_sets: list[list[str]] | None = None,
) -> str:
    """One EMF JSON document (pure). ``dimension_sets`` defaults to the line's own
    dimensions and the empty set (per dimension value, and across all of them for
    fleet-wide alarms)."""
    document: dict[str, object] = {
        "_aws": {
            "Timestamp": timestamp_ms if timestamp_ms is not None else int(time.time() * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": namespace,
                    "Dimensions": (
                        dimension_sets if dimension_sets is not None else [sorted(dimensions), []]
                    ),
                    "Metrics": [
                        {"Name": name, "Unit": unit} for name, (_, unit) in metrics.items()
                    ],
                }
            ],
        },
        **dimensions,
        **{name: value for name, (value, _) in metrics.items()},
        **(properties or {}),
    }
    return json.dumps(document, separators=(",", ":"), default=str)
