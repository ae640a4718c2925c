"""On PostgreSQL, compare CustomerKey.key bytewise (COLLATE "C").

Keys are already normalised, so a linguistic collation buys nothing; "C" makes
equality cheaper and lets prefix searches (key >= 'name:huy' AND key < 'name:huy
\U0010ffff') use the (org, key) index. SQLite compares bytewise already.
"""

from django.db import migrations


def to_c(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE customers_customerkey ALTER COLUMN "key" TYPE varchar(300) COLLATE "C"'
        )


def back(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            'ALTER TABLE customers_customerkey ALTER COLUMN "key" TYPE varchar(300) COLLATE "default"'
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0001_initial")]
    operations = [migrations.RunPython(to_c, back)]
