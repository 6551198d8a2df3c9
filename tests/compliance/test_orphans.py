"""No stored file outlives its row: rolled-back writes take their files along, and the purge removes
whatever a crash leaves behind."""

import os
import threading
from concurrent.futures import ThreadPoolExecutor
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management import call_command
from django.db import connection
from django.test import Client

from onboarding import storage
from onboarding.models import AuditEvent, LivenessDataFile, Photo, Verification, private_storage
from onboarding.services.compliance import retention
from tests.api.test_api import BASE, client_for
from tests.conftest import face_bytes, id_card_bytes
from tests.factories import ApplicantFactory

pytestmark = pytest.mark.django_db(transaction=True)


def stored() -> set[str]:
    root = Path(settings.KYC_PRIVATE_MEDIA_ROOT)
    return {str(p.relative_to(root)) for p in root.rglob("*") if p.is_file()}


def referenced() -> set[str]:
    return {p.file.name for p in Photo.objects.exclude(file="")} | {
        f.file.name for f in LivenessDataFile.objects.exclude(file="")
    }


def test_concurrent_requests_with_one_idempotency_key_leave_no_files_behind(settings):
    """The losers of the race roll back their rows: their encrypted photos go with them."""
    if connection.vendor != "postgresql" and os.environ.get("KYC_REQUIRE_SERVICES") != "1":
        pytest.skip("concurrent writers need PostgreSQL (SQLite serialises them)")
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}
    _api, _client, _key, raw = client_for("racer")
    selfie, card = face_bytes("obama_1"), id_card_bytes("obama_2")
    before = stored()
    n = 6
    barrier = threading.Barrier(n)

    def one(_i):
        from django.core.files.uploadedfile import SimpleUploadedFile

        body = {
            "selfie": SimpleUploadedFile("s.jpg", selfie, "image/jpeg"),
            "id_card": SimpleUploadedFile("c.jpg", card, "image/jpeg"),
        }
        barrier.wait()
        try:
            return Client(HTTP_AUTHORIZATION=f"Bearer {raw}", HTTP_IDEMPOTENCY_KEY="same-key").post(
                f"{BASE}/verifications/", body
            )
        finally:
            connection.close()

    with ThreadPoolExecutor(n) as pool:
        responses = list(pool.map(one, range(n)))
    assert {r.status_code for r in responses} == {201}
    assert len({r.json()["id"] for r in responses}) == 1
    assert Verification.objects.count() == 1 and Photo.objects.count() == 2
    assert stored() - before == referenced()


def test_a_rolled_back_block_deletes_its_files_and_hands_them_up_when_it_commits():
    fs = private_storage()
    applicant = ApplicantFactory()

    def write(tag):
        photo = Photo(applicant=applicant, kind=Photo.Kind.SELFIE, sha256=tag, source_sha256=tag, size=1)
        photo.file.save("x", ContentFile(b"data"), save=False)
        storage.written(photo.file)
        return photo.file.name

    with pytest.raises(RuntimeError):
        with storage.atomic():
            inner_only = write("a")
            raise RuntimeError
    assert not fs.exists(inner_only)
    with pytest.raises(RuntimeError):
        with storage.atomic():
            with storage.atomic():
                committed_inside = write("b")
            raise RuntimeError  # the enclosing transaction rolls back: the inner file goes too
    assert not fs.exists(committed_inside)
    with storage.atomic():
        kept = write("c")
    assert fs.exists(kept)
    fs.delete(kept)


def test_the_purge_removes_files_no_row_references(settings):
    settings.KYC_ORPHAN_GRACE_SECONDS = 0
    applicant = ApplicantFactory()
    fs = private_storage()
    orphan = fs.save(f"photos/{applicant.pk}/left-by-a-crash", ContentFile(b"an encrypted id card"))
    from onboarding.services.applicant.applicants import add_photo

    kept = add_photo(applicant, Photo.Kind.SELFIE, face_bytes("obama_1"))
    settings.KYC_ORPHAN_GRACE_SECONDS = 3600
    assert orphan not in set(retention.orphaned_files())  # everything is younger than an hour
    settings.KYC_ORPHAN_GRACE_SECONDS = 0
    out = StringIO()
    call_command("kyc_purge", "--dry-run", stdout=out)
    assert "due: orphaned_files:" in out.getvalue()
    assert orphan in set(retention.orphaned_files())
    assert kept.file.name not in set(retention.orphaned_files())
    retention.purge()
    assert not fs.exists(orphan) and fs.exists(kept.file.name)
    event = AuditEvent.objects.filter(action="orphaned_files_deleted").latest("created_at")
    assert orphan in event.data["files"]
