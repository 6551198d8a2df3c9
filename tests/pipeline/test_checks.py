"""Claiming and storing checks: the conditional writes that keep two workers from clobbering each other."""

import pytest

from onboarding.models import AuditEvent, Check, Verification
from onboarding.services.pipeline import checks as check_service
from tests.factories import submitted_verification
from vendors.base import CheckResult, ResultStatus

pytestmark = pytest.mark.django_db


def test_a_late_answer_does_not_overwrite_a_check_another_worker_finished(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # submitted, not run
        case = submitted_verification()
    compare = case.checks.get(kind="compare")
    claimed = check_service.claim(compare.pk)
    # The lease ran out; the worker that took over stored its answer first.
    Check.objects.filter(pk=compare.pk).update(status=Check.Status.COMPLETED, score=77.0)
    result = CheckResult(
        vendor=compare.vendor, kind=compare.kind, status=ResultStatus.COMPLETED, score=12.0, passed=False
    )
    check_service._store_results([(claimed, result)])
    assert Check.objects.get(pk=compare.pk).score == 77.0
    assert not AuditEvent.objects.filter(action="check_completed", data__check_id=str(compare.pk)).exists()


def test_a_claim_counts_the_attempt_and_marks_the_case_processing(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        case = submitted_verification()
    ids = list(case.checks.values_list("pk", flat=True))
    claimed, done, waiting = check_service.claim_many(ids)
    assert len(claimed) == len(ids) and not done and not waiting
    assert set(case.checks.values_list("status", "attempt_count")) == {(Check.Status.RUNNING, 1)}
    case.refresh_from_db()
    assert case.status == Verification.Status.PROCESSING
