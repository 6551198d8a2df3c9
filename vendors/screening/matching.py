"""Scoring a person against a list entry: the best pair of name spellings, then the date of birth
and nationality as evidence for or against.

The name score (0-100) is rapidfuzz's token-sort ratio (word order does not matter) or the ratio
of the names run together ("xiaoming" and "xiao ming"), whichever is higher, or its mean with the
ratio of the words' consonant skeletons if that is higher (transliterations); Han against Han is
compared in simplified characters. Then, with weights from the versioned policy ("screening"):
the same date of birth adds `dob_match`, the same year only (a list giving a year) `dob_year`, a
different year `dob_differs` (negative); the same nationality `nationality_match`, none in common
`nationality_differs`. A hit needs the name score at `min_name_score` and the total at `threshold`.
"""

from __future__ import annotations

import dataclasses
import functools
import re

import iso3166
from babel import Locale
from rapidfuzz import fuzz

from vendors.documents.names import is_han, unaccented

from .names import skeleton, spellings

DEFAULTS = {
    "threshold": 88,
    "min_name_score": 82,
    "dob_match": 8,
    "dob_year": 3,
    "dob_differs": -20,
    "nationality_match": 3,
    "nationality_differs": -4,
}


@dataclasses.dataclass
class Person:
    """Who is screened: every spelling of their name (from names.spellings), birth date, nationality."""

    spellings: list[str]
    birth_date: str = ""  # ISO
    nationality: str = ""  # ISO 3166 code, lower case

    @classmethod
    def of(cls, names, birth_date="", nationality="") -> Person:
        found = []
        for name in names if isinstance(names, list | tuple) else [names]:
            found += [s for s in spellings(name) if s not in found]
        return cls(found, birth_date or "", (nationality or "").lower())

    @classmethod
    def screened(cls, person) -> Person:
        """From what a screening check is given (vendors.base.PersonInput)."""
        return cls.of(person.names, person.birth_date, person.nationality)


@dataclasses.dataclass
class Match:
    score: float  # 0-100 with the evidence
    name_score: float
    matched_name: str  # the entry's name (or alias) that matched
    why: dict  # name, dob, nationality: what each contributed

    def is_hit(self, weights: dict) -> bool:
        return self.name_score >= weights["min_name_score"] and self.score >= weights["threshold"]


def name_score(a: str, b: str) -> float:
    if is_han(a) or is_han(b):
        return 100.0 if a == b else 0.0  # Han is compared with Han only (its pinyin meets Latin)
    plain = max(fuzz.token_sort_ratio(a, b), fuzz.ratio(a.replace(" ", ""), b.replace(" ", "")))
    # Transliterations of one name differ in their vowels (Mohamed Hussein, Muhammad Husain): their
    # consonant skeletons count for half, so such a pair needs the date of birth to be a hit.
    bones = fuzz.token_sort_ratio(_skeletons(a), _skeletons(b))
    return max(plain, (plain + bones) / 2)


@functools.lru_cache(maxsize=65536)
def _skeletons(spelling: str) -> str:
    return " ".join(map(skeleton, spelling.split()))


def _dob(mine: str, theirs: list[str], weights) -> tuple[float, str]:
    if not mine or not theirs:
        return 0.0, "unknown"
    if any(mine == d or (len(d) > 4 and mine.startswith(d)) for d in theirs):
        return weights["dob_match"], "same date"
    if any(mine[:4] == d[:4] for d in theirs):
        return weights["dob_year"], "same year"
    return weights["dob_differs"], "differs"


# Codes a travel document may carry (ICAO 9303) that ISO 3166 does not have, and the two it
# reserves for their common use (UK, and EL for Greece in the EU's lists).
OTHER_CODES = {"d": "de", "gbd": "gb", "gbn": "gb", "gbo": "gb", "gbp": "gb", "gbs": "gb", "uk": "gb", "el": "gr"}
# The languages a list may name countries in (an in-house list written by hand): CLDR's names in
# these, beside ISO's own.
NAME_LOCALES = ("en", "zh_Hans", "zh_Hant")
# Names still in common use that CLDR gives only as alternatives (which Babel leaves out).
FORMER_NAMES = {
    "Turkey": "tr",
    "Czech Republic": "cz",
    "Macedonia": "mk",
    "Swaziland": "sz",
    "Ivory Coast": "ci",
    "East Timor": "tl",
    "Palestine": "ps",
    "Democratic Republic of the Congo": "cd",
    "Republic of the Congo": "cg",
    "Great Britain": "gb",
}


@functools.lru_cache(maxsize=1024)
def country(code: str) -> str:
    """A nationality in one form, ISO 3166 alpha-2 in lower case: a document's alpha-3 (CHN), a
    list's alpha-2 (cn) and a country's name as people write it (China, 中国; Russian Federation or
    Russia) meet. What neither standard knows stays as it is (XXA, stateless; a former state)."""
    code = code.strip().lower()
    code = OTHER_CODES.get(code, code)
    if len(code) > 3 or not code.isascii():
        return _country_names().get(_name_key(code), code)
    found = iso3166.countries.get(code, None) if len(code) == 3 else None
    return found.alpha2.lower() if found is not None else code


def _name_key(name: str) -> str:
    return re.sub(r"[\W_]+", "", unaccented(name))


@functools.cache
def _country_names() -> dict[str, str]:
    """Alpha-2 codes by name: ISO 3166's (Russian Federation; Korea, Republic of, also as Republic of
    Korea), CLDR's through Babel (Russia, 俄罗斯;
    Myanmar (Burma) as Myanmar and as Burma) and FORMER_NAMES, keyed without case, accents or
    punctuation."""
    names = {_name_key(name): code for name, code in FORMER_NAMES.items()}
    for c in iso3166.countries:
        for name in (c.name, c.apolitical_name):
            names[_name_key(name)] = c.alpha2.lower()
            # ISO's "Korea, Democratic People's Republic of" is the UN's "Democratic People's Republic of Korea".
            head, comma, tail = name.partition(", ")
            if comma:
                names.setdefault(_name_key(f"{tail} {head}"), c.alpha2.lower())
    for locale in NAME_LOCALES:
        for code, name in Locale.parse(locale).territories.items():
            if code in iso3166.countries_by_alpha2:
                for variant in (name, *re.split(r"\s*[(（)）]\s*", name)):
                    if variant:
                        names.setdefault(_name_key(variant), code.lower())
    return names


def _nationality(mine: str, theirs: list[str], weights, linked: bool) -> tuple[float, str]:
    # A code neither side could put in the other's form says nothing either way.
    mine = country(mine) if mine else ""
    theirs = [c for c in (country(code) for code in theirs) if len(c) == len(mine)]
    if not mine or not theirs or (linked and mine not in theirs):
        return 0.0, "unknown"
    return (weights["nationality_match"], "same") if mine in theirs else (weights["nationality_differs"], "differs")


def score(
    person: Person, names: list[str], birth_dates: list[str], nationalities: list[str], weights=None, *, linked=False
) -> Match:
    """The person against one entry (its names with their aliases). `linked`: the entry's countries
    are every country linked to the person (residence, jurisdiction …, as in OpenSanctions'
    targets.simple.csv), not only nationalities: one in common counts as a nationality in common,
    none in common counts neither way (the person may live where they are not a citizen)."""
    weights = {**DEFAULTS, **(weights or {})}
    best, matched = 0.0, names[0] if names else ""
    for name in names:
        for theirs in spellings(name):
            for mine in person.spellings:
                s = name_score(mine, theirs)
                if s > best:
                    best, matched = s, name
    dob_points, dob = _dob(person.birth_date, birth_dates, weights)
    nat_points, nat = _nationality(person.nationality, nationalities, weights, linked)
    total = max(0.0, min(100.0, best + dob_points + nat_points))
    why = {
        "name": round(best, 1),
        "dob": dob,
        "dob_points": dob_points,
        "nationality": nat,
        "nationality_points": nat_points,
    }
    return Match(round(total, 1), round(best, 1), matched, why)
