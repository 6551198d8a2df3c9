"""The audit trail's hash chain: sealed on commit, verified by a command that finds tampering."""

import pytest
from django.core.management import CommandError, call_command
from django.db import connection

from onboarding.models import AuditEvent, AuditSeal
from onboarding.services.compliance import audit_chain
from tests.factories import submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)


def verify_output():
    from io import StringIO

    out = StringIO()
    call_command("verify_audit", stdout=out)
    return out.getvalue()


@pytest.fixture
def trail():
    submitted_verification("obama_1", "obama_2")
    submitted_verification("leslie_1", "biden_2")
    events = list(AuditEvent.objects.order_by("id"))
    assert len(events) > 10 and AuditSeal.objects.count() == len(events)  # sealed as each commit happened
    return events


def test_an_untouched_trail_verifies(trail):
    out = verify_output()
    assert f"audit trail intact: {len(trail)} events chained" in out
    assert audit_chain.head().hash in out


def raw(sql, params):
    with connection.cursor() as cursor:
        cursor.execute(sql, params)


def test_a_row_changed_in_the_database_is_named(trail):
    victim = trail[5]
    raw(f"UPDATE {AuditEvent._meta.db_table} SET actor = %s WHERE id = %s", ["someone-else", victim.pk])
    with pytest.raises(CommandError, match=rf"BROKEN at event #{victim.pk}: the event was altered"):
        verify_output()


def test_a_changed_json_field_is_named(trail):
    victim = next(e for e in trail if e.action == "auto_decision")
    raw(f"UPDATE {AuditEvent._meta.db_table} SET data = %s WHERE id = %s", ['{"outcome": "approve"}', victim.pk])
    with pytest.raises(CommandError, match=rf"event #{victim.pk}"):
        verify_output()


def test_a_removed_event_is_found(trail):
    victim = trail[3]
    raw(f"DELETE FROM {AuditSeal._meta.db_table} WHERE event_id = %s", [victim.pk])
    raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match=rf"event #{trail[4].pk}: link 4 is missing"):
        verify_output()


def test_events_cut_from_the_end_are_found(trail):
    for victim in trail[-2:]:
        raw(f"DELETE FROM {AuditSeal._meta.db_table} WHERE event_id = %s", [victim.pk])
        raw(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [victim.pk])
    with pytest.raises(CommandError, match="links removed from the end"):
        verify_output()


def test_the_orm_refuses_to_change_seals(trail):
    seal = AuditSeal.objects.first()
    with pytest.raises(PermissionError):
        seal.save()
    with pytest.raises(PermissionError):
        AuditSeal.objects.all().delete()


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_events_left_unsealed_by_a_dead_process_are_sealed_by_beat(django_capture_on_commit_callbacks):
    from onboarding.services.compliance.audit import Actor, record
    from onboarding.tasks import seal_audit_trail

    with django_capture_on_commit_callbacks(execute=False):  # the process dies before its on_commit
        record("first", actor=Actor.system())
        record("second", actor=Actor.system())
    assert not AuditSeal.objects.exists()
    assert "2 recent events not sealed yet" in verify_output()
    assert seal_audit_trail.apply().get() == 2
    assert "intact: 2 events chained" in verify_output()


def test_sealing_reads_its_queue_not_the_whole_trail(trail):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from onboarding.models import AuditPendingSeal
    from onboarding.services.compliance.audit import Actor, record

    assert not AuditPendingSeal.objects.exists()  # every event of the trail sealed and dequeued
    with CaptureQueriesContext(connection) as queries:
        event = record("late", actor=Actor.system())  # autocommit: written, queued, sealed at once
    assert AuditSeal.objects.filter(event=event).exists() and not AuditPendingSeal.objects.exists()
    # The search for unsealed events is limited to the queued ids: no anti-join over the trail.
    searches = [q["sql"] for q in queries if '"onboarding_auditevent"' in q["sql"] and q["sql"].startswith("SELECT")]
    assert searches and all(f"IN ({event.pk})" in sql for sql in searches), searches


def test_an_event_written_around_the_queue_is_reported_unsealed(trail):
    raw(
        f"INSERT INTO {AuditEvent._meta.db_table} (created_at, actor_type, actor, action, from_status, to_status, "
        "data) VALUES (CURRENT_TIMESTAMP, 'system', 'sql', 'slipped_in', '', '', '{}')",
        [],
    )
    audit_chain.seal_pending(wait=True)
    assert "1 recent events not sealed yet" in verify_output()


def test_evidence_pack_holds_the_case_its_photos_and_a_manifest_of_hashes(client, staff_user):
    import hashlib
    import io
    import json
    import zipfile

    from django.contrib.auth.models import Permission
    from django.urls import reverse

    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    url = reverse("admin:onboarding_verification_evidence", args=[v.pk])
    client.force_login(staff_user)
    assert client.post(url).status_code == 403  # a reviewer may not take the biometrics out
    staff_user.user_permissions.add(Permission.objects.get(codename="export_evidence"))
    assert client.get(url).status_code == 405  # an audited export: POST with the CSRF token
    r = client.post(url)
    assert r.status_code == 200 and r["Content-Type"] == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(r.content))
    manifest = json.loads(z.read("manifest.json"))
    assert set(manifest["files"]) == {"case.json", "photos/selfie.jpg", "photos/id_card.jpg"}
    for name, digest in manifest["files"].items():
        assert hashlib.sha256(z.read(name)).hexdigest() == digest
    assert z.read("photos/selfie.jpg")[:3] == b"\xff\xd8\xff"  # the image itself, decrypted
    case = json.loads(z.read("case.json"))
    assert case["verification"]["status"] == v.status and len(case["checks"]) == 4 and case["decisions"]
    trail = case["audit_trail"]
    assert (
        trail[-1]["action"] == "evidence_exported" and trail[-1]["chain"]["seq"] == manifest["audit_chain_head"]["seq"]
    )
    from onboarding.services.compliance.audit_chain import link_hash

    for event in trail:  # a third party can recompute every link it holds
        chain = event["chain"]
        assert link_hash(chain["seq"], chain["prev_hash"], event["event_hash"]) == chain["hash"]
    assert AuditEvent.objects.filter(action="evidence_exported", actor=staff_user.username).count() == 1


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_one_transaction_is_sealed_once_even_with_a_rolled_back_savepoint(django_capture_on_commit_callbacks):
    from django.db import transaction

    from onboarding.services.compliance.audit import Actor, record

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with transaction.atomic():
            record("first", actor=Actor.system())
            record("second", actor=Actor.system())
            try:
                with transaction.atomic():
                    record("undone", actor=Actor.system())
                    raise RuntimeError
            except RuntimeError:
                pass
            record("third", actor=Actor.system())
    assert len(callbacks) == 1
    assert list(AuditSeal.objects.values_list("event__action", flat=True)) == ["first", "second", "third"]


def wait_until(predicate, seconds=10.0):
    import time

    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "not sealed in time"
        time.sleep(0.02)


def test_the_sealer_thread_seals_many_commits_in_one_round(settings):
    """As deployed (KYC_AUDIT_SEAL_DELAY_MS > 0): commits wake the process's sealer instead of sealing."""
    from unittest import mock

    from onboarding.services.compliance.audit import Actor, record

    settings.KYC_AUDIT_SEAL_DELAY_MS = 300
    with mock.patch.object(audit_chain, "_seal", wraps=audit_chain._seal) as rounds:
        events = [record(f"commit {i}", actor=Actor.system()) for i in range(6)]  # six commits
        assert not AuditSeal.objects.filter(event__in=events).exists()  # not sealed in the committing thread
        wait_until(lambda: AuditSeal.objects.filter(event__in=events).count() == 6)
    assert rounds.call_count < 6  # the commits within the delay went into one sealing transaction
    assert "intact: 6 events chained" in verify_output()


def test_the_sealer_thread_tries_again_after_a_failure(settings, caplog):
    from unittest import mock

    from onboarding.services.compliance.audit import Actor, record

    settings.KYC_AUDIT_SEAL_DELAY_MS = 10
    real, calls = audit_chain._seal, []

    def fails_once(**kwargs):
        calls.append(kwargs)
        if len(calls) == 1:
            raise RuntimeError("database went away")
        return real(**kwargs)

    with mock.patch.object(audit_chain, "_seal", side_effect=fails_once):
        event = record("survives a failed round", actor=Actor.system())
        wait_until(lambda: AuditSeal.objects.filter(event=event).exists())  # nobody committed again
    assert len(calls) >= 2
    assert "audit sealing failed, trying again: RuntimeError" in caplog.text


@pytest.mark.django_db
def test_an_audit_event_and_its_queue_entry_are_written_together():
    from django.utils import timezone

    from onboarding.models import AuditPendingSeal
    from onboarding.services.compliance.audit import Actor, record

    event = record("tested", actor=Actor.system("test"), applicant_id=None, note="ü", n=[1, 2])
    stored = AuditEvent.objects.get(pk=event.pk)
    assert (stored.action, stored.actor, stored.data) == ("tested", "test", {"note": "ü", "n": [1, 2]})
    assert abs((stored.created_at - timezone.now()).total_seconds()) < 60
    assert AuditPendingSeal.objects.filter(event_id=event.pk).exists()


@pytest.mark.django_db
def test_a_batch_of_events_is_written_with_its_queue_entries_in_order():
    from django.test.utils import CaptureQueriesContext

    from onboarding.models import AuditPendingSeal
    from onboarding.services.compliance import audit

    events = [audit.event(f"batch-{i}", actor=audit.Actor.system("test"), n=i) for i in range(3)]
    with CaptureQueriesContext(connection) as queries:
        audit.record_all(events)
    inserts = [q["sql"] for q in queries if "INSERT" in q["sql"]]
    # One statement on PostgreSQL (onboarding/statements.py), one per table elsewhere.
    assert len(inserts) == (1 if connection.vendor == "postgresql" else 2), inserts
    assert [e.pk for e in events] == sorted(e.pk for e in events) and all(not e._state.adding for e in events)
    stored = list(AuditEvent.objects.filter(pk__in=[e.pk for e in events]).order_by("pk"))
    assert [(e.action, e.data) for e in stored] == [(f"batch-{i}", {"n": i}) for i in range(3)]
    assert set(AuditPendingSeal.objects.values_list("event_id", flat=True)) >= {e.pk for e in events}
