"""Reads for the applicant's pages: their photos, their latest case, what its status page may show."""

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
        "progress": {"done": done, "total": len(checks)},
    }


def _retake_step(fixable) -> str:
    """The first capture step a fixable reason points at: the ID card if only the card was at fault."""
    subjects = {r.get("subject") or ("id_card" if r.get("code") == "document_unusable" else "selfie") for r in fixable}
    return "id_card" if subjects and subjects <= {"id_card"} else "selfie"
