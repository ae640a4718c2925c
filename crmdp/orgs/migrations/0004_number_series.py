import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0003_membership_full_name"),
    ]

    operations = [
        migrations.CreateModel(
            name="NumberSeries",
            fields=[
                (
                    "id",
                    models.BigAutoField(
                        auto_created=True, primary_key=True, serialize=False, verbose_name="ID"
                    ),
                ),
                (
                    "series",
                    models.CharField(
                        choices=[
                            ("PID", "contacts (PID-n)"),
                            ("CID", "accounts (CID-n)"),
                            ("LID", "leads (LID-n)"),
                            ("TID", "tickets (TID-n)"),
                            ("deal", "deals (dealId)"),
                        ],
                        max_length=8,
                    ),
                ),
                ("last_given", models.BigIntegerField(default=0)),
                (
                    "org",
                    models.ForeignKey(
                        on_delete=django.db.models.deletion.CASCADE, related_name="+", to="orgs.org"
                    ),
                ),
            ],
            options={
                "constraints": [
                    models.UniqueConstraint(fields=("org", "series"), name="number_series_per_org")
                ],
            },
        ),
    ]
