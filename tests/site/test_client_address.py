"""Behind the load balancer the client's address is the one the ALB saw: what a client
writes into X-Forwarded-For cannot choose it, so login lockouts and /readyz's details hold.

These tests run the web server as the image starts it: the Dockerfile's command line
(its entry point's argv for uvicorn, environment expanded) is parsed by uvicorn's own CLI,
and the app uvicorn would serve is driven over ASGI from a chosen socket peer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
import uvicorn
from asgiref.testing import ApplicationCommunicator
from django.test import override_settings
from uvicorn.main import main as uvicorn_cli

from frgm_site.container import command_for

ROOT = Path(__file__).resolve().parents[2]
TRUSTED = "10.0.0.0/24"  # the ALB's subnet, as production sets FRGM_TRUSTED_PROXIES
ALB = "10.0.0.7"  # a load balancer node inside it
CLIENT = "203.0.113.9"  # the browser the ALB saw
NEIGHBOUR = "10.0.5.5"  # a host in the VPC that is not a proxy

pytestmark = pytest.mark.django_db(transaction=True)  # the app serves from its own thread


def _dockerfile_command() -> list[str]:
    """ENTRYPOINT then CMD, as Docker joins the exec forms."""
    joined = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    parts: list[str] = []
    for instruction in ("ENTRYPOINT", "CMD"):
        found = re.findall(rf"^{instruction} (\[.*\])\s*$", joined, re.MULTILINE)
        assert found, f"the Dockerfile has no exec-form {instruction}"
        parts += json.loads(found[-1])
    return parts


def _server_arguments(trusted_proxies: str) -> list[str]:
    """uvicorn's arguments as the container's command gives them, environment expanded.

    The image runs ``python -m frgm_site.container web``, which execs
    ``command_for("web")``: its argv after ``-m uvicorn`` is what uvicorn parses."""
    entry = _dockerfile_command()
    assert entry[:3] == ["python", "-m", "frgm_site.container"], entry
    command = command_for(entry[3], environ={"FRGM_TRUSTED_PROXIES": trusted_proxies})
    start = command.index("uvicorn")
    assert command[start - 1] == "-m", command
    return command[start + 1 :]


@pytest.fixture
def served_app(monkeypatch) -> Any:
    """The ASGI app the container's uvicorn serves, proxy handling included."""
    monkeypatch.delenv("FORWARDED_ALLOW_IPS", raising=False)  # uvicorn's own fallback
    arguments = _server_arguments(TRUSTED)
    params = uvicorn_cli.make_context("uvicorn", arguments).params
    config = uvicorn.Config(
        params["app"],
        proxy_headers=params["proxy_headers"],
        forwarded_allow_ips=params["forwarded_allow_ips"],
        log_config=None,
    )
    config.load()
    return config.loaded_app


async def _request(
    app: Any,
    method: str,
    path: str,
    *,
    peer: str,
    headers: Sequence[tuple[str, str]] = (),
    body: bytes = b"",
) -> tuple[int, dict[str, list[str]], str]:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(b"host", b"testserver")]
        + [(name.lower().encode(), value.encode()) for name, value in headers],
        "client": (peer, 40123),
        "server": ("10.0.0.20", 8000),
    }
    communicator = ApplicationCommunicator(app, scope)
    await communicator.send_input({"type": "http.request", "body": body, "more_body": False})
    start = await communicator.receive_output(10)
    answer: dict[str, list[str]] = {}
    for name, value in start["headers"]:
        answer.setdefault(name.decode().lower(), []).append(value.decode())
    content = b""
    while True:
        message = await communicator.receive_output(10)
        content += message.get("body", b"")
        if not message.get("more_body"):
            break
    await communicator.wait(1)
    return start["status"], answer, content.decode()


async def _failed_login(app: Any, *, username: str, forwarded_for: str) -> int:
    """A login with a wrong password from CLIENT through the ALB; the answer's status."""
    via_alb = [("X-Forwarded-For", forwarded_for)]
    _, headers, page = await _request(app, "GET", "/accounts/login/", peer=ALB, headers=via_alb)
    cookie = next(c for c in headers["set-cookie"] if c.startswith("csrftoken="))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert token is not None
    form = {"csrfmiddlewaretoken": token[1], "username": username, "password": "wrong"}
    status, _, _ = await _request(
        app,
        "POST",
        "/accounts/login/",
        peer=ALB,
        headers=[
            *via_alb,
            ("Cookie", cookie.split(";")[0]),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ],
        body=urlencode(form).encode(),
    )
    return status


@override_settings(AXES_FAILURE_LIMIT=3, FRGM_LOGIN_DELAY_STEP_S=0)
async def test_a_client_cannot_escape_an_address_lockout_by_writing_x_forwarded_for(
    served_app,
) -> None:
    # The client writes an address of its choice; the ALB appends the one it saw.
    statuses = [
        await _failed_login(served_app, username="guess", forwarded_for=f"10.1.1.{n}, {CLIENT}")
        for n in range(3)
    ]
    assert statuses == [200, 200, 429]  # the third failure of a username from one address
    status = await _failed_login(served_app, username="guess", forwarded_for=f"10.1.1.9, {CLIENT}")
    assert status == 429


async def test_readyz_details_are_not_shown_to_a_forged_loopback_address(served_app, stack) -> None:
    with override_settings(FRGM_FEED_BUCKET="no-such-bucket-for-readyz"):
        local = await _request(served_app, "GET", "/readyz", peer="127.0.0.1")
        via_alb = await _request(
            served_app,
            "GET",
            "/readyz",
            peer=ALB,
            headers=[("X-Forwarded-For", f"127.0.0.1, {CLIENT}")],
        )
        direct = await _request(
            served_app,
            "GET",
            "/readyz",
            peer=NEIGHBOUR,
            headers=[("X-Forwarded-For", "127.0.0.1")],
        )
    assert local[0] == 503
    assert "detail" in json.loads(local[2])["checks"]["s3"]  # on the box itself: why
    for status, _, body in (via_alb, direct):
        assert status == 503
        assert json.loads(body)["checks"]["s3"] == {
            "ok": False,
            "ms": json.loads(body)["checks"]["s3"]["ms"],
        }
