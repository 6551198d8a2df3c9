"""The face index: built from the encrypted store, kept current before each search, an erased face
never matches again; a scan waits for an index being built, up to a bound."""

from datetime import timedelta

import numpy as np
import pytest
from django.utils import timezone

from onboarding.models import DuplicateSignal, Photo, PhotoAnalysis, Verification
from onboarding.services.applicant.analysis import analysis_of
from onboarding.services.compliance import audit
from onboarding.services.compliance.erasure import erase_applicant
from onboarding.services.faces import index
from onboarding.services.pipeline import duplicates
from tests.conftest import face_bytes
from tests.factories import ApplicantFactory, PhotoFactory, submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def fresh_index():
    index.forget()
    yield
    index.forget()


def stored_face(name):
    photo = PhotoFactory(applicant=ApplicantFactory(), kind=Photo.Kind.SELFIE, source=face_bytes(name))
    return photo, analysis_of(photo).embedding


def test_built_from_the_store_then_kept_current_before_each_search():
    first, vector = stored_face("obama_1")
    built = index.get_index()
    assert built.size == 1 and built.ready.is_set()
    second, _ = stored_face("obama_2")  # stored after the build: taken up by the next search
    found = built.nearest(vector, max_distance=0.45)
    assert [m.photo_id for m in found] == [first.pk, second.pk] and found[0].distance < 1e-5
    assert built.nearest(vector, max_distance=0.45, exclude_applicant=first.applicant_id)[0].photo_id == second.pk
    other, far = stored_face("biden_1")
    assert other.pk not in {m.photo_id for m in built.nearest(vector, max_distance=0.45)}
    assert built.nearest(far, max_distance=0.45)[0].photo_id == other.pk


def test_the_exact_search_agrees_with_brute_force():
    rng = np.random.default_rng(3)
    built = index.FaceIndex()
    vectors = rng.normal(size=(500, 128)).astype(np.float32) / 10
    import uuid

    from onboarding import encryption
    from onboarding.services.applicant.analysis import encode_embedding

    rows = []
    for v in vectors:
        photo_id = uuid.uuid4()
        rows.append((photo_id, uuid.uuid4(), encode_embedding(photo_id, v)))
    built._add(rows)
    query = vectors[7] + 0.01
    expected = np.linalg.norm(vectors - query, axis=1)
    got = built._scan(query, 1.0, 10, None)
    assert [m.photo_id for m in got][:10] == [rows[i][0] for i in np.argsort(expected)[:10] if expected[i] <= 1.0][:10]
    assert encryption  # the templates went through the store's encryption both ways


def test_an_erased_face_never_matches_again_and_leaves_memory():
    first, vector = stored_face("obama_1")
    second, _ = stored_face("obama_2")
    built = index.get_index()
    assert len(built.nearest(vector, max_distance=0.45)) == 2
    v = Verification.objects.create(applicant=second.applicant, selfie=second, id_card=second, status="rejected")
    assert v
    erase_applicant(second.applicant_id, actor=audit.Actor.system("test"))
    assert not PhotoAnalysis.objects.filter(photo=second).exists()
    assert [m.photo_id for m in built.nearest(vector, max_distance=0.45)] == [first.pk]
    assert second.pk.bytes not in built.position and built.size == 1


def test_a_scan_finds_the_same_face_under_another_applicant_through_the_index(settings):
    settings.KYC_DUPLICATE_SCAN = True
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}
    submitted_verification("obama_1", "biden_1")
    second = submitted_verification("obama_2", "leslie_1")
    assert DuplicateSignal.objects.filter(verification=second, kind="same_face").exists()


def test_an_index_being_built_is_waited_for_up_to_the_bound_then_the_case_goes_on(settings, monkeypatch):
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}
    settings.KYC_DUPLICATE_SCAN = True
    settings.KYC_FACE_INDEX_WAIT_SECONDS = 0
    building = index.FaceIndex()  # never ready: another thread would be building it
    monkeypatch.setattr(index, "_index", building)
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    assert v.duplicates_error == "the face index is being built" and v.is_decided
    assert "duplicates_not_checked" in [r["code"] for r in v.decisions.latest("created_at").reasons]


def test_the_sweeper_gives_up_on_a_scan_no_index_worker_took(settings, monkeypatch):
    from onboarding import tasks

    settings.KYC_DUPLICATE_SCAN = True
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}
    monkeypatch.setattr(tasks.scan_duplicates, "apply_async", lambda *a, **k: None)  # no faces worker
    v = submitted_verification("obama_1", "obama_2")
    assert Verification.objects.get(pk=v.pk).duplicates_pending
    assert duplicates.give_up_waiting(timezone.now()) == 0  # within the bound: it waits
    later = timezone.now() + timedelta(seconds=settings.KYC_FACE_INDEX_WAIT_SECONDS + 1)
    assert duplicates.give_up_waiting(later) == 1
    v.refresh_from_db()
    assert v.is_decided and v.duplicates_error == "face index not available in time"
