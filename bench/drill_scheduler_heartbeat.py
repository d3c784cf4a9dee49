"""Drill: freeze the ops scheduler and watch its external heartbeat stop, then resume.

    .venv/bin/python -m bench.drill_scheduler_heartbeat [--every 1] [--freeze 10]

Starts the local stand-ins on free ports (``devstack.standins``: the state store
as a one-node Redis cluster, messaging Redis, moto for AWS; SQLite for the
database) in a temporary directory, a local listener standing in for
healthchecks.io, and ``manage.py ops_scheduler`` (the Procfile's ``scheduler``)
with ``FRGM_HEARTBEAT_URL`` pointing at the listener. After a few beats it
SIGSTOPs the scheduler for ``--freeze`` seconds (a hung process: its task still
"runs", so only the heartbeat notices), SIGCONTs it and times the next beat.
Prints each beat's time, the gaps and the verdict; exit 1 when beats did not
stop while frozen or did not come back within two intervals of the SIGCONT.
Loopback only; everything it started is stopped.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from devstack.standins import Stack, stack_start

ROOT = Path(__file__).resolve().parents[1]
PING_PATH = "/ping/drill-check"  # a healthchecks.io check's /ping/<uuid>


class Listener:
    """The external monitor's stand-in: the wall-clock time of each ping."""

    def __init__(self) -> None:
        self.beats: list[float] = []
        self.changed = threading.Condition()
        beats, changed = self.beats, self.changed

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == PING_PATH:
                    with changed:
                        beats.append(time.time())
                        changed.notify_all()
                self.send_response(200 if self.path == PING_PATH else 404)
                self.end_headers()
                self.wfile.write(b"OK")

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}{PING_PATH}"

    def wait_for(self, count: int, within_s: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: len(self.beats) >= count, timeout=within_s)


def _at(t: float) -> str:
    return datetime.fromtimestamp(t, UTC).strftime("%H:%M:%S.%f")[:-3]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=float, default=1.0, help="FRGM_ALARM_EVALUATE_EVERY_S")
    parser.add_argument("--freeze", type=float, default=10.0, help="seconds SIGSTOPped")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="frgm-heartbeat-drill-"))
    stack: Stack | None = None
    scheduler: subprocess.Popen[bytes] | None = None
    listener = Listener()
    try:
        stack = stack_start(work / "stack")
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))},
            **stack.environment(),
            "DATABASE_URL": f"sqlite:///{work / 'drill.sqlite3'}",
            "FRGM_RUN_DIR": str(work),
            "FRGM_LIVENESS_DIR": str(work / "liveness"),
            "FRGM_ALARM_EVALUATE_EVERY_S": str(args.every),
            "FRGM_HEARTBEAT_URL": listener.url,
            "FRGM_HEARTBEAT_TIMEOUT_S": "2",
        }
        manage = [sys.executable, str(ROOT / "manage.py")]
        for command in (["migrate", "--noinput", "-v", "0"], ["bootstrap_local"]):
            subprocess.run([*manage, *command], env=env, cwd=ROOT, check=True, capture_output=True)
        log_path = work / "scheduler.log"
        with log_path.open("wb") as log:
            scheduler = subprocess.Popen(
                [*manage, "ops_scheduler"], env=env, cwd=ROOT, stdout=log, stderr=subprocess.STDOUT
            )
        if not listener.wait_for(5, within_s=60):
            print(log_path.read_text()[-3000:])
            raise SystemExit("the scheduler did not beat 5 times within 60 s")
        stopped_at = time.time()
        scheduler.send_signal(signal.SIGSTOP)
        before = len(listener.beats)
        time.sleep(args.freeze)  # the drill's frozen span itself, not a timing assert
        during = len(listener.beats) - before
        resumed_at = time.time()
        scheduler.send_signal(signal.SIGCONT)
        back = listener.wait_for(len(listener.beats) + 1, within_s=2 * args.every + 5)
        first_after = next((t for t in listener.beats if t >= resumed_at), None)
        listener.wait_for(len(listener.beats) + 3, within_s=4 * args.every + 5)
        scheduler.send_signal(signal.SIGTERM)
        scheduler.wait(timeout=20)
        secret_logged = listener.url in log_path.read_text()
    finally:
        if scheduler is not None and scheduler.poll() is None:
            scheduler.send_signal(signal.SIGCONT)
            scheduler.kill()
        if stack is not None:
            stack.stop()
        listener.server.shutdown()

    beats = listener.beats
    print(f"heartbeat drill {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, a run every {args.every:g} s")
    print(f"{'beat':>4}  {'at (UTC)':<12}  gap (s)")
    for n, t in enumerate(beats):
        gap = f"{t - beats[n - 1]:.2f}" if n else ""
        mark = ""
        if n and beats[n - 1] < stopped_at <= t:
            mark = "  <- SIGSTOP at " + _at(stopped_at) + ", SIGCONT at " + _at(resumed_at)
        print(f"{n + 1:>4}  {_at(t):<12}  {gap:>7}{mark}")
    last_before = max((t for t in beats if t < stopped_at), default=None)
    print(f"beats while frozen ({args.freeze:g} s): {during}")
    if first_after is not None and last_before is not None:
        silence = first_after - last_before
        print(f"silence: {silence:.2f} s (the last beat before SIGSTOP to the first after)")
        print(f"first beat {first_after - resumed_at:.2f} s after SIGCONT")
    print(f"the URL in the scheduler's log: {'YES' if secret_logged else 'no'}")
    ok = during == 0 and back and first_after is not None and not secret_logged
    print("verdict:", "PASS" if ok else "FAIL")
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
