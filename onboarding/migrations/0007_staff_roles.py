"""Compliance roles as groups: Reviewer, Senior reviewer, Auditor, KYC administrator."""
from django.db import migrations

from onboarding.roles import ROLES, migrate_roles


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name__in=ROLES).delete()


class Migration(migrations.Migration):
    dependencies = [("onboarding", "0006_overturn_requests"), ("auth", "0012_alter_user_first_name_max_length"),
                    ("contenttypes", "0002_remove_content_type_name")]

    operations = [migrations.RunPython(migrate_roles, remove_roles)]
