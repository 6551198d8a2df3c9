"""List entries with a name in another script (Cyrillic, Greek, Arabic, Hebrew, Hangul …) keyed
again: their names are now also spelt in Latin letters."""

from django.db import migrations

from vendors.documents.names import OTHER_SCRIPT

from ._screening_keys import rekeying

rekey = rekeying(OTHER_SCRIPT.search)


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0028_duplicate_signals_outlive_the_other_side"),
    ]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
