"""Repeated failed logins lock the account for a while; a right password then is refused."""

from __future__ import annotations

import pytest
from django.test import Client, override_settings
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


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_an_address_is_locked_after_failures_across_several_usernames(client, trader) -> None:
    for name in ("admin", "root", "oscar"):
        client.post(
            reverse("login"), {"username": name, "password": "wrong"}, REMOTE_ADDR="203.0.113.9"
        )
    locked = client.post(
        reverse("login"),
        {"username": "tina-trader", "password": "pw-tina-trader"},
        REMOTE_ADDR="203.0.113.9",
    )
    assert locked.status_code == 429
    elsewhere = Client().post(
        reverse("login"),
        {"username": "tina-trader", "password": "pw-tina-trader"},
        REMOTE_ADDR="198.51.100.4",
    )
    assert elsewhere.status_code == 302  # the account itself is not locked


@pytest.mark.django_db
@override_settings(AXES_FAILURE_LIMIT=3)
def test_x_forwarded_for_does_not_change_the_locked_address(client) -> None:
    for n in range(3):
        client.post(
            reverse("login"),
            {"username": f"guess-{n}", "password": "wrong"},
            REMOTE_ADDR="203.0.113.9",
            HTTP_X_FORWARDED_FOR=f"10.1.1.{n}",
        )
    again = client.post(
        reverse("login"),
        {"username": "guess-9", "password": "wrong"},
        REMOTE_ADDR="203.0.113.9",
        HTTP_X_FORWARDED_FOR="10.9.9.9",
    )
    assert again.status_code == 429
