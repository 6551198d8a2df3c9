"""Tencent static liveness, in two modes (TENCENT_MODE):

- "legacy": POST /face/livedetectpicture on recognition.image.myqcloud.com with the
  "multiple-use" HMAC-SHA1 signature. The document marks it as taken offline.
- "cloud": its successor, Tencent Cloud API 3.0 DetectLiveFaceAccurate (service iai,
  version 2020-03-03) with the TC3-HMAC-SHA256 signature.
"""

import base64
import hashlib
import hmac
import secrets
import time
from datetime import UTC, datetime
from urllib.parse import urlsplit

from django.utils.translation import gettext_lazy as _

from .base import CheckKind, CheckResult, Reason, Threshold
from .exceptions import BadInputError, ConfigurationError, PermanentVendorError, RetryableVendorError
from .http import HttpRequest, HttpVendorBackend, json_body
from .images import b64, prepare_jpeg
from .messages import applicant_message

SIGNATURE_TTL = 300
LEGACY_ERRORS = {
    3: (ConfigurationError, ""),  # bad request; "account abnormal" when in arrears
    4: (ConfigurationError, ""),
    5: (ConfigurationError, ""),
    6: (ConfigurationError, ""),
    9: (ConfigurationError, ""),  # signature expired: our clock is off
    10: (ConfigurationError, ""),
    11: (ConfigurationError, ""),
    12: (ConfigurationError, ""),
    13: (RetryableVendorError, ""),  # replay: the next try signs with a new nonce
    14: (ConfigurationError, ""),
    16: (ConfigurationError, ""),
    15: (RetryableVendorError, ""),  # rate limited
    21: (PermanentVendorError, ""),
    23: (PermanentVendorError, ""),
    107: (RetryableVendorError, ""),
    108: (RetryableVendorError, ""),
    213: (RetryableVendorError, ""),
    -4015: (BadInputError, "no_face"),
    -4016: (BadInputError, "bad_image"),
    -5805: (PermanentVendorError, ""),  # no image received
}
CLOUD_RETRYABLE_PREFIXES = (
    "RequestLimitExceeded",
    "InternalError",
    "FailedOperation.ServerError",
    "ResourceUnavailable",
    "LimitExceeded",
)
CLOUD_CONFIGURATION_PREFIXES = (
    "AuthFailure",
    "UnauthorizedOperation",
    "ResourceInsufficient",
    "ResourcesSoldOut",
    "FailedOperation.UnOpenError",
    "UnsupportedOperation",
)
CLOUD_BAD_INPUT = {
    "FailedOperation.ImageDecodeFailed": "bad_image",
    "FailedOperation.ImageFacedetectFailed": "no_face",
    "FailedOperation.ImageResolutionTooSmall": "bad_image",
    "InvalidParameterValue.NoFaceInPhoto": "no_face",
    "InvalidParameterValue.FaceRectInvalid": "no_face",
}


def legacy_signature(appid, secret_id, secret_key, *, now=None, ttl=SIGNATURE_TTL, bucket="", nonce=None) -> str:
    """base64(HMAC-SHA1(SecretKey, plain) + plain), plain = a=&b=&k=&e=&t=&r=&f= (document's order)."""
    now = int(now or time.time())
    nonce = nonce if nonce is not None else secrets.randbelow(10**9)
    plain = f"a={appid}&b={bucket}&k={secret_id}&e={now + ttl}&t={now}&r={nonce}&f="
    digest = hmac.new(secret_key.encode(), plain.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest + plain.encode()).decode()


def tc3_authorization(
    secret_id,
    secret_key,
    *,
    service,
    host,
    payload: bytes,
    timestamp: int,
    content_type="application/json",
    method="POST",
    uri="/",
    query="",
) -> str:
    date = datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%d")
    canonical = "\n".join(
        [
            method,
            uri,
            query,
            f"content-type:{content_type}\nhost:{host}\n",
            "content-type;host",
            hashlib.sha256(payload).hexdigest(),
        ]
    )
    scope = f"{date}/{service}/tc3_request"
    to_sign = "\n".join(["TC3-HMAC-SHA256", str(timestamp), scope, hashlib.sha256(canonical.encode()).hexdigest()])

    def sign(key, msg):
        return hmac.new(key, msg.encode(), hashlib.sha256).digest()

    key = sign(sign(sign(("TC3" + secret_key).encode(), date), service), "tc3_request")
    signature = hmac.new(key, to_sign.encode(), hashlib.sha256).hexdigest()
    return f"TC3-HMAC-SHA256 Credential={secret_id}/{scope}, SignedHeaders=content-type;host, Signature={signature}"


class TencentBackend(HttpVendorBackend):
    name = "tencent"
    label = "Tencent static liveness"
    kinds = frozenset({CheckKind.LIVENESS})
    score_scales = {CheckKind.LIVENESS: "0-100 liveness, higher is live"}
    thresholds_by_mode = {
        "legacy": Threshold(87.0, "Tencent livedetectpicture document: live when score > 87"),
        "cloud": Threshold(40.0, "Tencent DetectLiveFaceAccurate: thresholds 5/10/40/70/90, recommended 40"),
    }

    settings_defaults = {
        "APPID": "",
        "SECRET_ID": "",
        "SECRET_KEY": "",
        "MODE": "cloud",  # "cloud" (DetectLiveFaceAccurate) or "legacy"
        "REGION": "ap-guangzhou",
        "API_ENDPOINT": "https://iai.tencentcloudapi.com",
        "LEGACY_BASE_URL": "https://recognition.image.myqcloud.com",
    }
    required_by_mode = {"legacy": ("APPID", "SECRET_ID", "SECRET_KEY"), "cloud": ("SECRET_ID", "SECRET_KEY")}

    @property
    def mode(self):
        return self.setting("MODE")

    @property
    def required_settings(self):
        return self.required_by_mode[self.mode]

    @property
    def default_thresholds(self):
        return {CheckKind.LIVENESS: self.thresholds_by_mode[self.mode]}

    def mode_threshold(self, mode):
        """The two modes score on different scales: an operator override applies to the configured mode only."""
        if mode == self.mode:
            return self.threshold(CheckKind.LIVENESS)
        return self.thresholds_by_mode[mode]

    def score_passes(self, kind, score, threshold, details):
        # The legacy document says "greater than 87": the threshold itself does not pass.
        return score > threshold if (details or {}).get("mode") == "legacy" else score >= threshold

    def build_request(self, request):
        return self._legacy(request) if self.mode == "legacy" else self._cloud(request)

    def parse_body(self, body, *, kind, status, latency_ms, raw, outgoing):
        parse = self.parse_legacy if outgoing.mode == "legacy" else self.parse_cloud
        return parse(body, latency_ms=latency_ms, raw=raw, notes=outgoing.notes, http_status=status)

    # Legacy ------------------------------------------------------------------
    def _legacy(self, request):
        # Scores are only meaningful near 3:4; < 1280x720 recommended; <= 6 MB.
        jpeg, notes = prepare_jpeg(request.selfie.data, max_size=(960, 720), max_bytes=6 * 1024 * 1024, aspect=3 / 4)
        appid = self.setting("APPID")
        auth = legacy_signature(appid, self.setting("SECRET_ID"), self.setting("SECRET_KEY"))
        return HttpRequest(
            "POST",
            self.setting("LEGACY_BASE_URL").rstrip("/") + "/face/livedetectpicture",
            kind=request.kind,
            headers={"Authorization": auth},
            data={"appid": appid},
            files={"image": ("face.jpg", jpeg, "image/jpeg")},
            notes=notes,
            mode="legacy",
        )

    def parse_legacy(self, body, *, latency_ms=None, raw=None, notes=None, http_status=200):
        raw = raw if raw is not None else body
        code = body.get("code")
        if code != 0:
            cls, applicant_code = LEGACY_ERRORS.get(
                code, (RetryableVendorError if http_status >= 500 else PermanentVendorError, "")
            )
            raise cls(
                f"tencent: {body.get('message', '')}".strip(),
                code=str(code),
                http_status=http_status,
                raw_response=raw,
                applicant_message=applicant_message(applicant_code),
            )
        result = CheckResult(
            vendor=self.name,
            kind=CheckKind.LIVENESS,
            score=float((body.get("data") or {})["score"]),
            latency_ms=latency_ms,
            raw_response=raw,
            details={"mode": "legacy", "sent": notes or {}},
        )
        self.judge(result, threshold=self.mode_threshold("legacy"))
        # The document says "greater than 87": the threshold itself is not live.
        result.passed = result.score > result.threshold
        if not result.passed:
            result.reasons.append(Reason("liveness_failed", _("The selfie did not pass the liveness check.")))
        return result

    # API 3.0 -------------------------------------------------------------------
    def _cloud(self, request):
        # The base64 body must stay under 5 MB: 3.5 MB of JPEG is 4.7 MB encoded.
        jpeg, notes = prepare_jpeg(request.selfie.data, max_size=(1920, 1080), max_bytes=int(3.5 * 1024 * 1024))
        payload = json_body({"Image": b64(jpeg), "FaceModelVersion": "3.0"})
        endpoint = self.setting("API_ENDPOINT")
        url = endpoint if "://" in endpoint else f"https://{endpoint}"
        host = urlsplit(url).netloc
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "Host": host,
            "X-TC-Action": "DetectLiveFaceAccurate",
            "X-TC-Version": "2020-03-03",
            "X-TC-Timestamp": str(timestamp),
            "X-TC-Region": self.setting("REGION"),
            "Authorization": tc3_authorization(
                self.setting("SECRET_ID"),
                self.setting("SECRET_KEY"),
                service="iai",
                host=host,
                payload=payload,
                timestamp=timestamp,
            ),
        }
        return HttpRequest(
            "POST", url.rstrip("/") + "/", kind=request.kind, data=payload, headers=headers, notes=notes, mode="cloud"
        )

    def parse_cloud(self, body, *, latency_ms=None, raw=None, notes=None, http_status=200):
        raw = raw if raw is not None else body
        data = body.get("Response") or {}
        request_id = data.get("RequestId", "")
        error = data.get("Error")
        if error:
            code = error.get("Code", "")
            if code in CLOUD_BAD_INPUT:
                cls, applicant_code = BadInputError, CLOUD_BAD_INPUT[code]
            elif code.startswith(CLOUD_RETRYABLE_PREFIXES):
                cls, applicant_code = RetryableVendorError, ""
            elif code.startswith(CLOUD_CONFIGURATION_PREFIXES):
                cls, applicant_code = ConfigurationError, ""
            else:
                cls, applicant_code = PermanentVendorError, ""
            raise cls(
                f"tencent: {error.get('Message', '')}".strip(),
                code=code,
                http_status=http_status,
                raw_response=raw,
                vendor_request_id=request_id,
                applicant_message=applicant_message(applicant_code),
            )
        result = CheckResult(
            vendor=self.name,
            kind=CheckKind.LIVENESS,
            score=float(data["Score"]),
            vendor_request_id=request_id,
            latency_ms=latency_ms,
            raw_response=raw,
            details={"mode": "cloud", "face_model_version": data.get("FaceModelVersion", ""), "sent": notes or {}},
        )
        self.judge(result, threshold=self.mode_threshold("cloud"))
        if not result.passed:
            result.reasons.append(Reason("liveness_failed", _("The selfie did not pass the liveness check.")))
        return result
