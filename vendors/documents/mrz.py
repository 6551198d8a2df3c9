"""ICAO Doc 9303 machine-readable zones: TD3 (passports, 2 x 44), TD2 (ID cards and residence
permits, 2 x 36) and TD1 (ID cards, 3 x 30); and the French national identity card of 1988-2021,
whose 2 x 36 zone (IDFRA...) has its own layout and no expiry date.

Finds the zone among OCR'd lines, corrects the recogniser's letter/digit confusions only where a
field's alphabet or its check digit decides them, and verifies every check digit: per field and the
composite one.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import re
import unicodedata

FILLER = "<"
WEIGHTS = (7, 3, 1)
# What a recogniser reads for what is printed: digits for letters, letters for digits.
AS_DIGIT = {"O": "0", "Q": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8", "G": "6"}
# In a field of letters and digits, only the pairs a recogniser confuses on OCR-B are swapped.
CONFUSED = {"O": "0", "0": "O", "I": "1", "1": "I", "B": "8", "8": "B", "S": "5", "5": "S", "Z": "2", "2": "Z"}
AS_LETTER = {"0": "O", "1": "I", "2": "Z", "5": "S", "8": "B", "6": "G"}
# A field with this many ambiguous characters is not guessed at (2**n candidates).
MAX_AMBIGUOUS = 8


def char_value(c: str) -> int:
    if c.isdigit():
        return int(c)
    if "A" <= c <= "Z":
        return ord(c) - ord("A") + 10
    return 0  # the filler


def check_digit(field: str) -> str:
    return str(sum(char_value(c) * WEIGHTS[i % 3] for i, c in enumerate(field)) % 10)


def _digits(text: str) -> str:
    return "".join(AS_DIGIT.get(c, c) for c in text)


def _letters(text: str) -> str:
    return "".join(AS_LETTER.get(c, c) for c in text)


def _check_char(c: str) -> str:
    """A check digit position: a digit, or the filler that counts as 0 on an empty optional field."""
    return c if c == FILLER else AS_DIGIT.get(c, c)


def _alphanumeric(field: str, digit: str) -> tuple[str, bool]:
    """(field, passes): the field as read if its check digit holds, else the reading of its
    ambiguous characters (O/0, I/1, B/8, ...) with the fewest changes that makes it hold, if only
    one does; as read otherwise."""
    if not digit.isdigit():
        return field, False
    if check_digit(field) == digit:
        return field, True
    swaps = CONFUSED
    ambiguous = [i for i, c in enumerate(field) if c in swaps]
    if len(ambiguous) > MAX_AMBIGUOUS:
        return field, False
    for changes in range(1, len(ambiguous) + 1):
        found = []
        for positions in itertools.combinations(ambiguous, changes):
            chars = list(field)
            for i in positions:
                chars[i] = swaps[chars[i]]
            candidate = "".join(chars)
            if check_digit(candidate) == digit:
                found.append(candidate)
        if len(found) == 1:
            return found[0], True
        if found:  # two readings as close as each other: the check digit cannot tell them apart
            return field, False
    return field, False


def _date(yymmdd: str, *, future: bool, today: datetime.date) -> datetime.date | None:
    """A six-digit date; the century is the one that puts a birth date in the past and an expiry
    date within 50 years of today."""
    if not re.fullmatch(r"\d{6}", yymmdd):
        return None
    yy, mm, dd = int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:])
    century = today.year // 100 * 100
    year = century + yy
    if future and year > today.year + 50 or not future and year > today.year:
        year -= 100
    try:
        return datetime.date(year, mm, dd)
    except ValueError:
        return None


def _names(field: str) -> tuple[str, str]:
    surname, _, given = field.strip(FILLER).partition(FILLER * 2)
    clean = lambda part: " ".join(p for p in _letters(part).split(FILLER) if p)  # noqa: E731
    return clean(surname), clean(given)


@dataclasses.dataclass
class MrzCheck:
    field: str
    passed: bool


@dataclasses.dataclass
class Mrz:
    format: str  # "TD3", "TD2", "TD1" or "FR"
    document_code: str
    issuing_state: str
    document_number: str
    nationality: str
    date_of_birth: datetime.date | None
    sex: str  # "M", "F" or "" (unspecified)
    expiry_date: datetime.date | None
    surname: str
    given_names: str
    optional: str
    checks: list[MrzCheck]
    lines: list[str] = dataclasses.field(repr=False)
    # The name field is full to its last character: a longer name is cut there, its parts perhaps
    # shortened (ICAO 9303 part 3, 4.6: truncation shown by a letter in the field's last place).
    names_truncated: bool = False

    @property
    def valid(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed_fields(self) -> list[str]:
        return [c.field for c in self.checks if not c.passed]


# How a recogniser whose alphabet includes Chinese punctuation may read the filler, one or two of them.
FILLER_READINGS = str.maketrans({"«": "<<", "≪": "<<", "《": "<<", "‹": "<", "〈": "<", "く": "<"})


def normalise_line(text: str) -> str:
    """An OCR'd line as MRZ characters: upper case, no spaces, the usual misreadings of the filler;
    full-width forms (Ｏ, ０, ＜, which the recogniser's Chinese alphabet has) as the ASCII they are."""
    text = unicodedata.normalize("NFKC", text).upper().translate(FILLER_READINGS)
    return re.sub(r"[^A-Z0-9<]", "", text)


def _fit(line: str, length: int, *, names: bool) -> str | None:
    """A line of the zone at its exact length: only its trailing filler may be short or long (a
    recogniser drops or adds some), or a names line's end, which is filler when the names are short."""
    if len(line) == length:
        return line
    if len(line) > length:
        return line[:length] if set(line[length:]) <= {FILLER} else None
    if names or line.endswith(FILLER * 2):
        return line + FILLER * (length - len(line))
    return None


def find_lines(texts: list[str]) -> tuple[str, list[str]] | None:
    """("TD3" | "TD2" | "TD1" | "FR", the zone's lines) from OCR'd lines in reading order, if a zone is there."""
    candidates = [normalise_line(t) for t in texts]
    candidates = [c for c in candidates if len(c) >= 20 and (FILLER in c or len(c) >= 28)]
    # Of the blocks that fit a format, the one whose lines as read are nearest its length: a TD1
    # zone whose second line lost its last character also fits TD2 once padded with filler.
    found = []
    for fmt, count, length, names in (("TD3", 2, 44, 0), ("TD2", 2, 36, 0), ("TD1", 3, 30, 2)):
        for start in range(len(candidates) - count + 1):
            lines = candidates[start : start + count]
            block = [_fit(c, length, names=i == names) for i, c in enumerate(lines)]
            if all(block) and re.match(r"^[A-Z0-9<]{2}", block[0]) and block[0][0] in "PIACV":
                found.append((sum(abs(len(c) - length) for c in lines), len(found), fmt, block))
    if not found:
        return None
    fmt, block = min(found)[2:]
    # A French card of 1988-2021 has a zone of TD2's size, laid out its own way.
    return ("FR" if fmt == "TD2" and block[0].startswith("IDFRA") else fmt), block


def parse(fmt: str, lines: list[str], *, today: datetime.date | None = None) -> Mrz:
    today = today or datetime.date.today()
    if fmt == "TD3":
        return _parse_td3(lines, today)
    if fmt == "TD2":
        return _parse_td2(lines, today)
    if fmt == "FR":
        return _parse_fr(lines, today)
    return _parse_td1(lines, today)


def _dated(raw: str, digit: str, *, future: bool, today) -> tuple[str, datetime.date | None, bool]:
    raw, digit = _digits(raw), _check_char(digit)
    passed = digit.isdigit() and check_digit(raw) == digit
    return raw, _date(raw, future=future, today=today), passed


def _sex(c: str) -> str:
    return c if c in "MF" else ""


def _holds(field: str, digit: str) -> bool:
    digit = _check_char(digit)
    return digit.isdigit() and check_digit(field) == digit


def _confirmed(number: str, number_ok: bool, as_read: str, composite_ok: bool) -> tuple[str, bool]:
    """A correction the composite check digit does not confirm is a guess: the number as read fails."""
    return (number, number_ok) if composite_ok or number == as_read else (as_read, False)


def _zone(fmt, lines, *, number, nationality, sex, dates, names, optional, checks: dict, truncated=None) -> Mrz:
    one = lines[0]
    surname, given = _names(names)
    return Mrz(
        format=fmt,
        document_code=one[0:2].strip(FILLER),
        issuing_state=_letters(one[2:5]).strip(FILLER),
        document_number=number.strip(FILLER),
        nationality=_letters(nationality).strip(FILLER),
        date_of_birth=dates[0],
        sex=_sex(sex),
        expiry_date=dates[1],
        surname=surname,
        given_names=given,
        optional=optional.strip(FILLER),
        checks=[MrzCheck(name, passed) for name, passed in checks.items()],
        lines=list(lines),
        names_truncated=names[-1] != FILLER if truncated is None else truncated,
    )


def _parse_td3(lines, today) -> Mrz:
    one, two = lines
    number, number_ok = _alphanumeric(two[0:9], _check_char(two[9]))
    dob_raw, dob, dob_ok = _dated(two[13:19], two[19], future=False, today=today)
    exp_raw, exp, exp_ok = _dated(two[21:27], two[27], future=True, today=today)
    optional = two[28:42]
    optional_digit = _check_char(two[42])
    if optional_digit == FILLER:  # an empty optional field may carry the filler as its check digit
        optional_ok = set(optional) <= {FILLER}
    else:
        optional, optional_ok = _alphanumeric(optional, optional_digit)
    dated = dob_raw + _check_char(two[19]) + exp_raw + _check_char(two[27])
    composite_ok = _holds(number + _check_char(two[9]) + dated + optional + optional_digit, two[43])
    number, number_ok = _confirmed(number, number_ok, two[0:9], composite_ok)
    return _zone(
        "TD3",
        lines,
        number=number,
        nationality=two[10:13],
        sex=two[20],
        dates=(dob, exp),
        names=one[5:44],
        optional=optional,
        checks={
            "document_number": number_ok,
            "date_of_birth": dob_ok,
            "expiry_date": exp_ok,
            "optional": optional_ok,
            "composite": composite_ok,
        },
    )


def _card_number(line: str, start: int, optional: slice) -> tuple[str, str, bool, str]:
    """(number as read, number, passes, the line with it) for an ID card's number: nine characters
    from `start`, its check digit next; a longer one continues in the `optional` field, its check
    digit last there, the filler where the check digit would be. `number` and the line carry the
    reading _alphanumeric() makes hold, if one does."""
    spans, digit = [(start, start + 9)], line[start + 9]
    rest = line[optional].split(FILLER, 1)[0]
    if digit == FILLER and rest:
        spans.append((optional.start, optional.start + len(rest) - 1))
        digit = rest[-1]
    field = "".join(line[a:b] for a, b in spans)
    number, passes = _alphanumeric(field, _check_char(digit))
    chars, taken = list(line), 0
    for a, b in spans:
        chars[a:b] = number[taken : taken + b - a]
        taken += b - a
    return field, number, passes, "".join(chars)


def _card_checks(number_ok, dob_ok, exp_ok, composite_ok) -> dict:
    return {"document_number": number_ok, "date_of_birth": dob_ok, "expiry_date": exp_ok, "composite": composite_ok}


def _parse_td2(lines, today) -> Mrz:
    one, two = lines
    as_read, number, number_ok, corrected = _card_number(two, 0, slice(28, 35))
    dob_raw, dob, dob_ok = _dated(two[13:19], two[19], future=False, today=today)
    exp_raw, exp, exp_ok = _dated(two[21:27], two[27], future=True, today=today)
    # The composite covers the number, the birth date and the expiry with their check digits, and
    # the optional field (a corrected number counts as corrected).
    composite = corrected[0:9] + _check_char(two[9]) + dob_raw + _check_char(two[19])
    composite_ok = _holds(composite + exp_raw + _check_char(two[27]) + corrected[28:35], two[35])
    number, number_ok = _confirmed(number, number_ok, as_read, composite_ok)
    return _zone(
        "TD2",
        lines,
        number=number,
        nationality=two[10:13],
        sex=two[20],
        dates=(dob, exp),
        names=one[5:36],
        optional=two[28:35],
        checks=_card_checks(number_ok, dob_ok, exp_ok, composite_ok),
    )


def _parse_td1(lines, today) -> Mrz:
    one, two, three = lines
    as_read, number, number_ok, corrected = _card_number(one, 5, slice(15, 30))
    dob_raw, dob, dob_ok = _dated(two[0:6], two[6], future=False, today=today)
    exp_raw, exp, exp_ok = _dated(two[8:14], two[14], future=True, today=today)
    # The composite covers the first line from the number on (a corrected number counts as
    # corrected), and the second up to its last check.
    composite = corrected[5:30] + dob_raw + _check_char(two[6]) + exp_raw + _check_char(two[14]) + two[18:29]
    composite_ok = _holds(composite, two[29])
    number, number_ok = _confirmed(number, number_ok, as_read, composite_ok)
    return _zone(
        "TD1",
        lines,
        number=number,
        nationality=two[15:18],
        sex=two[7],
        dates=(dob, exp),
        names=three,
        optional=one[15:30] + two[18:29],
        checks=_card_checks(number_ok, dob_ok, exp_ok, composite_ok),
    )


def _parse_fr(lines, today) -> Mrz:
    """IDFRA, the surname (25), the issuing department and office; then the card number (12: year
    and month of issue, department, sequence) and its check digit, the given names (14), the birth
    date and its check digit, the sex, and a check digit over both lines. No expiry date: the card's
    validity is printed on its back (and was extended by law for some)."""
    one, two = lines
    number, number_ok = _alphanumeric(two[0:12], _check_char(two[12]))
    dob_raw, dob, dob_ok = _dated(two[27:33], two[33], future=False, today=today)
    composite = one + number + _check_char(two[12]) + two[13:27] + dob_raw + _check_char(two[33]) + two[34]
    composite_ok = _holds(composite, two[35])
    number, number_ok = _confirmed(number, number_ok, two[0:12], composite_ok)
    return _zone(
        "FR",
        lines,
        number=number,
        nationality="FRA",  # only French citizens hold it
        sex=two[34],
        dates=(dob, None),
        names=one[5:30] + FILLER * 2 + two[13:27],
        truncated=one[29] != FILLER or two[26] != FILLER,  # the surname's field or the given names'
        optional="",
        checks={"document_number": number_ok, "date_of_birth": dob_ok, "composite": composite_ok},
    )
