"""Drill: stop the state store for 20 s under a real ``make run`` stack.

    .venv/bin/python -m bench.drill_state_store [--outage 20] [--port 8600]

Starts ``python -m devstack`` (the whole product, simulator on) in a run
directory of its own and on ports of its own, logs in as trader and on-call,
then SIGTERMs the state store's ``redis-server`` and asks every page and API
call every second for ``--outage`` seconds: any 500 fails the drill. It starts
the server again with the same command line (its data: appendonly), puts a new
positions file with ``manage.py feed_put`` and times until on-call's feed page
lists it (target: 15 s, nobody restarting anything). Prints a table; exit 1
when a target is missed. Loopback only; everything it started is stopped.
"""

from __future__ import annotations

import argparse
import http.cookiejar
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from devstack.__main__ import STATE_STORE_MAXMEMORY
from devstack.processes import Server, redis_start

ROOT = Path(__file__).resolve().parents[1]
PAGES = ("/ladder/", "/ladder/spot-risk/", "/ladder/analytics/", "/ops/", "/ops/intake/")
API = ("/api/ladder/", "/api/spot-risk/")
PASSWORD = "drill-" + "p4ssw0rd-" * 2
RECOVERY_TARGET_S = 15.0
POSITIONS = ROOT / "tests" / "samples" / "tt" / "positions_response.json"


class Browser:
    """A logged-in session (cookies, CSRF) against the drill's web process."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as answer:
                return answer.status, answer.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
        except OSError as exc:
            return 0, str(exc)

    def login(self, username: str) -> None:
        _, page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        if token is None:
            raise SystemExit("no login form: is the web process up?")
        data = urllib.parse.urlencode(
            {"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token[1]}
        ).encode()
        request = urllib.request.Request(  # noqa: S310 - the drill's own loopback server
            self.base + "/accounts/login/", data=data, headers={"Referer": self.base + "/"}
        )
        with self.opener.open(request, timeout=10) as answer:
            if "/accounts/login/" in answer.url:
                raise SystemExit(f"login as {username} failed")


def _wait(check: Callable[[], bool], within_s: float, what: str) -> float:
    start = time.monotonic()
    while time.monotonic() - start < within_s:
        if check():
            return time.monotonic() - start
        time.sleep(0.25)
    raise SystemExit(f"{what} did not happen within {within_s:.0f} s")


def _state_server_pid(port: int) -> int:
    """The redis-server listening on ``port`` (its title names the port)."""
    found = subprocess.run(
        ["pgrep", "-f", f"redis-server.*:{port}"], capture_output=True, text=True
    )
    pids = found.stdout.split()
    if not pids:
        raise SystemExit(f"no redis-server on port {port}")
    return int(pids[0])


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--outage", type=float, default=20.0)
    parser.add_argument("--port", type=int, default=8600)
    args = parser.parse_args()
    run_dir = Path(tempfile.mkdtemp(prefix="frgm-drill-"))
    base_port = args.port
    env = {
        **os.environ,
        "FRGM_RUN_DIR": str(run_dir),
        "FRGM_PORT": str(base_port),
        "FRGM_STATE_REDIS_URL": f"redis://127.0.0.1:{base_port + 1}/0",
        "FRGM_MESSAGING_REDIS_URL": f"redis://127.0.0.1:{base_port + 2}/0",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{base_port + 3}",
        "FRGM_ROLE_PASSWORD": PASSWORD,
        "DATABASE_URL": f"sqlite:///{run_dir / 'db.sqlite3'}",
    }
    log = (run_dir / "devstack.log").open("wb")
    stack = subprocess.Popen(
        [sys.executable, "-m", "devstack"], cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
        start_new_session=True,
    )  # fmt: skip
    base = f"http://127.0.0.1:{base_port}"
    restarted: Server | None = None
    try:
        trader, oncall = Browser(base), Browser(base)
        _wait(lambda: trader.get("/healthz")[0] == 200, 120, "the web process answering")
        trader.login("trader")
        oncall.login("oncall")
        _wait(lambda: trader.get("/api/spot-risk/")[0] == 200, 60, "simulated spot risk")
        pid = _state_server_pid(base_port + 1)

        os.kill(pid, signal.SIGTERM)
        down_at = time.monotonic()
        seen: dict[str, dict[int, int]] = {}
        while time.monotonic() - down_at < args.outage:
            for path in PAGES:
                status, _ = (oncall if path.startswith("/ops/") else trader).get(path)
                seen.setdefault(path, {}).setdefault(status, 0)
                seen[path][status] += 1
            for path in API:
                status, _ = trader.get(path)
                seen.setdefault(path, {}).setdefault(status, 0)
                seen[path][status] += 1
            time.sleep(1.0)
        # The same server again, as devstack starts it (same data directory: appendonly).
        restarted = redis_start(
            name="state store (one-node cluster)",
            port=base_port + 1,
            data_dir=run_dir / "state-redis",
            cluster=True,
            durable=True,
            maxmemory=STATE_STORE_MAXMEMORY,
        )
        back_at = time.monotonic()

        stamp = datetime.now(UTC).strftime("%Y%m%d_%H%M%S")
        day = datetime.now(UTC).date().isoformat()
        key = f"tt/positions/{day}/positions_{stamp}.json"
        subprocess.run(
            [sys.executable, "manage.py", "feed_put", str(POSITIONS), "--key", key],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )  # fmt: skip
        put_at = time.monotonic()
        served_s = _wait(
            lambda: Path(key).name in oncall.get("/ops/feeds/tt-positions/")[1],
            60,
            "the file put after the outage on the ops feed page",
        )
    finally:
        if restarted is not None:
            restarted.stop()
        os.killpg(stack.pid, signal.SIGINT)
        try:
            stack.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(stack.pid, signal.SIGKILL)
        log.close()

    errors = {p: s for p, s in seen.items() if any(code >= 500 and code != 503 for code in s)}
    print(f"state-store outage drill, {args.outage:.0f} s, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    print(f"{'page or call':<22} answers during the outage (status x count)")
    for path, statuses in seen.items():
        shown = ", ".join(f"{code}x{n}" for code, n in sorted(statuses.items()))
        print(f"{path:<22} {shown}")
    print(f"store back after {back_at - down_at:.1f} s; file put {put_at - back_at:.1f} s later")
    print(f"file served on the ops page {served_s:.1f} s after its PUT "
          f"(target {RECOVERY_TARGET_S:.0f} s)")  # fmt: skip
    api_ok = all(set(seen[p]) <= {200, 503} for p in API)
    ok = not errors and api_ok and served_s <= RECOVERY_TARGET_S
    print("verdict:", "met" if ok else "NOT met")
    shutil.rmtree(run_dir, ignore_errors=True)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
