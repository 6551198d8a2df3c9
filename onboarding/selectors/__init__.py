"""Reads: what pages, the admin and the CLI show about verifications."""

from django.db.models import OuterRef, Subquery

from onboarding.models import Check, Decision, Verification
from onboarding.services.policy import reason_text


def latest_decision(verification):
    # .all() uses prefetched decisions when the caller prefetched them (the API list), so a page of
    # verifications costs no query per row; a case has only a handful of decisions either way.
    return max(verification.decisions.all(), key=lambda d: (d.created_at, d.id), default=None)


def verification_with_details(verification_id):
    return (
        Verification.objects.select_related("applicant", "selfie", "id_card")
        .prefetch_related("checks", "decisions")
        .get(pk=verification_id)
    )


def latest_verification(applicant):
    return applicant.verifications.order_by("-submitted_at").first()


def pending_photos(applicant):
    """The newest selfie and ID card not yet used in a verification, keyed by kind."""
    used = set()
    for v in applicant.verifications.values("selfie_id", "id_card_id"):
        used.update(v.values())
    photos = {}
    for photo in applicant.photos.filter(purged_at__isnull=True).exclude(pk__in=used).order_by("-created_at"):
        photos.setdefault(photo.kind, photo)
    return photos


def _error(check: Check, for_client: bool) -> dict | None:
    """A check's error: whole for staff and the operator's tools, Check.client_error for clients."""
    if not check.error_category:
        return None
    code, message = check.client_error if for_client else (check.error_code, check.error_message)
    return {"category": check.error_category, "code": code, "message": message}


def check_summary(check: Check, *, for_client: bool = True) -> dict:
    return {
        "id": str(check.id),
        "vendor": check.vendor,
        "kind": check.kind,
        "subject": check.subject,
        "role": check.role,
        "status": check.status,
        "score": check.score,
        "score_scale": check.score_scale,
        "threshold": check.threshold,
        "threshold_source": check.threshold_source,
        "passed": check.passed,
        "far": (
            {"value": check.far, "relation": check.far_relation, "source": check.far_source}
            if check.far is not None
            else None
        ),
        "risk_level": check.risk_level or None,
        "attempts": check.attempt_count,
        "latency_ms": check.latency_ms,
        "request_id": str(check.request_id),
        "vendor_request_id": check.vendor_request_id or None,
        "error": _error(check, for_client),
        "reasons": check.reasons,
    }


def verification_summary(verification: Verification, *, for_client: bool = True) -> dict:
    decision = latest_decision(verification)
    return {
        "id": str(verification.id),
        "status": verification.status,
        "decision": decision.outcome if decision else None,
        "decision_source": decision.source if decision else None,
        "policy_version": decision.policy_version if decision else None,
        "reasons": decision.reasons if decision else [],
        "submitted_at": verification.submitted_at.isoformat(),
        "decided_at": verification.decided_at.isoformat() if verification.decided_at else None,
        "checks": [check_summary(c, for_client=for_client) for c in verification.checks.all()],
    }


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


def api_verification(verification: Verification) -> dict:
    """The API's view of a verification (see onboarding.api.serializers.VerificationSerializer)."""
    summary = verification_summary(verification)
    applicant = verification.applicant
    summary.update(
        applicant={
            "id": str(applicant.id),
            "external_ref": applicant.external_ref,
            "created_at": applicant.created_at.isoformat(),
        },
        risk_level=verification.risk_level or None,  # "1" is the highest risk; set with the decision
        risk_reasons=verification.risk_reasons,
        channel=verification.channel,
    )
    return summary


def client_verifications(
    client,
    *,
    status=None,
    decision=None,
    external_ref=None,
    risk_level=None,
    submitted_after=None,
    submitted_before=None,
):
    latest = Decision.objects.filter(verification=OuterRef("pk")).order_by("-created_at", "-id").values("outcome")[:1]
    qs = (
        Verification.objects.filter(applicant__client=client)
        .select_related("applicant")
        .prefetch_related("checks", "decisions")
        .annotate(latest_outcome=Subquery(latest))
    )
    if status:
        qs = qs.filter(status=status)
    if decision:
        qs = qs.filter(latest_outcome=decision)
    if external_ref:
        qs = qs.filter(applicant__external_ref=external_ref)
    if risk_level:
        qs = qs.filter(risk_level=risk_level)
    if submitted_after:
        qs = qs.filter(submitted_at__gte=submitted_after)
    if submitted_before:
        qs = qs.filter(submitted_at__lt=submitted_before)
    return qs
