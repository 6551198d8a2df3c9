"""The Simplified Chinese translations: full-width punctuation in Chinese text, as readers expect."""

import gettext
import re
from pathlib import Path

import pytest

LOCALE = Path(__file__).resolve().parent.parent / "locale" / "zh_Hans" / "LC_MESSAGES"
CJK = r"[\u3400-\u4dbf\u4e00-\u9fff\u3000-\u303f\uff00-\uffef]"
# An ASCII comma, colon, semicolon, question or exclamation mark, or bracket, touching Chinese text.
ASCII_BESIDE_CHINESE = re.compile(rf"{CJK} ?[,;:?!()]|[,;:?!()] ?{CJK}")


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_chinese_text_uses_full_width_punctuation(domain):
    with open(LOCALE / f"{domain}.mo", "rb") as f:
        catalog = gettext.GNUTranslations(f)._catalog
    mixed = [text for key, text in catalog.items() if key and ASCII_BESIDE_CHINESE.search(text)]
    assert mixed == []
