"""Only traders (and admins, who hold every role) open the ladder and spot-risk pages."""

from __future__ import annotations

import pytest
from django.urls import reverse

from tests.conftest import logged_in

PAGES = ["ladder:ladder", "ladder:spot_risk"]
EXPECTED = {"trader": 200, "administrator": 200, "oncall": 403, "roleless": 403}


@pytest.mark.parametrize("url_name", PAGES)
@pytest.mark.parametrize(("persona", "status"), EXPECTED.items())
def test_each_role_gets_its_answer(request, stack, url_name, persona, status) -> None:
    user = request.getfixturevalue(persona)
    assert logged_in(user).get(reverse(url_name)).status_code == status


@pytest.mark.parametrize("url_name", PAGES)
def test_an_anonymous_visitor_is_sent_to_log_in(client, db, url_name) -> None:
    response = client.get(reverse(url_name))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


def test_only_traders_see_the_spot_risk_entry_in_the_navigation(stack, trader, oncall) -> None:
    assert ">Spot risk<" in logged_in(trader).get(reverse("ladder:ladder")).content.decode()
    ops_page = logged_in(oncall).get(reverse("ops:health")).content.decode()
    assert ">Spot risk<" not in ops_page
