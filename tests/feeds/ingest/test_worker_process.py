"""The real worker process (`celery -A frgm_site worker`) ingests files by itself,
and a worker killed mid-batch loses nothing and duplicates nothing."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.conf import settings

from lib.redis_clients import state_store
from tests.feeds.ingest.conftest import history_count, latest_rows, sample

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.slow


@pytest.fixture
def start_worker(feed_queue, stack, tmp_path) -> Iterator[Callable[[], subprocess.Popen]]:
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))},
        "FRGM_ENV": "local",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'worker.sqlite3'}",
        "FRGM_STATE_REDIS_URL": stack.state_url,
        "FRGM_MESSAGING_REDIS_URL": stack.messaging_url,
        "AWS_ENDPOINT_URL": stack.aws_url,
        "FRGM_FEED_BUCKET": settings.FRGM_FEED_BUCKET,
        "FRGM_FEED_QUEUE": settings.FRGM_FEED_QUEUE,
        "FRGM_FEED_DLQ": settings.FRGM_FEED_DLQ,
        "FRGM_HISTORY_TABLE": settings.FRGM_HISTORY_TABLE,
        "FRGM_CONSUMER_WAIT_S": "1",
        "FRGM_CONSUMER_VISIBILITY_S": "3",
        "FRGM_EMF": "0",
    }
    subprocess.run(
        [sys.executable, "manage.py", "migrate", "-v", "0"],
        env=env,
        cwd=ROOT,
        check=True,
        timeout=120,
    )
    started: list[subprocess.Popen] = []

    def start() -> subprocess.Popen:
        log = (tmp_path / f"worker{len(started)}.log").open("wb")
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "frgm_site",
                "worker",
                "--pool",
                "solo",
                "--loglevel",
                "INFO",
                "--without-mingle",
                "--without-gossip",
            ],
            env=env,
            cwd=ROOT,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append(process)
        return process

    yield start
    for process in started:
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


def _wait_for(condition: Callable[[], bool], timeout_s: float) -> bool:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.05)
    return False


def _done_count(feed: str) -> int:
    return int(state_store().hget(f"frgm:{{{feed}}}:health", "files_total") or 0)


def test_the_worker_process_alone_ingests_both_feeds(feed_queue, start_worker):
    start_worker()
    feed_queue.put(
        "actant/spot-risk/2025-07-21/bav_analysis_20250721_203007.csv",
        sample("actant/bav_analysis_20250721_203007.csv"),
    )
    feed_queue.put(
        "tt/positions/2025-07-21/positions_20250721_203008.json",
        sample("tt/positions_response.json"),
    )
    assert _wait_for(lambda: _done_count("spot-risk") and _done_count("tt-positions"), 30)
    assert "XCME.ZN.SEP25" in latest_rows("spot-risk")
    assert history_count("tt-positions", "2025-07-21") == 1
    assert _wait_for(lambda: feed_queue.depth() == 0, 10)


def _positions(net: int) -> bytes:
    body = json.loads(sample("tt/positions_response.json"))
    body["positions"][0]["netPosition"] = float(net)
    return json.dumps(body).encode()


def test_a_worker_killed_mid_batch_loses_and_repeats_nothing(feed_queue, start_worker):
    files = 30
    for second in range(files):
        feed_queue.put(
            f"tt/positions/2025-07-21/positions_20250721_2031{second:02d}.json",
            _positions(200 + second),
        )
    worker = start_worker()
    assert _wait_for(lambda: _done_count("tt-positions") >= 3, 30)
    worker.send_signal(signal.SIGKILL)
    worker.wait(timeout=10)
    killed_at = _done_count("tt-positions")
    assert killed_at < files, "the worker finished before it could be killed mid-batch"
    start_worker()
    assert _wait_for(lambda: history_count("tt-positions", "2025-07-21") == files, 60)
    assert _wait_for(lambda: feed_queue.depth() == 0, 30)
    assert history_count("tt-positions", "2025-07-21") == files  # each file exactly once
    assert history_count("tt-positions", "2025-07-21", metrics=True) == files
    [position] = latest_rows("tt-positions").values()
    assert position["net_position"] == 200 + files - 1  # the newest file wins
    assert feed_queue.depth(feed_queue.dlq_url) == 0
