"""Submission to decision through the real services and tasks (run eagerly here; see test_worker for a real worker)."""

import threading
from datetime import timedelta
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from onboarding.models import (
    Applicant,
    AuditEvent,
    Check,
    Decision,
    DeclaredIdentity,
    LivenessDataFile,
    Photo,
    Verification,
)
from onboarding.services.applicant.applicants import LivenessDataRejected
from onboarding.services.applicant.images import normalize_image
from onboarding.services.compliance.audit import Actor
from onboarding.services.pipeline import checks as check_service
from onboarding.services.pipeline import state
from onboarding.services.pipeline.verifications import (
    resume_stalled,
    start_processing,
    submit_new_applicant,
    submit_verification,
)
from onboarding.tasks import run_case_checks, run_check
from tests.conftest import face_bytes, id_card_bytes
from tests.factories import ApplicantFactory, PhotoFactory, submitted_verification
from vendors import registry
from vendors.base import CheckKind, CheckResult, Threshold, VendorBackend
from vendors.exceptions import ConfigurationError, RetryableVendorError

pytestmark = pytest.mark.django_db(transaction=True)


class CallCounter:
    """Counts calls to the real local engine without changing what it does."""

    def __init__(self, monkeypatch):
        self.calls = []
        backend = registry.get_backend("local")
        real = backend.run

        def counting(request):
            self.calls.append((request.kind, request.subject, request.request_id))
            return real(request)

        monkeypatch.setattr(backend, "run", counting)


class OutageBackend(VendorBackend):
    """A vendor that is down: every call times out (fault injection for fallback tests)."""

    name = "outage"
    kinds = frozenset({CheckKind.COMPARE})
    calls = 0

    def check_compare(self, request):
        OutageBackend.calls += 1
        raise RetryableVendorError("read timeout", code="timeout")


class MisconfiguredBackend(OutageBackend):
    name = "misconfigured"

    def check_compare(self, request):
        raise ConfigurationError("bad credentials", code="invalid_token")


@pytest.fixture
def extra_vendors(monkeypatch):
    monkeypatch.setitem(registry.BACKENDS, "outage", "tests.pipeline.test_pipeline.OutageBackend")
    monkeypatch.setitem(registry.BACKENDS, "misconfigured", "tests.pipeline.test_pipeline.MisconfiguredBackend")
    registry.get_backend.cache_clear()
    OutageBackend.calls = 0
    yield
    registry.get_backend.cache_clear()


def test_same_person_goes_to_review_because_local_liveness_is_not_applicable():
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    assert v.status == Verification.Status.NEEDS_REVIEW
    by_kind = {(c.kind, c.subject): c for c in v.checks.all()}
    assert set(by_kind) == {("quality", "selfie"), ("quality", "id_card"), ("liveness", "selfie"), ("compare", "pair")}
    compare = by_kind[("compare", "pair")]
    assert compare.status == Check.Status.COMPLETED and compare.passed and compare.score > 50
    assert compare.threshold == 50 and compare.threshold_source and compare.latency_ms is not None
    assert compare.raw_response["distance"] == compare.details["distance"]
    assert by_kind[("liveness", "selfie")].status == Check.Status.NOT_APPLICABLE
    decision = v.decisions.get()
    assert decision.source == Decision.Source.AUTO and decision.outcome == Decision.Outcome.REVIEW
    assert [r["code"] for r in decision.reasons] == ["liveness_not_checked"]
    assert decision.policy_version
    actions = list(AuditEvent.objects.filter(verification_id=v.pk).values_list("action", flat=True))
    assert actions[0] == "verification_submitted" and actions[1] == "status_changed"
    assert actions.count("check_completed") == 4 and actions[-1] == "auto_decision"


def test_different_person_is_rejected():
    v = submitted_verification("biden_1", "obama_2")
    v.refresh_from_db()
    assert v.status == Verification.Status.REJECTED
    assert "face_mismatch" in [r["code"] for r in v.decisions.get().reasons]


def test_running_a_check_twice_calls_the_vendor_once(monkeypatch):
    counter = CallCounter(monkeypatch)
    v = submitted_verification()
    assert len(counter.calls) == 4
    for c in v.checks.all():
        run_check.apply(args=[str(c.pk)])
        check_service.execute_check(c.pk)
    run_case_checks.apply(args=[[str(c.pk) for c in v.checks.all()]])  # the case's task, re-delivered
    assert len(counter.calls) == 4
    assert v.checks.count() == 4 and v.decisions.count() == 1


@pytest.fixture
def local_as_remote(monkeypatch):
    """The local engine standing in for a vendor over the network: its checks go in the case's task."""
    monkeypatch.setattr(registry.get_backend("local"), "computes_locally", False)


def test_a_cases_checks_run_in_one_task_their_vendor_calls_at_once(monkeypatch, local_as_remote):
    """All four calls must be under way together to pass the barrier: one after the other, the
    first would wait alone until the barrier breaks (and the check would fail as a crash)."""
    together = threading.Barrier(4, timeout=10)
    threads, alone = set(), []
    backend = registry.get_backend("local")
    real = backend.run

    def meeting(request):
        threads.add(threading.get_ident())
        together.wait()
        return real(request)

    monkeypatch.setattr(backend, "run", meeting)
    monkeypatch.setattr(run_check, "apply_async", lambda *a, **k: alone.append(a))
    stores, store = [], check_service._store_results
    monkeypatch.setattr(
        check_service, "_store_results", lambda answered, later: (stores.append(len(answered)), store(answered, later))
    )
    v = submitted_verification()
    v.refresh_from_db()
    assert len(threads) == 4 and alone == []  # four threads, no check sent on alone
    assert sum(stores) == 4  # answers that come together are stored together
    assert sorted(v.checks.values_list("status", flat=True)) == [
        "completed",
        "completed",
        "completed",
        "not_applicable",
    ]
    assert v.status == Verification.Status.NEEDS_REVIEW and v.decisions.count() == 1


@pytest.fixture
def case_tasks(monkeypatch):
    """The run_case_checks messages sent (args, kwargs), each still run."""
    sent, run = [], run_case_checks.apply_async
    monkeypatch.setattr(run_case_checks, "apply_async", lambda *a, **k: (sent.append(a), run(*a, **k))[1])
    return sent


def test_the_engines_quality_answers_go_with_the_cases_network_calls_and_their_first_answer(
    sandbox, case_tasks, monkeypatch, settings
):
    """The quality checks judge the photos' analyses, made before the claim: they ride in the
    case's task, and their free answers are stored with the first paid one, not on their own."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "liveness": ["tencent"], "compare": ["baidu"]}
    stores, store = [], check_service._store_results
    monkeypatch.setattr(
        check_service,
        "_store_results",
        lambda answered, later: (stores.append(sorted(c.vendor for c, _r in answered)), store(answered, later))[1],
    )
    with CaptureQueriesContext(connection) as queries:
        v = submitted_verification()
    v.refresh_from_db()
    assert len(case_tasks) == 1 and v.decisions.count() == 1
    assert sorted(v.checks.values_list("vendor", "status")) == [
        ("baidu", "completed"),
        ("local", "completed"),
        ("local", "completed"),
        ("tencent", "completed"),
    ]
    assert stores[0].count("local") == 2 and len(stores[0]) >= 3 and sum(map(len, stores)) == 4
    # The analyses' rows came with the claim (a join): no query of their own looked for them.
    looked = [q["sql"] for q in queries if q["sql"].startswith('SELECT "onboarding_photoanalysis"')]
    assert looked == []


def test_beside_paid_checks_the_photos_are_analysed_before_the_claim(sandbox, monkeypatch, settings):
    """The claim's lease and the task's time limits are for the vendor calls: no engine work between
    the claim and a call."""
    from onboarding.models import PhotoAnalysis

    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "liveness": ["tencent"], "compare": ["baidu"]}
    at_claim, claim = [], check_service.claim_many

    def claiming(check_ids, *args, **kwargs):
        at_claim.append(sorted(PhotoAnalysis.objects.exclude(data=b"").values_list("photo__kind", flat=True)))
        return claim(check_ids, *args, **kwargs)

    monkeypatch.setattr(check_service, "claim_many", claiming)
    v = submitted_verification()
    assert at_claim == [["id_card", "selfie"]] and v.decisions.count() == 1


def test_a_case_of_paid_checks_alone_does_not_look_for_analyses_to_make(sandbox, case_tasks, monkeypatch, settings):
    """Nothing of the local engine rides with the network calls: the task goes straight to its claim."""
    settings.KYC_CHECK_VENDORS = {
        **settings.KYC_CHECK_VENDORS,
        "quality": [],
        "liveness": ["tencent"],
        "compare": ["baidu"],
    }
    looked, look = [], check_service._analyse_before_claim
    monkeypatch.setattr(check_service, "_analyse_before_claim", lambda ids: (looked.append(ids), look(ids))[1])
    v = submitted_verification()
    assert len(case_tasks) == 1 and case_tasks[0][1] == {"analyse_first": False}
    assert looked == [] and v.decisions.count() == 1


def test_the_engines_liveness_without_a_challenge_rides_with_the_calls_and_looks_at_nothing(
    sandbox, case_tasks, settings
):
    """An API case has no burst: the engine's liveness check is not applicable at once, in the
    case's task beside the network calls, and no photo is analysed (or read) for it."""
    from onboarding.models import PhotoAnalysis

    settings.KYC_DUPLICATE_SCAN = False
    settings.KYC_CHECK_VENDORS = {
        **settings.KYC_CHECK_VENDORS,
        "quality": [],
        "liveness": ["local"],
        "compare": ["baidu"],
    }
    v = submitted_verification()
    assert len(case_tasks) == 1 and case_tasks[0][1] == {"analyse_first": False}
    assert sorted(v.checks.values_list("vendor", "status")) == [("baidu", "completed"), ("local", "not_applicable")]
    assert not PhotoAnalysis.objects.exists() and v.decisions.count() == 1


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_a_check_run_alone_does_not_look_for_analyses_to_make(
    sandbox, monkeypatch, settings, django_capture_on_commit_callbacks
):
    """A check in its own task (a retry, the sweeper's) has nothing riding with it."""
    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "liveness": ["tencent"], "compare": ["baidu"]}
    looked, look = [], check_service._analyse_before_claim
    monkeypatch.setattr(check_service, "_analyse_before_claim", lambda ids: (looked.append(ids), look(ids))[1])
    with django_capture_on_commit_callbacks(execute=False):
        v = submitted_verification()
    for check in v.checks.order_by("vendor"):  # the engine's quality checks and the paid ones
        check_service.execute_check(check.pk)
    assert looked == [] and all(c.is_final for c in v.checks.all())


def test_in_a_cases_task_an_answer_is_stored_before_a_slower_vendor_answers(monkeypatch, local_as_remote):
    """A crash while the slow vendor is still out must not lose the fast vendor's paid answer."""
    stored, slow_saw_it, count = threading.Event(), [], []
    backend = registry.get_backend("local")
    real, store = backend.run, check_service._store_results

    def run(request):
        if request.kind == CheckKind.COMPARE:  # the slow one: answers once the others are stored
            slow_saw_it.append(stored.wait(timeout=10))
        return real(request)

    def storing(answered, later=frozenset()):
        store(answered, later)
        count.extend(answered)
        if len(count) == 3:
            stored.set()

    monkeypatch.setattr(backend, "run", run)
    monkeypatch.setattr(check_service, "_store_results", storing)
    v = submitted_verification()
    v.refresh_from_db()
    assert slow_saw_it == [True]
    assert v.decisions.count() == 1 and not v.checks.exclude(status__in=Check.FINAL_STATUSES).exists()


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_a_soft_time_limit_while_calls_are_out_keeps_what_came_and_releases_the_rest(
    monkeypatch, django_capture_on_commit_callbacks
):
    """The prefork pool raises SoftTimeLimitExceeded in the task's thread while it waits for its calls."""
    from celery.exceptions import SoftTimeLimitExceeded

    with django_capture_on_commit_callbacks(execute=False):
        v = submitted_verification()
    ids = [c.pk for c in v.checks.order_by("pk")]

    def first_then_limit(calls):
        calls[0].run()
        yield calls[:1]
        raise SoftTimeLimitExceeded()

    monkeypatch.setattr(check_service, "_as_they_finish", first_then_limit)
    waiting = check_service.execute_checks(ids)
    first, *rest = Check.objects.filter(pk__in=ids).order_by("pk")
    assert first.status in Check.FINAL_STATUSES and first.attempt_count == 1
    assert sorted(waiting) == sorted(str(c.pk) for c in rest)  # the task retries these
    assert all(isinstance(exc, RetryableVendorError) and exc.code == "time_limit" for exc in waiting.values())
    assert all(c.status == Check.Status.PENDING and c.error_code == "time_limit" and c.claimed_at is None for c in rest)
    assert not v.decisions.exists()


def test_a_call_thread_keeps_its_database_connection_as_a_request_does(settings):
    """A call may read the database on a pool thread (a screening check searches the lists). The
    pool's threads outlive their calls: each call is handled as a request, so a connection is
    closed past CONN_MAX_AGE (0 here) or when broken, not left open on a thread that idles."""
    from django.db import connections

    class Reads:
        def run(self):
            self.wrapper = connections["default"]  # this thread's
            assert Check.objects.count() == 0

    calls = [Reads(), Reads()]
    assert [len(group) for group in check_service._as_they_finish(calls)]
    assert all(call.wrapper.connection is None for call in calls)


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_a_database_error_in_a_call_is_retried_and_not_held_against_the_vendor(
    monkeypatch, local_as_remote, django_capture_on_commit_callbacks
):
    """A call that reads the database and finds it gone (a failover while a screening check
    searches the lists): the check waits for the task's retry, counted as no failure of the vendor's."""
    from django.core.cache import cache
    from django.db import OperationalError

    from vendors.circuit import CircuitBreaker

    with django_capture_on_commit_callbacks(execute=False):
        v = submitted_verification()
    compare = v.checks.get(kind=CheckKind.COMPARE)
    backend = registry.get_backend(compare.vendor)
    real = backend.run

    def run(request):
        if request.kind == CheckKind.COMPARE:
            raise OperationalError("server closed the connection unexpectedly")
        return real(request)

    monkeypatch.setattr(backend, "run", run)
    waiting = check_service.execute_checks([c.pk for c in v.checks.all()])
    compare.refresh_from_db()
    assert list(waiting) == [str(compare.pk)] and waiting[str(compare.pk)].code == "database_unreachable"
    assert compare.status == Check.Status.PENDING and compare.claimed_at is None
    assert compare.error_code == "database_unreachable"
    assert cache.get(CircuitBreaker(compare.vendor).failures_key) is None
    assert v.checks.exclude(pk=compare.pk).exclude(status__in=Check.FINAL_STATUSES).count() == 0


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_a_live_claim_is_left_alone_and_an_expired_one_is_taken_over(monkeypatch, django_capture_on_commit_callbacks):
    counter = CallCounter(monkeypatch)
    with django_capture_on_commit_callbacks(execute=False):
        v = submitted_verification()
    start_processing(v.pk)
    compare = v.checks.get(kind="compare")
    assert check_service.claim(compare.pk) is not None  # a worker holds it...
    with pytest.raises(check_service.CheckHeld) as held:  # ...so a duplicate delivery waits for its lease
        check_service.execute_check(compare.pk)
    assert settings.KYC_CHECK_LEASE_SECONDS - 5 < held.value.retry_after <= settings.KYC_CHECK_LEASE_SECONDS
    run_check.apply(args=[str(compare.pk)])  # the task takes it calmly
    assert counter.calls == []
    Check.objects.filter(pk=compare.pk).update(claimed_at=timezone.now() - timedelta(hours=1))
    check_service.execute_check(compare.pk)  # the holder died: take over
    compare.refresh_from_db()
    assert len(counter.calls) == 1 and compare.status == Check.Status.COMPLETED and compare.attempt_count == 2


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_processing_starts_once(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        v = submitted_verification()
    first = start_processing(v.pk)
    second = start_processing(v.pk)
    assert sorted(first) == sorted(second) and len(first) == 4
    assert AuditEvent.objects.filter(verification_id=v.pk, to_status="processing").count() == 1


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
@pytest.mark.parametrize("challenged", [True, False])
def test_a_new_cases_checks_go_to_the_workers_at_submission_and_the_first_claim_starts_it(
    monkeypatch, django_capture_on_commit_callbacks, settings, challenged
):
    from onboarding import tasks
    from onboarding.services import dispatch
    from tests.applicant.test_liveness import answer

    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "compare": ["baidu"]}
    applicant = ApplicantFactory()
    selfie = answer(applicant).selfie if challenged else None  # a passed burst ending with the selfie
    sent = []
    monkeypatch.setattr(
        tasks.run_case_checks, "delay", lambda ids, analyse_first: sent.append((sorted(ids), analyse_first))
    )
    monkeypatch.setattr(tasks.run_check, "apply_async", lambda args, **kwargs: sent.append(list(args)))
    monkeypatch.setattr(dispatch, "run_checks", lambda ids: sent.append(("one task each", sorted(map(str, ids)))))
    monkeypatch.setattr(tasks.process_verification, "delay", lambda *a: sent.append("process_verification"))
    with django_capture_on_commit_callbacks(execute=True):
        if challenged:
            card = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=id_card_bytes("obama_2"))
            v = submit_verification(applicant, selfie=selfie, id_card=card)
        else:
            v = submitted_verification(applicant=applicant)
    remote = [str(c.pk) for c in v.checks.filter(vendor="baidu")]
    quality = [str(c.pk) for c in v.checks.filter(vendor="local", kind="quality")]
    liveness = [str(c.pk) for c in v.checks.filter(vendor="local", kind="liveness")]
    assert len(remote) == 1 and len(quality) == 2 and len(liveness) == 1
    # One message for the network call and the engine's checks that judge the photos' analyses
    # (made before the call starts: the case's task makes them before its claim); one for the
    # engine's work during a call (a burst's liveness: beside network calls it would stall their
    # answers' storing), while without a burst the liveness check has no work and rides with the
    # call; no task per check, no process_verification.
    if challenged:
        assert sent == [(sorted(remote + quality), True), liveness]
    else:
        assert sent == [(sorted(remote + quality + liveness), True)]
    assert Verification.objects.get(pk=v.pk).status == Verification.Status.SUBMITTED  # no worker yet
    first, second = v.checks.all()[:2]
    check_service.claim(first.pk)
    check_service.claim(second.pk)
    v.refresh_from_db()
    assert v.status == Verification.Status.PROCESSING and v.processing_started_at is not None
    started = AuditEvent.objects.filter(verification_id=v.pk, to_status="processing")
    assert [(e.from_status, e.actor) for e in started] == [("submitted", "worker")]  # once, by the first claim


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_sweeper_resumes_a_verification_whose_message_was_lost(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # the enqueue never happens
        v = submitted_verification()
    assert v.status == Verification.Status.SUBMITTED
    assert resume_stalled(now=timezone.now()) == 0  # not stalled yet
    assert resume_stalled(now=timezone.now() + timedelta(hours=1)) == 1
    v.refresh_from_db()
    assert v.status == Verification.Status.NEEDS_REVIEW


def test_retryable_errors_retry_then_fall_back_to_next_vendor(extra_vendors, settings):
    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "compare": ["outage", "local"]}
    settings.KYC_VENDOR_MAX_RETRIES = 2
    v = submitted_verification()
    v.refresh_from_db()
    compares = list(v.checks.filter(kind="compare").order_by("created_at"))
    assert [c.vendor for c in compares] == ["outage", "local"]
    assert OutageBackend.calls == 3  # first try + 2 retries
    assert compares[0].status == Check.Status.FAILED and compares[0].error_category == "retryable"
    assert compares[1].status == Check.Status.COMPLETED and compares[1].passed
    assert v.status == Verification.Status.NEEDS_REVIEW  # only because local liveness is not applicable
    assert AuditEvent.objects.filter(verification_id=v.pk, action="check_fallback").count() == 1


def test_configuration_error_without_fallback_ends_in_review(extra_vendors, settings):
    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "compare": ["misconfigured"]}
    v = submitted_verification()
    v.refresh_from_db()
    compare = v.checks.get(kind="compare")
    assert compare.status == Check.Status.FAILED and compare.error_category == "configuration"
    assert compare.attempt_count == 1  # never retried
    assert v.status == Verification.Status.NEEDS_REVIEW
    assert "check_error" in [r["code"] for r in v.decisions.get().reasons]
    # An API client is not told the operator's vendor configuration; the operator's tools are.
    from onboarding.selectors.api import api_verification
    from onboarding.selectors.cases import verification_summary, verification_with_details

    told = str(api_verification(verification_with_details(v.pk)))
    assert "bad credentials" not in told and "invalid_token" not in told and "vendor_unavailable" in told
    assert "bad credentials" in str(verification_summary(v, for_client=False))


def test_state_machine_refuses_illegal_moves():
    v = submitted_verification("biden_1", "obama_2")
    v.refresh_from_db()
    assert v.status == Verification.Status.REJECTED
    with pytest.raises(state.InvalidTransition):
        state.transition(v, Verification.Status.PROCESSING, actor=Actor.system())
    with pytest.raises(state.InvalidTransition):
        state.transition(v, Verification.Status.NEEDS_REVIEW, actor=Actor.system())


def test_audit_trail_is_append_only():
    submitted_verification()
    event = AuditEvent.objects.first()
    event.action = "tampered"
    with pytest.raises(PermissionError):
        event.save()
    with pytest.raises(PermissionError):
        event.delete()
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().update(action="tampered")
    with pytest.raises(PermissionError):
        AuditEvent.objects.all().delete()


class LivenessByRule(VendorBackend):
    """A liveness vendor that always answers live (stands in for a vendor after local says not applicable)."""

    name = "rule"
    kinds = frozenset({CheckKind.LIVENESS})
    default_thresholds = {CheckKind.LIVENESS: Threshold(40.0, "test rule")}

    def check_liveness(self, request):
        return self.judge(CheckResult(vendor=self.name, kind=CheckKind.LIVENESS, score=90.0))


def test_not_applicable_hands_over_to_the_next_vendor(extra_vendors, settings, monkeypatch):
    """Local liveness has no challenge here, so the next liveness vendor is asked."""
    monkeypatch.setitem(registry.BACKENDS, "rule", "tests.pipeline.test_pipeline.LivenessByRule")
    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "liveness": ["local", "rule"]}
    v = submitted_verification()
    v.refresh_from_db()
    local, rule = v.checks.filter(kind="liveness").order_by("created_at")
    assert local.status == Check.Status.NOT_APPLICABLE and rule.vendor == "rule" and rule.passed
    assert v.status == Verification.Status.APPROVED
    assert AuditEvent.objects.filter(
        verification_id=v.pk, action="check_fallback", data__because="not_applicable"
    ).exists()


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_what_an_applicants_page_waits_for_has_a_queue_of_its_own(monkeypatch, django_capture_on_commit_callbacks):
    """A photo's checklist and a liveness verdict must not wait behind a backlog of cases: every
    worker consumes the interactive queue beside the default one."""
    from django.conf import settings

    from onboarding import tasks
    from onboarding.services import dispatch

    sent = []
    for task in (tasks.analyse_photo, tasks.verify_burst):
        monkeypatch.setattr(task, "apply_async", lambda args, queue=None, _t=task: sent.append((_t.name, queue)))
    with django_capture_on_commit_callbacks(execute=True):
        dispatch.analyse_photo_after_commit("photo")
        dispatch.verify_burst_after_commit("challenge")
    interactive = f"{settings.CELERY_TASK_DEFAULT_QUEUE}.interactive"
    assert sent == [("onboarding.tasks.analyse_photo", interactive), ("onboarding.tasks.verify_burst", interactive)]
    assert [q.name for q in settings.CELERY_TASK_QUEUES] == [settings.CELERY_TASK_DEFAULT_QUEUE, interactive]


def test_a_new_applicant_submitted_in_one_call_is_kept_whole_or_not_at_all(monkeypatch):
    def stored_files():
        return {p for p in Path(settings.KYC_PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file()}

    images = {  # validated first, as the API and kyc_verify do
        Photo.Kind.SELFIE: normalize_image(SimpleUploadedFile("selfie.jpg", face_bytes("obama_1"))),
        Photo.Kind.ID_CARD: normalize_image(SimpleUploadedFile("card.jpg", id_card_bytes("obama_2"))),
    }
    monkeypatch.setattr(settings, "KYC_MAX_UPLOAD_BYTES", 64)
    kept = dict(
        images=images,
        declared={"full_name": "Barack Obama"},
        consent_version="api:test",
        external_ref="one-call",
        channel=Verification.Channel.API,
        actor=Actor.system("test"),
    )
    before = stored_files()
    with pytest.raises(LivenessDataRejected):  # refused after both photos were stored
        submit_new_applicant(**kept, liveness_data=b"x" * 65)
    assert not Applicant.objects.exists() and not Photo.objects.exists() and not DeclaredIdentity.objects.exists()
    assert stored_files() == before

    verification = submit_new_applicant(**kept, liveness_data=b"sdk")
    applicant = verification.applicant
    assert applicant.external_ref == "one-call" and DeclaredIdentity.objects.filter(applicant=applicant).exists()
    assert {p.kind for p in applicant.photos.all()} == {Photo.Kind.SELFIE, Photo.Kind.ID_CARD}
    assert verification.liveness_data == LivenessDataFile.objects.get(applicant=applicant)
    assert verification.channel == Verification.Channel.API and len(stored_files() - before) == 3
    actions = list(AuditEvent.objects.filter(applicant_id=applicant.pk).order_by("pk").values_list("action", flat=True))
    assert actions[:5] == [
        "consent_given",
        "identity_declared",
        "photo_uploaded",
        "photo_uploaded",
        "liveness_data_uploaded",
    ]
