"""The audit trail moves from ops to accounts: the model only, not the data.

The table keeps its name (``ops_auditevent``) and its rows; only Django's idea
of which app owns it changes (ops' 0006 forgets it there). The content type is
renamed rather than replaced, so the admin group's audit permissions and the
admin's own log entries that point at it keep pointing at it.
"""

from typing import Any

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models


def _content_type_relabel(apps: Any, schema_editor: Any, *, old: str, new: str) -> None:
    content_type = apps.get_model("contenttypes", "ContentType")
    rows = content_type.objects.using(schema_editor.connection.alias)
    # A fresh database has no content types yet (post_migrate makes them later);
    # one that has the new label already keeps it.
    if not rows.filter(app_label=new, model="auditevent").exists():
        rows.filter(app_label=old, model="auditevent").update(app_label=new)


def content_type_to_accounts(apps: Any, schema_editor: Any) -> None:
    _content_type_relabel(apps, schema_editor, old="ops", new="accounts")


def content_type_to_ops(apps: Any, schema_editor: Any) -> None:
    _content_type_relabel(apps, schema_editor, old="accounts", new="ops")


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_api_token_revoked_help"),
        ("contenttypes", "0002_remove_content_type_name"),
        ("ops", "0005_incident_note_max_length"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name="AuditEvent",
                    fields=[
                        (
                            "id",
                            models.BigAutoField(
                                auto_created=True,
                                primary_key=True,
                                serialize=False,
                                verbose_name="ID",
                            ),
                        ),
                        ("action", models.CharField(db_index=True, max_length=64)),
                        ("target", models.CharField(blank=True, max_length=255)),
                        ("detail", models.TextField(blank=True)),
                        (
                            "at",
                            models.DateTimeField(db_index=True, default=django.utils.timezone.now),
                        ),
                        (
                            "actor",
                            models.ForeignKey(
                                blank=True,
                                null=True,
                                on_delete=django.db.models.deletion.PROTECT,
                                to=settings.AUTH_USER_MODEL,
                            ),
                        ),
                    ],
                    options={"db_table": "ops_auditevent", "ordering": ["-at"]},
                ),
            ],
            database_operations=[],  # the table exists: ops' 0001 made it
        ),
        migrations.RunPython(content_type_to_accounts, content_type_to_ops),
    ]
