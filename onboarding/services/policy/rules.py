"""The decision policy: checks in, approve / reject / needs review out, with reasons.

A pure function of the checks, the case's risk assessment and the policy in force
(services.policy_config), so it can be replayed over stored scores. Rules, in order of weight:
- reject: the applicant's photo is unusable (quality, bad input), the faces do not match (below
  the threshold and outside the review band), or liveness failed;
- review: a required check could not be done (vendor error, not applicable such as local
  liveness without a challenge, not configured), the compare failed inside the review band, the
  compare's false-accept rate cannot be shown to meet the policy's target, or a signal the policy
  lists in review_on (duplicates, velocity, a high risk level, the presentation-attack heuristics);
- documents: each finding of the document check (an invalid number, a failed MRZ check digit,
  expired, under the policy's minimum age, unreadable, not what the applicant declared, ...) rejects,
  sends to review or is noted, as the policy's document.outcomes say;
- blocklist: a face or document number a reviewer barred sends to review, or rejects (`blocklist`);
- screening: a match on a sanctions or PEP list sends to review (a person decides, never the policy);
- approve: every required check ran and passed and nothing above applies.
Shadow checks never count.
"""

from __future__ import annotations

import dataclasses

from onboarding.models import Check, Decision
from onboarding.reasons import reason_text
from onboarding.services.policy import scoring, versions
from vendors.base import CheckKind

LIVENESS_FAILURES = ("liveness_failed", "liveness_person_mismatch")
BLOCKLIST_SIGNALS = ("blocklisted_face", "blocklisted_document")


@dataclasses.dataclass
class Evaluation:
    outcome: str
    reasons: list[dict]


def _reason(code, check=None, *, fixable=False, message=None):
    entry = {"code": code, "message": str(message or reason_text(code, code)), "fixable": fixable}
    if check is not None:
        entry.update(kind=check.kind, subject=check.subject, vendor=check.vendor, check_id=str(check.pk))
    return entry


def current_checks(checks):
    """The deciding checks: the last of each (kind, subject), earlier ones were replaced by a fallback vendor."""
    latest = {}
    for check in sorted(checks, key=lambda c: c.created_at):
        if check.role != Check.Role.SHADOW:
            latest[(check.kind, check.subject)] = check
    return list(latest.values())


DOCUMENT_FINDINGS = (
    "document_number_invalid",
    "mrz_check_failed",
    "document_inconsistent",
    "document_unreadable",
    "declared_data_mismatch",
)


def document_findings(check, policy) -> list[dict]:
    """A completed document check's findings under the policy: what the check found in the document
    itself, and the policy's own rules on what it read (expiry, minimum age), on the day it was read."""
    found = [r for r in check.reasons if r.get("code") in DOCUMENT_FINDINGS]
    details = check.details or {}
    days, age = details.get("days_to_expiry"), details.get("age_years")
    rules = policy.document
    if days is None and not details.get("long_term") and not any(f["code"] == "document_unreadable" for f in found):
        # Read, but not its expiry (a Chinese card's back was not taken).
        found.append({"code": "document_expiry_unknown", "message": reason_text("document_expiry_unknown")})
    elif days is not None and days < 0:
        found.append({"code": "document_expired", "message": reason_text("document_expired")})
    elif days is not None and days < rules["expiring_within_days"]:
        found.append({"code": "document_expiring", "message": reason_text("document_expiring")})
    if age is not None and age < rules["min_age"]:
        found.append({"code": "underage", "message": reason_text("underage")})
    return found


def document_policy_checks(details: dict, policy) -> list[dict]:
    """The policy's checks of what a document check read, as the check lists them (API, admin)."""
    days, age = details.get("days_to_expiry"), details.get("age_years")
    if days is None:
        expiry = "passed" if details.get("long_term") else "not_checked"
    else:
        expiry = "failed" if days < policy.document["expiring_within_days"] else "passed"
    minimum_age = "not_checked" if age is None else "failed" if age < policy.document["min_age"] else "passed"
    return [
        {"check": "expiry", "outcome": expiry, "field": "expiry_date"},
        {"check": "minimum_age", "outcome": minimum_age, "field": "date_of_birth"},
    ]


def compare_failure(check, policy, margin):
    """A failed compare: borderline (review) inside the policy's band, else a mismatch (reject)."""
    accept, review_far = policy.far_targets(check.kind)
    estimate = check.far_estimate
    if review_far is not None and estimate is not None:
        within = estimate.at_most(review_far)
        if within is not None:
            return "compare_borderline" if within else "face_mismatch"
    if check.score is None or check.threshold is None:
        return "face_mismatch"
    band = margin * scoring.scale_span(check.score_scale)
    return "compare_borderline" if check.score >= check.threshold - band else "face_mismatch"


def evaluate(checks, *, policy=None, risk=None, margin: float | None = None) -> Evaluation:
    """policy: the one in force by default; risk: the case's services.risk.Assessment (signals);
    margin: a candidate review margin (share of the scale) for the what-if replay."""
    policy = policy or versions.active()
    margin = policy.review_margin if margin is None else margin
    checks = current_checks(checks)
    reject, review = [], []
    for check in checks:
        if check.kind == CheckKind.SCREENING and check.status == Check.Status.COMPLETED:
            if (check.details or {}).get("hits"):
                review.append(_reason("screening_match", check))
            continue
        if check.kind == CheckKind.DOCUMENT and check.status == Check.Status.COMPLETED:
            for finding in document_findings(check, policy):
                outcome = policy.document_outcome(finding["code"])
                if outcome != "note":
                    entry = _reason(
                        finding["code"],
                        check,
                        fixable=finding["code"] == "document_unreadable",
                        message=finding["message"],
                    )
                    (reject if outcome == "reject" else review).append(entry)
            continue
        if check.status == Check.Status.FAILED:
            if check.error_category == "bad_input":
                message = (check.reasons[0]["message"] if check.reasons else "") or check.error_message
                reject.append(_reason(check.error_code or "bad_image", check, fixable=True, message=message))
            elif policy.required(check.kind):
                detail, _message = check.client_error  # clients read decision reasons
                review.append(
                    _reason(
                        "check_error",
                        check,
                        message=f"{check.vendor} {check.kind}: {check.error_category} {detail}".strip(),
                    )
                )
        elif check.status == Check.Status.NOT_APPLICABLE:
            if policy.required(check.kind):
                review.append(_reason(f"{check.kind}_not_checked", check))
        elif check.status != Check.Status.COMPLETED:
            if policy.required(check.kind):
                review.append(_reason("check_error", check))
        elif check.passed is False:
            # A vendor's liveness verdict can arrive on any check (Baidu's liveness control on a compare).
            liveness_codes = [r["code"] for r in check.reasons if r.get("code") in LIVENESS_FAILURES]
            if liveness_codes:
                reject += [_reason(code, check) for code in liveness_codes]
            elif check.kind == CheckKind.QUALITY:
                reject += [
                    _reason(r["code"], check, fixable=True, message=r["message"])
                    for r in check.reasons
                    if r["code"] != "pad_heuristic_flag"
                ] or [_reason("bad_image", check, fixable=True)]
            elif check.kind == CheckKind.COMPARE:
                code = compare_failure(check, policy, margin)
                if code == "compare_borderline" and not policy.reviews_on(code):
                    code = "face_mismatch"
                (review if code == "compare_borderline" else reject).append(_reason(code, check))
            else:
                reject.append(_reason("liveness_failed", check))
        elif check.passed is None:
            if policy.required(check.kind):
                review.append(_reason("no_verdict", check))
        else:
            if any(r.get("code") == "pad_heuristic_flag" for r in check.reasons) and policy.reviews_on(
                "presentation_attack_suspected"
            ):
                review.append(_reason("presentation_attack_suspected", check))
            accept, _review_far = policy.far_targets(check.kind)
            if accept is not None:
                estimate = check.far_estimate
                if estimate is None or not estimate.at_most(accept):
                    review.append(
                        _reason(
                            "far_not_shown",
                            check,
                            message=(
                                f"{reason_text('far_not_shown')} {check.vendor}: FAR {estimate or 'unknown'}, "
                                f"target {accept:g}"
                            ),
                        )
                    )
    ran = {c.kind for c in checks}
    for kind in CheckKind:
        if policy.required(kind.value) and kind.value not in ran:
            review.append(_reason(f"{kind.value}_not_checked"))
    if risk is not None:
        barred = [_reason(r["code"]) for r in risk.reasons if r["code"] in BLOCKLIST_SIGNALS]
        (reject if policy.config["blocklist"] == "reject" else review).extend(barred)
        review += _signal_reasons(risk, policy, already=reject + review)
    if reject:
        return Evaluation(Decision.Outcome.REJECT, reject + review)
    if review:
        return Evaluation(Decision.Outcome.REVIEW, review)
    return Evaluation(Decision.Outcome.APPROVE, [_reason("all_checks_passed")])


def _signal_reasons(risk, policy, already):
    """Review reasons from the case's signals (duplicates, velocity) and its risk level."""
    reasons = []
    codes = {r["code"] for r in risk.reasons}
    for code in ("duplicate_face", "duplicate_photo", "velocity"):
        if code in codes and policy.reviews_on(code):
            reasons.append(_reason(code))
    if "duplicates_not_checked" in codes:
        reasons.append(_reason("duplicates_not_checked"))
    level = policy.risk["review_level"]
    if policy.reviews_on("high_risk") and level and risk.level and risk.level <= level and not already and not reasons:
        why = ", ".join(r["code"] for r in risk.reasons if r["level"] <= level)
        reasons.append(_reason("high_risk", message=f"{reason_text('high_risk')} ({risk.level}: {why})"))
    return reasons
