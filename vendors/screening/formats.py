"""The list files operators import, read one entry at a time (bounded memory for any size).

- OpenSanctions' FollowTheMoney entities, JSON lines (`entities.ftm.json`): one entity per line,
  {"id", "schema", "caption", "properties": {"name", "alias", "previousName", "weakAlias", "birthDate",
  "nationality", "citizenship", "country", ...}, "datasets", "target"}. Only persons are screened
  against; other schemata (companies, vessels, addresses) are skipped.
- OpenSanctions' `targets.simple.csv`: id, schema, name, aliases (";"-separated), birth_date,
  countries, … dataset.
- A plain CSV for in-house lists: name, date of birth (YYYY-MM-DD, YYYY-MM or YYYY), nationality (a
  header row with those names, or those three columns in that order), and optionally id and aliases.
- The UN Security Council's Consolidated List as its XML (`consolidated.xml`): each INDIVIDUAL with
  its names, aliases, name in the original script, dates of birth and nationalities.
- OFAC's SDN list (and its consolidated non-SDN list) as its XML (`SDN.XML`, `CONS_PRIM.XML`): each
  sdnEntry of type Individual with its names, aliases, dates of birth, nationalities, citizenships.
- The EU's consolidated financial sanctions list as its XML (the Financial Sanctions Files' full
  list): each sanctionEntity of subject type person with its names, dates of birth, citizenships.
- The UK Sanctions List (the FCDO's, which carries OFSI's asset-freeze targets) as its XML
  (`UK-Sanctions-List.xml`): each Designation of an individual with its names, aliases, names in
  non-Latin script, dates of birth and nationalities.
- Switzerland's sanctions list (SECO's) as its XML: each target that is an individual and not
  de-listed, with the names of each of its identities (their spelling variants too), dates of birth
  and nationalities.
- Canada's Consolidated Autonomous Sanctions List (SEMA, JVCFOA) as its XML (`sema-lmes.xml`): each
  record of a person with its name, aliases and dates of birth.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime
import hashlib
import io
import json
import re
import xml.etree.ElementTree as ElementTree
from collections.abc import Iterator

# The format whose entries' countries are every country linked to the person, not only their
# nationalities (targets.simple.csv's `countries`: nationality, residence, jurisdiction …).
LINKED_COUNTRIES_FORMAT = "simple"
PERSON_SCHEMATA = {"Person"}
# The most of an XML file's text read at once.
XML_PIECE = 1 << 16
# XML lists by their root element's name.
XML_ROOTS = {
    "CONSOLIDATED_LIST": "un",
    "sdnList": "ofac",
    "export": "eu",
    "Designations": "uk",
    "swiss-sanctions-list": "ch",
    "data-set": "ca",
}
# A name longer than this is not a person's name (a garbled line): cut, so no entry costs more than others.
MAX_NAME = 200
MAX_NAMES = 50


class ListFormatError(ValueError):
    """The file is not in the format it was taken for; the message says where."""


@dataclasses.dataclass
class Entry:
    key: str  # the list's own id (OpenSanctions' entity id), stable across versions
    caption: str
    names: list[str]  # the name first, then aliases
    birth_dates: list[str]  # ISO, possibly partial: 1970, 1970-03, 1970-03-07
    nationalities: list[str]  # ISO 3166 alpha-2 or alpha-3 codes, lower case, as the list gives them
    datasets: list[str]
    schema: str = "Person"

    def digest(self) -> str:
        """Changes when anything screened against changes (a new version's 'changed')."""
        body = json.dumps([self.caption, self.names, self.birth_dates, self.nationalities, self.datasets])
        return hashlib.sha256(body.encode()).hexdigest()[:32]


def _clean(values, limit=MAX_NAMES) -> list[str]:
    out = []
    for v in values or []:
        v = re.sub(r"\s+", " ", str(v)).strip()[:MAX_NAME]
        if v and v not in out:
            out.append(v)
        if len(out) >= limit:
            break
    return out


def encoding_of(head: bytes) -> str:
    """The file's encoding from its first bytes: UTF-16 by its byte-order mark (Excel's "Unicode
    text"), else UTF-8 (a byte-order mark skipped)."""
    return "utf-16" if head[:2] in (b"\xff\xfe", b"\xfe\xff") else "utf-8-sig"


def opening(stream: io.TextIOBase) -> str:
    """What a file's format is told from: its first line; for XML, up to its root element's start
    tag (a declaration or a comment may come first), read in pieces of at most 64 KiB (an XML file
    may be one line)."""
    first = stream.readline(XML_PIECE)
    if not first.lstrip("\ufeff").lstrip().startswith("<"):
        return first if first.endswith("\n") else first + stream.readline()  # the rest of a long line
    while _xml_root(first) is None and len(first) < XML_PIECE:
        more = stream.readline(XML_PIECE)
        if not more:
            break
        first += more
    return first


def _xml_root(text: str) -> str | None:
    """The local name of the first element that starts in `text` (no namespace), if one does."""
    found = re.search(r"<([A-Za-z_][\w.:-]*)", re.sub(r"<\?.*?\?>|<!--.*?-->|<!DOCTYPE[^>]*>", "", text, flags=re.S))
    return found[1].rpartition(":")[2] if found else None


def detect(first_line: str) -> str:
    """The format of a file from its opening (opening(): its first line, or an XML file's lines up to its root)."""
    line = first_line.lstrip("\ufeff").strip()
    if line.startswith("{"):
        return "ftm"
    if line.startswith("<"):  # XML: the list is told by its root (another XML list is refused by it)
        return XML_ROOTS.get(_xml_root(line), "un")
    header = [h.strip().lower() for h in _first_row(line)]
    if {"id", "schema", "name", "aliases"} <= set(header):
        return "simple"
    return "csv"


def read(stream: io.TextIOBase, fmt: str | None = None, *, first: str | None = None) -> Iterator[Entry]:
    """The person entries of a list file, in file order; `first`: its opening (opening()), if the
    caller has read it already (to detect the format)."""
    first = opening(stream) if first is None else first
    fmt = fmt or detect(first)
    if fmt not in READERS:
        raise ListFormatError(f"unknown format {fmt!r} (known: {', '.join(FORMATS)})")
    yield from READERS[fmt](first, stream)


def _property_values(props: dict, names, number: int) -> list:
    """The values of these properties of an entity: each a list, or one value (a file converted by
    hand); an object is refused with its line."""
    out = []
    for name in names:
        value = props.get(name) or []
        if isinstance(value, dict):
            raise ListFormatError(f"line {number}: {name} is not a list of values")
        out += value if isinstance(value, list) else [value]
    return out


def _ftm(first: str, stream) -> Iterator[Entry]:
    for number, line in enumerate(_lines(first, stream), start=1):
        if not line.strip():
            continue
        try:
            entity = json.loads(line)
        except json.JSONDecodeError as exc:
            raise ListFormatError(f"line {number}: not JSON ({exc.msg})") from None
        if not isinstance(entity, dict) or "id" not in entity:
            raise ListFormatError(f"line {number}: not a FollowTheMoney entity (no id)")
        if not isinstance(entity.get("schema"), str) or entity["schema"] not in PERSON_SCHEMATA:
            continue
        props = entity.get("properties") or {}
        if not isinstance(props, dict):
            raise ListFormatError(f"line {number}: properties are not an object")
        # A former name (a maiden name, a name changed since the listing) is a name the person is known by.
        names = _clean(_property_values(props, ("name", "alias", "previousName", "weakAlias"), number))
        if not names:
            continue
        datasets = entity.get("datasets") or []
        countries = _property_values(props, ("nationality", "citizenship"), number)
        yield Entry(
            key=str(entity["id"])[:200],
            caption=str(entity.get("caption") or names[0])[:MAX_NAME],
            names=names,
            birth_dates=_clean(_property_values(props, ("birthDate",), number), 10),
            nationalities=[c.lower() for c in _clean(countries, 10)],
            datasets=_clean(datasets if isinstance(datasets, list) else [datasets], 20),
            schema=entity["schema"],
        )


def _lines(first, stream):
    yield first
    yield from stream


def _rows(reader, offset: int = 0):
    """A csv reader's rows; a line csv cannot read (a field over its limit of 128 KiB, a quote left
    open to the end of the file) refuses the file with its number (`offset`: lines before the reader's)."""
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise ListFormatError(f"line {_line(reader, offset)}: not readable as CSV ({exc})") from None
        yield row


def _line(reader, offset: int) -> int:
    """The file's line a csv reader (or DictReader, whose own count lags) has read up to."""
    return getattr(reader, "reader", reader).line_num + offset


def _one_line(names: list[str], reader, offset: int = 0) -> list[str]:
    """The row's names (`reader` just past the row, `offset` as for _rows()), refused where one runs
    over lines: a quote left open takes in every line after it as one field, and their entries
    would be lost without a word."""
    if any("\n" in name or "\r" in name for name in names):
        start = _line(reader, offset) - max(name.rstrip("\r\n").count("\n") for name in names)
        raise ListFormatError(f"line {start}: a name runs over several lines (a quote left open?)")
    return names


def _first_row(line: str, delimiter: str = ",") -> list[str]:
    return next(_rows(csv.reader([line], delimiter=delimiter)), [])


def _simple(first: str, stream) -> Iterator[Entry]:
    rows = csv.DictReader(_lines(first.lstrip("\ufeff"), stream))
    for row in _rows(rows):
        if (row.get("schema") or "Person") not in PERSON_SCHEMATA:
            continue
        name, aliases = _one_line([row.get("name") or "", row.get("aliases") or ""], rows)
        names = _clean([name] + aliases.split(";"))
        if not names or not row.get("id"):
            continue
        yield Entry(
            key=row["id"][:200],
            caption=names[0],
            names=names,
            birth_dates=_clean((row.get("birth_date") or "").split(";"), 10),
            nationalities=[c.lower() for c in _clean((row.get("countries") or "").split(";"), 10)],
            datasets=_clean((row.get("dataset") or row.get("datasets") or "").split(";"), 20),
        )


PLAIN_COLUMNS = ("name", "date of birth", "nationality")
# A plain CSV's header, as people write it: each column by the names it goes by.
PLAIN_HEADERS = {
    "name": ("name", "full name", "fullname"),
    "date of birth": ("date of birth", "dob", "birth date", "birthdate"),
    "nationality": ("nationality", "nationalities", "citizenship"),
    "aliases": ("aliases", "alias", "aka", "also known as"),
    "id": ("id",),
}
HEADER_NAMES = {spelling: column for column, spellings in PLAIN_HEADERS.items() for spelling in spellings}
ISO_BIRTH_DATE = re.compile(r"\d{4}(?:-\d{2}){0,2}")
# A year or a month is checked as its first day (a real month: 1967-13 is refused).
FIRST_DAY = {4: "-01-01", 7: "-01", 10: ""}


def _real_date(value: str) -> bool:
    """Whether `value` is YYYY-MM-DD, YYYY-MM or YYYY, and such a day or month exists."""
    if not ISO_BIRTH_DATE.fullmatch(value):
        return False
    try:
        datetime.date.fromisoformat(value + FIRST_DAY[len(value)])
    except ValueError:
        return False
    return True


def _birth_date(value: str, line: int) -> str:
    """An in-house list's date of birth as the matcher compares it: YYYY-MM-DD, YYYY-MM or YYYY.
    Another form is refused, not guessed: 13/01/1967 compared as written would be another year,
    which counts against the match, and the listed person would pass screening."""
    if not _real_date(value):
        raise ListFormatError(f"line {line}: date of birth {value!r} is not YYYY-MM-DD, YYYY-MM or YYYY")
    return value


# What separates a plain CSV's columns: a comma, or what a spreadsheet writes where the comma is
# the decimal mark (a semicolon), or a tab.
DELIMITERS = (",", ";", "\t")


def _delimiter(first: str) -> str:
    """The separator that splits the first line into the most columns (a comma on a tie)."""
    return max(DELIMITERS, key=lambda d: len(_first_row(first, d)))


def _plain(first: str, stream) -> Iterator[Entry]:
    first = first.lstrip("\ufeff")
    delimiter = _delimiter(first)
    cells = [re.sub(r"[\s_-]+", " ", h).strip().lower() for h in _first_row(first, delimiter)]
    header = [HEADER_NAMES.get(cell, cell) for cell in cells]
    has_header = any(cell in HEADER_NAMES for cell in cells)
    if has_header and "name" not in header:
        raise ListFormatError(f"line 1: the header has no name column ({', '.join(PLAIN_HEADERS['name'])})")
    columns = header if has_header else list(PLAIN_COLUMNS)
    lines = stream if has_header else _lines(first, stream)
    reader = csv.reader(lines, delimiter=delimiter)
    offset = 1 if has_header else 0  # the header is not part of the reader's lines
    for values in _rows(reader, offset):
        row = dict(zip(columns, values))
        name, aliases = _one_line([row.get("name") or "", row.get("aliases") or ""], reader, offset)
        names = _clean([name] + aliases.split(";"))
        if not names:
            continue
        dob = (row.get("date of birth") or "").strip()
        if dob:  # the line it ends on
            dob = _birth_date(dob, _line(reader, offset))
        nationality = (row.get("nationality") or "").strip().lower()
        key = (row.get("id") or "").strip() or hashlib.sha256(f"{names[0]}|{dob}".encode()).hexdigest()[:24]
        yield Entry(
            key=key[:200],
            caption=names[0],
            names=names,
            birth_dates=[dob] if dob else [],
            nationalities=[nationality] if nationality else [],
            datasets=[],
        )


UN_NAME_PARTS = ("FIRST_NAME", "SECOND_NAME", "THIRD_NAME", "FOURTH_NAME")
# A range of years of birth ("BETWEEN 1966 AND 1969") is kept as each year, up to this many.
MAX_YEARS = 10


class _Text:
    """The file's text as a stream again, its opening put back, in pieces of at most XML_PIECE: the
    parser builds the elements of one piece at a time, whatever the file's lines."""

    def __init__(self, first: str, stream):
        self._text, self._at, self._stream = first, 0, stream

    def read(self, size: int = -1) -> str:
        size = min(size, XML_PIECE) if size and size > 0 else XML_PIECE
        if self._at >= len(self._text):
            self._text, self._at = self._stream.read(size), 0
        piece = self._text[self._at : self._at + size]
        self._at += len(piece)
        return piece


def _local(tag: str) -> str:
    return tag.rpartition("}")[2]  # OFAC's and the EU's elements are in a namespace, the UN's are not


def _records(first: str, stream, fmt: str, tags: tuple[str, ...]):
    """The elements named `tags` of an XML list whose root is fmt's, one at a time, the namespace
    (OFAC's, the EU's) taken off their tags: each is dropped once read, so memory stays that of one
    entry whatever the file's size. Expat does not fetch external entities: a file using one is
    refused as not well-formed, with its line."""
    open_elements = []
    try:
        for event, element in ElementTree.iterparse(_Text(first, stream), events=("start", "end")):
            if event == "start":
                if not open_elements and XML_ROOTS.get(_local(element.tag)) != fmt:
                    roots = " or ".join(f"<{root}> ({name})" for root, name in XML_ROOTS.items())
                    raise ListFormatError(
                        f"an XML list whose root is <{_local(element.tag)}>, where {roots} was expected: "
                        "convert another list to CSV"
                    )
                open_elements.append(element)
                continue
            open_elements.pop()
            if _local(element.tag) in tags:
                open_elements[-1].remove(element)  # read: not kept
                for node in element.iter():
                    node.tag = _local(node.tag)
                yield element
    except ElementTree.ParseError as exc:
        raise ListFormatError(f"line {exc.position[0]}: not well-formed XML") from None


def _texts(element, path: str) -> list[str]:
    return [e.text.strip() for e in element.iterfind(path) if e.text and e.text.strip()]


def _person(key: str, names: list[str], born, countries, datasets) -> Entry:
    """A person of an official XML list: at most MAX_YEARS dates of birth, ten countries (in lower
    case, as the list writes them), twenty datasets (the list's, then its programmes)."""
    return Entry(
        key=key[:200],
        caption=names[0],
        names=names,
        birth_dates=_clean(born, MAX_YEARS),
        nationalities=[c.lower() for c in _clean(countries, 10)],
        datasets=_clean(datasets, 20),
    )


def _un(first: str, stream) -> Iterator[Entry]:
    """The UN Security Council Consolidated List: its individuals (an ENTITY is not a person)."""
    for element in _records(first, stream, "un", ("INDIVIDUAL", "ENTITY")):
        if element.tag != "INDIVIDUAL":
            continue
        name = " ".join(t for part in UN_NAME_PARTS for t in _texts(element, part))
        names = _clean(
            [name, *_texts(element, "NAME_ORIGINAL_SCRIPT"), *_texts(element, "INDIVIDUAL_ALIAS/ALIAS_NAME")]
        )
        key = "".join(_texts(element, "DATAID")) or "".join(_texts(element, "REFERENCE_NUMBER"))
        if not names or not key:
            continue
        born = [d for b in element.iterfind("INDIVIDUAL_DATE_OF_BIRTH") for d in _un_birth(b)]
        nationalities = _texts(element, "NATIONALITY/VALUE")
        yield _person(key, names, born, nationalities, ["un_sc_sanctions", *_texts(element, "UN_LIST_TYPE")])


def _un_birth(born) -> list[str]:
    """A date of birth as the UN gives it: a date, a year, or a range of years."""
    date = "".join(_texts(born, "DATE"))[:10]
    if ISO_BIRTH_DATE.fullmatch(date):
        return [date]
    years = [y for y in _texts(born, "YEAR") if y.isdigit()]
    start, end = "".join(_texts(born, "FROM_YEAR")), "".join(_texts(born, "TO_YEAR"))
    return years + _years(start, end)


def _as_known(year: str, month: str = "", day: str = "") -> str:
    """A date from its parts as far as they are known: YYYY-MM-DD, else YYYY-MM (no day, or no such
    day), else YYYY (no month); "" without a year of four digits."""
    if not (len(year) == 4 and year.isdigit()):
        return ""
    if not (month.isdigit() and 1 <= int(month) <= 12):
        return year
    try:
        return datetime.date(int(year), int(month), int(day)).isoformat()
    except ValueError:
        return f"{year}-{int(month):02d}"


def _years(start: str, end: str) -> list[str]:
    """Each year of a range, if it is one of at most MAX_YEARS."""
    if start.isdigit() and end.isdigit() and 0 <= int(end) - int(start) < MAX_YEARS:
        return [str(y) for y in range(int(start), int(end) + 1)]
    return []


def _ofac(first: str, stream) -> Iterator[Entry]:
    """OFAC's SDN (or consolidated) list: its individuals (entities, vessels and aircraft are not persons)."""
    for element in _records(first, stream, "ofac", ("sdnEntry",)):
        if "".join(_texts(element, "sdnType")).lower() != "individual":
            continue
        names = _clean([_ofac_name(element), *(_ofac_name(aka) for aka in element.iterfind("akaList/aka"))])
        key = "".join(_texts(element, "uid"))
        if not names or not key:
            continue
        born = [d for text in _texts(element, "dateOfBirthList/dateOfBirthItem/dateOfBirth") for d in _ofac_birth(text)]
        countries = _texts(element, "nationalityList/nationality/country") + _texts(
            element, "citizenshipList/citizenship/country"
        )
        yield _person(f"ofac-{key}", names, born, countries, ["us_ofac_sdn", *_texts(element, "programList/program")])


def _ofac_name(element) -> str:
    return " ".join(_texts(element, "firstName") + _texts(element, "lastName"))


MONTHS = {
    m: i for i, m in enumerate(("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1)
}


def _ofac_birth(text: str) -> list[str]:
    """A date of birth as OFAC writes it: 10 Feb 1962, Feb 1962, 1962, circa 1962, 1962 to 1964."""
    text = text.lower().replace("circa", "").strip()
    found = re.fullmatch(r"(?:(\d{1,2}) )?(?:([a-z]{3})[a-z]* )?(\d{4})", text)
    if found and (found[2] is None or found[2] in MONTHS) and not (found[1] and not found[2]):
        day, month, year = found[1], found[2], found[3]
        return [_as_known(year, str(MONTHS[month]) if month else "", day or "")]
    span = re.fullmatch(r"(\d{4}) to (\d{4})", text)
    return _years(span[1], span[2]) if span else []


def _eu(first: str, stream) -> Iterator[Entry]:
    """The EU's consolidated list (Financial Sanctions Files): its persons (subject type "person";
    enterprises are not). Most of its data is in attributes."""
    for element in _records(first, stream, "eu", ("sanctionEntity",)):
        subject = element.find("subjectType")
        if subject is None or subject.get("code") != "person":
            continue
        names = _clean(_eu_name(alias) for alias in element.iterfind("nameAlias"))
        key = element.get("euReferenceNumber") or element.get("logicalId") or ""
        if not names or not key:
            continue
        countries = []
        for node in element.iterfind("citizenship"):
            code, described = (
                (node.get("countryIso2Code") or "").strip(),
                (node.get("countryDescription") or "").strip(),
            )
            countries.append(code if len(code) == 2 and code.isalpha() and code != "00" else described)
        programmes = [r.get("programme") or "" for r in element.iterfind("regulation")]
        born = (_eu_birth(b) for b in element.iterfind("birthdate"))
        known = [c for c in countries if c and c.upper() != "UNKNOWN"]
        yield _person(f"eu-{key}", names, born, known, ["eu_fsf", *programmes])


def _eu_name(alias) -> str:
    whole = alias.get("wholeName") or ""
    return whole or " ".join(alias.get(part) or "" for part in ("firstName", "middleName", "lastName"))


def _eu_birth(born) -> str:
    """A date of birth as the EU gives it: a date, else its year, month and day, as far as known."""
    date = (born.get("birthdate") or "")[:10]
    if ISO_BIRTH_DATE.fullmatch(date):
        return date
    # Named monthOfYear and dayOfMonth in the file's first version, month and day since.
    month, day = born.get("monthOfYear") or born.get("month") or "", born.get("dayOfMonth") or born.get("day") or ""
    return _as_known(born.get("year") or "", month, day)


# A name's parts in the UK list: Name1 the first name, Name2 to Name5 the others, Name6 the family
# name (an entity's or a ship's whole name).
UK_NAME_PARTS = ("Name1", "Name2", "Name3", "Name4", "Name5", "Name6")
# dd/mm/yyyy, "dd" and "mm" standing for a day or month not known.
UK_BIRTH = re.compile(r"(\d{1,2}|dd)/(\d{1,2}|mm)/(\d{4})", re.I)


def _uk(first: str, stream) -> Iterator[Entry]:
    """The UK Sanctions List: its individuals (entities and ships are not persons); primary names
    (and their variations) first, then aliases, then the names in non-Latin script."""
    for element in _records(first, stream, "uk", ("Designation",)):
        if "".join(_texts(element, "IndividualEntityShip")).lower() != "individual":
            continue
        spelt = [(_uk_name(n), "".join(_texts(n, "NameType")).lower()) for n in element.iterfind("Names/Name")]
        names = _clean(
            [name for name, kind in spelt if kind.startswith("primary")]
            + [name for name, kind in spelt if not kind.startswith("primary")]
            + _texts(element, ".//NameNonLatinScript")
        )
        key = "".join(_texts(element, "UniqueID"))
        if not names or not key:
            continue
        born = [d for text in _texts(element, ".//DOBs/DOB") for d in _uk_birth(text)]
        nationalities = _texts(element, ".//Nationalities/Nationality")
        yield _person(f"uk-{key}", names, born, nationalities, ["gb_fcdo_sanctions", *_texts(element, "RegimeName")])


def _uk_name(name) -> str:
    return " ".join(t for part in UK_NAME_PARTS for t in _texts(name, part))


def _uk_birth(text: str) -> list[str]:
    """A date of birth as the UK list writes it: 09/10/1968; dd/10/1968 or dd/mm/1968 as far as known."""
    found = UK_BIRTH.fullmatch(text.strip())
    if not found:
        return re.findall(r"\b\d{4}\b", text)[:1]  # a year written otherwise
    day, month, year = found.groups()
    return [_as_known(year, month, day)]


def _ch(first: str, stream) -> Iterator[Entry]:
    """Switzerland's sanctions list (SECO): its individuals (entities and objects are not persons)
    still listed (a de-listed target stays in the file, its last modification saying so). The
    sanctions programmes come first in the file: a target's programme is named by its set."""
    programmes = {}
    for element in _records(first, stream, "ch", ("sanctions-program", "target")):
        if element.tag == "sanctions-program":
            name = (_texts(element, "program-key[@lang='eng']") or _texts(element, "program-key") or [""])[0]
            programmes.update((s.get("ssid"), name) for s in element.iterfind("sanctions-set"))
            continue
        person = element.find("individual")
        key = element.get("ssid") or ""
        if person is None or not key or _ch_delisted(element):
            continue
        identities = sorted(person.iterfind("identity"), key=lambda i: i.get("main") != "true")
        spelt = [(n.get("name-type") != "primary-name", _ch_names(n)) for i in identities for n in i.iterfind("name")]
        names = _clean([name for _alias, found in sorted(spelt, key=lambda s: s[0]) for name in found])
        if not names:
            continue
        born = [_ch_birth(d) for i in identities for d in i.iterfind("day-month-year")]
        countries = [c.get("iso-code") or (c.text or "") for i in identities for c in i.iterfind("nationality/country")]
        sets = element.get("sanctions-set-id") or " ".join(_texts(element, "sanctions-set-id"))
        datasets = ["ch_seco_sanctions", *(programmes.get(s, "") for s in sets.split())]
        yield _person(f"ch-{key}", names, born, countries, datasets)


def _ch_delisted(target) -> bool:
    """Whether the target's last modification (by its effective date) de-lists it."""
    changes = sorted(target.iterfind("modification"), key=lambda m: m.get("effective-date") or "")
    return bool(changes) and changes[-1].get("modification-type") == "de-listed"


def _ch_names(name) -> list[str]:
    """A name as written (its parts in their order, titles left out), then as each spelling variant
    (lang and script) writes it, parts without a variant as written."""
    parts = sorted(
        (p for p in name.iterfind("name-part") if p.get("name-part-type") != "title"),
        key=lambda p: int(p.get("order")) if (p.get("order") or "").isdigit() else 0,
    )
    written = ["".join(_texts(p, "value")) for p in parts]
    # In the file's order: the same file gives the same entry (its digest).
    cultures = dict.fromkeys((v.get("lang"), v.get("script")) for p in parts for v in p.iterfind("spelling-variant"))
    found = [" ".join(w for w in written if w)]
    for culture in cultures:
        variants = []
        for part, value in zip(parts, written):
            spelt = [v.text for v in part.iterfind("spelling-variant") if (v.get("lang"), v.get("script")) == culture]
            variants.append(spelt[0] if spelt and spelt[0] else value)
        found.append(" ".join(v.strip() for v in variants if v and v.strip()))
    return found


def _ch_birth(born) -> str:
    """A date of birth as SECO gives it (day, month and year attributes), as far as known."""
    return _as_known(*(born.get(part) or "" for part in ("year", "month", "day")))


# Where the Canadian list's Aliases field parts one name from the next, and labels it puts before a
# name (Russian: Олег …).
CA_ALIAS_SPLIT = re.compile(r"[;,]|\(?\b(?:a\.k\.a\.|also known as)|\bALIAS:", re.I)
CA_ALIAS_LABEL = re.compile(r"^[A-Z][a-z]+:\s*")
CA_DAY_FIRST = re.compile(r"(\d{1,2})-(\d{1,2})-(\d{4})")


def _ca(first: str, stream) -> Iterator[Entry]:
    """Canada's consolidated autonomous sanctions list: its persons (a record with a given or last
    name and no ship's IMO number; entities and ships have neither). Its Country is the programme
    (Russia / Russie), not a nationality: entries have none. A record is known by its programme,
    schedule and item."""
    for element in _records(first, stream, "ca", ("record",)):
        row = {child.tag: (child.text or "").strip() for child in element}
        if not (row.get("GivenName") or row.get("LastName")) or row.get("ShipIMONumber") or not row.get("Item"):
            continue
        aliases = [CA_ALIAS_LABEL.sub("", a.strip(" ()")) for a in CA_ALIAS_SPLIT.split(row.get("Aliases", ""))]
        names = _clean([f"{row.get('GivenName', '')} {row.get('LastName', '')}", *aliases])
        if not names:
            continue
        programme = row.get("Country", "").split(" / ")[0].strip()
        key = "-".join(v for v in (programme, row.get("Schedule", ""), row.get("Item", "")) if v)
        born = _ca_birth(row.get("DateOfBirthOrShipBuildDate") or row.get("DateOfBirth") or "")
        yield _person(f"ca-{key}", names, born, [], ["ca_dfatd_sema_sanctions", programme])


def _ca_birth(text: str) -> list[str]:
    """Dates of birth as the Canadian list writes them: 10-08-1972, 1972, 1972-08-10, 1963-1964,
    several joined by "or"; other text gives its years."""
    found = []
    for part in re.split(r"\s+or\s+|;", text):
        part = part.strip()
        day_first = CA_DAY_FIRST.fullmatch(part)
        if day_first:
            found.append(_as_known(day_first[3], day_first[2], day_first[1]))
            continue
        span = re.fullmatch(r"(\d{4})\s*-\s*(\d{4})", part)
        if span:
            found += _years(span[1], span[2])
            continue
        if _real_date(part):
            found.append(part)
            continue
        found += re.findall(r"\b(?:19|20)\d{2}\b", part)[:1]
    return found


# Each format's reader (first line or opening, the rest of the stream), by its name.
READERS = {
    "ftm": _ftm,
    "simple": _simple,
    "csv": _plain,
    "un": _un,
    "ofac": _ofac,
    "eu": _eu,
    "uk": _uk,
    "ch": _ch,
    "ca": _ca,
}
FORMATS = tuple(READERS)
