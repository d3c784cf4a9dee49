"""A bad environment is reported as system checks, every problem at once with its
id, never as the first exception at import: settings import with safe fallbacks,
``manage.py check`` lists everything, and no web process starts with one."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from frgm_site.env import EnvReader, env_url
from tests.site.test_settings import PROD_ENV

ROOT = Path(__file__).resolve().parents[2]
PASSWORD = "pw-never-shown-9f2e"
BAD_LOCAL = {
    "FRGM_API_THREADS": "ten",  # not an integer
    "DJANGO_DEBUG": "yes",  # not a boolean
    "FRGM_LOGIN_DELAY_MAX_S": "3s",  # not a number
    "FRGM_STATE_REDIS_URL": f"localhost:{PASSWORD}@6379",  # no scheme
    "FRGM_LOG_FORMAT": "yaml",  # not a choice
    "FRGM_CONSUMER_IN_FLIGHT": "0",  # below its minimum
    "FRGM_HEARTBEAT_URL_FILE": "/nonexistent/heartbeat-url",  # unreadable
}
EXPECTED = {
    "FRGM_API_THREADS='ten' is not an integer": "frgm.E002",
    "DJANGO_DEBUG='yes' is not a boolean": "frgm.E002",
    "FRGM_LOGIN_DELAY_MAX_S='3s' is not a number": "frgm.E002",
    "FRGM_STATE_REDIS_URL is not a URL starting redis:// or rediss://": "frgm.E002",
    "FRGM_LOG_FORMAT='yaml': use one of text, json": "frgm.E002",
    "FRGM_CONSUMER_IN_FLIGHT=0 is below its minimum, 1": "frgm.E002",
    "FRGM_HEARTBEAT_URL_FILE points at '/nonexistent/heartbeat-url'": "frgm.E003",
}


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, *args],
        env={**clean, **env},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_lists_every_bad_value_at_once_with_its_id() -> None:
    result = _run(BAD_LOCAL, "manage.py", "check")
    assert result.returncode != 0
    for message, check_id in EXPECTED.items():
        assert f"({check_id}) {message}" in result.stderr, result.stderr
    assert result.stderr.count("frgm.E00") == len(EXPECTED), result.stderr
    assert "Traceback" not in result.stderr
    assert PASSWORD not in result.stderr + result.stdout


def test_check_deploy_lists_them_too() -> None:
    result = _run({**PROD_ENV, "FRGM_API_THREADS": "ten"}, "manage.py", "check", "--deploy")
    assert result.returncode != 0
    assert "(frgm.E002) FRGM_API_THREADS='ten' is not an integer" in result.stderr


def test_production_names_every_missing_secret_in_one_run() -> None:
    result = _run({"FRGM_ENV": "prod"}, "manage.py", "check")
    assert result.returncode != 0
    for name in (
        "DJANGO_SECRET_KEY",
        "DJANGO_ALLOWED_HOSTS",
        "DATABASE_URL",
        "FRGM_STATE_REDIS_URL",
        "FRGM_MESSAGING_REDIS_URL",
        "FRGM_TRUSTED_PROXIES",
    ):
        assert f"(frgm.E001) {name} is not set" in result.stderr, result.stderr


def test_a_mistyped_mode_is_reported_and_taken_as_production() -> None:
    result = _run({"FRGM_ENV": "production"}, "manage.py", "check")
    assert "(frgm.E002) FRGM_ENV='production': use one of local, prod" in result.stderr
    # The strict mode stands in: its missing secrets are reported as well.
    assert "(frgm.E001) DJANGO_SECRET_KEY is not set" in result.stderr


def test_settings_import_with_bad_values_using_safe_fallbacks() -> None:
    code = (
        "import django; django.setup(); from django.conf import settings as s;"
        "print(s.FRGM_API_THREADS, s.DEBUG, s.FRGM_CONSUMER_IN_FLIGHT, s.FRGM_STATE_REDIS_URL,"
        " s.ALLOWED_HOSTS, s.FRGM_TRUSTED_PROXIES, 'local-only' in s.SECRET_KEY)"
    )
    local = _run({**BAD_LOCAL, "DJANGO_SETTINGS_MODULE": "frgm_site.settings"}, "-c", code)
    assert local.returncode == 0, local.stderr
    # The defaults; a malformed connection URL points nowhere rather than somewhere else.
    assert local.stdout.split()[:4] == ["8", "False", "4", "rediss://unset.invalid:6379/0"]
    production = _run(
        {"FRGM_ENV": "prod", "DJANGO_SETTINGS_MODULE": "frgm_site.settings"}, "-c", code
    )
    assert production.returncode == 0, production.stderr
    # No host served, no proxy trusted, and no secret key anybody knows.
    assert production.stdout.split()[4:] == ["[]", "[]", "False"]


def test_the_web_server_refuses_to_start_with_a_bad_value() -> None:
    result = _run(
        {"FRGM_API_THREADS": "ten", "DJANGO_SETTINGS_MODULE": "frgm_site.settings"},
        "-c",
        "import frgm_site.asgi",
    )
    assert result.returncode != 0
    assert "(frgm.E002) FRGM_API_THREADS='ten' is not an integer" in result.stderr


def test_a_reader_records_the_problem_and_returns_the_fallback(monkeypatch) -> None:
    monkeypatch.setenv("FRGM_TEST_INT", "many")
    monkeypatch.setenv("FRGM_TEST_URL", f"redis//user:{PASSWORD}@host")
    reader = EnvReader()
    assert reader.env_int("FRGM_TEST_INT", 3) == 3
    assert reader.env_url("FRGM_TEST_URL", None, schemes=["redis"], fallback="x") == "x"
    assert [p.check_id for p in reader.problems] == ["frgm.E002", "frgm.E002"]
    assert all(PASSWORD not in p.message for p in reader.problems)


@pytest.mark.parametrize(
    "url",
    ["redis://:pw@127.0.0.1:16379/0", "rediss://user:pw@clustercfg.memorydb.internal:6379"],
)
def test_good_redis_urls_pass(monkeypatch, url: str) -> None:
    monkeypatch.setenv("FRGM_TEST_URL", url)
    assert env_url("FRGM_TEST_URL", None, schemes=["redis", "rediss"]) == url
