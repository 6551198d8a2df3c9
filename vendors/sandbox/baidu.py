"""Baidu's OAuth token endpoint and Face Match V4 (and V3, which the official client calls)."""

from __future__ import annotations

import binascii
import hashlib
import hmac
import secrets
import time

from werkzeug.routing import Rule
from werkzeug.wrappers import Response

from . import scoring
from .core import digest_key, json_response


class BaiduProtocol:
    """Mixed into SandboxApp (vendors.sandbox.app): self.creds, self.state, vendor_call, succeeded."""

    vendor = "baidu"
    rules = [
        Rule("/oauth/2.0/token", endpoint="baidu_token", methods=["GET", "POST"]),
        Rule("/rest/2.0/face/v4/mingjing/match", endpoint="baidu_match_v4", methods=["POST"]),
        Rule("/rest/2.0/face/v3/match", endpoint="baidu_match_v3", methods=["POST"]),
    ]

    def on_baidu_token(self, request):
        with self.state.lock:
            self.state.calls["baidu_token"] += 1
        time.sleep(self.state.latency("baidu_token"))
        args = request.values  # query string or form body, as the vendor accepts both
        if args.get("grant_type") != "client_credentials":
            return json_response(
                {
                    "error": "unsupported_grant_type",
                    "error_description": "The authorization grant type is not supported",
                },
                400,
            )
        if not self.creds.baidu_api_key or args.get("client_id") != self.creds.baidu_api_key:
            return json_response({"error": "invalid_client", "error_description": "unknown client id"}, 401)
        if not hmac.compare_digest(args.get("client_secret", ""), self.creds.baidu_secret_key):
            return json_response({"error": "invalid_client", "error_description": "Client authentication failed"}, 401)
        now, ttl = int(time.time()), self.state.baidu_token_ttl
        token = f"24.{secrets.token_hex(16)}.{ttl}.{now + ttl}.282335-{abs(hash(self.creds.baidu_api_key)) % 10**8}"
        with self.state.lock:
            self.state.baidu_tokens[token] = now + ttl
        return json_response(
            {
                "refresh_token": f"25.{secrets.token_hex(16)}.315360000.{now + 315360000}.282335-1",
                "expires_in": ttl,
                "session_key": secrets.token_hex(20),
                "access_token": token,
                # brain_all_scope: without it the official baidu-aip client switches to BCE signing.
                "scope": "public brain_all_scope vis-faceverify_faceverify_match_v3 wise_adapt",
                "session_secret": secrets.token_hex(16),
            }
        )

    def _baidu_token_error(self, request):
        token = request.args.get("access_token", "")
        with self.state.lock:
            expiry = self.state.baidu_tokens.get(token)
        if expiry is None:
            return {"error_code": 110, "error_msg": "Access token invalid or no longer valid"}
        if expiry <= time.time():
            return {"error_code": 111, "error_msg": "Access token expired"}
        return None

    @staticmethod
    def _baidu(payload, **extra):
        body = {
            "error_code": 0,
            "error_msg": "SUCCESS",
            "log_id": int(time.time() * 1000) * 1000 + secrets.randbelow(1000),
            "timestamp": int(time.time()),
            "cached": 0,
            "result": None,
        }
        body.update(payload)
        body.update(extra)
        return json_response(body)

    def _baidu_image(self, value, image_type):
        if image_type not in (None, "", "BASE64"):
            raise _BaiduError(222201, "face token not supported by the sandbox")
        if not value or value.startswith("data:"):
            raise _BaiduError(216201, "image format error")
        try:
            image = scoring.decode_base64(value)
        except (binascii.Error, ValueError):
            raise _BaiduError(216201, "image format error") from None
        if image.size > 10 * 1024 * 1024:
            raise _BaiduError(222304, "image size is too large")
        try:
            analysis = image.analysis()
        except scoring.Undecodable:
            raise _BaiduError(216201, "image format error") from None
        if analysis.format not in ("JPEG", "PNG", "BMP"):
            raise _BaiduError(216201, "image format error")
        if analysis.face is None:
            raise _BaiduError(222202, "pic not has face")
        return image, analysis

    @staticmethod
    def _baidu_controls(analysis, quality, liveness, spoofing, want_liveness, want_spoofing):
        face = {"face_token": hashlib.md5(str(analysis.face.box).encode() + str(analysis.quality).encode()).hexdigest()}
        if quality not in (None, "", "NONE"):
            if analysis.sharpness < {"LOW": 4, "NORMAL": 8, "HIGH": 16}.get(quality, 8):
                raise _BaiduError(223114, "face is fuzzy")
            if analysis.brightness < {"LOW": 20, "NORMAL": 40, "HIGH": 100}.get(quality, 40):
                raise _BaiduError(223115, "face light is not good")
        if liveness not in (None, "", "NONE"):
            if analysis.quality < {"LOW": 0.05, "NORMAL": 0.3, "HIGH": 0.9}.get(liveness, 0.3):
                raise _BaiduError(223120, "liveness check fail")
            if want_liveness == "1":
                face["liveness_score"] = analysis.quality
        if spoofing not in (None, "", "NONE") and want_spoofing == "1":
            face["spoofing_score"] = round((1 - analysis.quality) * 0.001, 8)
        return face

    def _baidu_match(self, request, images):
        """images: [(image, type, quality, liveness, spoofing, get_liveness, get_spoofing), ...] selfie first."""
        faces, analyses, digests = [], [], []
        for spec in images:
            image, analysis = self._baidu_image(spec[0], spec[1])
            faces.append(self._baidu_controls(analysis, *spec[2:]))
            analyses.append(analysis)
            digests.append(image.digest)
        d = scoring.distance(analyses[0], analyses[1])
        self.succeeded("baidu", digest_key(*digests))
        return {"result": {"score": scoring.compare_score(d, top=100, threshold=80), "face_list": faces}}

    def on_baidu_match_v4(self, request):
        return self._baidu_endpoint(request, version=4)

    def on_baidu_match_v3(self, request):
        return self._baidu_endpoint(request, version=3)

    def _baidu_endpoint(self, request, version):
        token_error = self._baidu_token_error(request)
        if token_error:
            return self._baidu(token_error)

        def handle():
            body = request.get_json(force=True, silent=True)
            try:
                if version == 4:
                    if not isinstance(body, dict):
                        raise _BaiduError(216100, "invalid param")
                    g = body.get
                    specs = [
                        (
                            g("image"),
                            g("image_type"),
                            g("quality_control"),
                            g("liveness_control"),
                            g("spoofing_control"),
                            g("get_liveness_score"),
                            g("get_spoofing_score"),
                        ),
                        (
                            g("register_image"),
                            g("register_image_type"),
                            g("register_quality_control"),
                            g("register_liveness_control"),
                            g("register_spoofing_control"),
                            g("register_get_liveness_score"),
                            g("register_get_spoofing_score"),
                        ),
                    ]
                    extra = {"risk_level": "4", "risk_tag": []} if body.get("x_device_id") else {}
                else:
                    if not isinstance(body, list) or len(body) != 2:
                        raise _BaiduError(216100, "invalid param")
                    specs = [
                        (
                            b.get("image"),
                            b.get("image_type"),
                            b.get("quality_control"),
                            b.get("liveness_control"),
                            b.get("spoofing_control"),
                            "1",
                            "1",
                        )
                        for b in body
                    ]
                    extra = {}
                return self._baidu(self._baidu_match(request, specs), **extra)
            except _BaiduError as exc:
                return self._baidu({"error_code": exc.code, "error_msg": exc.message})

        return self.vendor_call(
            "baidu",
            request,
            handle,
            {
                "5xx": lambda: Response(
                    "<html><body>502 Bad Gateway</body></html>", status=502, content_type="text/html"
                ),
                "ratelimit": lambda: self._baidu({"error_code": 18, "error_msg": "Open api qps request limit reached"}),
            },
        )


class _BaiduError(Exception):
    def __init__(self, code, message):
        super().__init__(message)
        self.code, self.message = code, message
