"""Reads of a case shared by every reader: its details, its checks and decision as summaries."""

from onboarding.models import Check, Verification


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
