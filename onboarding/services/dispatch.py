"""Enqueueing, always after commit so a worker never sees a row that is not there yet."""
from django.db import transaction


def start_after_commit(verification_id, check_ids):
    """A new case's checks go straight to the workers (the first one claimed moves the case to
    processing); a case without checks goes to process_verification, which decides it at once."""
    from django.conf import settings

    from onboarding import tasks

    if check_ids:
        run_checks_after_commit(check_ids)
    else:
        transaction.on_commit(lambda: tasks.process_verification.delay(str(verification_id)))
    if settings.KYC_DUPLICATE_SCAN:
        transaction.on_commit(lambda: scan_duplicates(verification_id))


def scan_duplicates(verification_id):
    from onboarding import tasks

    tasks.scan_duplicates.delay(str(verification_id))


def run_checks(check_ids):
    """Fan the checks out in parallel: one task per check, as a Celery group."""
    from celery import group

    from onboarding import tasks

    if check_ids:
        group(tasks.run_check.si(str(pk)) for pk in check_ids).apply_async()


def run_checks_after_commit(check_ids):
    ids = [str(pk) for pk in check_ids]
    transaction.on_commit(lambda: run_checks(ids))
