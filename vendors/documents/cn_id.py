"""The resident identity card of the People's Republic of China (居民身份证), second generation.

The front carries name, sex, ethnicity, date of birth, address and the 18-digit citizen number
(GB 11643-1999: six digits of region, eight of birth date, three of sequence, odd for men, and an
ISO 7064 MOD 11-2 check character); the back the issuing authority and the validity period.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import unicodedata

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# The 56 officially recognised ethnic groups, as printed (without the 族 suffix).
ETHNICITIES = (
    "汉 蒙古 回 藏 维吾尔 苗 彝 壮 布依 朝鲜 满 侗 瑶 白 土家 哈尼 哈萨克 傣 黎 傈僳 佤 畲 高山 拉祜 "
    "水 东乡 纳西 景颇 柯尔克孜 土 达斡尔 仫佬 羌 布朗 撒拉 毛南 仡佬 锡伯 阿昌 普米 塔吉克 怒 "
    "乌孜别克 俄罗斯 鄂温克 德昂 保安 裕固 京 塔塔尔 独龙 鄂伦春 赫哲 门巴 珞巴 基诺"
).split()
NUMBER = re.compile(r"(?<![0-9A-Z])(\d{17}[\dX])(?![0-9A-Z])")
FRONT_LABELS = ("姓名", "性别", "民族", "出生", "住址", "公民身份号码")
BACK_LABELS = ("签发机关", "有效期限")
LONG_TERM = "长期"


def check_character(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def number_valid(number: str) -> bool:
    return bool(re.fullmatch(r"\d{17}[\dX]", number)) and check_character(number[:17]) == number[17]


def number_birth_date(number: str) -> datetime.date | None:
    try:
        return datetime.datetime.strptime(number[6:14], "%Y%m%d").date()
    except ValueError:
        return None


def number_sex(number: str) -> str:
    return "M" if int(number[16]) % 2 else "F"


def _number_text(text: str) -> str:
    """Digits as a recogniser may misread them inside the number, and a lower-case check x."""
    return text.upper().translate(str.maketrans({"O": "0", "D": "0", "I": "1", "L": "1", "Z": "2", "S": "5", "B": "8"}))


@dataclasses.dataclass
class Field:
    value: str
    confidence: float
    box: list | None  # the OCR line's four corners, in the photo's pixels


@functools.cache
def _simplifier():
    import opencc

    return opencc.OpenCC("t2s.json")


def simplified(text: str) -> str:
    """The card is printed in simplified characters; a recogniser trained on both scripts sometimes
    returns a traditional form (漢 for 汉, 張 for 张): read back as printed, phrase by phrase (OpenCC)."""
    return _simplifier().convert(text)


def _joined(lines) -> list[tuple[str, float, list]]:
    """Each line without spaces, full-width digits and letters (１９９０, which the recogniser's
    alphabet has) as ASCII, in simplified characters."""
    return [
        (simplified(re.sub(r"\s+", "", unicodedata.normalize("NFKC", line.text))), line.score, line.box)
        for line in lines
    ]


def is_front(lines) -> bool:
    text = "".join(t for t, _s, _b in _joined(lines))
    labels = sum(label in text for label in FRONT_LABELS)
    return labels >= 2 or "公民身份号码" in text


def is_back(lines) -> bool:
    text = "".join(t for t, _s, _b in _joined(lines))
    return any(label in text for label in BACK_LABELS) or "居民身份证" in text


def _after(label: str, items, *, stop=FRONT_LABELS) -> tuple[str, float, list] | None:
    """The text after `label`: on its own line, or on the next line when the label stands alone."""
    for i, (text, score, box) in enumerate(items):
        at = text.find(label)
        if at < 0:
            continue
        rest = _unmarked(text[at + len(label) :])
        for other in stop:  # two fields merged on one line
            if other != label and other in rest:
                rest = rest[: rest.index(other)]
        if rest:
            return rest, score, box
        if i + 1 < len(items):
            text, score, box = items[i + 1]
            return _unmarked(text), score, box
    return None


def _unmarked(value: str) -> str:
    """The value without the marks the recogniser may read before it (a colon after its label, a
    stray bracket from the card's print): no field of the card starts with one."""
    return re.sub(r"^[\W_]+", "", value)


def read_front(lines) -> dict[str, Field]:
    items = _joined(lines)
    fields: dict[str, Field] = {}
    found = _after("姓名", items)
    if found and re.fullmatch(r"[\u4e00-\u9fff·]{1,20}", found[0]):
        fields["full_name"] = Field(found[0], *found[1:])
    found = _after("性别", items)
    if found and found[0][:1] in ("男", "女"):
        fields["sex"] = Field("M" if found[0][0] == "男" else "F", *found[1:])
    found = _after("民族", items)
    if found:
        value = found[0].removesuffix("族")
        if value in ETHNICITIES:
            fields["ethnicity"] = Field(value, *found[1:])
    born = _birth_date(items)
    if born:
        fields["date_of_birth"] = born
    address = _address(items)
    if address:
        fields["address"] = address
    for text, score, box in items:
        m = NUMBER.search(_number_text(text.replace("公民身份号码", "")))
        if m:
            fields["document_number"] = Field(m[1], score, box)
            break
    return fields


def _birth_date(items) -> Field | None:
    """出生 1990 年 3 月 7 日: on one line, or, where the recogniser splits the row at its wide gaps
    (1990年 / 3月 / 7日), on the lines from the label up to the next one."""
    rows = list(items)
    for i, (text, _score, _box) in enumerate(items):
        if "出生" in text:
            tail = [text]
            for more, _s, _b in items[i + 1 : i + 4]:
                if any(label in more for label in FRONT_LABELS):
                    break
                tail.append(more)
            scores = [score for _t, score, _b in items[i : i + len(tail)]]
            rows.append(("".join(tail), min(scores), items[i][2]))
    for text, score, box in rows:
        m = re.search(r"(\d{4})年(\d{1,2})月(\d{1,2})日", text)
        if m:
            try:
                return Field(datetime.date(int(m[1]), int(m[2]), int(m[3])).isoformat(), score, box)
            except ValueError:
                continue
    return None


def _address(items) -> Field | None:
    """住址 and the lines under it, up to the number's line."""
    for i, (text, score, box) in enumerate(items):
        if "住址" not in text:
            continue
        parts, scores = [text.split("住址", 1)[1]], [score]
        for more, more_score, _box in items[i + 1 :]:
            if (
                "公民身份号码" in more
                or NUMBER.search(_number_text(more))
                or any(label in more for label in FRONT_LABELS)
            ):
                break
            parts.append(more)
            scores.append(more_score)
        value = "".join(parts)
        return Field(value, min(scores), box) if value else None
    return None


def _dotted_date(text: str) -> datetime.date | None:
    m = re.fullmatch(r"(\d{4})[.\-/年]?(\d{2})[.\-/月]?(\d{2})日?", text)
    if not m:
        return None
    try:
        return datetime.date(int(m[1]), int(m[2]), int(m[3]))
    except ValueError:
        return None


def read_back(lines) -> dict[str, Field]:
    items = _joined(lines)
    fields: dict[str, Field] = {}
    found = _after("签发机关", items, stop=BACK_LABELS)
    if found and re.search(r"[\u4e00-\u9fff]{2,}", found[0]):
        fields["issuing_authority"] = Field(found[0], *found[1:])
    found = _after("有效期限", items, stop=BACK_LABELS)
    if found:
        start, _, end = re.sub(r"[—–_~至]", "-", found[0]).partition("-")
        if not end:  # 2015.03.0720350307: two dates with the dash missed
            m = re.fullmatch(r"(\d{4}\.?\d{2}\.?\d{2})(\d{4}\.?\d{2}\.?\d{2}|长期)", found[0])
            start, end = (m[1], m[2]) if m else (start, "")
        issued = _dotted_date(start)
        if issued:
            fields["issue_date"] = Field(issued.isoformat(), *found[1:])
        if end == LONG_TERM:
            fields["expiry_date"] = Field(LONG_TERM, *found[1:])
        else:
            expires = _dotted_date(end)
            if expires:
                fields["expiry_date"] = Field(expires.isoformat(), *found[1:])
    return fields
