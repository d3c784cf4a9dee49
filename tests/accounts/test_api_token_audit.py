"""Every API token made or revoked joins the audit trail: who, which token, from where."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from accounts.api_auth import api_token_create
from accounts.models import ApiToken, AuditEvent
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db


def test_the_admin_action_that_revokes_tokens_is_audited(administrator, trader) -> None:
    token, _ = api_token_create(user=trader, name="risk-export")
    already, _ = api_token_create(user=trader, name="old-script")
    logged_in(administrator).post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [already.pk]},
    )
    logged_in(administrator).post(
        reverse("admin:accounts_apitoken_changelist"),
        {"action": "revoke", "_selected_action": [token.pk, already.pk]},
    )
    revocations = AuditEvent.objects.filter(action="api_token.revoke").order_by("at")
    assert [(e.actor, e.target) for e in revocations] == [
        (administrator, f"{already.prefix}… (old-script, tina-trader)"),
        (administrator, f"{token.prefix}… (risk-export, tina-trader)"),  # once each
    ]
    assert revocations[0].detail == "admin action"


def test_the_command_that_creates_a_token_is_audited(trader) -> None:
    call_command("api_token", "create", "tina-trader", "--name", "risk-export", stdout=StringIO())
    token = ApiToken.objects.get(name="risk-export")
    event = AuditEvent.objects.get(action="api_token.create")
    assert event.target == f"{token.prefix}… (risk-export, tina-trader)"
    assert event.detail.startswith("manage.py api_token create, run by ")
    assert event.actor is None  # a shell, not a portal user


def test_the_command_that_revokes_a_token_is_audited(trader) -> None:
    token, _ = api_token_create(user=trader, name="leaver")
    call_command("api_token", "revoke", token.prefix, stdout=StringIO())
    event = AuditEvent.objects.get(action="api_token.revoke")
    assert event.target == f"{token.prefix}… (leaver, tina-trader)"
    assert event.detail.startswith("manage.py api_token revoke, run by ")
