"""The hot path's prebuilt statements (onboarding/sql.py) against the ORM's own reading of the rows,
on SQLite and on PostgreSQL (DATABASE_URL)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from onboarding import sql
from onboarding.models import AuditEvent, AuditPendingSeal, Check, Verification
from onboarding.services import checks as check_service
from onboarding.services.audit import Actor, record
from tests.factories import submitted_verification
from vendors.base import CheckResult, ResultStatus

pytestmark = pytest.mark.django_db


@pytest.fixture
def case(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):  # submitted, not run
        return submitted_verification()


def test_an_audit_event_and_its_queue_entry_are_written_together():
    with CaptureQueriesContext(connection) as queries:
        event = record("tested", actor=Actor.system("test"), applicant_id=None, note="ü", n=[1, 2])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.actor, stored.data) == ("tested", "test", {"note": "ü", "n": [1, 2]})
    assert abs((stored.created_at - timezone.now()).total_seconds()) < 60
    assert AuditPendingSeal.objects.filter(event_id=event.pk).exists()
    inserts = [q["sql"] for q in queries if "INSERT" in q["sql"]]
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 2), inserts


def test_a_conditional_update_writes_only_when_its_condition_holds(case):
    check = case.checks.order_by("created_at").first()
    check.status, check.score, check.details, check.completed_at = (
        Check.Status.COMPLETED,
        91.5,
        {"a": "b"},
        timezone.now(),
    )
    names = ("status", "score", "details", "completed_at")
    assert sql.update(check, names, unless=("status", Check.FINAL_STATUSES)) == 1
    stored = Check.objects.get(pk=check.pk)
    assert (stored.status, stored.score, stored.details) == (Check.Status.COMPLETED, 91.5, {"a": "b"})
    assert stored.completed_at == check.completed_at
    check.score = 10.0
    assert sql.update(check, names, unless=("status", Check.FINAL_STATUSES)) == 0  # final: left as it is
    assert Check.objects.get(pk=check.pk).score == 91.5
    assert sql.update(case, ("risk_level",), when=("status", [Verification.Status.APPROVED])) == 0
    assert sql.update(case, ("status",), when=("status", [case.status])) == 1


def test_a_late_answer_does_not_overwrite_a_check_another_worker_finished(case):
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


def test_a_prebuilt_read_gives_what_the_orm_reads(case):
    Verification.objects.filter(pk=case.pk).update(risk_reasons=[{"code": "x", "level": "3"}], duplicates_pending=True)
    for model, where, equals in ((Verification, "id", case.pk), (Check, "verification", case.pk)):
        fetched = sorted(sql.fetch(model, where, equals, for_update=True), key=lambda row: str(row.pk))
        expected = sorted(model.objects.filter(**{where: equals}), key=lambda row: str(row.pk))
        assert fetched and len(fetched) == len(expected)
        for got, want in zip(fetched, expected):
            assert not got._state.adding
            for field in model._meta.concrete_fields:
                assert getattr(got, field.attname) == getattr(want, field.attname), field.name
    assert sql.fetch(Verification, "id", Check.objects.first().pk) == []


def test_a_prebuilt_join_gives_what_select_related_gives_without_more_queries(case, django_assert_num_queries):
    paths = ("verification__applicant", "verification__selfie", "verification__id_card", "verification__liveness_data")
    ids = list(case.checks.values_list("pk", flat=True))
    fetched = {row.pk: row for row in sql.fetch(Check, "id", ids, related=paths)}
    expected = {row.pk: row for row in Check.objects.select_related(*paths).filter(pk__in=ids)}
    assert fetched.keys() == expected.keys() and len(fetched) == len(ids)

    def same(got, want):
        assert type(got) is type(want)
        for field in type(want)._meta.concrete_fields:
            assert getattr(got, field.attname) == getattr(want, field.attname), field.name

    with django_assert_num_queries(0):
        for pk, got in fetched.items():
            want = expected[pk]
            same(got, want)
            same(got.verification, want.verification)
            for name in ("applicant", "selfie", "id_card"):
                same(getattr(got.verification, name), getattr(want.verification, name))
            assert got.verification.liveness_data is None  # the outer join's miss
