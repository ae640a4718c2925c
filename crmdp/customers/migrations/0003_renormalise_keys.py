"""Re-read stored emails and phones and rebuild every customer's keys by the rules of
issue 14 (SPEC §4): passports in NFKC without zero-width characters, email domains
in punycode, phones that must be valid (an invalid one loses its E.164 and its key).

Records that now share an identity key are reported, never merged: only a person can
tell whether they are one. `crmdp duplicates` lists them.
"""

from django.db import migrations


def renormalise(apps, schema_editor):
    from crmdp.customers.renormalising import duplicate_groups, renormalise

    Customer = apps.get_model("customers", "Customer")
    CustomerKey = apps.get_model("customers", "CustomerKey")
    Org = apps.get_model("orgs", "Org")
    report = renormalise(customer_model=Customer, key_model=CustomerKey, org_model=Org)
    groups = duplicate_groups(key_model=CustomerKey)
    if report.values_changed or report.keys_added or report.keys_removed or groups:
        print(
            f"\n  Re-normalised {report.customers} customers: {report.values_changed} with "
            f"re-read emails or phones, {report.keys_added} keys added, "
            f"{report.keys_removed} removed."
        )
    if groups:
        print(
            f"  {len(groups)} identity keys are now shared by more than one record "
            "(nothing was merged): run `crmdp duplicates` to list them."
        )


class Migration(migrations.Migration):
    dependencies = [("customers", "0002_key_collation_c"), ("orgs", "0002_org_sms_daily_cap")]
    operations = [migrations.RunPython(renormalise, migrations.RunPython.noop, elidable=True)]
