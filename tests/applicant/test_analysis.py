"""Each stored photo is analysed once; every check and the duplicate scan reuse that analysis."""

import io
from datetime import timedelta

import pytest
from django.utils import timezone
from PIL import Image

from onboarding.encryption import DecryptionError
from onboarding.models import Check, Photo, PhotoAnalysis, Verification
from onboarding.services.applicant import analysis as analysis_service
from onboarding.services.applicant.analysis import analysis_of, stored_analysis
from onboarding.services.compliance import audit
from onboarding.services.compliance.erasure import erase_applicant
from onboarding.services.pipeline import checks as checks_service
from onboarding.services.pipeline.verifications import submit_verification
from tests.conftest import face_bytes, id_card_bytes, jpeg_bytes
from tests.factories import ApplicantFactory, PhotoFactory, submitted_verification
from vendors.engine import FaceEngine
from vendors.pad import MEASURE

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def engine_calls(monkeypatch):
    """Counts the engine's real work: detections (an analysis's or a frame's; upsampled tries apart)
    and embeddings."""
    id_card_bytes("obama_2")  # the test card is made (with the engine) once per run: before counting
    calls = {"detect": 0, "embed": 0, "upsample": 0}
    real_locate = FaceEngine._locate

    def counting_locate(self, small, upsample):
        calls["upsample"] += upsample
        return real_locate(self, small, upsample)

    monkeypatch.setattr(FaceEngine, "_locate", counting_locate)
    for name, counter in (("locate", "detect"), ("detect", "detect"), ("embed", "embed")):
        real = getattr(FaceEngine, name)

        def counted(self, *args, _real=real, _counter=counter, **kwargs):
            calls[_counter] += 1
            return _real(self, *args, **kwargs)

        monkeypatch.setattr(FaceEngine, name, counted)
    return calls


def all_local(settings):
    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": ["local"], "compare": ["local"]}
    settings.KYC_DUPLICATE_SCAN = True


def test_a_case_analyses_each_photo_once(settings, engine_calls):
    all_local(settings)
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    kinds = set(Check.objects.filter(verification=v, status=Check.Status.COMPLETED).values_list("kind", flat=True))
    assert kinds == {"quality", "compare"} and not v.duplicates_pending  # liveness: no challenge here
    # Quality of both photos, the compare and the duplicate scan: two detections, two embeddings.
    assert engine_calls["detect"] == 2 and engine_calls["embed"] == 2
    assert engine_calls["upsample"] == 0  # both faces are found on the small copy
    assert PhotoAnalysis.objects.filter(applicant=v.applicant, has_embedding=True).count() == 2


def test_the_engines_checks_do_not_read_the_photos_their_analyses_hold(settings, monkeypatch):
    """A photo is decrypted to be analysed; the local checks then judge its analysis without
    reading the photo again (a vendor's check reads it when it sends it)."""
    all_local(settings)
    read = []
    real = checks_service.read_file
    monkeypatch.setattr(checks_service, "read_file", lambda item: read.append(item) or real(item))
    v = submitted_verification("obama_1", "obama_2")
    kinds = set(Check.objects.filter(verification=v, status=Check.Status.COMPLETED).values_list("kind", flat=True))
    assert kinds == {"quality", "compare"} and read == []


def test_a_selfies_kept_measures_of_another_kind_are_made_again_when_judged(settings):
    """An analysis kept by an earlier version has presentation-attack measures of another kind:
    the quality check makes them again from the photo rather than judge by those."""
    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": [], "compare": []}
    settings.KYC_DUPLICATE_SCAN = False
    applicant = ApplicantFactory()
    selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
    card = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=id_card_bytes("obama_2"))
    kept = analysis_of(selfie, embedding=False)
    assert kept.pad_current and kept.pad["flags"] == []
    kept.pad = {"face_spectral_peak": 30.0, "flags": ["periodic_pattern"]}  # as an earlier measure kept it
    analysis_service.store(selfie, kept, PhotoAnalysis.objects.get(photo=selfie))
    assert not stored_analysis(Photo.objects.get(pk=selfie.pk)).pad_current

    v = submit_verification(applicant, selfie=selfie, id_card=card)
    quality = Check.objects.get(verification=v, kind="quality", subject="selfie")
    assert quality.details["presentation_attack_heuristics"]["measure"] == MEASURE
    assert "heuristic_flags" not in quality.details


def test_a_quality_check_alone_makes_no_embedding_and_a_later_compare_adds_it(settings, engine_calls):
    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": [], "compare": []}
    settings.KYC_DUPLICATE_SCAN = False
    v = submitted_verification("obama_1", "obama_2")
    assert engine_calls == {"detect": 2, "embed": 0, "upsample": 0}
    assert not PhotoAnalysis.objects.filter(has_embedding=True).exists()
    selfie = analysis_of(Photo.objects.get(pk=v.selfie_id))  # a compare asks for the embedding
    assert selfie.embedding.shape == (128,)
    assert engine_calls["detect"] == 2 and engine_calls["embed"] == 1  # from the stored landmarks
    again = stored_analysis(Photo.objects.get(pk=v.selfie_id))
    assert (again.embedding == selfie.embedding).all() and again.faces[0].box == selfie.faces[0].box


def test_the_embedding_from_stored_landmarks_is_the_one_made_at_once():
    data = face_bytes("biden_1")
    fresh = analysis_service.analyse(data, selfie=True)
    later = analysis_service.add_embedding(analysis_service.analyse(data, selfie=True, embedding=False), data)
    assert float(((fresh.embedding - later.embedding) ** 2).sum()) < 1e-10


def test_the_analysis_is_encrypted_and_bound_to_its_photo():
    applicant = ApplicantFactory()
    photo = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
    other = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("biden_1"))
    analysis_of(photo)
    row = PhotoAnalysis.objects.get(photo=photo)
    assert bytes(row.data).startswith(b"KYC1") and b"landmarks" not in bytes(row.data)
    assert bytes(row.embedding).startswith(b"KYC1") and row.sha256 == photo.sha256
    # Copied onto another photo's row, it does not decrypt.
    PhotoAnalysis.objects.create(
        photo=other, applicant=applicant, sha256=other.sha256, engine=row.engine, data=row.data, embedding=b""
    )
    with pytest.raises(DecryptionError):
        stored_analysis(other)


def test_an_analysis_of_another_image_or_engine_is_made_again(engine_calls):
    photo = PhotoFactory(kind=Photo.Kind.ID_CARD, source=id_card_bytes("obama_2"))
    analysis_of(photo)
    analysis_of(photo)
    assert engine_calls["detect"] == 1
    PhotoAnalysis.objects.filter(photo=photo).update(engine="hog800/older")
    analysis_of(Photo.objects.get(pk=photo.pk))  # as loaded later (an instance keeps what it stored)
    assert engine_calls["detect"] == 2
    Photo.objects.filter(pk=photo.pk).update(sha256="0" * 64)  # the stored file was replaced
    analysis_of(Photo.objects.get(pk=photo.pk))
    assert engine_calls["detect"] == 3
    assert PhotoAnalysis.objects.filter(photo=photo).count() == 1


def test_a_dead_makers_claim_is_taken_over_and_a_live_one_waited_for(engine_calls, monkeypatch):
    photo = PhotoFactory(kind=Photo.Kind.SELFIE, source=face_bytes("leslie_1"))
    stale = timezone.now() - timedelta(seconds=analysis_service.CLAIM_SECONDS + 5)
    PhotoAnalysis.objects.create(photo=photo, applicant=photo.applicant, claimed_at=stale)
    assert analysis_of(photo).embedding is not None and engine_calls["detect"] == 1
    assert PhotoAnalysis.objects.get(photo=photo).claimed_at is None

    second = PhotoFactory(kind=Photo.Kind.SELFIE, source=face_bytes("biden_2"))
    PhotoAnalysis.objects.create(photo=second, applicant=second.applicant, claimed_at=timezone.now())
    waited = []
    monkeypatch.setattr(analysis_service, "CLAIM_SECONDS", 0.2)
    monkeypatch.setattr(analysis_service.time, "sleep", lambda s: waited.append(s))
    analysis_of(second)  # waits for the live claim (here: until its bound), then makes it
    assert waited and engine_calls["detect"] == 2


def test_a_failed_analysis_leaves_no_claim_behind(monkeypatch):
    photo = PhotoFactory(kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))

    def broken(*args, **kwargs):
        raise RuntimeError("engine crashed")

    monkeypatch.setattr(analysis_service, "analyse", broken)
    with pytest.raises(RuntimeError):
        analysis_of(photo)
    assert not PhotoAnalysis.objects.filter(photo=photo).exists()  # a first analysis is kept once made
    monkeypatch.undo()
    analysis_of(photo, embedding=False)
    monkeypatch.setattr(analysis_service, "add_embedding", broken)
    with pytest.raises(RuntimeError):
        analysis_of(photo)  # the embedding is added under a claim
    assert PhotoAnalysis.objects.get(photo=photo).claimed_at is None


def test_a_first_analysis_kept_meanwhile_by_another_process_is_left_to_it(monkeypatch):
    photo = PhotoFactory(kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
    real = analysis_service._complete

    def racing(*args):
        made = real(*args)
        # Another process looked at the same moment, and claimed the row to add an embedding.
        PhotoAnalysis.objects.create(photo=photo, applicant=photo.applicant, claimed_at=timezone.now())
        return made

    monkeypatch.setattr(analysis_service, "_complete", racing)
    photo = Photo.objects.select_related("analysis").get(pk=photo.pk)  # as a claim loads it: no row
    made = analysis_of(photo, embedding=False)
    assert len(made.faces) == 1  # this check goes on with its own
    row = PhotoAnalysis.objects.get(photo=photo)
    assert row.claimed_at is not None and not row.data  # the other's row, as it left it
    monkeypatch.setattr(analysis_service, "_complete", real)
    monkeypatch.setattr(analysis_service.time, "sleep", lambda s: row.delete())  # the other dies
    assert len(analysis_of(photo, embedding=False).faces) == 1  # the next look saw the other's row
    assert PhotoAnalysis.objects.get(photo=photo).data  # and, that one gone, kept its own


@pytest.mark.parametrize("size,thumbnail,upsampled", [((1900, 1400), 480, False), ((1200, 900), 300, True)])
def test_a_face_too_small_for_the_small_copy_is_looked_for_closer(engine_calls, size, thumbnail, upsampled):
    """The selfie's face shrunk onto a wide canvas, under 80 px on the 640-px copy: found on the
    stored pixels where they are at least twice the copy's, else on the copy upsampled."""
    face = Image.open(io.BytesIO(face_bytes("obama_1"))).convert("RGB")
    face.thumbnail((thumbnail, thumbnail))
    canvas = Image.new("RGB", size, (200, 190, 180))
    canvas.paste(face, (size[0] // 2 - 100, size[1] // 2 - 100))
    result = analysis_service.analyse(jpeg_bytes(canvas, quality=92), selfie=True, embedding=False)
    assert len(result.faces) == 1 and engine_calls["upsample"] == int(upsampled)


def test_erasure_and_retention_delete_the_analyses(settings):
    all_local(settings)
    v = submitted_verification("obama_1", "obama_2")
    assert PhotoAnalysis.objects.filter(applicant=v.applicant).count() == 2
    Verification.objects.filter(pk=v.pk).update(status=Verification.Status.REJECTED)  # decided: erasable
    erase_applicant(v.applicant_id, actor=audit.Actor.system("test"), reference="request 1")
    assert not PhotoAnalysis.objects.filter(photo__applicant=v.applicant_id).exists()


def test_with_the_database_unreachable_the_analysis_is_made_and_not_kept(monkeypatch):
    from django.db import OperationalError

    photo = PhotoFactory(kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))

    def unreachable(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(PhotoAnalysis.objects, "filter", unreachable)
    made = analysis_of(photo)  # a check goes on; its answer waits for the database
    assert made.embedding is not None and len(made.faces) == 1
    monkeypatch.undo()
    assert not PhotoAnalysis.objects.filter(photo=photo).exists()
