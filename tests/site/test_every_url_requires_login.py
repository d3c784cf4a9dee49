"""Every URL in the URL conf needs a login, so a new page cannot forget it."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.urls import reverse

from tests.site.url_conf import url_patterns_all

# The only views anyone may reach without logging in.
PUBLIC = {"healthz", "readyz", "login", "favicon"}


def _concrete(pattern: str) -> str:
    """A URL that the pattern matches, with placeholder values for its arguments."""
    url = re.sub(r"<(?:\w+:)?\w+>", "1", pattern)
    url = re.sub(r"\(\?P<\w+>[^)]*\)", "1", url)
    return "/" + url.lstrip("^").rstrip("$").replace("\\/", "/")


ALL_URLS = url_patterns_all()


def test_the_url_conf_has_pages_to_check() -> None:
    names = {name for _, name in ALL_URLS}
    assert {"home", "ladder:ladder", "ops:health", "admin:index"} <= names


PRIVATE = [(p, n) for p, n in ALL_URLS if n not in PUBLIC]


@pytest.mark.django_db
@pytest.mark.parametrize(("pattern", "name"), PRIVATE, ids=[n for _, n in PRIVATE])
def test_an_anonymous_visitor_is_sent_to_login(client, pattern: str, name: str) -> None:
    response = client.get(_concrete(pattern))
    if pattern.startswith("api/"):
        # Desk scripts, not browsers: a 401 they can act on, not a login page.
        assert response.status_code == 401, f"{pattern} answered {response.status_code}"
        assert "error" in response.json()
        return
    assert response.status_code == 302, f"{pattern} answered {response.status_code}"
    assert response["Location"].startswith(reverse(settings.LOGIN_URL))


@pytest.mark.django_db
def test_only_the_probes_and_the_login_page_are_public(client, stack) -> None:
    public = sorted(n for _, n in ALL_URLS if n in PUBLIC)
    assert public == ["favicon", "healthz", "login", "readyz"]
    for name in ("healthz", "login", "readyz"):
        assert client.get(reverse(name)).status_code == 200, name
    icon = client.get(reverse("favicon"))  # to the static icon, which anyone may fetch
    assert icon.status_code == 301
    assert icon["Location"].endswith("/frgm/favicon.svg")


@pytest.mark.django_db
def test_the_admin_has_no_second_login_form(client) -> None:
    response = client.get("/admin/login/?next=/admin/")
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))
