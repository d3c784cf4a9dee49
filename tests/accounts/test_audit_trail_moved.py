"""The audit trail moved from ops to accounts without losing a line of it.

Runs the real migrations backwards to before the move, writes a row the way the
old code did (ops' model), migrates forward and reads it through accounts'.
"""

from __future__ import annotations

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.urls import reverse

from accounts.models import AuditEvent
from tests.conftest import logged_in

BEFORE_THE_MOVE = [
    ("ops", "0005_incident_note_max_length"),
    ("accounts", "0003_api_token_revoked_help"),
]


def _migrate(targets: list[tuple[str, str]] | None = None) -> MigrationExecutor:
    executor = MigrationExecutor(connection)  # a fresh graph each time, as migrate makes
    executor.migrate(targets or executor.loader.graph.leaf_nodes())
    executor.loader.build_graph()
    return executor


@pytest.mark.django_db(transaction=True)
def test_a_row_written_before_the_move_is_read_through_accounts_after_it() -> None:
    content_type_id = ContentType.objects.get(app_label="accounts", model="auditevent").pk
    executor = _migrate(BEFORE_THE_MOVE)
    try:
        old = executor.loader.project_state(BEFORE_THE_MOVE).apps
        assert old.get_model("ops", "AuditEvent")._meta.db_table == "ops_auditevent"
        user = old.get_model("auth", "User").objects.create(username="oscar-oncall")
        old.get_model("ops", "AuditEvent").objects.create(
            actor_id=user.pk, action="dlq.redrive", target="feed-notifications", detail="12 moved"
        )
        # Going back gave the content type (and its permissions) back to ops.
        assert ContentType.objects.get(pk=content_type_id).app_label == "ops"
    finally:
        _migrate()

    event = AuditEvent.objects.get(action="dlq.redrive")
    assert (event.actor.username, event.target, event.detail) == (
        "oscar-oncall",
        "feed-notifications",
        "12 moved",
    )
    # The same content type, relabelled: the admin group's audit permissions held on.
    assert ContentType.objects.get(pk=content_type_id).app_label == "accounts"
    assert Permission.objects.filter(
        content_type_id=content_type_id, codename="view_auditevent"
    ).exists()


@pytest.mark.django_db
def test_the_admin_lists_the_audit_trail_under_accounts(administrator, oncall) -> None:
    from accounts.services import audit_record

    audit_record(actor=oncall, action="incident.ack", target="incident #7")
    page = logged_in(administrator).get(reverse("admin:accounts_auditevent_changelist"))
    assert page.status_code == 200
    assert b"incident #7" in page.content
    assert b"incident.ack" in page.content
