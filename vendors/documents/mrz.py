"""ICAO Doc 9303 machine-readable zones: TD3 (passports, 2 x 44) and TD1 (ID cards, 3 x 30).

Finds the zone among OCR'd lines, corrects the recogniser's letter/digit confusions only where a
field's alphabet or its check digit decides them, and verifies every check digit: per field and the
composite one.
"""

from __future__ import annotations

import dataclasses
import datetime
import itertools
import re

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
    format: str  # "TD3" or "TD1"
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

    @property
    def valid(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed_fields(self) -> list[str]:
        return [c.field for c in self.checks if not c.passed]


def normalise_line(text: str) -> str:
    """An OCR'd line as MRZ characters: upper case, no spaces, the usual misreadings of the filler."""
    text = text.upper().replace("«", "<<").replace("‹", "<").replace("〈", "<").replace("く", "<")
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
    """("TD3" | "TD1", the zone's lines) from OCR'd lines in reading order, if a zone is there."""
    candidates = [normalise_line(t) for t in texts]
    candidates = [c for c in candidates if len(c) >= 20 and (FILLER in c or len(c) >= 28)]
    for fmt, count, length, names in (("TD3", 2, 44, 0), ("TD1", 3, 30, 2)):
        for start in range(len(candidates) - count + 1):
            block = [_fit(c, length, names=i == names) for i, c in enumerate(candidates[start : start + count])]
            if all(block) and re.match(r"^[A-Z0-9<]{2}", block[0]) and block[0][0] in "PIACV":
                return fmt, block
    return None


def parse(fmt: str, lines: list[str], *, today: datetime.date | None = None) -> Mrz:
    today = today or datetime.date.today()
    if fmt == "TD3":
        return _parse_td3(lines, today)
    return _parse_td1(lines, today)


def _dated(raw: str, digit: str, *, future: bool, today) -> tuple[str, datetime.date | None, bool]:
    raw, digit = _digits(raw), _check_char(digit)
    passed = digit.isdigit() and check_digit(raw) == digit
    return raw, _date(raw, future=future, today=today), passed


def _sex(c: str) -> str:
    return c if c in "MF" else ""


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
    composite_field = (
        (number + _check_char(two[9]) + dob_raw + _check_char(two[19]) + exp_raw + _check_char(two[27]))
        + optional
        + optional_digit
    )
    composite_digit = _check_char(two[43])
    composite_ok = composite_digit.isdigit() and check_digit(composite_field) == composite_digit
    if not composite_ok and number != two[0:9]:
        # A correction the composite check digit does not confirm is a guess: the number as printed fails.
        number, number_ok = two[0:9], False
    surname, given = _names(one[5:44])
    return Mrz(
        format="TD3",
        document_code=one[0:2].strip(FILLER),
        issuing_state=_letters(one[2:5]).strip(FILLER),
        document_number=number.strip(FILLER),
        nationality=_letters(two[10:13]).strip(FILLER),
        date_of_birth=dob,
        sex=_sex(two[20]),
        expiry_date=exp,
        surname=surname,
        given_names=given,
        optional=optional.strip(FILLER),
        checks=[
            MrzCheck("document_number", number_ok),
            MrzCheck("date_of_birth", dob_ok),
            MrzCheck("expiry_date", exp_ok),
            MrzCheck("optional", optional_ok),
            MrzCheck("composite", composite_ok),
        ],
        lines=list(lines),
    )


def _parse_td1(lines, today) -> Mrz:
    one, two, three = lines
    number_field, number_digit, optional1 = one[5:14], one[14], one[15:30]
    if number_digit == FILLER and FILLER in optional1:
        # A number longer than nine characters continues in the optional field, its check digit last.
        rest = optional1.split(FILLER, 1)[0]
        number_field, number_digit = number_field + rest[:-1], rest[-1:] or FILLER
    number, number_ok = _alphanumeric(number_field, _check_char(number_digit))
    dob_raw, dob, dob_ok = _dated(two[0:6], two[6], future=False, today=today)
    exp_raw, exp, exp_ok = _dated(two[8:14], two[14], future=True, today=today)
    # The composite covers the first line from the number on, and the second up to its last check.
    first = one[5:30].replace(number_field, number, 1)  # a corrected number counts as corrected
    composite_field = first + dob_raw + _check_char(two[6]) + exp_raw + _check_char(two[14]) + two[18:29]
    composite_digit = _check_char(two[29])
    composite_ok = composite_digit.isdigit() and check_digit(composite_field) == composite_digit
    if not composite_ok and number != number_field:
        number, number_ok = number_field, False  # as for TD3: an unconfirmed correction is not made
    surname, given = _names(three)
    return Mrz(
        format="TD1",
        document_code=one[0:2].strip(FILLER),
        issuing_state=_letters(one[2:5]).strip(FILLER),
        document_number=number.strip(FILLER),
        nationality=_letters(two[15:18]).strip(FILLER),
        date_of_birth=dob,
        sex=_sex(two[7]),
        expiry_date=exp,
        surname=surname,
        given_names=given,
        optional=(optional1 + two[18:29]).strip(FILLER),
        checks=[
            MrzCheck("document_number", number_ok),
            MrzCheck("date_of_birth", dob_ok),
            MrzCheck("expiry_date", exp_ok),
            MrzCheck("composite", composite_ok),
        ],
        lines=list(lines),
    )
