"""The local engine on real photos: dlib detection, landmarks, embeddings."""

import io

import pytest
from PIL import Image, ImageEnhance, ImageFilter

from onboarding.services.applicant.images import normalize_image
from tests.conftest import face_bytes, id_card_bytes, jpeg_bytes, selfie_from_afar
from vendors.base import CheckKind, CheckRequest, ImageInput, ResultStatus, Subject
from vendors.exceptions import BadInputError
from vendors.registry import get_backend


def image(data):
    n = normalize_image(data)
    return ImageInput.of(n.data, n.content_type, n.width, n.height, n.sha256)


def request(kind, subject=Subject.SELFIE, selfie=None, id_card=None):
    return CheckRequest(kind=kind, subject=subject, request_id="test", selfie=selfie, id_card=id_card)


@pytest.fixture(scope="module")
def local():
    return get_backend("local")


@pytest.mark.parametrize("selfie,card", [("obama_1", "obama_2"), ("biden_1", "biden_2"), ("leslie_1", "leslie_2")])
def test_same_person_against_id_card_passes(local, selfie, card):
    result = local.run(request(CheckKind.COMPARE, Subject.PAIR, image(face_bytes(selfie)), image(id_card_bytes(card))))
    assert result.passed is True
    assert result.score > result.threshold == 50.0
    assert "0.6" in result.threshold_source
    assert result.details["distance"] < 0.5


@pytest.mark.parametrize("selfie,card", [("obama_1", "biden_2"), ("leslie_1", "obama_2"), ("biden_1", "leslie_2")])
def test_different_people_fail(local, selfie, card):
    result = local.run(request(CheckKind.COMPARE, Subject.PAIR, image(face_bytes(selfie)), image(id_card_bytes(card))))
    assert result.passed is False
    assert result.score < 40
    assert [r.code for r in result.reasons] == ["face_mismatch"]


def test_threshold_override_from_settings_is_recorded(local, settings):
    settings.KYC_THRESHOLDS = {"local_compare": 80.0}
    result = local.run(
        request(CheckKind.COMPARE, Subject.PAIR, image(face_bytes("obama_1")), image(id_card_bytes("obama_2")))
    )
    assert result.threshold == 80.0 and result.passed is False
    assert result.threshold_source == "setting KYC_THRESHOLD_LOCAL_COMPARE"


def test_compare_without_a_face_is_bad_input(local):
    blank = image(jpeg_bytes(Image.new("RGB", (640, 480), (120, 160, 200))))
    with pytest.raises(BadInputError) as info:
        local.run(request(CheckKind.COMPARE, Subject.PAIR, blank, image(id_card_bytes("obama_2"))))
    assert info.value.code == "no_face" and info.value.applicant_message


def test_quality_good_selfie_and_card(local):
    assert local.run(request(CheckKind.QUALITY, Subject.SELFIE, selfie=image(face_bytes("obama_1")))).passed
    card = local.run(request(CheckKind.QUALITY, Subject.ID_CARD, id_card=image(id_card_bytes("obama_2"))))
    assert card.passed, card.reasons


def test_quality_two_faces(local):
    result = local.run(request(CheckKind.QUALITY, Subject.SELFIE, selfie=image(face_bytes("two_people"))))
    assert not result.passed and "multiple_faces" in [r.code for r in result.reasons]


def test_quality_blurry_selfie(local):
    blurred = Image.open(io.BytesIO(face_bytes("obama_1"))).filter(ImageFilter.GaussianBlur(8))
    result = local.run(request(CheckKind.QUALITY, Subject.SELFIE, selfie=image(jpeg_bytes(blurred))))
    assert not result.passed
    assert {r.code for r in result.reasons} & {"blurry", "no_face"}


def test_quality_dark_selfie(local):
    dark = ImageEnhance.Brightness(Image.open(io.BytesIO(face_bytes("obama_1")))).enhance(0.25)
    result = local.run(request(CheckKind.QUALITY, Subject.SELFIE, selfie=image(jpeg_bytes(dark))))
    assert "too_dark" in [r.code for r in result.reasons] or "no_face" in [r.code for r in result.reasons]
    assert not result.passed


def test_card_without_portrait(local):
    card = image(jpeg_bytes(Image.new("RGB", (856, 540), (214, 229, 240))))
    result = local.run(request(CheckKind.QUALITY, Subject.ID_CARD, id_card=card))
    assert "no_face_on_id" in [r.code for r in result.reasons]


def test_liveness_is_honestly_not_applicable(local):
    result = local.run(request(CheckKind.LIVENESS, selfie=image(face_bytes("obama_1"))))
    assert result.status == ResultStatus.NOT_APPLICABLE
    assert result.score is None and result.passed is None
    assert result.reasons[0].code == "liveness_unavailable"


def turned_jpeg(data: bytes, degrees: int) -> bytes:
    """The photo turned `degrees` counter-clockwise, with no EXIF orientation to say so."""
    return jpeg_bytes(Image.open(io.BytesIO(data)).convert("RGB").rotate(degrees, expand=True), quality=92)


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_sideways_or_upside_down_selfie_and_card_are_turned_upright(local, degrees):
    selfie, card = turned_jpeg(face_bytes("obama_1"), degrees), turned_jpeg(id_card_bytes("obama_2"), degrees)
    upright = local.run(
        request(CheckKind.COMPARE, Subject.PAIR, image(face_bytes("obama_1")), image(id_card_bytes("obama_2")))
    )
    result = local.run(request(CheckKind.COMPARE, Subject.PAIR, image(selfie), image(card)))
    assert result.passed is True
    assert result.details["selfie_faces"] == result.details["id_card_faces"] == 1
    assert abs(result.details["distance"] - upright.details["distance"]) < 0.05
    quality = local.run(request(CheckKind.QUALITY, Subject.SELFIE, selfie=image(selfie)))
    assert quality.passed, quality.reasons
    assert quality.details["turned_degrees"] == 360 - degrees  # the turn back
    # Turned, another person's card is still another person.
    other = local.run(
        request(CheckKind.COMPARE, Subject.PAIR, image(selfie), image(turned_jpeg(id_card_bytes("biden_2"), degrees)))
    )
    assert other.passed is False and other.score < 40


def test_points_turned_and_turned_back_are_where_they_were():
    from vendors.engine import turn_points, unturn_points

    points, size = [[0, 0], [639, 5], [12, 479], [300, 200]], (640, 480)
    assert turn_points(points, 0, size) == points
    for turn in (90, 180, 270):
        there = turn_points(points, turn, size)
        turned_size = size if turn == 180 else size[::-1]
        assert all(0 <= x <= turned_size[0] and 0 <= y <= turned_size[1] for x, y in there)
        assert unturn_points(there, turn, turned_size) == points


def test_an_upright_photo_is_not_turned_and_a_faceless_one_stays_as_it_is():
    from vendors.analysis import analyse

    assert analyse(face_bytes("obama_1"), selfie=True, embedding=False).turn == 0
    assert analyse(id_card_bytes("obama_2"), selfie=False, embedding=False).turn == 0
    blank = analyse(jpeg_bytes(Image.new("RGB", (856, 540), (214, 229, 240))), selfie=False, embedding=False)
    assert blank.turn == 0 and blank.faces == []


def test_a_blank_frame_is_not_searched_and_a_very_dark_face_still_is(monkeypatch):
    """A covered lens or a blank page shows nothing to find (engine.FLAT): no search, where HOG
    would try every turn and then look closer (ten times a face's photo); a face darkened to a
    twentieth of its light still is looked for, and found."""
    from vendors.analysis import analyse, upright_turn
    from vendors.engine import FaceEngine

    searched = []
    real = FaceEngine._locate
    monkeypatch.setattr(FaceEngine, "_locate", lambda self, copy, up: searched.append(up) or real(self, copy, up))
    for colour in ((0, 0, 0), (255, 255, 255), (128, 128, 128)):
        data = jpeg_bytes(Image.new("RGB", (2000, 1500), colour))
        for selfie in (True, False):
            found = analyse(data, selfie=selfie, embedding=False)
            assert found.faces == [] and found.turn == 0 and "brightness" in found.measures
        assert upright_turn(data) is None
    assert searched == []
    dark = ImageEnhance.Brightness(Image.open(io.BytesIO(face_bytes("obama_1")))).enhance(1 / 20)
    assert len(analyse(jpeg_bytes(dark), selfie=True, embedding=False).faces) == 1 and searched


@pytest.mark.parametrize("share", [0.2, 0.3])
def test_a_card_photographed_from_afar_has_its_portrait_found_on_the_stored_pixels(local, monkeypatch, share):
    """The portrait is too small for the 640-px copy, even upsampled; on the stored 2,000 px it is found."""
    from tests.documents import pages
    from vendors.engine import FaceEngine

    sizes = []
    real = FaceEngine._locate
    monkeypatch.setattr(
        FaceEngine, "_locate", lambda self, copy, up: sizes.append((max(copy.size), up)) or real(self, copy, up)
    )
    selfie = image(face_bytes("obama_1"))
    card = image(pages.from_afar(pages.cn_front(pages.Person(), face="obama_2.jpg"), share))
    assert max(card.width, card.height) == 2000
    result = local.run(request(CheckKind.COMPARE, Subject.PAIR, selfie, card))
    assert result.passed is True and result.details["id_card_faces"] == 1
    assert result.details["distance"] < 0.5
    assert (2000, 0) in sizes and (640, 1) not in sizes  # the stored pixels, not the copy upsampled
    other = image(pages.from_afar(pages.cn_front(pages.Person(), face="biden_2.jpg"), share))
    assert local.run(request(CheckKind.COMPARE, Subject.PAIR, selfie, other)).passed is False


@pytest.mark.parametrize("name", ["obama_1", "biden_1", "leslie_1"])
def test_a_selfie_taken_from_afar_is_judged_by_its_faces_size_not_missed(local, name):
    """A selfie stored at 2,000 px whose face is under a sixteenth of its side (too small for the
    640-px copy, even upsampled) is looked for on the stored pixels: a face of the quality check's
    minimum side and more passes, a smaller one is found and said too small, not missing."""
    from vendors.local import MIN_FACE_SIDE

    for side, codes in ((100, []), (65, ["face_too_small"])):
        result = local.run(request(CheckKind.QUALITY, Subject.SELFIE, image(selfie_from_afar(name, side))))
        assert [r.code for r in result.reasons if r.code != "pad_heuristic_flag"] == codes
        assert result.details["image_size"] == [2000, 1500]
        assert (result.details["face_side"] >= MIN_FACE_SIDE) == (not codes)


def test_a_faceless_photo_from_afar_is_looked_at_closely_unless_a_cards_back(monkeypatch):
    """No false face on a large photo without one, looked at on its stored pixels as a selfie or a
    card's front; a card's back is not (it has no portrait, and its text tells its turn)."""
    from tests.documents import pages
    from vendors.analysis import analyse
    from vendors.engine import FaceEngine

    sizes = []
    real = FaceEngine._locate
    monkeypatch.setattr(
        FaceEngine, "_locate", lambda self, copy, up: sizes.append(max(copy.size)) or real(self, copy, up)
    )
    for page in (pages.cn_back(pages.Person()), pages.cn_front(pages.Person(), face=None)):
        data = normalize_image(pages.from_afar(page, 0.3)).data
        for selfie in (False, True):
            assert analyse(data, selfie=selfie, embedding=False).faces == []
            assert 2000 in sizes
            sizes.clear()
        assert analyse(data, selfie=False, embedding=False, turns=False).faces == []
        assert set(sizes) == {640}


@pytest.mark.parametrize("name", ["obama_1", "biden_2", "leslie_1", "leslie_2"])
def test_the_embedding_is_dlibs_own(name):
    """vendors.resnet runs dlib's face recognition network with numpy: for a selfie and a card,
    each descriptor is the one dlib's own face_recognition_model_v1 computes, to float rounding."""
    import os

    import dlib
    import numpy as np

    from vendors.engine import EMBEDDING, decode_rgb, get_engine, models_dir

    dlibs = dlib.face_recognition_model_v1(os.path.join(models_dir(), EMBEDDING))
    for data in (face_bytes(name), id_card_bytes(name)):
        rgb = decode_rgb(data)
        face = get_engine().detect(rgb)[0]
        shape = dlib.full_object_detection(
            dlib.rectangle(*face.box), [dlib.point(int(x), int(y)) for x, y in face.landmarks]
        )
        theirs = np.array(dlibs.compute_face_descriptor(rgb, shape))
        assert np.abs(get_engine().embed(rgb, face) - theirs).max() < 1e-5


def test_another_model_file_is_not_taken_for_the_resnet():
    import os

    from vendors.engine import LANDMARKS_5, models_dir
    from vendors.resnet import FaceResNet

    with pytest.raises(ValueError, match="not dlib's face recognition ResNet"):
        FaceResNet(os.path.join(models_dir(), LANDMARKS_5))


def test_a_processs_threads_do_their_image_work_in_turn(monkeypatch):
    """Analyses started by several threads at once (a thread pool's tasks) run one at a time in the
    process (engine.IMAGE_WORK), each as it would alone; a thread that holds the lock may analyse."""
    import threading
    import time

    from vendors.analysis import add_embedding, analyse
    from vendors.engine import IMAGE_WORK, FaceEngine

    inside, most = [], []
    real = FaceEngine.landmarks

    def landmarks(self, *args):
        inside.append(1)
        most.append(len(inside))
        time.sleep(0.05)  # long enough for another thread to come in, were it let
        inside.pop()
        return real(self, *args)

    monkeypatch.setattr(FaceEngine, "landmarks", landmarks)
    photos = [face_bytes("obama_1"), id_card_bytes("obama_2"), face_bytes("biden_1"), id_card_bytes("biden_2")]
    alone = [analyse(data, selfie=i % 2 == 0, embedding=False) for i, data in enumerate(photos)]
    most.clear()
    results = [None] * len(photos)
    start = threading.Barrier(len(photos))

    def work(i):
        start.wait()
        results[i] = analyse(photos[i], selfie=i % 2 == 0, embedding=False)

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(photos))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert most == [1] * len(photos)
    assert [r.as_dict() for r in results] == [a.as_dict() for a in alone]
    with IMAGE_WORK:
        assert add_embedding(analyse(photos[0], selfie=True, embedding=False), photos[0]).complete
