"""Recompute each deal's name key by today's rule (NFC, case-folded, spaces
collapsed, zero-width characters removed), so `add-deal` and `add-note` find a deal
by a name written with or without them (issue 14, SPEC §4)."""

from django.db import migrations


def renormalise(apps, schema_editor):
    from crmdp.lib.values import name_key

    Deal = apps.get_model("deals", "Deal")
    changed = []
    for deal in Deal.objects.only("id", "name", "name_key").iterator(chunk_size=1000):
        key = name_key(deal.name)
        if deal.name_key != key:
            deal.name_key = key
            changed.append(deal)
    Deal.objects.bulk_update(changed, ["name_key"], batch_size=500)


class Migration(migrations.Migration):
    dependencies = [("deals", "0001_initial")]
    operations = [migrations.RunPython(renormalise, migrations.RunPython.noop, elidable=True)]
