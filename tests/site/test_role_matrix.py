"""Who reaches which area: traders the ladder, on-call the ops pages, admins all."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Group, User
from django.urls import reverse

from tests.conftest import logged_in

TRADER_AREA = {"trader": 200, "oncall": 403, "administrator": 200, "roleless": 403}
ONCALL_AREA = {"trader": 403, "oncall": 200, "administrator": 200, "roleless": 403}
ADMIN_AREA = {"trader": 403, "oncall": 403, "administrator": 200, "roleless": 403}
AREAS = {
    "ladder:ladder": TRADER_AREA,
    "ladder:analytics": TRADER_AREA,
    "ops:health": ONCALL_AREA,
    "admin:index": ADMIN_AREA,
    "admin:auth_user_changelist": ADMIN_AREA,
    "admin:auth_user_add": ADMIN_AREA,
    "admin:ops_secretreference_changelist": ADMIN_AREA,
    "admin:accounts_apitoken_changelist": ADMIN_AREA,
    "admin:accounts_auditevent_changelist": ADMIN_AREA,
}
# Admins as the product makes them: in the admin group, no superuser or staff flag.
AREAS = {url: {**codes, "group_admin": codes["administrator"]} for url, codes in AREAS.items()}
# Pages read the state store: give them a running one.
pytestmark = pytest.mark.usefixtures("stack")


@pytest.fixture
def group_admin(db: None) -> User:
    user = User.objects.create_user(username="gus-groupadmin", password="pw-gus")
    user.groups.add(Group.objects.get(name="admin"))
    return user


CASES = [(url, persona, code) for url, codes in AREAS.items() for persona, code in codes.items()]


@pytest.mark.parametrize(("url_name", "persona", "expected"), CASES)
def test_each_role_reaches_only_its_areas(request, url_name, persona, expected) -> None:
    user = request.getfixturevalue(persona)
    response = logged_in(user).get(reverse(url_name))
    assert response.status_code == expected


@pytest.mark.parametrize("url_name", list(AREAS))
def test_an_anonymous_visitor_must_log_in_first(client, db, url_name) -> None:
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_the_start_page_opens_the_users_own_area(trader, oncall, roleless) -> None:
    assert logged_in(trader).get("/")["Location"] == reverse("ladder:ladder")
    assert logged_in(oncall).get("/")["Location"] == reverse("ops:health")
    no_role = logged_in(roleless).get("/")
    assert no_role.status_code == 403
    assert b"No role yet" in no_role.content


def test_navigation_shows_only_the_areas_a_user_may_open(trader, group_admin) -> None:
    trader_page = logged_in(trader).get(reverse("ladder:ladder")).content.decode()
    assert ">Ladder<" in trader_page
    assert ">Analytics<" in trader_page
    assert ">Ops<" not in trader_page
    assert ">Admin<" not in trader_page
    admin_page = logged_in(group_admin).get(reverse("ladder:ladder")).content.decode()
    assert all(f">{entry}<" in admin_page for entry in ("Ladder", "Analytics", "Ops", "Admin"))


def test_a_trader_logs_in_with_a_password_and_lands_on_the_ladder(client, trader) -> None:
    page = client.get(reverse("login"))
    assert page.status_code == 200
    response = client.post(
        reverse("login"), {"username": "tina-trader", "password": "pw-tina-trader"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("ladder:ladder")
    assert b"Scenario ladder" in response.content


def test_a_wrong_password_is_explained(client, trader) -> None:
    response = client.post(reverse("login"), {"username": "tina-trader", "password": "nope"})
    assert response.status_code == 200
    assert b"did not match" in response.content


def test_pages_reference_no_remote_assets(trader) -> None:
    page = logged_in(trader).get(reverse("ladder:ladder")).content.decode()
    assert "http://" not in page
    assert "https://" not in page


def test_an_admin_may_change_what_the_admin_lists(group_admin) -> None:
    client = logged_in(group_admin)
    response = client.post(
        reverse("admin:ops_holiday_add"), {"day": "2025-12-25", "name": "Christmas"}
    )
    assert response.status_code == 302
    assert client.get(reverse("admin:ops_holiday_changelist")).status_code == 200
