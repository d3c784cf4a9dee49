"""`make run` (python -m devstack) outlives a kill -9 of its worker: the worker
comes back, /readyz counts the restart, and the stand-ins keep what they hold."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path

import boto3
import pytest
import redis

from devstack.processes import free_port, port_is_free

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.slow


def _wait_for(what: str, check: Callable[[], object], timeout_s: float, log: Path) -> object:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        try:
            value = check()
        except (OSError, ValueError, KeyError):
            value = None
        if value:
            return value
        time.sleep(0.2)
    raise AssertionError(f"timed out waiting for {what}; make run said:\n{log.read_text()[-4000:]}")


def _readyz(port: int) -> dict[str, object]:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/readyz", timeout=5) as reply:
            return json.loads(reply.read())
    except urllib.error.HTTPError as exc:  # 503 while a dependency is still coming up
        return json.loads(exc.read())


def _make_run_start(
    tmp_path: Path, **extra: str
) -> tuple[subprocess.Popen[bytes], dict[str, int], Path]:
    ports = {name: free_port() for name in ("web", "state", "messaging", "aws")}
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_", "AWS_"))}
    env = {
        **clean,
        "FRGM_RUN_DIR": str(tmp_path / "run"),
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "FRGM_PORT": str(ports["web"]),
        "FRGM_STATE_REDIS_URL": f"redis://127.0.0.1:{ports['state']}/0",
        "FRGM_MESSAGING_REDIS_URL": f"redis://127.0.0.1:{ports['messaging']}/0",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{ports['aws']}",
        "FRGM_SIMULATE": "0",
        "FRGM_ROLE_PASSWORD": "make-run-test-password-1",
        **extra,
    }
    log = tmp_path / "make-run.log"
    with log.open("wb") as out:
        stack = subprocess.Popen(
            [sys.executable, "-m", "devstack"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # our SIGINT below stands for the terminal's Ctrl-C
        )
    return stack, ports, log


def _make_run_stop(stack: subprocess.Popen[bytes]) -> None:
    if stack.poll() is None:
        stack.send_signal(signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
            stack.wait()


@pytest.fixture
def make_run(tmp_path: Path) -> Iterator[tuple[subprocess.Popen[bytes], dict[str, int], Path]]:
    stack, ports, log = _make_run_start(tmp_path)
    try:
        yield stack, ports, log
    finally:
        _make_run_stop(stack)


def test_a_killed_worker_comes_back_and_the_stand_ins_keep_their_data(make_run, tmp_path) -> None:
    stack, ports, log = make_run
    _wait_for("the web server", lambda: "FRGM Live is up" in log.read_text(), 240, log)
    state_file = tmp_path / "run" / "processes.json"
    _wait_for("the supervisor's state", state_file.exists, 10, log)
    assert _readyz(ports["web"])["restarts"] == {"web": 0, "worker": 0, "scheduler": 0}

    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{ports['aws']}",
        aws_access_key_id="local",
        aws_secret_access_key="local",
        region_name="us-east-1",
    )
    s3.put_object(Bucket="frgm-feed-local", Key="archive/kept.txt", Body=b"still here")
    worker = json.loads(state_file.read_text())["processes"]["worker"]["pid"]
    os.kill(worker, signal.SIGKILL)

    _wait_for(
        "the restart on /readyz",
        lambda: _readyz(ports["web"])["restarts"]["worker"] == 1,
        60,
        log,
    )
    assert stack.poll() is None, "the stack stopped"
    assert "worker stopped (killed by SIGKILL); starting it again in" in log.read_text()
    # The stand-ins never went down: the archive and the state store still answer.
    body = s3.get_object(Bucket="frgm-feed-local", Key="archive/kept.txt")["Body"].read()
    assert body == b"still here"
    assert redis.Redis(port=ports["state"]).ping()
    new_worker = json.loads(state_file.read_text())["processes"]["worker"]["pid"]
    assert new_worker != worker

    # Ctrl-C still stops everything.
    stack.send_signal(signal.SIGINT)
    # Bounded: 20 s for the processes, 5 s a stand-in (devstack), with room for a busy CI.
    _wait_for("Ctrl-C to stop everything", lambda: stack.poll() is not None, 90, log)
    assert stack.returncode == 0
    for port in ports.values():
        assert port_is_free(port), f"something still listens on {port}"


def test_a_process_that_keeps_dying_stops_the_whole_stack_with_the_reason(tmp_path) -> None:
    sleeper = f'{sys.executable} -c "import time; time.sleep(600)"'
    procfile = tmp_path / "Procfile"
    procfile.write_text(
        f"web: {sleeper}\n"
        f"worker: {sys.executable} -c \"import sys; sys.exit('worker: cannot reach the broker')\"\n"
        f"scheduler: {sleeper}\n"
    )
    stack, ports, log = _make_run_start(
        tmp_path, FRGM_PROCFILE=str(procfile), FRGM_RESTART_BACKOFF_S="0.1"
    )
    try:
        # 6 exits with pauses of 0.1, 0.2, 0.4, 0.8 and 1.6 s between them (by default
        # 1, 2, 4, 8 and 15 s: the same doubling, which a test need not sit through).
        code = stack.wait(timeout=180)
    finally:
        _make_run_stop(stack)
    said = log.read_text()
    assert code == 1, said
    assert said.count("worker: cannot reach the broker") == 6
    assert "make run: worker exited 6 times within 60 s (last: exit code 1)" in said
    pauses = re.findall(r"worker stopped \(exit code 1\); starting it again in ([0-9.]+) s", said)
    assert pauses == ["0.1", "0.2", "0.4", "0.8", "1.6"]
    # Everything went: the other processes and the stand-ins.
    for port in ports.values():
        assert port_is_free(port), f"something still listens on {port}"
