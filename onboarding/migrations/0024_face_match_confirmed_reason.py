from django.db import migrations


def seed_reasons(apps, schema_editor):
    from onboarding.models import ReviewReason

    ReviewReason.seed(apps.get_model("onboarding", "ReviewReason"))


class Migration(migrations.Migration):
    """The built-in approve template for a case with no liveness evidence."""

    dependencies = [("onboarding", "0023_face_index_blocklist")]

    operations = [migrations.RunPython(seed_reasons, migrations.RunPython.noop)]
