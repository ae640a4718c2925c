from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0003_ticket_number"),
    ]

    operations = [
        migrations.AlterField(
            model_name="ticket",
            name="number",
            field=models.BigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="ticket",
            constraint=models.UniqueConstraint(fields=("org", "number"), name="ticket_code"),
        ),
    ]
