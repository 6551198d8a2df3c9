"""BlazeFace proposes where faces are; HOG confirms each on a small crop, and still looks at the whole
photo where BlazeFace proposes nothing it confirms. Real models, real photos."""

import pytest
from PIL import Image, ImageDraw

from tests.conftest import FACES, face_bytes, id_card_bytes
from vendors import blazeface, engine
from vendors.engine import FaceEngine, decode_image, detection_copy, get_engine

PHOTOS = sorted(p.stem for p in FACES.glob("*.jpg"))


def copies(data: bytes):
    image = decode_image(data)
    return detection_copy(image.convert("L")), blazeface.proposal_copy(image)


def boxes(located):
    return [(r.left(), r.top(), r.right(), r.bottom()) for r, _score in located]


@pytest.fixture
def whole_copy_searches(monkeypatch):
    """The sizes of the images HOG searched: the copy's own size means the whole copy."""
    sizes = []
    real = FaceEngine._locate

    def recording(self, small, upsample):
        sizes.append(small.size)
        return real(self, small, upsample)

    monkeypatch.setattr(FaceEngine, "_locate", recording)
    return sizes


@pytest.mark.parametrize("name", PHOTOS)
def test_the_faces_found_through_proposals_are_those_hog_finds_on_the_whole_photo(name):
    small, colour = copies(face_bytes(name))
    engine_ = get_engine()
    whole = boxes(engine_.locate(small, turns=False)[1])
    proposed = boxes(engine_.locate(small, turns=False, colour=colour)[1])
    assert whole and len(proposed) == len(whole)
    for box in whole:  # HOG's boxes move by a cell of its grid between one crop and another
        assert max(blazeface.overlap(box, p) for p in proposed) > 0.6


@pytest.mark.parametrize("name", ["obama_2", "biden_2", "leslie_2"])
def test_a_cards_portrait_is_confirmed_on_a_crop_not_searched_for(name, whole_copy_searches):
    data = id_card_bytes(name)
    small, colour = copies(data)
    turn, located = get_engine().locate(small, colour=colour)
    assert turn == 0 and len(located) == 1
    assert whole_copy_searches and all(size != small.size for size in whole_copy_searches)
    assert all(w * h < small.width * small.height / 4 for w, h in whole_copy_searches)


def test_a_sideways_card_is_turned_upright_through_proposals():
    small, colour = copies(id_card_bytes("obama_2"))
    sideways, sideways_colour = small.transpose(Image.Transpose.ROTATE_90), colour.transpose(Image.Transpose.ROTATE_90)
    turn, located = get_engine().locate(sideways, colour=sideways_colour)
    assert turn == 270 and len(located) == 1


def test_without_a_confirmed_proposal_hog_searches_the_whole_copy(monkeypatch, whole_copy_searches):
    small, colour = copies(face_bytes("obama_1"))
    engine_ = get_engine()
    monkeypatch.setattr(engine_, "_proposer", lambda copy: [])  # a face BlazeFace does not see
    turn, located = engine_.locate(small, colour=colour)
    assert turn == 0 and len(located) == 1
    assert whole_copy_searches == [small.size]


def test_a_crowd_of_proposals_costs_one_whole_copy_search(monkeypatch, whole_copy_searches):
    small, colour = copies(face_bytes("two_people"))
    engine_ = get_engine()
    many = [blazeface.Proposal((0.1 * i, 0.1, 0.1 * i + 0.08, 0.2), 0.9) for i in range(engine.MAX_PROPOSALS + 1)]
    monkeypatch.setattr(engine_, "_proposer", lambda copy: many)
    assert len(engine_.locate(small, turns=False, colour=colour)[1]) == 2
    assert whole_copy_searches == [small.size]


def test_no_face_is_proposed_on_a_page_of_text_and_shapes():
    page = Image.new("RGB", (640, 480), (235, 235, 225))
    draw = ImageDraw.Draw(page)
    for i in range(12):
        draw.text((20, 20 + 36 * i), "SURNAME GIVEN NAMES 1990-01-01 P<CHN" * 2, fill=(20, 20, 20))
        draw.ellipse((400 + 10 * (i % 3), 40 * i, 440 + 10 * (i % 3), 40 * i + 30), outline=(90, 40, 40))
    assert blazeface.BlazeFace()(blazeface.proposal_copy(page)) == []


def test_proposals_are_fractions_of_the_photo_most_likely_first():
    image = decode_image(face_bytes("two_people"))
    found = blazeface.BlazeFace()(blazeface.proposal_copy(image))
    assert len(found) == 2
    assert all(0 <= left < right <= 1 and 0 <= top < bottom <= 1 for left, top, right, bottom in (p.box for p in found))
    assert found[0].score >= found[1].score >= 0.5


def test_a_face_confirmed_only_weakly_leaves_the_decision_to_the_whole_copy(monkeypatch, whole_copy_searches):
    """BlazeFace proposes faces turned upside down too, and HOG scores some of them on a crop as it
    scores a poor upright face (0.55 on a generated card): below CONFIRMED the whole copy decides."""
    image = engine.turned(decode_image(id_card_bytes("obama_2")), 180)
    small, colour = detection_copy(image.convert("L")), blazeface.proposal_copy(image)
    engine_ = get_engine()
    assert engine_._proposer(colour)  # BlazeFace proposes the upside-down portrait
    real = engine_._confirm
    monkeypatch.setattr(engine_, "_confirm", lambda s, box: [(rect, 0.55) for rect, _score in real(s, box)])
    assert engine_.locate(small, turns=False, colour=colour)[1] == []  # the whole copy: no upright face
    assert small.size in whole_copy_searches
