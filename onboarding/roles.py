"""Compliance roles as Django groups. Created by migration 0007; ensure_roles() recreates them."""

VIEW = ["view_verification", "view_photo", "view_check", "view_auditevent", "view_applicant", "view_decision",
        "view_livenesschallenge", "view_overturnrequest"]
ROLES = {
    "Reviewer": VIEW + ["decide_verification"],
    "Senior reviewer": VIEW + ["decide_verification", "overturn_decision", "export_evidence"],
    # Read-only: sees everything about cases and the trail, decides nothing.
    "Auditor": VIEW + ["view_auditseal", "view_webhookdelivery", "view_webhookevent", "export_evidence"],
    "KYC administrator": None,  # every permission of the onboarding app
}


def ensure_roles(group_model=None, permission_model=None):
    if group_model is None:
        from django.contrib.auth.models import Group as group_model, Permission as permission_model
    onboarding = permission_model.objects.filter(content_type__app_label="onboarding")
    for name, codenames in ROLES.items():
        group, _ = group_model.objects.get_or_create(name=name)
        perms = onboarding if codenames is None else onboarding.filter(codename__in=codenames)
        missing = set(codenames or []) - set(perms.values_list("codename", flat=True))
        if missing:
            raise RuntimeError(f"permissions missing for {name}: {sorted(missing)}")
        group.permissions.set(perms)
