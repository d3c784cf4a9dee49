"""The ops scheduler's loop outlives whatever a run raises, and its health check
(``ops_scheduler --check``) fails when the loop is dead, however fresh the last run."""

from __future__ import annotations

import logging
import threading

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone
from redis.exceptions import RedisClusterException

import ops.scheduler as scheduler_module
from lib.loops import liveness_stamp
from ops.scheduler import SCHEDULER_LOOP, evaluation_record, scheduler_run

pytestmark = pytest.mark.django_db


def test_the_loop_keeps_running_when_a_run_raises_anything(stack, monkeypatch, caplog):
    """A run fails inside (the state store's cluster client gives up) and then its
    failure cannot be recorded (the database is away too): neither ends the loop."""
    caplog.set_level(logging.INFO, logger="ops.scheduler")
    stop = threading.Event()
    recorded: list[str] = []
    real_record = scheduler_module.evaluation_record

    real_emit = scheduler_module.health_metrics_emit

    def store_down_for_three_runs(**kwargs):
        if len(recorded) < 3:
            raise RedisClusterException("Redis Cluster cannot be connected")
        return real_emit(**kwargs)

    def record(**kwargs):
        recorded.append(kwargs.get("error", ""))
        if len(recorded) <= 2:
            raise RuntimeError("database unavailable")
        if len(recorded) >= 5:
            stop.set()
        return real_record(**kwargs)

    monkeypatch.setattr(scheduler_module, "health_metrics_emit", store_down_for_three_runs)
    monkeypatch.setattr(scheduler_module, "evaluation_record", record)
    with override_settings(FRGM_ALARM_SOURCE="local"):
        scheduler_run(every_s=0.01, stop=stop)  # returns once five runs were tried

    assert len(recorded) == 5
    assert recorded[2].startswith("RedisClusterException")  # a failed run, recorded
    assert recorded[3:] == ["", ""]  # good runs again
    loop_lines = [
        r.getMessage()
        for r in caplog.records
        if r.levelno >= logging.WARNING and r.getMessage().startswith(SCHEDULER_LOOP)
    ]
    assert len(loop_lines) == 2, loop_lines  # the outage began, then ended: not once a run
    assert "RedisClusterException" in loop_lines[0]
    assert "recovered after" in loop_lines[1]


def test_the_health_check_fails_when_the_loop_is_dead_though_the_last_run_is_fresh(tmp_path):
    evaluation_record(at=timezone.now())
    with override_settings(FRGM_LIVENESS_DIR=str(tmp_path), FRGM_LIVENESS_STALE_S=30):
        with pytest.raises(CommandError, match=f"{SCHEDULER_LOOP}: never turned"):
            call_command("ops_scheduler", check=True)
        liveness_stamp(name=SCHEDULER_LOOP)  # what each turn of a live loop writes
        call_command("ops_scheduler", check=True)
