"""Every file the pipeline ingests leaves an EMF line CloudWatch turns into metrics
per feed: files, end-to-end latency, stage durations, and parse errors."""

from __future__ import annotations

from feeds.records import Feed
from tests.feeds.commands.conftest import BAD_SPOT_KEY, SPOT_KEY, day_ingest

STAGES = ("Download", "Parse", "Derive", "Redis", "Dynamodb", "Publish")


def _declared(document: dict) -> dict[str, str]:
    """Metric name -> unit, as the document declares them to CloudWatch."""
    [directive] = document["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "FRGM/Ingest"
    assert directive["Dimensions"] == [["Feed"], []]
    return {m["Name"]: m["Unit"] for m in directive["Metrics"]}


def test_ingesting_a_day_emits_files_latency_stages_and_parse_errors_per_feed(
    feed_queue, emf_documents
):
    day_ingest(feed_queue)  # a file of every feed, and a malformed spot-risk file

    documents = emf_documents()

    ingested = {d["Feed"]: d for d in documents if "FilesIngested" in d}
    assert set(ingested) == {str(feed) for feed in Feed}
    for feed, document in ingested.items():
        declared = _declared(document)
        assert declared["FilesIngested"] == "Count"
        assert document["FilesIngested"] == 1
        assert declared["EndToEndLatency"] == "Milliseconds", feed
        assert 0 <= document["EndToEndLatency"] < 60_000
        for stage in STAGES:
            assert declared[f"Stage{stage}"] == "Milliseconds", (feed, stage)
            assert document[f"Stage{stage}"] >= 0
    assert ingested["spot-risk"]["Key"] == SPOT_KEY
    [error] = [d for d in documents if "ParseErrors" in d]
    assert _declared(error) == {"ParseErrors": "Count"}
    assert (error["Feed"], error["ParseErrors"], error["Key"]) == ("spot-risk", 1, BAD_SPOT_KEY)
