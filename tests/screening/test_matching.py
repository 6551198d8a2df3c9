"""Matching a person against the lists: names in any order, accents, transliterations, Han and
pinyin, aliases; the date of birth and nationality as evidence; precision and recall measured on
generated lists."""

import io

import pytest

from onboarding.services.compliance import audit
from onboarding.services.screening import lists, search
from tests.screening.generated import make
from vendors.screening.matching import DEFAULTS, Person, score
from vendors.screening.names import keys, spellings


def test_spellings_ignore_case_punctuation_accents_and_spell_han_in_pinyin():
    assert spellings("MÜLLER, Hans-Peter") == ["muller hans peter"]
    assert spellings("張曉明")[:3] == ["张晓明", "zhang xiaoming", "zhang xiao ming"]
    assert len(keys("mohammed ali")) == 2  # the pair of words, as skeletons and as sorted letters
    assert keys("muhammad aly") & keys("mohamed ali")  # transliterations meet
    assert "=madonna" in keys("madonna") and "=madonna" in keys("madonna ciccone", query=True)


@pytest.mark.parametrize(
    "name,entry,dob",
    [
        ("Hans-Peter Müller", "MULLER, Hans Peter", ""),  # order, accents, punctuation
        ("Mohamed Hussein", "Muhammad Husain", "1961-04-02"),  # transliterations, with the date of birth
        ("张伟", "ZHANG Wei", ""),  # Han against its pinyin
        ("Zhang Wei", "张伟", ""),  # and back
        ("Wei Zhang", "张伟", ""),  # family name last
        ("Jonh Smith", "John Smith", ""),  # a typo
    ],
)
def test_a_name_spelt_another_way_matches(name, entry, dob):
    match = score(Person.of(name, dob), [entry], [dob] if dob else [], [])
    assert match.is_hit(DEFAULTS), match


def test_a_transliteration_alone_is_not_enough():
    assert not score(Person.of("Mohamed Hussein"), ["Muhammad Husain"], [], []).is_hit(DEFAULTS)


def test_the_date_of_birth_and_nationality_are_evidence_for_and_against():
    entry = (["John Smith"], ["1970-03-07"], ["us"])
    same = score(Person.of("John Smith", "1970-03-07", "us"), *entry)
    other = score(Person.of("John Smith", "1999-01-01", "us"), *entry)
    year_only = score(Person.of("John Smith", "1970-11-11"), ["John Smith"], ["1970"], [])
    assert same.is_hit(DEFAULTS) and same.why["dob"] == "same date" and same.why["nationality"] == "same"
    assert not other.is_hit(DEFAULTS) and other.why["dob"] == "differs"
    assert year_only.is_hit(DEFAULTS) and year_only.why["dob"] == "same year"
    assert not score(Person.of("Jane Smithers"), *entry).is_hit(DEFAULTS)


def test_nationality_codes_meet_in_one_form_and_unknown_ones_say_nothing():
    def nationality(mine, theirs):
        return score(Person.of("Zhang Wei", "", mine), ["ZHANG Wei"], [], theirs).why["nationality"]

    assert nationality("CHN", ["cn"]) == "same"  # a card's ICAO alpha-3 against a list's alpha-2
    assert nationality("chn", ["ru", "kp"]) == "differs"
    assert nationality("D", ["de"]) == "same"  # Germany's own ICAO code
    assert nationality("gbd", ["gb"]) == "same"  # a British overseas territories citizen
    assert nationality("xxa", ["cn"]) == nationality("cn", ["suhh"]) == "unknown"  # stateless; a former state
    assert nationality("", ["cn"]) == nationality("cn", []) == "unknown"


def test_countries_named_as_an_in_house_list_writes_them_meet_the_documents_codes():
    def nationality(mine, theirs):
        return score(Person.of("Zhang Wei", "", mine), ["ZHANG Wei"], [], theirs).why["nationality"]

    for name in ("Russian Federation", "russia", "RUSSIA", "俄罗斯"):
        assert nationality("RUS", [name]) == "same", name
    assert nationality("CHN", ["中國"]) == nationality("GBR", ["UK"]) == nationality("TUR", ["Turkey"]) == "same"
    assert nationality("MMR", ["Burma"]) == nationality("CIV", ["Côte d'Ivoire"]) == "same"
    assert nationality("CHN", ["North Korea"]) == "differs"
    for unknown in ("Narnia", "Russian", "Korea"):  # no such country; an adjective; which Korea
        assert nationality("RUS", [unknown]) == "unknown", unknown


@pytest.mark.parametrize(
    "name,entry",
    [
        ("Виктор Бут", "Viktor Bout"),  # a name declared in Cyrillic against a Latin entry
        ("Viktor Bout", "Виктор Бут"),  # and a list's Cyrillic alias against a Latin name
        ("Κώστας Παπαδόπουλος", "Kostas Papadopoulos"),  # Greek
        ("Evangelos Bakogiannis", "Ευάγγελος Μπακογιάννης"),  # a Greek entry, a name as a passport spells it
        ("Сергей Лавров", "Sergei Lavrov"),  # Cyrillic as ICAO spells it
        ("김정은", "KIM Jong-un"),  # Hangul, the family name as the lists spell it
        ("최룡해", "Choe Ryong Hae"),
        ("박근혜", "Park Geun-hye"),
    ],
)
def test_a_name_in_another_script_is_spelt_in_latin_letters_and_matches(name, entry):
    match = score(Person.of(name), [entry], [], [])
    assert match.is_hit(DEFAULTS), match


def test_a_korean_name_is_not_taken_for_a_relatives():
    assert not score(Person.of("김정은"), ["Kim Jong Il"], [], []).is_hit(DEFAULTS)


def test_a_name_partly_in_another_script_is_spelt_whole():
    # Not "ali" alone, which would meet every entry called Ali.
    assert spellings("Ali Хаменеи") == ["ali khamenei"]
    assert spellings("김정은") == ["gim jeong eun", "kim jeong eun"]  # a Hangul syllable a word; Kim as lists spell it
    assert spellings("😀 ???") == []


@pytest.mark.django_db
def test_entries_and_names_in_other_scripts_find_each_other_in_the_database():
    entries = [
        '{"id": "R1", "schema": "Person", "properties": {"name": ["Сергей Шойгу"]}}',
        '{"id": "K1", "schema": "Person", "properties": {"name": ["KIM Jong Un"]}}',
        '{"id": "G1", "schema": "Person", "properties": {"name": ["Ευάγγελος Μπακογιάννης"]}}',
    ]
    lists.import_file(io.BytesIO("\n".join(entries).encode()), source="lists", actor=audit.Actor.system("test"))
    assert [h.entry.key for h in search.screen(Person.of("Sergey Shoygu"))] == ["R1"]
    assert [h.entry.key for h in search.screen(Person.of("김정은"))] == ["K1"]
    assert [h.entry.key for h in search.screen(Person.of("Evangelos Bakogiannis"))] == ["G1"]


def test_an_alias_matches_and_is_named():
    match = score(Person.of("Victor Butt"), ["Viktor Bout", "Victor Butt"], [], [])
    assert match.is_hit(DEFAULTS) and match.matched_name == "Victor Butt"


@pytest.mark.django_db
def test_precision_and_recall_on_a_generated_list():
    """3,000 generated persons (Latin, Arabic transliterations, Han), 300 probes: half on the list
    spelt another way, half near misses (same family name, or same name decades apart)."""
    entries, probes = make(n=3000, probes=300)
    lists.import_file(io.BytesIO("\n".join(entries).encode()), source="generated", actor=audit.Actor.system("test"))
    true_positive = false_positive = false_negative = 0
    for probe in probes:
        hits = search.screen(Person.of(probe.names, probe.birth_date, probe.nationality))
        found = {h.entry.key for h in hits}
        if probe.entry_id is None:
            false_positive += bool(found)
        elif probe.entry_id in found:
            true_positive += 1
        else:
            false_negative += 1
    precision = true_positive / max(1, true_positive + false_positive)
    recall = true_positive / max(1, true_positive + false_negative)
    print(
        f"\nscreening on generated lists: precision {precision:.3f}, recall {recall:.3f} "
        f"({true_positive} found, {false_negative} missed, {false_positive} false hits)"
    )
    assert recall >= 0.95 and precision >= 0.95
