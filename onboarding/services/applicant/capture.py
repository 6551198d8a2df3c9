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
from onboarding.services.applicant.analysis import stored_analysis
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


def photo_stored(photo: Photo) -> None:
    """A photo from the capture page: its analysis starts on a worker (when the pre-check is on)."""
    if settings.KYC_CAPTURE_PRECHECK:
        dispatch.analyse_photo_after_commit(photo.pk)


def checklist(photo: Photo) -> dict | None:
    """The page's checklist: every item with ok and, when not ok, what to do; None while the
    photo's analysis is being made."""
    analysis = stored_analysis(photo)
    if analysis is None:
        return None
    kind = photo.kind
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
