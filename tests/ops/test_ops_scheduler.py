"""The ops schedule runs in a process of its own, and when it stops the web says so
on every ops page: a stale evaluation is itself an alarm."""

from __future__ import annotations

import os
import re
import shlex
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings
from django.urls import reverse
from django.utils import timezone

from lib.aws import clients_reset
from ops.models import AlarmStatus, EvaluationRun
from ops.scheduler import evaluation_record, ops_cycle_run
from tests.conftest import logged_in

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.django_db


def _procfile_command(name: str) -> list[str]:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith(f"{name}:"):
            args = shlex.split(line.split(":", 1)[1])
            return [sys.executable if args[0] == "python" else args[0], *args[1:]]
    raise AssertionError(f"the Procfile has no {name} line")


def test_the_worker_no_longer_runs_the_schedule_the_scheduler_line_does():
    assert "--beat" not in _procfile_command("worker")
    assert _procfile_command("scheduler")[1:] == ["manage.py", "ops_scheduler"]


@pytest.mark.slow
def test_the_scheduler_process_evaluates_alone_and_stops_cleanly(stack, tmp_path):
    """No worker, no broker: the Procfile's scheduler line evaluates every alarm."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))},
        "FRGM_ENV": "local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'scheduler.sqlite3'}",
        "FRGM_STATE_REDIS_URL": stack.state_url,
        "FRGM_MESSAGING_REDIS_URL": "redis://127.0.0.1:9/0",  # no broker at all
        "AWS_ENDPOINT_URL": stack.aws_url,
        "FRGM_FEED_DLQ": settings.FRGM_FEED_DLQ,
        "FRGM_ALARM_EVALUATE_EVERY_S": "1",
    }
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v", "0"], env=env, cwd=ROOT, check=True, timeout=120)

    def check() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*manage, "ops_scheduler", "--check"], env=env, cwd=ROOT, capture_output=True, text=True
        )

    assert check().returncode == 1  # not run yet
    log = (tmp_path / "scheduler.log").open("wb")
    process = subprocess.Popen(
        _procfile_command("scheduler"), env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
    )
    try:
        deadline = time.monotonic() + 30
        while check().returncode != 0:
            assert time.monotonic() < deadline, (tmp_path / "scheduler.log").read_text()
            time.sleep(0.5)
        assert "last evaluated" in check().stdout
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0
    time.sleep(3.5)  # three intervals without a run
    stale = check()
    assert stale.returncode == 1
    assert "last evaluated" in stale.stderr


def test_a_stale_evaluation_is_an_alarm_on_every_ops_page(oncall, stack):
    evaluation_record(at=timezone.now() - timedelta(minutes=2))
    client = logged_in(oncall)
    for name, args in (("ops:health", []), ("ops:alarms", []), ("ops:runbooks", [])):
        page = client.get(reverse(name, args=args)).content.decode()
        assert '<div class="evaluation-stale" role="alert">' in page, name
        # 120 s when recorded; a loaded machine may take a second or two to render
        assert re.search(r"last evaluated 12\d s ago \(expected every 15 s\)", page), name
    alarms = client.get(reverse("ops:alarms")).content.decode()
    row = alarms[alarms.index('data-alarm="scheduler-not-running"') :].split("</tr>")[0]
    assert "ALARM" in row
    assert reverse("ops:runbook", args=["scheduler-down"]) in alarms


def test_a_fresh_evaluation_says_when_and_raises_nothing(oncall, stack):
    ops_cycle_run()
    page = logged_in(oncall).get(reverse("ops:alarms")).content.decode()
    assert "Last evaluated" in page
    assert "evaluation-stale" not in page  # no banner
    assert AlarmStatus.objects.get(alarm_id="scheduler-not-running").state != "ALARM"


def test_a_failing_run_is_recorded_and_shown_with_its_error(oncall, stack):
    ops_cycle_run()
    good = EvaluationRun.objects.get().succeeded_at
    with override_settings(FRGM_ALARM_SOURCE="cloudwatch", AWS_ENDPOINT_URL="http://127.0.0.1:9"):
        clients_reset()
        try:
            assert ops_cycle_run() == 0
        finally:
            clients_reset()
    run = EvaluationRun.objects.get()
    assert run.succeeded_at == good
    assert run.error.startswith("AwsUnavailable")
    page = logged_in(oncall).get(reverse("ops:alarms")).content.decode()
    assert "the latest run failed: AwsUnavailable" in page
