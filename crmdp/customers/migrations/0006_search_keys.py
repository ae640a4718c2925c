"""Rebuild every customer's keys with the search-only ones of issue 17: the last name
(`lastname:nguyen huy`), each email's domain (`domain:htklabs.com`) and a lead's
company (`company:acme`). Matching never reads them; the UI's search does."""

from django.db import migrations


def rebuild_keys(apps, schema_editor):
    from crmdp.customers.renormalising import renormalise

    renormalise(
        customer_model=apps.get_model("customers", "Customer"),
        key_model=apps.get_model("customers", "CustomerKey"),
        org_model=apps.get_model("orgs", "Org"),
    )


class Migration(migrations.Migration):
    dependencies = [("customers", "0005_customer_code")]
    operations = [migrations.RunPython(rebuild_keys, migrations.RunPython.noop, elidable=True)]
