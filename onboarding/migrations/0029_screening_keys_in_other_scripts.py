"""List entries with a name in another script (Cyrillic, Greek, Arabic, Hebrew, Hangul …) keyed
again: their names are now also spelt in Latin letters, and the keys of an entry imported before
are made only when it changes, which importing the same list again would not do."""

from django.db import migrations
from django.db.models import Count

from vendors.documents.names import OTHER_SCRIPT
from vendors.screening import names

BATCH = 1000
FREQUENT = 2000  # as onboarding.services.screening.lists


def rekey(apps, schema_editor):
    entries = apps.get_model("onboarding", "ScreeningEntry")
    keys = apps.get_model("onboarding", "ScreeningKey")
    frequent = apps.get_model("onboarding", "ScreeningFrequentKey")

    def write(batch):
        keys.objects.filter(entry_id__in=[e.pk for e in batch]).delete()
        keys.objects.bulk_create(
            [keys(entry_id=entry.pk, key=key) for entry in batch for key in names.keys_of_names(entry.names)]
        )

    batch, rekeyed = [], 0
    for entry in entries.objects.only("id", "names").iterator(chunk_size=BATCH):
        if any(OTHER_SCRIPT.search(name) for name in entry.names):
            batch.append(entry)
        if len(batch) == BATCH:
            write(batch)
            rekeyed += len(batch)
            batch = []
    if batch:
        write(batch)
        rekeyed += len(batch)
    if rekeyed:
        frequent.objects.all().delete()
        counted = keys.objects.values("key").annotate(entries=Count("id")).filter(entries__gt=FREQUENT).order_by()
        frequent.objects.bulk_create([frequent(**row) for row in counted])


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0028_duplicate_signals_outlive_the_other_side"),
    ]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
