"""Identity documents with known fields, drawn with Pillow and a CJK font (Debian's fonts-wqy-zenhei,
which `.ci/run` installs): Chinese resident ID cards (front and back), TD3 passport pages, TD1
card backs, TD2 cards and French cards of 1988-2021, then photographed: at an angle, in low light,
as JPEG of a given quality.

Used by the tests and bench/documents.py (whose generated set `manage.py evaluate_documents` measures).
"""

from __future__ import annotations

import dataclasses
import datetime
import io
import random
from pathlib import Path

from PIL import Image, ImageDraw, ImageEnhance, ImageFilter, ImageFont

from vendors.documents import cn_id, mrz

FONT = "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
MONO = 1  # WenQuanYi Zen Hei Mono in the collection: fixed width, as OCR-B is
FACES = Path(__file__).parents[1] / "fixtures" / "faces"
CARD = (856, 540)  # ID-1 at 10 px/mm
PAGE = (1250, 880)  # TD3 data page at about 10 px/mm


def font(size, index=0):
    return ImageFont.truetype(FONT, size, index=index)


def cn_number(born: datetime.date, sex: str, *, region="110101", sequence=12, valid=True) -> str:
    seq = sequence * 10 + (1 if sex == "M" else 2)  # the third digit: odd for men
    first17 = f"{region}{born:%Y%m%d}{seq:03d}"
    check = cn_id.check_character(first17)
    if not valid:
        check = cn_id.CHECK_CHARS[(cn_id.CHECK_CHARS.index(check) + 3) % 11]
    return first17 + check


@dataclasses.dataclass(unsafe_hash=True)
class Person:
    name: str = "张伟"
    latin_surname: str = "ZHANG"
    latin_given: str = "WEI"
    sex: str = "M"
    ethnicity: str = "汉"
    born: datetime.date = datetime.date(1990, 3, 7)
    address: str = "北京市东城区景山前街4号"
    authority: str = "北京市公安局东城分局"
    issued: datetime.date = datetime.date(2020, 5, 12)
    expires: datetime.date | str = datetime.date(2040, 5, 12)
    number: str = ""
    nationality: str = "CHN"
    passport_number: str = "E12345678"

    def __post_init__(self):
        self.number = self.number or cn_number(self.born, self.sex)


def _portrait(face: str | None, size) -> Image.Image | None:
    if face is None:
        return None
    from tests.idcards import portrait_crop

    with Image.open(FACES / face) as photo:
        return portrait_crop(photo).resize(size, Image.LANCZOS)


def cn_front(p: Person, *, face: str | None = "obama_1.jpg") -> Image.Image:
    card = Image.new("RGB", CARD, (232, 238, 240))
    d = ImageDraw.Draw(card)
    label, value = (70, 110, 150), (20, 20, 20)
    d.text((60, 50), "姓名", fill=label, font=font(26))
    d.text((150, 44), p.name, fill=value, font=font(36))
    d.text((60, 115), "性别", fill=label, font=font(26))
    d.text((150, 111), "男" if p.sex == "M" else "女", fill=value, font=font(30))
    d.text((260, 115), "民族", fill=label, font=font(26))
    d.text((350, 111), p.ethnicity, fill=value, font=font(30))
    d.text((60, 180), "出生", fill=label, font=font(26))
    d.text((150, 176), f"{p.born.year} 年 {p.born.month} 月 {p.born.day} 日", fill=value, font=font(30))
    d.text((60, 245), "住址", fill=label, font=font(26))
    d.text((150, 241), p.address[:13], fill=value, font=font(30))
    if p.address[13:]:
        d.text((150, 286), p.address[13:], fill=value, font=font(30))
    d.text((60, 450), "公民身份号码", fill=label, font=font(26))
    d.text((260, 444), p.number, fill=value, font=font(36, MONO))
    portrait = _portrait(face, (210, 270))
    if portrait is not None:
        card.paste(portrait, (600, 90))
    return card


def cn_back(p: Person) -> Image.Image:
    card = Image.new("RGB", CARD, (232, 238, 240))
    d = ImageDraw.Draw(card)
    d.text((300, 90), "中华人民共和国", fill=(20, 20, 20), font=font(40))
    d.text((300, 160), "居民身份证", fill=(20, 20, 20), font=font(52))
    d.text((120, 370), "签发机关", fill=(20, 20, 20), font=font(26))
    d.text((260, 366), p.authority, fill=(20, 20, 20), font=font(30))
    expires = p.expires if isinstance(p.expires, str) else f"{p.expires:%Y.%m.%d}"
    d.text((120, 440), "有效期限", fill=(20, 20, 20), font=font(26))
    d.text((260, 436), f"{p.issued:%Y.%m.%d}-{expires}", fill=(20, 20, 20), font=font(30))
    return card


def td3_lines(p: Person, *, doc_code="P", state=None, corrupt: str | None = None) -> list[str]:
    state = state or p.nationality
    names = f"{p.latin_surname}<<{p.latin_given.replace(' ', '<')}".replace("-", "<")
    one = f"{doc_code:<2}".replace(" ", "<") + state + names
    one = (one + "<" * 44)[:44]
    number = (p.passport_number + "<" * 9)[:9]
    born = f"{p.born:%y%m%d}"
    expires = f"{p.expires:%y%m%d}"
    optional = "<" * 14
    parts = [
        number + mrz.check_digit(number),
        p.nationality,
        born + mrz.check_digit(born),
        p.sex,
        expires + mrz.check_digit(expires),
        optional + "<",
    ]
    two = "".join(parts)
    composite = two[0:10] + two[13:20] + two[21:43]
    two += mrz.check_digit(composite)
    if corrupt == "number":  # a wrong check digit on the document number
        two = two[:9] + str((int(two[9]) + 1) % 10) + two[10:]
    return [one, two]


def passport(
    p: Person, *, face: str | None = "obama_1.jpg", corrupt: str | None = None, cut: int | None = None
) -> Image.Image:
    """A TD3 data page; `cut`: its zone's second line printed in two pieces there, a gap between
    them (where a detector cuts a line at a run of fillers)."""
    page = Image.new("RGB", PAGE, (238, 232, 220))
    d = ImageDraw.Draw(page)
    ink = (30, 30, 30)
    d.text((420, 40), "PASSPORT  护照", fill=ink, font=font(38))
    rows = [
        ("Type / 类型", "P"),
        ("Passport No. / 护照号", p.passport_number),
        ("Surname / 姓", p.latin_surname),
        ("Given names / 名", p.latin_given),
        ("Nationality / 国籍", p.nationality),
        ("Date of birth / 出生日期", f"{p.born:%d %b %Y}".upper()),
        ("Sex / 性别", p.sex),
        ("Date of expiry / 有效期至", f"{p.expires:%d %b %Y}".upper()),
    ]
    y = 120
    for label, value in rows:
        d.text((420, y), label, fill=(90, 90, 90), font=font(20))
        d.text((420, y + 24), value, fill=ink, font=font(30))
        y += 68
    portrait = _portrait(face, (300, 400))
    if portrait is not None:
        page.paste(portrait, (60, 130))
    mono = font(40, MONO)
    for i, line in enumerate(td3_lines(p, corrupt=corrupt)):
        pieces = [line] if cut is None or i == 0 else [line[:cut], line[cut:]]
        x = 40
        for piece in pieces:
            d.text((x, 720 + i * 64), piece, fill=ink, font=mono)
            x += mono.getlength(piece) + 60
    return page


def td1_lines(p: Person, *, state=None) -> list[str]:
    state = state or p.nationality
    number = (p.passport_number + "<" * 9)[:9]
    one = ("I<" + state + number + mrz.check_digit(number) + "<" * 15)[:30]
    born, expires = f"{p.born:%y%m%d}", f"{p.expires:%y%m%d}"
    two = born + mrz.check_digit(born) + p.sex + expires + mrz.check_digit(expires) + p.nationality + "<" * 11
    composite = one[5:30] + two[0:7] + two[8:15] + two[18:29]
    two += mrz.check_digit(composite)
    three = (f"{p.latin_surname}<<{p.latin_given.replace(' ', '<')}" + "<" * 30)[:30]
    return [one, two, three]


def td1_back(p: Person) -> Image.Image:
    card = Image.new("RGB", CARD, (236, 236, 228))
    d = ImageDraw.Draw(card)
    d.text((40, 40), "Residence / Adresse: 12 RUE DE LA PAIX, PARIS", fill=(40, 40, 40), font=font(24))
    for i, line in enumerate(td1_lines(p)):
        d.text((30, 330 + i * 62), line, fill=(20, 20, 20), font=font(44, MONO))
    return card


def td2_lines(p: Person, *, corrupt: str | None = None) -> list[str]:
    number = (p.passport_number + "<" * 9)[:9]
    born, expires = f"{p.born:%y%m%d}", f"{p.expires:%y%m%d}"
    one = (f"I<{p.nationality}{p.latin_surname}<<{p.latin_given.replace(' ', '<')}" + "<" * 36)[:36]
    two = number + mrz.check_digit(number) + p.nationality + born + mrz.check_digit(born) + p.sex
    two += expires + mrz.check_digit(expires) + "<" * 7
    two += mrz.check_digit(two[0:10] + two[13:20] + two[21:35])
    if corrupt == "number":  # a wrong check digit on the document number
        two = two[:9] + str((int(two[9]) + 1) % 10) + two[10:]
    return [one, two]


def td2_card(p: Person, *, face: str | None = "obama_1.jpg", corrupt: str | None = None) -> Image.Image:
    """A card with its printed data and a TD2 zone on the same side."""
    card = _printed_card(p, face, "IDENTITY CARD / CARTE D'IDENTITE", (232, 238, 226), COMPACT)
    return _zone_below(card, td2_lines(p, corrupt=corrupt))


def fr_number(p: Person) -> str:
    """A French card's number: year and month of issue, department, a sequence."""
    return f"{p.issued:%y%m}932" + f"{int(p.passport_number[-5:]):05d}"


def fr_lines(p: Person, *, corrupt: str | None = None) -> list[str]:
    """The zone of a French national identity card of 1988-2021 (its own layout, no expiry)."""
    one = "IDFRA" + (p.latin_surname + "<" * 25)[:25] + "932013"
    number, born = fr_number(p), f"{p.born:%y%m%d}"
    given = (p.latin_given.replace(" ", "<<") + "<" * 14)[:14]
    two = number + mrz.check_digit(number) + given + born + mrz.check_digit(born) + p.sex
    two += mrz.check_digit(one + two)
    if corrupt == "number":  # a wrong check digit on the card number
        two = two[:12] + str((int(two[12]) + 1) % 10) + two[13:]
    return [one, two]


def fr_card(p: Person, *, face: str | None = "obama_1.jpg", corrupt: str | None = None) -> Image.Image:
    """The front of a French national identity card of 1988-2021: its print, its portrait and its zone."""
    card = _printed_card(p, face, "CARTE NATIONALE D'IDENTITE", (236, 232, 240), COMPACT, number=fr_number(p))
    return _zone_below(card, fr_lines(p, corrupt=corrupt))


def _zone_below(card: Image.Image, lines: list[str]) -> Image.Image:
    """A 2 x 36 zone in the bottom third a COMPACT card leaves for it."""
    d = ImageDraw.Draw(card)
    for i, line in enumerate(lines):
        d.text((24, 400 + i * 56), line, fill=(20, 20, 20), font=font(38, MONO))
    return card


def fr_back(p: Person) -> Image.Image:
    """The back of a French card of 1988-2021: address, validity as printed, issue date and office."""
    card = Image.new("RGB", CARD, (236, 232, 240))
    d = ImageDraw.Draw(card)
    rows = [
        "Adresse : 12 RUE DE LA PAIX 75002 PARIS",
        f"Carte valable jusqu'au : {p.expires:%d.%m.%Y}",
        f"délivrée le : {p.issued:%d.%m.%Y}",
        "par : PREFECTURE DE PARIS (75)",
    ]
    for i, row in enumerate(rows):
        d.text((40, 60 + i * 70), row, fill=(20, 20, 20), font=font(28))
    return card


def td1_front(p: Person, *, face: str | None = "obama_1.jpg") -> Image.Image:
    return _printed_card(p, face, "IDENTITY CARD", (226, 234, 244), FULL)


@dataclasses.dataclass(frozen=True)
class Layout:
    title: tuple  # (y, font size)
    rows: tuple  # (x, first y, step, label size, value's offset, value size)
    portrait: tuple  # (x, y, width, height)


FULL = Layout((40, 36), (300, 110, 90, 20, 24, 30), (40, 110, 220, 290))
COMPACT = Layout((24, 26), (260, 80, 70, 18, 20, 28), (36, 80, 200, 260))  # the bottom third left for a zone


def _printed_card(p: Person, face: str | None, title: str, background, layout: Layout, number=None) -> Image.Image:
    """A card's printed side: title, portrait, name, number (the passport number unless given) and birth date."""
    card = Image.new("RGB", CARD, background)
    d = ImageDraw.Draw(card)
    x, y, step, label_size, offset, value_size = layout.rows
    d.text((x, layout.title[0]), title, fill=(20, 40, 90), font=font(layout.title[1]))
    rows = [
        ("Surname", p.latin_surname),
        ("Given names", p.latin_given),
        ("Document No.", number or p.passport_number),
        ("Date of birth", f"{p.born:%d.%m.%Y}"),
    ]
    for label, value in rows:
        d.text((x, y), label, fill=(90, 90, 90), font=font(label_size))
        d.text((x, y + offset), value, fill=(20, 20, 20), font=font(value_size))
        y += step
    left, top, width, height = layout.portrait
    portrait = _portrait(face, (width, height))
    if portrait is not None:
        card.paste(portrait, (left, top))
    return card


def photograph(
    image: Image.Image, *, angle: float = 0.0, tilt: float = 0.0, light: float = 1.0, quality: int = 88, seed: int = 0
) -> bytes:
    """The document as a phone photographs it: on a table, keystoned by `angle` (0-1), turned `tilt`
    degrees counter-clockwise on it, its light scaled by `light`, slightly soft, saved as JPEG at `quality`."""
    rnd = random.Random(seed)
    w, h = image.size
    margin = 60
    canvas = Image.new("RGB", (w + 2 * margin, h + 2 * margin), (84, 76, 68))
    if angle:
        d = int(angle * 0.12 * w)
        coeffs = _perspective([(0, 0), (w, 0), (w, h), (0, h)], [(d, 0), (w - d, d // 2), (w, h), (0, h - d // 2)])
        image = image.transform((w, h), Image.PERSPECTIVE, coeffs, Image.BICUBIC, fillcolor=(84, 76, 68))
    canvas.paste(image, (margin + rnd.randint(-10, 10), margin + rnd.randint(-10, 10)))
    if tilt:
        canvas = canvas.rotate(tilt, Image.BICUBIC, expand=True, fillcolor=(84, 76, 68))
    canvas = canvas.filter(ImageFilter.GaussianBlur(0.5))
    if light != 1.0:
        canvas = ImageEnhance.Brightness(canvas).enhance(light)
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=quality)
    return out.getvalue()


def from_afar(image: Image.Image, share: float) -> bytes:
    """The document photographed from afar: centred on a table in a 4:3 photo, spanning `share` of
    its width, saved as JPEG."""
    width = int(image.width / share)
    canvas = Image.new("RGB", (width, width * 3 // 4), (84, 76, 68))
    canvas.paste(image, ((canvas.width - image.width) // 2, (canvas.height - image.height) // 2))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=88)
    return out.getvalue()


def _perspective(dst, src):
    import numpy as np

    rows = []
    for (x, y), (u, v) in zip(dst, src):
        rows.append([x, y, 1, 0, 0, 0, -u * x, -u * y])
        rows.append([0, 0, 0, x, y, 1, -v * x, -v * y])
    return np.linalg.solve(np.array(rows, dtype=float), np.array([c for p in src for c in p], dtype=float)).tolist()
