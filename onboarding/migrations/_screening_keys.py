"""Keying list entries again after their names' spellings change (migrations 0029 and later): the
keys of an entry imported before are made only when it changes, which importing the same list
again would not do. Not a migration itself (the loader skips modules named with a leading _)."""

from django.db.models import Count

from vendors.screening import names

BATCH = 1000
FREQUENT = 2000  # as onboarding.services.screening.lists


def rekeying(spelt_anew):
    """A migration's operation that keys again every entry one of whose names `spelt_anew(name)`
    says is spelt anew, then counts again the keys too frequent to search by."""

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
            if any(spelt_anew(name) for name in entry.names):
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

    return rekey
