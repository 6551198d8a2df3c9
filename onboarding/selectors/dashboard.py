"""Figures of the operations dashboard over a period. Counts are exact (SQL aggregates);
percentiles and histograms come from at most SAMPLE of the period's newest rows, said so when cut.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from datetime import date, datetime, timedelta

import numpy as np
from django.conf import settings
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from django.db.models.functions import TruncDate
from django.utils import timezone

from onboarding.models import Applicant, Check, Decision, Photo, Verification

SAMPLE = 100_000


@dataclasses.dataclass
class Period:
    start: datetime
    end: datetime

    @property
    def days(self) -> int:
        return max(1, (self.end - self.start).days)

    @classmethod
    def last(cls, days: int, now=None):
        now = now or timezone.now()
        return cls(now - timedelta(days=days), now)

    @classmethod
    def between(cls, first: date, last: date):
        tz = timezone.get_current_timezone()
        start = datetime.combine(first, datetime.min.time(), tzinfo=tz)
        return cls(start, datetime.combine(last, datetime.min.time(), tzinfo=tz) + timedelta(days=1))


def percentiles(values, points=(50, 95, 99)) -> dict[int, float | None]:
    if not len(values):
        return {p: None for p in points}
    found = np.percentile(np.asarray(values, dtype=float), points)
    return {p: round(float(v), 1) for p, v in zip(points, found)}


def cases_per_day(period: Period) -> dict:
    """Cases submitted per day, by their status now."""
    rows = (
        Verification.objects.filter(submitted_at__gte=period.start, submitted_at__lt=period.end)
        .annotate(day=TruncDate("submitted_at"))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    days = [(period.start + timedelta(days=i)).date() for i in range((period.end - period.start).days + 1)]
    series = {status: [0] * len(days) for status, _label in Verification.Status.choices}
    index = {d: i for i, d in enumerate(days)}
    for row in rows:
        if row["day"] in index:
            series[row["status"]][index[row["day"]]] += row["n"]
    return {"days": days, "series": series}


def funnel(period: Period) -> list[tuple[str, int]]:
    """Applicants who started in the period, and how far they got."""
    photos = Photo.objects.filter(applicant=OuterRef("pk"))
    cases = Verification.objects.filter(applicant=OuterRef("pk"))
    final = [Verification.Status.APPROVED, Verification.Status.REJECTED]
    steps = {
        "started": None,
        "consented": Q(consent_given_at__isnull=False),
        "selfie": Exists(photos.filter(kind=Photo.Kind.SELFIE)),
        "card": Exists(photos.filter(kind=Photo.Kind.ID_CARD)),
        "submitted": Exists(cases),
        "decided": Exists(cases.filter(decided_at__isnull=False)),
        "final": Exists(cases.filter(status__in=final)),
        "approved": Exists(cases.filter(status=Verification.Status.APPROVED)),
    }
    counts = Applicant.objects.filter(created_at__gte=period.start, created_at__lt=period.end).aggregate(
        **{step: Count("pk", filter=condition) for step, condition in steps.items()}
    )
    return [
        (step, counts[step])
        for step in ("started", "consented", "selfie", "card", "submitted", "decided", "final", "approved")
    ]


def score_distributions(period: Period) -> list[dict]:
    """Per vendor and check kind: the scores of the period and the threshold they were judged with."""
    rows = (
        Check.objects.filter(created_at__gte=period.start, created_at__lt=period.end, score__isnull=False)
        .order_by("-created_at")
        .values_list("vendor", "kind", "score", "threshold", "score_scale")[:SAMPLE]
    )
    groups = defaultdict(lambda: {"scores": [], "thresholds": Counter(), "scale": ""})
    for vendor, kind, score, threshold, scale in rows:
        group = groups[(vendor, kind)]
        group["scores"].append(score)
        if threshold is not None:
            group["thresholds"][threshold] += 1
        group["scale"] = group["scale"] or scale
    return [
        {
            "vendor": vendor,
            "kind": kind,
            "scores": g["scores"],
            "scale": g["scale"],
            "threshold": g["thresholds"].most_common(1)[0][0] if g["thresholds"] else None,
            "sampled": len(rows) >= SAMPLE,
        }
        for (vendor, kind), g in sorted(groups.items())
    ]


def vendor_health(period: Period) -> list[dict]:
    """Per vendor and kind: calls, failures by category, error rate, latency percentiles."""
    base = Check.objects.filter(created_at__gte=period.start, created_at__lt=period.end)
    counts = {
        (r["vendor"], r["kind"]): r
        for r in base.values("vendor", "kind")
        .annotate(
            calls=Count("id"),
            failed=Count("id", filter=Q(status=Check.Status.FAILED)),
            retryable=Count("id", filter=Q(error_category="retryable")),
            bad_input=Count("id", filter=Q(error_category="bad_input")),
            retried=Count("id", filter=Q(attempt_count__gt=1)),
        )
        .order_by()
    }
    latencies = defaultdict(list)
    for vendor, kind, ms in (
        base.filter(latency_ms__isnull=False)
        .order_by("-created_at")
        .values_list("vendor", "kind", "latency_ms")[:SAMPLE]
    ):
        latencies[(vendor, kind)].append(ms)
    out = []
    for key, row in sorted(counts.items()):
        p = percentiles(latencies.get(key, []))
        # Bad input is the applicant's photo, not the vendor's failure.
        vendor_errors = row["failed"] - row["bad_input"]
        out.append(
            {
                **row,
                "error_rate": vendor_errors / row["calls"] if row["calls"] else 0.0,
                "p50": p[50],
                "p95": p[95],
                "p99": p[99],
            }
        )
    return out


def shadow_agreement(period: Period) -> list[dict]:
    """Per kind, deciding vendor and shadow vendor: how often the shadow's verdict agreed.

    A pair is a shadow check and the deciding check of the same case, kind and subject, both with a
    verdict. "Shadow stricter": the deciding vendor passed what the shadow failed.
    """
    deciding = Check.objects.filter(
        verification=OuterRef("verification"),
        kind=OuterRef("kind"),
        subject=OuterRef("subject"),
        role=Check.Role.DECIDE,
        status=Check.Status.COMPLETED,
    ).order_by("-created_at")
    rows = (
        Check.objects.filter(role=Check.Role.SHADOW, created_at__gte=period.start, created_at__lt=period.end)
        .annotate(
            decider=Subquery(deciding.values("vendor")[:1]), decider_passed=Subquery(deciding.values("passed")[:1])
        )
        .order_by("-created_at")
        .values_list("kind", "vendor", "status", "passed", "decider", "decider_passed")[:SAMPLE]
    )
    groups = defaultdict(Counter)
    for kind, shadow, status, passed, decider, decider_passed in rows:
        group = groups[(kind, decider or "-", shadow)]
        group["shadow_checks"] += 1
        if status != Check.Status.COMPLETED or passed is None:
            group["shadow_without_verdict"] += 1
        elif decider_passed is not None:
            group["pairs"] += 1
            group[
                {
                    (True, True): "both_passed",
                    (False, False): "both_failed",
                    (True, False): "shadow_stricter",
                    (False, True): "shadow_laxer",
                }[(decider_passed, passed)]
            ] += 1
    out = []
    for (kind, decider, shadow), c in sorted(groups.items()):
        agree = c["both_passed"] + c["both_failed"]
        out.append(
            {
                "kind": kind,
                "decider": decider,
                "shadow": shadow,
                **{
                    k: c[k]
                    for k in (
                        "shadow_checks",
                        "shadow_without_verdict",
                        "pairs",
                        "both_passed",
                        "both_failed",
                        "shadow_stricter",
                        "shadow_laxer",
                    )
                },
                "agreement": agree / c["pairs"] if c["pairs"] else None,
                "sampled": len(rows) >= SAMPLE,
            }
        )
    return out


def review_backlog(now=None) -> dict:
    now = now or timezone.now()
    waiting = Verification.objects.filter(status=Verification.Status.NEEDS_REVIEW)
    overdue_before = now - timedelta(hours=settings.KYC_REVIEW_SLA_HOURS)
    oldest = waiting.order_by("decided_at").values_list("decided_at", flat=True).first()
    return {
        "waiting": waiting.count(),
        "overdue": waiting.filter(decided_at__lt=overdue_before).count(),
        "oldest_hours": round((now - oldest).total_seconds() / 3600, 1) if oldest else None,
        "sla_hours": settings.KYC_REVIEW_SLA_HOURS,
    }


def time_to_decision(period: Period) -> dict:
    """Submission to final decision for cases finally decided in the period: by the policy alone, or by a person."""
    human = Decision.objects.filter(verification=OuterRef("pk"), source=Decision.Source.HUMAN)
    rows = (
        Verification.objects.filter(
            decided_at__gte=period.start,
            decided_at__lt=period.end,
            status__in=[Verification.Status.APPROVED, Verification.Status.REJECTED],
        )
        .annotate(by_human=Exists(human))
        .order_by("-decided_at")
        .values_list("submitted_at", "decided_at", "by_human")[:SAMPLE]
    )
    seconds = {"auto": [], "human": []}
    for submitted, decided, by_human in rows:
        seconds["human" if by_human else "auto"].append((decided - submitted).total_seconds())
    return {
        which: {"cases": len(values), **{f"p{k}": v for k, v in percentiles(values).items()}}
        for which, values in seconds.items()
    }


def outcomes(period: Period) -> dict:
    rows = (
        Verification.objects.filter(submitted_at__gte=period.start, submitted_at__lt=period.end)
        .values("status")
        .annotate(n=Count("id"))
        .order_by()
    )
    return {r["status"]: r["n"] for r in rows}
