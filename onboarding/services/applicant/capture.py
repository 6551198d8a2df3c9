"""The capture page's pre-check: is this shot good enough, before the applicant continues?

The page sends the photo as soon as it is taken or chosen; it is stored like any upload, and a
worker analyses it (services.applicant.analysis: the one analysis its checks will reuse, so the
work is never done twice). The page then reads a checklist in plain words, made from that analysis
by the local engine's quality rules (the same code and limits that judge the case), plus framing
advice for the ID card. The web tier does not run the face models for it. KYC_CAPTURE_PRECHECK=false turns
all of it off: no analysis at upload, no checklist.
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext_lazy as _

from onboarding.models import Photo
from onboarding.services import dispatch
from onboarding.services.applicant.analysis import stored_analysis, text_needed
from onboarding.services.policy import versions
from vendors.base import CheckKind, Subject
from vendors.documents import reader
from vendors.local import assess_quality, light_problems
from vendors.messages import applicant_message

# The card's own outline (vendors.documents.outline) covering less than this share of the frame: its
# text is small (the card spans about half the photo's width); cut by the frame's border: it does
# not fit. The portrait's size says nothing: layouts print it from a tenth to a third of the card.
CARD_MIN_SHARE = 0.25

ITEMS = {
    Photo.Kind.SELFIE: [
        ("face", _("One face, fully in the picture"), ("no_face", "multiple_faces")),
        ("distance", _("Close enough to the camera"), ("face_too_small",)),
        ("light", _("Good light"), ("too_dark", "too_bright")),
        ("focus", _("Sharp, not blurry"), ("blurry",)),
    ],
    Photo.Kind.ID_CARD: [
        ("face", _("The portrait on the card is visible"), ("no_face_on_id",)),
        ("fill", _("The card fills the frame"), ("card_too_far", "card_too_close")),
        ("light", _("Good light, no glare"), ("too_dark", "too_bright")),
        ("focus", _("Sharp, not blurry"), ("blurry",)),
        ("text", _("The text on the card can be read"), ("document_unreadable",)),
    ],
    Photo.Kind.ID_CARD_BACK: [
        ("fill", _("The card fills the frame"), ("card_too_far", "card_too_close")),
        ("light", _("Good light, no glare"), ("too_dark", "too_bright")),
        ("focus", _("Sharp, not blurry"), ("blurry",)),
        ("text", _("The text on the card can be read"), ("document_unreadable",)),
    ],
}

FRAMING_MESSAGES = {
    "card_too_far": _("The card is too small in the picture. Hold the camera closer so the card fills the frame."),
    "card_too_close": _("The card does not fit in the picture. Move the camera back until all four corners show."),
}


def extra_problems(kind, analysis) -> list[str]:
    """What only the capture page asks: the card's framing, and the light when no face was found."""
    problems = []
    if not analysis.faces or kind == Photo.Kind.ID_CARD_BACK:
        problems += light_problems(analysis.measures["brightness"])
    if kind != Photo.Kind.SELFIE:
        problems += framing_problems(analysis.measures.get("card"))
    return problems


def framing_problems(outline: dict | None) -> list[str]:
    """From the card's outline: cut by the frame's border, or too small in it; nothing when no
    outline was found (nothing to go on)."""
    if not outline:
        return []
    if outline["touches_edge"]:
        return ["card_too_close"]
    return ["card_too_far"] if outline["share"] < CARD_MIN_SHARE else []


def documents_read() -> bool:
    """Whether cases read the identity document (a vendor is routed for it)."""
    return bool(versions.active().route(CheckKind.DOCUMENT).vendors)


def back_wanted(front: Photo) -> bool:
    """Whether to ask for the card's back: documents are read, and the front was not read as a type
    without one (a passport page); while its reading is not done, ask (the applicant may skip)."""
    if not documents_read():
        return False
    analysis = stored_analysis(front)
    if analysis is None or not analysis.has_text:
        return True
    found = reader.read(analysis.text, None)
    return found.type == reader.UNKNOWN or reader.NEEDS_BACK.get(found.type, False)


def photo_stored(photo: Photo) -> None:
    """A photo from the capture page: its analysis starts on a worker (when the pre-check is on)."""
    if settings.KYC_CAPTURE_PRECHECK:
        dispatch.analyse_photo_after_commit(photo.pk)


def text_problems(kind, analysis) -> tuple[list[str], bool]:
    """(problems, whether the back is needed) from the text read on a card."""
    found = reader.read(analysis.text, None)
    if kind == Photo.Kind.ID_CARD_BACK:
        readable = found.sides["front"] != "unknown" or found.type != reader.UNKNOWN
        return ([] if readable else ["document_unreadable"]), False
    return ([] if found.readable else ["document_unreadable"]), reader.NEEDS_BACK.get(found.type, False)


def checklist(photo: Photo) -> dict | None:
    """The page's checklist: every item with ok and, when not ok, what to do; None while the
    photo's analysis (and, for a card, its reading) is being made. For a card's front, whether
    its type has a back to photograph too (`needs_back`)."""
    analysis = stored_analysis(photo)
    reads_text = text_needed(photo)
    if analysis is None or reads_text and not analysis.has_text:
        return None
    kind = photo.kind
    subject = Subject.SELFIE if kind == Photo.Kind.SELFIE else Subject.ID_CARD
    _details, problems = assess_quality(analysis, subject)
    problems = problems + extra_problems(kind, analysis)
    needs_back = False
    if reads_text:
        found, needs_back = text_problems(kind, analysis)
        problems += found
    items = []
    for code, label, covers in ITEMS[kind]:
        found = [p for p in problems if p in covers]
        items.append(
            {
                "code": code,
                "label": str(label),
                "ok": not found,
                "advice": [str(FRAMING_MESSAGES.get(p) or applicant_message(p, p)) for p in found],
            }
        )
    answer = {"ok": all(item["ok"] for item in items), "items": items}
    if kind == Photo.Kind.ID_CARD:
        answer["needs_back"] = needs_back
    return answer
