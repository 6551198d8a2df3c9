"""The one state machine for verifications. Nothing else writes Verification.status."""

from django.utils import timezone

from onboarding.models import Verification
from onboarding.services.compliance import audit

S = Verification.Status

TRANSITIONS = {
    S.SUBMITTED: {S.PROCESSING},
    S.PROCESSING: {S.APPROVED, S.REJECTED, S.NEEDS_REVIEW},
    # A reviewer decides a case in review, and may overturn an automatic decision.
    S.NEEDS_REVIEW: {S.APPROVED, S.REJECTED},
    S.APPROVED: {S.REJECTED, S.NEEDS_REVIEW},  # review: a list match found after approval (ongoing screening)
    S.REJECTED: {S.APPROVED},
}
DECIDED = {S.APPROVED, S.REJECTED, S.NEEDS_REVIEW}


class InvalidTransition(Exception):
    pass


def can_transition(current, target) -> bool:
    return target in TRANSITIONS.get(current, set())


def transition(verification, target, *, actor, action="status_changed", save_also=(), **data):
    """Move `verification` to `target` and audit it. Call inside a transaction with the row locked.

    save_also: other fields the caller set, saved in the same update.
    """
    current = verification.status
    if not can_transition(current, target):
        raise InvalidTransition(f"{current} -> {target} is not allowed")
    now = timezone.now()
    verification.status, verification.updated_at = target, now
    fields = ["status", "updated_at", *save_also]
    if target == S.PROCESSING:
        verification.processing_started_at = now
        fields.append("processing_started_at")
    if target in DECIDED:
        verification.decided_at = now
        fields.append("decided_at")
    if not Verification.objects.filter(pk=verification.pk).update(
        **{name: getattr(verification, name) for name in fields}
    ):
        raise Verification.DoesNotExist(verification.pk)
    audit.record(action, actor=actor, verification=verification, from_status=current, to_status=target, **data)
    return verification


def mark_processing(verification, *, actor) -> bool:
    """Submitted → processing when a worker takes up the case's first check; False when it already was.

    A conditional update, not a row lock: the checks of one case are claimed in parallel, and only
    the first claim's update matches (the others wait for it to commit, then match nothing).
    """
    now = timezone.now()
    claimed = Verification.objects.filter(pk=verification.pk, status=S.SUBMITTED).update(
        status=S.PROCESSING, processing_started_at=now, updated_at=now
    )
    if not claimed:
        return False
    verification.status, verification.processing_started_at, verification.updated_at = S.PROCESSING, now, now
    audit.record(
        "status_changed", actor=actor, verification=verification, from_status=S.SUBMITTED, to_status=S.PROCESSING
    )
    return True
