"""Reads for the applicant's pages: their photos, their latest case, what its status page may show."""

from django.utils.translation import gettext_lazy as _

from onboarding.models import Check, Verification
from onboarding.reasons import reason_text

from .cases import latest_decision


def latest_verification(applicant):
    return applicant.verifications.order_by("-submitted_at").first()


def pending_photos(applicant):
    """The newest selfie and ID card (front, back) not yet used in a verification, keyed by kind."""
    used = set()
    for v in applicant.verifications.values("selfie_id", "id_card_id", "id_card_back_id"):
        used.update(v.values())
    photos = {}
    for photo in applicant.photos.filter(purged_at__isnull=True).exclude(pk__in=used).order_by("-created_at"):
        photos.setdefault(photo.kind, photo)
    return photos


# What a rejected applicant can do about each reason, in their words (nothing here for reasons the
# applicant is not told, such as a blocklist: they get the generic steps and the contact).
NEXT_STEPS = {
    "face_mismatch": _("Take the selfie yourself, facing the camera, and photograph your own ID card."),
    "liveness_failed": _("Do the liveness check yourself, live: turn your head each way the screen asks."),
    "liveness_person_mismatch": _("Do the liveness check yourself, live: turn your head each way the screen asks."),
    "presentation_attack_suspected": _("Take the selfie of your own face with the camera, not of a screen or a print."),
    "document_expired": _("Use an identity document that has not expired."),
    "document_number_invalid": _("Photograph the card flat, sharp and without glare, so every character can be read."),
    "mrz_check_failed": _("Photograph the card flat, sharp and without glare, so every character can be read."),
    "document_inconsistent": _("Photograph the card flat, sharp and without glare, so every character can be read."),
    "declared_data_mismatch": _("Enter your name, number and date of birth exactly as they are printed on the card."),
}
# Reasons a new attempt cannot change: no "try again" for them.
FINAL_REASONS = {"underage", "blocklisted_face", "blocklisted_document", "duplicate_face", "duplicate_photo"}


def applicant_status(verification: Verification) -> dict:
    """What the applicant's status page shows: no scores, only what they can act on, in their language.

    outcome: processing, needs_review, approved, rejected, or resubmit (rejected for reasons the
    applicant can fix with new photos; `retake` then names the step to go back to).
    """
    decision = latest_decision(verification)
    reasons, fixable = [], []
    if decision and verification.status == Verification.Status.REJECTED:
        for r in decision.reasons:
            if r.get("fixable") or r.get("code") in ("face_mismatch", "liveness_failed"):
                text = str(reason_text(r["code"], r.get("message", "")))
                if text not in reasons:
                    reasons.append(text)
            if r.get("fixable"):
                fixable.append(r)
    codes = [r.get("code") for r in decision.reasons] if decision else []
    steps = list(dict.fromkeys(str(NEXT_STEPS[c]) for c in codes if c in NEXT_STEPS))
    outcome = verification.status
    if outcome in (Verification.Status.SUBMITTED, Verification.Status.PROCESSING):
        outcome = "processing"
    elif outcome == Verification.Status.REJECTED and fixable and len(fixable) == len(decision.reasons):
        outcome = "resubmit"
    checks = list(verification.checks.filter(role=Check.Role.DECIDE).values_list("status", flat=True))
    done = sum(1 for s in checks if s in Check.FINAL_STATUSES)
    return {
        "id": str(verification.id),
        "status": verification.status,
        "outcome": outcome,
        "status_label": str(verification.get_status_display()),
        "decided": verification.is_decided,
        "reasons": reasons,
        "retake": _retake_step(fixable),
        "next_steps": steps if verification.status == Verification.Status.REJECTED else [],
        "may_retry": not FINAL_REASONS.intersection(codes),
        "progress": {"done": done, "total": len(checks)},
    }


def _retake_step(fixable) -> str:
    """The first capture step a fixable reason points at: the ID card if only the card was at fault."""
    subjects = {r.get("subject") or ("id_card" if r.get("code") == "document_unusable" else "selfie") for r in fixable}
    return "id_card" if subjects and subjects <= {"id_card"} else "selfie"
