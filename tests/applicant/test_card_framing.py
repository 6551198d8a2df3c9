"""The capture page's framing advice for a card comes from the card's own outline, whatever its layout."""

import pytest
from PIL import Image, ImageDraw

from onboarding.services.applicant.capture import framing_problems
from tests.conftest import face, jpeg_bytes
from tests.documents import pages
from tests.idcards import make_id_card
from vendors.analysis import analyse

TABLE = (84, 76, 68)


def framing(data: bytes) -> tuple[list[str], dict | None]:
    outline = analyse(data, selfie=False, embedding=False).measures["card"]
    return framing_problems(outline), outline


def small_portrait_card(width=1200) -> Image.Image:
    """A card whose portrait is 9 % of its width (a layout the portrait's size misjudged)."""
    card = pages.cn_front(pages.Person(), face=None).resize((width, round(width / 1.585)))
    portrait = pages._portrait("obama_1.jpg", (108, 140))
    card.paste(portrait, (width - 160, 60))
    return card


def on_table(card: Image.Image, share: float, *, offset=(0.5, 0.5), angle=0.0) -> bytes:
    """The card photographed on a table, covering `share` of the frame (a 4:3 photo)."""
    frame_w = round((card.width * card.height / share * 4 / 3) ** 0.5)
    frame = Image.new("RGB", (frame_w, round(frame_w * 3 / 4)), TABLE)
    if angle:
        card = card.rotate(angle, expand=True, fillcolor=TABLE, resample=Image.BICUBIC)
    frame.paste(card, (round((frame.width - card.width) * offset[0]), round((frame.height - card.height) * offset[1])))
    return jpeg_bytes(frame, quality=85)


@pytest.mark.parametrize(
    "name,data",
    [
        ("portrait 9 % of the card, card 71 % of the frame", lambda: on_table(small_portrait_card(), 0.71)),
        ("portrait left, keystoned", lambda: make_id_card(face("obama_2"))),
        ("Chinese card front, portrait right", lambda: pages.photograph(pages.cn_front(pages.Person()))),
        ("Chinese card back, no portrait", lambda: pages.photograph(pages.cn_back(pages.Person()), angle=0.5)),
        ("TD1 card front", lambda: pages.photograph(pages.td1_front(pages.Person()), angle=0.3)),
        ("passport data page", lambda: pages.photograph(pages.passport(pages.Person()))),
        ("card turned 8 degrees, 45 % of the frame", lambda: on_table(small_portrait_card(900), 0.45, angle=8)),
    ],
)
def test_a_well_framed_card_gets_no_framing_advice(name, data):
    problems, outline = framing(data())
    assert outline is not None, name
    assert problems == [], (name, outline)


def test_a_card_far_from_the_camera_is_too_small():
    problems, outline = framing(on_table(small_portrait_card(600), 0.12))
    assert problems == ["card_too_far"] and outline["share"] < 0.2


def test_a_card_cut_by_the_frame_does_not_fit():
    card = small_portrait_card()
    frame = Image.new("RGB", (1100, 800), TABLE)
    frame.paste(card, (-120, 40))  # its left part outside the photo
    problems, outline = framing(jpeg_bytes(frame))
    assert problems == ["card_too_close"], outline


def test_no_outline_no_advice():
    """A card on a table of its own colour: nothing to go on, so nothing is said."""
    frame = Image.new("RGB", (1200, 900), (232, 238, 240))
    ImageDraw.Draw(frame).text((300, 400), "NAME ZHANG WEI", fill=(20, 20, 20))
    problems, outline = framing(jpeg_bytes(frame))
    assert outline is None and problems == []


def test_the_checklist_says_it_in_words(db, settings):
    from onboarding.services.applicant.analysis import analysis_of
    from onboarding.services.applicant.applicants import add_photo
    from onboarding.services.applicant.capture import checklist
    from tests.factories import ApplicantFactory

    settings.KYC_CAPTURE_PRECHECK = True
    applicant = ApplicantFactory()
    far = add_photo(applicant, "id_card", on_table(small_portrait_card(600), 0.12))
    analysis_of(far, embedding=False)
    answer = checklist(far)
    fill = next(item for item in answer["items"] if item["code"] == "fill")
    assert not fill["ok"] and "Hold the camera closer" in fill["advice"][0]
