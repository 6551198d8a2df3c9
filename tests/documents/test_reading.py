"""Reading generated documents with the real OCR models: types, fields and checks, also photographed
at an angle, in low light and as JPEG quality 40."""

import datetime
import functools
import io

import pytest

from tests.documents import pages
from vendors.documents import ocr, reader

TODAY = datetime.date(2026, 12, 4)
PERSON = pages.Person()
FR_2010 = pages.Person(issued=datetime.date(2010, 6, 15), expires=datetime.date(2020, 6, 14))


@functools.cache
def lines_of(name: str, angle=0.0, light=1.0, quality=88) -> list:
    image = {
        "cn_front": lambda: pages.cn_front(PERSON),
        "cn_back": lambda: pages.cn_back(PERSON),
        "passport": lambda: pages.passport(PERSON),
        "passport_bad_digit": lambda: pages.passport(PERSON, corrupt="number"),
        "passport_cut": lambda: pages.passport(PERSON, cut=32),
        "td1_front": lambda: pages.td1_front(PERSON),
        "td1_back": lambda: pages.td1_back(PERSON),
        "td2_card": lambda: pages.td2_card(PERSON),
        "fr_card": lambda: pages.fr_card(PERSON),
        "fr_card_2010": lambda: pages.fr_card(FR_2010),
        "fr_back_2010": lambda: pages.fr_back(FR_2010),
        "blank": lambda: pages.Image.new("RGB", pages.CARD, (200, 200, 200)),
    }[name]()
    return ocr.read_text(pages.photograph(image, angle=angle, light=light, quality=quality))


@pytest.mark.parametrize("conditions", [{}, {"angle": 0.6, "light": 0.45, "quality": 40}], ids=["plain", "hard"])
def test_a_chinese_id_card_front_and_back(conditions):
    r = reader.read(lines_of("cn_front", **conditions), lines_of("cn_back", **conditions), today=TODAY)
    assert r.type == reader.CN_RESIDENT_ID and r.readable
    values = {name: f.value for name, f in r.fields.items()}
    assert values == {
        "full_name": "张伟",
        "sex": "M",
        "ethnicity": "汉",
        "date_of_birth": "1990-03-07",
        "address": PERSON.address,
        "document_number": PERSON.number,
        "issuing_authority": PERSON.authority,
        "issue_date": "2020-05-12",
        "expiry_date": "2040-05-12",
        "issuing_country": "CHN",
        "nationality": "CHN",
    }
    assert {c["check"]: c["outcome"] for c in r.checks} == {
        "number_check_digit": "passed",
        "number_date_of_birth": "passed",
        "number_sex": "passed",
        "front_back": "passed",
    }
    assert r.fields["full_name"].box and 0 < r.fields["full_name"].confidence <= 1


def test_the_front_alone_is_read_and_the_back_is_said_to_be_needed():
    r = reader.read(lines_of("cn_front"), None, today=TODAY)
    assert r.type == reader.CN_RESIDENT_ID and r.readable and "expiry_date" not in r.fields
    assert r.sides["back"] == "absent" and reader.NEEDS_BACK[r.type]


@pytest.mark.parametrize("conditions", [{}, {"angle": 0.6, "quality": 40}], ids=["plain", "hard"])
def test_a_passport_page(conditions):
    r = reader.read(lines_of("passport", **conditions), None, today=TODAY)
    assert r.type == reader.PASSPORT and r.readable
    values = {name: f.value for name, f in r.fields.items()}
    assert values["document_number"] == "E12345678" and values["surname"] == "ZHANG"
    assert (values["date_of_birth"], values["expiry_date"], values["sex"]) == ("1990-03-07", "2040-05-12", "M")
    assert all(c["outcome"] == "passed" for c in r.checks), r.checks


def test_a_passport_with_a_wrong_check_digit_fails_it():
    r = reader.read(lines_of("passport_bad_digit"), None, today=TODAY)
    failed = {c["check"] for c in r.checks if c["outcome"] == "failed"}
    assert {"mrz_document_number", "mrz_composite"} <= failed


def test_an_id_card_with_a_td1_zone_on_its_back():
    r = reader.read(lines_of("td1_front"), lines_of("td1_back"), today=TODAY)
    assert r.type == reader.ID_CARD_TD1 and r.readable
    assert r.fields["document_number"].value == "E12345678" and r.fields["document_number"].side == "back"
    assert {c["check"]: c["outcome"] for c in r.checks}["front_back"] == "passed"


@pytest.mark.parametrize("conditions", [{}, {"angle": 0.6, "light": 0.45, "quality": 40}], ids=["plain", "hard"])
def test_an_id_card_with_its_printed_data_and_a_td2_zone_on_one_side(conditions):
    r = reader.read(lines_of("td2_card", **conditions), None, today=TODAY)
    assert r.type == reader.ID_CARD_TD2 and r.readable and not reader.NEEDS_BACK[r.type]
    values = {name: f.value for name, f in r.fields.items()}
    assert (values["surname"], values["given_names"], values["document_number"]) == ("ZHANG", "WEI", "E12345678")
    born, expires = values["date_of_birth"], values["expiry_date"]
    assert (born, expires, values["nationality"]) == ("1990-03-07", "2040-05-12", "CHN")
    assert {c["check"]: c["outcome"] for c in r.checks} == {
        "mrz_document_number": "passed",
        "mrz_date_of_birth": "passed",
        "mrz_expiry_date": "passed",
        "mrz_composite": "passed",
        "printed_mrz": "passed",  # the printed number beside the zone is the zone's
    }


def test_a_french_card_of_1988_to_2021_is_read_without_an_expiry_date():
    r = reader.read(lines_of("fr_card", angle=0.6, quality=40), None, today=TODAY)
    assert r.type == reader.ID_CARD_FR and r.readable and "expiry_date" not in r.fields
    values = {name: f.value for name, f in r.fields.items()}
    assert (values["surname"], values["given_names"], values["date_of_birth"]) == ("ZHANG", "WEI", "1990-03-07")
    assert (values["document_number"], values["nationality"]) == (pages.fr_number(PERSON), "FRA")
    outcomes = {c["check"]: c["outcome"] for c in r.checks}
    assert outcomes.pop("front_back") == "not_checked"  # its back, where the issue date is, was not taken
    assert set(outcomes.values()) == {"passed"}, r.checks  # printed_mrz too: the number beside the zone


def test_a_french_cards_back_gives_its_validity_extended_as_the_law_says():
    """Issued in 2010 to an adult: printed valid until 14.06.2020, valid five years longer."""
    r = reader.read(lines_of("fr_card_2010"), lines_of("fr_back_2010"), today=TODAY)
    assert r.type == reader.ID_CARD_FR and reader.NEEDS_BACK[r.type]
    assert (r.fields["issue_date"].value, r.fields["expiry_date"].value) == ("2010-06-15", "2025-06-14")
    assert {c["check"]: c["outcome"] for c in r.checks}["front_back"] == "passed"  # 1006… issued 06/2010


def _french(back_rows: list[str], *, born="900307", issued="1006"):
    from vendors.documents import mrz
    from vendors.documents.ocr import Line

    one = "IDFRA" + "ZHANG" + "<" * 20 + "932013"
    number = issued + "93245678"
    two = number + mrz.check_digit(number) + "WEI" + "<" * 11 + born + mrz.check_digit(born) + "M"
    two += mrz.check_digit(one + two)
    box = [[0, 0], [10, 0], [10, 10], [0, 10]]
    front = [Line(text, 0.99, box) for text in ("CARTE NATIONALE D'IDENTITE", one, two)]
    return reader.read(front, [Line(text, 0.99, box) for text in back_rows], today=TODAY)


@pytest.mark.parametrize(
    "born,issued,printed,valid",
    [
        ("900307", "15.06.2010", "14.06.2020", "2025-06-14"),  # an adult, 2004-2013: five years more
        ("950307", "15.06.2010", "14.06.2020", "2020-06-14"),  # a minor then: as printed
        ("800307", "01.03.2006", "29.02.2016", "2021-02-28"),  # no 29 February five years on
        ("900307", "15.06.2016", "14.06.2031", "2031-06-14"),  # since 2014: printed for fifteen years
    ],
)
def test_a_french_cards_validity_is_extended_only_where_the_law_extends_it(born, issued, printed, valid):
    day, month, year = issued.split(".")
    rows = ["Carte valable jusqu'au :", printed, f"delivree le : {issued}"]  # accents lost, a date on its own line
    r = _french(rows, born=born, issued=year[2:] + month)
    assert r.fields["expiry_date"].value == valid and r.fields["issue_date"].value == f"{year}-{month}-{day}"


def test_a_french_card_whose_number_is_not_of_its_issue_month_fails_front_against_back():
    r = _french(["Carte valable jusqu'au : 14.06.2020", "délivrée le : 15.06.2010"], issued="1107")
    assert {c["check"]: c["outcome"] for c in r.checks}["front_back"] == "failed"


@pytest.mark.parametrize("conditions", [{}, {"angle": 0.6, "light": 0.45, "quality": 40}], ids=["plain", "hard"])
def test_a_zone_line_the_detector_cuts_in_two_is_read_whole(conditions):
    lines = lines_of("passport_cut", **conditions)
    assert any(line.text.endswith("<") and len(line.text) < 44 for line in lines)  # read in two pieces
    r = reader.read(lines, None, today=TODAY)
    assert r.type == reader.PASSPORT and r.readable
    assert all(c["outcome"] == "passed" for c in r.checks), r.checks


def test_zone_pieces_on_different_rows_are_not_joined():
    from vendors.documents.ocr import Line

    def at(text, x0, x1, y):
        return Line(text, 0.99, [[x0, y], [x1, y], [x1, y + 30], [x0, y + 30]])

    one, two = "P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"
    cut = [at(one, 0, 880, 0), at(two[:39], 0, 780, 60), at(two[39:], 800, 900, 60)]
    checks = {c["check"]: c["outcome"] for c in reader.read(cut, None, today=TODAY).checks}
    assert checks.pop("printed_mrz") == "not_checked" and set(checks.values()) == {"passed"}
    # The second piece a row lower is other text: the first is then read as a line short of fillers.
    apart = [at(one, 0, 880, 0), at(two[:39], 0, 780, 60), at(two[39:], 800, 900, 120)]
    checks = {c["check"]: c["outcome"] for c in reader.read(apart, None, today=TODAY).checks}
    assert checks["mrz_composite"] == "failed"


def test_a_visa_is_not_taken_for_an_identity_document():
    """A visa's zone (MRV-A, TD3's size; MRV-B, TD2's) has no composite check digit: read as a
    passport's or a card's it would fail one, and the policy would reject the case."""
    from vendors.documents.ocr import Line

    box = [[0, 0], [10, 0], [10, 10], [0, 10]]
    mrv_a = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L8988901C4XXX4009078F96121096ZE184226B<<<<<<"]
    mrv_b = ["V<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "L8988901C4XXX4009078F9612109<<<<<<<<"]
    for zone in (mrv_a, mrv_b):
        r = reader.read([Line(text, 0.99, box) for text in ["VISA", *zone]], None, today=TODAY)
        assert r.type == reader.UNKNOWN and not r.readable and r.sides["front"] == "unknown"


def test_a_photo_without_a_document_is_unreadable():
    r = reader.read(lines_of("blank"), None, today=TODAY)
    assert r.type == reader.UNKNOWN and not r.readable


@pytest.mark.parametrize("degrees", [90, 180, 270])
def test_a_page_without_a_portrait_is_turned_upright_as_its_text_says(monkeypatch, degrees):
    """A TD1 back (its MRZ) turned sideways or upside down: read once as it is, then once turned
    as its lines say (a quarter turn for tall lines, the way their reading says), and its zone checks."""
    from PIL import Image

    from tests.conftest import jpeg_bytes

    data = jpeg_bytes(Image.open(io.BytesIO(pages.photograph(pages.td1_back(PERSON)))).rotate(degrees, expand=True))
    reads = []
    real = ocr.read_text
    monkeypatch.setattr(ocr, "read_text", lambda data, turn=0: reads.append(turn) or real(data, turn=turn))
    turn, lines = ocr.read_upright(data)
    assert turn == 360 - degrees and reads == [0, turn]
    r = reader.read(lines_of("td1_front"), lines, today=TODAY)
    assert r.type == reader.ID_CARD_TD1 and r.fields["document_number"].value == "E12345678"
    assert {c["check"]: c["outcome"] for c in r.checks}["front_back"] == "passed"


def test_a_back_turned_by_its_text_keeps_its_false_face_on_the_same_pixels():
    """A back is analysed as it stands (it has no portrait); a face found on it (a pattern, a
    hologram, here a real one) is then turned with the photo when its text turns it upright."""
    import numpy as np
    from PIL import Image

    from tests.conftest import jpeg_bytes
    from vendors.analysis import add_text, analyse
    from vendors.engine import decode_image, turned

    sideways = Image.open(io.BytesIO(pages.photograph(pages.cn_back(PERSON)))).rotate(90, expand=True)
    photo = Image.new("RGB", (sideways.width + 320, sideways.height), (84, 76, 68))
    photo.paste(sideways)
    photo.paste(pages._portrait("obama_1.jpg", (240, 300)), (sideways.width + 40, 80))  # upright, stored so
    data = jpeg_bytes(photo, quality=95)
    analysis = analyse(data, selfie=False, embedding=False, turns=False)
    assert analysis.turn == 0 and analysis.faces  # the portrait (and a false face in the sideways text)
    as_stored = [turned(decode_image(data).crop(tuple(face.box)), 270) for face in analysis.faces]
    add_text(analysis, data, portrait=False)
    assert analysis.turn == 270 and (analysis.width, analysis.height) == (photo.height, photo.width)
    upright = decode_image(data, 270)
    for face, pixels in zip(analysis.faces, as_stored):
        assert np.array_equal(np.asarray(upright.crop(tuple(face.box))), np.asarray(pixels))
        assert all(face.left <= x <= face.right and face.top <= y <= face.bottom for x, y in face.landmarks)


@pytest.mark.parametrize("degrees", [-15, 12, 25])
def test_pages_photographed_at_a_tilt_are_read_in_their_printed_order(degrees):
    """The lines of a tilted page are ordered along its own rows, not the photo's: labels stay
    before their values and the MRZ's lines in order (at -12 degrees a passport was read as a
    Chinese card, its MRZ lines swapped)."""
    from PIL import Image

    from tests.conftest import jpeg_bytes

    def tilted(image):
        photo = Image.open(io.BytesIO(pages.photograph(image)))
        return ocr.read_text(jpeg_bytes(photo.rotate(degrees, expand=True, fillcolor=(84, 76, 68)), quality=92))

    upright = reader.read(lines_of("cn_front"), lines_of("cn_back"), today=TODAY)
    cn = reader.read(tilted(pages.cn_front(PERSON)), tilted(pages.cn_back(PERSON)), today=TODAY)
    passport = reader.read(tilted(pages.passport(PERSON)), None, today=TODAY)
    td1 = reader.read(tilted(pages.td1_front(PERSON)), tilted(pages.td1_back(PERSON)), today=TODAY)
    assert (cn.type, passport.type, td1.type) == (reader.CN_RESIDENT_ID, reader.PASSPORT, reader.ID_CARD_TD1)
    assert {n: f.value for n, f in cn.fields.items()} == {n: f.value for n, f in upright.fields.items()}
    assert passport.fields["document_number"].value == td1.fields["document_number"].value == "E12345678"
    for r in (cn, passport, td1):
        assert all(c["outcome"] == "passed" for c in r.checks), r.checks


def test_an_upright_page_is_read_once_and_a_blank_one_is_not_turned(monkeypatch):
    reads = []
    real = ocr.read_text
    monkeypatch.setattr(ocr, "read_text", lambda data, turn=0: reads.append(turn) or real(data, turn=turn))
    assert ocr.read_upright(pages.photograph(pages.cn_back(PERSON)))[0] == 0 and reads == [0]
    reads.clear()
    assert ocr.read_upright(pages.photograph(pages.Image.new("RGB", pages.CARD, (200, 200, 200)))) == (0, [])
    assert reads == [0]


def test_age_and_expiry_are_counted_on_the_day():
    assert reader.age_on("2008-12-05", TODAY) == 17
    assert reader.age_on("2008-12-04", TODAY) == 18
    assert reader.days_to_expiry("2026-12-03", TODAY) == -1
