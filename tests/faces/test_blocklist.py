"""The blocklist: reviewers with the permission bar a case's faces and document number with a
reason; later cases that match get blocklisted_face / blocklisted_document under the policy; adding
and removing are audited; an entry outlives the original photos under its own retention."""

import io
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from onboarding.models import AuditEvent, BlocklistEntry, BlocklistMatch, Photo, Verification
from onboarding.roles import ensure_roles
from onboarding.services.compliance import audit, retention
from onboarding.services.faces import blocklist
from onboarding.services.policy import versions
from tests.factories import submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def scans(settings):
    settings.KYC_DUPLICATE_SCAN = True
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}


def codes(v):
    return [r["code"] for r in Verification.objects.get(pk=v.pk).decisions.latest("created_at").reasons]


@pytest.fixture
def senior(django_user_model):
    ensure_roles()
    user = django_user_model.objects.create_user("senior", password="x", is_staff=True)
    user.groups.add(Group.objects.get(name="Senior reviewer"))
    return user


def test_a_senior_reviewer_bars_a_case_and_a_later_face_match_goes_to_review_at_level_1(
    client, senior, django_user_model
):
    fraud = submitted_verification("obama_1", "biden_1")
    reviewer = django_user_model.objects.create_user("reviewer", password="x", is_staff=True)
    reviewer.groups.add(Group.objects.get(name="Reviewer"))
    client.force_login(reviewer)
    url = reverse("admin:onboarding_verification_blocklist", args=[fraud.pk])
    assert client.post(url, {"reason": "synthetic identity"}).status_code == 403  # not theirs to do
    client.force_login(senior)
    client.post(url, {"reason": "synthetic identity ring"})
    assert BlocklistEntry.objects.filter(kind="face").count() == 2  # the selfie's and the card's faces
    assert AuditEvent.objects.filter(action="blocklist_added", verification_id=fraud.pk).exists()

    later = submitted_verification("obama_2", "leslie_1")  # the same man, another applicant
    later = Verification.objects.get(pk=later.pk)
    assert "blocklisted_face" in codes(later) and later.status == Verification.Status.NEEDS_REVIEW
    assert later.risk_level == "1" and BlocklistMatch.objects.filter(verification=later).exists()
    page = client.get(reverse("admin:onboarding_verification_change", args=[later.pk])).content.decode()
    assert "synthetic identity ring" in page


def test_the_policy_may_make_a_blocklisted_face_reject():
    fraud = submitted_verification("obama_1", "biden_1")
    blocklist.add_case(fraud, reason="fraud", actor=audit.Actor.system("test"))
    versions.publish({"blocklist": "reject"}, actor=audit.Actor.system("test"), comment="t")
    later = submitted_verification("obama_2", "leslie_1")
    assert Verification.objects.get(pk=later.pk).status == Verification.Status.REJECTED
    assert "blocklisted_face" in codes(later)
    with pytest.raises(versions.PolicyError):
        versions.validate({"blocklist": "maybe"})


def test_removed_entries_no_longer_match_and_the_removal_is_audited():
    fraud = submitted_verification("obama_1", "biden_1")
    entries = blocklist.add_case(fraud, reason="fraud", actor=audit.Actor.system("test"))
    for entry in entries:
        assert blocklist.remove(entry.pk, actor=audit.Actor.system("test"), why="cleared")
    later = submitted_verification("obama_2", "leslie_1")
    assert "blocklisted_face" not in codes(later)
    assert AuditEvent.objects.filter(action="blocklist_removed").count() == len(entries)


def test_an_entry_outlives_the_original_photos_and_has_its_own_retention(settings):
    fraud = submitted_verification("obama_1", "biden_1")
    blocklist.add_case(fraud, reason="fraud", actor=audit.Actor.system("test"))
    Photo.objects.filter(applicant=fraud.applicant).update(created_at=timezone.now() - timedelta(days=60))
    Verification.objects.filter(pk=fraud.pk).update(status="rejected", decided_at=timezone.now() - timedelta(days=60))
    retention.purge()
    assert Photo.objects.filter(applicant=fraud.applicant, purged_at__isnull=False).count() == 2
    later = submitted_verification("obama_2", "leslie_1")
    assert "blocklisted_face" in codes(later)  # its own template, not the purged photo's
    settings.KYC_RETENTION_DAYS = {**settings.KYC_RETENTION_DAYS, "blocklist": 30}
    BlocklistEntry.objects.update(created_at=timezone.now() - timedelta(days=31))
    assert retention.purge()["blocklist_entries"] == 2 and not BlocklistEntry.objects.exists()


def test_a_document_number_on_the_blocklist(settings):
    from tests.documents.test_cases import VALID, case, documents_read  # noqa: F401

    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "document": ["local"]}
    first = case()
    entries = blocklist.add_case(first, reason="stolen card", actor=audit.Actor.system("test"))
    assert {e.kind for e in entries} == {"face", "document"}
    document = next(e for e in entries if e.kind == "document")
    assert VALID.number.encode() not in bytes(document.number) and VALID.number not in document.number_digest
    BlocklistEntry.objects.filter(kind="face").delete()
    again = case()
    assert "blocklisted_document" in codes(again)


def test_the_command_adds_lists_and_removes():
    fraud = submitted_verification("obama_1", "biden_1")
    out = io.StringIO()
    call_command("kyc_blocklist", "add", "--case", str(fraud.pk), "--reason", "mule account", stdout=out)
    assert out.getvalue().count("added") == 2
    out = io.StringIO()
    call_command("kyc_blocklist", "list", stdout=out)
    assert "mule account" in out.getvalue()
    entry = BlocklistEntry.objects.first()
    call_command("kyc_blocklist", "remove", str(entry.pk), stdout=io.StringIO())
    assert BlocklistEntry.objects.count() == 1


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_where_the_faces_were_not_embedded_a_worker_bars_them_not_the_web(
    client, senior, settings, monkeypatch, django_capture_on_commit_callbacks
):
    from onboarding.services.applicant.analysis import stored_analysis
    from vendors.engine import FaceEngine

    # Faces compared by a vendor, no duplicate scan: the quality check's analyses have no embedding.
    settings.KYC_DUPLICATE_SCAN = False
    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": [], "compare": []}
    with django_capture_on_commit_callbacks(execute=True):
        fraud = submitted_verification("obama_1", "biden_1")
    fraud = Verification.objects.select_related("selfie", "id_card").get(pk=fraud.pk)
    assert not stored_analysis(fraud.selfie).complete and not blocklist.faces_ready(fraud)
    embedded = []
    real = FaceEngine.embed
    monkeypatch.setattr(FaceEngine, "embed", lambda self, *a, **k: embedded.append(1) or real(self, *a, **k))
    client.force_login(senior)
    url = reverse("admin:onboarding_verification_blocklist", args=[fraud.pk])
    with django_capture_on_commit_callbacks() as tasks:  # the worker has not run yet
        page = client.post(url, {"reason": "synthetic identity ring"}, follow=True).content.decode()
    assert embedded == [] and not BlocklistEntry.objects.exists()  # no face model in the web request
    assert "being analysed" in page
    for task in tasks * 2:  # the worker; a task delivered twice adds nothing more
        task()
    assert len(embedded) == 2 and BlocklistEntry.objects.filter(kind="face").count() == 2
    added = AuditEvent.objects.get(action="blocklist_added", verification_id=fraud.pk)
    assert added.actor == "senior" and added.actor_type == "staff"
    assert AuditEvent.objects.filter(action="blocklist_not_added").count() == 1  # the second delivery
    assert blocklist.faces_ready(fraud)  # the embeddings are kept with the photos
    page = client.post(url, {"reason": "again"}, follow=True).content.decode()  # at once now, and nothing new
    assert "on the blocklist already" in page and BlocklistEntry.objects.count() == 2
