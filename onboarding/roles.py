"""Compliance roles as Django groups. Created by migration 0007; ensure_roles() recreates them."""

VIEW = [
    "view_verification",
    "view_photo",
    "view_check",
    "view_auditevent",
    "view_applicant",
    "view_decision",
    "view_livenesschallenge",
    "view_overturnrequest",
    "view_legalhold",
    "view_erasurereceipt",
    "view_duplicatesignal",
    "view_blocklistentry",
    "view_screeningsource",
    "view_screeninglistversion",
    "view_screeningentry",
    "view_screeninghit",
    "view_blocklistmatch",
]
ROLES = {
    "Reviewer": VIEW + ["decide_verification"],
    "Senior reviewer": VIEW
    + [
        "decide_verification",
        "overturn_decision",
        "export_evidence",
        "place_legal_hold",
        "assign_verification",
        "view_dashboard",
        "run_policy_whatif",
        "view_policyversion",
        "manage_blocklist",
        "resolve_screening_hit",
    ],
    # Read-only: sees everything about cases and the trail, decides nothing.
    "Auditor": VIEW
    + [
        "view_auditseal",
        "view_auditcheckpoint",
        "view_webhookdelivery",
        "view_webhookevent",
        "export_evidence",
        "view_dashboard",
        "run_policy_whatif",
        "view_reviewreason",
        "view_policyversion",
    ],
    "KYC administrator": None,  # every permission of the onboarding app
}


def ensure_roles(group_model=None, permission_model=None, strict=True):
    """Give each role its permissions. strict=False (migrations) skips permissions a later migration adds."""
    if group_model is None:
        from django.contrib.auth.models import Group as group_model
        from django.contrib.auth.models import Permission as permission_model
    onboarding = permission_model.objects.filter(content_type__app_label="onboarding")
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        perms = onboarding if codenames is None else onboarding.filter(codename__in=codenames)
        missing = set(codenames or []) - set(perms.values_list("codename", flat=True))
        if missing and strict:
            raise RuntimeError(f"permissions missing for {name}: {sorted(missing)}")
        group.permissions.set(perms)


def migrate_roles(apps, schema_editor):
    """For migrations: create the permissions now (Django does it after all migrations), then the roles."""
    from django.contrib.auth.management import create_permissions

    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    ensure_roles(apps.get_model("auth", "Group"), apps.get_model("auth", "Permission"), strict=False)
