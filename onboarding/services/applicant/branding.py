"""The operator's name, logo, colour, support contact and consent text on the applicant's pages.

Settings give the defaults (KYC_BRAND_*); a Branding record edited in the admin overrides them
field by field. The colour must keep text readable: WCAG AA, 4.5:1 against white, because the
pages draw links and buttons in it.
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import io
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from onboarding.models import Branding
from onboarding.services.applicant.consent import Notice, built_in_notice
from onboarding.services.applicant.images import open_untrusted, other_format
from onboarding.services.compliance import audit

MIN_CONTRAST = 4.5
LOGO_MAX_BYTES = 512 * 1024
LOGO_MAX_SIDE = 1024
LOGO_FORMATS = ("PNG", "JPEG", "WEBP")  # the only parsers Image.open may run on a logo
LOGO_STORED_HEIGHT = 96  # twice the 48 px it is shown at, for sharp high-density screens


@dataclasses.dataclass(frozen=True)
class Brand:
    name: str
    color: str
    ink: str  # text colour on the brand colour
    support: str
    consent_text: str  # blank: the built-in, translated notice
    consent_version: str
    notice: Notice | None  # the built-in notice's paragraphs; None under the operator's own text
    logo_version: str  # blank: no logo

    @property
    def paragraphs(self) -> list[str]:
        return [p.strip() for p in self.consent_text.split("\n\n") if p.strip()]


def _luminance(color: str) -> float:
    channels = [int(color[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(a: str, b: str) -> float:
    """WCAG 2 contrast ratio of two #rrggbb colours."""
    la, lb = sorted((_luminance(a), _luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def validate_color(color: str) -> str:
    color = color.strip().lower()
    if len(color) != 7 or color[0] != "#" or any(c not in "0123456789abcdef" for c in color[1:]):
        raise ValidationError(_("Give the colour as #rrggbb, for example #1f5fa8."))
    ratio = contrast(color, "#ffffff")
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "This colour is too light for text on white (contrast %(ratio).1f:1, at least 4.5:1 is needed). "
                "Choose a darker shade."
            )
            % {"ratio": ratio}
        )
    return color


def ink_for(color: str) -> str:
    return "#ffffff" if contrast(color, "#ffffff") >= contrast(color, "#111111") else "#111111"


def validate_logo(data: bytes) -> bytes:
    """A PNG, JPEG or WebP logo, re-encoded as PNG at display size; no SVG (it can carry script)."""
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError(_("The logo is larger than 512 KB."))
    try:
        with open_untrusted(data, LOGO_FORMATS) as im:
            if max(im.size) > LOGO_MAX_SIDE:
                raise ValidationError(_("The logo is larger than 1024 pixels on a side."))
            im.load()
            im = im.convert("RGBA")
    except UnidentifiedImageError:
        if other_format(data, LOGO_FORMATS):
            raise ValidationError(_("Send the logo as PNG, JPEG or WebP.")) from None
        raise ValidationError(_("This file is not an image we can read.")) from None
    except (OSError, SyntaxError, ValueError):
        raise ValidationError(_("This file is not an image we can read.")) from None
    if im.height > LOGO_STORED_HEIGHT:
        im = im.resize((max(1, round(im.width * LOGO_STORED_HEIGHT / im.height)), LOGO_STORED_HEIGHT), Image.LANCZOS)
    out = io.BytesIO()
    im.save(out, "PNG", optimize=True)
    return out.getvalue()


def _settings_logo() -> bytes:
    path = settings.KYC_BRAND_LOGO
    return _logo_file(path) if path else b""


@functools.lru_cache(maxsize=4)
def _logo_file(path: str) -> bytes:
    # Read and re-encoded once per process, not on every page that shows the header.
    return validate_logo(Path(path).read_bytes())


def record() -> Branding | None:
    return Branding.objects.first()


def current(language: str | None = None) -> Brand:
    row = record()
    language = (language or get_language() or "en").lower()
    color = (row and row.primary_color) or settings.KYC_BRAND_COLOR
    consent = ""
    if row:
        consent = (
            row.consent_text_zh_hans if language.startswith("zh") and row.consent_text_zh_hans else row.consent_text
        )
    logo = logo_bytes(row)
    notice = None if row and row.consent_text else built_in_notice()
    return Brand(
        name=(row and row.name) or settings.KYC_BRAND_NAME,
        color=color,
        ink=ink_for(color),
        support=(row and row.support_contact) or settings.KYC_SUPPORT_CONTACT,
        consent_text=consent,
        consent_version=row.consent_version if notice is None else notice.version,
        notice=notice,
        logo_version=hashlib.sha256(logo).hexdigest()[:12] if logo else "",
    )


def logo_bytes(row: Branding | None = None) -> bytes:
    row = row if row is not None else record()
    if row is not None and row.logo:
        return bytes(row.logo)
    return _settings_logo()


def stylesheet(brand: Brand) -> str:
    return f":root {{ --accent: {brand.color}; --accent-ink: {brand.ink}; }}\n"


AUDITED = ("name", "primary_color", "support_contact", "consent_text", "consent_text_zh_hans", "consent_version")


def save(row: Branding, *, user, changed: list[str]) -> Branding:
    """Save an admin edit; the audit trail keeps what changed (texts as hashes, not the logo)."""
    row.save()
    summary = {}
    for field in changed:
        if field in AUDITED:
            value = getattr(row, field)
            summary[field] = (
                value
                if field in ("name", "primary_color", "consent_version")
                else hashlib.sha256(value.encode()).hexdigest()[:16]
            )
        elif field == "logo":
            summary["logo"] = hashlib.sha256(bytes(row.logo or b"")).hexdigest()[:16] if row.logo else "removed"
    audit.record("branding_changed", actor=audit.Actor.staff(user), **summary)
    return row
