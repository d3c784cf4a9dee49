"""The local persona users: made once, passwords printed once, a lost one can be reset."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.contrib.auth.models import Group, Permission, User
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.test import Client, RequestFactory
from django.urls import reverse

pytestmark = pytest.mark.django_db


def _run(*args: str) -> str:
    out = StringIO()
    call_command("create_role_users", *args, stdout=out)
    return out.getvalue()


def _passwords(text: str) -> dict[str, str]:
    return dict(re.findall(r"^\s+(\w+)\s+(?:created, password|new password): (\S+)$", text, re.M))


def _logs_in(username: str, password: str) -> bool:
    request = RequestFactory().post("/accounts/login/")
    return authenticate(request, username=username, password=password) is not None


def test_the_users_are_made_once_and_a_lost_password_can_be_reset(settings) -> None:
    settings.FRGM_ROLE_PASSWORD = ""
    first = _passwords(_run())
    assert set(first) == {"trader", "oncall", "admin"}
    again = _run()
    assert _passwords(again) == {}
    assert "exists (password unchanged; a lost one:" in again
    reset = _passwords(_run("--reset"))
    assert set(reset) == {"trader", "oncall", "admin"}
    assert reset["trader"] != first["trader"]
    assert _logs_in("trader", reset["trader"])
    assert not _logs_in("trader", first["trader"])


def test_the_admin_persona_opens_the_admin_by_its_role_alone(settings) -> None:
    settings.FRGM_ROLE_PASSWORD = "persona-pass-8e2a"
    _run()
    admin = User.objects.get(username="admin")
    assert not admin.is_superuser
    client = Client()
    login = client.post(reverse("login"), {"username": "admin", "password": "persona-pass-8e2a"})
    assert login.status_code == 302
    for page in (
        "admin:index",
        "admin:auth_user_changelist",
        "admin:accounts_auditevent_changelist",
    ):
        assert client.get(reverse(page)).status_code == 200, page


def test_a_model_added_later_is_open_to_admins_after_the_next_migrate() -> None:
    # What a new model brings: its content type and permissions, made by migrate.
    new_model = ContentType.objects.create(app_label="ops", model="newthing")
    permission = Permission.objects.create(
        content_type=new_model, codename="view_newthing", name="Can view new thing"
    )
    admins = Group.objects.get(name="admin")
    assert not admins.permissions.filter(pk=permission.pk).exists()
    call_command("migrate", verbosity=0)
    assert admins.permissions.filter(pk=permission.pk).exists()
    call_command("create_role_users", stdout=StringIO())  # which also keeps it whole
    assert admins.permissions.count() == Permission.objects.count()
