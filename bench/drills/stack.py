"""What every drill shares: a private ``make run`` stack, logged-in sessions,
the stand-ins' processes, the drill's own feed files, and the results table.

A drill starts ``python -m devstack`` (the product as ``make run`` runs it,
simulator on) in a run directory and on ports of its own, on loopback only,
and stops everything it started, also when it fails.
"""

from __future__ import annotations

import contextlib
import http.cookiejar
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3

from devstack.processes import (
    Server,
    free_port,
    local_aws_environment,
    messaging_start,
    port_is_free,
    state_store_start,
)
from feeds.feed_keys import positions_key

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "drill-" + "p4ssw0rd-" * 2
RTO_TARGET_S = 15.0
RPO_TARGET_S = 3.0
POSITIONS = ROOT / "tests" / "samples" / "tt" / "positions_response.json"
BUCKET = "frgm-feed-local"
HISTORY_TABLE = "frgm-history"


class Browser:
    """A logged-in session (cookies, CSRF) against the drill's web process."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar))

    def get(self, path: str) -> tuple[int, str]:
        try:
            with self.opener.open(self.base + path, timeout=10) as answer:
                return answer.status, answer.read().decode(errors="replace")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode(errors="replace")
        except OSError as exc:
            return 0, str(exc)

    def cookie_header(self) -> str:
        return "; ".join(f"{c.name}={c.value}" for c in self.jar)

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


def wait_for(check: Callable[[], bool], *, within_s: float, every_s: float = 0.25) -> float | None:
    """Seconds until ``check()`` is true, or None when it is not within ``within_s``."""
    start = time.monotonic()
    while time.monotonic() - start < within_s:
        if check():
            return time.monotonic() - start
        time.sleep(every_s)
    return None


def wait_or_exit(check: Callable[[], bool], *, within_s: float, what: str) -> float:
    waited = wait_for(check, within_s=within_s)
    if waited is None:
        raise SystemExit(f"{what} did not happen within {within_s:.0f} s")
    return waited


def redis_pid(port: int) -> int:
    """The redis-server listening on ``port`` (its title names the port)."""
    found = subprocess.run(
        ["pgrep", "-f", f"redis-server.*:{port}"], capture_output=True, text=True, check=False
    )
    pids = found.stdout.split()
    if not pids:
        raise SystemExit(f"no redis-server on port {port}")
    return int(pids[0])


@dataclass
class Stack:
    """One running ``python -m devstack`` and what the drill started beside it."""

    run_dir: Path
    port: int
    env: dict[str, str]
    process: subprocess.Popen[bytes] | None = None
    extra: list[Server] = field(default_factory=list)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def state_port(self) -> int:
        return self.port + 1

    @property
    def messaging_port(self) -> int:
        return self.port + 2

    @property
    def aws_endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port + 3}"

    def browser(self, username: str) -> Browser:
        session = Browser(self.base)
        session.login(username)
        return session

    def processes(self) -> dict[str, Any]:
        """The supervisor's view: pid, restarts, last exit per Procfile process."""
        with contextlib.suppress(OSError, ValueError):
            state = json.loads((self.run_dir / "processes.json").read_text())
            return dict(state["processes"])
        return {}

    def state_store_start(self) -> Server:
        """The state store again, as devstack starts it (same data: appendonly)."""
        server = state_store_start(port=self.state_port, run_dir=self.run_dir)
        self.extra.append(server)
        return server

    def messaging_start(self) -> Server:
        """The messaging Redis again, as devstack starts it (not durable)."""
        server = messaging_start(port=self.messaging_port, run_dir=self.run_dir)
        self.extra.append(server)
        return server

    def aws(self, service: str) -> Any:
        local = local_aws_environment(self.aws_endpoint)
        return boto3.client(
            service,
            endpoint_url=local["AWS_ENDPOINT_URL"],
            region_name=local["AWS_DEFAULT_REGION"],
            aws_access_key_id=local["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=local["AWS_SECRET_ACCESS_KEY"],
        )

    def stop(self) -> None:
        """The stack first (web and worker before the servers), then what the drill restarted."""
        if self.process is not None and self.process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                # SIGTERM: devstack stops in order on it; SIGINT is ignored under nohup.
                self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)
                self._servers_kill()
        for server in self.extra:
            server.stop()

    def _servers_kill(self) -> None:
        """devstack killed outright leaves its servers (sessions of their own): ours, by port."""
        patterns = (
            f"redis-server 127.0.0.1:{self.state_port}",
            f"redis-server 127.0.0.1:{self.messaging_port}",
            f"moto.server -H 127.0.0.1 -p {self.port + 3}",
        )
        for pattern in patterns:
            found = subprocess.run(
                ["pgrep", "-f", pattern], capture_output=True, text=True, check=False
            )
            for pid in found.stdout.split():
                with contextlib.suppress(ProcessLookupError):
                    os.kill(int(pid), signal.SIGKILL)


def stack_port() -> int:
    """A free port with the three after it free too: ``stack_running`` takes the web
    port and the next three (state store, messaging Redis, moto)."""
    for _ in range(50):
        port = free_port()
        if port < 65530 and all(port_is_free(port + i) for i in range(4)):
            return port
    raise RuntimeError("no four consecutive free ports")


@contextlib.contextmanager
def stack_running(*, port: int) -> Iterator[Stack]:
    """A whole stack on ``port`` (web) and the three ports after it; stopped on exit."""
    run_dir = Path(tempfile.mkdtemp(prefix="frgm-drill-"))
    env = {
        **os.environ,
        "FRGM_RUN_DIR": str(run_dir),
        "FRGM_PORT": str(port),
        "FRGM_STATE_REDIS_URL": f"redis://127.0.0.1:{port + 1}/0",
        "FRGM_MESSAGING_REDIS_URL": f"redis://127.0.0.1:{port + 2}/0",
        "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port + 3}",
        "FRGM_ROLE_PASSWORD": PASSWORD,
        "DATABASE_URL": f"sqlite:///{run_dir / 'db.sqlite3'}",
    }
    stack = Stack(run_dir=run_dir, port=port, env=env)
    keep = bool(os.environ.get("FRGM_DRILL_KEEP_RUN_DIR"))
    with (run_dir / "devstack.log").open("wb") as log:
        try:
            stack.process = subprocess.Popen(
                [sys.executable, "-m", "devstack"], cwd=ROOT, env=env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )  # fmt: skip
            probe = Browser(stack.base)
            wait_or_exit(
                lambda: probe.get("/healthz")[0] == 200, within_s=180, what="the web process"
            )
            yield stack
        except BaseException:
            keep = True  # its devstack.log says what went wrong
            raise
        finally:
            stack.stop()
            if keep:
                print(f"run directory kept: {run_dir}", file=sys.stderr)
            else:
                shutil.rmtree(run_dir, ignore_errors=True)


# --- the drill's own files ---------------------------------------------------


def drill_key(base: datetime, n: int) -> str:
    """The ``n``-th positions key of a drill that started at ``base``: FEEDS.md's name,
    one second apart (the pipeline takes only ``positions_YYYYMMDD_HHMMSS.json``).

    The simulator may put a file under the same key: files are told apart by the
    S3 version each put returns."""
    return positions_key(moment=base + timedelta(seconds=n))


def drill_base() -> datetime:
    """Two minutes ahead (the pipeline accepts 5): the simulator, stamping its
    positions with the time now, reaches these names only after the drill."""
    return datetime.now(UTC).replace(microsecond=0) + timedelta(seconds=120)


def file_put(stack: Stack, key: str) -> str:
    """One positions file into the stack's bucket, as the feed server uploads it: its version."""
    reply = stack.aws("s3").put_object(
        Bucket=BUCKET, Key=key, Body=POSITIONS.read_bytes(), ContentType="application/json"
    )
    return str(reply.get("VersionId") or "")


def history_uploads(stack: Stack) -> Iterator[str]:
    """Each positions history snapshot's upload (``key#version``); metrics not counted."""
    pages = (
        stack.aws("dynamodb")
        .get_paginator("scan")
        .paginate(
            TableName=HISTORY_TABLE,
            FilterExpression="contains(sk, :feed)",
            ExpressionAttributeValues={":feed": {"S": "#tt/positions/"}},
            ProjectionExpression="pk, sk",
        )
    )
    for page in pages:
        for item in page.get("Items", []):
            if not item["pk"]["S"].startswith("metrics#"):
                yield item["sk"]["S"].split("#", 1)[1]  # the stamp first, then key#version


def history_counts(stack: Stack, uploads: set[str]) -> dict[str, int]:
    """History snapshots per upload (``key#version``) in ``uploads``."""
    return dict(Counter(upload for upload in history_uploads(stack) if upload in uploads))


def load_average() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


# --- results -------------------------------------------------------------------


@dataclass
class DrillResult:
    """What one drill measured: RTO (fault to a client served again), RPO (data lost)."""

    name: str
    rto_s: float | None  # None: not recovered within the drill's bound
    rpo_s: float | None
    notes: list[str] = field(default_factory=list)
    checks_ok: bool = True  # the drill's own checks (no 500, nothing applied twice)
    when: str = field(default_factory=lambda: f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC")
    load: str = field(default_factory=load_average)

    @property
    def ok(self) -> bool:
        return (
            self.checks_ok
            and self.rto_s is not None
            and self.rto_s <= RTO_TARGET_S
            and self.rpo_s is not None
            and self.rpo_s <= RPO_TARGET_S
        )


def _seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"


def results_table(results: list[DrillResult]) -> str:
    """One line per drill against RTO 15 s / RPO 3 s, then each drill's notes."""
    head = f"{'drill':<34} {'RTO':>8} {'RPO':>8}  verdict   when (load 1/5/15 min)"
    lines = [head, "-" * len(head)]
    for r in results:
        lines.append(
            f"{r.name:<34} {_seconds(r.rto_s):>8} {_seconds(r.rpo_s):>8}  "
            f"{'met' if r.ok else 'NOT met':<9} {r.when} ({r.load})"
        )
    lines.append(f"targets: RTO {RTO_TARGET_S:.0f} s, RPO {RPO_TARGET_S:.0f} s")
    for r in results:
        lines.append(f"\n{r.name}:")
        lines.extend(f"  {note}" for note in r.notes)
    return "\n".join(lines)


class SteadyPutter:
    """Puts ``files`` positions files of the drill's own, one every ``every_s``, in a thread."""

    def __init__(self, stack: Stack, *, files: int, every_s: float) -> None:
        self.stack, self.files, self.every_s = stack, files, every_s
        self.base = drill_base()
        self.put_at: dict[int, float] = {}
        self.uploads: dict[int, str] = {}  # n -> "key#version"
        self.errors: list[str] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        start = time.monotonic()
        for n in range(self.files):
            if self._stop.is_set():
                return
            try:
                key = drill_key(self.base, n)
                version = file_put(self.stack, key)
                self.put_at[n] = time.monotonic()
                self.uploads[n] = f"{key}#{version}"
            except Exception as exc:  # a put that failed is the drill's finding, not a crash
                self.errors.append(f"file {n}: {exc}")
            self._stop.wait(max(0.0, start + (n + 1) * self.every_s - time.monotonic()))

    def __enter__(self) -> SteadyPutter:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=15)

    def wait_put(self, count: int) -> None:
        wait_or_exit(lambda: len(self.put_at) >= count, within_s=120, what=f"{count} files put")

    def finish(self) -> None:
        self._thread.join(timeout=self.files * self.every_s + 60)

    def served_after(self, browser: Browser, first: int) -> Callable[[], bool]:
        """A check: a file numbered ``first`` or later is on on-call's feed page."""
        names = {drill_key(self.base, n).rsplit("/", 1)[1] for n in range(first, self.files)}

        def check() -> bool:
            page = browser.get("/ops/feeds/tt-positions/")[1]
            return any(name in page for name in names)

        return check


@dataclass
class FileCount:
    put: int
    lost: list[str]
    twice: list[str]
    settled_s: float | None  # from the count's start until every file put was in history
    items_per_key: list[int]

    def note(self) -> str:
        settled = (
            f"all in history {self.settled_s:.1f} s after the last put"
            if self.settled_s is not None
            else "NOT all in history 90 s after the last put"
        )
        return (
            f"files lost: {len(self.lost)} of {self.put}; applied twice: {len(self.twice)} "
            f"(history items per key: {self.items_per_key or '-'}); {settled}"
        )


def files_count(stack: Stack, putter: SteadyPutter, *, within_s: float = 90.0) -> FileCount:
    """Lost (no history item) and applied twice (more than one), once history settles."""
    keys = set(putter.uploads.values())
    settled_s = wait_for(
        lambda: len(history_counts(stack, keys)) >= len(keys), within_s=within_s, every_s=2.0
    )
    counts = history_counts(stack, keys)
    return FileCount(
        put=len(keys),
        lost=sorted(k for k in keys if counts.get(k, 0) == 0),
        twice=sorted(k for k, c in counts.items() if c > 1),
        settled_s=settled_s,
        items_per_key=sorted(set(counts.values())),
    )


def seconds(value: float | None) -> str:
    return "never" if value is None else f"{value:.1f} s"
