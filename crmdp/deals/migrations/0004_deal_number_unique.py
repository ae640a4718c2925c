from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("deals", "0003_deal_number"),
    ]

    operations = [
        migrations.AlterField(
            model_name="deal",
            name="number",
            field=models.BigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="deal",
            constraint=models.UniqueConstraint(fields=("org", "number"), name="deal_number"),
        ),
    ]
