"""The ladder and slide recomputes run in a process of their own (lib/compute_process.py):
off the web loop's GIL, with the caller's settings, replaced when it dies, gone
when its parent is."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.test import override_settings

from lib.compute_process import (
    compute_process_pid,
    compute_process_ready,
    compute_process_start,
    compute_run,
    settings_overridden,
)
from tests.lib.compute_targets import frozen_objects, refuse, setting_of, sleep_then_whoami, whoami

ROOT = Path(__file__).resolve().parents[2]


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a zombie still answers kill(0): read its state
    stat = Path(f"/proc/{pid}/stat")
    return stat.exists() and stat.read_text().split(") ", 1)[1][:1] != "Z"


async def _started() -> None:
    compute_process_start()
    assert await asyncio.to_thread(compute_process_ready, 60), "no compute process in 60 s"


@pytest.fixture
async def started_child() -> None:
    await _started()


@override_settings(FRGM_LIVE_COMPUTE_PROCESS=True)
async def test_until_the_child_is_up_recomputes_run_in_a_thread() -> None:
    """A socket's first snapshot never waits for the child's start (1-2 s, more when busy)."""
    from lib.compute_process import compute_process_stop

    compute_process_stop()
    assert await compute_run(whoami) == os.getpid()  # at once, the child still starting
    await _started()
    assert await compute_run(whoami) != os.getpid()


async def test_a_recompute_runs_in_another_process(started_child) -> None:
    child = await compute_run(whoami)
    assert child != os.getpid()
    assert await compute_run(whoami) == child, "one child, kept for the next recompute"
    assert compute_process_pid() == child


async def test_the_child_s_start_up_heap_is_out_of_the_collector_s_sight(started_child) -> None:
    """A full collection over Django's objects would stall some update's recompute."""
    assert await compute_run(frozen_objects) > 10_000  # Django and the apps, frozen


async def test_the_event_loop_runs_while_the_child_computes(started_child) -> None:
    """The point of the process: the loop is not held while a recompute runs."""
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        while True:
            await asyncio.sleep(0.01)
            ticks += 1

    ticker = asyncio.create_task(tick())
    await compute_run(sleep_then_whoami, seconds=0.3)
    ticker.cancel()
    assert ticks >= 15


@override_settings(FRGM_LIVE_COMPUTE_PROCESS=False)
async def test_switched_off_a_recompute_runs_in_a_thread_of_this_process() -> None:
    assert await compute_run(whoami) == os.getpid()


async def test_a_closure_runs_in_a_thread() -> None:
    """A function the child cannot import by name (a test's stand-in compute)."""
    assert await compute_run(lambda: os.getpid()) == os.getpid()


async def test_the_child_reads_the_settings_the_caller_overrode(started_child) -> None:
    with override_settings(FRGM_STATE_REDIS_URL="redis://127.0.0.1:1/0"):
        assert await compute_run(setting_of, name="FRGM_STATE_REDIS_URL") == (
            "redis://127.0.0.1:1/0"
        )
        with override_settings(FRGM_STATE_REDIS_URL="redis://127.0.0.1:2/0", FRGM_X_TEST=1):
            assert settings_overridden()["FRGM_STATE_REDIS_URL"] == "redis://127.0.0.1:2/0"
            assert await compute_run(setting_of, name="FRGM_STATE_REDIS_URL") == (
                "redis://127.0.0.1:2/0"
            )
            assert await compute_run(setting_of, name="FRGM_X_TEST") == 1
        assert await compute_run(setting_of, name="FRGM_X_TEST") == "<unset>"
        assert await compute_run(setting_of, name="FRGM_STATE_REDIS_URL") == (
            "redis://127.0.0.1:1/0"
        )


async def test_the_computes_errors_are_raised_to_the_caller(started_child) -> None:
    with pytest.raises(LookupError, match="no such instrument"):
        await compute_run(refuse, message="no such instrument")
    assert await compute_run(whoami) != os.getpid(), "the child survives its compute's error"


async def test_a_killed_child_is_replaced_and_no_recompute_is_lost(started_child) -> None:
    first = await compute_run(whoami)
    slow = asyncio.ensure_future(compute_run(sleep_then_whoami, seconds=2.0))
    await asyncio.sleep(0.3)
    os.kill(first, signal.SIGKILL)
    # the recompute in flight is answered (in a thread of this process) ...
    assert await asyncio.wait_for(slow, 10) == os.getpid()
    # ... and the next ones run in a new child (in a thread until it is up)
    await _started()
    second = await compute_run(whoami)
    assert second not in (first, os.getpid())


def test_the_child_exits_when_its_parent_is_killed() -> None:
    """A web process killed with -9 leaves no compute process behind."""
    script = (
        "import asyncio, django, os, sys, time\n"
        "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'frgm_site.settings')\n"
        "django.setup()\n"
        "from lib.compute_process import compute_run\n"
        "from tests.lib.compute_targets import whoami\n"
        "from lib.compute_process import compute_process_ready, compute_process_start\n"
        "compute_process_start()\n"
        "assert compute_process_ready(60)\n"
        "print(asyncio.run(compute_run(whoami)), flush=True)\n"
        "time.sleep(60)\n"
    )
    parent = subprocess.Popen(
        [sys.executable, "-c", script], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None
        child = int(parent.stdout.readline())
        assert _alive(child)
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), "the compute process outlived its parent"
    finally:
        parent.kill()


async def test_a_recompute_sent_as_the_child_is_stopped_still_answers(started_child) -> None:
    """The compute process replaced between taking it and sending to it (a settings
    change, a dead child found by another recompute): the call runs in a thread."""
    import lib.compute_process as compute_process

    pool = compute_process._pool_get()
    pool.shutdown(wait=False)  # what stopping it does, before this call sends
    assert await compute_run(whoami) == os.getpid()
    compute_process.compute_process_stop()
