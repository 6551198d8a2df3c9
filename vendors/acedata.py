"""AceData face/detect-live: static anti-recapture liveness of one photo.

The vendor downloads the image itself, so the request carries a short-lived,
signed URL that this app serves (onboarding.views.vendor_image) instead of bytes.
"""

from .base import CheckKind, CheckResult, Threshold
from .exceptions import ConfigurationError, PermanentVendorError, RetryableVendorError
from .http import HttpRequest, HttpVendorBackend, json_body

# The document lists 400 token_mismatched / api_not_implemented, 401 invalid_token,
# 429 too_many_requests, 500 api_error; the vendor's client library also knows these.
ERRORS = {
    "too_many_requests": RetryableVendorError,
    "api_error": RetryableVendorError,  # also "fetch failed": it could not download our URL
    "invalid_token": ConfigurationError,
    "token_expired": ConfigurationError,
    "no_token": ConfigurationError,
    "token_mismatched": ConfigurationError,
    "used_up": ConfigurationError,
    "disabled": ConfigurationError,
    "api_not_implemented": ConfigurationError,
    "bad_request": PermanentVendorError,
}


def error_class_for_status(status):
    if status == 429 or status >= 500:
        return RetryableVendorError
    if status in (401, 403):
        return ConfigurationError
    return PermanentVendorError


class AceDataBackend(HttpVendorBackend):
    name = "acedata"
    label = "AceData face/detect-live"
    settings_defaults = {"TOKEN": "", "BASE_URL": "https://api.acedata.cloud"}
    required_settings = ("TOKEN",)
    kinds = frozenset({CheckKind.LIVENESS})
    score_scales = {CheckKind.LIVENESS: "0-100 liveness (anti-recapture), higher is live"}
    default_thresholds = {
        CheckKind.LIVENESS: Threshold(40.0, "AceData detect-live document: thresholds 5/10/40/70/90, recommended 40")
    }

    def build_request(self, request):
        image = request.selfie
        if image.url_factory is None:
            raise PermanentVendorError("acedata needs a URL it can fetch; none was provided", code="no_image_url")
        return HttpRequest(
            "POST",
            "/face/detect-live",
            kind=request.kind,
            data=json_body({"image_url": image.url_factory(), "face_model_version": "3.0"}),
            headers={
                "accept": "application/json",
                "authorization": f"Bearer {self.setting('TOKEN')}",
                "content-type": "application/json",
            },
        )

    def parse_body(self, body, *, kind, status, latency_ms, raw, outgoing):
        return self.parse(status, body, latency_ms=latency_ms, raw=raw)

    def parse(self, status, body, *, latency_ms=None, raw=None):
        raw = raw if raw is not None else body
        trace_id = (body or {}).get("trace_id", "") if isinstance(body, dict) else ""
        if status == 200 and isinstance(body, dict) and "score" in body:
            result = CheckResult(
                vendor=self.name,
                kind=CheckKind.LIVENESS,
                score=float(body["score"]),
                vendor_request_id=trace_id,
                latency_ms=latency_ms,
                raw_response=raw,
                details={"face_model_version": body.get("face_model_version", "")},
            )
            return self.judge(result)
        error = (body or {}).get("error") if isinstance(body, dict) else None
        if not isinstance(error, dict):
            cls = RetryableVendorError if status >= 500 or status == 200 else error_class_for_status(status)
            raise cls(
                f"acedata: HTTP {status} without an error body",
                code=f"http_{status}",
                http_status=status,
                raw_response=raw,
            )
        code = str(error.get("code", ""))
        cls = ERRORS.get(code) or error_class_for_status(status)
        raise cls(
            f"acedata: {error.get('message', '')}".strip(),
            code=code,
            http_status=status,
            vendor_request_id=trace_id,
            raw_response=raw,
        )
