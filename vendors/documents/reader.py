"""What an identity document says, from the OCR'd lines of its front and back: which type it is,
its fields, and the checks that need nothing but the document itself (check digits, the number
against the printed fields, front against back, the printed fields against the MRZ).

Checks that depend on the operator's policy (expiry window, minimum age) or on what the applicant
declared are made by the pipeline from what is returned here.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
import unicodedata

from . import cn_id, mrz
from .names import latin_parts, unaccented
from .ocr import Line, level, tilt

CN_RESIDENT_ID = "cn_resident_id"
PASSPORT = "passport"
ID_CARD_TD1 = "id_card_td1"
ID_CARD_TD2 = "id_card_td2"
ID_CARD_FR = "id_card_fr"  # the French national identity card of 1988-2021
UNKNOWN = "unknown"
TYPES = (CN_RESIDENT_ID, PASSPORT, ID_CARD_TD1, ID_CARD_TD2, ID_CARD_FR, UNKNOWN)
# The ID cards' zones, by format: on either side, the printed data on the other.
CARD_ZONES = {"TD1": ID_CARD_TD1, "TD2": ID_CARD_TD2, "FR": ID_CARD_FR}
# The sides' fields a type must yield to count as read.
REQUIRED_FIELDS = {
    CN_RESIDENT_ID: ("full_name", "document_number", "date_of_birth"),
    PASSPORT: ("surname", "document_number", "date_of_birth", "expiry_date"),
    ID_CARD_TD1: ("surname", "document_number", "date_of_birth", "expiry_date"),
    ID_CARD_TD2: ("surname", "document_number", "date_of_birth", "expiry_date"),
    ID_CARD_FR: ("surname", "document_number", "date_of_birth"),  # its zone has no expiry date
}
PASSED, FAILED, NOT_CHECKED = "passed", "failed", "not_checked"
# Which side a type needs besides the front.
# A TD2 card's zone holds every field, on whichever side it is printed (a front without it reads
# as unknown, which asks for the back too); a French card's validity is on its back.
NEEDS_BACK = {CN_RESIDENT_ID: True, ID_CARD_TD1: True, ID_CARD_TD2: False, ID_CARD_FR: True, PASSPORT: False}


@dataclasses.dataclass
class Field:
    value: str
    confidence: float
    side: str  # "front" or "back"
    box: list | None = None

    def as_dict(self) -> dict:
        return {"value": self.value, "confidence": round(self.confidence, 3), "side": self.side, "box": self.box}


@dataclasses.dataclass
class Reading:
    type: str
    fields: dict[str, Field]
    checks: list[dict]  # {"check", "outcome", "field"?}
    sides: dict[str, str]  # side -> what was seen on it ("cn_front", "cn_back", "mrz_td1", "unknown", "absent")
    long_term: bool = False  # a card valid without end (长期)
    names_truncated: bool = False  # the zone's name field is full: the name read may be cut short

    @property
    def readable(self) -> bool:
        return self.type != UNKNOWN and all(f in self.fields for f in REQUIRED_FIELDS[self.type])

    def missing_fields(self) -> list[str]:
        return [] if self.type == UNKNOWN else [f for f in REQUIRED_FIELDS[self.type] if f not in self.fields]

    def value(self, name) -> str | None:
        field = self.fields.get(name)
        return field.value if field else None


def _check(name, outcome, field=None) -> dict:
    return {"check": name, "outcome": outcome, **({"field": field} if field else {})}


def _in_zone(line: Line, zone) -> bool:
    """Whether the line is one of the zone's (a printed number its second line starts with is not:
    zone lines are of 20 characters and more, as mrz.find_lines takes them)."""
    text = mrz.normalise_line(line.text)
    return len(text) >= 20 and text[:10] in {z[:10] for z in zone}


def _mrz_of(lines: list[Line]):
    found = mrz.find_lines([line.text for line in lines])
    if found is None or found[1][0].startswith("V"):  # a visa's zone: not an identity document
        return None, None
    return found, [line.box for line in lines if _in_zone(line, found[1])]


def _visual(lines: list[Line], found) -> list[Line]:
    """The lines outside the machine-readable zone."""
    return [line for line in lines if not found or not _in_zone(line, found[1])]


def _pieces_joined(lines: list[Line], today: datetime.date) -> list[Line]:
    """The lines with the pieces of each zone line joined, where that finds a zone and the lines as
    read find none whose check digits all hold: the detector may cut a line of the zone in two at a
    run of fillers (pieces on one row, of the zone's characters, one with a filler, the second to
    the right of the first). Its first piece alone would pass for a whole line whose trailing
    fillers were not read, and fail the check digits."""
    if not lines:
        return lines
    joined, angle = [lines[0]], tilt(lines)
    for line in lines[1:]:
        last = joined[-1]
        pieces = _zone_piece(last), _zone_piece(line)
        if all(pieces) and mrz.FILLER in "".join(pieces) and _next_on_row(last, line, angle):
            corners = [last.box[0], line.box[1], line.box[2], last.box[3]]
            joined[-1] = Line(last.text + line.text, min(last.score, line.score), corners)
        else:
            joined.append(line)
    if len(joined) == len(lines) or mrz.find_lines([line.text for line in joined]) is None:
        return lines
    as_read = mrz.find_lines([line.text for line in lines])
    return lines if as_read is not None and mrz.parse(*as_read, today=today).valid else joined


def _zone_piece(line: Line) -> str:
    """The line's text if it is of the zone's alphabet only (upper-case letters, digits, fillers as
    mrz.normalise_line reads them), spaces apart; else ""."""
    text = re.sub(r"\s+", "", unicodedata.normalize("NFKC", line.text)).translate(mrz.FILLER_READINGS)
    return text if re.fullmatch(r"[A-Z0-9<]+", text) else ""


def _next_on_row(left: Line, right: Line, angle: float) -> bool:
    """`right` begins where `left` ends or after it, its middle within half `left`'s height of
    left's, along the page's lines (`angle`: ocr.tilt())."""
    (_, ly0), (lx1, _), (_, ly2), (_, ly3) = level(left.box, angle)
    (rx0, ry0), _, (_, ry2), _ = level(right.box, angle)
    height = max(1.0, ly3 - ly0)
    return rx0 >= lx1 - height and abs((ry0 + ry2) / 2 - (ly0 + ly2) / 2) < height / 2


def read(front: list[Line], back: list[Line] | None, *, today: datetime.date | None = None) -> Reading:
    today = today or datetime.date.today()
    front, back = _pieces_joined(front, today), _pieces_joined(back or [], today)
    front_zone, front_boxes = _mrz_of(front)
    back_zone, back_boxes = _mrz_of(back)
    sides = {"front": _side_kind(front, front_zone), "back": _side_kind(back, back_zone) if back else "absent"}
    if front_zone and front_zone[0] == "TD3":
        return _machine_readable(PASSPORT, front_zone, front_boxes, "front", _visual(front, front_zone), sides, today)
    if front_zone and front_zone[0] == "FR":
        return _french_card(front_zone, front_boxes, _visual(front, front_zone), back, sides, today)
    if back_zone and back_zone[0] in CARD_ZONES or front_zone and front_zone[0] in CARD_ZONES:
        on_back = bool(back_zone) and back_zone[0] in CARD_ZONES
        zone, boxes, side = (back_zone, back_boxes, "back") if on_back else (front_zone, front_boxes, "front")
        # The printed side is the other one; a zone on the front leaves only that side's print.
        visual = _visual(front, front_zone) if side == "back" else _visual(back or front, front_zone)
        return _machine_readable(CARD_ZONES[zone[0]], zone, boxes, side, visual, sides, today)
    if cn_id.is_front(front) or cn_id.is_back(back):
        return _cn_resident_id(front, back, sides)
    return Reading(UNKNOWN, {}, [_check("document_type", FAILED)], sides)


def _side_kind(lines, zone) -> str:
    if zone:
        return f"mrz_{zone[0].lower()}"
    if cn_id.is_front(lines):
        return "cn_front"
    if cn_id.is_back(lines):
        return "cn_back"
    return "unknown" if lines else "blank"


def _cn_resident_id(front, back, sides) -> Reading:
    fields = {name: Field(f.value, f.confidence, "front", f.box) for name, f in cn_id.read_front(front).items()}
    back_fields = cn_id.read_back(back) if back else {}
    long_term = back_fields.get("expiry_date") is not None and back_fields["expiry_date"].value == cn_id.LONG_TERM
    for name, f in back_fields.items():
        if not (name == "expiry_date" and long_term):
            fields[name] = Field(f.value, f.confidence, "back", f.box)
    fields["issuing_country"] = Field("CHN", 1.0, "front")
    fields["nationality"] = Field("CHN", 1.0, "front")  # only citizens hold this card
    checks = []
    number = fields.get("document_number")
    if number is None:
        checks.append(_check("number_check_digit", NOT_CHECKED, "document_number"))
    else:
        valid = cn_id.number_valid(number.value)
        checks.append(_check("number_check_digit", PASSED if valid else FAILED, "document_number"))
        born = fields.get("date_of_birth")
        embedded = cn_id.number_birth_date(number.value)
        if born is None or embedded is None:
            checks.append(_check("number_date_of_birth", NOT_CHECKED, "date_of_birth"))
        else:
            same = born.value == embedded.isoformat()
            checks.append(_check("number_date_of_birth", PASSED if same else FAILED, "date_of_birth"))
        sex = fields.get("sex")
        if sex is None:
            checks.append(_check("number_sex", NOT_CHECKED, "sex"))
        else:
            checks.append(
                _check("number_sex", PASSED if sex.value == cn_id.number_sex(number.value) else FAILED, "sex")
            )
    checks.append(_front_against_back_cn(fields, back, long_term))
    return Reading(CN_RESIDENT_ID, fields, checks, sides, long_term=long_term)


def _front_against_back_cn(fields, back, long_term) -> dict:
    """The back's validity must begin after the holder's birth and end after it begins; a card of a
    holder under 16 is valid 5 years, 16-25: 10 years, 26-45: 20 years, from 46: without end."""
    issued, expires, born = fields.get("issue_date"), fields.get("expiry_date"), fields.get("date_of_birth")
    if not back or issued is None or born is None or (expires is None and not long_term):
        return _check("front_back", NOT_CHECKED)
    issued_on = datetime.date.fromisoformat(issued.value)
    if issued_on < datetime.date.fromisoformat(born.value):
        return _check("front_back", FAILED, "issue_date")
    if long_term:
        return _check("front_back", PASSED)
    years = datetime.date.fromisoformat(expires.value).year - issued_on.year
    return _check("front_back", PASSED if years in (5, 10, 20) else FAILED, "expiry_date")


# A French card issued from 2 January 2004 to 31 December 2013 to an adult is valid five years
# beyond the date printed on it (décret 2013-1188), as are those issued since for fifteen years.
FR_EXTENDED = (datetime.date(2004, 1, 2), datetime.date(2013, 12, 31))
FR_DATE = r"[.\s/-]*(\d{2})[.\s/-]*(\d{2})[.\s/-]*(\d{4})"


def _french_card(zone, boxes, visual, back, sides, today) -> Reading:
    """The French card of 1988-2021: its zone and print on the front; on its back, when it was
    photographed, the issue date and the validity ("Carte valable jusqu'au", with the extension by
    law applied) and, against the front, the issue's year and month the card number begins with."""
    reading = _machine_readable(ID_CARD_FR, zone, boxes, "front", visual, sides, today, print_check="printed_mrz")
    text = unaccented(" ".join(line.text for line in back or []))
    issued, expires = _fr_date(r"delivree?\s*le", text), _fr_date(r"valable\s*jusqu\W*\s*au", text)
    born = reading.value("date_of_birth")
    if issued and expires and born:
        adult = age_on(born, issued) >= 18
        if FR_EXTENDED[0] <= issued <= FR_EXTENDED[1] and adult:
            expires = _years_later(expires, 5)
    box = back[0].box if back else None
    for name, value in (("issue_date", issued), ("expiry_date", expires)):
        if value:
            reading.fields[name] = Field(value.isoformat(), 0.9, "back", box)
    number = reading.value("document_number") or ""
    if issued is None or not re.fullmatch(r"\d{4}", number[:4]):
        reading.checks.append(_check("front_back", NOT_CHECKED))
    else:
        same = number[:4] == f"{issued:%y%m}"
        reading.checks.append(_check("front_back", PASSED if same else FAILED, "issue_date"))
    return reading


def _years_later(day: datetime.date, years: int) -> datetime.date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February, in a year without one
        return day.replace(year=day.year + years, day=28)


def _fr_date(label: str, text: str) -> datetime.date | None:
    m = re.search(label + r"\W*" + FR_DATE, text)
    try:
        return datetime.date(int(m[3]), int(m[2]), int(m[1])) if m else None
    except ValueError:
        return None


def _machine_readable(doc_type, found, boxes, side, visual, sides, today, print_check=None) -> Reading:
    fmt, zone = found
    parsed = mrz.parse(fmt, zone, today=today)
    box = boxes[-1] if boxes else None
    # Recognition confidence is high on OCR-B, and the check digits say the rest.
    confidence = 1.0 if parsed.valid else 0.5

    def field(value):
        return Field(value, confidence, side, box)

    values = {
        "surname": parsed.surname,
        "full_name": f"{parsed.given_names} {parsed.surname}".strip() if parsed.surname else "",
        "given_names": parsed.given_names,
        "document_number": parsed.document_number,
        "date_of_birth": parsed.date_of_birth.isoformat() if parsed.date_of_birth else "",
        "sex": parsed.sex,
        "nationality": parsed.nationality,
        "issuing_country": parsed.issuing_state,
        "expiry_date": parsed.expiry_date.isoformat() if parsed.expiry_date else "",
    }
    fields = {name: field(value) for name, value in values.items() if value}
    checks = [_check(f"mrz_{c.field}", PASSED if c.passed else FAILED, c.field) for c in parsed.checks]
    # A card's print on its other side is its front against its back; beside the zone, as on a passport page.
    other_side = doc_type in CARD_ZONES.values() and sides["back"] != "absent"
    print_check = print_check or ("front_back" if other_side else "printed_mrz")
    checks.append(_printed_against_mrz(parsed, visual, print_check))
    return Reading(doc_type, fields, checks, sides, names_truncated=parsed.names_truncated)


def _printed_against_mrz(parsed: mrz.Mrz, visual: list[Line], name: str) -> dict:
    """The document number and the date of birth as printed in the visual zone (or on the card's
    other side), against the MRZ: a printed value that is the MRZ's but for a character or two is a
    mismatch; none found to compare is not checked."""
    text = unicodedata.normalize("NFKC", " ".join(line.text for line in visual)).upper()  # full-width as ASCII
    if not text or not parsed.document_number:
        return _check(name, NOT_CHECKED)
    tokens = set(re.findall(r"[A-Z0-9]{6,12}", text))
    number = parsed.document_number
    if number in tokens or number in text.replace(" ", ""):
        surname = latin_parts(parsed.surname)
        if surname and not all(part.upper() in text for part in surname):
            return _check(name, NOT_CHECKED, "surname")
        return _check(name, PASSED, "document_number")
    near = [t for t in tokens if len(t) == len(number) and sum(a != b for a, b in zip(t, number)) <= 2]
    if near and any(t[:2] == number[:2] for t in near):
        return _check(name, FAILED, "document_number")
    return _check(name, NOT_CHECKED)


def age_on(born: str | None, day: datetime.date) -> int | None:
    if not born:
        return None
    b = datetime.date.fromisoformat(born)
    return day.year - b.year - ((day.month, day.day) < (b.month, b.day))


def days_to_expiry(expires: str | None, day: datetime.date) -> int | None:
    if not expires:
        return None
    return (datetime.date.fromisoformat(expires) - day).days
