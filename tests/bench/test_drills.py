"""The fault drills (``make drills``) import, and their table says met or not.

The drills themselves start whole stacks and take minutes: they are run by
``make drills``, not by the suite.
"""

from __future__ import annotations

from bench.drills.__main__ import DRILLS
from bench.drills.stack import DrillResult, results_table


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
