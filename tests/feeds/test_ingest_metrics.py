"""The pipeline's metrics land in FRGM/Ingest, per feed and fleet-wide (the alarms read both)."""

import json
import logging
from collections.abc import Iterator

import pytest

from feeds.metrics import metrics_emit


@pytest.fixture
def emf_lines() -> Iterator[list[str]]:
    """The lines written to ``frgm.emf`` (it does not propagate, so caplog misses it)."""
    lines: list[str] = []

    class Keep(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            lines.append(record.getMessage())

    logger = logging.getLogger("frgm.emf")
    handler, level = Keep(), logger.level
    logger.addHandler(handler)
    logger.setLevel(logging.INFO)
    yield lines
    logger.removeHandler(handler)
    logger.setLevel(level)


def test_an_ingest_metric_names_its_feed_in_the_ingest_namespace(emf_lines) -> None:
    metrics_emit(feed="spot-risk", metrics={"FilesIngested": (1, "Count")})
    [line] = emf_lines
    document = json.loads(line)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "FRGM/Ingest"
    assert directive["Dimensions"] == [["Feed"], []]
    assert document["Feed"] == "spot-risk"
    assert document["FilesIngested"] == 1
