"""The review queue: who works on which case, and for how long.

A case in review is assigned to one reviewer at a time. "Take next" hands out the oldest free
case with a compare-and-set UPDATE (status still in review, still free): of two reviewers who
pick the same row at once, exactly one update matches and the other moves on to the next case.
On PostgreSQL the candidates are read with SKIP LOCKED so they rarely collide at all.

An assignment lapses after KYC_REVIEW_ASSIGNMENT_MINUTES, so a case left open at the end of a
shift goes back to the queue by itself. Every assignment and release is in the audit trail.
"""

from __future__ import annotations

from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone

from onboarding.models import Verification
from onboarding.selectors.review import free, holder, lapse_cutoff
from onboarding.services.compliance import audit

IN_REVIEW = Verification.Status.NEEDS_REVIEW


class AssignmentError(Exception):
    pass


def _claim(verification_id, user, now, *, require_free=True) -> bool:
    rows = Verification.objects.filter(pk=verification_id, status=IN_REVIEW)
    if require_free:
        rows = rows.filter(free(now) | Q(assigned_to=user))
    return rows.update(assigned_to=user, assigned_at=now) == 1


def take_next(user, queue=None) -> Verification | None:
    """Assign the oldest free case of `queue` (default: all cases in review) to `user`.

    A reviewer who already holds a case gets that one back first.
    """
    now = timezone.now()
    queue = (queue if queue is not None else Verification.objects.all()).filter(status=IN_REVIEW)
    held = queue.filter(assigned_to=user, assigned_at__gte=lapse_cutoff(now)).order_by("decided_at", "pk").first()
    if held is not None:
        return held
    candidates = queue.filter(free(now)).order_by("decided_at", "pk")
    for _ in range(20):  # each round loses only to a reviewer who took that very case
        with transaction.atomic():
            if connection.features.has_select_for_update_skip_locked:
                candidates_now = candidates.select_for_update(skip_locked=True, of=("self",))
            else:
                candidates_now = candidates
            candidate = candidates_now.values_list("pk", flat=True).first()
            if candidate is None:
                return None
            if _claim(candidate, user, now):
                verification = Verification.objects.get(pk=candidate)
                audit.record(
                    "case_assigned",
                    actor=audit.Actor.staff(user),
                    verification=verification,
                    assignee=user.get_username(),
                    how="take_next",
                )
                return verification
    return None


def assign(verification_id, *, user, assignee=None) -> Verification:
    """Take a case (assignee None: yourself), or give it to someone (needs assign_verification)."""
    assignee = assignee or user
    now = timezone.now()
    if assignee != user and not user.has_perm("onboarding.assign_verification"):
        raise AssignmentError("Only a senior reviewer can assign cases to others.")
    with transaction.atomic():
        verification = Verification.objects.select_for_update().get(pk=verification_id)
        if verification.status != IN_REVIEW:
            raise AssignmentError("Only a case in review can be assigned.")
        current = holder(verification, now)
        if current is not None and current != assignee and not user.has_perm("onboarding.assign_verification"):
            raise AssignmentError(f"{current.get_username()} is working on this case.")
        _claim(verification.pk, assignee, now, require_free=False)
        audit.record(
            "case_assigned",
            actor=audit.Actor.staff(user),
            verification=verification,
            assignee=assignee.get_username(),
            how="assign",
            previous=current.get_username() if current is not None else "",
        )
        verification.refresh_from_db()
    return verification


def release(verification_id, *, user) -> Verification:
    """Give a case back to the queue: the holder, or a senior reviewer for anyone's case."""
    now = timezone.now()
    with transaction.atomic():
        verification = Verification.objects.select_for_update().get(pk=verification_id)
        current = holder(verification, now)
        if current is None:
            return verification
        if current != user and not user.has_perm("onboarding.assign_verification"):
            raise AssignmentError(
                f"{current.get_username()} is working on this case; only they or a senior reviewer can release it."
            )
        Verification.objects.filter(pk=verification.pk).update(assigned_to=None, assigned_at=None)
        audit.record(
            "case_released", actor=audit.Actor.staff(user), verification=verification, assignee=current.get_username()
        )
        verification.refresh_from_db()
    return verification


def check_may_decide(verification, user, now=None):
    """A case someone else holds is theirs to decide (a senior reviewer may step in)."""
    current = holder(verification, now)
    if current is not None and current != user and not user.has_perm("onboarding.assign_verification"):
        raise AssignmentError(f"{current.get_username()} is working on this case.")


def clear_assignment(verification):
    """After a decision: the case leaves the queue and nobody holds it any more."""
    if verification.assigned_to_id:
        Verification.objects.filter(pk=verification.pk).update(assigned_to=None, assigned_at=None)
        verification.assigned_to, verification.assigned_at = None, None
