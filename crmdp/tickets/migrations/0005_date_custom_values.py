"""Date custom field values stored as ISO 8601 calendar dates (`2019-07-08`), the one
format SPEC §4 promises, on contacts, leads, deals and tickets: values stored before
as date-times (`2019-07-08T00:00:00+07:00`) keep the calendar date of their own
offset."""

from django.db import migrations


def to_dates(apps, schema_editor):
    from crmdp.lib.values import read_moment

    Definition = apps.get_model("orgs", "CustomFieldDefinition")
    date_fields = {str(i) for i in Definition.objects.filter(field_type="date").values_list("id", flat=True)}
    if not date_fields:
        return
    for app, model in (("customers", "Customer"), ("deals", "Deal"), ("tickets", "Ticket")):
        Model = apps.get_model(app, model)
        changed = []
        for row in Model.objects.exclude(custom_fields={}).only("id", "custom_fields").iterator(
            chunk_size=1000
        ):
            values = dict(row.custom_fields)
            for key in date_fields & set(values):
                read = read_moment(values[key])
                if read.value is not None and values[key] != read.value.at.date().isoformat():
                    values[key] = read.value.at.date().isoformat()
            if values != row.custom_fields:
                row.custom_fields = values
                changed.append(row)
        Model.objects.bulk_update(changed, ["custom_fields"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [
        ("tickets", "0004_ticket_code"),
        ("customers", "0003_renormalise_keys"),
        ("deals", "0002_renormalise_values"),
        ("orgs", "0006_org_country_timezone"),
    ]
    operations = [migrations.RunPython(to_dates, migrations.RunPython.noop, elidable=True)]
