"""The PostgreSQL path (RDS in AWS): migrations, the role users and a login on a real server.

Uses ``DATABASE_URL`` when it names PostgreSQL, else the server on 127.0.0.1:5432
(there on our machines and CI's); skipped where neither answers. Each run makes
and drops its own database.
"""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

ROOT = Path(__file__).resolve().parents[2]
FALLBACK = "postgres://postgres@127.0.0.1:5432/postgres"


def _server_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return url if url.startswith(("postgres://", "postgresql://")) else FALLBACK


@pytest.fixture
def database_url() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    server = _server_url()
    try:
        admin = psycopg.connect(server, autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"no PostgreSQL at {urlsplit(server).hostname}: {exc}")
    name = f"frgm_test_{uuid.uuid4().hex[:10]}"
    with admin:
        admin.execute(f'CREATE DATABASE "{name}"')
        try:
            yield urlunsplit(urlsplit(server)._replace(path=f"/{name}"))
        finally:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _manage(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))}
    env.update(DATABASE_URL=database_url, FRGM_ROLE_PASSWORD="pg-path-pass-4c1d")
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_product_migrates_and_logs_a_trader_in_on_postgresql(database_url: str) -> None:
    for args in (("migrate", "--noinput"), ("create_role_users",)):
        result = _manage(database_url, *args)
        assert result.returncode == 0, result.stderr + result.stdout
    script = (
        "from django.db import connection;"
        "from django.test import Client;"
        "client = Client();"
        "answer = client.post('/accounts/login/',"
        " {'username': 'trader', 'password': 'pg-path-pass-4c1d'});"
        "from django.contrib.sessions.models import Session;"
        "print(connection.vendor, answer.status_code, answer.url, Session.objects.count())"
    )
    result = _manage(database_url, "shell", "-c", script)
    assert result.returncode == 0, result.stderr
    # the login is stored in PostgreSQL (database sessions) and lands on the ladder
    assert result.stdout.splitlines()[-1].split() == ["postgresql", "302", "/", "1"]
