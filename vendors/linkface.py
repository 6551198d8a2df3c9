"""LinkFace /identity/liveness_selfie_verification: the liveness data file written by
LinkFace's mobile SDK against a photo (the selfie for liveness, the ID card for compare).

A browser cannot produce that file, so without it both checks are "not applicable",
never faked. api_secret travels as a form field here, never in the URL.
"""

from django.utils.translation import gettext_lazy as _

from .base import CheckKind, CheckResult, Reason, ResultStatus, Threshold
from .calibration import Calibration
from .exceptions import BadInputError, ConfigurationError, PermanentVendorError, RetryableVendorError
from .http import HttpRequest, HttpVendorBackend
from .images import prepare_jpeg
from .messages import applicant_message

VERIFY_THRESHOLD = Threshold(0.7, "LinkFace document: verify_score >= 0.7 is the same person (error rate 1e-4)")

# status -> (class, applicant message code). The HTTP status is in the document too,
# but the status string is what decides: 403 RATE_LIMIT_EXCEEDED is a retry, 403 OUT_OF_QUOTA is not.
ERRORS = {
    "RATE_LIMIT_EXCEEDED": (RetryableVendorError, ""),
    "INTERNAL_ERROR": (RetryableVendorError, ""),
    "DOWNLOAD_TIMEOUT": (RetryableVendorError, ""),
    "DOWNLOAD_ERROR": (RetryableVendorError, ""),
    "UNAUTHORIZED": (ConfigurationError, ""),
    "KEY_EXPIRED": (ConfigurationError, ""),
    "NO_PERMISSION": (ConfigurationError, ""),
    "OUT_OF_QUOTA": (ConfigurationError, ""),
    "NOT_FOUND": (ConfigurationError, ""),  # wrong base URL
    "NO_FACE_DETECTED": (BadInputError, "no_face"),
    "CORRUPT_IMAGE": (BadInputError, "bad_image"),
    "INVALID_IMAGE_FORMAT_OR_SIZE": (BadInputError, "bad_image"),
    "IMAGE_FILE_SIZE_TOO_BIG": (PermanentVendorError, ""),  # our normalisation should have prevented it
    "WRONG_LIVENESS_DATA": (BadInputError, "liveness_data_invalid"),
    "IMAGE_ID_NOT_EXIST": (PermanentVendorError, ""),
    "INVALID_ARGUMENT": (PermanentVendorError, ""),
    "ENCODING_ERROR": (PermanentVendorError, ""),
}


def score(value):
    """Scores arrive as numbers or as strings."""
    return None if value in (None, "") else float(value)


class LinkFaceBackend(HttpVendorBackend):
    name = "linkface"
    label = "LinkFace liveness_selfie_verification"
    settings_defaults = {"API_ID": "", "API_SECRET": "", "BASE_URL": "https://cloudapi.linkface.cn"}
    required_settings = ("API_ID", "API_SECRET")
    kinds = frozenset({CheckKind.LIVENESS, CheckKind.COMPARE})
    reads_liveness_data = True  # both checks are one liveness_selfie_verification call
    score_scales = {
        CheckKind.LIVENESS: "0-1 hack_score, lower is live",
        CheckKind.COMPARE: "0-1 verify_score, higher is the same person",
    }
    default_thresholds = {
        # The document gives no hack_score threshold: this is ours, and the check says so.
        CheckKind.LIVENESS: Threshold(0.5, "kyc default (LinkFace documents no hack_score threshold)"),
        CheckKind.COMPARE: VERIFY_THRESHOLD,
    }
    # verify_score thresholds and the error rates the document gives for them.
    calibrations = (
        Calibration(
            "linkface",
            CheckKind.COMPARE.value,
            "documented",
            "LinkFace liveness_selfie_verification document: verify_score threshold 0.4/0.5/0.6/0.7/0.8/0.9 "
            "⇔ error rate 1e-1 … 1e-6",
            points=((0.4, 1e-1), (0.5, 1e-2), (0.6, 1e-3), (0.7, 1e-4), (0.8, 1e-5), (0.9, 1e-6)),
        ),
    )

    def score_passes(self, kind, score, threshold, details):
        # Liveness is hack_score, lower is better; it also fails on a person mismatch (kept as is).
        return score <= threshold if CheckKind(kind) == CheckKind.LIVENESS else score >= threshold

    def not_applicable(self, request):
        if request.liveness_data:
            return None
        return CheckResult(
            vendor=self.name,
            kind=request.kind,
            status=ResultStatus.NOT_APPLICABLE,
            latency_ms=0,
            reasons=[
                Reason(
                    "linkface_sdk_data_missing",
                    _("LinkFace needs the liveness file from its mobile SDK; this case has none."),
                )
            ],
        )

    def build_request(self, request):
        # Liveness looks at the selfie, compare at the ID card: each against the SDK's recording.
        photo = request.selfie.data if request.kind == CheckKind.LIVENESS else request.id_card.data
        jpeg, notes = prepare_jpeg(photo, max_size=(4000, 4000), max_bytes=5 * 1024 * 1024)
        return HttpRequest(
            "POST",
            "/identity/liveness_selfie_verification",
            kind=request.kind,
            data={"api_id": self.setting("API_ID"), "api_secret": self.setting("API_SECRET")},
            files={
                "selfie_file": ("selfie.jpg", jpeg, "image/jpeg"),
                "liveness_data_file": ("liveness.protobuf", request.liveness_data, "application/octet-stream"),
            },
            notes=notes,
        )

    def parse_body(self, body, *, kind, status, latency_ms, raw, outgoing):
        return self.parse(kind, status, body, latency_ms=latency_ms, raw=raw, notes=outgoing.notes)

    def parse(self, kind, status, body, *, latency_ms=None, raw=None, notes=None):
        raw = raw if raw is not None else body
        request_id = body.get("request_id", "")
        if body.get("status") != "OK":
            code = body.get("status") or f"http_{status}"
            cls, applicant_code = ERRORS.get(
                code, (RetryableVendorError if status >= 500 else PermanentVendorError, "")
            )
            detail = " ".join(str(body[k]) for k in ("reason", "image") if body.get(k))
            raise cls(
                f"linkface: {code} {detail}".strip(),
                code=code,
                http_status=status,
                raw_response=raw,
                vendor_request_id=request_id,
                applicant_message=applicant_message(applicant_code),
            )
        hack, verify = score(body.get("hack_score")), score(body.get("verify_score"))
        details = {
            "hack_score": hack,
            "verify_score": verify,
            "liveness_data_id": body.get("liveness_data_id", ""),
            "image_id": body.get("image_id", ""),
            "sent": notes or {},
        }
        result = CheckResult(
            vendor=self.name,
            kind=kind,
            vendor_request_id=request_id,
            latency_ms=latency_ms,
            raw_response=raw,
            details=details,
        )
        verify_threshold = self.threshold(CheckKind.COMPARE)
        same_person = verify is not None and verify >= verify_threshold.value
        if kind == CheckKind.COMPARE:
            result.score = verify
            self.judge(result)
            if not result.passed:
                result.reasons.append(Reason("face_mismatch", _("The selfie does not match the ID card portrait.")))
            return result
        result.score = hack
        self.judge(result, higher_is_better=False)
        details["verify_threshold"] = verify_threshold.value
        if not result.passed:
            result.reasons.append(Reason("liveness_failed", _("The selfie did not pass the liveness check.")))
        if not same_person:
            # Live, but not the person in the selfie: the recording proves nothing about this applicant.
            result.passed = False
            result.reasons.append(
                Reason(
                    "liveness_person_mismatch", _("The liveness recording shows a different person from the selfie.")
                )
            )
        return result
