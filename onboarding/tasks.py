"""Celery tasks: thin wrappers around services, which decide; a task carries out what they return.
Every task is safe to run twice. Enqueueing goes through services.dispatch."""

import logging

from celery import shared_task
from celery.signals import worker_ready
from django.conf import settings
from django.db import InterfaceError, OperationalError

from onboarding.services import dispatch
from onboarding.services.applicant import analysis, challenges
from onboarding.services.compliance import audit, audit_chain, retention
from onboarding.services.faces import blocklist, index
from onboarding.services.integrations import webhooks
from onboarding.services.pipeline import checks, duplicates, rescreen, verifications
from vendors.exceptions import RetryableVendorError

logger = logging.getLogger(__name__)


@worker_ready.connect
def build_face_index(**_signal):
    """A faces-queue worker (KYC_FACE_INDEX_PRELOAD, thread pool) builds its index as it starts."""
    if settings.KYC_FACE_INDEX_PRELOAD:
        index.preload()


@shared_task(acks_late=True)
def process_verification(verification_id):
    """A case without checks to run (and messages queued before checks were dispatched at submission)."""
    dispatch.run_checks(verifications.start_processing(verification_id))


@shared_task(bind=True, acks_late=True, max_retries=None)
def run_check(self, check_id):
    try:
        checks.execute_check(check_id)
    except (checks.CheckHeld, RetryableVendorError) as exc:
        retries = self.request.retries
        step = checks.next_step(check_id, exc, retries=retries, in_process=self.request.is_eager)
        if step.action == step.RETRY:
            # throw=False: a returned Retry is re-applied in eager mode (kyc_verify) instead of
            # propagating as an error; on a worker the retry message is already sent.
            return self.retry(countdown=step.countdown, exc=exc, throw=False)
        if step.action == step.LOOK_AGAIN:
            dispatch.run_check(check_id, countdown=step.countdown, retries=retries)  # waiting keeps the count


@shared_task(bind=True, acks_late=True)
def run_case_checks(self, check_ids, analyse_first=True):
    """A case's deciding checks in one task, their vendor calls in parallel: one message, one claim
    and one transaction for all. A check that has to wait or retry goes on alone, as run_check."""
    for check_id, exc in checks.execute_checks(check_ids, analyse_first=analyse_first).items():
        step = checks.next_step(check_id, exc, retries=0, in_process=self.request.is_eager)
        if step.action == step.RETRY:
            dispatch.run_check(check_id, countdown=step.countdown, retries=1)
        elif step.action == step.LOOK_AGAIN:
            dispatch.run_check(check_id, countdown=step.countdown)


@shared_task(acks_late=True)
def rescreen_list(source_id, version, after=None):
    """One batch of approved applicants against a list version's changes; the next batch follows."""
    following = rescreen.rescreen_batch(source_id, version, after)
    if following:
        dispatch.rescreen(source_id, version, following)


@shared_task(acks_late=True)
def resume_stalled_verifications():
    resumed = verifications.resume_stalled()
    verifications.resume_stalled_shadows()
    duplicates.give_up_waiting()
    challenges.resume_stalled_bursts()
    return resumed


@shared_task(acks_late=True)
def deliver_webhook(delivery_id):
    webhooks.deliver(delivery_id)


@shared_task(acks_late=True)
def scan_duplicates(verification_id):
    """Duplicate face and photo signals, beside the vendor checks; the decision waits for it."""
    return duplicates.scan_and_decide(verification_id)


# While the database cannot be reached, these wait and try again (backoff with jitter) rather than fail.
DATABASE_DOWN = {"autoretry_for": (OperationalError, InterfaceError), "retry_backoff": True, "max_retries": 6}


@shared_task(acks_late=True, **DATABASE_DOWN)
def analyse_photo(photo_id):
    """A photo taken on the capture page: its one analysis, for the page's checklist and its checks."""
    analysis.analyse_upload(photo_id)


@shared_task(acks_late=True, **DATABASE_DOWN)
def verify_burst(challenge_id, refund=None):
    """An active-liveness burst received by the web: its verdict (the face models run here)."""
    challenges.verify_burst(challenge_id, refund)


@shared_task(acks_late=True, **DATABASE_DOWN)
def add_to_blocklist(verification_id, reason, actor_type, actor_label):
    """A reviewer's blocklist request whose faces needed the models (the web does not run them)."""
    blocklist.add_case_by_id(verification_id, reason=reason, actor=audit.Actor(actor_type, actor_label))


@shared_task(acks_late=True)
def dispatch_due_webhooks():
    """Retries are scheduled in the database, not as Celery ETAs (Redis would re-deliver long ETAs)."""
    due = list(webhooks.due())
    dispatch.deliver_webhooks(due)
    return len(due)


@shared_task(acks_late=True)
def seal_audit_trail():
    """Seal events whose process died between commit and sealing."""
    return audit_chain.seal_pending(wait=True)


@shared_task(acks_late=True)
def purge_expired_data():
    """Retention: delete what is past its period (see services.compliance.retention). Safe to run twice."""
    return dict(retention.purge())
