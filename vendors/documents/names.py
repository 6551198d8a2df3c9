"""Comparing a name as the applicant typed it with the name read from their document.

Latin names are compared without case, spacing, punctuation or diacritics, in any order of their
parts (a passport's "ERIKSSON ANNA MARIA" is the applicant's "Anna-Maria Eriksson"). A name in Han
script matches its pinyin spelling, family name first or last, with or without spaces, for any
reading of a character that has several (单 is Shàn as a family name), from pypinyin's dictionary;
Han against Han in either script (張偉 is 张伟). A name in Cyrillic matches its spelling by ICAO
9303's transliteration (Юлия Щербакова: IULIIA SHCHERBAKOVA, as passports print it) or by the
common one (Yuliya Shcherbakova); a name in Arabic script, a Latin one with the same consonants
(محمد علي: MOHAMED ALI, MUHAMMAD ALI); a name in Hebrew, likewise, each letter as Latin spellings
write it (שמואל כהן: SHMUEL COHEN); a name in Hangul, a Latin one spelt syllable by syllable by
any common romanisation (김정은: KIM JONG UN); a name in another script, its anyascii spelling.
"""

from __future__ import annotations

import itertools
import re
import unicodedata

from anyascii import anyascii
from pypinyin import Style, pinyin

from .cn_id import simplified

HAN = re.compile(r"[\u3400-\u9fff]")
# Readings of a name tried at most (a name of many characters with several readings each).
MAX_READINGS = 64


def simplified_han(name: str) -> str:
    """A Han name in simplified characters, without spaces (張偉 and 张 伟 are 张伟)."""
    return simplified(re.sub(r"\s+", "", unicodedata.normalize("NFKC", name)))


def is_han(text: str) -> bool:
    return bool(HAN.search(text))


# ICAO Doc 9303 part 3, the transliteration of Cyrillic in machine-readable zones.
ICAO_CYRILLIC = str.maketrans(
    dict(
        pair.split("=")
        for pair in (
            "а=a б=b в=v г=g ґ=g д=d ђ=d ѓ=g е=e ё=e є=ie ж=zh з=z ѕ=dz и=i і=i ї=i й=i ј=j к=k л=l љ=lj "
            "м=m н=n њ=nj о=o п=p р=r с=s т=t ћ=c ќ=k у=u ў=u ф=f х=kh ц=ts ч=ch џ=dz ш=sh щ=shch ъ=ie "
            "ы=y ь= э=e ю=iu я=ia"
        ).split()
    )
)
CYRILLIC = re.compile(r"[\u0400-\u04ff]")
GREEK = re.compile(r"[\u0370-\u03ff\u1f00-\u1fff]")
# ELOT 743, as Greek passports spell names (ΠΑΠΑΔΟΠΟΥΛΟΣ: PAPADOPOULOS, where anyascii spells each
# letter: papadopoylos): letters, then the pairs that spell one sound (_elot743).
ELOT_LETTERS = dict(
    pair.split("=")
    for pair in (
        "α=a β=v γ=g δ=d ε=e ζ=z η=i θ=th ι=i κ=k λ=l μ=m ν=n ξ=x ο=o π=p ρ=r σ=s ς=s τ=t υ=y φ=f χ=ch ψ=ps ω=o"
    ).split()
)
# αυ, ευ, ηυ are af, ef, if before these and at a word's end, av, ev, iv elsewhere.
ELOT_VOICELESS = set("θκξπστφχψ")
HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Arabic script (Arabic, Persian, Urdu): written without most vowels, so one name has many Latin
# spellings (محمد: MOHAMED, MUHAMMAD, MOHAMMED); it is compared by its consonants (_abjad_matches).
ARABIC = re.compile(r"[\u0600-\u06ff\u0750-\u077f\u08a0-\u08ff\ufb50-\ufdff\ufe70-\ufeff]")
# Persian reads these letters as Z and S where Arabic reads D, DH, Z and TH (رضا: REZA; anyascii: rd).
PERSIAN_READINGS = str.maketrans({"ض": "z", "ذ": "z", "ظ": "z", "ث": "s"})
# Egypt reads ج as a hard G (جمال: GAMAL, where elsewhere JAMAL or, in French, DJAMEL).
EGYPTIAN_READINGS = str.maketrans({"ج": "g"})
# The article before a "sun letter" is said, and often spelt, as that letter doubled (الرحمن: AR
# RAHMAN, ABDURRAHMAN; الزهراء: AZ ZAHRA), as often as AL or EL: a name is tried both ways.
SUN_ARTICLE = re.compile(r"\bال(?=[تثدذرزسشصضطظلن])")
# Articles of a name tried each way (2 ** n spellings); a longer name's are tried all one way.
MAX_ARTICLES = 4
# Hebrew, also written without most vowels, is compared by its consonants too: each letter as its
# Latin spellings write it, where one letter has several (ש: SH or S; כ: K or KH; ב: B or V; ו: V or
# a vowel, as in SHMUEL). Letters not here (א, ע: unwritten) spell nothing.
HEBREW = re.compile(r"[\u0590-\u05ff\ufb1d-\ufb4f]")
HEBREW_LETTERS = {
    "ב": ("b", "v"), "ג": ("g",), "ד": ("d",), "ה": ("h",), "ו": ("v", ""), "ז": ("z",), "ח": ("kh", "h", "ch"),
    "ט": ("t",), "י": ("y",), "כ": ("k", "kh", "ch"), "ך": ("kh", "k", "ch"), "ל": ("l",), "מ": ("m",),
    "ם": ("m",), "נ": ("n",), "ן": ("n",), "ס": ("s",), "פ": ("p", "f"), "ף": ("f", "p"), "צ": ("tz", "ts", "z"),
    "ץ": ("tz", "ts", "z"), "ק": ("k",), "ר": ("r",), "ש": ("sh", "s"), "ת": ("t",),
}  # fmt: skip
# Spellings of a Hebrew name tried at most (each ambiguous letter doubles them), and its letters at
# most: a longer "name" (no name has so many) is not worth a costly search.
MAX_HEBREW_READINGS = 128
MAX_HEBREW_LETTERS = 24
# Letters that spell one consonant in Latin transliterations of Arabic, each made one symbol; DJ and
# CH are French spellings (DJAMILA, CHERIF, AICHA).
ABJAD_SOUNDS = (
    ("dj", "j"), ("kh", "x"), ("sh", "$"), ("ch", "$"), ("gh", "g"), ("th", "t"), ("dh", "d"), ("ph", "f"),
    ("q", "k"), ("c", "k"),
)  # fmt: skip
# Vowels, the semivowels that also write long vowels (ي: Y or I, و: W or OU), and ayn and hamza's marks.
ABJAD_SILENT = re.compile(r"[aeiouyw'`]+")
# How Korean syllables are spelt in Latin letters, by the Revised Romanization, McCune-Reischauer
# and as passports commonly print them (정: JEONG, JUNG, CHUNG, JONG; 영: YEONG, YOUNG; 수: SU, SOO):
# each syllable's initial consonant, vowel and final consonant, by their index in Unicode's order.
HANGUL_INITIALS = (
    "g|k", "kk|gg|k", "n", "d|t", "tt|dd|t", "r|l|n|", "m", "b|p", "pp|bb|p", "s|sh", "ss|s", "",
    "j|ch", "jj|tch|ch|j", "ch", "k|kh", "t|th", "p|ph", "h",
)  # fmt: skip
HANGUL_VOWELS = (
    "a|ah", "ae|ai|e", "ya", "yae|ye", "eo|o|u|eu", "e", "yeo|yo|you|yu", "ye", "o|oh", "wa", "wae|we",
    "oe|oi|we|wi", "yo", "u|oo|ou|woo", "wo|weo", "we", "wi|wee", "yu|yoo|you", "eu|u|e", "ui|eui|ee|i",
    "i|ee|y",
)  # fmt: skip
HANGUL_FINALS = (
    "", "k|g", "k|g", "k", "n", "n", "n", "t|d|s", "l|r", "k|lk", "m", "l|p", "l", "l", "p", "l", "m", "p|b",
    "p", "t|s", "t|s", "ng", "t|s", "t|s", "k", "t", "p", "t|s",
)  # fmt: skip
# Longer names in Hangul are not matched syllable by syllable (each syllable may be spelt several
# ways: the search grows with the product). Korean names have two to five.
MAX_HANGUL_SYLLABLES = 8
# Korean family names as passports and sanctions lists spell them (Kim Jong Un, Park, Lee), which
# no one system of romanisation gives (the Revised one writes 김 Gim, 박 Bak, 이 I): the commonest.
KOREAN_FAMILY_NAMES = {
    "김": ("kim",),
    "이": ("lee", "yi", "rhee"),
    "리": ("ri", "lee"),
    "박": ("park", "pak"),
    "최": ("choi", "choe"),
    "정": ("jung", "chung", "jong"),
    "강": ("kang",),
    "조": ("cho",),
    "윤": ("yoon", "yun"),
    "장": ("jang", "chang"),
    "임": ("lim", "im"),
    "오": ("oh",),
    "서": ("suh", "seo"),
    "신": ("shin",),
    "권": ("kwon",),
    "안": ("ahn",),
    "류": ("ryu", "yoo"),
    "유": ("yoo", "yu"),
    "전": ("jun", "jeon", "chon"),
    "고": ("ko",),
    "문": ("moon",),
    "백": ("baek", "paek"),
    "허": ("hur", "heo"),
    "심": ("shim",),
    "노": ("roh",),
    "곽": ("kwak",),
    "성": ("sung", "seong"),
    "주": ("joo", "chu"),
    "우": ("woo",),
    "구": ("koo",),
}
# Letters beyond Latin Extended-B: another script, which latin_parts() would drop.
OTHER_SCRIPT = re.compile(r"[^\W\d_\u0000-\u024f]")
# anyascii capitalises each Hangul syllable (GimJeongEun): a syllable is a word of the name.
SYLLABLE = re.compile(r"(?<=[a-z])(?=[A-Z])")


UNDECOMPOSED = str.maketrans(
    {"ß": "ss", "ø": "oe", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "ı": "i", "ħ": "h"}
)


def unaccented(text: str) -> str:
    """Lower case, accents dropped (é → e, ß → ss): délivrée as printed or as a recogniser reads it."""
    # Letters NFKD does not take apart (ø, æ, ł …) are spelt as ICAO 9303 transliterates them.
    text = unicodedata.normalize("NFKD", text.casefold()).translate(UNDECOMPOSED)
    return "".join(c for c in text if not unicodedata.combining(c))


def _elot743(name: str) -> str:
    """A Greek name spelt by ELOT 743: ου ou, αυ/ευ/ηυ av or af, μπ and ντ b and d at a word's start
    (mp, nt within it), γγ ng, γξ nx, γχ nch; a diaeresis (ϋ) keeps its vowel apart."""
    letters = []  # (letter, has a diaeresis), accents dropped
    for c in unicodedata.normalize("NFD", name.casefold()):
        if c == "\u0308" and letters:
            letters[-1] = (letters[-1][0], True)
        elif not unicodedata.combining(c):
            letters.append((c, False))
    text = [c for c, _ in letters] + [""]
    out, i = [], 0
    while i < len(letters):
        c, n = text[i], text[i + 1]
        start = i == 0 or text[i - 1] not in ELOT_LETTERS
        apart = i + 1 < len(letters) and letters[i + 1][1]
        if c in "αεη" and n == "υ" and not apart:
            after = text[i + 2]
            out.append(ELOT_LETTERS[c] + ("f" if after in ELOT_VOICELESS or after not in ELOT_LETTERS else "v"))
            i += 2
        elif c == "ο" and n == "υ" and not apart:
            out.append("ou")
            i += 2
        elif (c, n) in (("μ", "π"), ("ν", "τ")):
            out.append(("b" if c == "μ" else "d") if start else ("mp" if c == "μ" else "nt"))
            i += 2
        else:
            out.append("n" if c == "γ" and n and n in "γξχ" else ELOT_LETTERS.get(c, c))
            i += 1
    return "".join(out)


def latin_parts(text: str) -> list[str]:
    """Lower-case ASCII parts: accents dropped (é → e, ß → ss), punctuation as a separator."""
    return [p for p in re.split(r"[^a-z0-9]+", unaccented(text)) if p]


def han_readings(name: str) -> list[list[str]]:
    """The name's pinyin readings, syllable by syllable, the most common first."""
    chars = [c for c in name if HAN.match(c)]
    options = pinyin(chars, style=Style.NORMAL, heteronym=True, errors="ignore")
    readings = []
    for combo in itertools.islice(itertools.product(*options), MAX_READINGS):
        readings.append([s.replace("ü", "v") for s in combo])
    return readings


def _icao_folded(parts: list[str]) -> list[str]:
    """ICAO 9303 transliterates Ä, Ö, Ü as AE, OE, UE or as A, O, U, and Å as AA (a Swedish, Norwegian
    or Danish zone's ÅSE is AASE): compare all of them the same way."""
    return [p.replace("aa", "a").replace("ae", "a").replace("oe", "o").replace("ue", "u") for p in parts]


def _latin_matches(declared: list[str], read: list[str], truncated: bool = False) -> bool:
    if not declared or not read:
        return False
    declared, read = _icao_folded(declared), _icao_folded(read)
    if sorted(declared) == sorted(read):
        return True
    # Parts run together or split differently ("AnnaMaria" for "ANNA MARIA"), family name first or last.
    typed = "".join(declared)
    if any(typed == "".join(read[k:] + read[:k]) for k in range(len(read))):
        return True
    # A name cut to fit the zone: its last parts left out, the parts kept perhaps shortened, each
    # the beginning of the declared part in its place (family name first or last).
    return (
        truncated
        and len(read) <= len(declared)
        and any(all(d.startswith(r) for r, d in zip(read, declared[k:] + declared[:k])) for k in range(len(declared)))
    )


def _pinyin_matches(han: str, latin: list[str]) -> bool:
    typed = "".join(latin).replace("ü", "v").replace("u:", "v")
    for syllables in han_readings(han):
        family, given = syllables[:1], syllables[1:]
        # Family name first (张伟 = Zhang Wei) or last (Wei Zhang); given names run together or apart.
        orders = [family + given, given + family]
        if len(syllables) >= 3:  # a two-character family name (欧阳, 司马)
            orders += [syllables[2:] + syllables[:2]]
        for order in orders:
            spelled = "".join(order)
            # ü is written v, u or yu (吕: LV, LU, LYU on passports).
            if typed in (spelled, spelled.replace("v", "u"), spelled.replace("v", "yu")):
                return True
    return False


def latin_spellings(name: str) -> list[list[str]]:
    """The name's parts in Latin letters: as written; for Cyrillic, by ICAO's transliteration and by
    the common one (anyascii's); for Greek, by ELOT 743 and by anyascii; for another script,
    anyascii's, each Hangul syllable a word. A name partly in another script is spelt whole, not
    with that part dropped."""
    if not OTHER_SCRIPT.search(name):
        return [latin_parts(name)]
    spelt = [latin_parts(SYLLABLE.sub(" ", anyascii(name)))]
    if CYRILLIC.search(name):
        spelt.insert(0, latin_parts(name.casefold().translate(ICAO_CYRILLIC)))
    if GREEK.search(name):
        spelt.insert(0, latin_parts(_elot743(name)))
    family = HANGUL.search(name)
    if family and spelt[0] and family[0] in KOREAN_FAMILY_NAMES:  # a Korean name is written family name first
        spelt += [[variant, *spelt[0][1:]] for variant in KOREAN_FAMILY_NAMES[family[0]]]
    return spelt


def _consonants(word: str) -> str:
    """A word's consonants as an Arabic name writes them: one symbol for KH, SH, GH, TH, DH; Q as K;
    no vowels or semivowels; a final H left out (ة, written A or AH: FATIMA, FATIMAH); repeats as one."""
    for spelt, sound in ABJAD_SOUNDS:
        word = word.replace(spelt, sound)
    word = ABJAD_SILENT.sub("", word)
    return re.sub(r"(.)\1+", r"\1", word[:-1] if word.endswith("h") else word)


def _arabic_readings(name: str) -> set[str]:
    """The Latin letters (anyascii's) of a name in Arabic script as it may be read: as Arabic reads
    it, as Persian does, with Egypt's G; each with every article before a sun letter as written or
    assimilated (all as written or all assimilated beyond MAX_ARTICLES)."""
    pieces = SUN_ARTICLE.split(name)  # the name between its articles
    if len(pieces) - 1 > MAX_ARTICLES:
        written = {name, "".join(pieces)}
    else:
        ways = itertools.product(("ال", ""), repeat=len(pieces) - 1)
        written = {"".join(p + a for p, a in zip(pieces, (*kept, ""))) for kept in ways}
    return {anyascii(n.translate(t)) for n in written for t in ({}, PERSIAN_READINGS, EGYPTIAN_READINGS)}


def _hebrew_readings(name: str) -> list[str]:
    """A name in Hebrew letters spelt each way its letters may be written in Latin (HEBREW_LETTERS;
    points and other marks left out), up to MAX_HEBREW_READINGS. A word's letters are kept apart by
    an unwritten vowel, so that two (כה: K, H) are not read as one sound (KH)."""
    readings = [""]
    for c in name:
        if c.isspace():
            readings = [r + " " for r in readings]
        elif c in HEBREW_LETTERS:
            readings = [r + ("e" if r and r[-1] != " " else "") + w for r in readings for w in HEBREW_LETTERS[c]]
            readings = readings[:MAX_HEBREW_READINGS]
    return readings


def _abjad_matches(declared: list[str], read: list[str]) -> bool:
    """A name in Arabic or Hebrew script (one of its Latin readings: _arabic_readings,
    _hebrew_readings) and a Latin one: the same consonants in the same order, the Latin name's parts
    in any rotation (family name first), parts run together or apart (عبد الله is ABDULLAH), the
    article joined or not (الحسن: AL HASSAN, ALHASSAN)."""
    typed = re.sub(r"(.)\1+", r"\1", "".join(map(_consonants, declared)))
    if not typed:
        return False
    words = [_consonants(w) for w in read]
    return any(typed == re.sub(r"(.)\1+", r"\1", "".join(words[k:] + words[:k])) for k in range(len(words)))


def _syllable_pattern(syllable: str) -> str:
    """A regular expression for the Latin spellings of one Hangul syllable."""
    code = ord(syllable) - 0xAC00
    initial, vowel, final = code // 588, code % 588 // 28, code % 28
    return f"(?:{HANGUL_INITIALS[initial]})(?:{HANGUL_VOWELS[vowel]})(?:{HANGUL_FINALS[final]})"


def _hangul_matches(hangul: str, latin: list[str]) -> bool:
    """A name in Hangul and a Latin one spelt syllable by syllable by any common romanisation, the
    family name (the first syllable, or the first two) first or last, given names run together or
    apart (김정은: KIM JONG UN, KIM JEONGEUN, JONG-UN KIM)."""
    syllables = HANGUL.findall(hangul)
    if len(syllables) > MAX_HANGUL_SYLLABLES:  # no Korean name is so long: not worth a costly search
        return False
    typed = ["".join(latin[k:] + latin[:k]) for k in range(len(latin))]
    for cut in (1, 2):
        if cut >= len(syllables):
            break
        family = "|".join(
            [
                "".join(map(_syllable_pattern, syllables[:cut])),
                *(KOREAN_FAMILY_NAMES.get(syllables[0], ()) if cut == 1 else ()),
            ]
        )
        given = "".join(map(_syllable_pattern, syllables[cut:]))
        for order in (f"(?:{family}){given}", f"{given}(?:{family})"):
            if any(re.fullmatch(order, t) for t in typed):
                return True
    return False


def names_match(declared: str, read: str, *, truncated: bool = False) -> bool:
    """Whether the name the applicant gave is the name on the document; `truncated`: the document's
    is a machine-readable zone's that filled its field, and may be cut short (mrz.Mrz.names_truncated)."""
    if is_han(declared) and is_han(read):  # in either script: 張偉 is 张伟
        return simplified_han(declared) == simplified_han(read)
    if is_han(read):
        return _pinyin_matches(read, latin_parts(declared))
    if is_han(declared):
        return _pinyin_matches(declared, latin_parts(read))
    if any(_latin_matches(a, b, truncated) for a in latin_spellings(declared) for b in latin_spellings(read)):
        return True
    for other, latin in ((declared, read), (read, declared)):
        if OTHER_SCRIPT.search(latin):
            continue
        if ARABIC.search(other):
            return any(_abjad_matches(latin_parts(r), latin_parts(latin)) for r in _arabic_readings(other))
        if HEBREW.search(other):
            if sum(c in HEBREW_LETTERS for c in other) > MAX_HEBREW_LETTERS:
                return False
            return any(_abjad_matches(latin_parts(r), latin_parts(latin)) for r in _hebrew_readings(other))
        if HANGUL.search(other) and not OTHER_SCRIPT.search(HANGUL.sub("", other)):
            return _hangul_matches(other, latin_parts(latin))
    return False
