"""The local persona users: made once, passwords printed once, a lost one can be reset."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.test import RequestFactory

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("create_role_users", *args, stdout=out)
    return out.getvalue()


def _passwords(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(\w+)\s+(?:created, password|new password): (\S+)$", text, re.M))


def _logs_in(username: str, password: str) -> bool:
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=username, password=password) is not None


def test_the_users_are_made_once_and_a_lost_password_can_be_reset(settings) -> None:
    settings.FRGM_ROLE_PASSWORD = ""
    first = _passwords(_run())
    assert set(first) == {"trader", "oncall", "admin"}
    again = _run()
    assert _passwords(again) == {}
    assert "exists (password unchanged; a lost one:" in again
    reset = _passwords(_run("--reset"))
    assert set(reset) == {"trader", "oncall", "admin"}
    assert reset["trader"] != first["trader"]
    assert _logs_in("trader", reset["trader"])
    assert not _logs_in("trader", first["trader"])
