"""Decisions: the automatic one when all checks are done, and reviewers' decisions."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from onboarding.models import Decision, OverturnRequest, ReviewReason, Verification

from . import audit, policy, policy_config, review, risk, state, webhooks

STATUS_FOR_OUTCOME = {
    Decision.Outcome.APPROVE: Verification.Status.APPROVED,
    Decision.Outcome.REJECT: Verification.Status.REJECTED,
    Decision.Outcome.REVIEW: Verification.Status.NEEDS_REVIEW,
}


class DecisionError(Exception):
    pass


def finalize_if_complete(verification_id, in_force=None, *, applicant=None) -> Decision | None:
    """Decide once every deciding check is final and the duplicate scan is done (shadow checks are
    not waited for). Safe to call any number of times, from any worker.

    in_force: the policy, when the caller has just read it (it scored the last check);
    applicant: the case's applicant, when the caller has read it (webhooks go to its API client).
    """
    with transaction.atomic():
        verification = Verification.objects.select_for_update().get(pk=verification_id)
        if applicant is not None and applicant.pk == verification.applicant_id:
            verification.applicant = applicant
        if verification.status != Verification.Status.PROCESSING:
            return None
        checks = list(verification.checks.order_by("created_at"))
        if any(not c.is_final for c in checks if c.role == c.Role.DECIDE) or verification.duplicates_pending:
            return None
        in_force = in_force or policy_config.active()
        assessment = risk.assess_case(verification, checks, policy=in_force)
        evaluation = policy.evaluate(checks, policy=in_force, risk=assessment)
        verification.risk_level, verification.risk_reasons = assessment.level, assessment.reasons
        decision = Decision(
            verification=verification,
            outcome=evaluation.outcome,
            source=Decision.Source.AUTO,
            reasons=evaluation.reasons,
            policy_version=in_force.version,
        )
        decision.save(force_insert=True)
        state.transition(
            verification,
            STATUS_FOR_OUTCOME[evaluation.outcome],
            actor=audit.Actor.system("policy"),
            action="auto_decision",
            decision_id=decision.pk,
            outcome=evaluation.outcome,
            reasons=[r["code"] for r in evaluation.reasons],
            policy_version=decision.policy_version,
            risk_level=assessment.level,
            save_also=["risk_level", "risk_reasons"],
        )
        _emit_decision(verification, "decision.made")
    return decision


def _emit_decision(verification, event_type):
    from onboarding.selectors import api_verification

    webhooks.emit(verification, event_type, lambda: api_verification(verification))


def _overturns_auto_reject(verification, outcome) -> bool:
    latest = verification.decisions.order_by("-created_at").first()
    return (
        outcome == Decision.Outcome.APPROVE
        and verification.status == Verification.Status.REJECTED
        and latest is not None
        and latest.source == Decision.Source.AUTO
    )


def record_human_decision(
    verification_id, *, outcome, comment="", user, reason=None, client_message=""
) -> Decision | OverturnRequest:
    """A reviewer approves or rejects, with a reason template (ReviewReason), free text, or both.

    The free-text comment is an internal note (the decision, the audit trail, the case page);
    what the API client is told is the template's text and `client_message`, if any.

    Approving a case the policy rejected takes two people: a senior reviewer's request here,
    confirmed by another one in confirm_overturn. Until then the case stays rejected.
    """
    comment = (comment or "").strip()
    if not comment and reason is None:
        raise DecisionError("a reason is required")
    if outcome not in (Decision.Outcome.APPROVE, Decision.Outcome.REJECT):
        raise DecisionError(f"reviewers approve or reject, not {outcome!r}")
    if reason is not None and reason.outcome != outcome:
        raise DecisionError(f"the reason {reason.code!r} is for the other outcome")
    with transaction.atomic():
        verification = Verification.objects.select_for_update().get(pk=verification_id)
        target = STATUS_FOR_OUTCOME[outcome]
        if not state.can_transition(verification.status, target):
            raise DecisionError(
                f"a {verification.get_status_display().lower()} case cannot be set to {target.label.lower()}"
            )
        try:
            review.check_may_decide(verification, user)
        except review.AssignmentError as exc:
            raise DecisionError(str(exc)) from None
        if _overturns_auto_reject(verification, outcome):
            if not user.has_perm("onboarding.overturn_decision"):
                raise DecisionError("only a senior reviewer may overturn an automatic reject")
            if verification.overturn_requests.filter(status=OverturnRequest.Status.PENDING).exists():
                raise DecisionError("an overturn of this case is already waiting for a second reviewer")
            text = " — ".join(filter(None, [str(reason.text) if reason else "", comment]))
            request = OverturnRequest.objects.create(verification=verification, comment=text, requested_by=user)
            audit.record(
                "overturn_requested",
                actor=audit.Actor.staff(user),
                verification=verification,
                request_id=str(request.pk),
                comment=text,
            )
            return request
        return _decide(
            verification, outcome, comment, user, reason=reason, client_message=(client_message or "").strip()
        )


REVIEWER_DECISION = "Decided by a reviewer."


def _decide(verification, outcome, comment, user, reason=None, client_message="", **audit_data) -> Decision:
    target = STATUS_FOR_OUTCOME[outcome]
    reasons = []
    if reason is not None:
        reasons.append(
            {"code": reason.code, "message": str(reason.text), "fixable": reason.code in ReviewReason.APPLICANT_FIXABLE}
        )
        audit_data["reason"] = reason.code
    if client_message:
        reasons.append({"code": "reviewer_message", "message": client_message, "fixable": False})
        audit_data["client_message"] = client_message
    if not reasons:  # the comment is internal: the client learns only that a person decided
        reasons.append({"code": "reviewer_decision", "message": REVIEWER_DECISION, "fixable": False})
    decision = Decision.objects.create(
        verification=verification,
        outcome=outcome,
        source=Decision.Source.HUMAN,
        reasons=reasons,
        policy_version=policy_config.active().version,
        decided_by=user,
        comment=comment or str(reason.text),
    )
    state.transition(
        verification,
        target,
        actor=audit.Actor.staff(user),
        action="human_decision",
        decision_id=decision.pk,
        outcome=outcome,
        comment=comment,
        **audit_data,
    )
    review.clear_assignment(verification)
    _emit_decision(verification, "decision.changed")
    return decision


def confirm_overturn(request_id, *, user) -> Decision:
    """The second person: another senior reviewer confirms the approval of a rejected case."""
    with transaction.atomic():
        request = OverturnRequest.objects.select_for_update().get(pk=request_id)
        verification = Verification.objects.select_for_update().get(pk=request.verification_id)
        if request.status != OverturnRequest.Status.PENDING:
            raise DecisionError("this request was already confirmed")
        if request.requested_by_id == user.pk:
            raise DecisionError("the second reviewer must be someone other than the one who asked")
        if not user.has_perm("onboarding.overturn_decision"):
            raise DecisionError("only a senior reviewer may confirm an overturn")
        if not state.can_transition(verification.status, Verification.Status.APPROVED):
            raise DecisionError("the case can no longer be approved")
        request.status, request.confirmed_by, request.confirmed_at = (
            OverturnRequest.Status.CONFIRMED,
            user,
            timezone.now(),
        )
        request.save()
        return _decide(
            verification,
            Decision.Outcome.APPROVE,
            request.comment,
            user,
            requested_by=request.requested_by.get_username(),
            overturn_request_id=str(request.pk),
        )
