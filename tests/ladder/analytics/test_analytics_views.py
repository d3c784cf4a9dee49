"""Who reaches the analytics page and its JSON, and what an empty or bad date shows."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.urls import reverse

from tests.conftest import logged_in

URLS = [
    "ladder:analytics",
    "ladder:analytics-series",
    "ladder:analytics-smile",
    "ladder:analytics-latency",
]


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize("persona", ["trader", "administrator"])
def test_traders_and_admins_get_the_page_and_its_data(
    stack, request: pytest.FixtureRequest, persona: str, name: str
) -> None:
    user: User = request.getfixturevalue(persona)
    assert logged_in(user).get(reverse(name)).status_code == 200


@pytest.mark.parametrize("name", URLS)
@pytest.mark.parametrize("persona", ["oncall", "roleless"])
def test_everyone_else_logged_in_is_refused(
    stack, request: pytest.FixtureRequest, persona: str, name: str
) -> None:
    user: User = request.getfixturevalue(persona)
    assert logged_in(user).get(reverse(name)).status_code == 403


@pytest.mark.parametrize("name", URLS)
def test_anonymous_visitors_are_sent_to_login(db: None, name: str) -> None:
    reply = Client().get(reverse(name))
    assert reply.status_code == 302
    assert reply["Location"].startswith(reverse("login"))


def test_a_bad_date_is_a_400_that_says_what_is_wrong(stack, trader: User) -> None:
    reply = logged_in(trader).get(reverse("ladder:analytics-series"), {"date": "2025-13-01"})
    assert reply.status_code == 400
    assert reply.json() == {"error": "date must be YYYY-MM-DD, got '2025-13-01'"}


def test_the_page_with_a_bad_date_says_so_and_shows_today(stack, trader: User) -> None:
    reply = logged_in(trader).get(reverse("ladder:analytics"), {"date": "21/07/2025"})
    assert reply.status_code == 400
    assert "date must be YYYY-MM-DD, got &#x27;21/07/2025&#x27;; showing today" in reply.text


def test_a_day_without_history_says_so(stack, trader: User) -> None:
    client = logged_in(trader)
    page = client.get(reverse("ladder:analytics"), {"date": "2025-07-20"})
    assert "no history for 2025-07-20" in page.text
    assert "no options in the latest spot-risk file" in page.text
    data = client.get(reverse("ladder:analytics-series"), {"date": "2025-07-20"}).json()
    assert data["message"] == "no history for 2025-07-20"
    assert data["figure"]["data"] == []


def test_the_page_loads_plotly_from_our_static_files_not_a_cdn(stack, trader: User) -> None:
    page = logged_in(trader).get(reverse("ladder:analytics")).text
    assert '<script src="/static/plotly/plotly.min.js"></script>' in page
    assert "cdn" not in page.lower()
    assert 'id="analytics-initial"' in page  # first paint: figures embedded
