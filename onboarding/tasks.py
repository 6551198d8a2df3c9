"""Celery tasks: thin wrappers around services. Every task is safe to run twice."""

import logging
import random

from celery import shared_task
from django.conf import settings

from onboarding.services import audit_chain, checks, dispatch, duplicates, retention, verifications, webhooks
from onboarding.services.retry import backoff_seconds
from vendors.circuit import CircuitOpenError
from vendors.exceptions import RetryableVendorError

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def process_verification(verification_id):
    """A case without checks to run (and messages queued before checks were dispatched at submission)."""
    dispatch.run_checks(verifications.start_processing(verification_id))


@shared_task(bind=True, acks_late=True, max_retries=None)
def run_check(self, check_id):
    try:
        checks.execute_check(check_id)
    except (checks.CheckHeld, RetryableVendorError) as exc:
        return _not_run(
            check_id,
            exc,
            retries=self.request.retries,
            eager=self.request.is_eager,
            # throw=False: a returned Retry is re-applied in eager mode (kyc_verify)
            # instead of propagating as an error; on a worker the retry message is already sent.
            retry=lambda countdown, exc=exc: self.retry(countdown=countdown, exc=exc, throw=False),
        )


@shared_task(bind=True, acks_late=True)
def run_case_checks(self, check_ids):
    """A case's deciding checks in one task, their vendor calls in parallel: one message, one claim
    and one transaction for all. A check that has to wait or retry goes on alone, as run_check."""
    for check_id, exc in checks.execute_checks(check_ids).items():
        _not_run(
            check_id,
            exc,
            retries=0,
            eager=self.request.is_eager,
            retry=lambda countdown, pk=check_id: run_check.apply_async((pk,), countdown=countdown, retries=1),
        )


def _not_run(check_id, exc, *, retries, eager, retry):
    """A check whose vendor was not called or failed retryably: look again, fall back, retry or give up."""
    if isinstance(exc, checks.CheckHeld):
        # A duplicate delivery, or the holder died: look again when its lease ends.
        return _look_again(check_id, exc.retry_after, retries, eager)
    if isinstance(exc, CircuitOpenError):
        # Not called, so not one of the vendor's retries: the next vendor now, or wait for the probe.
        if eager:  # kyc_verify: nobody waits in-process
            checks.fail_check(check_id, exc)
        elif not checks.fall_back_now(check_id, exc):
            _look_again(check_id, exc.retry_after, retries, eager)
        return None
    if retries >= settings.KYC_VENDOR_MAX_RETRIES:
        logger.warning("check %s: giving up after %s retries: %s", check_id, retries, exc)
        checks.fail_check(check_id, exc)
        return None
    return retry(backoff_seconds(retries))


def _look_again(check_id, after, retries, eager):
    if eager:
        return  # in-process (kyc_verify, tests) the holder is this process; it finishes the check
    # Keeps the retry count: waiting is not a vendor failure.
    run_check.apply_async((check_id,), countdown=after + random.uniform(0, 2), retries=retries)


@shared_task(acks_late=True)
def resume_stalled_verifications():
    resumed = verifications.resume_stalled()
    verifications.resume_stalled_shadows()
    return resumed


@shared_task(acks_late=True)
def deliver_webhook(delivery_id):
    webhooks.deliver(delivery_id)


@shared_task(acks_late=True)
def scan_duplicates(verification_id):
    """Duplicate face and photo signals, beside the vendor checks; the decision waits for it."""
    return duplicates.scan_and_decide(verification_id)


@shared_task(acks_late=True)
def dispatch_due_webhooks():
    """Retries are scheduled in the database, not as Celery ETAs (Redis would re-deliver long ETAs)."""
    due = list(webhooks.due())
    for pk in due:
        deliver_webhook.delay(pk)
    return len(due)


@shared_task(acks_late=True)
def seal_audit_trail():
    """Seal events whose process died between commit and sealing."""
    return audit_chain.seal_pending(wait=True)


@shared_task(acks_late=True)
def purge_expired_data():
    """Retention: delete what is past its period (see services.retention). Safe to run twice."""
    return dict(retention.purge())
