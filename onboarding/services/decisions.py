"""Decisions: the automatic one when all checks are done, and reviewers' decisions."""
from __future__ import annotations

from django.conf import settings
from django.db import transaction

from onboarding.models import Decision, Verification

from . import audit, policy, state, webhooks

STATUS_FOR_OUTCOME = {
    Decision.Outcome.APPROVE: Verification.Status.APPROVED,
    Decision.Outcome.REJECT: Verification.Status.REJECTED,
    Decision.Outcome.REVIEW: Verification.Status.NEEDS_REVIEW,
}


class DecisionError(Exception):
    pass


def finalize_if_complete(verification_id) -> Decision | None:
    """Decide once every check is final. Safe to call any number of times, from any worker."""
    with transaction.atomic():
        verification = Verification.objects.select_for_update().get(pk=verification_id)
        if verification.status != Verification.Status.PROCESSING:
            return None
        checks = list(verification.checks.all())
        if any(not c.is_final for c in checks):
            return None
        evaluation = policy.evaluate(checks)
        decision = Decision.objects.create(
            verification=verification, outcome=evaluation.outcome, source=Decision.Source.AUTO,
            reasons=evaluation.reasons, policy_version=settings.KYC_POLICY_VERSION)
        state.transition(verification, STATUS_FOR_OUTCOME[evaluation.outcome], actor=audit.Actor.system("policy"),
                         action="auto_decision", decision_id=decision.pk, outcome=evaluation.outcome,
                         reasons=[r["code"] for r in evaluation.reasons], policy_version=decision.policy_version)
        _emit_decision(verification, "decision.made")
    return decision


def _emit_decision(verification, event_type):
    from onboarding.selectors import api_verification

    webhooks.emit(verification.pk, event_type, api_verification(verification))


def record_human_decision(verification_id, *, outcome, comment, user) -> Decision:
    """A reviewer approves or rejects; the written reason is required."""
    comment = (comment or "").strip()
    if not comment:
        raise DecisionError("a reason is required")
    if outcome not in (Decision.Outcome.APPROVE, Decision.Outcome.REJECT):
        raise DecisionError(f"reviewers approve or reject, not {outcome!r}")
    with transaction.atomic():
        verification = Verification.objects.select_for_update().get(pk=verification_id)
        target = STATUS_FOR_OUTCOME[outcome]
        if not state.can_transition(verification.status, target):
            raise DecisionError(f"a {verification.get_status_display().lower()} case cannot be set to "
                                f"{target.label.lower()}")
        decision = Decision.objects.create(
            verification=verification, outcome=outcome, source=Decision.Source.HUMAN,
            reasons=[{"code": "reviewer_decision", "message": comment, "fixable": False}],
            policy_version=settings.KYC_POLICY_VERSION, decided_by=user, comment=comment)
        state.transition(verification, target, actor=audit.Actor.staff(user), action="human_decision",
                         decision_id=decision.pk, outcome=outcome, comment=comment)
        _emit_decision(verification, "decision.changed")
    return decision
