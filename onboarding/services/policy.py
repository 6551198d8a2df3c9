"""The decision policy: checks in, approve / reject / needs review out, with reasons.

A pure function of the checks, so it can be replayed over stored scores.
Rules, in order of weight:
- reject: the applicant's photo is unusable (quality, bad input), the faces do not
  match (score below threshold minus the review margin), or liveness failed;
- review: a check could not be done (vendor error, not applicable such as local
  liveness, not configured) or the compare score sits just under its threshold;
- approve: every required check ran and passed.
"""
from __future__ import annotations

import dataclasses

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from onboarding.models import Check, Decision, ReviewReason
from vendors.base import CheckKind
from vendors.messages import APPLICANT_MESSAGES

REQUIRED_KINDS = (CheckKind.QUALITY, CheckKind.LIVENESS, CheckKind.COMPARE)
# The reasons that send a case to a person (the review queue filters on them).
REVIEW_REASONS = ("compare_borderline", "liveness_not_checked", "compare_not_checked", "quality_not_checked",
                  "check_error", "presentation_attack_suspected", "no_verdict")
LIVENESS_FAILURES = ("liveness_failed", "liveness_person_mismatch")

REASON_MESSAGES = {
    "all_checks_passed": _("All checks passed."),
    "face_mismatch": _("The selfie does not match the ID card portrait."),
    "compare_borderline": _("The face match score is just below the threshold."),
    "liveness_failed": _("The selfie did not pass the liveness check."),
    "liveness_not_checked": _("Liveness could not be checked automatically."),
    "liveness_person_mismatch": _("The liveness recording shows a different person from the selfie."),
    "compare_not_checked": _("The face match could not be checked automatically."),
    "quality_not_checked": _("Photo quality could not be checked automatically."),
    "check_error": _("A check could not be completed."),
    "presentation_attack_suspected": _("Heuristics suggest a photo of a screen or a print."),
    "no_verdict": _("A check returned no verdict."),
}


@dataclasses.dataclass
class Evaluation:
    outcome: str
    reasons: list[dict]


def reason_text(code, default=""):
    return (REASON_MESSAGES.get(code) or APPLICANT_MESSAGES.get(code)
            or ReviewReason.BUILT_IN.get(code, ("", ""))[1] or default)


def _reason(code, check=None, *, fixable=False, message=None):
    entry = {"code": code, "message": str(message or reason_text(code, code)), "fixable": fixable}
    if check is not None:
        entry.update(kind=check.kind, subject=check.subject, vendor=check.vendor, check_id=str(check.pk))
    return entry


def current_checks(checks):
    """The last check of each (kind, subject): earlier ones were replaced by a fallback vendor."""
    latest = {}
    for check in sorted(checks, key=lambda c: c.created_at):
        latest[(check.kind, check.subject)] = check
    return list(latest.values())


def evaluate(checks, *, margin: float | None = None) -> Evaluation:
    """margin: the compare review margin (default KYC_COMPARE_REVIEW_MARGIN); the what-if replay varies it."""
    margin = settings.KYC_COMPARE_REVIEW_MARGIN if margin is None else margin
    checks = current_checks(checks)
    reject, review = [], []
    for check in checks:
        if check.status == Check.Status.FAILED:
            if check.error_category == "bad_input":
                message = (check.reasons[0]["message"] if check.reasons else "") or check.error_message
                reject.append(_reason(check.error_code or "bad_image", check, fixable=True, message=message))
            else:
                review.append(_reason("check_error", check, message=f"{check.vendor} {check.kind}: "
                                      f"{check.error_category} {check.error_code}".strip()))
        elif check.status == Check.Status.NOT_APPLICABLE:
            review.append(_reason(f"{check.kind}_not_checked", check))
        elif check.status != Check.Status.COMPLETED:
            review.append(_reason("check_error", check))
        elif check.passed is False:
            # A vendor's liveness verdict can arrive on any check (Baidu's liveness control on a compare).
            liveness_codes = [r["code"] for r in check.reasons if r.get("code") in LIVENESS_FAILURES]
            if liveness_codes:
                reject += [_reason(code, check) for code in liveness_codes]
            elif check.kind == CheckKind.QUALITY:
                reject += [_reason(r["code"], check, fixable=True, message=r["message"]) for r in check.reasons
                           if r["code"] != "pad_heuristic_flag"] or [
                    _reason("bad_image", check, fixable=True)]
            elif check.kind == CheckKind.COMPARE:
                if check.score is not None and check.threshold is not None and check.score >= check.threshold - margin:
                    review.append(_reason("compare_borderline", check))
                else:
                    reject.append(_reason("face_mismatch", check))
            else:
                reject.append(_reason("liveness_failed", check))
        elif check.passed is None:
            review.append(_reason("no_verdict", check))
        elif any(r.get("code") == "pad_heuristic_flag" for r in check.reasons):
            review.append(_reason("presentation_attack_suspected", check))
    ran = {c.kind for c in checks}
    for kind in REQUIRED_KINDS:
        if kind.value not in ran:
            review.append(_reason(f"{kind.value}_not_checked"))
    if reject:
        return Evaluation(Decision.Outcome.REJECT, reject + review)
    if review:
        return Evaluation(Decision.Outcome.REVIEW, review)
    return Evaluation(Decision.Outcome.APPROVE, [_reason("all_checks_passed")])
