"""Text a client gives us that staff will read: printable characters only.

Control characters and Unicode format characters (bidirectional overrides such as U+202E,
zero-width joiners and spaces) can make a reference read differently from what it is, in the
admin and in exports. They are refused, with the position of the first one.
"""

import unicodedata

from django.core.exceptions import ValidationError

REFUSED_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Cn", "Zl", "Zp"}


def plain_text(value: str):
    for position, ch in enumerate(value or ""):
        if unicodedata.category(ch) in REFUSED_CATEGORIES:
            raise ValidationError(
                "Only printable characters: U+%(code)04X at position %(pos)d is a control or formatting character.",
                code="unprintable",
                params={"code": ord(ch), "pos": position},
            )


def visible(value: str) -> str:
    """The text with every refused character written out (U+202E), for showing what is stored."""
    return "".join(f"<U+{ord(ch):04X}>" if unicodedata.category(ch) in REFUSED_CATEGORIES else ch for ch in value or "")
