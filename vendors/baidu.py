"""Baidu Face Match V4 (/rest/2.0/face/v4/mingjing/match): compare with quality,
liveness and spoofing controls, and device risk when Baidu's capture SDK is used.

The access token is fetched once for all workers through the shared cache, under
a cache lock, refreshed a day before expiry, and once more on errors 110/111; each
process keeps what it read for a minute.
"""

import dataclasses
import hashlib
import logging
import time

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext_lazy as _

from .base import CheckKind, CheckResult, Reason, Threshold
from .calibration import Calibration
from .exceptions import BadInputError, ConfigurationError, PermanentVendorError, RetryableVendorError
from .http import HttpRequest, HttpVendorBackend, json_body
from .images import b64, prepare_jpeg
from .messages import applicant_message

logger = logging.getLogger(__name__)

TOKEN_REFRESH_MARGIN = 24 * 3600  # tokens live 30 days; refresh a day early
TOKEN_ERRORS = {110, 111}  # invalid / expired access token
# The shared token as last read, per cache key: (token, monotonic time to read it again). A token
# another worker replaced is refused (110) and refreshed once, as any stale one.
TOKEN_MEMORY_SECONDS = 60
_tokens_read: dict[str, tuple[str, float]] = {}
# Must-handle codes (vendors.md): class and, for the applicant's photo, our message code.
ERRORS = {
    4: (ConfigurationError, ""),
    17: (ConfigurationError, ""),
    19: (ConfigurationError, ""),  # quotas
    6: (ConfigurationError, ""),
    14: (ConfigurationError, ""),  # no permission for this API
    18: (RetryableVendorError, ""),  # QPS limit
    282000: (RetryableVendorError, ""),  # internal error
    222202: (BadInputError, "no_face"),
    222203: (BadInputError, "no_face"),
    223113: (BadInputError, "face_occluded"),
    223114: (BadInputError, "blurry"),
    223115: (BadInputError, "too_dark"),
    223116: (BadInputError, "face_incomplete"),
    216201: (BadInputError, "bad_image"),
    222304: (PermanentVendorError, ""),  # image too large: our normalisation failed, not the applicant
    216100: (PermanentVendorError, ""),
}
LIVENESS_FAILED = 223120  # the selfie failed liveness control: a verdict, not an error


class BaiduBackend(HttpVendorBackend):
    name = "baidu"
    label = "Baidu Face Match V4"
    settings_defaults = {
        "API_KEY": "",
        "SECRET_KEY": "",
        "BASE_URL": "https://aip.baidubce.com",
        # The match's controls (NONE, LOW, NORMAL, HIGH), as the document names them.
        "QUALITY_CONTROL": "LOW",
        "LIVENESS_CONTROL": "NORMAL",
        "SPOOFING_CONTROL": "NORMAL",
    }
    required_settings = ("API_KEY", "SECRET_KEY")
    kinds = frozenset({CheckKind.COMPARE})
    score_scales = {CheckKind.COMPARE: "0-100 similarity"}
    default_thresholds = {
        CheckKind.COMPARE: Threshold(80.0, "Baidu Face Match V4 document: recommended threshold 80 (about FAR 1e-4)")
    }
    # Not in the Face Match V4 document itself: the figure Baidu's threshold of 80 is usually quoted
    # with (../shared/vendors.md). One point: scores give a bound on either side of it.
    calibrations = (
        Calibration(
            "baidu",
            CheckKind.COMPARE.value,
            "documented",
            "Baidu face match: threshold 80 as usually quoted for FAR 1e-4 (not in the V4 document)",
            points=((80.0, 1e-4),),
        ),
    )

    # Token -----------------------------------------------------------------
    def _cache_key(self):
        fingerprint = hashlib.sha256(f"{self.base_url}|{self.setting('API_KEY')}".encode()).hexdigest()[:16]
        return f"vendors:baidu:token:{fingerprint}"

    def access_token(self, *, stale=None) -> str:
        """The shared token; `stale` is one the vendor just refused and must not be handed out again."""
        key = self._cache_key()
        # Kept for a minute in the process: reading the shared token cost every call a cache
        # round trip (and, while each call ran on a thread started for it, a new Redis connection).
        held = _tokens_read.get(key)
        if held is not None and held[0] != stale and time.monotonic() < held[1]:
            return held[0]
        token = self._shared_token(key, stale)
        _tokens_read[key] = (token, time.monotonic() + TOKEN_MEMORY_SECONDS)
        return token

    def _shared_token(self, key, stale) -> str:
        token = cache.get(key)
        if token and token != stale:
            return token
        lock, acquired = f"{key}:lock", False
        deadline = time.monotonic() + settings.KYC_VENDOR_READ_TIMEOUT + 5
        while not acquired:
            acquired = cache.add(lock, "1", timeout=60)
            if acquired or time.monotonic() > deadline:  # past the deadline the holder is presumed dead
                break
            time.sleep(0.1)
            token = cache.get(key)
            if token and token != stale:  # another worker fetched it
                return token
        try:
            token = cache.get(key)
            if token and token != stale:
                return token
            return self._fetch_token(key)
        finally:
            if acquired:
                cache.delete(lock)

    def _fetch_token(self, key) -> str:
        self.check_configured(None)
        # POST with the credentials in the form body (the document allows it) keeps them out of URLs.
        response = self.send(
            "POST",
            f"{self.base_url}/oauth/2.0/token",
            data={
                "grant_type": "client_credentials",
                "client_id": self.setting("API_KEY"),
                "client_secret": self.setting("SECRET_KEY"),
            },
        )
        body = self.require_json(response)
        if response.status != 200 or "access_token" not in body:
            code = body.get("error", f"http_{response.status}")
            cls = RetryableVendorError if response.status >= 500 else ConfigurationError
            raise cls(
                f"baidu token: {body.get('error_description', code)}",
                code=code,
                http_status=response.status,
                raw_response=response.redacted(),
            )
        ttl = int(body.get("expires_in", 2592000))
        cache.set(key, body["access_token"], timeout=max(60, ttl - min(TOKEN_REFRESH_MARGIN, ttl // 10)))
        logger.info("baidu: new access token, expires in %ss", ttl)
        return body["access_token"]

    # Match ------------------------------------------------------------------
    def payload(self, request) -> tuple[dict, dict]:
        notes = {}
        selfie, notes["selfie"] = prepare_jpeg(request.selfie.data, max_size=(1920, 1080), max_bytes=9 * 1024 * 1024)
        card, notes["id_card"] = prepare_jpeg(request.id_card.data, max_size=(1920, 1080), max_bytes=9 * 1024 * 1024)
        body = {
            "image": b64(selfie),
            "image_type": "BASE64",
            "face_type": "LIVE",
            "quality_control": self.setting("QUALITY_CONTROL"),
            "liveness_control": self.setting("LIVENESS_CONTROL"),
            "spoofing_control": self.setting("SPOOFING_CONTROL"),
            "register_image": b64(card),
            "register_image_type": "BASE64",
            # CERT: a photographed identity document (the document's own definition).
            "register_face_type": "CERT",
            "register_quality_control": "NONE",
        }
        if self.setting("LIVENESS_CONTROL") != "NONE":
            body["get_liveness_score"] = "1"
        if self.setting("SPOOFING_CONTROL") != "NONE":
            body["get_spoofing_score"] = "1"
        return body, notes

    def build_request(self, request):
        body, notes = self.payload(request)
        return HttpRequest(
            "POST",
            "/rest/2.0/face/v4/mingjing/match",
            kind=request.kind,
            data=json_body(body),
            headers={"Content-Type": "application/json"},
            log_path="/rest/2.0/face/v4/mingjing/match",
            notes=notes,
        )

    def send_request(self, outgoing):
        """With the shared access token in the query; refreshed and sent once more when refused."""
        token = self.access_token()
        response = super().send_request(dataclasses.replace(outgoing, params={"access_token": token}))
        if isinstance(response.json, dict) and response.json.get("error_code") in TOKEN_ERRORS:
            # A second refusal is a configuration problem (parse_body says so).
            token = self.access_token(stale=token)
            response = super().send_request(dataclasses.replace(outgoing, params={"access_token": token}))
        return response

    def parse_body(self, body, *, kind, status, latency_ms, raw, outgoing):
        return self.parse(body, latency_ms=latency_ms, raw=raw, notes=outgoing.notes)

    def parse(self, data, *, latency_ms=None, raw=None, notes=None):
        raw = raw if raw is not None else data
        log_id = str(data.get("log_id", "")) if isinstance(data, dict) else ""
        code = data.get("error_code", 0) if isinstance(data, dict) else None
        try:
            code = int(code)
        except (TypeError, ValueError):
            raise PermanentVendorError(
                f"baidu: unexpected error_code {code!r}", code=str(code), raw_response=raw, vendor_request_id=log_id
            ) from None
        message = data.get("error_msg", "")
        common = dict(
            vendor=self.name,
            kind=CheckKind.COMPARE,
            vendor_request_id=log_id,
            latency_ms=latency_ms,
            raw_response=raw,
            risk_level=str(data.get("risk_level") or ""),
            risk_tags=[t for t in (data.get("risk_tag") or []) if t and t != "空"],
        )
        if code == LIVENESS_FAILED:
            return CheckResult(
                **common,
                passed=False,
                details={"liveness_control": self.setting("LIVENESS_CONTROL")},
                reasons=[Reason("liveness_failed", _("The selfie did not pass the liveness check."))],
            )
        if code in TOKEN_ERRORS:
            raise ConfigurationError(
                f"baidu: access token refused after refresh: {message}",
                code=str(code),
                raw_response=raw,
                vendor_request_id=log_id,
            )
        if code != 0:
            cls, applicant_code = ERRORS.get(code, (PermanentVendorError, ""))
            raise cls(
                f"baidu: {message}",
                code=str(code),
                raw_response=raw,
                vendor_request_id=log_id,
                applicant_message=applicant_message(applicant_code),
            )
        result = data.get("result") or {}
        faces = result.get("face_list") or []
        details = {"face_tokens": [f.get("face_token", "") for f in faces]}
        for label, face in zip(("selfie", "id_card"), faces):
            for field in ("liveness_score", "spoofing_score"):
                if field in face:
                    details[f"{label}_{field}"] = face[field]
        if notes:
            details["sent"] = notes
        if "risk_warn_code" in data:
            details["risk_warn_code"] = data["risk_warn_code"]
        check = self.judge(CheckResult(**common, score=float(result.get("score", 0.0)), details=details))
        if not check.passed:
            check.reasons.append(Reason("face_mismatch", _("The selfie does not match the ID card portrait.")))
        return check
