"""Reads for the business's systems: the API's verification and a client's own cases (webhooks carry the same)."""

from django.db.models import OuterRef, Subquery

from onboarding.models import Decision, Verification

from .cases import verification_summary
from .identity import document_view


def api_verification(verification: Verification) -> dict:
    """The API's view of a verification (see onboarding.api.serializers.VerificationSerializer)."""
    summary = verification_summary(verification)
    applicant = verification.applicant
    summary.update(
        applicant={
            "id": str(applicant.id),
            "external_ref": applicant.external_ref,
            "created_at": applicant.created_at.isoformat(),
        },
        risk_level=verification.risk_level or None,  # "1" is the highest risk; set with the decision
        risk_reasons=verification.risk_reasons,
        channel=verification.channel,
        document=document_view(verification),
    )
    return summary


def client_verifications(
    client,
    *,
    status=None,
    decision=None,
    external_ref=None,
    risk_level=None,
    submitted_after=None,
    submitted_before=None,
):
    latest = Decision.objects.filter(verification=OuterRef("pk")).order_by("-created_at", "-id").values("outcome")[:1]
    qs = (
        Verification.objects.filter(applicant__client=client)
        .select_related("applicant")
        .prefetch_related("checks", "decisions")
        .annotate(latest_outcome=Subquery(latest))
    )
    if status:
        qs = qs.filter(status=status)
    if decision:
        qs = qs.filter(latest_outcome=decision)
    if external_ref:
        qs = qs.filter(applicant__external_ref=external_ref)
    if risk_level:
        qs = qs.filter(risk_level=risk_level)
    if submitted_after:
        qs = qs.filter(submitted_at__gte=submitted_after)
    if submitted_before:
        qs = qs.filter(submitted_at__lt=submitted_before)
    return qs
