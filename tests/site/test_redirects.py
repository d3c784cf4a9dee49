"""A ``next`` that points off the site is ignored: the portal never redirects elsewhere."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import logged_in

pytestmark = pytest.mark.django_db
ELSEWHERE = ["https://evil.example.com/login", "//evil.example.com/", "http:\\\\evil.example.com"]


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_redrive_form_does_not_send_on_call_off_the_site(stack, oncall, target) -> None:
    client = logged_in(oncall)
    unconfirmed = client.post(reverse("ops:dlq_redrive"), {"next": target})
    confirmed = client.post(reverse("ops:dlq_redrive"), {"next": target, "confirm": "redrive"})
    assert unconfirmed["Location"] == reverse("ops:health")
    assert confirmed["Location"] == reverse("ops:health")


def test_the_redrive_form_goes_back_to_the_page_it_came_from(stack, oncall) -> None:
    page = reverse("ops:feed", args=["spot-risk"])
    response = logged_in(oncall).post(reverse("ops:dlq_redrive"), {"next": page})
    assert response["Location"] == page


@pytest.mark.parametrize("target", ELSEWHERE)
def test_logging_in_does_not_send_the_user_off_the_site(client, trader, target) -> None:
    form = client.get(reverse("login"), {"next": target}).content.decode()
    assert "evil.example.com" not in form
    response = client.post(
        reverse("login"), {"username": "tina-trader", "password": "pw-tina-trader", "next": target}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    # Already logged in, the login page sends the user on: not off the site either.
    again = client.get(reverse("login"), {"next": target})
    assert again["Location"] == reverse("home")


@pytest.mark.parametrize("target", ELSEWHERE)
def test_logging_out_does_not_send_the_user_off_the_site(trader, target) -> None:
    response = logged_in(trader).post(reverse("logout"), {"next": target})
    assert response["Location"] == reverse("login")


@pytest.mark.parametrize("target", ELSEWHERE)
def test_the_admin_login_link_does_not_send_an_admin_off_the_site(administrator, target) -> None:
    response = logged_in(administrator).get(reverse("admin:login"), {"next": target})
    assert response.status_code == 302
    assert response["Location"] == reverse("admin:index")


def test_the_admin_login_link_sends_an_admin_on_within_the_site(administrator) -> None:
    page = reverse("admin:accounts_auditevent_changelist")
    response = logged_in(administrator).get(reverse("admin:login"), {"next": page})
    assert response["Location"] == page
