"""Drill: processes that die under ``make run``: restarted, or the whole stack stops loudly.

Two faults on one stack, /readyz polled every 0.1 s throughout:

1. kill -9 the ops scheduler once. devstack's supervisor starts it again; /readyz
   must say 503 (``down: [scheduler]``) while it is dead, and 200 once it runs.
   RTO: from the kill until the scheduler's next good run (its external
   heartbeat, a local listener standing in for healthchecks.io, gets a ping).
2. kill -9 the worker each time it comes back, more often than the restart
   policy allows (5 in a minute). The supervisor must stop the whole stack with
   the reason, exit non-zero, and leave nothing answering: not the web (a web
   answering without a worker would look healthy), nor the stand-ins.

No file flows in this drill's faults (the scheduler holds no data; after the
crash loop nothing runs), so RPO is 0 by construction; the worker-kill drill
counts files through a single kill.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field

from bench.drill_scheduler_heartbeat import Listener
from bench.drills.stack import Browser, DrillResult, Stack, seconds, stack_running, wait_for

NAME = "scheduler kill -9; worker crash loop"


@dataclass
class ReadyzWatch:
    """/readyz every 0.1 s in a thread: (time, status, processes down)."""

    browser: Browser
    seen: list[tuple[float, int, tuple[str, ...]]] = field(default_factory=list)
    _stop: threading.Event = field(default_factory=threading.Event)

    def _run(self) -> None:
        while not self._stop.is_set():
            status, body = self.browser.get("/readyz")
            down: tuple[str, ...] = ()
            with contextlib.suppress(ValueError, TypeError):
                down = tuple(json.loads(body).get("down", ()))
            self.seen.append((time.monotonic(), status, down))
            self._stop.wait(0.1)

    def __enter__(self) -> ReadyzWatch:
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def between(self, start: float, end: float) -> list[tuple[float, int, tuple[str, ...]]]:
        return [s for s in self.seen if start <= s[0] <= end]


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    """Variables the drill's stack inherits (stack_running copies os.environ)."""
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


def _answers(port: int) -> bool:
    with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.5):
        return True
    return False


def _pid(stack: Stack, name: str) -> int | None:
    pid = stack.processes().get(name, {}).get("pid")
    return int(pid) if pid else None


@dataclass
class Outcome:
    notes: list[str]
    ok: bool
    rto_s: float | None = None


def _dead_but_ready(
    watch: ReadyzWatch, died_at: float, back_s: float | None
) -> list[tuple[float, int, tuple[str, ...]]]:
    """200 answers while the process was dead (a 0.3 s allowance for the state file)."""
    back_at = died_at + back_s if back_s is not None else time.monotonic()
    return [s for s in watch.between(died_at + 0.3, back_at - 0.3) if s[1] == 200]


def _scheduler_kill(stack: Stack, watch: ReadyzWatch, listener: Listener) -> Outcome:
    listener.wait_for(len(listener.beats) + 2, within_s=60)  # beating before the kill
    old = _pid(stack, "scheduler")
    if old is None:
        raise SystemExit("the supervisor names no scheduler")
    os.kill(old, signal.SIGKILL)
    killed_at, killed_wall = time.monotonic(), time.time()
    restarted_s = wait_for(lambda: _pid(stack, "scheduler") not in (None, old), within_s=60)
    beat_s = wait_for(lambda: any(t > killed_wall for t in listener.beats), within_s=60)
    ready = wait_for(lambda: bool(watch.seen) and watch.seen[-1][1] == 200, within_s=30)
    ready_s = None if ready is None else time.monotonic() - killed_at
    said_down = [
        s for s in watch.between(killed_at, time.monotonic()) if "scheduler" in s[2] and s[1] == 503
    ]
    fooled = _dead_but_ready(watch, killed_at, restarted_s)
    return Outcome(
        notes=[
            f"scheduler SIGKILLed: running again {seconds(restarted_s)} later; its next good run "
            f"(a heartbeat ping to the drill's listener) {seconds(beat_s)} after the kill",
            f"/readyz meanwhile: {len(said_down)} answers 503 naming the scheduler down; 200 "
            f"again {seconds(ready_s)} after the kill; 200 while it was dead: {len(fooled)}",
        ],
        ok=bool(said_down) and not fooled and beat_s is not None,
        rto_s=beat_s,
    )


def _worker_crash_loop(stack: Stack, watch: ReadyzWatch) -> Outcome:
    assert stack.process is not None
    kills: list[float] = []
    dead_spans: list[tuple[float, float | None]] = []
    deadline = time.monotonic() + 150
    while stack.process.poll() is None and time.monotonic() < deadline:
        pid = _pid(stack, "worker")
        if pid is None:
            time.sleep(0.05)
            continue
        with contextlib.suppress(ProcessLookupError):
            os.kill(pid, signal.SIGKILL)
        kills.append(time.monotonic())

        def replaced(old: int = pid) -> bool:
            assert stack.process is not None
            return stack.process.poll() is not None or _pid(stack, "worker") not in (None, old)

        back_s = wait_for(replaced, within_s=30, every_s=0.05)
        dead_spans.append((kills[-1], back_s))
    stopped_s = None if stack.process.poll() is None else time.monotonic() - kills[0]
    exit_code = stack.process.poll()
    time.sleep(1.0)  # the launcher's last stops
    log = (stack.run_dir / "devstack.log").read_text(errors="replace")
    reason = next((line for line in log.splitlines() if "Stopping everything" in line), "")
    ports = {
        "web": stack.port,
        "state store": stack.state_port,
        "messaging": stack.messaging_port,
        "moto": stack.port + 3,
    }
    answering = [name for name, port in ports.items() if _answers(port)]
    fooled = [s for start, back in dead_spans for s in _dead_but_ready(watch, start, back)]
    down_seen = sum(1 for s in watch.between(kills[0], time.monotonic()) if "worker" in s[2])
    gone = sum(1 for s in watch.between(kills[0], time.monotonic()) if s[1] == 0)
    return Outcome(
        notes=[
            f"worker SIGKILLed {len(kills)} times, each time it came back: devstack "
            + (
                f"stopped the whole stack {stopped_s:.1f} s after the first kill, exit code "
                f"{exit_code}, saying: {reason.strip()!r}"
                if stopped_s is not None
                else "DID NOT stop within 150 s"
            ),
            f"after it: answering on their ports: {', '.join(answering) or 'nothing'} "
            "(web, state store, messaging, moto all checked)",
            f"/readyz during the loop: {down_seen} answers 503 naming the worker down, "
            f"{len(fooled)} answers 200 while it was dead, then no answer at all ({gone} tries "
            "refused): never ready with a dead worker",
        ],
        ok=stopped_s is not None and exit_code == 1 and bool(reason) and not answering
        and not fooled,
    )  # fmt: skip


def drill_run(*, port: int = 8670) -> DrillResult:
    listener = Listener()
    with (
        _environ(FRGM_HEARTBEAT_URL=listener.url, FRGM_ALARM_EVALUATE_EVERY_S="2"),
        stack_running(port=port) as stack,
        ReadyzWatch(Browser(stack.base)) as watch,
    ):
        wait_for(lambda: bool(watch.seen) and watch.seen[-1][1] == 200, within_s=90)
        scheduler = _scheduler_kill(stack, watch, listener)
        loop = _worker_crash_loop(stack, watch)
    listener.server.shutdown()
    return DrillResult(
        name=NAME,
        rto_s=scheduler.rto_s,
        rpo_s=0.0,
        notes=[*scheduler.notes, *loop.notes],
        checks_ok=scheduler.ok and loop.ok,
    )
