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


def client_ip(request) -> str:
    """The client's address: the peer, or the entry our own trusted proxies added to X-Forwarded-For."""
    from django.conf import settings

    proxies = settings.KYC_TRUSTED_PROXIES
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]  # the left part can be forged by the client; this one was added by our proxy
    return request.META.get("REMOTE_ADDR", "")
