"""Enqueueing, always after commit so a worker never sees a row that is not there yet."""

from django.db import transaction


def start_after_commit(verification_id, checks, shadows=()):
    """A new case's checks go straight to the workers (the first one claimed moves the case to
    processing): its deciding checks that call a vendor over the network in one task, their calls
    in parallel; each check computed here (the local engine) and each shadow check in its own task
    (the decision does not wait for shadows). A case without checks goes to process_verification,
    which decides it at once."""
    from django.conf import settings

    from onboarding import tasks
    from vendors.registry import get_backend

    together = [str(c.pk) for c in checks if not get_backend(c.vendor).computes_locally]
    if together:
        transaction.on_commit(lambda: run_case_checks(together))
    if not checks:
        transaction.on_commit(lambda: tasks.process_verification.delay(str(verification_id)))
    alone = [c.pk for c in checks if get_backend(c.vendor).computes_locally] + [c.pk for c in shadows]
    if alone:
        run_checks_after_commit(alone)
    if settings.KYC_DUPLICATE_SCAN:
        transaction.on_commit(lambda: scan_duplicates(verification_id))


def run_case_checks(check_ids):
    """One case's checks in one task, their vendor calls in parallel (one Celery message per case)."""
    from onboarding import tasks

    if len(check_ids) == 1:
        tasks.run_check.delay(str(check_ids[0]))
    elif check_ids:
        tasks.run_case_checks.delay([str(pk) for pk in check_ids])


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


def deliver_webhooks_after_commit(delivery_ids):
    """One task per webhook delivery, once the rows that describe them are committed."""
    ids = list(delivery_ids)

    def send():
        from onboarding import tasks

        for pk in ids:
            tasks.deliver_webhook.delay(pk)

    transaction.on_commit(send)
