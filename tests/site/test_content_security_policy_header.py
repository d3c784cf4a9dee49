"""Every page carries a strict Content-Security-Policy (the browser test,
tests/browser/test_content_security_policy.py, shows the pages keep to it)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import logged_in
from tests.site.test_settings import PROD_ENV

ROOT = Path(__file__).resolve().parents[2]


def _directives(header: str) -> dict[str, list[str]]:
    parts = (d.strip().split() for d in header.split(";") if d.strip())
    return {p[0]: p[1:] for p in parts}


@pytest.mark.django_db
def test_the_login_page_and_the_ladder_carry_a_strict_policy(client, trader, stack) -> None:
    for response in (client.get("/accounts/login/"), logged_in(trader).get("/ladder/")):
        assert response.status_code == 200
        policy = _directives(response["Content-Security-Policy"])
        assert policy["default-src"] == ["'self'"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]
        assert policy["frame-ancestors"] == ["'none'"]
        assert policy["object-src"] == ["'none'"]
        assert policy["connect-src"] == ["'self'", "ws://127.0.0.1:*", "ws://localhost:*"]


@pytest.mark.django_db
def test_only_the_analytics_page_lets_plotly_s_own_styles_through(trader, stack) -> None:
    response = logged_in(trader).get("/ladder/analytics/")
    style = _directives(response["Content-Security-Policy"])["style-src"]
    assert style[0] == "'self'"
    assert all(source.startswith("'sha256-") for source in style[1:])
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]


def test_production_websockets_are_tls_to_the_portal_s_own_hosts() -> None:
    code = (
        "import json, django; django.setup(); from django.conf import settings;"
        "print(json.dumps(settings.CONTENT_SECURITY_POLICY['DIRECTIVES']['connect-src']))"
    )
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("FRGM_", "DJANGO_"))}
    env = {**clean, **PROD_ENV, "DJANGO_ALLOWED_HOSTS": "frgm.example.com,.desk.example.com"}
    result = subprocess.run(
        [sys.executable, "-c", code],
        env={**env, "DJANGO_SETTINGS_MODULE": "frgm_site.settings"},
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == [
        "'self'",
        "wss://frgm.example.com",
        "wss://*.desk.example.com",
    ]
