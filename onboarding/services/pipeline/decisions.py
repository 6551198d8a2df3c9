"""The automatic decision, once every deciding check of a case is final."""

from __future__ import annotations

from django.db import transaction

from onboarding.models import Check, Decision, Verification
from onboarding.selectors.api import api_verification
from onboarding.services.compliance import audit
from onboarding.services.identity import documents
from onboarding.services.integrations import webhooks
from onboarding.services.pipeline import state
from onboarding.services.policy import risk, rules, versions

STATUS_FOR_OUTCOME = {
    Decision.Outcome.APPROVE: Verification.Status.APPROVED,
    Decision.Outcome.REJECT: Verification.Status.REJECTED,
    Decision.Outcome.REVIEW: Verification.Status.NEEDS_REVIEW,
}


def finalize_if_complete(verification_id, in_force=None, *, applicant=None) -> Decision | None:
    """Decide once every deciding check is final and the duplicate scan is done (shadow checks are
    not waited for). Safe to call any number of times, from any worker.

    in_force: the policy, when the caller has just read it (it scored the last check);
    applicant: the case's applicant, when the caller has read it (webhooks go to its API client).
    """
    with transaction.atomic():
        # The case's row locked and its checks read in one query (the policy reads no raw body;
        # sorted here, as an ORDER BY costs the ORM more than the sort).
        checks = sorted(
            Check.objects.filter(verification_id=verification_id)
            .select_related("verification")
            .select_for_update(of=("verification",))
            .defer("raw_response")
            .order_by(),
            key=lambda check: check.created_at,
        )
        if checks:
            verification = checks[0].verification
        else:  # a case without checks
            verification = Verification.objects.select_for_update().get(pk=verification_id)
        if applicant is not None and applicant.pk == verification.applicant_id:
            verification.applicant = applicant
        if verification.status != Verification.Status.PROCESSING:
            return None
        if any(not c.is_final for c in checks if c.role == c.Role.DECIDE) or verification.duplicates_pending:
            return None
        in_force = in_force or versions.active()
        assessment = risk.assess_case(verification, checks, policy=in_force)
        evaluation = rules.evaluate(checks, policy=in_force, risk=assessment)
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
        emit_decision(verification, "decision.made")
    return decision


def emit_decision(verification, event_type):
    def payload():
        body = api_verification(verification)
        if body.get("document") and body["document"]["fields"]:  # identity data leave for the client
            documents.record_viewed(verification, actor=audit.Actor.system("webhooks"), purpose="webhook")
        return body

    webhooks.emit(verification, event_type, payload)
