"""Reads of the reviewer's workspace: the queue, its filters, and everything on one case page."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Exists, F, OuterRef, Q, Subquery
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from onboarding.models import (
    RISK_LEVELS,
    AuditEvent,
    Check,
    Decision,
    DuplicateSignal,
    LivenessChallenge,
    OverturnRequest,
    Verification,
)
from onboarding.reasons import REASON_MESSAGES, REVIEW_REASONS, reason_text

from .cases import latest_decision

# Compare score as a share of its threshold: the same bands on every vendor's scale.
SCORE_BANDS = {
    "far_below": (_("compare far below threshold (< 80%)"), None, 0.8),
    "below": (_("compare just below threshold (80–100%)"), 0.8, 1.0),
    "near_above": (_("compare just above threshold (100–110%)"), 1.0, 1.1),
    "above": (_("compare clearly above threshold (≥ 110%)"), 1.1, None),
}


def latest_outcome():
    return Subquery(
        Decision.objects.filter(verification=OuterRef("pk")).order_by("-created_at", "-id").values("outcome")[:1]
    )


def has_signals():
    return Exists(DuplicateSignal.objects.filter(Q(verification=OuterRef("pk")) | Q(other_verification=OuterRef("pk"))))


def queue(base=None):
    """Cases in review, oldest first, with what the list shows."""
    base = base if base is not None else Verification.objects.all()
    return (
        base.filter(status=Verification.Status.NEEDS_REVIEW)
        .select_related("applicant", "assigned_to")
        .prefetch_related("checks", "decisions")
        .annotate(flagged=has_signals())
        .order_by("decided_at", "pk")
    )


def with_reason(qs, code):
    # JSON text search works the same on PostgreSQL and SQLite; the queue is small.
    return qs.filter(
        Exists(
            Decision.objects.filter(
                verification=OuterRef("pk"), source=Decision.Source.AUTO, reasons__icontains=f'"code": "{code}"'
            )
        )
    )


def with_vendor(qs, vendor):
    return qs.filter(Exists(Check.objects.filter(verification=OuterRef("pk"), vendor=vendor)))


def risk_level_choices():
    return RISK_LEVELS + [("none", _("not assessed yet"))]


def with_risk_level(qs, level):
    """The case's own risk level ("1" … "4"), or "none" for cases not decided yet."""
    return qs.filter(risk_level="" if level == "none" else level)


def with_score_band(qs, band):
    _label, low, high = SCORE_BANDS[band]
    checks = Check.objects.filter(verification=OuterRef("pk"), kind="compare", score__isnull=False, threshold__gt=0)
    if low is not None:
        checks = checks.filter(score__gte=F("threshold") * low)
    if high is not None:
        checks = checks.filter(score__lt=F("threshold") * high)
    return qs.filter(Exists(checks))


def with_assignment(qs, which, user, now=None):
    now = now or timezone.now()
    live = Q(assigned_to__isnull=False, assigned_at__gte=lapse_cutoff(now))
    if which == "mine":
        return qs.filter(live, assigned_to=user)
    if which == "free":
        return qs.filter(free(now))
    if which == "others":
        return qs.filter(live).exclude(assigned_to=user)
    return qs


def overdue(qs, now=None):
    now = now or timezone.now()
    return qs.filter(decided_at__lt=now - timedelta(hours=settings.KYC_REVIEW_SLA_HOURS))


def review_reason_choices():
    return [(code, REASON_MESSAGES[code]) for code in REVIEW_REASONS]


def queue_reasons(verification) -> list[str]:
    """The automatic decision's reason codes (why the case is in review); uses prefetched decisions."""
    auto = [d for d in verification.decisions.all() if d.source == Decision.Source.AUTO]
    latest = max(auto, key=lambda d: (d.created_at, d.id), default=None)
    return [r.get("code", "") for r in latest.reasons] if latest else []


def queue_reason_texts(verification) -> list[tuple[str, str]]:
    """(code, sentence) of each reason the case is in review: the queue shows the sentences."""
    return [(code, str(reason_text(code, code))) for code in queue_reasons(verification)]


def compare_summary(verification):
    for check in verification.checks.all():
        if check.kind == "compare" and check.score is not None:
            return check
    return None


def has_liveness_evidence(checks, challenge) -> bool:
    """Whether anything showed a live person took the selfie: a liveness check that judged it
    (passed or not), or a challenge's frames to look at. A still upload alone shows neither."""
    judged = any(c.kind == "liveness" and c.status == Check.Status.COMPLETED and c.passed is not None for c in checks)
    return judged or (challenge is not None and not challenge.frames_purged_at)


def liveness_evidence_of(verification) -> bool:
    return has_liveness_evidence(
        list(verification.checks.filter(kind="liveness")),
        LivenessChallenge.objects.filter(verification=verification).first(),
    )


def case_page(verification_id) -> dict:
    """Everything the case page shows, in a fixed number of queries."""
    verification = (
        Verification.objects.select_related("applicant", "selfie", "id_card", "id_card_back", "assigned_to")
        .prefetch_related("checks", "decisions__decided_by")
        .get(pk=verification_id)
    )
    challenge = LivenessChallenge.objects.filter(verification=verification).first()
    earlier = (
        Verification.objects.filter(applicant_id=verification.applicant_id)
        .exclude(pk=verification.pk)
        .annotate(latest_outcome=latest_outcome())
        .order_by("-submitted_at")
    )
    signals = []
    for s in (
        DuplicateSignal.objects.filter(Q(verification=verification) | Q(other_verification=verification))
        .select_related("photo", "other_photo", "verification")
        .order_by("kind", "distance")
    ):
        mine = s.verification_id == verification.pk
        signals.append(
            {
                "kind": s.get_kind_display(),
                "distance": s.distance,
                "subject": (s.photo if mine else s.other_photo).get_kind_display(),
                # None: the other applicant is deleted (its retention), the match kept here
                "other_subject": other.get_kind_display() if (other := s.other_photo if mine else s.photo) else None,
                "other_applicant_id": s.other_applicant_id if mine else s.verification.applicant_id,
                "other_verification_id": s.other_verification_id if mine else s.verification_id,
                "found_here": mine,
                "across_clients": s.across_clients,
            }
        )
    checks = sorted(verification.checks.all(), key=lambda c: (c.created_at, c.kind, c.subject))
    decisions = sorted(verification.decisions.all(), key=lambda d: (d.created_at, d.id))
    return {
        "verification": verification,
        "applicant": verification.applicant,
        "challenge": challenge,
        "challenge_frames": range(challenge.frame_count) if challenge else [],
        "checks": checks,
        "decisions": decisions,
        "decision": latest_decision(verification),
        "earlier": list(earlier),
        "signals": signals,
        "events": list(AuditEvent.objects.filter(verification_id=verification.pk).order_by("id")),
        "pending_overturns": list(
            verification.overturn_requests.filter(status=OverturnRequest.Status.PENDING).select_related("requested_by")
        ),
        "holder": holder(verification),
        "sla": sla(verification),
    }


# Who holds a case in review, and its clock.

IN_REVIEW = Verification.Status.NEEDS_REVIEW


def lapse_cutoff(now: datetime) -> datetime:
    return now - timedelta(minutes=settings.KYC_REVIEW_ASSIGNMENT_MINUTES)


def free(now: datetime) -> Q:
    """Cases nobody holds: never assigned, released, or the assignment lapsed."""
    return Q(assigned_to__isnull=True) | Q(assigned_at__lt=lapse_cutoff(now))


def holder(verification, now=None):
    """The reviewer holding the case now, or None."""
    now = now or timezone.now()
    if verification.assigned_to_id and verification.assigned_at and verification.assigned_at >= lapse_cutoff(now):
        return verification.assigned_to
    return None


@dataclasses.dataclass
class Sla:
    waiting: timedelta
    due_at: datetime
    overdue: bool

    @property
    def remaining(self) -> timedelta:
        return self.due_at - timezone.now()


def sla(verification, now=None) -> Sla | None:
    """The clock of a case in review: it starts when the case entered review."""
    if verification.status != IN_REVIEW or verification.decided_at is None:
        return None
    now = now or timezone.now()
    due_at = verification.decided_at + timedelta(hours=settings.KYC_REVIEW_SLA_HOURS)
    return Sla(waiting=now - verification.decided_at, due_at=due_at, overdue=now > due_at)
