"""Policy what-if: replay past cases under candidate thresholds, from their stored scores.

Nothing is sent to a vendor and nothing is written. Each past case's checks are copied, each
check whose vendor and kind have a candidate threshold is judged again by the vendor's own
rule (VendorBackend.score_passes), and the policy runs on the copies. The baseline is the same
replay with today's stored thresholds, so the difference shows the thresholds' effect alone,
not that of a policy version changed since; how many recorded decisions differ from the
baseline is reported beside it.
"""

from __future__ import annotations

import dataclasses
from collections import Counter
from datetime import datetime

from django.db.models import Count, Exists, OuterRef, Prefetch

from onboarding.models import Check, Decision, Verification
from onboarding.services.policy import risk, rules, scoring, versions
from onboarding.services.policy.scoring import SCORE_REASONS

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


def stored_thresholds(since=None, until=None) -> list[dict]:
    """Per vendor and kind: the threshold most checks of the period were judged with, and how many."""
    rows = Counter()
    qs = Check.objects.filter(
        status=Check.Status.COMPLETED, threshold__isnull=False, kind__in=list(SCORE_REASONS), role=Check.Role.DECIDE
    )
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


def replay(
    candidate: dict[tuple[str, str], float],
    *,
    margin: float | None = None,
    since=None,
    until=None,
    limit_changes: int = 500,
) -> Result:
    """Replay every automatically decided case submitted in [since, until) under `candidate`.

    margin: a candidate compare review margin, as a share of the score's scale (None: the policy's).
    The case's stored signals (duplicates, velocity, risk level) count in both replays alike.
    """
    result = Result()
    in_force = versions.active()
    auto = Decision.objects.filter(verification=OuterRef("pk"), source=Decision.Source.AUTO)
    cases = (
        Verification.objects.filter(Exists(auto))
        .prefetch_related(
            "checks",
            Prefetch(
                "decisions", queryset=Decision.objects.filter(source=Decision.Source.AUTO).order_by("created_at", "id")
            ),
        )
        .order_by("submitted_at", "pk")
    )
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
            new, changed = scoring.rejudge(check, threshold)
            result.rescored_checks += changed
            replayed.append(new)
        signals = (
            risk.Assessment(verification.risk_level, verification.risk_reasons) if verification.risk_level else None
        )
        baseline = rules.evaluate(checks, policy=in_force, risk=signals).outcome  # today's thresholds and margin
        outcome = rules.evaluate(replayed, policy=in_force, risk=signals, margin=margin)
        recorded = list(verification.decisions.all())[-1].outcome
        result.cases += 1
        result.recorded_differs += recorded != baseline
        result.matrix[(baseline, outcome.outcome)] += 1
        result.baseline_outcomes[baseline] += 1
        result.candidate_outcomes[outcome.outcome] += 1
        if outcome.outcome != baseline:
            result.changed += 1
            if len(result.changes) < limit_changes:
                result.changes.append(
                    Change(
                        str(verification.pk),
                        verification.submitted_at,
                        recorded,
                        baseline,
                        outcome.outcome,
                        [r["code"] for r in outcome.reasons],
                    )
                )
    return result
