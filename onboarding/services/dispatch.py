"""The one door to Celery: every task is enqueued here, after commit, so a worker never sees a row
that is not there yet.

Tasks are looked up by name in the Celery app's registry, not imported: onboarding.tasks calls
the services, and the services reach the workers only through this module (no import circle).
"""

from celery import current_app, group
from django.conf import settings
from django.db import transaction

from vendors.base import CheckKind
from vendors.registry import get_backend


def _task(name):
    return current_app.tasks[f"onboarding.tasks.{name}"]


def interactive_queue() -> str:
    """Where the tasks a person waits for go: every worker also consumes it (settings)."""
    return f"{current_app.conf.task_default_queue}.interactive"


def start_after_commit(verification_id, checks, shadows=(), *, challenge=True):
    """A new case's checks go straight to the workers (the first one claimed moves the case to
    processing): its deciding checks that call a vendor over the network in one task, their calls
    in parallel, with the local engine's checks that judge the photos' analyses (made by that task
    before it claims the checks: one claim and one store for the case). The local
    checks that work during their call (an active-liveness burst, screening) go in another task
    (beside the network calls they would hold back the storing of their answers), a local document
    check apart from them (it reads the card for most of a second: it starts beside their photo
    analyses, not after them), and each shadow check in its own task (the decision does not wait
    for shadows). A case without checks goes to process_verification, which decides it at once.
    `challenge`: whether the case has an active-liveness burst (without one, the engine's liveness
    check has no work and rides with the network calls)."""
    if any(c.kind == CheckKind.DOCUMENT for c in checks):  # screening screens what the document says
        checks = [c for c in checks if c.kind != CheckKind.SCREENING]  # started when it is read (pipeline.checks)
    remote = [c for c in checks if not get_backend(c.vendor).computes_locally]
    local = [c for c in checks if get_backend(c.vendor).computes_locally]
    if remote:
        remote += [c for c in local if not get_backend(c.vendor).works_in_call(c.kind, challenge=challenge)]
        local = [c for c in local if c not in remote]
        analyse_first = any(get_backend(c.vendor).judges_analysis(c.kind) for c in remote)
        transaction.on_commit(
            lambda ids=[str(c.pk) for c in remote], first=analyse_first: run_case_checks(ids, analyse_first=first)
        )
    for ids in (
        [str(c.pk) for c in local if c.kind != CheckKind.DOCUMENT],
        [str(c.pk) for c in local if c.kind == CheckKind.DOCUMENT],
    ):
        if ids:  # the engine alone: its claimed checks make their analyses
            transaction.on_commit(lambda ids=ids: run_case_checks(ids, analyse_first=False))
    if not checks:
        transaction.on_commit(lambda: _task("process_verification").delay(str(verification_id)))
    if shadows:
        run_checks_after_commit([c.pk for c in shadows])
    if settings.KYC_DUPLICATE_SCAN:
        transaction.on_commit(lambda: scan_duplicates(verification_id))


def run_case_checks(check_ids, *, analyse_first=True):
    """One case's checks in one task, their vendor calls in parallel (one Celery message per case).

    analyse_first=False: none of them is a local engine's check riding with paid calls, so the
    task has no photo analysis to make before its claim, nor needs to look for one."""
    if len(check_ids) == 1:
        run_check(check_ids[0])
    elif check_ids:
        _task("run_case_checks").delay([str(pk) for pk in check_ids], analyse_first=analyse_first)


def run_check(check_id, *, countdown=None, retries=0):
    """One check in its own task; countdown and retries when it is tried again later."""
    _task("run_check").apply_async((str(check_id),), countdown=countdown, retries=retries)


def faces_queue() -> str:
    """The face index's queue: only its workers (started with -Q <default>.faces) hold the index;
    the others do not consume it (it is not in CELERY_TASK_QUEUES)."""
    return f"{current_app.conf.task_default_queue}.faces"


def scan_duplicates(verification_id):
    _task("scan_duplicates").apply_async((str(verification_id),), queue=faces_queue())


def run_checks(check_ids):
    """Fan the checks out in parallel: one task per check, as a Celery group."""
    if check_ids:
        group(_task("run_check").si(str(pk)) for pk in check_ids).apply_async()


def run_checks_after_commit(check_ids):
    ids = [str(pk) for pk in check_ids]
    transaction.on_commit(lambda: run_checks(ids))


def analyse_photo_after_commit(photo_id):
    """The photo's analysis, on a worker, once its row is committed (the capture page's checklist)."""
    transaction.on_commit(lambda: _task("analyse_photo").apply_async((str(photo_id),), queue=interactive_queue()))


def verify_burst(challenge_id, refund=None):
    """An active-liveness burst's verdict, on a worker."""
    _task("verify_burst").apply_async((str(challenge_id), refund), queue=interactive_queue())


def verify_burst_after_commit(challenge_id, refund=None):
    """An active-liveness burst's verdict, on a worker, once the burst is committed."""
    transaction.on_commit(lambda: verify_burst(challenge_id, refund))


def add_to_blocklist_after_commit(verification_id, reason, actor_type, actor_label):
    """A reviewer's blocklist request whose faces need the models, on a worker once committed."""
    args = (str(verification_id), reason, actor_type, actor_label)
    transaction.on_commit(lambda: _task("add_to_blocklist").apply_async(args, queue=interactive_queue()))


def deliver_webhooks(delivery_ids):
    """One task per webhook delivery."""
    for pk in delivery_ids:
        _task("deliver_webhook").delay(pk)


def deliver_webhooks_after_commit(delivery_ids):
    """deliver_webhooks once the rows that describe them are committed."""
    ids = list(delivery_ids)
    transaction.on_commit(lambda: deliver_webhooks(ids))


def rescreen_after_commit(source_id, version):
    """Re-screen the approved applicants against a new list version, once its import is committed."""
    transaction.on_commit(lambda: rescreen(source_id, version))


def rescreen(source_id, version, after=None):
    """The next batch of the re-screen (after the case id `after`)."""
    _task("rescreen_list").delay(source_id, version, after)
