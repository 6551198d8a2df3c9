"""The Chinese ID number (GB 11643, ISO 7064 MOD 11-2) and names against what was declared."""

import datetime

import pytest

from tests.documents.pages import cn_number
from vendors.documents import cn_id
from vendors.documents.names import names_match


@pytest.mark.parametrize("number", ["11010519491231002X", "440524188001010014", "110101199003071217"])
def test_valid_numbers_pass_their_check_character(number):
    assert cn_id.number_valid(number)


@pytest.mark.parametrize(
    "number", ["110105194912310021", "440524188001010015", "11010119900307121", "1101011990030712X7"]
)
def test_a_wrong_check_character_or_length_fails(number):
    assert not cn_id.number_valid(number)


def test_the_number_carries_the_birth_date_and_the_sex():
    assert cn_id.number_birth_date("11010519491231002X") == datetime.date(1949, 12, 31)
    assert cn_id.number_sex("11010519491231002X") == "F"
    assert cn_id.number_sex(cn_number(datetime.date(2001, 2, 3), "M")) == "M"
    assert cn_id.number_birth_date("110105194913310021") is None  # no 13th month


@pytest.mark.parametrize(
    "declared,read",
    [
        ("Zhang Wei", "张伟"),
        ("WEI ZHANG", "张伟"),
        ("zhangwei", "张伟"),
        ("Shan Tianfang", "单田芳"),  # 单 read Shàn as a family name
        ("Ouyang Xiu", "欧阳修"),  # a two-character family name
        ("Lyu Bu", "吕布"),
        ("张伟", "张 伟"),
        ("張偉", "张伟"),
        ("Anna-Maria Eriksson", "ERIKSSON ANNA MARIA"),
        ("José Müller", "JOSE MUELLER"),
        ("Zoë Ångström", "AANGSTROEM ZOE"),  # Å as AA in a Nordic zone
        ("Åse Kristiansen", "KRISTIANSEN ASE"),
        ("annamaria eriksson", "ERIKSSON ANNA MARIA"),
        ("Юлия Щербакова", "SHCHERBAKOVA IULIIA"),  # Cyrillic as ICAO 9303 spells it in the zone
        ("Юлия Щербакова", "Yuliya Shcherbakova"),  # and as it is commonly spelt
        ("Олександр Зінченко", "ZINCHENKO OLEKSANDR"),  # Ukrainian і
        ("Γεώργιος Παπαδόπουλος", "PAPADOPOULOS GEORGIOS"),  # Greek as ELOT 743 spells it in the zone
        ("Ευάγγελος Μπακογιάννης", "BAKOGIANNIS EVANGELOS"),
        ("Ευθύμιος Ντόκος", "DOKOS EFTHYMIOS"),
        ("Σπύρος Λάμπρου", "LAMPROU SPYROS"),
        # Arabic script by its consonants: the zone's spelling is one of many.
        ("محمد علي", "ALI MOHAMED"),
        ("محمد علي", "MUHAMMAD ALI"),
        ("فاطمة الزهراء", "ALZAHRAA FATIMA"),  # the article joined, ة as A
        ("فاطمة الزهراء", "AL ZAHRAA FATIMAH"),
        ("عبد الله الحسن", "ALHASSAN ABDULLAH"),  # two words run together
        ("يوسف خالد", "KHALID YUSUF"),
        ("خديجة سعيد", "SAEED KHADIJA"),
        ("عائشة", "AISHA"),  # ayn and hamza unwritten
        ("هشام قاسم", "KASSEM HISHAM"),  # ق as K
        ("رضا محمدی", "MOHAMMADI REZA"),  # Persian: ض as Z
        ("جمال عبد الناصر", "ABDEL NASSER GAMAL"),  # Egypt's G for ج
        ("جميلة بن علي", "BENALI DJAMILA"),  # French spellings: DJ, CH
        ("عائشة شريف", "CHERIF AICHA"),
        ("عبد الرحمن", "ABDURRAHMAN"),  # the article before a sun letter, assimilated
        ("عبد الرحمن", "ABDERRAHMANE"),
        ("فاطمة الزهراء", "FATIMA AZ ZAHRA"),
        ("نور الدين", "NOUREDDINE"),
        ("عبد الرحمن", "ABDUL RAHMAN"),  # or not
        ("نور الدين الرشيد", "NOUREDDINE AL RASHID"),  # each article its own way
        # Hebrew by its consonants, each letter as its Latin spellings write it.
        ("שמואל כהן", "COHEN SHMUEL"),  # ש as SH, כ as K (two letters, not KH)
        ("חיים לוי", "LEVY HAIM"),  # ח as H
        ("חיים לוי", "LEVI CHAIM"),  # or CH
        ("יצחק רבין", "RABIN YITZHAK"),  # צ as TZ
        ("רבקה", "RIVKA"),  # ב as V, the final ה unwritten
        ("אברהם", "AVRAHAM"),
        ("בנימין נתניהו", "NETANYAHU BINYAMIN"),
        # Hangul syllable by syllable, by any common romanisation.
        ("김정은", "KIM JONG UN"),
        ("박영수", "PARK YOUNG SOO"),
        ("정현우", "CHUNG HYONU"),
        ("류현진", "YOO HYEON JIN"),  # ㄹ dropped at a name's start, as the South writes it
        ("윤석열", "SUKYEOL YOON"),  # family name last
        ("남궁민", "NAMGUNG MIN"),  # a two-syllable family name
    ],
)
def test_names_match_across_case_spacing_diacritics_order_and_script(declared, read):
    assert names_match(declared, read)


@pytest.mark.parametrize(
    "declared,read",
    [
        ("Li Wei", "张伟"),
        ("Zhang Wen", "张伟"),
        ("Anna Erikson", "ERIKSSON ANNA"),
        ("王伟", "张伟"),
        ("Юлия Щербакова", "SHCHERBAKOVA IRINA"),
        ("محمد علي", "ALI AHMED"),
        ("محمد علي", "MOHAMED"),
        ("هشام قاسم", "KASSEM HASSAN"),
        ("يوسف خالد", "KHALED YASSER"),
        ("مريم", "MARWAN"),
        ("جمال", "KAMAL"),  # G, not K
        ("عبد الرحمن", "ABDUL RAHIM"),
        ("فاطمة الزهراء", "FATIMA AS SAHRA"),  # assimilated to its own letter only
        ("حسن", "HASSAN AL RASHID"),  # an article is not added to a name that has none
        ("שמואל כהן", "LEVI SHMUEL"),
        ("דוד", "DANI"),
        ("מרים", "MARWAN"),
        ("ש ב כ פ " * 7, "AB CD EF GH IJ KL MN"),  # more letters than a name has: not searched
        ("김정은", "KIM JONG IL"),
        ("박영수", "PARK YOUNG HO"),
        ("정현우", "JUNG HYUN SOO"),
    ],
)
def test_other_names_do_not_match(declared, read):
    assert not names_match(declared, read)


@pytest.mark.parametrize(
    "declared,read",
    [
        # The zone's field cut the last given name short, or left it out.
        ("Katarzyna Magdalena Ostrowska-Wielgoszewska", "OSTROWSKA WIELGOSZEWSKA KATARZYNA MAGD"),
        ("Katarzyna Magdalena Ostrowska-Wielgoszewska", "OSTROWSKA WIELGOSZEWSKA KATARZYNA"),
        # Each part shortened to fit (ICAO 9303 part 3's rules allow initials).
        ("Hans-Jürgen Alexander Müller-Lüdenscheidt", "MUELLER LUEDENSCHEIDT HANS J A"),
    ],
)
def test_a_name_the_zone_cut_short_matches_what_it_begins(declared, read):
    assert names_match(declared, read, truncated=True)
    assert not names_match(declared, read)  # only where the zone's field is full


@pytest.mark.parametrize(
    "declared,read",
    [
        ("Katarzyna Maria Ostrowska-Wielgoszewska", "OSTROWSKA WIELGOSZEWSKA KATARZYNA MAGD"),
        ("Anna Ostrowska-Wielgoszewska", "OSTROWSKA WIELGOSZEWSKA ANNABELLE"),  # longer than declared
        ("Katarzyna Ostrowska", "OSTROWSKA WIELGOSZEWSKA KATARZYNA"),  # more parts than declared
    ],
)
def test_a_cut_name_still_differs_where_it_was_not_cut(declared, read):
    assert not names_match(declared, read, truncated=True)


def test_traditional_forms_a_recogniser_returns_are_read_as_the_simplified_print():
    from vendors.documents.ocr import Line

    lines = [
        Line("姓名張偉", 0.9, [[0, 0], [1, 0], [1, 1], [0, 1]]),
        Line("性别男 民族漢", 0.9, [[0, 2], [1, 2], [1, 3], [0, 3]]),
    ]
    fields = cn_id.read_front(lines)
    assert fields["full_name"].value == "张伟" and fields["ethnicity"].value == "汉"


@pytest.mark.parametrize("label", ["签发机关", "签发机关:", "签发机关：", "签发机关 :"])
def test_a_colon_read_after_a_label_is_not_taken_for_its_value(label):
    """The recogniser may read a colon (or a space) after a label standing alone on its line: the
    value is then the next line's, as for the bare label."""
    from vendors.documents.ocr import Line

    box = [[0, 0], [10, 0], [10, 10], [0, 10]]
    lines = [Line(text, 0.99, box) for text in (label, "北京市公安局东城分局", "有效期限", "2020.05.12-2040.05.12")]
    fields = cn_id.read_back(lines)
    assert fields["issuing_authority"].value == "北京市公安局东城分局"
    assert (fields["issue_date"].value, fields["expiry_date"].value) == ("2020-05-12", "2040-05-12")


@pytest.mark.parametrize("sex_line", ["性别男", "性别」男", "性别：男", "性别"])
def test_a_stray_mark_read_before_a_value_is_passed_over(sex_line):
    """On a tilted photo the recogniser read '」男' for 男 (on the label's line or the next)."""
    from vendors.documents.ocr import Line

    box = [[0, 0], [10, 0], [10, 10], [0, 10]]
    texts = [sex_line] + (["」男"] if sex_line == "性别" else []) + ["民族汉"]
    fields = cn_id.read_front([Line(text, 0.99, box) for text in texts])
    assert fields["sex"].value == "M" and fields["ethnicity"].value == "汉"


@pytest.mark.parametrize(
    "row",
    [["出生1990年3月7日"], ["出生1990年", "3月", "7日"], ["出生", "1990年3月", "7日"], ["出生", "1990年", "3月7日"]],
    ids=["one line", "year, month, day", "label alone", "month and day"],
)
def test_a_birth_date_row_split_at_its_gaps_is_read_whole(row):
    """The card prints 出生 1990 年 3 月 7 日 with wide gaps, which the recogniser may read as lines of their own."""
    from vendors.documents.ocr import Line

    box = [[0, 0], [10, 0], [10, 10], [0, 10]]
    number = "公民身份号码" + cn_number(datetime.date(1990, 3, 7), "M")
    texts = ["姓名张伟", "性别男 民族汉", *row, "住址北京市东城区景山前街4号", number]
    fields = cn_id.read_front([Line(text, 0.99, box) for text in texts])
    assert fields["date_of_birth"].value == "1990-03-07"
    assert fields["address"].value == "北京市东城区景山前街4号"


def test_a_birth_date_is_not_made_of_the_lines_after_another_label():
    from vendors.documents.ocr import Line

    box = [[0, 0], [10, 0], [10, 10], [0, 10]]
    texts = ["姓名张伟", "出生1990年", "住址北京市3月", "7日"]
    assert "date_of_birth" not in cn_id.read_front([Line(text, 0.99, box) for text in texts])


def test_full_width_digits_read_on_a_card_are_its_ascii_digits():
    from vendors.documents.ocr import Line

    box = [[0, 0], [10, 0], [10, 10], [0, 10]]
    number = cn_number(datetime.date(1990, 3, 7), "M")
    wide = "".join(chr(ord(c) + 0xFEE0) for c in number)  # １１０１０１…
    texts = ["姓名张伟", "出生１９９０年３月７日", "公民身份号码" + wide]
    fields = cn_id.read_front([Line(text, 0.99, box) for text in texts])
    assert (fields["document_number"].value, fields["date_of_birth"].value) == (number, "1990-03-07")


def test_a_name_in_hangul_longer_than_any_korean_name_is_not_searched_syllable_by_syllable():
    # Each syllable may be spelt several ways: the search is bounded by the name's length.
    from vendors.documents.names import MAX_HANGUL_SYLLABLES, _hangul_matches

    assert _hangul_matches("가" * MAX_HANGUL_SYLLABLES, ["ka" * MAX_HANGUL_SYLLABLES])
    assert not _hangul_matches("가" * (MAX_HANGUL_SYLLABLES + 1), ["ka" * (MAX_HANGUL_SYLLABLES + 1)])
