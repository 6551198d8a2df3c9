"""Circuit breaker, deadline sweeper and timing settings (in-process; the crash test is test_crash.py)."""

import time
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.checks import run_checks
from django.utils import timezone

from onboarding.models import Check, Verification
from onboarding.services.pipeline import checks as check_service
from onboarding.services.pipeline.verifications import resume_stalled
from tests.factories import submitted_verification
from vendors.circuit import CircuitBreaker, CircuitOpenError

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def fast_circuit(settings):
    settings.KYC_CIRCUIT_FAILURES = 3
    settings.KYC_CIRCUIT_WINDOW_SECONDS = 60
    settings.KYC_CIRCUIT_OPEN_SECONDS = 0.5
    return settings


def test_circuit_opens_after_repeated_failures_and_closes_after_a_good_probe(fast_circuit):
    circuit = CircuitBreaker("baidu")
    for _ in range(2):
        assert circuit.before_call() is False
        circuit.record_failure()
    assert circuit.state() == "closed"
    circuit.record_failure()
    assert circuit.state() == "open"
    with pytest.raises(CircuitOpenError) as exc:
        circuit.before_call()
    assert 0 < exc.value.retry_after <= 0.5 and exc.value.category == "retryable"
    time.sleep(0.55)
    assert circuit.state() == "half_open"
    assert circuit.before_call() is True  # this worker sends the probe...
    with pytest.raises(CircuitOpenError):  # ...and every other one waits for it
        CircuitBreaker("baidu").before_call()
    circuit.record_success(probe=True)
    assert circuit.state() == "closed" and circuit.before_call() is False


def test_a_failed_probe_opens_the_circuit_again(fast_circuit):
    circuit = CircuitBreaker("tencent")
    for _ in range(3):
        circuit.record_failure()
    time.sleep(0.55)
    assert circuit.before_call() is True
    circuit.record_failure(probe=True)
    assert circuit.state() == "open"
    assert CircuitBreaker("baidu").state() == "closed"  # one circuit per vendor


def test_a_success_resets_the_failure_count(fast_circuit):
    circuit = CircuitBreaker("acedata")
    circuit.record_failure()
    circuit.record_failure()
    circuit.record_success()
    circuit.record_failure()
    circuit.record_failure()
    assert circuit.state() == "closed"


@pytest.fixture
def via_sandbox(sandbox, settings, fast_circuit):
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": ["tencent"], "compare": ["baidu", "local"]}
    settings.KYC_VENDOR_MAX_RETRIES = 0
    return sandbox


def test_an_open_circuit_sends_checks_to_the_next_vendor_without_calling(via_sandbox, settings):
    """Over real HTTP: Baidu answers 5xx; after three failures it is not called until a probe."""
    settings.KYC_CIRCUIT_OPEN_SECONDS = 4
    via_sandbox.fault("baidu", sticky="5xx")
    for _ in range(3):
        submitted_verification("obama_1", "obama_2")
    assert via_sandbox.calls()["calls"]["baidu"] == 3
    assert CircuitBreaker("baidu").state() == "open"
    v = submitted_verification("obama_1", "obama_2")
    assert via_sandbox.calls()["calls"]["baidu"] == 3  # not called: failed fast, local took over
    baidu, local = v.checks.filter(kind="compare").order_by("created_at")
    assert baidu.error_code == "circuit_open" and baidu.attempt_count == 0
    assert local.status == Check.Status.COMPLETED
    via_sandbox.fault("baidu", sticky="")  # Baidu recovers
    time.sleep(max(0, cache.get("kyc:circuit:baidu:open") - time.time()) + 0.05)
    v = submitted_verification("obama_1", "obama_2")
    assert v.checks.get(kind="compare", vendor="baidu").status == Check.Status.COMPLETED  # the probe
    assert CircuitBreaker("baidu").state() == "closed"


def test_bad_input_does_not_count_against_the_vendor(via_sandbox):
    from PIL import Image

    from onboarding.services.applicant.applicants import add_photo
    from onboarding.services.pipeline.verifications import submit_verification
    from tests.conftest import id_card_bytes, jpeg_bytes
    from tests.factories import ApplicantFactory

    for _ in range(4):
        applicant = ApplicantFactory()
        wall = add_photo(applicant, "selfie", jpeg_bytes(Image.new("RGB", (640, 480), (180, 170, 160))))
        card = add_photo(applicant, "id_card", id_card_bytes("obama_2"))
        v = submit_verification(applicant, selfie=wall, id_card=card)
        assert v.checks.get(kind="compare", vendor="baidu").error_category == "bad_input"
    assert via_sandbox.calls()["calls"]["baidu"] == 4
    assert CircuitBreaker("baidu").state() == "closed"


def test_a_failing_decision_keeps_the_paid_results_and_the_sweeper_decides_later(via_sandbox, settings, monkeypatch):
    """The decision runs in the transaction that stores the last result, under its own savepoint."""
    from onboarding.services.pipeline import decisions

    real = decisions.risk.assess_case

    def broken(*args, **kwargs):
        raise RuntimeError("a bug in the policy")

    monkeypatch.setattr(decisions.risk, "assess_case", broken)
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    assert v.status == Verification.Status.PROCESSING and not v.decisions.exists()
    assert all(c.status == Check.Status.COMPLETED and c.score is not None for c in v.checks.all())
    monkeypatch.setattr(decisions.risk, "assess_case", real)
    assert resume_stalled(now=timezone.now() + timedelta(seconds=settings.KYC_STALLED_AFTER_SECONDS + 1)) == 1
    v.refresh_from_db()
    assert v.is_decided and v.decisions.count() == 1
    calls = via_sandbox.calls()["calls"]
    assert (calls["tencent"], calls["baidu"]) == (1, 1)  # nothing was paid for twice


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_an_open_circuit_leaves_checks_as_they_were(settings, via_sandbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        v = submitted_verification()
    held, waiting = v.checks.get(kind="compare"), v.checks.get(kind="liveness")
    check_service.claim(held.pk)  # a live worker is calling its vendor
    for vendor in (held.vendor, waiting.vendor):
        for _ in range(settings.KYC_CIRCUIT_FAILURES):
            CircuitBreaker(vendor).record_failure()
    with pytest.raises(check_service.CheckHeld):  # not failed over under the worker that runs it
        check_service.execute_check(held.pk)
    with pytest.raises(CircuitOpenError):
        check_service.execute_check(waiting.pk)
    held.refresh_from_db()
    waiting.refresh_from_db()
    assert (held.status, held.attempt_count) == (Check.Status.RUNNING, 1)
    assert (waiting.status, waiting.attempt_count, waiting.claimed_at) == (Check.Status.PENDING, 0, None)


def test_the_local_engine_has_no_circuit(settings, fast_circuit):
    """It has no remote side to spare: what the cache says of a circuit named after it is not asked."""
    for _ in range(settings.KYC_CIRCUIT_FAILURES):
        CircuitBreaker("local").record_failure()
    assert CircuitBreaker("local").state() == "open"
    v = submitted_verification()  # the embedded default: every check by the local engine
    assert v.checks.exclude(vendor="local").count() == 0 and v.checks.count() >= 2
    assert all(c.is_final and c.attempt_count == 1 for c in v.checks.all())
    v.refresh_from_db()
    assert v.is_decided
    assert CircuitBreaker("local").state() == "open"  # nothing counted either way


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_sweeper_finishes_a_case_past_its_deadline(settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # nothing ever runs it
        v = submitted_verification()
    check_service.claim(v.checks.get(kind="compare").pk)  # a worker took one and died
    later = timezone.now() + timedelta(seconds=settings.KYC_DECISION_DEADLINE_SECONDS + 60)
    with django_capture_on_commit_callbacks(execute=False):
        assert resume_stalled(now=later) == 1
    v.refresh_from_db()
    assert v.status == Verification.Status.NEEDS_REVIEW and v.decisions.count() == 1
    assert set(v.checks.values_list("error_code", flat=True)) == {"deadline_exceeded"}
    reasons = v.decisions.get().reasons
    assert {r["code"] for r in reasons} == {"check_error"}
    assert all("deadline_exceeded" in r["message"] for r in reasons)


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_sweeper_leaves_a_check_a_live_worker_holds(settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        v = submitted_verification()
    now = timezone.now() + timedelta(seconds=settings.KYC_DECISION_DEADLINE_SECONDS + 60)
    check_service.claim(v.checks.get(kind="compare").pk, now=now)  # claimed just now, by a live worker
    with django_capture_on_commit_callbacks(execute=False):
        resume_stalled(now=now)
    v.refresh_from_db()
    assert v.status == Verification.Status.PROCESSING  # its result is not thrown away
    assert v.checks.get(kind="compare").status == Check.Status.RUNNING
    assert v.checks.exclude(kind="compare").filter(error_code="deadline_exceeded").count() == 3


@pytest.mark.parametrize(
    "change, error",
    [
        ({"KYC_VENDOR_READ_TIMEOUT": 90.0}, "kyc.E001"),
        ({"CELERY_TASK_SOFT_TIME_LIMIT": 200}, "kyc.E002"),
        ({"KYC_CHECK_LEASE_SECONDS": 100}, "kyc.E003"),
        ({"CELERY_BROKER_TRANSPORT_OPTIONS": {"visibility_timeout": 150}}, "kyc.E004"),
        ({"KYC_DECISION_DEADLINE_SECONDS": 60}, "kyc.W001"),
    ],
)
def test_incoherent_timing_settings_are_refused_at_startup(settings, change, error):
    settings.CELERY_TASK_SOFT_TIME_LIMIT, settings.CELERY_TASK_TIME_LIMIT = 120, 180
    settings.KYC_CHECK_LEASE_SECONDS = 210
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600}
    assert [m.id for m in run_checks(tags=["kyc"])] == []
    for name, value in change.items():
        setattr(settings, name, value)
    assert [m.id for m in run_checks(tags=["kyc"])] == [error]
