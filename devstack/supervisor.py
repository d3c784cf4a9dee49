"""Run the Procfile's processes and restart the one that dies.

honcho's manager stops every process when one exits, and ``make run`` then
stopped the stand-ins whose S3, SQS and DynamoDB live only in memory: a
kill -9 of the worker lost the archive and the history. Here a process that
exits is started again after a growing pause, with a line saying so and a
count per process in a small JSON file that /readyz shows. A process that
keeps dying (more than ``max_restarts`` exits within ``window_s``) stops the
whole stack, loudly, with the reason: restarting it forever would only hide
the traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TextIO


@dataclass(frozen=True)
class RestartPolicy:
    max_restarts: int = 5  # exits within window_s that are still restarted
    window_s: float = 60.0
    backoff_first_s: float = 1.0  # doubles with each exit in the window
    backoff_max_s: float = 15.0


@dataclass
class _Child:
    name: str
    command: str
    process: subprocess.Popen[bytes] | None = None
    restarts: int = 0
    exits: deque[float] = field(default_factory=deque)
    restart_at: float | None = None
    last_exit: str = ""


class ProcessKeepsDying(RuntimeError):
    """A process exited more often than the restart policy allows."""


def procfile_read(path: Path) -> dict[str, str]:
    """``name: command`` lines, in order; blank lines and ``#`` comments skipped."""
    commands: dict[str, str] = {}
    for line in path.read_text().splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, command = line.partition(":")
        if not sep or not name.strip() or not command.strip():
            raise ValueError(f"{path}: cannot read the line {line!r} (want 'name: command')")
        commands[name.strip()] = command.strip()
    return commands


def _exit_reason(code: int) -> str:
    if code < 0:
        with contextlib.suppress(ValueError):
            return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


class Supervisor:
    """Start ``commands`` (name -> shell command), keep them running, stop them all."""

    def __init__(
        self,
        commands: dict[str, str],
        *,
        env: dict[str, str],
        cwd: Path,
        state_file: Path,
        policy: RestartPolicy | None = None,
        out: TextIO | None = None,
    ) -> None:
        self._children = [_Child(name, command) for name, command in commands.items()]
        self._env = env
        self._cwd = cwd
        self._state_file = state_file
        self._policy = policy or RestartPolicy()
        self._out = out or sys.stdout
        self._out_lock = threading.Lock()
        self._width = max((len(name) for name in commands), default=0)
        self._pumps: list[threading.Thread] = []
        # stop() may come from another thread: nothing starts once it has begun.
        self._lock = threading.Lock()
        self._stopping = False

    def run(self) -> None:
        """Supervise until stop() or an interrupt; raises ProcessKeepsDying when a
        process exits more often than the policy allows."""
        with self._lock:
            for child in self._children:
                self._spawn(child)
            self._state_write()
        while not self._stopping:
            with self._lock:
                if self._stopping:
                    return
                self._tend(time.monotonic())
            time.sleep(0.1)

    def _tend(self, now: float) -> None:
        for child in self._children:
            if child.process is not None and child.process.poll() is not None:
                self._on_exit(child, now)
            elif child.process is None and child.restart_at is not None and now >= child.restart_at:
                child.restarts += 1
                self._spawn(child)
                self._state_write()

    def _on_exit(self, child: _Child, now: float) -> None:
        assert child.process is not None
        child.last_exit = _exit_reason(child.process.returncode)
        # What it left behind (a pool process, a shell's child) goes with it, so
        # the new one starts alone.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(child.process.pid, signal.SIGKILL)
        child.process = None
        child.exits.append(now)
        while child.exits and now - child.exits[0] > self._policy.window_s:
            child.exits.popleft()
        if len(child.exits) > self._policy.max_restarts:
            self._state_write()
            raise ProcessKeepsDying(
                f"{child.name} exited {len(child.exits)} times within "
                f"{self._policy.window_s:g} s (last: {child.last_exit}); its output is above"
            )
        delay = min(
            self._policy.backoff_first_s * 2 ** (len(child.exits) - 1), self._policy.backoff_max_s
        )
        child.restart_at = now + delay
        self.say(f"{child.name} stopped ({child.last_exit}); starting it again in {delay:g} s")
        self._state_write()

    def _spawn(self, child: _Child) -> None:
        # A session of its own: Ctrl-C reaches only the launcher, which stops the
        # processes in order; killpg reaches whatever the shell started.
        # The Procfile's lines are ours and need the shell ($FRGM_PORT).
        child.process = subprocess.Popen(  # noqa: S602
            # exec: the pid is the program's own, as a kill -9 drill expects (each
            # Procfile line is one program).
            f"exec {child.command}",
            shell=True,
            env=self._env,
            cwd=self._cwd,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,
        )
        child.restart_at = None
        pump = threading.Thread(
            target=self._pump, args=(child.name, child.process), daemon=True, name=child.name
        )
        pump.start()
        self._pumps.append(pump)

    def _pump(self, name: str, process: subprocess.Popen[bytes]) -> None:
        assert process.stdout is not None
        for raw in iter(process.stdout.readline, b""):
            self._line(name, raw.decode(errors="replace").rstrip("\n"))

    def _line(self, name: str, text: str) -> None:
        stamp = datetime.now().strftime("%H:%M:%S")  # noqa: DTZ005 - the reader's clock
        with self._out_lock:
            print(f"{stamp} {name:<{self._width}} | {text}", file=self._out, flush=True)

    def say(self, text: str) -> None:
        """A line of the supervisor's own, among the processes' lines."""
        self._line("devstack".ljust(self._width), text)

    def _state_write(self) -> None:
        state = {
            "updated": datetime.now(UTC).isoformat(timespec="seconds"),
            "processes": {
                child.name: {
                    "restarts": child.restarts,
                    "running": child.process is not None,
                    "pid": child.process.pid if child.process is not None else None,
                    "last_exit": child.last_exit,
                }
                for child in self._children
            },
        }
        self._state_file.parent.mkdir(parents=True, exist_ok=True)
        partial = self._state_file.with_suffix(".tmp")
        partial.write_text(json.dumps(state, indent=1))
        os.replace(partial, self._state_file)  # readers never see half a file

    def stop(self, timeout_s: float = 20.0) -> None:
        """SIGTERM every process group, wait, then SIGKILL what is left."""
        self._stopping = True
        with self._lock:
            self._stop_all(timeout_s)

    def _stop_all(self, timeout_s: float) -> None:
        running = [c.process for c in self._children if c.process is not None]
        for process in running:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout_s
        for process in running:
            try:
                process.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for child in self._children:
            child.process = None
            child.restart_at = None
        for pump in self._pumps:
            pump.join(timeout=2)  # the last lines of a stopping process still print
        with contextlib.suppress(OSError):
            self._state_file.unlink()
