"""Names spelled for comparison, and the keys a list is searched by.

Case, punctuation, diacritics and word order do not matter ("Müller, Hans-Peter" is "hans peter
muller"); a name in Han script is also spelled in pinyin, family name first and last, the given
name joined and apart (张小明: "zhang xiaoming", "zhang xiao ming"), so it meets Latin-script list
entries, and a Latin name meets a Han one the same way. Traditional characters count as simplified.
A name in another script (Cyrillic, Greek, Arabic, Hebrew, Hangul …) is spelled in Latin letters
(documents.names.latin_spellings: Сергей Шойгу is "sergei shoigu", as ICAO spells it, and "sergey
shoygu"; 김정은 "gim jeong eun").
"""

from __future__ import annotations

import functools
import re
import unicodedata

from vendors.documents.names import han_readings, is_han, latin_spellings, simplified_han

VOWELS = re.compile(r"[aeiouy]+")
# Spellings tried at most for one name (a Han name with several readings per character).
MAX_SPELLINGS = 8


def spellings(name: str) -> list[str]:
    """The name's normalised spellings: lower-case ASCII words separated by one space, and for a
    Han name its simplified Han form too (compared with Han entries only)."""
    name = unicodedata.normalize("NFKC", name or "").strip()
    if not name:
        return []
    out = []
    if is_han(name):
        out.append(simplified_han(name))
        for syllables in han_readings(name)[: MAX_SPELLINGS // 2]:
            family, given = syllables[:1], syllables[1:]
            if given:
                out.append(" ".join(family + ["".join(given)]))
            out.append(" ".join(syllables))
    else:
        out += [" ".join(parts) for parts in latin_spellings(name) if parts]
    return list(dict.fromkeys(out))


@functools.lru_cache(maxsize=65536)
def skeleton(word: str) -> str:
    """A word's consonants, repeats collapsed, letters that spell one sound made one: transliterations
    of one name tend to share it (mohamed, muhammad: mhmd; viktor, victor: vktr; qadhafi, kadhafi: kdf)."""
    for spelt, sound in (
        ("ph", "f"),
        ("dh", "d"),
        ("th", "t"),
        ("kh", "k"),
        ("c", "k"),
        ("q", "k"),
        ("z", "s"),
        ("w", "v"),
    ):
        word = word.replace(spelt, sound)
    word = VOWELS.sub("", word)
    return re.sub(r"(.)\1+", r"\1", word)


MAX_PARTS = 6  # of a long name, the first words make its keys


def forms(word: str) -> tuple[str, str]:
    """The two ways a word is looked up: its consonant skeleton (transliterations) and its letters
    sorted (a transposed typo: jonh is john)."""
    return skeleton(word) or word, "".join(sorted(word))


def keys_of_names(names: list[str]) -> set[str]:
    """A list entry's search keys: those of every spelling of each of its names and aliases."""
    return {key for name in names for spelling in spellings(name) for key in keys(spelling)}


def pairs(spelling: str) -> list[tuple[str, str]]:
    """Every two words of the name (any order, not only neighbours: a document may leave a middle
    name out), and each pair of neighbours run together with a third word ("abdel rahman" is also
    "abdelrahman": names are split differently from one document or list to another)."""
    parts = spelling.split()[:MAX_PARTS]
    out = [(parts[i], parts[j]) for i in range(len(parts)) for j in range(i + 1, len(parts))]
    for i in range(len(parts) - 1):
        joined = parts[i] + parts[i + 1]
        out += [(joined, other) for k, other in enumerate(parts) if k not in (i, i + 1)]
    return out


def keys(spelling: str, *, query: bool = False) -> set[str]:
    """What a list is searched by: for a name of several words, each pair of words in each form
    ("~mhmd|~l" for Mohamed Ali, "^ahmmmd|^ail" sorted); for a name of one word, the word and its
    skeleton ("=madonna", "~mdn"); a Han spelling as it is. A query (query=True) also asks each of
    its words alone, so that a one-word entry (a mononym) is found by a fuller name."""
    if is_han(spelling):
        return {spelling}
    parts = spelling.split()
    out = set()
    if len(parts) == 1 or query:
        for word in parts:
            out |= {"=" + word, "~" + forms(word)[0]}
    for a, b in pairs(spelling):
        fa, fb = forms(a), forms(b)
        for marker, x, y in (("~", fa[0], fb[0]), ("^", fa[1], fb[1])):
            out.add(marker + "|".join(sorted((x, y))))
    return {k[:100] for k in out}
