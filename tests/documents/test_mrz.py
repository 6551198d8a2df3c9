"""ICAO 9303 machine-readable zones: check digits per field and composite, and OCR confusions
corrected only where the field's alphabet or check digit decides them."""

import datetime

import pytest

from tests.documents.pages import Person, fr_lines, td1_lines, td2_lines, td3_lines
from vendors.documents import mrz

TODAY = datetime.date(2026, 12, 4)
# ICAO Doc 9303 part 4 and part 5 specimens.
SPECIMEN_TD3 = ["P<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<<<<<<<<<", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"]
SPECIMEN_TD1 = ["I<UTOD231458907<<<<<<<<<<<<<<<", "7408122F1204159UTO<<<<<<<<<<<6", "ERIKSSON<<ANNA<MARIA<<<<<<<<<<"]
SPECIMEN_TD2 = ["I<UTOERIKSSON<<ANNA<MARIA<<<<<<<<<<<", "D231458907UTO7408122F1204159<<<<<<<6"]
# A card number longer than nine characters: its first nine in the number field, the filler where
# its check digit would be, the rest and the check digit at the start of the optional data.
LONG_NUMBER = "D23145890701"


def long_number_td1(number=LONG_NUMBER) -> list[str]:
    one = ("I<UTO" + number[:9] + "<" + number[9:] + mrz.check_digit(number) + "<" * 30)[:30]
    two = "7408122F1204159UTO" + "<" * 11
    return [one, two + mrz.check_digit(one[5:30] + two[0:7] + two[8:15] + two[18:29]), SPECIMEN_TD1[2]]


def long_number_td2(number=LONG_NUMBER) -> list[str]:
    two = number[:9] + "<UTO7408122F1204159" + (number[9:] + mrz.check_digit(number) + "<" * 7)[:7]
    return [SPECIMEN_TD2[0], two + mrz.check_digit(two[0:10] + two[13:20] + two[21:35])]


def test_check_digits_follow_the_7_3_1_weights():
    assert mrz.check_digit("L898902C3") == "6"
    assert mrz.check_digit("740812") == "2"
    assert mrz.check_digit("<<<<<") == "0"


def test_the_td3_specimen_reads_and_every_check_digit_holds():
    m = mrz.parse(*mrz.find_lines(SPECIMEN_TD3), today=TODAY)
    assert (m.format, m.document_code, m.issuing_state, m.nationality) == ("TD3", "P", "UTO", "UTO")
    assert (m.surname, m.given_names, m.document_number) == ("ERIKSSON", "ANNA MARIA", "L898902C3")
    assert (m.date_of_birth, m.expiry_date, m.sex) == (datetime.date(1974, 8, 12), datetime.date(2012, 4, 15), "F")
    assert m.valid and m.optional == "ZE184226B"


def test_a_name_that_fills_its_field_is_marked_as_perhaps_cut():
    assert not mrz.parse(*mrz.find_lines(SPECIMEN_TD3), today=TODAY).names_truncated
    person = Person(latin_surname="OSTROWSKA-WIELGOSZEWSKA", latin_given="KATARZYNA MAGDALENA")
    m = mrz.parse(*mrz.find_lines(td3_lines(person)), today=TODAY)
    assert (m.surname, m.given_names, m.names_truncated) == ("OSTROWSKA WIELGOSZEWSKA", "KATARZYNA MAGD", True)
    assert m.valid


def test_the_td1_specimen_reads_and_every_check_digit_holds():
    m = mrz.parse(*mrz.find_lines(SPECIMEN_TD1), today=TODAY)
    assert (m.format, m.document_number, m.surname, m.given_names) == ("TD1", "D23145890", "ERIKSSON", "ANNA MARIA")
    assert m.valid


def test_the_td2_specimen_reads_and_every_check_digit_holds():
    m = mrz.parse(*mrz.find_lines(["REPUBLIC OF UTOPIA", *SPECIMEN_TD2]), today=TODAY)
    assert (m.format, m.document_code, m.issuing_state, m.nationality) == ("TD2", "I", "UTO", "UTO")
    assert (m.surname, m.given_names, m.document_number) == ("ERIKSSON", "ANNA MARIA", "D23145890")
    assert (m.date_of_birth, m.expiry_date, m.sex) == (datetime.date(1974, 8, 12), datetime.date(2012, 4, 15), "F")
    assert m.valid and m.optional == ""


def test_a_french_card_of_1988_to_2021_is_read_in_its_own_layout():
    """Its 2 x 36 zone is not ICAO's TD2: read as one, every check digit would fail (and reject the case)."""
    zone = ["IDFRADOUEL<<<<<<<<<<<<<<<<<<<<932013", "0506932020438CHRISTIANE<<NI2906209F3"]  # a specimen
    fmt, lines = mrz.find_lines(["CARTE NATIONALE D'IDENTITE", *zone])
    m = mrz.parse(fmt, lines, today=TODAY)
    assert (m.format, m.document_code, m.issuing_state, m.nationality) == ("FR", "ID", "FRA", "FRA")
    assert (m.surname, m.given_names, m.document_number) == ("DOUEL", "CHRISTIANE NI", "050693202043")
    assert (m.date_of_birth, m.sex, m.expiry_date) == (datetime.date(1929, 6, 20), "F", None)
    assert m.valid and [c.field for c in m.checks] == ["document_number", "date_of_birth", "composite"]
    wrong = mrz.parse(*mrz.find_lines(fr_lines(Person(), corrupt="number")), today=TODAY)
    assert wrong.failed_fields == ["document_number", "composite"]


def test_generated_td2_lines_hold_and_a_wrong_digit_fails():
    assert mrz.parse(*mrz.find_lines(td2_lines(Person())), today=TODAY).valid
    m = mrz.parse(*mrz.find_lines(td2_lines(Person(), corrupt="number")), today=TODAY)
    assert m.failed_fields == ["document_number", "composite"]


@pytest.mark.parametrize("lines", [long_number_td1, long_number_td2], ids=["TD1", "TD2"])
def test_a_long_card_number_reads_on_into_the_optional_data(lines):
    m = mrz.parse(*mrz.find_lines(lines()), today=TODAY)
    assert m.valid and m.document_number == LONG_NUMBER


@pytest.mark.parametrize("lines", [long_number_td1, long_number_td2], ids=["TD1", "TD2"])
def test_a_misread_in_a_long_numbers_tail_is_corrected_when_the_composite_confirms_it(lines):
    """O for 0 in the part of the number that lies in the optional data: one swap makes the number's
    check digit hold, and the composite, over the corrected characters where they lie, confirms it."""
    misread = [line.replace(LONG_NUMBER[9:], "7O1", 1) for line in lines()]
    assert misread != lines()
    m = mrz.parse(*mrz.find_lines(misread), today=TODAY)
    assert m.valid and m.document_number == LONG_NUMBER


def test_a_wrong_check_digit_fails_its_field_and_the_composite():
    lines = td3_lines(Person(), corrupt="number")
    m = mrz.parse(*mrz.find_lines(lines), today=TODAY)
    assert m.failed_fields == ["document_number", "composite"]


def test_a_changed_date_fails_its_check_digit():
    one, two = SPECIMEN_TD3
    two = two[:13] + "740813" + two[19:]
    assert "date_of_birth" in mrz.parse("TD3", [one, two], today=TODAY).failed_fields


def test_letters_read_in_digit_fields_and_digits_in_letter_fields_are_corrected():
    one = "P<UT0ERIKSS0N<<ANNA<MARIA"  # 0 for O in a letters-only field; the filler dropped at the end
    two = "L898902C36UT074O8122F12O4159ZE184226B<<<<<10"  # O for 0 in date fields
    m = mrz.parse(*mrz.find_lines([one, two]), today=TODAY)
    assert m.valid and (m.issuing_state, m.surname, m.nationality) == ("UTO", "ERIKSSON", "UTO")
    assert m.date_of_birth == datetime.date(1974, 8, 12)


def test_an_alphanumeric_field_is_corrected_only_when_its_check_digit_decides():
    one, two = SPECIMEN_TD3
    m = mrz.parse("TD3", [one, "L8989O2C3" + two[9:]], today=TODAY)  # O for 0: one swap makes it hold
    assert m.document_number == "L898902C3" and m.valid
    # ABIO2Z and AB1O22 both hold with one change each: no guess, the field fails as read.
    assert mrz._alphanumeric("AB1O2Z", "0") == ("AB1O2Z", False)


def test_a_td1_zone_whose_line_lost_its_last_character_is_not_taken_for_a_td2_one():
    one, two, three = SPECIMEN_TD1
    fmt, lines = mrz.find_lines([one, two[:-1], three])
    assert fmt == "TD1" and lines[0] == one
    assert mrz.parse(fmt, lines, today=TODAY).failed_fields == ["composite"]


def test_full_width_forms_and_chinese_brackets_read_for_the_filler_are_the_zones_characters():
    """The recogniser's alphabet (Chinese and Latin) has ＜, Ｏ, ０, ≪ and 《: read for < and for
    OCR-B's letters and digits."""
    one, two = SPECIMEN_TD3
    wide = "".join(chr(ord(c) + 0xFEE0) for c in two[:20]) + two[20:]  # Ｌ８９８…: full-width forms
    one = one.replace("<<", "≪", 1).replace("<<", "《")  # ERIKSSON≪ANNA<MARIA《《…
    m = mrz.parse(*mrz.find_lines([one, wide]), today=TODAY)
    assert m.valid and (m.surname, m.given_names, m.document_number) == ("ERIKSSON", "ANNA MARIA", "L898902C3")


@pytest.mark.parametrize("text", ["P<UTOERIKSSON", "HELLO WORLD", "L898902C36UTO7408122F1204159ZE184226B<<<<<10"])
def test_no_zone_is_made_up_from_other_text(text):
    assert mrz.find_lines([text]) is None


def test_generated_td1_lines_hold():
    m = mrz.parse(*mrz.find_lines(td1_lines(Person())), today=TODAY)
    assert m.valid and m.document_number == "E12345678"


def test_birth_dates_lie_in_the_past_and_expiry_dates_within_fifty_years():
    assert mrz._date("300101", future=False, today=TODAY) == datetime.date(1930, 1, 1)
    assert mrz._date("300101", future=True, today=TODAY) == datetime.date(2030, 1, 1)
    assert mrz._date("991301", future=True, today=TODAY) is None
