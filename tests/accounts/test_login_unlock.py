"""An admin can lift a login lockout at once, from the user or the failed-login record."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.test import Client, override_settings
from django.urls import reverse

from accounts import login_throttle
from accounts.models import AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.9"


@pytest.fixture(autouse=True)
def _no_login_delay(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(login_throttle, "_sleep", lambda seconds: None)


def _login(username: str, password: str) -> int:
    response = Client().post(
        reverse("login"), {"username": username, "password": password}, REMOTE_ADDR=ADDRESS
    )
    return response.status_code


def _lock(username: str) -> None:
    for _ in range(3):
        _login(username, "wrong")
    assert _login(username, "pw-" + username) == 429


@override_settings(AXES_FAILURE_LIMIT=3)
def test_an_admin_unlocks_a_user_from_the_users_list(administrator, trader) -> None:
    _lock("tina-trader")
    response = logged_in(administrator).post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_logins", "_selected_action": [trader.pk]},
        follow=True,
    )
    assert b"Unlocked tina-trader." in response.content
    assert _login("tina-trader", "pw-tina-trader") == 302
    event = AuditEvent.objects.get(action="login.unlock")
    assert (event.actor, event.target) == (administrator, "tina-trader")
    assert event.detail == "admin action"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_an_admin_unlocks_from_the_failed_login_records(administrator, trader) -> None:
    _lock("tina-trader")
    attempt = AccessAttempt.objects.get(username="tina-trader")
    logged_in(administrator).post(
        reverse("admin:axes_accessattempt_changelist"),
        {"action": "unlock", "_selected_action": [attempt.pk]},
    )
    assert _login("tina-trader", "pw-tina-trader") == 302
    event = AuditEvent.objects.get(action="login.unlock")
    assert event.target == f"tina-trader from {ADDRESS}"


@override_settings(AXES_FAILURE_LIMIT=3)
def test_unlocking_someone_who_is_not_locked_says_so(administrator, trader) -> None:
    response = logged_in(administrator).post(
        reverse("admin:auth_user_changelist"),
        {"action": "unlock_logins", "_selected_action": [trader.pk]},
        follow=True,
    )
    assert b"Nobody was locked." in response.content
    assert not AuditEvent.objects.filter(action="login.unlock").exists()
