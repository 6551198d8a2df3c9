"""Who may see an applicant's data: their own browser session, or staff with the permission."""
SESSION_KEY = "kyc_applicant_id"


def session_applicant_id(request):
    return request.session.get(SESSION_KEY)


def remember_applicant(request, applicant):
    request.session.cycle_key()  # a fresh session id for the new applicant
    request.session[SESSION_KEY] = str(applicant.pk)


def can_view_applicant(request, applicant_id) -> bool:
    user = getattr(request, "user", None)
    if user is not None and user.is_active and user.is_staff and user.has_perm("onboarding.view_photo"):
        return True
    return session_applicant_id(request) == str(applicant_id)
