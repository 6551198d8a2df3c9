"""Applicant pages. Thin: every decision is made in services; access in onboarding.access."""

import functools

from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _
from django.views.decorators.cache import cache_control, never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onboarding import access
from onboarding.forms import ConsentForm, DeclaredIdentityForm, PhotoForm
from onboarding.models import Applicant, Handoff, LivenessChallenge, Photo, Verification
from onboarding.selectors import applicant as selectors
from onboarding.services import limits
from onboarding.services.applicant import branding, capture
from onboarding.services.applicant import challenges as challenge_service
from onboarding.services.applicant import handoff as handoff_service
from onboarding.services.applicant.applicants import add_photo, create_applicant
from onboarding.services.applicant.images import ImageRejected
from onboarding.services.compliance import audit
from onboarding.services.identity import documents
from onboarding.services.integrations.vendor_access import fetch_photo
from onboarding.services.pipeline.verifications import SubmissionError, submit_verification
from onboarding.storage import read_file
from vendors.liveness import MAX_FRAMES, MIN_FRAMES
from vendors.local import BRIGHT_ABOVE, DARK_BELOW
from vendors.messages import applicant_message

STEPS = {
    Photo.Kind.SELFIE: {
        "next": "onboarding:id_card",
        "template": "onboarding/selfie.html",
        "step": 2,
    },
    Photo.Kind.ID_CARD: {
        "next": "onboarding:id_card_back",
        "template": "onboarding/id_card.html",
        "step": 3,
    },
    Photo.Kind.ID_CARD_BACK: {
        "next": "onboarding:details",
        "template": "onboarding/id_card_back.html",
        "step": 3,
    },
}


def private_image(data, content_type):
    """An applicant's image: never cached by browsers or proxies."""
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


def _applicant(request):
    """The session's applicant; none for a phone that has not yet confirmed it started the case."""
    applicant_id = access.session_applicant_id(request)
    if not applicant_id or access.handoff_unconfirmed(request):
        return None
    return Applicant.objects.filter(pk=applicant_id).first()


def _phone_took_over(request, applicant) -> Handoff | None:
    """On the browser that started the case: the link through which a phone has joined it. From
    then on this browser follows the case's progress only (it never gets the phone's photos)."""
    if access.session_handoff_id(request) is not None:
        return None
    return applicant.handoffs.filter(claimed_at__isnull=False, declined_at__isnull=True).order_by("-claimed_at").first()


def _page_applicant(request):
    """(applicant, None), or (None, the response that sends this browser where it belongs)."""
    if access.handoff_unconfirmed(request):
        return None, redirect("onboarding:handoff_confirm")
    applicant = _applicant(request)
    if applicant is None:
        return None, redirect("onboarding:start")
    handoff = _phone_took_over(request, applicant)
    if handoff is not None:
        return None, render(
            request,
            "onboarding/handoff_follow.html",
            {"state_url": reverse("onboarding:handoff_state", args=[handoff.pk]), "step": 2},
        )
    return applicant, None


def with_applicant(view):
    """For the pages' scripts: the session's applicant, or a JSON 403 once the session has ended."""

    @functools.wraps(view)
    def wrapper(request, *args, **kwargs):
        applicant = _applicant(request)
        if applicant is None:
            return JsonResponse({"error": _("Your session has ended. Start again.")}, status=403)
        return view(request, applicant, *args, **kwargs)

    return wrapper


@never_cache
@require_http_methods(["GET", "POST"])
def start(request):
    form = ConsentForm(request.POST if request.method == "POST" else None)
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            limits.attempt(limits.rule("new_applicants"), *limits.subjects(request))
        except limits.RateLimited as exc:
            form.add_error(None, exc.message)
            status = 429
        else:
            applicant = create_applicant(consent_version=branding.current().consent_version, language=get_language())
            access.remember_applicant(request, applicant)
            return redirect("onboarding:selfie")
    applicant = _applicant(request)
    latest = selectors.latest_verification(applicant) if applicant else None
    return render(request, "onboarding/start.html", {"form": form, "step": 1, "latest": latest}, status=status)


def _wants_json(request):
    """The capture script uploads with XMLHttpRequest (for its progress bar) and asks for JSON."""
    return request.headers.get("Accept", "").startswith("application/json")


def _capture(request, kind):
    applicant, elsewhere = _page_applicant(request)
    if elsewhere is not None:
        return elsewhere
    step = STEPS[kind]
    next_step = step["next"]
    if kind == Photo.Kind.ID_CARD and not capture.documents_read():
        next_step = "onboarding:confirm"  # no back, no details: nothing reads them
    form = PhotoForm(request.POST, request.FILES) if request.method == "POST" else PhotoForm()
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            limits.attempt(limits.rule("uploads"), *limits.subjects(request, applicant))
            photo = add_photo(
                applicant, kind, form.cleaned_data["photo"], uploaded_via=access.session_handoff_id(request)
            )
            capture.photo_stored(photo)
        except limits.RateLimited as exc:
            form.add_error("photo", exc.message)
            status = 429
        except ImageRejected as exc:
            form.add_error("photo", exc.message)
        else:
            if _wants_json(request):
                answer = {"next": reverse(next_step)}
                if settings.KYC_CAPTURE_PRECHECK:
                    answer["check_url"] = reverse("onboarding:precheck", args=[photo.pk])
                return JsonResponse(answer)
            return redirect(next_step)
    if request.method == "POST" and _wants_json(request):
        errors = [str(e) for e in form.errors.get("photo", [])] or [str(e) for e in form.non_field_errors()]
        return JsonResponse({"errors": errors}, status=status)
    current = selectors.pending_photos(applicant).get(kind)
    return render(
        request,
        step["template"],
        {
            "form": form,
            "step": step["step"],
            "current": current,
            "precheck": settings.KYC_CAPTURE_PRECHECK,
            # The page's live light hint uses the quality check's own limits.
            "dark_below": DARK_BELOW,
            "bright_above": BRIGHT_ABOVE,
            # A larger chosen file is shrunk by the page to the side the server keeps (capture.js).
            "max_upload_bytes": settings.KYC_MAX_UPLOAD_BYTES,
            "max_upload_mb": round(settings.KYC_MAX_UPLOAD_BYTES / (1024 * 1024)),
            "stored_side": settings.KYC_STORED_IMAGE_MAX_SIDE,
        },
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def selfie(request):
    return _capture(request, Photo.Kind.SELFIE)


@never_cache
@require_http_methods(["GET", "POST"])
def id_card(request):
    return _capture(request, Photo.Kind.ID_CARD)


@never_cache
@require_http_methods(["GET", "POST"])
def id_card_back(request):
    """The card's back, for the types that carry data there (a Chinese card's validity, a TD1
    zone): skipped when documents are not read, or when the front was read as a passport page."""
    applicant, elsewhere = _page_applicant(request)
    if elsewhere is not None:
        return elsewhere
    front = selectors.pending_photos(applicant).get(Photo.Kind.ID_CARD)
    if request.method == "GET" and (front is None or not capture.back_wanted(front)):
        return redirect("onboarding:details" if front is not None else "onboarding:id_card")
    return _capture(request, Photo.Kind.ID_CARD_BACK)


@never_cache
@require_http_methods(["GET", "POST"])
def details(request):
    """Your details: the name, document number and date of birth the applicant declares, compared
    with what is read from their document (all optional; skipped when documents are not read)."""
    applicant, elsewhere = _page_applicant(request)
    if elsewhere is not None:
        return elsewhere
    if not capture.documents_read():
        return redirect("onboarding:confirm")
    form = DeclaredIdentityForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        declared = documents.clean_declared(**form.cleaned_data)
        documents.declare(applicant, declared, actor=audit.Actor.applicant(applicant))
        return redirect("onboarding:confirm")
    return render(request, "onboarding/details.html", {"form": form, "step": 4}, status=400 if form.errors else 200)


@never_cache
@require_http_methods(["GET", "POST"])
def confirm(request):
    applicant, elsewhere = _page_applicant(request)
    if elsewhere is not None:
        return elsewhere
    photos = selectors.pending_photos(applicant)
    missing = [k for k in (Photo.Kind.SELFIE, Photo.Kind.ID_CARD) if k not in photos]
    if missing:
        return redirect("onboarding:selfie" if Photo.Kind.SELFIE in missing else "onboarding:id_card")
    error, status = "", 200
    if request.method == "POST":
        try:
            limits.attempt(limits.rule("submissions"), *limits.subjects(request, applicant))
        except limits.RateLimited as exc:
            error, status = exc.message, 429
        else:
            try:
                verification = submit_verification(
                    applicant,
                    selfie=photos[Photo.Kind.SELFIE],
                    id_card=photos[Photo.Kind.ID_CARD],
                    id_card_back=photos.get(Photo.Kind.ID_CARD_BACK),
                )
            except SubmissionError:  # a photo erased meanwhile: take them again
                return redirect("onboarding:selfie")
            return redirect("onboarding:status", verification_id=verification.pk)
    return render(
        request,
        "onboarding/confirm.html",
        {
            "step": 4,
            "selfie": photos[Photo.Kind.SELFIE],
            "id_card": photos[Photo.Kind.ID_CARD],
            "id_card_back": photos.get(Photo.Kind.ID_CARD_BACK),
            "documents_read": capture.documents_read(),
            "error": error,
        },
        status=status,
    )


def _own_verification(request, verification_id):
    verification = Verification.objects.filter(pk=verification_id).first()
    if verification is None or not access.can_view_applicant(request, verification.applicant_id):
        raise Http404  # not 403: do not confirm that someone else's case exists
    return verification


@never_cache
@require_GET
def status(request, verification_id):
    verification = _own_verification(request, verification_id)
    return render(
        request,
        "onboarding/status.html",
        {
            "verification": verification,
            "state": selectors.applicant_status(verification),
            "step": 5,
            "status_url": reverse("onboarding:status_json", args=[verification.pk]),
            "sla_hours": round(settings.KYC_REVIEW_SLA_HOURS),
        },
    )


@never_cache
@require_GET
def status_json(request, verification_id):
    return JsonResponse(selectors.applicant_status(_own_verification(request, verification_id)))


@never_cache
@require_GET
def photo_file(request, photo_id):
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or not access.can_view_upload(request, photo.applicant_id, photo.uploaded_via):
        raise Http404
    if photo.purged_at is not None:
        return HttpResponse(
            _("This photo was deleted under the retention policy or on request."),
            status=410,
            content_type="text/plain; charset=utf-8",
        )
    return private_image(read_file(photo), photo.content_type)


MOVE_INSTRUCTIONS = {
    "turn_left": gettext_lazy("Turn your head to your left"),
    "turn_right": gettext_lazy("Turn your head to your right"),
}


@never_cache
@require_POST
@with_applicant
def challenge_start(request, applicant):
    """Issue a fresh, single-use head-turn challenge for this applicant."""
    try:
        limits.check(limits.rule("liveness_failures"), *limits.subjects(request, applicant))
    except limits.RateLimited as exc:
        return _too_many(exc, {"error": exc.message})
    challenge = challenge_service.issue_challenge(applicant)
    return JsonResponse(
        {
            "id": str(challenge.pk),
            "moves": challenge.moves,
            "instructions": [str(MOVE_INSTRUCTIONS[m]) for m in challenge.moves],
            "look_at_camera": _("Look straight at the camera"),
            "expires_in": settings.KYC_CHALLENGE_TTL_SECONDS,
            "frames": {"min": MIN_FRAMES, "max": MAX_FRAMES},
            "submit_url": reverse("onboarding:challenge_submit", args=[challenge.pk]),
        }
    )


@never_cache
@require_POST
@with_applicant
def challenge_submit(request, applicant, challenge_id):
    """Receive the burst and the selfie; a worker verifies them. The verdict (challenge_verdict's
    answer) when it is already there, else 202 and the URL to ask."""
    selfie = request.FILES.get("selfie")
    if selfie is None:
        return JsonResponse({"passed": False, "reasons": [_("Choose or take a photo first.")]}, status=400)
    rule, who = limits.rule("liveness_failures"), limits.subjects(request, applicant)
    try:
        token = limits.attempt(rule, *who)  # counted before the work; given back if it passes
    except limits.RateLimited as exc:
        return _too_many(exc, {"passed": False, "reasons": [exc.message]})
    try:
        challenge = challenge_service.submit_burst(
            challenge_id,
            applicant,
            request.FILES.getlist("frame"),
            selfie,
            uploaded_via=access.session_handoff_id(request),
            refund=(rule.name, token, who),
        )
    except challenge_service.ChallengeError as exc:
        return JsonResponse(
            {"passed": False, "reasons": [str(applicant_message(exc.code, exc.code))]}, status=exc.status
        )
    except ImageRejected as exc:
        return JsonResponse({"passed": False, "reasons": [str(exc.message)]}, status=400)
    return _verdict(challenge)


@never_cache
@require_GET
@with_applicant
def challenge_verdict(request, applicant, challenge_id):
    challenge = LivenessChallenge.objects.filter(pk=challenge_id, applicant=applicant).first()
    if challenge is None or challenge.status == LivenessChallenge.Status.ISSUED:
        raise Http404
    return _verdict(challenge)


def _verdict(challenge):
    if challenge.status == LivenessChallenge.Status.VERIFYING:
        return JsonResponse({"state_url": reverse("onboarding:challenge_verdict", args=[challenge.pk])}, status=202)
    passed = challenge.status == LivenessChallenge.Status.PASSED
    return JsonResponse(
        {
            "passed": passed,
            "reasons": [str(applicant_message(code, code)) for code in challenge.reasons],
            "next": reverse("onboarding:id_card") if passed else None,
        }
    )


def _too_many(exc, body):
    response = JsonResponse({**body, "retry_after": exc.retry_after}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@never_cache
@require_GET
def challenge_frame(request, challenge_id, index):
    challenge = LivenessChallenge.objects.filter(pk=challenge_id).first()
    if challenge is None or not access.can_view_upload(request, challenge.applicant_id, challenge.uploaded_via):
        raise Http404
    frames = challenge_service.read_frames(challenge)
    if not 0 <= index < len(frames):
        raise Http404
    return private_image(frames[index], "image/jpeg")


@never_cache
@require_GET
def vendor_image(request, token):
    """An image for a vendor that downloads it (AceData), behind a signed, expiring token."""
    photo = fetch_photo(
        token, remote_addr=request.META.get("REMOTE_ADDR", ""), user_agent=request.META.get("HTTP_USER_AGENT", "")
    )
    if photo is None:
        raise Http404
    return private_image(read_file(photo), photo.content_type)


@never_cache
@require_GET
def precheck(request, photo_id):
    """The checklist of a photo just taken (see services.applicant.capture): 202 while its analysis
    is being made, then the checklist in plain words. Only for the browser that sent the photo."""
    photo = Photo.objects.filter(pk=photo_id, purged_at__isnull=True).first()
    if (
        not settings.KYC_CAPTURE_PRECHECK
        or photo is None
        or not access.can_view_upload(request, photo.applicant_id, photo.uploaded_via)
    ):
        raise Http404
    found = capture.checklist(photo)
    if found is None:
        return JsonResponse({"ready": False}, status=202)
    return JsonResponse(found)


def _next_step(applicant):
    photos = selectors.pending_photos(applicant)
    if Photo.Kind.SELFIE not in photos:
        return "onboarding:selfie"
    return "onboarding:id_card" if Photo.Kind.ID_CARD not in photos else "onboarding:confirm"


@never_cache
@require_POST
@with_applicant
def handoff_start(request, applicant):
    """A QR code and a short link that continue this case on a phone."""
    handoff, code = handoff_service.start(applicant)
    link = request.build_absolute_uri(reverse("onboarding:handoff_claim", args=[handoff_service.display(code)]))
    return JsonResponse(
        {
            "link": link,
            "code": handoff_service.display(code),
            "qr": handoff_service.qr_data_uri(link),
            "expires_in": settings.KYC_HANDOFF_TTL_SECONDS,
            "state_url": reverse("onboarding:handoff_state", args=[handoff.pk]),
        }
    )


@never_cache
@require_GET
def handoff_state(request, handoff_id):
    handoff = Handoff.objects.select_related("applicant").filter(pk=handoff_id).first()
    if handoff is None or access.session_applicant_id(request) != str(handoff.applicant_id):
        raise Http404
    state = handoff_service.state(handoff)
    if state["state"] == "submitted":
        state["status_url"] = reverse("onboarding:status", args=[state["verification"]])
    return JsonResponse(state)


HANDOFF_ERRORS = {
    "unknown": gettext_lazy("This link is not valid. Check that you typed it exactly as shown on your computer."),
    "used": gettext_lazy("This link was already used. Ask your computer for a new code."),
    "expired": gettext_lazy("This link has expired. Ask your computer for a new code."),
}


@never_cache
@require_http_methods(["GET", "POST"])
def handoff_claim(request, code):
    """The phone's side. GET only shows a button: link previews in chat apps must not use up the link."""
    error, status = "", 200
    if request.method == "POST":
        rule, who = limits.rule("handoff_failures"), limits.subjects(request)
        try:
            token = limits.attempt(rule, *who)  # counted before the code is looked up
            handoff = handoff_service.claim(code)
        except limits.RateLimited as exc:
            error, status = exc.message, 429
        except handoff_service.HandoffError as exc:
            error, status = HANDOFF_ERRORS[exc.code], (404 if exc.code == "unknown" else 410)
        else:
            limits.refund(rule, token, *who)
            access.remember_applicant(request, handoff.applicant, handoff=handoff)
            return redirect("onboarding:handoff_confirm")
    return render(request, "onboarding/handoff.html", {"code": code, "error": error}, status=status)


@never_cache
@require_http_methods(["GET", "POST"])
def handoff_confirm(request):
    """The phone, before any capture: this case was started on another device, at this time. Did
    you start it? Someone who sent you this link could otherwise read your photos."""
    handoff_id = access.session_handoff_id(request)
    handoff = Handoff.objects.filter(pk=handoff_id).first() if handoff_id else None
    if handoff is None or handoff.declined_at is not None:
        return redirect("onboarding:start")
    if request.method == "POST":
        if request.POST.get("answer") == "yes":
            handoff_service.confirm(handoff)
            access.confirm_handoff(request)
            return redirect(_next_step(handoff.applicant))
        handoff_service.decline(handoff)
        access.forget_applicant(request)
        return render(request, "onboarding/handoff_declined.html")
    if not access.handoff_unconfirmed(request):
        return redirect(_next_step(handoff.applicant))
    return render(request, "onboarding/handoff_confirm.html", {"handoff": handoff})


@cache_control(public=True, max_age=300)
def brand_css(request):
    """The operator's colour as CSS variables: a stylesheet, since the CSP allows no inline style."""
    return HttpResponse(branding.stylesheet(branding.current()), content_type="text/css; charset=utf-8")


@cache_control(public=True, max_age=300)
def brand_logo(request):
    data = branding.logo_bytes()
    if not data:
        raise Http404
    return HttpResponse(data, content_type="image/png")


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")


@cache_control(public=True, max_age=86400)
def favicon(request):
    """Browsers ask every site for /favicon.ico, the admin's pages included: the app's icon."""
    return redirect(static("onboarding/favicon.svg"))
