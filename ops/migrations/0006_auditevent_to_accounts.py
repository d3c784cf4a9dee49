"""The audit trail now belongs to accounts (its 0004): ops forgets the model
but leaves the table, which accounts' model names with ``db_table``."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("ops", "0005_incident_note_max_length"),
        ("accounts", "0004_auditevent_from_ops"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[migrations.DeleteModel(name="AuditEvent")],
            database_operations=[],  # the table and its rows stay, for accounts
        ),
    ]
