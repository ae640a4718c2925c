"""Tickets get a number per org: the n of TID-n (see crmdp.orgs.numbering)."""

from django.db import migrations, models


def number_existing(apps, schema_editor):
    Model = apps.get_model("tickets", "Ticket")
    NumberSeries = apps.get_model("orgs", "NumberSeries")
    # Records made before codes were per org keep the code they were given (their
    # number is the id it was made of), so references kept by integrators still
    # name the same record; the org's series goes on from its highest number.
    Model.objects.filter(number__isnull=True).update(number=models.F("id"))
    for top in Model.objects.order_by().values("org_id").annotate(top=models.Max("number")):
        series, _ = NumberSeries.objects.get_or_create(org_id=top["org_id"], series="TID")
        if series.last_given < top["top"]:
            series.last_given = top["top"]
            series.save(update_fields=["last_given"])


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0002_ticket_statuses"),
        ("orgs", "0004_number_series"),
    ]

    operations = [
        migrations.AddField(
            model_name="ticket",
            name="number",
            field=models.BigIntegerField(null=True),
        ),
        migrations.RunPython(number_existing, migrations.RunPython.noop, elidable=False),
    ]
