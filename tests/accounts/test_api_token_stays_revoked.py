"""A revoked API token stays revoked: no admin edit and no save brings it back."""

from __future__ import annotations

import pytest
from django.urls import reverse

from accounts.api_auth import api_token_create, api_token_revoke, api_token_user
from accounts.models import ApiToken, TokenRevokedError
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_an_admin_cannot_un_revoke_a_token_through_its_change_form(administrator, trader) -> None:
    token, raw = api_token_create(user=trader, name="leaked-script")
    api_token_revoke(token=token, actor=administrator, via="test")
    revoked_at = ApiToken.objects.get(pk=token.pk).revoked

    response = logged_in(administrator).post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]),
        {"name": "leaked-script", "revoked_0": "", "revoked_1": ""},
    )

    assert response.status_code in (200, 302)
    assert ApiToken.objects.get(pk=token.pk).revoked == revoked_at
    assert api_token_user(raw=raw) is None  # the leaked token still opens nothing


def test_the_change_form_shows_revoked_as_read_only(administrator, trader) -> None:
    token, _ = api_token_create(user=trader, name="leaked-script")
    api_token_revoke(token=token, actor=administrator, via="test")
    page = logged_in(administrator).get(reverse("admin:accounts_apitoken_change", args=[token.pk]))
    assert b'name="revoked_0"' not in page.content
    assert b'name="revoked_1"' not in page.content


def test_saving_a_revoked_token_without_its_revocation_is_refused(administrator, trader) -> None:
    token, raw = api_token_create(user=trader, name="leaked-script")
    api_token_revoke(token=token, actor=administrator, via="test")
    token.refresh_from_db()
    token.revoked = None
    with pytest.raises(TokenRevokedError):
        token.save()
    assert api_token_user(raw=raw) is None


def test_a_live_token_can_still_be_renamed(administrator, trader) -> None:
    token, raw = api_token_create(user=trader, name="risk-export")
    logged_in(administrator).post(
        reverse("admin:accounts_apitoken_change", args=[token.pk]), {"name": "risk-export-v2"}
    )
    assert ApiToken.objects.get(pk=token.pk).name == "risk-export-v2"
    assert api_token_user(raw=raw) == trader
