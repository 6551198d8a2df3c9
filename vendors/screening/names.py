"""Names spelled for comparison, and the keys a list is searched by.

Case, punctuation, diacritics and word order do not matter ("Müller, Hans-Peter" is "hans peter
muller"); a name in Han script is also spelled in pinyin, family name first and last, the given
name joined and apart (张小明: "zhang xiaoming", "zhang xiao ming"), so it meets Latin-script list
entries, and a Latin name meets a Han one the same way. Traditional characters count as simplified.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from vendors.documents.names import han_readings, is_han, latin_parts, simplified_han

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
        parts = latin_parts(name)
        if parts:
            out.append(" ".join(parts))
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


def word_keys(word: str) -> set[str]:
    """What one word is found by: itself, its consonant skeleton ("~mhmd": transliterations) and,
    from four letters, its letters sorted ("^hjno": a transposition typo, jonh for john)."""
    if len(word) < 2:
        return set()
    out = {word}
    bones = skeleton(word)
    if len(bones) >= 2:
        out.add("~" + bones)
    if len(word) >= 4:
        out.add("^" + "".join(sorted(word)))
    return out


def words(spelling: str) -> list[str]:
    """The spelling's words, and each pair of neighbours run together ("abdel rahman" is also
    "abdelrahman"): names are split differently from one document or list to another."""
    parts = spelling.split()
    return parts + ["".join(pair) for pair in zip(parts, parts[1:])]


def keys(spelling: str) -> set[str]:
    """What a list is searched by: every word's keys; a Han spelling is one key as it is."""
    if is_han(spelling):
        return {spelling}
    return set().union(*(word_keys(w) for w in words(spelling)))
