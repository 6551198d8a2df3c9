"""Running checks: claim them, call each one's vendor once, store the results.

A case's deciding checks run in one task: one claim, the vendor calls in parallel threads,
each answer stored as soon as it comes, the decision with the last. Retries and look-agains go
one check per task.

Idempotent: a check that is final is never run again (a re-delivered task reuses
the stored result), and a check another worker holds (a live claim) is left to it
until its lease ends. A claim older than the lease belongs to a dead worker and is
taken over. The vendor's circuit breaker is asked before every call to a remote vendor.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import queue
import random
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.db import InterfaceError, OperationalError, close_old_connections, connection, transaction
from django.db.models import F
from django.utils import timezone

from onboarding.models import Check, LivenessChallenge, Photo, Verification
from onboarding.selectors.cases import check_summary
from onboarding.selectors.identity import declared_of
from onboarding.services import dispatch
from onboarding.services.applicant.analysis import analysis_of, embedding_needed, stored_analysis
from onboarding.services.applicant.challenges import PRIOR_REASONS, read_frames
from onboarding.services.compliance import audit
from onboarding.services.identity import documents
from onboarding.services.integrations import webhooks
from onboarding.services.integrations.vendor_access import signed_photo_url
from onboarding.services.pipeline import state
from onboarding.services.pipeline.decisions import finalize_if_complete
from onboarding.services.pipeline.retry import backoff_seconds
from onboarding.services.policy import rules, scoring, versions
from onboarding.services.screening import cases as screening_cases
from onboarding.storage import read_file
from vendors.base import ChallengeInput, CheckKind, CheckRequest, ImageInput, ResultStatus, Subject
from vendors.circuit import CircuitOpenError, breaker_for
from vendors.exceptions import PermanentVendorError, RetryableVendorError, VendorError
from vendors.registry import get_backend

logger = logging.getLogger(__name__)
# Vendor calls out at once per process (a case's calls run in parallel; threads start as needed):
# beyond this, calls wait for a thread. Above what a worker's task threads can have out.
CALL_THREADS = 256


def image_input(photo, vendor, *, analysis=None) -> ImageInput:
    return ImageInput(
        read=lambda: read_file(photo),
        content_type=photo.content_type,
        width=photo.width,
        height=photo.height,
        sha256=photo.sha256,
        url_factory=lambda: signed_photo_url(photo, vendor),
        analysis=analysis,
    )


def _image(photo, check, backend) -> ImageInput | None:
    return image_input(photo, check.vendor, analysis=_analysis(photo, check, backend)) if photo else None


def _analysis(photo, check, backend):
    """The photo's one analysis, for a vendor that reads it (the local engine). A document check
    takes the card's text read at upload (the web flow); without it, the vendor reads the card
    during its call, beside the case's other checks."""
    if not backend.reads_analysis:
        return None
    if check.kind == CheckKind.DOCUMENT:
        found = stored_analysis(photo)
        return found if found is not None and found.has_text else None
    return analysis_of(photo, embedding=_embedding_wanted({check.kind}))


def _embedding_wanted(kinds) -> bool:
    """Whether a photo's analysis, read by checks of these kinds, is made with its embedding. A
    quality check needs none: it is made at once only when a compare or the duplicate scan will ask."""
    return any(kind != CheckKind.QUALITY for kind in kinds) or embedding_needed()


def build_request(check, backend) -> CheckRequest:
    verification = check.verification
    subject = Subject(check.subject)
    if check.kind == CheckKind.SCREENING:
        return CheckRequest(
            kind=CheckKind.SCREENING,
            subject=subject,
            request_id=str(check.request_id),
            person=screening_cases.person_of(verification),
            screen=screening_cases.search_with(versions.active()) if screening_cases.lists_imported() else None,
        )
    photos = {name: getattr(verification, name) for name in _photos_of(subject)}
    challenge = None
    if check.kind == CheckKind.LIVENESS and backend.reads_challenge:
        challenge = challenge_input(verification)
        if challenge is None:  # an active-liveness check without a burst has nothing to look at
            photos = {}
    return CheckRequest(
        kind=CheckKind(check.kind),
        subject=subject,
        request_id=str(check.request_id),
        selfie=_image(photos.get("selfie"), check, backend),
        id_card=_image(photos.get("id_card"), check, backend),
        id_card_back=(
            _image(verification.id_card_back, check, backend)
            if check.kind == CheckKind.DOCUMENT and verification.id_card_back_id
            else None
        ),
        challenge=challenge,
        liveness_data=(
            read_file(verification.liveness_data)
            if verification.liveness_data_id and backend.reads_liveness_data
            else None
        ),
    )


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

    before_call(check) runs under the row lock just before the claim is written; what it raises
    (the vendor's open circuit) leaves the check as it was.
    """
    claimed, _, waiting = claim_many([check_id], now, before_call=before_call)
    if waiting:
        raise waiting.popitem()[1]
    return claimed[0][0] if claimed else None


def claim_many(check_ids, now=None, *, before_call=None, analysed=None):
    """Take these checks for this worker in one transaction.

    Returns (claimed, done, waiting): claimed, (check, what before_call returned) for each check
    taken; done, the case ids of checks already final; waiting, by check id (str), why a check was not
    taken: CheckHeld while a live worker has it, or what before_call raised under its row lock
    (the vendor's open circuit), which leaves that check as it was. The first check of a case
    claimed moves the case to processing. `analysed`: the case's photos' analysis rows by photo id,
    as _analyse_before_claim() left them (not read again).
    """
    now = now or timezone.now()
    claimed, done, waiting, started = [], set(), {}, set()
    with transaction.atomic():
        # Only the checks' rows are locked, in key order (no deadlock between overlapping claims);
        # the case, its applicant (whose API client gets the webhooks), files and the photos'
        # analyses (services.applicant.analysis looks there first) come along, or are handed over.
        photos = ("verification__selfie", "verification__id_card")
        rows = (
            Check.objects.select_for_update(of=("self",))
            .select_related(
                "verification__applicant",
                "verification__liveness_data",
                *(photos if analysed else (f"{photo}__analysis" for photo in photos)),
            )
            .filter(pk__in=list(check_ids))
            .order_by("pk")
        )
        for check in _one_case_object(rows, analysed or {}):
            if check.is_final:
                done.add(check.verification_id)
                continue
            if held_by_live_worker(check, now):
                waiting[str(check.pk)] = CheckHeld((check.claimed_at + lease() - now).total_seconds())
                continue
            try:
                token = before_call(check) if before_call is not None else None
            except Exception as exc:
                waiting[str(check.pk)] = exc
                continue
            if check.verification.status == Verification.Status.SUBMITTED and check.verification_id not in started:
                state.mark_processing(check.verification, actor=audit.Actor.system("worker"))
                started.add(check.verification_id)
            check.status = Check.Status.RUNNING
            check.claimed_at = now
            check.attempt_count += 1
            claimed.append((check, token))
        if claimed:  # the rows are locked: the counts read above hold
            Check.objects.filter(pk__in=[c.pk for c, _ in claimed]).update(
                status=Check.Status.RUNNING, claimed_at=now, attempt_count=F("attempt_count") + 1
            )
    return claimed, done, waiting


def _one_case_object(checks, analysed):
    """The checks, each case's sharing one case object (and its photos, with their `analysed` rows
    by photo id): an analysis one check makes is there for the next one's look."""
    cases = {}
    for check in checks:
        if check.verification_id not in cases:
            for photo in (check.verification.selfie, check.verification.id_card):
                if photo is not None and photo.pk in analysed:
                    Photo.analysis.related.set_cached_value(photo, analysed[photo.pk])
        check.verification = cases.setdefault(check.verification_id, check.verification)
        yield check


def execute_check(check_id):
    """Run the check if it still needs running.

    Raises RetryableVendorError for the task to retry (CircuitOpenError, a subclass, when the
    vendor was not called at all) and CheckHeld when another worker has the check.
    """
    waiting = execute_checks([check_id])
    if waiting:
        raise waiting.popitem()[1]


class _Call:
    """One claimed check's vendor call. run() may run on another thread: it writes nothing, and what
    it reads (a screening check searches the lists) goes through that thread's own connection."""

    def __init__(self, check, probe):
        self.check, self.probe = check, probe
        self.result = self.error = self.request = None
        self.backend = get_backend(check.vendor)
        self.circuit = breaker_for(self.backend)
        self.declared = {}
        try:
            # Reads the challenge and an SDK's liveness file here; a photo when the call first needs it.
            self.request = build_request(check, self.backend)
            if check.kind == CheckKind.DOCUMENT:
                self.declared = declared_of(check.verification.applicant_id)
        except Exception as exc:
            self.error = exc

    def run(self):
        if self.request is None:
            return
        try:
            self.result = self.backend.run(self.request)
            if self.request.kind == CheckKind.DOCUMENT:
                self.result = documents.judge(self.result, self.declared)
        except Exception as exc:  # settled by settle(), on the task's thread
            self.error = exc

    def settle(self) -> Exception | None:
        """Circuit and check after the call; what the task has to act on (a retryable error), if any."""
        check, exc = self.check, self.error
        if exc is None:
            self.circuit.record_success(self.probe)
            return None
        if isinstance(exc, (OperationalError, InterfaceError)):  # our database, not the vendor: later
            exc = RetryableVendorError(f"{check.vendor}: the database was unreachable", code="database_unreachable")
            _release_after_retryable_error(check, exc)
            return exc
        if isinstance(exc, SoftTimeLimitExceeded):
            exc = RetryableVendorError(f"{check.vendor}: no answer within the task's time limit", code="time_limit")
        if isinstance(exc, RetryableVendorError):
            self.circuit.record_failure(self.probe)
            _release_after_retryable_error(check, exc)
            return exc
        if isinstance(exc, VendorError):
            self.circuit.record_success(self.probe)  # the vendor answered; the request was the problem
            fail_check(check.pk, exc)
            return None
        # A bug must not leave the case stuck: log it, fail this check, let a human look.
        logger.error("check %s (%s/%s) crashed", check.pk, check.vendor, check.kind, exc_info=exc)
        fail_check(check.pk, PermanentVendorError(f"internal error: {type(exc).__name__}", code="internal_error"))
        return None


_pool, _pool_pid, _pool_lock = None, None, threading.Lock()


def _call_threads() -> ThreadPoolExecutor:
    """The process's threads for vendor calls, kept between cases: a thread started per call cost
    its start, and lost what a thread keeps (its cache connection) with it. Made again in a forked
    child (threads do not survive a fork)."""
    global _pool, _pool_pid
    with _pool_lock:
        if _pool is None or _pool_pid != os.getpid():
            _pool, _pool_pid = (
                ThreadPoolExecutor(max_workers=CALL_THREADS, thread_name_prefix="vendor-call"),
                os.getpid(),
            )
        return _pool


def _as_they_finish(calls):
    """Run the calls, several at once on their own threads; yield them in groups as they finish
    (every call finished since the last group), so that each answer is stored as soon as the task's
    thread is free: a paid answer never waits for a slower vendor's (a crash then would lose it)."""
    if len(calls) == 1:
        calls[0].run()
        yield calls
        return
    finished = queue.SimpleQueue()

    def run(call):
        # The pool's threads outlive their calls: each call is a request for the thread's database
        # connection (closed past CONN_MAX_AGE or broken), as for the task's own thread.
        try:
            close_old_connections()
            call.run()
        finally:
            close_old_connections()
            finished.put(call)

    for call in calls:
        _call_threads().submit(run, call)
    left = len(calls)
    while left:
        group = [finished.get()]
        while not finished.empty():
            group.append(finished.get())
        left -= len(group)
        yield group


def execute_checks(check_ids, *, analyse_first=True) -> dict:
    """Run those of these checks (of one case) that still need running: one claim for all, their
    vendor calls in parallel, each answer stored as it comes (answers that come together in one
    transaction), the case decided with the last one.

    Analyses are made before the claim only for the engine's checks riding with paid calls: not
    for one check alone (nothing rides with it), nor where the dispatcher knows none rides
    (analyse_first=False); a query less a case.

    Returns, by check id (str), what the task has to act on: CheckHeld (another worker has the
    check) or RetryableVendorError (CircuitOpenError when the vendor was not called at all).
    """
    analysed = _analyse_before_claim(check_ids) if analyse_first and len(check_ids) > 1 else {}
    # The vendor's circuit is asked only for a check this worker is about to run, under its lock:
    # no probe taken for a check that is done or held.
    claimed, done, waiting = claim_many(
        check_ids, before_call=lambda c: breaker_for(get_backend(c.vendor)).before_call(), analysed=analysed
    )
    for verification_id in done:
        # Done already (a re-delivered task, a decision that failed): make sure the case is decided.
        finalize_if_complete(verification_id)
    calls = [_Call(check, probe) for check, probe in claimed]
    unfinished, held = list(calls), []
    try:
        for group in _as_they_finish(calls):
            unfinished = [call for call in unfinished if call not in group]
            answered = held + [call for call in group if call.error is None]
            # An answer computed here cost nothing: it waits for the next paid one (one transaction
            # for both) while network calls are out; a paid one is stored as it comes.
            paid = [call for call in answered if not call.backend.computes_locally]
            if not paid and any(not call.backend.computes_locally for call in unfinished):
                held = answered
            elif answered:  # first: nothing after a call may lose what the vendor was paid for
                held = []
                # A case with calls still out is decided when their answers are stored, by this task.
                _store_durably(
                    [(call.check, call.result) for call in answered],
                    later={call.check.verification_id for call in unfinished},
                )
            _settle(group, waiting)
    except SoftTimeLimitExceeded as exc:  # (prefork pool) raised in this thread while the calls were out
        for call in unfinished:
            call.result, call.error = None, exc  # its thread's late answer is dropped
        if held:
            _store_durably([(call.check, call.result) for call in held])
        _settle(unfinished, waiting)
    return waiting


def _analyse_before_claim(check_ids) -> dict:
    """Where the local engine's checks ride with paid ones, their photos' analyses are made before
    the claim: the lease and the task's time limits are budgeted for the vendor calls, and CPU work
    between the claim and a call (a slow photo, a process loading its models) must not let a lease
    run out or a time limit drop a paid answer. What fails here fails again, and is settled, as the
    claimed check builds its request.

    Returns the analysed photos' analysis rows by photo id, for the claim to hand to its checks."""
    pending = list(
        Check.objects.filter(pk__in=list(check_ids))
        .exclude(status__in=Check.FINAL_STATUSES)
        .order_by()
        .values("vendor", "kind", "subject", selfie=F("verification__selfie_id"), id_card=F("verification__id_card_id"))
    )
    backends = {check["vendor"]: get_backend(check["vendor"]) for check in pending}
    if all(backend.computes_locally for backend in backends.values()):
        return {}  # nothing paid waits on this work: the claimed checks make it
    kinds = {}  # photo id: the kinds of the checks that read its analysis
    for check in pending:
        if not backends[check["vendor"]].judges_analysis(check["kind"]):
            continue
        for photo_id in (check[name] for name in _photos_of(Subject(check["subject"]))):
            if photo_id is not None:
                kinds.setdefault(photo_id, set()).add(check["kind"])
    rows = {}
    for photo in Photo.objects.filter(pk__in=list(kinds)).select_related("analysis"):
        try:
            analysis_of(photo, embedding=_embedding_wanted(kinds[photo.pk]))
        except SoftTimeLimitExceeded:
            raise  # out of time before anything is claimed: the sweeper starts the case again
        except Exception:
            logger.info("photo %s: its analysis failed before the claim", photo.pk, exc_info=True)
            continue
        row = Photo.analysis.related.get_cached_value(photo, default=None)  # what analysis_of found or stored
        if row is not None:
            rows[photo.pk] = row
    return rows


def _photos_of(subject: Subject) -> tuple[str, ...]:
    """Which of a case's photos a check of this subject looks at."""
    return {Subject.SELFIE: ("selfie",), Subject.ID_CARD: ("id_card",), Subject.PAIR: ("selfie", "id_card")}.get(
        subject, ()
    )


def _settle(calls, waiting):
    for call in calls:
        if (exc := call.settle()) is not None:
            waiting[str(call.check.pk)] = exc


def fall_back_now(check_id, exc: VendorError) -> bool:
    """End this vendor's check at once when another vendor is configured for it (its circuit is open)."""
    if not Check.objects.filter(pk=check_id).exclude(fallback_vendors=[]).exists():
        return False
    fail_check(check_id, exc)
    return True


def expire_unfinished(verification_id, now=None) -> int:
    """Past the deadline: fail what no worker is running, without fallback, so the policy decides."""
    now = now or timezone.now()
    return sum(
        expire(check, now)
        for check in Check.objects.filter(verification_id=verification_id).exclude(status__in=Check.FINAL_STATUSES)
    )


def expire(check, now) -> bool:
    """Fail one unfinished check past its deadline, without fallback; False when a live worker holds it."""
    if held_by_live_worker(check, now):
        return False  # a live worker will store its result within the lease
    fail_check(
        check.pk,
        PermanentVendorError(
            f"{check.vendor} {check.kind}: not finished before the deadline", code="deadline_exceeded"
        ),
        fall_back=False,
    )
    return True


def _fall_back(check) -> Check | None:
    """Start the next configured vendor for this check's kind, after commit. Call with the row locked."""
    if not check.fallback_vendors:
        return None
    nxt, _ = Check.objects.get_or_create(
        verification=check.verification,
        kind=check.kind,
        subject=check.subject,
        vendor=check.fallback_vendors[0],
        defaults={"fallback_vendors": check.fallback_vendors[1:]},
    )
    audit.record(
        "check_fallback",
        actor=audit.Actor.system(),
        verification=check.verification,
        kind=check.kind,
        subject=check.subject,
        from_vendor=check.vendor,
        to_vendor=nxt.vendor,
        because=check.status,
    )
    dispatch.run_checks_after_commit([nxt.pk])
    return nxt


# What storing an answer writes (the claim wrote status, claimed_at and attempt_count).
STORED_FIELDS = (
    "status",
    "score",
    "score_scale",
    "threshold",
    "threshold_source",
    "passed",
    "far",
    "far_relation",
    "far_source",
    "risk_level",
    "risk_tags",
    "vendor_request_id",
    "latency_ms",
    "raw_response",
    "details",
    "reasons",
    "error_category",
    "error_code",
    "error_message",
    "completed_at",
)


def _store_durably(answered, later=frozenset()):
    """Store paid answers. While the database cannot be reached (a restart, a failover) keep them
    and try again, with backoff and jitter, for up to KYC_STORE_RETRY_SECONDS: calling the vendor
    again later would pay twice for the same answer."""
    deadline = time.monotonic() + settings.KYC_STORE_RETRY_SECONDS
    delay = 0.25
    while True:
        try:
            return _store_results(answered, later)
        except (OperationalError, InterfaceError) as exc:
            if time.monotonic() + delay > deadline:
                raise
            logger.warning(
                "storing %d answer(s): database unreachable (%s); trying again in %.1fs",
                len(answered),
                type(exc).__name__,
                delay,
            )
            connection.close()  # the next query opens a new connection
            time.sleep(delay)
            delay = min(delay * 2, 4.0) * random.uniform(0.75, 1.25)


def _check_event(action, check, **data):
    """An audit event about a check, by its vendor."""
    return audit.event(
        action,
        actor=audit.Actor.system(f"vendor:{check.vendor}"),
        verification=check.verification,
        check_id=str(check.pk),
        kind=check.kind,
        subject=check.subject,
        vendor=check.vendor,
        role=check.role,
        **data,
    )


def _store_results(answered, later=frozenset()):
    """Store the vendors' answers, [(check, result)] with the checks as claimed, and decide their
    cases (but those in later), in one transaction."""
    with transaction.atomic():
        in_force = versions.active()
        stored, events = [], []
        for check, result in sorted(answered, key=lambda answer: answer[0].pk):  # the claim's lock order
            if check.kind == CheckKind.SCREENING:  # hits found earlier to be someone else are set aside
                screening_cases.drop_resolved(check, result)
            check.status = (
                Check.Status.NOT_APPLICABLE if result.status == ResultStatus.NOT_APPLICABLE else Check.Status.COMPLETED
            )
            check.score = result.score
            check.score_scale = result.score_scale
            check.threshold = result.threshold
            check.threshold_source = result.threshold_source
            check.passed = result.passed
            check.risk_level = result.risk_level or ""
            check.risk_tags = list(result.risk_tags or [])
            check.vendor_request_id = result.vendor_request_id or ""
            check.latency_ms = result.latency_ms
            check.raw_response = result.raw_response
            check.details = result.details or {}
            if check.kind == CheckKind.DOCUMENT and result.status == ResultStatus.COMPLETED:
                check.details["checks"] = check.details.get("checks", []) + rules.document_policy_checks(
                    check.details, in_force
                )
            check.reasons = [r.as_dict() for r in result.reasons]
            check.error_category = check.error_code = check.error_message = ""
            check.completed_at = timezone.now()
            scoring.apply_policy(check, in_force)
            # One conditional update instead of a locking read and a save: a check that is final
            # already (a worker that took over an expired lease finished first) is left as it is.
            stored_now = (
                Check.objects.filter(pk=check.pk)
                .exclude(status__in=Check.FINAL_STATUSES)
                .update(**{name: getattr(check, name) for name in STORED_FIELDS})
            )
            if not stored_now:
                continue
            if result.document is not None:
                documents.store_reading(check, result.document)
            if check.kind == CheckKind.SCREENING:
                screening_cases.record_hits(check)
            events.append(
                _check_event(
                    "check_completed",
                    check,
                    status=check.status,
                    score=result.score,
                    threshold=check.threshold,
                    passed=check.passed,
                    far=check.far,
                    attempt=check.attempt_count,
                )
            )
            if check.role == Check.Role.DECIDE:  # integrators see what decides, not the shadow's trial
                webhooks.emit(check.verification, "check.completed", lambda check=check: check_summary(check))
            stored.append(check)
        if events:
            audit.record_all(events)
        # NOT_APPLICABLE: this vendor cannot judge this case (no challenge, no SDK file); the next one may.
        _fall_back_or_decide(
            stored, fall_back=lambda c: c.status == Check.Status.NOT_APPLICABLE, in_force=in_force, later=later
        )


def _fall_back_or_decide(checks, *, fall_back, in_force=None, later=frozenset()):
    """Final checks: start the next configured vendor for each that fall_back(check) allows and
    has one, then decide each case whose last check this was, in the same transaction (one commit
    and one seal less).

    The decision has its own savepoint: a failing decision must not take the vendors' results with
    it (the calls would be paid twice). The sweeper decides the case later (resume_stalled).
    """
    waiting = {check.verification_id for check in checks if fall_back(check) and _fall_back(check) is not None}
    for check in checks:  # the document is read (or could not be): its case's screening goes now
        if (
            check.kind == CheckKind.DOCUMENT
            and check.role == Check.Role.DECIDE
            and check.verification_id not in waiting
        ):
            dispatch.run_checks_after_commit(screening_cases.screening_check_pending(check.verification_id))
    # The claim and fail_check read each check's case with its applicant: the decision needs it again.
    applicants = {
        check.verification_id: check.verification.applicant
        for check in checks
        if Check.verification.is_cached(check) and Verification.applicant.is_cached(check.verification)
    }
    for verification_id in dict.fromkeys(check.verification_id for check in checks):
        if verification_id in waiting or verification_id in later:
            continue  # more checks to come
        try:
            finalize_if_complete(verification_id, in_force, applicant=applicants.get(verification_id))
        except Exception:
            logger.exception("verification %s: deciding failed; the sweeper will try again", verification_id)


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
        check = Check.objects.select_for_update(of=("self",)).select_related("verification__applicant").get(pk=check_id)
        if check.is_final:
            return
        _error_fields(check, exc)
        check.status = Check.Status.FAILED
        check.completed_at = timezone.now()
        check.save()
        audit.record_all([_check_event("check_failed", check, category=exc.category, code=exc.code)])
        if check.role == Check.Role.DECIDE:
            webhooks.emit(check.verification, "check.completed", check_summary(check))
        # Another vendor cannot fix the applicant's photo; it can stand in for a vendor that is down.
        _fall_back_or_decide([check], fall_back=lambda c: fall_back and exc.category != "bad_input")


@dataclasses.dataclass(frozen=True)
class NextStep:
    """What a task does with a check it could not run to the end: nothing more (the check is final,
    or this process holds it), RETRY the vendor call (a vendor failure: counted against
    KYC_VENDOR_MAX_RETRIES), or LOOK_AGAIN later (waiting for a lease or a circuit: not counted)."""

    DONE = "done"
    RETRY = "retry"
    LOOK_AGAIN = "look_again"

    action: str
    countdown: float = 0.0


def next_step(check_id, exc, *, retries: int, in_process: bool) -> NextStep:
    """Decide what follows a check whose vendor was not called (CheckHeld, an open circuit) or failed
    retryably: look again, fall back to the next vendor, retry with backoff, or give up (a final
    error state). in_process: run eagerly (kyc_verify, tests), where nobody waits for a later try."""
    if isinstance(exc, CheckHeld):
        # A duplicate delivery, or the holder died: look again when its lease ends.
        if in_process:
            return NextStep(NextStep.DONE)  # the holder is this process; it finishes the check
        return NextStep(NextStep.LOOK_AGAIN, exc.retry_after + random.uniform(0, 2))
    if isinstance(exc, CircuitOpenError):
        # Not called, so not one of the vendor's retries: the next vendor now, or wait for the probe.
        if in_process:
            fail_check(check_id, exc)
            return NextStep(NextStep.DONE)
        if fall_back_now(check_id, exc):
            return NextStep(NextStep.DONE)
        return NextStep(NextStep.LOOK_AGAIN, exc.retry_after + random.uniform(0, 2))
    if retries >= settings.KYC_VENDOR_MAX_RETRIES:
        logger.warning("check %s: giving up after %s retries: %s", check_id, retries, exc)
        fail_check(check_id, exc)
        return NextStep(NextStep.DONE)
    return NextStep(NextStep.RETRY, backoff_seconds(retries))
