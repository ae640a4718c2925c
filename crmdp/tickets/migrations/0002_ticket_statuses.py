"""The vendor's ticket statuses: New, Open, Pending, Resolved, Closed; new tickets
are New. Stored tickets keep their status ("open" and "resolved" are still valid)."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("tickets", "0001_initial")]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="status",
            field=models.CharField(
                choices=[
                    ("new", "New"),
                    ("open", "Open"),
                    ("pending", "Pending"),
                    ("resolved", "Resolved"),
                    ("closed", "Closed"),
                ],
                default="new",
                max_length=10,
            ),
        ),
    ]
