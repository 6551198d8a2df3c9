"""List entries with a name in Greek keyed again: such names are now also spelt by ELOT 743, as
Greek passports spell them (Ευάγγελος Μπακογιάννης: Evangelos Bakogiannis)."""

from django.db import migrations

from vendors.documents.names import GREEK

from ._screening_keys import rekeying

rekey = rekeying(GREEK.search)


class Migration(migrations.Migration):
    dependencies = [
        ("onboarding", "0029_screening_keys_in_other_scripts"),
    ]

    operations = [migrations.RunPython(rekey, migrations.RunPython.noop)]
