"""A vendor's score judged under the policy: its threshold, its verdict, its estimated FAR.

The vendor adapter judges a score against the vendor's own threshold (KYC_THRESHOLD_* or its
document). When the policy sets a raw threshold for that vendor and kind, or a false-accept rate
that the vendor's calibration can turn into a score, the check is judged again against that one,
by the vendor's own rule (VendorBackend.score_passes). The what-if replay uses the same function.
"""

from __future__ import annotations

import copy
import re

from onboarding.models import Check
from onboarding.reasons import reason_text
from onboarding.services.policy import versions
from vendors import calibration
from vendors.base import CheckKind, Threshold
from vendors.registry import UnknownVendor, get_backend

# The reason a vendor adds when the score alone fails a check of that kind.
SCORE_REASONS = {CheckKind.COMPARE.value: "face_mismatch", CheckKind.LIVENESS.value: "liveness_failed"}
NOTES = {"pad_heuristic_flag"}  # observations that never fail a check by themselves
_SCALE = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*-\s*(\d+(?:\.\d+)?)")


def scale_span(score_scale: str) -> float:
    """The width of a score's scale from its description ("0-100 similarity" → 100, "0-1 …" → 1)."""
    match = _SCALE.match(score_scale or "")
    return float(match.group(2)) - float(match.group(1)) if match else 100.0


def policy_threshold(policy: versions.Policy, vendor: str, kind: str) -> Threshold | None:
    """The policy's threshold for this vendor and kind; None: the vendor's own stands."""
    raw = policy.raw_threshold(vendor, kind)
    if raw is not None:
        return Threshold(float(raw), f"policy {policy.version}: thresholds {vendor}.{kind}")
    accept, _review = policy.far_targets(kind)
    found = calibration.calibration(vendor, kind) if accept is not None else None
    score = found.score_for(accept) if found else None
    if score is None:
        return None
    return Threshold(score, f"policy {policy.version}: FAR ≤ {accept:g}, {found.method} ({found.vendor} table)")


def score_passes(check: Check, threshold: float) -> bool | None:
    """The check's score against `threshold` by its vendor's own rule; None when the score alone does
    not decide (the local engine's active liveness) or the vendor is unknown."""
    try:
        backend = get_backend(check.vendor)
    except UnknownVendor:
        return None
    return backend.score_passes(check.kind, check.score, threshold, check.details)


def rejudge(check: Check, threshold: float) -> tuple[Check, bool]:
    """A copy of the check judged against `threshold`; True when its verdict changed."""
    if (
        check.status != Check.Status.COMPLETED
        or check.score is None
        or check.threshold is None
        or check.kind not in SCORE_REASONS
    ):
        return check, False
    was, now = score_passes(check, check.threshold), score_passes(check, threshold)
    if was is None or now is None:
        return check, False
    replayed = copy.copy(check)
    replayed.threshold = threshold
    replayed.reasons = list(check.reasons)
    if was == now:
        return replayed, False
    score_reason = SCORE_REASONS[check.kind]
    if now:
        other_failures = [r for r in check.reasons if r.get("code") not in NOTES | {score_reason}]
        if check.passed is False and other_failures:
            return replayed, False  # failed for more than its score: it still fails
        replayed.passed = True
        replayed.reasons = [r for r in check.reasons if r.get("code") != score_reason]
    else:
        replayed.passed = False
        replayed.reasons.append({"code": score_reason, "message": str(reason_text(score_reason))})
    return replayed, True


def apply_policy(check: Check, policy: versions.Policy) -> Check:
    """Fill the check's FAR estimate and judge it under the policy (in place, before it is saved)."""
    estimate = calibration.estimate(check.vendor, check.kind, check.score)
    check.far = estimate.value if estimate else None
    check.far_relation = estimate.relation if estimate else ""
    check.far_source = estimate.source[:200] if estimate else ""
    threshold = policy_threshold(policy, check.vendor, check.kind)
    if threshold is not None and check.threshold is not None:
        judged, _changed = rejudge(check, threshold.value)
        check.threshold, check.passed, check.reasons = judged.threshold, judged.passed, judged.reasons
        check.threshold_source = threshold.source[:200]
    return check
