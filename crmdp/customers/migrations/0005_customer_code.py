from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("customers", "0004_customer_number"),
    ]

    operations = [
        migrations.AlterField(
            model_name="customer",
            name="number",
            field=models.BigIntegerField(),
        ),
        migrations.AddConstraint(
            model_name="customer",
            constraint=models.UniqueConstraint(
                fields=("org", "kind", "number"), name="customer_code"
            ),
        ),
    ]
