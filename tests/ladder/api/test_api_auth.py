"""Who may call the API: a session or a bearer token, with the trader role; JSON refusals."""

from __future__ import annotations

import hashlib
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from accounts.api_auth import api_token_create, api_token_revoke
from accounts.models import ApiToken
from tests.conftest import logged_in

URLS = [
    reverse("api:ladder"),
    reverse("api:spot_risk"),
    reverse("api:history") + "?feed=tt-orders&date=2025-07-21",
    reverse("api:slide"),
]
EXPECTED = {"trader": 200, "administrator": 200, "oncall": 403, "roleless": 403}


@pytest.mark.parametrize("url", URLS)
@pytest.mark.parametrize(("persona", "status"), EXPECTED.items())
def test_each_role_gets_its_answer_by_session(request, desk, url, persona, status) -> None:
    response = logged_in(request.getfixturevalue(persona)).get(url)
    assert response.status_code == status
    if status == 403:
        assert response.json() == {"error": "this API needs the trader role"}


@pytest.mark.parametrize("url", URLS)
def test_an_anonymous_caller_gets_a_401_in_json_not_a_redirect(stack, db, url) -> None:
    response = Client().get(url)
    assert response.status_code == 401
    assert response["Content-Type"] == "application/json"
    assert "Bearer" in response.json()["error"]
    assert response["WWW-Authenticate"].startswith("Bearer")


@pytest.mark.parametrize(("persona", "status"), EXPECTED.items())
def test_a_bearer_token_acts_as_its_user(request, desk, persona, status) -> None:
    _, raw = api_token_create(user=request.getfixturevalue(persona), name="test")
    response = Client().get(URLS[0], headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == status


def test_a_token_records_when_it_was_last_used(desk, trader) -> None:
    token, raw = api_token_create(user=trader, name="risk-export")
    assert token.last_used is None
    Client().get(URLS[0], headers={"Authorization": f"Bearer {raw}"})
    token.refresh_from_db()
    assert token.last_used is not None


@pytest.mark.parametrize(
    "header", ["Bearer frgm_not-a-token", "Bearer ", "Token abc", "Basic dGluYTpwdw=="]
)
def test_an_unknown_or_malformed_token_gets_a_401(stack, trader, header) -> None:
    response = Client().get(URLS[0], headers={"Authorization": header})
    assert response.status_code == 401
    assert "error" in response.json()


def test_a_revoked_token_gets_a_401_even_with_a_session(desk, trader) -> None:
    token, raw = api_token_create(user=trader, name="old script")
    api_token_revoke(token=token)
    response = logged_in(trader).get(URLS[0], headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401
    assert response.json() == {"error": "unknown or revoked token"}


def test_a_token_of_a_deactivated_user_gets_a_401(desk, trader) -> None:
    _, raw = api_token_create(user=trader, name="leaver")
    trader.is_active = False
    trader.save()
    response = Client().get(URLS[0], headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 401


def test_only_get_is_allowed(desk, trader) -> None:
    assert logged_in(trader).post(URLS[0]).status_code == 405


def test_the_command_prints_the_token_once_and_stores_only_its_hash(stack, trader) -> None:
    out = StringIO()
    call_command("api_token", "create", trader.username, "--name", "risk-export", stdout=out)
    raw = out.getvalue().strip()
    token = ApiToken.objects.get(user=trader)
    assert raw.startswith("frgm_")
    assert token.key_hash == hashlib.sha256(raw.encode()).hexdigest()
    assert token.prefix == raw[:12]
    assert raw not in {getattr(token, f.attname) for f in ApiToken._meta.fields}
    response = Client().get(URLS[2], headers={"Authorization": f"Bearer {raw}"})
    assert response.status_code == 200
    listing = StringIO()
    call_command("api_token", "list", stdout=listing)
    assert token.prefix in listing.getvalue()
    assert raw not in listing.getvalue()
    call_command("api_token", "revoke", token.prefix, stdout=StringIO())
    assert Client().get(URLS[2], headers={"Authorization": f"Bearer {raw}"}).status_code == 401


def test_the_admin_lists_tokens_by_prefix_and_never_shows_the_hash(stack, administrator) -> None:
    token, raw = api_token_create(user=administrator, name="desk-script")
    client = logged_in(administrator)
    listing = client.get(reverse("admin:accounts_apitoken_changelist")).content.decode()
    assert token.prefix in listing
    assert token.key_hash not in listing
    detail = client.get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert token.key_hash not in detail.content.decode()
    assert raw not in detail.content.decode()
    assert client.get(reverse("admin:accounts_apitoken_add")).status_code == 403


def test_the_admin_action_revokes(stack, administrator) -> None:
    token, _ = api_token_create(user=administrator, name="desk-script")
    logged_in(administrator).post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk]},
    )
    token.refresh_from_db()
    assert token.revoked is not None
