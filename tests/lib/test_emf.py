"""Metrics leave a process as CloudWatch Embedded Metric Format lines."""

import json

from lib.emf import emf_line


def test_an_emf_line_declares_each_metric_with_its_unit_and_dimension() -> None:
    line = emf_line(
        namespace="FRGM/Ingest",
        dimensions={"Feed": "spot-risk"},
        metrics={"FilesIngested": (1, "Count"), "EndToEndLatency": (87.5, "Milliseconds")},
        properties={"Key": "actant/spot-risk/x.csv"},
        timestamp_ms=1_700_000_000_000,
    )
    document = json.loads(line)
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "FRGM/Ingest"
    assert directive["Dimensions"] == [["Feed"], []]  # per feed and fleet-wide
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]} == {
        "FilesIngested": "Count",
        "EndToEndLatency": "Milliseconds",
    }
    assert document["Feed"] == "spot-risk"
    assert document["EndToEndLatency"] == 87.5
    assert document["_aws"]["Timestamp"] == 1_700_000_000_000
    assert "\n" not in line  # one log line per document
