"""Running one check: claim it, call its vendor once, store the result.

Idempotent: a check that is final is never run again (a re-delivered task reuses
the stored result), and a check another worker holds (a live claim) is left to it
until its lease ends. A claim older than the lease belongs to a dead worker and is
taken over. The vendor's circuit breaker is asked before every call.
"""
from __future__ import annotations

import logging
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onboarding.models import Check, LivenessChallenge, Verification
from onboarding.selectors import check_summary
from vendors.base import ChallengeInput, CheckKind, CheckRequest, ImageInput, ResultStatus, Subject
from vendors.circuit import CircuitBreaker
from vendors.exceptions import PermanentVendorError, RetryableVendorError, VendorError
from vendors.registry import get_backend

from . import audit, dispatch, policy_config, scoring, state, webhooks
from .applicants import read_file
from .challenges import PRIOR_REASONS, read_frames
from .decisions import finalize_if_complete
from .vendor_access import signed_photo_url

logger = logging.getLogger(__name__)


def image_input(photo, vendor) -> ImageInput:
    return ImageInput(data=read_file(photo), content_type=photo.content_type, width=photo.width,
                      height=photo.height, sha256=photo.sha256,
                      url_factory=lambda: signed_photo_url(photo, vendor))


def build_request(check, backend) -> CheckRequest:
    verification = check.verification
    subject = Subject(check.subject)
    return CheckRequest(
        kind=CheckKind(check.kind), subject=subject, request_id=str(check.request_id),
        selfie=image_input(verification.selfie, check.vendor) if subject in (Subject.SELFIE, Subject.PAIR) else None,
        id_card=(image_input(verification.id_card, check.vendor)
                 if subject in (Subject.ID_CARD, Subject.PAIR) else None),
        challenge=(challenge_input(verification)
                   if check.kind == CheckKind.LIVENESS and backend.reads_challenge else None),
        liveness_data=(read_file(verification.liveness_data)
                       if verification.liveness_data_id and backend.reads_liveness_data else None))


def challenge_input(verification) -> ChallengeInput | None:
    challenge = LivenessChallenge.objects.filter(verification=verification).first()
    if challenge is None:
        return None
    prior = [r for r in challenge.reasons if r in PRIOR_REASONS]
    return ChallengeInput(moves=list(challenge.moves), frames=read_frames(challenge), prior_reasons=prior)


class CheckHeld(Exception):
    """Another worker holds a live claim on the check; look again when its lease ends."""

    def __init__(self, retry_after: float):
        super().__init__(f"held by another worker for {retry_after:.0f}s more")
        self.retry_after = max(0.0, retry_after)


def lease() -> timedelta:
    return timedelta(seconds=settings.KYC_CHECK_LEASE_SECONDS)


def held_by_live_worker(check, now) -> bool:
    return check.status == Check.Status.RUNNING and check.claimed_at is not None and check.claimed_at > now - lease()


def claim(check_id, now=None, *, before_call=None) -> Check | None:
    """Take the check for this worker. None when it is final; CheckHeld when a live worker has it.

    The first check of a case claimed moves the case to processing.

    before_call(check) runs under the row lock just before the claim is written; what it raises
    (the vendor's open circuit) leaves the check as it was.
    """
    now = now or timezone.now()
    with transaction.atomic():
        # Only the check's row is locked (of=self); its case and photos come in the same query.
        check = (Check.objects.select_for_update(of=("self",))
                 .select_related("verification__selfie", "verification__id_card", "verification__liveness_data")
                 .get(pk=check_id))
        if check.is_final:
            return None
        if held_by_live_worker(check, now):
            raise CheckHeld((check.claimed_at + lease() - now).total_seconds())
        if before_call is not None:
            before_call(check)
        if check.verification.status == Verification.Status.SUBMITTED:  # as read: cheap to skip after
            state.mark_processing(check.verification, actor=audit.Actor.system("worker"))
        check.status = Check.Status.RUNNING
        check.claimed_at = now
        check.attempt_count += 1
        check.save(update_fields=["status", "claimed_at", "attempt_count"])
    return check


def execute_check(check_id):
    """Run the check if it still needs running.

    Raises RetryableVendorError for the task to retry (CircuitOpenError, a subclass, when the
    vendor was not called at all) and CheckHeld when another worker has the check.
    """
    probes = []
    # The vendor's circuit is asked only for a check this worker is about to run, under its lock:
    # no query before the claim, and no probe taken for a check that is done or held.
    check = claim(check_id, before_call=lambda c: probes.append(CircuitBreaker(c.vendor).before_call()))
    if check is None:
        # Done already (a re-delivered task, a decision that failed): make sure the case is decided.
        finalize_if_complete(Check.objects.values_list("verification_id", flat=True).get(pk=check_id))
        return
    circuit, probe = CircuitBreaker(check.vendor), probes[0]
    backend = get_backend(check.vendor)
    try:
        result = backend.run(build_request(check, backend))
    except RetryableVendorError as exc:
        circuit.record_failure(probe)
        _release_after_retryable_error(check, exc)
        raise
    except SoftTimeLimitExceeded:
        circuit.record_failure(probe)
        exc = RetryableVendorError(f"{check.vendor}: no answer within the task's time limit", code="time_limit")
        _release_after_retryable_error(check, exc)
        raise exc from None
    except VendorError as exc:
        circuit.record_success(probe)  # the vendor answered; the request was the problem
        fail_check(check.pk, exc)
        return
    except Exception as exc:  # a bug must not leave the case stuck: log it, fail this check, let a human look
        logger.exception("check %s (%s/%s) crashed", check.pk, check.vendor, check.kind)
        fail_check(check.pk, PermanentVendorError(f"internal error: {type(exc).__name__}", code="internal_error"))
        return
    circuit.record_success(probe)
    _store_result(check, result)


def fall_back_now(check_id, exc: VendorError) -> bool:
    """End this vendor's check at once when another vendor is configured for it (its circuit is open)."""
    if not Check.objects.filter(pk=check_id).exclude(fallback_vendors=[]).exists():
        return False
    fail_check(check_id, exc)
    return True


def expire_unfinished(verification_id, now=None) -> int:
    """Past the deadline: fail what no worker is running, without fallback, so the policy decides."""
    now = now or timezone.now()
    return sum(expire(check, now) for check in
               Check.objects.filter(verification_id=verification_id).exclude(status__in=Check.FINAL_STATUSES))


def expire(check, now) -> bool:
    """Fail one unfinished check past its deadline, without fallback; False when a live worker holds it."""
    if held_by_live_worker(check, now):
        return False  # a live worker will store its result within the lease
    fail_check(check.pk, PermanentVendorError(
        f"{check.vendor} {check.kind}: not finished before the deadline", code="deadline_exceeded"),
        fall_back=False)
    return True


def _fall_back(check) -> Check | None:
    """Start the next configured vendor for this check's kind, after commit. Call with the row locked."""
    if not check.fallback_vendors:
        return None
    nxt, _ = Check.objects.get_or_create(
        verification=check.verification, kind=check.kind, subject=check.subject,
        vendor=check.fallback_vendors[0], defaults={"fallback_vendors": check.fallback_vendors[1:]})
    audit.record("check_fallback", actor=audit.Actor.system(), verification=check.verification,
                 kind=check.kind, subject=check.subject, from_vendor=check.vendor, to_vendor=nxt.vendor,
                 because=check.status)
    dispatch.run_checks_after_commit([nxt.pk])
    return nxt


def _store_result(check, result):
    with transaction.atomic():
        locked = (Check.objects.select_for_update(of=("self",)).select_related("verification__applicant")
                  .get(pk=check.pk))
        if locked.is_final:  # a worker that took over an expired lease finished first
            return
        locked.status = (Check.Status.NOT_APPLICABLE if result.status == ResultStatus.NOT_APPLICABLE
                         else Check.Status.COMPLETED)
        locked.score = result.score
        locked.score_scale = result.score_scale
        locked.threshold = result.threshold
        locked.threshold_source = result.threshold_source
        locked.passed = result.passed
        locked.risk_level = result.risk_level or ""
        locked.risk_tags = list(result.risk_tags or [])
        locked.vendor_request_id = result.vendor_request_id or ""
        locked.latency_ms = result.latency_ms
        locked.raw_response = result.raw_response
        locked.details = result.details or {}
        locked.reasons = [r.as_dict() for r in result.reasons]
        locked.error_category = locked.error_code = locked.error_message = ""
        locked.completed_at = timezone.now()
        in_force = policy_config.active()
        scoring.apply_policy(locked, in_force)
        locked.save()
        audit.record("check_completed", actor=audit.Actor.system(f"vendor:{check.vendor}"),
                     verification=check.verification, check_id=str(check.pk), kind=check.kind,
                     subject=check.subject, vendor=check.vendor, role=locked.role, status=locked.status,
                     score=result.score, threshold=locked.threshold, passed=locked.passed, far=locked.far,
                     attempt=locked.attempt_count)
        if locked.role == Check.Role.DECIDE:  # integrators see what decides, not the shadow's trial
            webhooks.emit(locked.verification, "check.completed", check_summary(locked))
        # NOT_APPLICABLE: this vendor cannot judge this case (no challenge, no SDK file); the next one may.
        _fall_back_or_decide(locked, fall_back=locked.status == Check.Status.NOT_APPLICABLE, in_force=in_force)


def _fall_back_or_decide(check, *, fall_back: bool, in_force=None):
    """A final check: start the next configured vendor when allowed and there is one, else decide
    the case if this was its last check, in the same transaction (one commit and one seal less).

    The decision has its own savepoint: a failing decision must not take the vendor's result with
    it (the call would be paid twice). The sweeper decides the case later (resume_stalled).
    """
    if fall_back and _fall_back(check) is not None:
        return
    try:
        finalize_if_complete(check.verification_id, in_force)
    except Exception:
        logger.exception("verification %s: deciding failed; the sweeper will try again", check.verification_id)


def _error_fields(check, exc: VendorError):
    check.error_category = exc.category
    check.error_code = exc.code[:64]
    check.error_message = exc.message
    check.vendor_request_id = exc.vendor_request_id or check.vendor_request_id
    if exc.raw_response is not None:
        check.raw_response = exc.raw_response
    if exc.applicant_message:
        check.reasons = [{"code": exc.code, "message": str(exc.applicant_message)}]


def _release_after_retryable_error(check, exc):
    with transaction.atomic():
        locked = Check.objects.select_for_update().get(pk=check.pk)
        if locked.is_final:
            return
        _error_fields(locked, exc)
        locked.status = Check.Status.PENDING
        locked.claimed_at = None
        locked.save()


def fail_check(check_id, exc: VendorError, *, fall_back=True):
    """Final failure of this vendor: fall back to the next configured vendor, or let the policy decide."""
    with transaction.atomic():
        check = (Check.objects.select_for_update(of=("self",)).select_related("verification__applicant")
                 .get(pk=check_id))
        if check.is_final:
            return
        _error_fields(check, exc)
        check.status = Check.Status.FAILED
        check.completed_at = timezone.now()
        check.save()
        audit.record("check_failed", actor=audit.Actor.system(f"vendor:{check.vendor}"),
                     verification=check.verification, check_id=str(check.pk), kind=check.kind,
                     subject=check.subject, vendor=check.vendor, role=check.role, category=exc.category,
                     code=exc.code)
        if check.role == Check.Role.DECIDE:
            webhooks.emit(check.verification, "check.completed", check_summary(check))
        # Another vendor cannot fix the applicant's photo; it can stand in for a vendor that is down.
        _fall_back_or_decide(check, fall_back=fall_back and exc.category != "bad_input")
