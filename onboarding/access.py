"""Who may see an applicant's data: their own browser session, or staff with the permission.

A case continued on a phone (the handoff link) has two browsers. Each gets back only the files it
sent itself: a desktop never receives the photos taken on the phone, so someone who starts a case
and talks a victim into scanning its link cannot read the victim's face and ID card.
"""

SESSION_KEY = "kyc_applicant_id"
HANDOFF_KEY = "kyc_handoff_id"  # set on a phone that joined through a link
CONFIRMED_KEY = "kyc_handoff_confirmed"  # the phone said it started the case itself


def session_applicant_id(request):
    return request.session.get(SESSION_KEY)


def session_handoff_id(request):
    """The phone link this browser joined through, or None for the browser that started the case."""
    return request.session.get(HANDOFF_KEY)


def remember_applicant(request, applicant, handoff=None):
    request.session.cycle_key()  # a fresh session id for the new applicant
    request.session[SESSION_KEY] = str(applicant.pk)
    if handoff is not None:
        request.session[HANDOFF_KEY] = str(handoff.pk)
        request.session[CONFIRMED_KEY] = False


def forget_applicant(request):
    request.session.flush()


def handoff_unconfirmed(request) -> bool:
    """A phone that joined a case but has not yet said it started that case itself."""
    return bool(session_handoff_id(request)) and not request.session.get(CONFIRMED_KEY)


def confirm_handoff(request):
    request.session[CONFIRMED_KEY] = True


def _staff_may_view(request) -> bool:
    user = getattr(request, "user", None)
    return bool(user is not None and user.is_active and user.is_staff and user.has_perm("onboarding.view_photo"))


def can_view_applicant(request, applicant_id) -> bool:
    if _staff_may_view(request):
        return True
    return session_applicant_id(request) == str(applicant_id) and not handoff_unconfirmed(request)


def can_view_upload(request, applicant_id, uploaded_via) -> bool:
    """A file of an applicant's: staff, or the browser that sent it (a phone also sees the desktop's)."""
    if _staff_may_view(request):
        return True
    if not can_view_applicant(request, applicant_id):
        return False
    mine = session_handoff_id(request)
    return uploaded_via is None or (mine is not None and str(uploaded_via) == str(mine))


def client_ip(request) -> str:
    """The client's address: the peer, or the entry our own trusted proxies added to X-Forwarded-For."""
    from django.conf import settings

    proxies = settings.KYC_TRUSTED_PROXIES
    if proxies > 0:
        hops = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if h.strip()]
        if len(hops) >= proxies:
            return hops[-proxies]  # the left part can be forged by the client; this one was added by our proxy
    return request.META.get("REMOTE_ADDR", "")
