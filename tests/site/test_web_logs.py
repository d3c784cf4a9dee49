"""uvicorn's own lines (one per request, start-up, errors) are in the app's format:
JSON in production, readable text locally, with no secret from the request.

The web command is started as the container starts it (``python -m
frgm_site.container web``), on a free port, and asked over real HTTP.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from devstack.processes import free_port
from tests.site.test_settings import PROD_ENV

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
SECRET = "s3cr3t-t0ken-value"


@dataclass
class Web:
    port: int
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def get(self, path: str, **headers: str) -> int:
        return self.ask(path, **headers)[0]

    def ask(self, path: str, **headers: str) -> tuple[int, dict[str, str]]:
        """(status, response headers with lower-case names)."""
        request = urllib.request.Request(f"http://127.0.0.1:{self.port}{path}", headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=5) as answer:  # noqa: S310
                return int(answer.status), {k.lower(): v for k, v in answer.headers.items()}
        except urllib.error.HTTPError as error:
            return int(error.code), {k.lower(): v for k, v in error.headers.items()}

    def stop(self) -> tuple[str, str]:
        """Stop the server (its last lines flushed) and return (stdout, stderr)."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.stdout.read_text(), self.stderr.read_text()


def _web_start(tmp_path: Path, env: dict[str, str]) -> Web:
    port = free_port()
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))}
    stdout, stderr = tmp_path / "web.out", tmp_path / "web.err"
    with stdout.open("wb") as out, stderr.open("wb") as err:
        process = subprocess.Popen(
            [sys.executable, "-m", "frgm_site.container", "web"],
            cwd=ROOT,
            env={**clean, **env, "FRGM_PORT": str(port)},
            stdout=out,
            stderr=err,
        )
    web = Web(port=port, process=process, stdout=stdout, stderr=stderr)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        assert process.poll() is None, web.stop()
        try:
            if web.get("/healthz") == 200:
                return web
        except OSError:
            time.sleep(0.2)
    web.stop()
    pytest.fail("the web command did not answer /healthz within 90 s")


@pytest.fixture
def production_web(tmp_path: Path) -> Iterator[Web]:
    env = {
        **PROD_ENV,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'db.sqlite3'}",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1",
        "FRGM_TRUSTED_PROXIES": "127.0.0.1/32",
    }
    web = _web_start(tmp_path, env)
    yield web
    web.stop()


def _json_lines(text: str) -> list[dict[str, object]]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


def test_production_access_lines_are_json_with_method_path_and_status(production_web) -> None:
    status = production_web.get(
        f"/healthz?token={SECRET}&view=ladder",
        Authorization=f"Bearer {SECRET}",
        Cookie=f"sessionid={SECRET}",
    )
    assert status == 200
    stdout, stderr = production_web.stop()
    # Every line on stdout is JSON: a text line would break CloudWatch's reading.
    access = [line for line in _json_lines(stdout) if line["logger"] == "uvicorn.access"]
    asked = [line for line in access if line["query"]]
    assert len(asked) == 1, stdout
    line = asked[0]
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert line["query"] == "token=[redacted]&view=ladder"
    assert line["level"] == "INFO"
    assert SECRET not in stdout + stderr


def test_production_server_lines_are_json_too(production_web) -> None:
    _, stderr = production_web.stop()
    lines = _json_lines(stderr)  # raises on any line that is not JSON
    messages = [line["message"] for line in lines if line["logger"] == "uvicorn.error"]
    assert any(str(m).startswith("Started server process") for m in messages), stderr
    assert any("Shutting down" in str(m) for m in messages), stderr


def test_local_access_lines_stay_readable_text(tmp_path: Path) -> None:
    web = _web_start(tmp_path, {"FRGM_ENV": "local", "DATABASE_URL": "sqlite:///:memory:"})
    try:
        assert web.get("/healthz?view=ladder") == 200
        # A static file, answered before Django: its line and answer carry an id too.
        status, static = web.ask("/static/plotly/plotly.min.js?v=1")
        assert status == 200
    finally:
        stdout, _ = web.stop()
    line = next(line for line in stdout.splitlines() if "view=ladder" in line)
    assert not line.startswith("{")
    assert re.search(r" uvicorn\.access \[[0-9a-f]{32}\] GET /healthz\?view=ladder 200$", line), (
        line
    )
    line = next(line for line in stdout.splitlines() if "v=1" in line)
    assert line.endswith(f"[{static['x-request-id']}] GET /static/plotly/plotly.min.js?v=1 200")


def test_each_access_line_carries_the_request_id_the_answer_carries(production_web) -> None:
    _, page = production_web.ask("/healthz?view=mine")
    _, given = production_web.ask("/healthz?view=given", **{"X-Request-Id": "req-from-alb-1"})
    stdout, _ = production_web.stop()
    by_query = {
        line["query"]: line["request_id"]
        for line in _json_lines(stdout)
        if line["logger"] == "uvicorn.access"
    }
    assert by_query["view=mine"] == page["x-request-id"]
    assert len(page["x-request-id"]) == 32  # chosen by the server: a uuid4's hex
    assert by_query["view=given"] == given["x-request-id"] == "req-from-alb-1"
