"""Settings fail loudly, production is locked down, logs carry a request id."""

from __future__ import annotations

import json
import logging
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from frgm_site.env import ConfigError, env_bool, env_int, env_networks, env_str

ROOT = Path(__file__).resolve().parents[2]
PROD_ENV = {
    "FRGM_ENV": "prod",
    "DJANGO_SECRET_KEY": "k3y-for-the-check-only-7f1e9a2c4b6d8e0f1a3c5e7b9d2f4a6c8e0b",
    "DJANGO_ALLOWED_HOSTS": "frgm.example.com",
    "DATABASE_URL": "postgres://frgm@db.internal:5432/frgm",
    "FRGM_STATE_REDIS_URL": "rediss://frgm@clustercfg.memorydb.internal:6379",
    "FRGM_MESSAGING_REDIS_URL": "rediss://messaging.internal:6379",
    "FRGM_TRUSTED_PROXIES": "10.0.0.0/24,10.0.1.0/24",
}


def _manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))}
    return subprocess.run(
        [sys.executable, str(ROOT / "manage.py"), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_production_settings_pass_check_deploy() -> None:
    result = _manage(PROD_ENV, "check", "--deploy", "--fail-level", "WARNING")
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.parametrize("missing", ["DJANGO_SECRET_KEY", "DATABASE_URL", "FRGM_STATE_REDIS_URL"])
def test_production_refuses_to_start_without_a_secret(missing: str) -> None:
    env = {k: v for k, v in PROD_ENV.items() if k != missing}
    result = _manage(env, "check")
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr


def test_production_refuses_to_start_without_the_trusted_proxies() -> None:
    env = {k: v for k, v in PROD_ENV.items() if k != "FRGM_TRUSTED_PROXIES"}
    result = _manage(env, "check")
    assert result.returncode != 0
    assert "FRGM_TRUSTED_PROXIES is not set" in result.stderr


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("*", "would trust anyone"),
        ("10.0.0.7/24", "not an IP address or network"),  # uvicorn would ignore it
        ("alb.internal", "not an IP address or network"),
    ],
)
def test_a_trusted_proxy_list_uvicorn_would_misread_fails_loudly(
    monkeypatch, value: str, why: str
) -> None:
    monkeypatch.setenv("FRGM_TEST_PROXIES", value)
    with pytest.raises(ConfigError, match=why):
        env_networks("FRGM_TEST_PROXIES", [])


def test_trusted_proxies_are_addresses_and_networks(monkeypatch) -> None:
    monkeypatch.setenv("FRGM_TEST_PROXIES", "10.0.0.0/24, 10.0.1.9,2001:db8::/32")
    assert env_networks("FRGM_TEST_PROXIES", []) == ["10.0.0.0/24", "10.0.1.9/32", "2001:db8::/32"]


def test_production_logs_are_json_with_a_request_id() -> None:
    code = (
        "import django, logging; django.setup();"
        "from django.test import Client;"
        "Client(HTTP_HOST='frgm.example.com', HTTP_X_FORWARDED_PROTO='https')"
        ".get('/readyz', HTTP_X_REQUEST_ID='req-abc123')"
    )
    # No Redis or AWS answers here, so /readyz fails and django.request logs the 503.
    unreachable = {
        "DATABASE_URL": "sqlite:///:memory:",
        "FRGM_STATE_REDIS_URL": "redis://127.0.0.1:1/0",
        "FRGM_MESSAGING_REDIS_URL": "redis://127.0.0.1:1/0",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:1",
    }
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**clean, **PROD_ENV, **unreachable, "DJANGO_SETTINGS_MODULE": "frgm_site.settings"},
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        check=False,
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    assert lines, result.stderr
    assert any(line["request_id"] == "req-abc123" and line["status_code"] == 503 for line in lines)


@pytest.mark.django_db
def test_each_request_gets_an_id_on_its_log_lines(client, trader, caplog) -> None:
    from tests.conftest import logged_in

    with caplog.at_level(logging.WARNING, logger="django.request"):
        response = logged_in(trader).get("/ops/")
    assert response.status_code == 403
    request_id = response["X-Request-Id"]
    assert [r.request_id for r in caplog.records if r.name == "django.request"] == [request_id]


@pytest.mark.parametrize("value", ["yes", "2", "enabled"])
def test_a_boolean_that_is_not_one_fails_loudly(monkeypatch, value: str) -> None:
    monkeypatch.setenv("FRGM_TEST_FLAG", value)
    with pytest.raises(ConfigError, match="not a boolean"):
        env_bool("FRGM_TEST_FLAG", default=False)


def test_secrets_can_come_from_a_file(monkeypatch, tmp_path) -> None:
    secret = tmp_path / "secret"
    secret.write_text("from-a-file\n")
    monkeypatch.setenv("FRGM_TEST_SECRET_FILE", str(secret))
    assert env_str("FRGM_TEST_SECRET") == "from-a-file"


def test_a_bad_integer_names_the_variable(monkeypatch) -> None:
    monkeypatch.setenv("FRGM_TEST_INT", "ten")
    with pytest.raises(ConfigError, match="FRGM_TEST_INT='ten' is not an integer"):
        env_int("FRGM_TEST_INT", 1)


def test_env_example_lists_every_variable_the_settings_read() -> None:
    root = Path(__file__).resolve().parents[2]
    read = set(
        re.findall(r'env_[a-z]+\(\s*"([A-Z0-9_]+)"', (root / "frgm_site/settings.py").read_text())
    )
    listed = set(re.findall(r"^([A-Z0-9_]+)=", (root / ".env.example").read_text(), re.MULTILINE))
    assert read, "no env_*() reads found: the pattern no longer matches settings.py"
    assert read - listed == set(), "add these to .env.example"


@pytest.mark.parametrize(("given", "read"), [("off", ""), ("OFF", ""), ("", "")])
def test_a_heartbeat_url_of_off_means_no_external_heartbeat(given: str, read: str) -> None:
    # The deployed secret frgm-<env>/heartbeat-url holds "off" until a URL is put in.
    probe = "from django.conf import settings; print(repr(settings.FRGM_HEARTBEAT_URL))"
    result = _manage({**PROD_ENV, "FRGM_HEARTBEAT_URL": given}, "shell", "-c", probe)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip().splitlines()[-1] == repr(read)


def test_a_heartbeat_url_is_kept_as_given() -> None:
    url = "https://hc-ping.com/0b9c0e64-5f0e-4c7c-9a55-1f1d2f0a8e11"
    probe = "from django.conf import settings; print(settings.FRGM_HEARTBEAT_URL)"
    result = _manage({**PROD_ENV, "FRGM_HEARTBEAT_URL": url}, "shell", "-c", probe)
    assert result.stdout.strip().splitlines()[-1] == url
