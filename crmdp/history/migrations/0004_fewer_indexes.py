"""Fewer indexes on the tables every delivery writes (issue 19): a foreign key
whose column another index starts with loses its own, and one that most rows
leave empty gets a partial index instead (see the models' Meta).

The fields change in the migration state only; in the database the old indexes
are dropped by name. Django's AlterField would rebuild each table on SQLite, once
per field, copying every row."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0008_fewer_indexes"),
        ("deals", "0004_deal_number_unique"),
        ("history", "0003_historyentry_mentions_customer_and_more"),
        ("listeners", "0005_listener_formats"),
        ("notes", "0002_note_ticket"),
        ("orgs", "0007_reset_throttle_scopes"),
        ("tickets", "0006_ticket_assignee"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="historyentry",
                    name="customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="history",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="historyentry",
                    name="deal",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="history",
                        to="deals.deal",
                    ),
                ),
                migrations.AlterField(
                    model_name="historyentry",
                    name="mentions_customer",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="historyentry",
                    name="mentions_deal",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="deals.deal",
                    ),
                ),
                migrations.AlterField(
                    model_name="historyentry",
                    name="mentions_note",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="notes.note",
                    ),
                ),
                migrations.AlterField(
                    model_name="historyentry",
                    name="ticket",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="history",
                        to="tickets.ticket",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "history_historyentry_customer_id_b5e0f6e1"',
                    'CREATE INDEX "history_historyentry_customer_id_b5e0f6e1"'
                    ' ON "history_historyentry" ("customer_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "history_historyentry_deal_id_5f912aae"',
                    'CREATE INDEX "history_historyentry_deal_id_5f912aae"'
                    ' ON "history_historyentry" ("deal_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "history_historyentry_ticket_id_5058a4f3"',
                    'CREATE INDEX "history_historyentry_ticket_id_5058a4f3"'
                    ' ON "history_historyentry" ("ticket_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "history_historyentry_mentions_customer_id_41a17f75"',
                    'CREATE INDEX "history_historyentry_mentions_customer_id_41a17f75"'
                    ' ON "history_historyentry" ("mentions_customer_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "history_historyentry_mentions_deal_id_b3e9d808"',
                    'CREATE INDEX "history_historyentry_mentions_deal_id_b3e9d808"'
                    ' ON "history_historyentry" ("mentions_deal_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "history_historyentry_mentions_note_id_baccb93b"',
                    'CREATE INDEX "history_historyentry_mentions_note_id_baccb93b"'
                    ' ON "history_historyentry" ("mentions_note_id")',
                ),
            ],
        ),
        migrations.RemoveIndex(
            model_name="historyentry",
            name="history_deal",
        ),
        migrations.RemoveIndex(
            model_name="historyentry",
            name="history_ticket",
        ),
        migrations.AddIndex(
            model_name="historyentry",
            index=models.Index(
                condition=models.Q(("deal__isnull", False)),
                fields=["deal", "-id"],
                name="history_deal",
            ),
        ),
        migrations.AddIndex(
            model_name="historyentry",
            index=models.Index(
                condition=models.Q(("ticket__isnull", False)),
                fields=["ticket", "-id"],
                name="history_ticket",
            ),
        ),
        migrations.AddIndex(
            model_name="historyentry",
            index=models.Index(
                condition=models.Q(("mentions_customer__isnull", False)),
                fields=["mentions_customer"],
                name="history_mentions_customer",
            ),
        ),
        migrations.AddIndex(
            model_name="historyentry",
            index=models.Index(
                condition=models.Q(("mentions_deal__isnull", False)),
                fields=["mentions_deal"],
                name="history_mentions_deal",
            ),
        ),
        migrations.AddIndex(
            model_name="historyentry",
            index=models.Index(
                condition=models.Q(("mentions_note__isnull", False)),
                fields=["mentions_note"],
                name="history_mentions_note",
            ),
        ),
    ]
