"""Repeated failed logins lock the account for a while; a right password then is refused."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.urls import reverse


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_an_account_is_locked_after_repeated_failures(client, trader) -> None:
    for _ in range(3):
        client.post(reverse("login"), {"username": "tina-trader", "password": "wrong"})
    locked = client.post(
        reverse("login"), {"username": "tina-trader", "password": "pw-tina-trader"}
    )
    assert locked.status_code == 429
    assert b"Too many failed logins" in locked.content


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_a_few_mistakes_then_the_right_password_still_logs_in(client, trader) -> None:
    for _ in range(2):
        client.post(reverse("login"), {"username": "tina-trader", "password": "wrong"})
    response = client.post(
        reverse("login"), {"username": "tina-trader", "password": "pw-tina-trader"}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
