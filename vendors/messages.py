"""What we tell an applicant for each fixable input problem, whatever vendor found it.

Adapters map their vendors' codes onto these codes (e.g. Baidu 222202 -> no_face).
"""

from django.utils.translation import gettext_lazy as _

APPLICANT_MESSAGES = {
    "no_face": _("We could not find a face. Make sure your whole face is in the picture."),
    "no_face_on_id": _("We could not find the portrait on your ID card. Photograph the side with your photo."),
    "multiple_faces": _("More than one face is in the picture. Take the selfie alone."),
    "face_too_small": _("Your face is too small in the picture. Hold the camera closer."),
    "face_occluded": _("Part of your face is covered. Remove glasses, masks or hair from your face."),
    "face_incomplete": _("Part of your face is outside the picture. Keep your whole face in the frame."),
    "liveness_data_invalid": _("The liveness recording could not be read. Please record it again in the app."),
    "blurry": _("The picture is blurry. Hold still and make sure it is in focus."),
    "too_dark": _("The picture is too dark. Move to a brighter place."),
    "too_bright": _("The picture is too bright. Avoid direct light or glare."),
    "bad_image": _("The photo could not be read. Take it again."),
    "document_unreadable": _(
        "We could not read your document. Lay it flat in good light, avoid glare, and fill the frame with it."
    ),
    "document_back_needed": _("We also need the back of your ID card. Photograph its other side."),
    # Active liveness challenge
    "challenge_frame_count": _("We did not receive enough pictures. Keep the camera on and try again."),
    "challenge_still_image": _(
        "The pictures did not change. Move your head as asked: a photo of a face does not pass."
    ),
    "challenge_face_missing": _("We could not see your face in most pictures. Keep your face in the frame."),
    "challenge_different_face": _("Another face appeared during the check. Do the check alone."),
    "challenge_moves_not_seen": _(
        "We did not see your head turn as asked. Turn your head clearly, in the order shown."
    ),
    "challenge_selfie_mismatch": _("The face during the check is not the face in your selfie."),
    "challenge_expired": _("The check took too long. Start it again."),
    "challenge_reused": _("This check was already used. Start a new one."),
    "challenge_replayed": _("These pictures were sent before. Start a new check."),
    "challenge_unknown": _("This check does not exist. Start a new one."),
    "challenge_not_verified": _("The check could not be completed on our side. Please try again."),
}


def applicant_message(code, default=""):
    return APPLICANT_MESSAGES.get(code, default)
