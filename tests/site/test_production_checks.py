"""Production refuses unsafe settings: DEBUG, a wildcard host, trusted proxies of
the whole internet, a Redis URL without TLS; every problem at once, by id, and
no web or worker process starts with one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.site.test_settings import PROD_ENV

ROOT = Path(__file__).resolve().parents[2]
UNSAFE = {
    "DJANGO_DEBUG": "1",
    "DJANGO_ALLOWED_HOSTS": "*",
    "FRGM_TRUSTED_PROXIES": "0.0.0.0/0",
    "FRGM_STATE_REDIS_URL": "redis://clustercfg.memorydb.internal:6379",
    "FRGM_MESSAGING_REDIS_URL": "redis://messaging.internal:6379",
}


def _run(env: dict[str, str], *args: str, timeout_s: float = 60) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))}
    return subprocess.run(
        list(args),
        env={**clean, **env, "DJANGO_SETTINGS_MODULE": "frgm_site.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=timeout_s,
        check=False,
    )


def _check_deploy(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return _run(env, sys.executable, "manage.py", "check", "--deploy")


def test_check_deploy_reports_every_unsafe_setting_at_once() -> None:
    result = _check_deploy({**PROD_ENV, **UNSAFE})
    assert result.returncode != 0
    for problem in ("frgm.E101", "frgm.E102", "frgm.E103", "frgm.E104"):
        assert problem in result.stderr, result.stderr
    # One E104 naming both Redis roles (and the broker, which defaults to messaging).
    assert "FRGM_STATE_REDIS_URL, FRGM_MESSAGING_REDIS_URL, CELERY_BROKER_URL" in result.stderr
    assert "HINT: Name the portal's host names" in result.stderr


@pytest.mark.parametrize(
    ("unsafe", "problem"),
    [
        ({"DJANGO_DEBUG": "1"}, "frgm.E101"),
        ({"DJANGO_ALLOWED_HOSTS": "frgm.example.com,*"}, "frgm.E102"),
        ({"DJANGO_ALLOWED_HOSTS": "."}, "frgm.E102"),
        ({"FRGM_TRUSTED_PROXIES": "10.0.0.0/24,0.0.0.0/0"}, "frgm.E103"),
        ({"FRGM_TRUSTED_PROXIES": "::/0"}, "frgm.E103"),
        ({"FRGM_TRUSTED_PROXIES": "10.0.0.0/7"}, "frgm.E103"),
        ({"FRGM_STATE_REDIS_URL": "redis://clustercfg.memorydb.internal:6379"}, "frgm.E104"),
        ({"FRGM_MESSAGING_REDIS_URL": "redis://messaging.internal:6379"}, "frgm.E104"),
    ],
)
def test_each_unsafe_setting_has_its_own_error(unsafe: dict[str, str], problem: str) -> None:
    result = _check_deploy({**PROD_ENV, **unsafe})
    assert result.returncode != 0
    assert problem in result.stderr, result.stderr
    assert result.stderr.count("frgm.E1") == 1


def test_a_slash_8_of_proxies_and_tls_redis_pass() -> None:
    safe = {**PROD_ENV, "FRGM_TRUSTED_PROXIES": "10.0.0.0/8,2001:db8::/32"}
    result = _check_deploy(safe)
    assert result.returncode == 0, result.stderr


def test_local_mode_checks_none_of_this() -> None:
    local = {"FRGM_ENV": "local", "DJANGO_DEBUG": "1", "DJANGO_ALLOWED_HOSTS": "*"}
    result = _run(local, sys.executable, "manage.py", "check")
    assert result.returncode == 0, result.stderr


def test_the_web_server_refuses_to_start_with_unsafe_production_settings() -> None:
    # What uvicorn does first: import the ASGI application.
    result = _run({**PROD_ENV, **UNSAFE}, sys.executable, "-c", "import frgm_site.asgi")
    assert result.returncode != 0
    assert "frgm.E101" in result.stderr
    assert "frgm.E104" in result.stderr


@pytest.mark.slow
def test_the_worker_refuses_to_start_with_unsafe_production_settings() -> None:
    celery = str(Path(sys.executable).parent / "celery")
    env = {**PROD_ENV, "DJANGO_DEBUG": "1", "FRGM_CONSUME_NOTIFICATIONS": "0"}
    # Without the refusal the worker would start and wait for its broker: the timeout fails it.
    result = _run(env, celery, "-A", "frgm_site", "worker", "--pool", "solo", timeout_s=90)
    assert result.returncode != 0
    assert "frgm.E101" in result.stdout + result.stderr
