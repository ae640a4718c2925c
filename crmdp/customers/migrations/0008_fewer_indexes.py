"""Fewer indexes on the tables every delivery writes: see history.0004_fewer_indexes."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0007_customer_attribution"),
        ("listeners", "0005_listener_formats"),
        ("orgs", "0007_reset_throttle_scopes"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="customer",
                    name="company",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="members",
                        to="customers.customer",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="org",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="customers",
                        to="orgs.org",
                    ),
                ),
                migrations.AlterField(
                    model_name="customer",
                    name="permit_group",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="orgs.usergroup",
                    ),
                ),
                migrations.AlterField(
                    model_name="customerkey",
                    name="org",
                    field=models.ForeignKey(
                        db_index=False,
                        on_delete=django.db.models.deletion.CASCADE,
                        related_name="+",
                        to="orgs.org",
                    ),
                ),
            ],
            database_operations=[
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "customers_customer_org_id_854f556b"',
                    'CREATE INDEX "customers_customer_org_id_854f556b"'
                    ' ON "customers_customer" ("org_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "customers_customer_company_id_d9d820a0"',
                    'CREATE INDEX "customers_customer_company_id_d9d820a0"'
                    ' ON "customers_customer" ("company_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "customers_customer_permit_group_id_7396cf31"',
                    'CREATE INDEX "customers_customer_permit_group_id_7396cf31"'
                    ' ON "customers_customer" ("permit_group_id")',
                ),
                migrations.RunSQL(
                    'DROP INDEX IF EXISTS "customers_customerkey_org_id_7b81badf"',
                    'CREATE INDEX "customers_customerkey_org_id_7b81badf"'
                    ' ON "customers_customerkey" ("org_id")',
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("company__isnull", False)),
                fields=["company"],
                name="customer_company",
            ),
        ),
        migrations.AddIndex(
            model_name="customer",
            index=models.Index(
                condition=models.Q(("permit_group__isnull", False)),
                fields=["permit_group"],
                name="customer_permit_group",
            ),
        ),
    ]
