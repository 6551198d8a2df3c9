from django.utils.functional import SimpleLazyObject


def branding(request):
    """The operator's brand, read only by the templates that use it (the admin does not)."""
    from onboarding.services.applicant.branding import current

    return {"brand": SimpleLazyObject(current)}
