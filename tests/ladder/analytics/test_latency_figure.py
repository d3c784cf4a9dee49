"""Per-file latency: S3 event to ingest finished, from each feed's recent files."""

from __future__ import annotations

from ladder.analytics import latency_figure, latency_points

RECENT = [
    {"key": "b.csv", "finished_at": 1753147810.5, "latency_ms": 240.0},
    {"key": "a.csv", "finished_at": 1753147800.0, "latency_ms": 180.5},
    {"key": "c.csv", "finished_at": 1753147820.0, "latency_ms": None},  # no S3 event time
]


def test_latency_points_are_oldest_first_and_skip_files_without_an_event_time() -> None:
    points = latency_points(RECENT)
    assert points["y"] == [180.5, 240.0]
    assert points["text"] == ["a.csv", "b.csv"]
    assert points["x"][0] == "2025-07-21 20:30:00"  # Chicago (CDT) clock


def test_the_figure_has_a_trace_per_feed_and_one_for_the_browser() -> None:
    figure = latency_figure({"spot-risk": RECENT, "tt-orders": []})
    assert [t["meta"]["feed"] for t in figure["data"]] == ["spot-risk", "browser"]
    assert "annotations" not in figure["layout"]


def test_no_files_says_so() -> None:
    figure = latency_figure({})
    assert figure["layout"]["annotations"][0]["text"] == "no files ingested recently"
