"""The reason codes a decision gives, and their texts: one catalogue for the policy, the pages and the API."""

from django.utils.translation import gettext_lazy as _

from onboarding.models import ReviewReason
from vendors.messages import APPLICANT_MESSAGES

# The reasons that send a case to a person (the review queue filters on them).
REVIEW_REASONS = (
    "compare_borderline",
    "liveness_not_checked",
    "compare_not_checked",
    "quality_not_checked",
    "check_error",
    "presentation_attack_suspected",
    "no_verdict",
    "far_not_shown",
    "duplicate_face",
    "duplicate_photo",
    "duplicates_not_checked",
    "velocity",
    "high_risk",
    "document_not_checked",
    "blocklisted_face",
    "blocklisted_document",
    "document_inconsistent",
    "document_unreadable",
    "declared_data_mismatch",
    "document_expiring",
    "document_expiry_unknown",
    "screening_match",
    "screening_not_checked",
)

REASON_MESSAGES = {
    "all_checks_passed": _("All checks passed."),
    "face_mismatch": _("The selfie does not match the ID card portrait."),
    "compare_borderline": _("The face match score is just below the threshold."),
    "liveness_failed": _("The selfie did not pass the liveness check."),
    "liveness_not_checked": _("Liveness could not be checked automatically."),
    "liveness_person_mismatch": _("The liveness recording shows a different person from the selfie."),
    "compare_not_checked": _("The face match could not be checked automatically."),
    "quality_not_checked": _("Photo quality could not be checked automatically."),
    "check_error": _("A check could not be completed."),
    "presentation_attack_suspected": _("Heuristics suggest a photo of a screen or a print."),
    "no_verdict": _("A check returned no verdict."),
    "far_not_shown": _("The face match's false-accept rate cannot be shown to meet the policy's target."),
    "duplicate_face": _("The same face appears under another applicant."),
    "duplicate_photo": _("The same photo appears under another applicant."),
    "duplicates_not_checked": _("The search for duplicate faces and photos could not be done."),
    "velocity": _("The applicant submitted many times in a short period."),
    "high_risk": _("The case's risk level calls for a person to look at it."),
    "blocklisted_face": _("The applicant's face is on the blocklist."),
    "blocklisted_document": _("The document number is on the blocklist."),
    "screening_match": _("The name matches an entry of a sanctions or PEP list."),
    "screening_not_checked": _("The name could not be screened against the sanctions and PEP lists."),
    "document_not_checked": _("The identity document could not be read automatically."),
    "document_number_invalid": _("The document number's check digit is wrong."),
    "mrz_check_failed": _("A check digit of the machine-readable zone is wrong."),
    "document_expired": _("The identity document has expired."),
    "document_expiring": _("The identity document expires soon."),
    "document_expiry_unknown": _("The identity document's expiry date could not be read (its back is missing)."),
    "underage": _("The applicant is younger than the policy's minimum age."),
    "document_inconsistent": _("The document's fields do not agree with each other."),
    "document_unreadable": _("The identity document could not be read."),
    "declared_data_mismatch": _("What the applicant declared differs from the document."),
}


def reason_text(code, default=""):
    return (
        REASON_MESSAGES.get(code)
        or APPLICANT_MESSAGES.get(code)
        or ReviewReason.BUILT_IN.get(code, ("", ""))[1]
        or default
    )
