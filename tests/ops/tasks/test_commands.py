"""manage.py replay, rebuild_state and dlq_redrive: inline by default, --enqueue for
the worker; either way a run row, the same lock as the page, and an audit entry."""

from __future__ import annotations

import json
import time
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts.models import AuditEvent
from ops.models import OpsTaskRun
from ops.task_runs import task_run_start
from tests.feeds.ingest.conftest import FeedQueue
from tests.ops.tasks.support import dead_letters

pytestmark = pytest.mark.django_db


def test_dlq_redrive_moves_the_dead_letters_inline_and_is_audited(feed_queue: FeedQueue):
    dead_letters(feed_queue, 2)
    out = StringIO()

    call_command("dlq_redrive", stdout=out)

    assert "Moved 2 message(s) back to the feed queue (receive, send, delete)." in out.getvalue()
    assert feed_queue.depth(feed_queue.dlq_url) == 0
    run = OpsTaskRun.objects.get()
    assert (run.status, run.counts, run.started_by) == ("done", {"moved": 2}, None)
    assert run.via.startswith("manage.py (")
    assert run.worker.startswith("manage.py:")
    audit = AuditEvent.objects.get(action="dlq.redrive")
    assert audit.actor is None
    assert json.loads(audit.detail)["via"] == run.via  # the OS user who ran it


def test_a_command_is_refused_while_the_page_runs_the_same_operation(feed_queue, oncall):
    task_run_start(kind="replay", params={"day": "2025-07-21", "feed": ""}, user=oncall)
    with pytest.raises(CommandError, match=r"Replay 2025-07-21 \(every feed\) is queued already"):
        call_command("replay", "--date", "2025-07-21", stdout=StringIO())
    assert OpsTaskRun.objects.count() == 1


def test_a_failed_command_run_exits_with_its_error(feed_queue, monkeypatch):
    import ops.operations

    def broken(**_: object) -> None:
        raise ops.operations.OperationFailed(
            "1 file(s) failed", ops.operations.Outcome(result="Replayed 1 file(s)")
        )

    monkeypatch.setattr(ops.operations, "day_replay", broken)
    with pytest.raises(CommandError, match="1 file"):
        call_command("replay", "--date", "2025-07-21", stdout=StringIO())
    assert OpsTaskRun.objects.get().status == "failed"


@pytest.mark.django_db(transaction=True)
@pytest.mark.slow
def test_enqueue_hands_the_run_to_the_worker(ops_worker, feed_queue: FeedQueue):
    dead_letters(feed_queue, 1)
    out = StringIO()

    call_command("dlq_redrive", "--enqueue", stdout=out)

    run = OpsTaskRun.objects.get()
    assert f"Queued run #{run.pk}" in out.getvalue()
    deadline = time.monotonic() + 30
    while run.status in OpsTaskRun.ACTIVE:  # the worker, in a thread, finishes it
        assert time.monotonic() < deadline, f"run #{run.pk} is still {run.status}"
        time.sleep(0.2)
        run.refresh_from_db()
    assert (run.status, run.counts) == ("done", {"moved": 1})
    assert run.worker.startswith("celery ")
    assert feed_queue.depth(feed_queue.dlq_url) == 0
