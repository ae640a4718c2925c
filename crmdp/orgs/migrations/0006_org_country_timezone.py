"""An org's country (how dates and numbers are read) and timezone (where an instant
falls on the calendar): existing orgs get their phone region's country and its main
zone (SPEC §1)."""

from django.db import migrations, models


def fill(apps, schema_editor):
    from crmdp.lib.locales import is_country, main_timezone

    Org = apps.get_model("orgs", "Org")
    for org in Org.objects.filter(country=""):
        country = org.phone_region.upper() if is_country(org.phone_region) else ""
        org.country = country
        org.timezone = main_timezone(country) if country else "UTC"
        org.save(update_fields=["country", "timezone"])


class Migration(migrations.Migration):
    dependencies = [("orgs", "0005_login_throttle")]
    operations = [
        migrations.AddField(
            model_name="org", name="country", field=models.CharField(blank=True, max_length=2)
        ),
        migrations.AddField(
            model_name="org", name="timezone", field=models.CharField(blank=True, max_length=64)
        ),
        migrations.RunPython(fill, migrations.RunPython.noop, elidable=True),
    ]
