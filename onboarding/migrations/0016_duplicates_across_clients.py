from django.db import migrations, models


def mark_existing(apps, schema_editor):
    """Signals found before the field existed: across clients where the two applicants' clients differ."""
    DuplicateSignal = apps.get_model("onboarding", "DuplicateSignal")
    across = [pk for pk, mine, theirs in DuplicateSignal.objects.values_list(
        "pk", "verification__applicant__client_id", "other_applicant__client_id").iterator() if mine != theirs]
    for start in range(0, len(across), 1000):
        DuplicateSignal.objects.filter(pk__in=across[start:start + 1000]).update(across_clients=True)


class Migration(migrations.Migration):

    dependencies = [
        ("onboarding", "0015_webhook_url_rules"),
    ]

    operations = [
        migrations.AddField(
            model_name="duplicatesignal",
            name="across_clients",
            field=models.BooleanField(default=False, verbose_name="across clients"),
        ),
        migrations.RunPython(mark_existing, migrations.RunPython.noop),
    ]
