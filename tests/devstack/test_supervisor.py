"""Under `make run` a process that dies is started again; one that keeps dying
stops the stack with the reason (devstack.supervisor, with cheap commands)."""

from __future__ import annotations

import io
import json
import os
import re
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from devstack.supervisor import ProcessKeepsDying, RestartPolicy, Supervisor, procfile_read

SLEEPER = f'{sys.executable} -c "import time; time.sleep(600)"'
CRASHER = f"{sys.executable} -c \"import sys; sys.exit('cannot start')\""
FAST = RestartPolicy(max_restarts=2, window_s=60, backoff_first_s=0.05, backoff_max_s=0.2)


def _wait_for(what: str, check: Callable[[], object], timeout_s: float = 20) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def _state(path: Path) -> dict[str, dict[str, object]]:
    try:
        return json.loads(path.read_text())["processes"]
    except (OSError, ValueError):
        return {}


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for a parent to reap it."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


@pytest.fixture
def supervised(tmp_path: Path) -> Iterator[tuple[Supervisor, Path, io.StringIO]]:
    """A sleeper and a bystander under a supervisor running in a thread."""
    out = io.StringIO()
    state_file = tmp_path / "processes.json"
    supervisor = Supervisor(
        {"sleeper": SLEEPER, "bystander": SLEEPER},
        env=dict(os.environ),
        cwd=tmp_path,
        state_file=state_file,
        policy=FAST,
        out=out,
    )
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    try:
        yield supervisor, state_file, out
    finally:
        supervisor.stop(timeout_s=5)
        thread.join(timeout=5)


def test_a_killed_process_is_started_again_and_counted(supervised) -> None:
    _, state_file, out = supervised
    first = _wait_for("both running", lambda: len(_state(state_file)) == 2 and _state(state_file))
    pid = first["sleeper"]["pid"]
    bystander = first["bystander"]["pid"]
    os.kill(pid, signal.SIGKILL)
    again = _wait_for(
        "the sleeper started again",
        lambda: (
            _state(state_file)["sleeper"]["restarts"] == 1
            and _state(state_file)["sleeper"]["running"]
            and _state(state_file)
        ),
    )
    assert again["sleeper"]["pid"] != pid
    assert _alive(again["sleeper"]["pid"])
    # The other process was left alone.
    assert again["bystander"] == first["bystander"]
    assert _alive(bystander)
    assert "sleeper stopped (killed by SIGKILL); starting it again in" in out.getvalue()


def test_a_process_that_keeps_dying_stops_everything_with_the_reason(tmp_path: Path) -> None:
    out = io.StringIO()
    supervisor = Supervisor(
        {"crasher": CRASHER, "bystander": SLEEPER},
        env=dict(os.environ),
        cwd=tmp_path,
        state_file=tmp_path / "processes.json",
        policy=FAST,
        out=out,
    )
    try:
        with pytest.raises(ProcessKeepsDying, match=r"crasher exited 3 times .*exit code 1"):
            supervisor.run()
        bystander = _state(tmp_path / "processes.json")["bystander"]["pid"]
    finally:
        supervisor.stop(timeout_s=5)
    assert not _alive(bystander)
    assert len(re.findall(r"crasher +\| cannot start", out.getvalue())) == 3
    assert not (tmp_path / "processes.json").exists()


def test_stop_ends_every_process_and_what_it_started(tmp_path: Path) -> None:
    # A shell that starts a child of its own: the child goes too.
    tree = f"sh -c '{SLEEPER} & echo child $!; wait'"
    out = io.StringIO()
    supervisor = Supervisor(
        {"tree": tree}, env=dict(os.environ), cwd=tmp_path, state_file=tmp_path / "p.json", out=out
    )
    thread = threading.Thread(target=supervisor.run, daemon=True)
    thread.start()
    line = _wait_for("the child's pid", lambda: "child " in out.getvalue() and out.getvalue())
    child = int(str(line).split("child ")[1].split()[0])
    assert _alive(child)
    supervisor.stop(timeout_s=5)
    thread.join(timeout=5)
    assert not thread.is_alive()
    _wait_for("the child gone", lambda: not _alive(child), timeout_s=5)


def test_the_procfile_names_every_process_make_run_starts() -> None:
    procfile = procfile_read(Path(__file__).resolve().parents[2] / "Procfile")
    assert set(procfile) == {"web", "worker", "scheduler", "simulator"}
    assert procfile["worker"].startswith("celery ")
