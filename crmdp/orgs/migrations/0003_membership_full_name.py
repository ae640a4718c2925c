from django.db import migrations, models


def names_to_memberships(apps, schema_editor):
    """Each org keeps showing the name it showed before: the login's."""
    Membership = apps.get_model("orgs", "Membership")
    for membership in Membership.objects.select_related("user").exclude(user__full_name=""):
        membership.full_name = membership.user.full_name
        membership.save(update_fields=["full_name"])


class Migration(migrations.Migration):
    dependencies = [
        ("orgs", "0002_org_sms_daily_cap"),
    ]

    operations = [
        migrations.AddField(
            model_name="membership",
            name="full_name",
            field=models.CharField(blank=True, max_length=200),
        ),
        migrations.RunPython(names_to_memberships, migrations.RunPython.noop),
    ]
