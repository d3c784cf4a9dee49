"""Secret references: verified from metadata only; a secret's value never shows anywhere."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.models import AuditEvent
from ops.models import SecretReference
from tests.conftest import logged_in

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


def test_verify_records_dates_from_metadata_and_is_audited(administrator, planted_secret):
    reference, _ = planted_secret
    client_ = logged_in(administrator)
    client_.post(
        reverse("admin:ops_secretreference_changelist"),
        {"action": "verify", "_selected_action": [reference.pk]},
    )
    reference.refresh_from_db()
    assert reference.last_verified is not None
    assert reference.last_rotated is not None  # moto reports the creation date
    assert reference.verify_error == ""
    assert AuditEvent.objects.filter(action="secret.verify", target="TT API key").exists()


# That the value shows on no page and in no log: tests/site/test_secret_value_never_shown.py
# walks every URL.


def test_no_code_ever_asks_for_a_secret_value():
    sources = [
        p
        for folder in ("lib", "feeds", "ladder", "ops", "accounts", "frgm_site")
        for p in (ROOT / folder).rglob("*.py")
    ]
    # ops/secrets.py names the call in its docstring to say it is never made.
    offenders = [
        str(p) for p in sources if "get_secret_value" in p.read_text() and p.name != "secrets.py"
    ]
    assert offenders == []
    assert "get_secret_value(" not in (ROOT / "ops" / "secrets.py").read_text()


def test_an_unknown_secret_is_reported_not_fatal(administrator, stack):
    reference = SecretReference.objects.create(
        name="gone",
        arn="arn:aws:secretsmanager:us-east-1:123456789012:secret:gone-AbCdEf",
        purpose="x",
        used_by="web",
        owner="ops",
    )
    logged_in(administrator).post(
        reverse("admin:ops_secretreference_changelist"),
        {"action": "verify", "_selected_action": [reference.pk]},
    )
    reference.refresh_from_db()
    assert reference.verify_error == "ResourceNotFoundException"


def test_overdue_rotation_is_flagged():
    reference = SecretReference(
        name="x",
        arn="a",
        purpose="p",
        used_by="u",
        owner="o",
        rotation_days=30,
        last_rotated=timezone.now() - timedelta(days=31),
    )
    assert reference.rotation_overdue()
    reference.last_rotated = timezone.now() - timedelta(days=29)
    assert not reference.rotation_overdue()


def test_admin_changes_join_the_audit_trail(administrator):
    logged_in(administrator).post(
        reverse("admin:ops_holiday_add"), {"day": "2025-12-25", "name": "Christmas"}
    )
    event = AuditEvent.objects.get(action="admin.addition")
    assert "Christmas" in event.target
    assert event.actor.username == "ada-admin"
