"""feed_status: what an on-call engineer reads at a terminal."""

from __future__ import annotations

import json
import re
from io import StringIO

from django.core.management import call_command

from feeds.models import QuarantinedFile
from tests.feeds.commands.conftest import BAD_SPOT_KEY, SPOT_KEY, day_ingest


def _status(*args: str) -> str:
    out = StringIO()
    call_command("feed_status", *args, stdout=out)
    return out.getvalue()


def _feed_rows(text: str) -> dict[str, dict[str, str]]:
    """The feed table as {feed: {column: cell}}; cells are two or more spaces apart."""
    table = text.split("\n\n")[0].splitlines()
    header = re.split(r"\s{2,}", table[0])
    return {
        cells[0]: dict(zip(header, cells, strict=True))
        for cells in (re.split(r"\s{2,}", line) for line in table[1:])
    }


def test_it_shows_each_feeds_last_file_and_the_reason_a_file_was_quarantined(feed_queue):
    day_ingest(feed_queue)

    text = _status()

    feeds = _feed_rows(text)
    spot = feeds["spot-risk"]
    assert spot["LAST FILE"] == SPOT_KEY
    assert spot["AGE"].endswith("s")
    assert spot["FILES/MIN"] == spot["FILES/H"] == "1"  # the good file ...
    assert spot["ERRORS/H"] == "1"  # ... and the bad one, counted apart
    assert spot["LATENCY"].endswith(("ms", "s"))
    assert feeds["tt-positions"]["TOTAL"] == "1"
    assert feeds["tt-instruments"]["FILES/H"] == "1"
    record = QuarantinedFile.objects.get()
    quarantine = text.split("\n\n")[1]
    assert BAD_SPOT_KEY in quarantine
    assert "parse_error" in quarantine
    assert f"reason: {record.reason[:60]}" in quarantine
    assert "'nan' is not a finite price" in quarantine


def test_it_says_so_when_nothing_arrived_and_nothing_was_refused(feed_queue):
    text = _status()

    assert {row["AGE"] for row in _feed_rows(text).values()} == {"never"}
    assert "Quarantined files: none" in text


def test_json_gives_the_same_facts_to_scripts(feed_queue):
    day_ingest(feed_queue)

    document = json.loads(_status("--json"))

    spot = next(f for f in document["feeds"] if f["feed"] == "spot-risk")
    assert spot["last_key"] == SPOT_KEY
    assert spot["last_file_time"].startswith("2025-07-21T20:30:07")
    assert spot["files_last_hour"] == 1
    assert spot["parse_errors_last_hour"] == 1
    assert spot["totals"] == {"files": 1, "parse_error": 1}
    assert spot["last_latency_ms"] >= 0
    [refused] = document["quarantined"]
    assert refused["key"] == BAD_SPOT_KEY
    assert refused["column"] == "ADJTHEOR"
    assert "'nan' is not a finite price" in refused["reason"]
