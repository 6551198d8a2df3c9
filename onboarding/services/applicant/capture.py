"""The capture page's pre-check: is this shot good enough, before the applicant sends it?

The page sends a reduced copy (about 640 px) of the photo just taken or chosen; we answer with a
checklist in plain words. Nothing is stored. The measures are the local engine's quality check
(the same code and limits that judge the real upload), plus framing advice for the ID card.
"""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from onboarding.models import Photo
from onboarding.services.applicant.images import normalize_image
from vendors.analysis import analyse
from vendors.base import Subject
from vendors.local import assess_quality, light_problems
from vendors.messages import applicant_message

# On an ID-1 card (85.6 mm) the portrait's face is about 15 mm wide: a sixth of the card. A face
# narrower than a tenth of the photo means the card covers less than about 60 % of the frame;
# wider than 0.3, the card no longer fits in it.
CARD_FACE_SHARE = (0.10, 0.30)

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
    ],
}

FRAMING_MESSAGES = {
    "card_too_far": _("The card is too small in the picture. Hold the camera closer so the card fills the frame."),
    "card_too_close": _("The card does not fit in the picture. Move the camera back until all four corners show."),
}


def extra_problems(kind, analysis) -> list[str]:
    """What only the capture page asks: the card's framing, and the light when no face was found."""
    if not analysis.faces:
        return light_problems(analysis.measures["brightness"])
    if kind != Photo.Kind.ID_CARD:
        return []
    share = analysis.face.width / analysis.width
    if share < CARD_FACE_SHARE[0]:
        return ["card_too_far"]
    if share > CARD_FACE_SHARE[1]:
        return ["card_too_close"]
    return []


def precheck(kind: str, uploaded) -> dict:
    """A checklist for the page: every item with ok and, when not ok, what to do. Raises ImageRejected."""
    image = normalize_image(uploaded)  # the same validation as a real upload
    analysis = analyse(image.data, selfie=kind == Photo.Kind.SELFIE, embedding=False)
    subject = Subject.SELFIE if kind == Photo.Kind.SELFIE else Subject.ID_CARD
    _details, problems = assess_quality(analysis, subject)
    problems = problems + extra_problems(kind, analysis)
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
    return {"ok": all(item["ok"] for item in items), "items": items}
