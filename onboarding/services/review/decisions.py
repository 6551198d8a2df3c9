"""Reviewers' decisions: approve or reject with a reason, and the two-person overturn of an automatic reject."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from onboarding.models import Decision, OverturnRequest, ReviewReason, Verification
from onboarding.selectors.review import liveness_evidence_of
from onboarding.services.compliance import audit
from onboarding.services.pipeline import state
from onboarding.services.pipeline.decisions import STATUS_FOR_OUTCOME, emit_decision
from onboarding.services.policy import versions
from onboarding.services.review import assignment


class DecisionError(Exception):
    pass


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
            assignment.check_may_decide(verification, user)
        except assignment.AssignmentError as exc:
            raise DecisionError(str(exc)) from None
        if (
            reason is not None
            and reason.code in ReviewReason.CLAIMS_LIVENESS
            and not liveness_evidence_of(verification)
        ):
            # The case page does not offer it; a bulk action or a hand-made POST must not say it either.
            raise DecisionError(
                f"the reason {reason.code!r} says a live person was seen, and nothing in this case shows one"
            )
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
        policy_version=versions.active().version,
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
    assignment.clear_assignment(verification)
    emit_decision(verification, "decision.changed")
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
