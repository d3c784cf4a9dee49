"""The worker container's health check (``manage.py worker_health``) passes while the
consumer's loops turn and fails when its poller is dead, so ECS replaces the worker
instead of leaving it looking ready."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from django.conf import settings
from django.test import override_settings

from feeds.sqs_consumer import WORKER_LOOPS, NotificationConsumer

ROOT = Path(__file__).resolve().parents[3]
STALE_S = 3


def _health(liveness_dir: Path) -> subprocess.CompletedProcess[str]:
    """The command as the container runs it: another process, its exit code."""
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))},
        "FRGM_ENV": "local",
        "FRGM_LIVENESS_DIR": str(liveness_dir),
        "FRGM_LIVENESS_STALE_S": str(STALE_S),
    }
    return subprocess.run(
        [sys.executable, "manage.py", "worker_health"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )


def _wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return False


# The dead poller's SystemExit is the point of the test, not a stray failure.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")
def test_the_health_check_fails_until_the_loops_turn_and_when_the_poller_dies(feed_queue, tmp_path):
    liveness = tmp_path / "liveness"
    assert _health(liveness).returncode == 1  # no consumer has turned here yet

    with override_settings(FRGM_LIVENESS_DIR=str(liveness)):
        consumer = NotificationConsumer(
            queue_name=settings.FRGM_FEED_QUEUE, in_flight=2, wait_s=1, visibility_s=2
        )
        consumer.start()
        try:
            # each loop turns within a second or so of the start: wait for every stamp
            # here, then ask the check once (each ask is a Django process of its own)
            assert _wait_for(lambda: all((liveness / n).exists() for n in WORKER_LOOPS), 20)
            running = _health(liveness)
            assert running.returncode == 0, running.stderr
            assert "sqs-poll: last turn" in running.stdout

            def die() -> int:
                raise SystemExit  # what no loop catches: the thread ends, the process stays

            consumer.poll_once = die  # type: ignore[method-assign]
            poller = next(t for t in consumer._threads if t.name == "sqs-poll")
            assert _wait_for(lambda: not poller.is_alive(), 10)
            time.sleep(STALE_S)  # the bound the check allows a silent loop
            dead = _health(liveness)
            assert dead.returncode == 1
            assert "sqs-poll" in dead.stderr
            assert "sqs-visibility" not in dead.stderr  # the others still turn
        finally:
            consumer.stop()
