"""`make run` reads `.env`, but what the user typed on the command line wins:
process environment over `.env`, `.env` over the defaults."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from devstack.__main__ import stack_environment
from devstack.processes import free_port

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def busy_port() -> Iterator[int]:
    """A port something listens on: make run refuses it, naming it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield int(sock.getsockname()[1])


def _make_run(
    tmp_path: Path, busy_port: int, dotenv: str, **environ: str
) -> subprocess.CompletedProcess[str]:
    """``python -m devstack`` as ``make run`` starts it, with ``dotenv`` as its .env.
    The stand-ins' ports are busy too: whatever it reads, it never starts a server."""
    (tmp_path / ".env").write_text(dotenv)
    busy = f"127.0.0.1:{busy_port}"
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, "-m", "devstack"],
        cwd=ROOT,
        env={
            **clean,
            "FRGM_STATE_REDIS_URL": f"redis://{busy}/0",
            "FRGM_MESSAGING_REDIS_URL": f"redis://{busy}/0",
            "AWS_ENDPOINT_URL": f"http://{busy}",
            **environ,
            "FRGM_DOTENV": str(tmp_path / ".env"),
            "FRGM_RUN_DIR": str(tmp_path / "run"),
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_port_typed_on_the_command_line_wins_over_dotenv(tmp_path, busy_port) -> None:
    # .env names a free port; the command line a busy one: make run refuses the one typed.
    result = _make_run(tmp_path, busy_port, f"FRGM_PORT={free_port()}\n", FRGM_PORT=str(busy_port))
    assert result.returncode == 1
    assert f"port {busy_port} (FRGM_PORT) is already in use" in result.stderr


def test_dotenv_wins_over_the_default(tmp_path, busy_port) -> None:
    result = _make_run(tmp_path, busy_port, f"FRGM_PORT={busy_port}  # mine\n")
    assert result.returncode == 1
    assert f"port {busy_port} (FRGM_PORT) is already in use" in result.stderr


def test_the_environment_is_layered_over_dotenv(tmp_path) -> None:
    dotenv = tmp_path / ".env"
    dotenv.write_text("FRGM_PORT=8001\nFRGM_SIMULATE=0\nDJANGO_DEBUG=  # comment only\n")
    merged = stack_environment({"FRGM_PORT": "8002", "PATH": "/bin"}, dotenv)
    assert merged["FRGM_PORT"] == "8002"  # typed: wins
    assert merged["FRGM_SIMULATE"] == "0"  # only in .env: taken
    assert merged["DJANGO_DEBUG"] == ""  # empty: the setting's default applies
    assert merged["PATH"] == "/bin"


def test_no_dotenv_leaves_the_environment_as_it_is(tmp_path) -> None:
    assert stack_environment({"FRGM_PORT": "8002"}, tmp_path / "missing.env") == {
        "FRGM_PORT": "8002"
    }
