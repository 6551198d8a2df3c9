"""One risk level per case, on Baidu's four-step scale, with the reasons that led to it.

"1" high risk, "2" suspicious, "3" ordinary, "4" normal: the same scale whichever vendors ran.
Each reason carries its own level; the case's level is the highest risk among them ("4" when
there is none). What raises the level:
- a vendor's own risk level (Baidu with device data) and tags, taken as the vendor gives them;
- a failed check: a face mismatch or failed liveness "1", a borderline compare "2";
- how far each score is from its threshold: passing within risk.near_margin of the scale (or at
  an estimated FAR within ten times the policy's target) is "3", a close call;
- a required check not done (vendor error, not applicable) or an unusable photo: "3";
- the passive presentation-attack heuristics: "2";
- duplicates: the same photo under another applicant "1", the same face "2";
- the blocklist: a barred face or document number "1";
- what the document check found: an invalid number or MRZ check digit "1"; expired, under age,
  inconsistent or not what the applicant declared "2"; unreadable, expiring soon or its expiry not read "3";
- attempt velocity: more than risk.velocity_attempts submissions within risk.velocity_hours: "2".
assess() is pure; assess_case() gathers a stored case's inputs.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta

from django.conf import settings

from onboarding.models import Check, DuplicateSignal, Verification
from onboarding.reasons import reason_text
from onboarding.services.policy import scoring, versions
from onboarding.services.policy.rules import LIVENESS_FAILURES, compare_failure, current_checks, document_findings

LEVEL_FOR = {
    "face_mismatch": "1",
    "liveness_failed": "1",
    "liveness_person_mismatch": "1",
    "duplicate_photo": "1",
    "blocklisted_face": "1",
    "blocklisted_document": "1",
    "screening_match": "1",
    "compare_borderline": "2",
    "presentation_attack_suspected": "2",
    "duplicate_face": "2",
    "velocity": "2",
    "document_number_invalid": "1",
    "mrz_check_failed": "1",
    "document_expired": "2",
    "underage": "2",
    "document_inconsistent": "2",
    "declared_data_mismatch": "2",
    "document_unreadable": "3",
    "document_expiring": "3",
    "document_expiry_unknown": "3",
    "near_threshold": "3",
    "check_not_done": "3",
    "bad_input": "3",
    "duplicates_not_checked": "3",
}
RISK_REASON_MESSAGES = {
    "vendor_risk_level": "risk level given by the vendor",
    "near_threshold": "a score passed close to its threshold",
    "check_not_done": "a check could not be done",
    "bad_input": "a photo was unusable",
}


@dataclasses.dataclass
class Assessment:
    level: str
    reasons: list[dict]


def _entry(code, level=None, check=None, **detail):
    entry = {
        "code": code,
        "level": level or LEVEL_FOR[code],
        "message": str(RISK_REASON_MESSAGES.get(code) or reason_text(code, code)),
    }
    if check is not None:
        entry.update(vendor=check.vendor, kind=check.kind, subject=check.subject)
    entry.update({k: v for k, v in detail.items() if v is not None})
    return entry


def _score_detail(check):
    estimate = check.far_estimate
    return {"score": check.score, "threshold": check.threshold, "far": str(estimate) if estimate else None}


def _distance(check) -> float | None:
    """How far a passing score is from its threshold, as a share of the scale; None where the score
    does not decide the check (the local engine's active liveness passes on the turns seen)."""
    if check.score is None or check.threshold is None or scoring.score_passes(check, check.threshold) is None:
        return None
    return abs(check.score - check.threshold) / scoring.scale_span(check.score_scale)


def _check_reasons(check, policy, margin) -> list[dict]:
    reasons = []
    if check.risk_level in ("1", "2", "3", "4"):
        reasons.append(_entry("vendor_risk_level", check.risk_level, check, tags=list(check.risk_tags) or None))
    if check.status == Check.Status.FAILED:
        if check.error_category == "bad_input":
            return reasons + [_entry("bad_input", check=check, error=check.error_code or None)]
        error = check.client_error[0] or None  # clients read risk reasons
        return reasons + ([_entry("check_not_done", check=check, error=error)] if policy.required(check.kind) else [])
    if check.status != Check.Status.COMPLETED:
        return reasons + ([_entry("check_not_done", check=check)] if policy.required(check.kind) else [])
    if check.kind == "document":
        return reasons + [_entry(f["code"], check=check) for f in document_findings(check, policy)]
    if check.kind == "screening":
        hits = (check.details or {}).get("hits") or []
        return reasons + ([_entry("screening_match", check=check, score=check.score)] if hits else [])
    codes = {r.get("code") for r in check.reasons}
    if check.passed is False:
        failed = [c for c in LIVENESS_FAILURES if c in codes]
        if failed:
            return reasons + [_entry(c, check=check, **_score_detail(check)) for c in failed]
        if check.kind == "compare":
            return reasons + [_entry(compare_failure(check, policy, margin), check=check, **_score_detail(check))]
        if check.kind == "liveness":
            return reasons + [_entry("liveness_failed", check=check, **_score_detail(check))]
        return reasons + [_entry("bad_input", check=check)]
    if "pad_heuristic_flag" in codes:
        reasons.append(_entry("presentation_attack_suspected", check=check))
    if check.passed:
        accept, _ = policy.far_targets(check.kind)
        estimate = check.far_estimate
        distance = _distance(check)
        near = distance is not None and distance < policy.risk["near_margin"]
        if accept is not None and estimate is not None and estimate.relation == "=":
            near = near or estimate.value > accept / 10
        if near:
            reasons.append(
                _entry(
                    "near_threshold",
                    check=check,
                    **_score_detail(check),
                    margin=round(distance, 4) if distance is not None else None,
                )
            )
    return reasons


def assess(
    checks,
    *,
    policy=None,
    duplicates=(),
    attempts: int = 1,
    duplicates_error: str = "",
    margin: float | None = None,
    blocklisted=(),
) -> Assessment:
    """checks: the case's checks; duplicates: DuplicateSignal kinds found for it; attempts: the
    applicant's submissions within the policy's velocity window, this one included."""
    policy = policy or versions.active()
    margin = policy.review_margin if margin is None else margin
    reasons = []
    deciding = current_checks(checks)
    for check in deciding:
        reasons += _check_reasons(check, policy, margin)
    ran = {c.kind for c in deciding}
    reasons += [_entry("check_not_done", kind=kind) for kind in policy.config["required"] if kind not in ran]
    for kind in sorted(set(duplicates)):
        reasons.append(_entry("duplicate_photo" if kind == DuplicateSignal.Kind.SAME_PHOTO else "duplicate_face"))
    if duplicates_error:
        reasons.append(_entry("duplicates_not_checked", error=duplicates_error))
    for kind in sorted(set(blocklisted)):  # BlocklistMatch kinds
        reasons.append(_entry(f"blocklisted_{kind}"))
    risk = policy.risk
    if attempts > risk["velocity_attempts"]:
        reasons.append(_entry("velocity", attempts=attempts, window_hours=risk["velocity_hours"]))
    reasons.sort(key=lambda r: r["level"])
    return Assessment(min((r["level"] for r in reasons), default="4"), reasons)


def assess_case(verification: Verification, checks=None, *, policy=None) -> Assessment:
    policy = policy or versions.active()
    found = _case_signals(verification, timedelta(hours=policy.risk["velocity_hours"]))
    return assess(
        list(verification.checks.all()) if checks is None else checks,
        policy=policy,
        duplicates=found.duplicates,
        attempts=found.attempts,
        duplicates_error=verification.duplicates_error,
        blocklisted=found.blocklisted,
    )


@dataclasses.dataclass
class _Signals:
    attempts: int  # the applicant's submissions within the window up to this one
    duplicates: set  # this case's duplicate signal kinds that count (tenancy)
    blocklisted: set  # this case's blocklist match kinds


def _case_signals(verification, window) -> _Signals:
    """What the case's risk reads besides its checks, in one query: every decision asks.

    Plain joins, filtered here: a FilteredRelation or a second query cost the ORM more than the
    few rows the joins repeat (a case has a handful of signals and matches at most)."""
    rows = (
        Verification.objects.filter(
            applicant_id=verification.applicant_id,
            submitted_at__gt=verification.submitted_at - window,
            submitted_at__lte=verification.submitted_at,
        )
        .values_list("pk", "duplicate_signals__kind", "duplicate_signals__across_clients", "blocklist_matches__kind")
        .order_by()
    )
    # What a client is told comes from its own applicants only (staff still see every signal).
    across_counts = settings.KYC_DUPLICATES_ACROSS_CLIENTS
    attempts, found = set(), _Signals(0, set(), set())
    for pk, kind, across_clients, blocklisted in rows:
        attempts.add(pk)
        if pk != verification.pk:
            continue
        if kind is not None and (across_counts or not across_clients):
            found.duplicates.add(kind)
        if blocklisted is not None:
            found.blocklisted.add(blocklisted)
    found.attempts = len(attempts)
    return found
