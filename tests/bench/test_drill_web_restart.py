"""The worst fault drill by RTO, kept true in the suite: the web process restarted
under connected websocket clients (``bench.drills.web_restart``).

Every client must come back on the new process with a fresh snapshot and live
updates in sequence from it, within the 15 s RTO, and the files flowing
meanwhile are neither lost nor applied twice.
It runs the drill itself against a whole ``make run`` stack (``python -m
devstack``) with 100 clients: ``make drills`` runs it with 500
(docs/RELIABILITY.md has both).
"""

from __future__ import annotations

import pytest

from bench.drills import web_restart
from bench.drills.stack import RPO_TARGET_S, RTO_TARGET_S, results_table, stack_port

pytestmark = pytest.mark.slow

CLIENTS = 100


def test_every_client_is_back_in_sequence_within_the_rto_after_a_web_restart() -> None:
    result = web_restart.drill_run(port=stack_port(), clients=CLIENTS, watch_s=60)
    report = "\n".join(result.notes)
    print(results_table([result]))  # the figures, with -s (and on a failure)

    assert f"fresh snapshot on the new process: {CLIENTS} of {CLIENTS} clients" in report, report
    assert f"a live delta after it: {CLIENTS} of {CLIENTS}" in report, report
    assert f"in sequence from the snapshot: {CLIENTS};" in report, report
    assert "files lost: 0 of" in report, report
    assert "applied twice: 0" in report, report
    assert result.checks_ok, report
    assert result.rto_s is not None, report
    assert result.rto_s <= RTO_TARGET_S, report
    assert result.rpo_s is not None, report
    assert result.rpo_s <= RPO_TARGET_S, report
