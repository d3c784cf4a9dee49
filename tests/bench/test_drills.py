"""The fault drills (``make drills``) import, and their table says met or not.

The drills themselves start whole stacks and take minutes: they are run by
``make drills``, not by the suite.
"""

from __future__ import annotations

from bench.drills.__main__ import DRILLS
from bench.drills.stack import DrillResult, drill_base, drill_key, results_table
from feeds.parsers.registry import feed_key_parse
from feeds.records import Feed


def test_every_drill_is_listed_and_the_table_shows_each_verdict() -> None:
    assert "state_store" in DRILLS
    assert all(callable(run) for run in DRILLS.values())
    met = DrillResult(name="worker kill -9 mid-stream", rto_s=4.31, rpo_s=0.0, notes=["0 lost"])
    slow = DrillResult(name="messaging Redis kill -9", rto_s=21.0, rpo_s=0.0)
    never = DrillResult(name="state store FLUSHALL", rto_s=None, rpo_s=None)

    table = results_table([met, slow, never])

    lines = table.splitlines()
    assert any("worker kill -9 mid-stream" in line and "4.3 s" in line and " met " in line
               for line in lines)  # fmt: skip
    assert any("messaging Redis kill -9" in line and "21.0 s" in line and "NOT met" in line
               for line in lines)  # fmt: skip
    assert any("state store FLUSHALL" in line and "never" in line and "NOT met" in line
               for line in lines)  # fmt: skip
    assert "RTO 15 s, RPO 3 s" in table
    assert "  0 lost" in table


def test_the_drills_files_are_feed_files_one_second_apart() -> None:
    # A name the pipeline ignores (or quarantines) would count every drill file as lost.
    base = drill_base()
    first, second = feed_key_parse(drill_key(base, 0)), feed_key_parse(drill_key(base, 1))

    assert first is not None
    assert second is not None
    assert first.feed is Feed.TT_POSITIONS
    assert first.file_time is not None
    assert second.file_time is not None
    assert (second.file_time - first.file_time).total_seconds() == 1
