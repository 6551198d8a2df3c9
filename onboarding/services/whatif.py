"""Policy what-if: replay past cases under candidate thresholds, from their stored scores.

Nothing is sent to a vendor and nothing is written. Each past case's checks are copied, each
check whose vendor and kind have a candidate threshold is judged again by the vendor's own
rule (VendorBackend.score_passes), and the policy runs on the copies. The baseline is the same
replay with today's stored thresholds, so the difference shows the thresholds' effect alone,
not that of a policy version changed since; how many recorded decisions differ from the
baseline is reported beside it.
"""
from __future__ import annotations

import copy
import dataclasses
from collections import Counter
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch

from onboarding.models import Check, Decision, Verification
from vendors.base import CheckKind
from vendors.registry import UnknownVendor, get_backend

from . import policy

# The reason a vendor adds when the score alone fails a check of that kind.
SCORE_REASONS = {CheckKind.COMPARE.value: "face_mismatch", CheckKind.LIVENESS.value: "liveness_failed"}
NOTES = {"pad_heuristic_flag"}  # observations that never fail a check by themselves
CHUNK = 500


@dataclasses.dataclass
class Change:
    verification_id: str
    submitted_at: datetime
    recorded: str
    baseline: str
    candidate: str
    reasons: list[str]


@dataclasses.dataclass
class Result:
    cases: int = 0
    changed: int = 0
    recorded_differs: int = 0
    matrix: Counter = dataclasses.field(default_factory=Counter)  # (baseline, candidate) -> cases
    baseline_outcomes: Counter = dataclasses.field(default_factory=Counter)
    candidate_outcomes: Counter = dataclasses.field(default_factory=Counter)
    changes: list[Change] = dataclasses.field(default_factory=list)
    rescored_checks: int = 0


def rescore(check: Check, threshold: float) -> tuple[Check, bool]:
    """A copy of the check judged against `threshold`; True when its verdict changed."""
    if (check.status != Check.Status.COMPLETED or check.score is None or check.threshold is None
            or check.kind not in SCORE_REASONS):
        return check, False
    try:
        backend = get_backend(check.vendor)
    except UnknownVendor:
        return check, False
    was = backend.score_passes(check.kind, check.score, check.threshold, check.details)
    now = backend.score_passes(check.kind, check.score, threshold, check.details)
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
        replayed.reasons.append({"code": score_reason, "message": str(policy.reason_text(score_reason))})
    return replayed, True


def stored_thresholds(since=None, until=None) -> list[dict]:
    """Per vendor and kind: the threshold most checks of the period were judged with, and how many."""
    rows = Counter()
    qs = Check.objects.filter(status=Check.Status.COMPLETED, threshold__isnull=False, kind__in=list(SCORE_REASONS))
    if since:
        qs = qs.filter(created_at__gte=since)
    if until:
        qs = qs.filter(created_at__lt=until)
    for row in qs.values("vendor", "kind", "threshold").annotate(n=Count("id")).order_by():
        rows[(row["vendor"], row["kind"], row["threshold"])] += row["n"]
    best = {}
    for (vendor, kind, threshold), n in rows.items():
        key = (vendor, kind)
        total = best.get(key, {}).get("checks", 0) + n
        if key not in best or n > best[key]["_n"]:
            best[key] = {"vendor": vendor, "kind": kind, "threshold": threshold, "_n": n}
        best[key]["checks"] = total
    return [{k: v for k, v in item.items() if k != "_n"} for _key, item in sorted(best.items())]


def replay(candidate: dict[tuple[str, str], float], *, margin: float | None = None, since=None, until=None,
           limit_changes: int = 500) -> Result:
    """Replay every automatically decided case submitted in [since, until) under `candidate`.

    margin: a candidate compare review margin (None: today's).
    """
    result = Result()
    auto = Decision.objects.filter(verification=OuterRef("pk"), source=Decision.Source.AUTO)
    cases = (Verification.objects.filter(Exists(auto))
             .prefetch_related("checks", Prefetch("decisions", queryset=Decision.objects.filter(
                 source=Decision.Source.AUTO).order_by("created_at", "id"))).order_by("submitted_at", "pk"))
    if since:
        cases = cases.filter(submitted_at__gte=since)
    if until:
        cases = cases.filter(submitted_at__lt=until)
    for verification in cases.iterator(chunk_size=CHUNK):
        checks = list(verification.checks.all())
        replayed = []
        for check in checks:
            threshold = candidate.get((check.vendor, check.kind))
            if threshold is None:
                replayed.append(check)
                continue
            new, changed = rescore(check, threshold)
            result.rescored_checks += changed
            replayed.append(new)
        baseline = policy.evaluate(checks).outcome  # today's thresholds and margin
        outcome = policy.evaluate(replayed, margin=margin)
        recorded = list(verification.decisions.all())[-1].outcome
        result.cases += 1
        result.recorded_differs += recorded != baseline
        result.matrix[(baseline, outcome.outcome)] += 1
        result.baseline_outcomes[baseline] += 1
        result.candidate_outcomes[outcome.outcome] += 1
        if outcome.outcome != baseline:
            result.changed += 1
            if len(result.changes) < limit_changes:
                result.changes.append(Change(str(verification.pk), verification.submitted_at, recorded, baseline,
                                             outcome.outcome, [r["code"] for r in outcome.reasons]))
    return result
