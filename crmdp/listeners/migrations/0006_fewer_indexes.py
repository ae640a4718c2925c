"""Fewer indexes on the tables every delivery writes: see history.0004_fewer_indexes."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("listeners", "0005_listener_formats"),
        ("orgs", "0007_reset_throttle_scopes"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="delivery",
                    name="listener",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="deliveries",
                        to="listeners.listener",
                    ),
                ),
                migrations.AlterField(
                    model_name="delivery",
                    name="replay_of",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="replays",
                        to="listeners.delivery",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "listeners_delivery_listener_id_07ab07d2"',
                    'CREATE INDEX "listeners_delivery_listener_id_07ab07d2"'
                    ' ON "listeners_delivery" ("listener_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "listeners_delivery_replay_of_id_c4d684df"',
                    'CREATE INDEX "listeners_delivery_replay_of_id_c4d684df"'
                    ' ON "listeners_delivery" ("replay_of_id")',
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="delivery",
            index=models.Index(
                condition=models.Q(("replay_of__isnull", False)),
                fields=["replay_of"],
                name="delivery_replay_of",
            ),
        ),
    ]
