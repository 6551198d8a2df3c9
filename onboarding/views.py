"""Applicant pages. Thin: every decision is made in services; access in onboarding.access."""
from django.conf import settings
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from onboarding import access, selectors
from onboarding.forms import ConsentForm, PhotoForm
from onboarding.models import Applicant, LivenessChallenge, Photo, Verification
from onboarding.services.applicants import add_photo, create_applicant, read_file
from onboarding.services import challenges as challenge_service
from onboarding.services import limits
from onboarding.services.images import ImageRejected
from onboarding.services.vendor_access import fetch_photo
from onboarding.services.verifications import SubmissionError, submit_verification
from vendors.liveness import MAX_FRAMES, MIN_FRAMES
from vendors.messages import applicant_message

STEPS = {
    Photo.Kind.SELFIE: {"next": "onboarding:id_card", "template": "onboarding/selfie.html", "step": 2},
    Photo.Kind.ID_CARD: {"next": "onboarding:review", "template": "onboarding/id_card.html", "step": 3},
}


def private_image(data, content_type):
    """An applicant's image: never cached by browsers or proxies."""
    response = HttpResponse(data, content_type=content_type)
    response["Cache-Control"] = "private, no-store"
    response["Content-Disposition"] = "inline"
    return response


def _applicant(request):
    applicant_id = access.session_applicant_id(request)
    return Applicant.objects.filter(pk=applicant_id).first() if applicant_id else None


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
            applicant = create_applicant(consent_version=settings.KYC_CONSENT_VERSION, language=get_language())
            access.remember_applicant(request, applicant)
            return redirect("onboarding:selfie")
    applicant = _applicant(request)
    latest = selectors.latest_verification(applicant) if applicant else None
    return render(request, "onboarding/start.html", {
        "form": form, "step": 1, "consent_version": settings.KYC_CONSENT_VERSION, "latest": latest},
        status=status)


def _capture(request, kind):
    applicant = _applicant(request)
    if applicant is None:
        return redirect("onboarding:start")
    step = STEPS[kind]
    form = PhotoForm(request.POST, request.FILES) if request.method == "POST" else PhotoForm()
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and form.is_valid():
        try:
            limits.attempt(limits.rule("uploads"), *limits.subjects(request, applicant))
            add_photo(applicant, kind, form.cleaned_data["photo"])
        except limits.RateLimited as exc:
            form.add_error("photo", exc.message)
            status = 429
        except ImageRejected as exc:
            form.add_error("photo", exc.message)
        else:
            return redirect(step["next"])
    current = selectors.pending_photos(applicant).get(kind)
    return render(request, step["template"], {"form": form, "step": step["step"], "current": current},
                  status=status)


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
def review(request):
    applicant = _applicant(request)
    if applicant is None:
        return redirect("onboarding:start")
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
                verification = submit_verification(applicant, selfie=photos[Photo.Kind.SELFIE],
                                                   id_card=photos[Photo.Kind.ID_CARD])
            except SubmissionError:  # a photo erased meanwhile: take them again
                return redirect("onboarding:selfie")
            return redirect("onboarding:status", verification_id=verification.pk)
    return render(request, "onboarding/review.html", {
        "step": 4, "selfie": photos[Photo.Kind.SELFIE], "id_card": photos[Photo.Kind.ID_CARD], "error": error},
        status=status)


def _own_verification(request, verification_id):
    verification = Verification.objects.filter(pk=verification_id).first()
    if verification is None or not access.can_view_applicant(request, verification.applicant_id):
        raise Http404  # not 403: do not confirm that someone else's case exists
    return verification


@never_cache
@require_GET
def status(request, verification_id):
    verification = _own_verification(request, verification_id)
    return render(request, "onboarding/status.html", {
        "verification": verification, "state": selectors.applicant_status(verification), "step": 5,
        "status_url": reverse("onboarding:status_json", args=[verification.pk])})


@never_cache
@require_GET
def status_json(request, verification_id):
    return JsonResponse(selectors.applicant_status(_own_verification(request, verification_id)))


@never_cache
@require_GET
def photo_file(request, photo_id):
    photo = Photo.objects.filter(pk=photo_id).first()
    if photo is None or not access.can_view_applicant(request, photo.applicant_id):
        raise Http404
    if photo.purged_at is not None:
        return HttpResponse(_("This photo was deleted under the retention policy or on request."), status=410,
                            content_type="text/plain; charset=utf-8")
    return private_image(read_file(photo), photo.content_type)


MOVE_INSTRUCTIONS = {
    "turn_left": gettext_lazy("Turn your head to your left"),
    "turn_right": gettext_lazy("Turn your head to your right"),
}


@never_cache
@require_POST
def challenge_start(request):
    """Issue a fresh, single-use head-turn challenge for this applicant."""
    applicant = _applicant(request)
    if applicant is None:
        return JsonResponse({"error": _("Your session has ended. Start again.")}, status=403)
    try:
        limits.check(limits.rule("liveness_failures"), *limits.subjects(request, applicant))
    except limits.RateLimited as exc:
        return _too_many(exc, {"error": exc.message})
    challenge = challenge_service.issue_challenge(applicant)
    return JsonResponse({
        "id": str(challenge.pk), "moves": challenge.moves,
        "instructions": [str(MOVE_INSTRUCTIONS[m]) for m in challenge.moves],
        "look_at_camera": _("Look straight at the camera"),
        "expires_in": settings.KYC_CHALLENGE_TTL_SECONDS,
        "frames": {"min": MIN_FRAMES, "max": MAX_FRAMES},
        "submit_url": reverse("onboarding:challenge_submit", args=[challenge.pk]),
    })


@never_cache
@require_POST
def challenge_submit(request, challenge_id):
    """Receive the burst and the selfie; answer at once whether the challenge passed and why not."""
    applicant = _applicant(request)
    if applicant is None:
        return JsonResponse({"error": _("Your session has ended. Start again.")}, status=403)
    selfie = request.FILES.get("selfie")
    if selfie is None:
        return JsonResponse({"passed": False, "reasons": [_("Choose or take a photo first.")]}, status=400)
    rule, who = limits.rule("liveness_failures"), limits.subjects(request, applicant)
    try:
        limits.check(rule, *who)
        challenge = challenge_service.submit_burst(challenge_id, applicant, request.FILES.getlist("frame"), selfie)
    except limits.RateLimited as exc:
        return _too_many(exc, {"passed": False, "reasons": [exc.message]})
    except challenge_service.ChallengeError as exc:
        return JsonResponse({"passed": False, "reasons": [str(applicant_message(exc.code, exc.code))]},
                            status=exc.status)
    except ImageRejected as exc:
        return JsonResponse({"passed": False, "reasons": [str(exc.message)]}, status=400)
    passed = challenge.status == LivenessChallenge.Status.PASSED
    if not passed:
        limits.hit(rule, *who)
    return JsonResponse({
        "passed": passed,
        "reasons": [str(applicant_message(code, code)) for code in challenge.reasons],
        "next": reverse("onboarding:id_card") if passed else None,
    })


def _too_many(exc, body):
    response = JsonResponse({**body, "retry_after": exc.retry_after}, status=429)
    response["Retry-After"] = str(exc.retry_after)
    return response


@never_cache
@require_GET
def challenge_frame(request, challenge_id, index):
    challenge = LivenessChallenge.objects.filter(pk=challenge_id).first()
    if challenge is None or not access.can_view_applicant(request, challenge.applicant_id):
        raise Http404
    frames = challenge_service.read_frames(challenge)
    if not 0 <= index < len(frames):
        raise Http404
    return private_image(frames[index], "image/jpeg")


@never_cache
@require_GET
def vendor_image(request, token):
    """An image for a vendor that downloads it (AceData), behind a signed, expiring token."""
    photo = fetch_photo(token, remote_addr=request.META.get("REMOTE_ADDR", ""),
                        user_agent=request.META.get("HTTP_USER_AGENT", ""))
    if photo is None:
        raise Http404
    return private_image(read_file(photo), photo.content_type)


def healthz(request):
    return HttpResponse("ok", content_type="text/plain")
