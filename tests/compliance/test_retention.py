"""Retention: periods per kind, the purge, legal holds, erasure on request with a receipt."""

import io
import json
import zipfile
from datetime import timedelta
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.db import connection
from django.utils import timezone

from onboarding.models import (
    Applicant,
    AuditCheckpoint,
    AuditEvent,
    AuditSeal,
    BlocklistEntry,
    Check,
    Decision,
    ErasureReceipt,
    LegalHold,
    Photo,
    ScreeningHit,
    Verification,
)
from onboarding.services.applicant.applicants import add_photo
from onboarding.services.compliance import audit_chain, retention
from onboarding.services.compliance.audit import Actor
from onboarding.services.compliance.erasure import ErasureRefused, erase_applicant
from tests.api.test_api import BASE, client_for, shortcut
from tests.compliance.test_security import staff_in
from tests.conftest import face_bytes
from tests.factories import ApplicantFactory, submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)
DAY = timedelta(days=1)


def stored_files(applicant_id=None):
    root = Path(settings.KYC_PRIVATE_MEDIA_ROOT)
    found = [p for p in root.rglob("*") if p.is_file()]
    return [p for p in found if applicant_id is None or str(applicant_id) in str(p)]


def decided_ago(verification, days):
    """Move a case's decision and uploads back in time (the purge reads these columns only)."""
    when = timezone.now() - timedelta(days=days)
    Verification.objects.filter(pk=verification.pk).update(decided_at=when, submitted_at=when)
    Photo.objects.filter(applicant_id=verification.applicant_id).update(created_at=when)
    Applicant.objects.filter(pk=verification.applicant_id).update(created_at=when)


def rejected_case():
    v = submitted_verification("leslie_1", "biden_2")
    v.refresh_from_db()
    assert v.status == Verification.Status.REJECTED
    return v


def verified_trail():
    out = StringIO()
    call_command("verify_audit", "--seal", stdout=out)
    return out.getvalue()


def test_photos_go_after_their_period_and_the_decision_stays(client, django_user_model):
    v = rejected_case()
    assert len(stored_files(v.applicant_id)) == 2
    checks_before = list(Check.objects.filter(verification=v).order_by("pk").values())
    decided_ago(v, 29)
    assert retention.purge() == {}
    decided_ago(v, 31)
    assert retention.purge() == {"photos": 2}
    assert stored_files(v.applicant_id) == []
    photo = Photo.objects.get(pk=v.selfie_id)
    assert photo.purged_at is not None and not photo.file and photo.sha256  # the record of what was there
    assert Decision.objects.filter(verification=v).exists()
    assert list(Check.objects.filter(verification=v).order_by("pk").values()) == checks_before
    event = AuditEvent.objects.get(action="retention_purged")
    assert sorted(event.data["photos"]) == sorted([str(v.selfie_id), str(v.id_card_id)])
    assert event.data["periods_days"]["photos"] == 30 and event.applicant_id == v.applicant_id
    assert "intact" in verified_trail()
    # Staff see that the photo went and when; the file URL says it is gone.
    client.force_login(staff_in(django_user_model, "rev", "Reviewer"))
    page = client.get(f"/admin/onboarding/verification/{v.pk}/change/").content.decode()
    assert "Deleted on" in page and f"/verify/photos/{v.selfie_id}/" not in page
    assert client.get(f"/verify/photos/{v.selfie_id}/").status_code == 410
    # The evidence pack still lists what there was, and when it went.
    client.force_login(staff_in(django_user_model, "aud", "Auditor"))
    assert client.get(f"/admin/onboarding/verification/{v.pk}/evidence/").status_code == 405  # POST, with CSRF
    pack = zipfile.ZipFile(io.BytesIO(client.post(f"/admin/onboarding/verification/{v.pk}/evidence/").content))
    assert not [n for n in pack.namelist() if n.startswith("photos/")]
    photos = json.loads(pack.read("case.json"))["photos"]
    assert {p["sha256"] for p in photos} == {photo.sha256, Photo.objects.get(pk=v.id_card_id).sha256}
    assert all(p["deleted_at"] for p in photos)


def test_open_and_recent_cases_keep_everything():
    open_case = submitted_verification("obama_1", "obama_2")
    open_case.refresh_from_db()
    assert open_case.status == Verification.Status.NEEDS_REVIEW  # waits for a person, however long
    decided_ago(open_case, 400)
    recent = rejected_case()
    decided_ago(recent, 10)
    assert retention.purge() == {}
    assert len(stored_files(open_case.applicant_id)) == 2 and len(stored_files(recent.applicant_id)) == 2


def test_an_abandoned_upload_goes_after_the_photo_period():
    applicant = ApplicantFactory()
    photo = add_photo(applicant, Photo.Kind.SELFIE, face_bytes("obama_1"))
    Photo.objects.filter(pk=photo.pk).update(created_at=timezone.now() - 31 * DAY)
    assert retention.purge() == {"photos": 1}
    assert stored_files(applicant.pk) == []


def test_vendor_responses_go_after_their_period_and_scores_stay():
    v = rejected_case()
    decided_ago(v, 181)
    stored = Check.objects.filter(verification=v, raw_response__isnull=False).count()
    done = retention.purge()
    assert done["vendor_responses"] == stored > 0
    for check in Check.objects.filter(verification=v):
        assert check.raw_response is None
    assert any(check.score is not None for check in Check.objects.filter(verification=v))


def test_a_case_past_the_decisions_period_is_deleted_with_its_applicant():
    v = rejected_case()
    decided_ago(v, 5 * 365 + 1)
    done = retention.purge()
    assert done["cases"] == 1 and done["applicants"] == 1
    assert (
        not Verification.objects.filter(pk=v.pk).exists() and not Applicant.objects.filter(pk=v.applicant_id).exists()
    )
    assert stored_files(v.applicant_id) == []
    # The trail keeps what happened to the case, its deletion included, and still verifies.
    actions = list(AuditEvent.objects.filter(verification_id=v.pk).values_list("action", flat=True))
    assert actions[0] == "verification_submitted" and actions[-1] == "case_deleted"
    assert AuditEvent.objects.filter(action="applicant_deleted", applicant_id=v.applicant_id).exists()
    assert "intact" in verified_trail()


def test_a_legal_hold_stops_the_purge_until_released(django_user_model):
    v = rejected_case()
    officer = staff_in(django_user_model, "legal", "Senior reviewer")
    hold = retention.place_hold(v.applicant_id, user=officer, reason="court order 2026/114")
    decided_ago(v, 8 * 365)
    assert retention.purge() == {} and len(stored_files(v.applicant_id)) == 2
    assert not AuditEvent.objects.filter(action="audit_truncated").exists()  # the held case's trail stays too
    with pytest.raises(ErasureRefused, match="legal hold"):
        erase_applicant(v.applicant_id, actor=Actor.staff(officer))
    with pytest.raises(retention.HoldError):
        retention.release_hold(v.applicant_id, user=officer, reason=" ")
    retention.release_hold(v.applicant_id, user=officer, reason="order lifted")
    assert LegalHold.objects.get(pk=hold.pk).released_by == officer
    assert retention.purge()["cases"] == 1
    assert [
        e.action for e in AuditEvent.objects.filter(applicant_id=v.applicant_id, action__startswith="legal_hold")
    ] == ["legal_hold_placed", "legal_hold_released"]


def test_a_run_that_died_after_deleting_a_file_is_finished_by_the_next(monkeypatch):
    v = rejected_case()
    decided_ago(v, 31)
    selfie = Photo.objects.get(pk=v.selfie_id)
    selfie.file.storage.delete(selfie.file.name)  # the previous run got this far
    assert retention.purge() == {"photos": 2}
    assert retention.purge() == {}  # and a second run finds nothing more
    assert AuditEvent.objects.filter(action="retention_purged").count() == 1


def test_one_failing_applicant_does_not_stop_the_others(monkeypatch):
    first, second = rejected_case(), rejected_case()
    decided_ago(first, 31)
    decided_ago(second, 31)
    real = retention.wipe
    monkeypatch.setattr(
        retention,
        "wipe",
        lambda f: (_ for _ in ()).throw(OSError("disk")) if str(first.applicant_id) in f.name else real(f),
    )
    assert retention.purge() == {"photos": 2, "failed": 1}
    assert Photo.objects.filter(applicant_id=first.applicant_id, purged_at__isnull=True).count() == 2
    monkeypatch.setattr(retention, "wipe", real)
    assert retention.purge() == {"photos": 2}


def test_the_oldest_audit_events_go_and_the_chain_still_verifies():
    rejected_case()
    rejected_case()
    audit_chain.seal_pending(wait=True)
    before = AuditSeal.objects.count()
    # Seven years and a day later: every case and applicant is gone, then the events that told of them.
    done = retention.purge(now=timezone.now() + timedelta(days=7 * 365 + 1))
    assert done["cases"] == 2 and done["audit_events"] >= before
    checkpoint = AuditCheckpoint.objects.get()
    left = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert left[0] == "audit_truncated" and "verification_submitted" not in left
    out = verified_trail()
    assert "intact" in out and f"starts after checkpoint {checkpoint.seq}" in out
    # The next run finds the trail's head (its own witness) too recent to remove.
    assert retention.purge(now=timezone.now() + timedelta(days=7 * 365 + 1)).get("audit_events", 0) <= 1
    assert "intact" in verified_trail()


def test_links_removed_outside_retention_are_still_caught():
    rejected_case()
    audit_chain.seal_pending(wait=True)
    first = AuditSeal.objects.order_by("seq").first()
    AuditCheckpoint.objects.create(seq=first.seq, hash=first.hash, events_removed=1, removed_through=timezone.now())
    with connection.cursor() as cursor:  # someone removes the first link and forges a checkpoint for it
        cursor.execute(f"DELETE FROM {AuditSeal._meta.db_table} WHERE seq = %s", [first.seq])
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table} WHERE id = %s", [first.event_id])
    with pytest.raises(CommandError, match="no audit_truncated event"):
        verified_trail()


def test_erasure_through_the_api_gives_a_receipt_and_keeps_the_decision():
    api, client, *_ = client_for("acme")
    other, *_ = client_for("other")
    r = api.post(f"{BASE}/applicants/", {"external_ref": "cust-7"}, format="json")
    applicant_id = r.json()["id"]
    assert api.get(f"{BASE}/applicants/{applicant_id}/erasure/").status_code == 404
    v = submitted_verification("leslie_1", "biden_2", applicant=Applicant.objects.get(pk=applicant_id))
    assert len(stored_files(applicant_id)) == 2
    stored = Check.objects.filter(verification=v, raw_response__isnull=False).count()
    assert other.post(f"{BASE}/applicants/{applicant_id}/erasure/").status_code == 404  # not theirs

    r = api.post(f"{BASE}/applicants/{applicant_id}/erasure/", {"reference": "ticket-991"}, format="json")
    assert r.status_code == 201, r.content
    receipt = r.json()
    assert receipt["erased"] == {
        "identity_data": 0,
        "photos": 2,
        "liveness_files": 0,
        "liveness_bursts": 0,
        "vendor_responses": stored,
        "external_reference": True,
    }
    assert receipt["kept"]["decisions"]["cases"] == 1 and receipt["kept"]["decisions"]["until"]
    assert receipt["kept"]["screening_hits"]["hits"] == 0 and receipt["kept"]["blocklist"]["entries"] == 0
    assert receipt["kept"]["blocklist"]["until"] is None
    assert receipt["requested_by"] == "api:acme" and receipt["reference"] == "ticket-991"
    assert stored_files(applicant_id) == []
    applicant = Applicant.objects.get(pk=applicant_id)
    assert applicant.external_ref == "" and applicant.erased_at is not None
    assert Decision.objects.filter(verification=v).exists()
    # The receipt is checkable against the hash-chained trail.
    content = {k: v for k, v in receipt.items() if k not in ("digest", "audit_event_id")}
    assert audit_chain.canonical_sha256(content) == receipt["digest"]
    event = AuditEvent.objects.get(pk=receipt["audit_event_id"])
    assert event.action == "applicant_erased" and event.data["receipt_digest"] == receipt["digest"]
    assert "intact" in verified_trail()
    # Asking again: the same receipt, nothing new recorded.
    again = api.post(f"{BASE}/applicants/{applicant_id}/erasure/")
    assert again.status_code == 200 and again.json()["receipt_id"] == receipt["receipt_id"]
    assert api.get(f"{BASE}/applicants/{applicant_id}/erasure/").json() == receipt
    assert ErasureReceipt.objects.count() == 1
    assert api.get(f"{BASE}/applicants/{applicant_id}/").json()["erased_at"]


def test_the_receipt_lists_the_list_matches_and_blocklist_entries_erasure_keeps(settings, django_user_model):
    from onboarding.services.faces import blocklist
    from onboarding.services.review.decisions import record_human_decision
    from tests.screening.test_cases import import_list, submitted

    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "screening": ["local"]}
    import_list(("Q2", {"name": ["PETROVA, Olga"], "birthDate": ["1971-05-05"]}))
    v = submitted(declared={"full_name": "Olga Petrova", "date_of_birth": "1971-05-05"})
    assert v.status == Verification.Status.NEEDS_REVIEW
    reviewer = django_user_model.objects.create_user("senior", is_staff=True)
    record_human_decision(v.pk, outcome="reject", comment="listed person", user=reviewer)
    barred = blocklist.add_case(Verification.objects.get(pk=v.pk), reason="listed person", actor=Actor.system("t"))
    assert len(barred) >= 2  # the selfie's face and the card portrait's

    receipt, _ = erase_applicant(v.applicant_id, actor=Actor.system("test"))
    kept = receipt.content["kept"]
    assert kept["screening_hits"]["hits"] == 1
    assert kept["screening_hits"]["until"] == kept["decisions"]["until"] is not None
    last = max(entry.created_at for entry in barred)
    assert kept["blocklist"]["entries"] == len(barred)
    assert kept["blocklist"]["until"] == retention.expires_on(last, "blocklist").isoformat()
    # What the receipt says is kept is there.
    assert ScreeningHit.objects.filter(applicant_id=v.applicant_id).count() == 1
    assert BlocklistEntry.objects.filter(source_applicant_id=v.applicant_id).count() == len(barred)


def test_erasure_waits_for_an_open_case():
    api, *_ = client_for("acme")
    case = shortcut(api).json()
    applicant_id = Verification.objects.get(pk=case["id"]).applicant_id
    r = api.post(f"{BASE}/applicants/{applicant_id}/erasure/")
    assert r.status_code == 409 and r.json()["code"] == "case_open"
    assert len(stored_files(applicant_id)) == 2


def test_an_erased_photo_cannot_be_submitted():
    api, *_ = client_for("acme")
    applicant_id = api.post(f"{BASE}/applicants/", {}, format="json").json()["id"]
    applicant = Applicant.objects.get(pk=applicant_id)
    selfie = add_photo(applicant, Photo.Kind.SELFIE, face_bytes("obama_1"))
    erase_applicant(applicant_id, actor=Actor.system("test"))
    r = api.post(
        f"{BASE}/applicants/{applicant_id}/verifications/",
        {"selfie": str(selfie.pk), "id_card": str(selfie.pk)},
        format="json",
    )
    assert r.status_code == 400 and r.json()["code"] == "invalid_reference"


def test_erasure_and_holds_in_the_admin(client, django_user_model):
    v = rejected_case()
    changelist = "/admin/onboarding/applicant/"
    # A reviewer has neither action.
    client.force_login(staff_in(django_user_model, "rev", "Reviewer"))
    page = client.get(changelist).content.decode()
    assert 'value="erase"' not in page and 'value="place_hold"' not in page
    # A senior reviewer places a hold, with a reason.
    client.force_login(staff_in(django_user_model, "senior", "Senior reviewer"))
    page = client.get(changelist).content.decode()
    assert 'value="place_hold"' in page and 'value="erase"' not in page
    form = {"action": "place_hold", "_selected_action": [str(v.applicant_id)]}
    assert "Give the legal ground" in client.post(changelist, form).content.decode()
    client.post(changelist, {**form, "apply": "1", "text": "regulator inquiry 7"})
    assert retention.is_held(v.applicant_id)
    # An administrator erases: refused while held, done after release, with a receipt to download.
    client.force_login(staff_in(django_user_model, "admin", "KYC administrator"))
    erase = {"action": "erase", "_selected_action": [str(v.applicant_id)], "apply": "1", "text": "DSR-2026-55"}
    assert "legal hold is active" in client.post(changelist, erase, follow=True).content.decode()
    client.post(
        changelist,
        {"action": "release_hold", "_selected_action": [str(v.applicant_id)], "apply": "1", "text": "inquiry closed"},
    )
    page = client.post(changelist, erase, follow=True).content.decode()
    receipt = ErasureReceipt.objects.get()
    assert "erased; receipt" in page and str(receipt.pk) in page and receipt.reference == "DSR-2026-55"
    assert receipt.requested_by == "admin" and stored_files(v.applicant_id) == []
    detail = client.get(f"/admin/onboarding/erasurereceipt/{receipt.pk}/change/").content.decode()
    assert receipt.digest in detail
    download = client.get(f"/admin/onboarding/erasurereceipt/{receipt.pk}/download/")
    assert download.json()["digest"] == receipt.digest and "attachment" in download["Content-Disposition"]


def test_retention_settings_are_checked(settings):
    from onboarding.system_checks import retention_settings

    settings.KYC_RETENTION_DAYS = {**settings.KYC_RETENTION_DAYS, "audit_trail": 30}
    assert [p.id for p in retention_settings()] == ["kyc.W003"]
    settings.KYC_RETENTION_DAYS = {**settings.KYC_RETENTION_DAYS, "photos": -1}
    assert [p.id for p in retention_settings()] == ["kyc.E005"]


def test_kyc_purge_command_reports_what_is_due():
    v = rejected_case()
    decided_ago(v, 31)
    out = StringIO()
    call_command("kyc_purge", "--dry-run", stdout=out)
    assert "due: photos: 2" in out.getvalue() and len(stored_files(v.applicant_id)) == 2
    out = StringIO()
    call_command("kyc_purge", stdout=out)
    assert "purged: photos: 2" in out.getvalue() and stored_files(v.applicant_id) == []
