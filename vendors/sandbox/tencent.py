"""Tencent livedetectpicture (legacy signature) and API 3.0 DetectLiveFaceAccurate (TC3 signature)."""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import time
import uuid

import requests
from werkzeug.routing import Rule

from vendors.tencent import tc3_authorization

from . import scoring
from .core import digest_key, json_response, work_key


class TencentProtocol:
    """Mixed into SandboxApp (vendors.sandbox.app): self.creds, self.state, vendor_call, succeeded."""

    vendor = "tencent"
    rules = [
        Rule("/face/livedetectpicture", endpoint="tencent_legacy", methods=["POST"]),
        Rule("/", endpoint="tencent_cloud", methods=["POST"]),  # API 3.0 posts to the endpoint's root
    ]

    def _tencent_legacy_auth(self, header, body_appid):
        if not header:
            return 4, "signature is empty"
        try:
            raw = base64.b64decode(header, validate=True)
            digest, plain = raw[:20], raw[20:].decode()
            fields = dict(pair.split("=", 1) for pair in plain.split("&") if pair)
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return 5, "signature is malformed"
        if not {"a", "k", "e", "t"} <= set(fields):
            return 5, "signature is malformed"
        if fields["a"] != self.creds.tencent_appid:
            return 10, "appid does not exist"
        if fields["k"] != self.creds.tencent_secret_id:
            return 11, "SecretId does not exist"
        expected = hmac.new(self.creds.tencent_secret_key.encode(), plain.encode(), hashlib.sha1).digest()
        if not hmac.compare_digest(digest, expected):
            return 14, "signature check failed"
        if int(fields["e"]) < time.time():
            return 9, "signature expired"
        if body_appid is not None and body_appid != fields["a"]:
            return 6, "appid in signature does not match"
        return None

    def on_tencent_legacy(self, request):
        def reply(code, message, data=None):
            return json_response({"data": data or {}, "code": code, "message": message})

        body_json = request.get_json(silent=True) if request.is_json else None
        body_appid = (body_json or {}).get("appid") if request.is_json else request.form.get("appid")
        failure = self._tencent_legacy_auth(request.headers.get("Authorization", ""), body_appid)
        if failure:
            return reply(*failure)

        def handle():
            if request.is_json:
                url = (body_json or {}).get("url")
                try:
                    image = requests.get(url, timeout=10).content if url else None
                except requests.RequestException:
                    image = None
            else:
                file = request.files.get("image")
                image = file.read() if file else None
            if not image:
                return reply(-5805, "no image or the url could not be downloaded")
            if len(image) > 6 * 1024 * 1024:
                return reply(23, "request body too large")
            try:
                analysis = scoring.analyze(image)
            except scoring.Undecodable:
                return reply(-4016, "image decode failed")
            if analysis.format == "GIF":
                return reply(-4016, "image decode failed")
            if analysis.face is None:
                return reply(-4015, "face detection failed")
            score = 0 if analysis.quality < 0.3 else int(round(80 + 20 * analysis.quality))
            self.succeeded("tencent", work_key(image))
            return reply(0, "OK", {"score": score})

        return self.vendor_call(
            "tencent",
            request,
            handle,
            {
                "5xx": lambda: reply(213, "internal error"),
                "ratelimit": lambda: reply(15, "operation too frequent"),
            },
        )

    def on_tencent_cloud(self, request):
        request_id = str(uuid.uuid4())

        def error(code, message):
            return json_response({"Response": {"Error": {"Code": code, "Message": message}, "RequestId": request_id}})

        auth = request.headers.get("Authorization", "")
        failure = self._tc3_check(request, auth)
        if failure:
            return error(*failure)
        if request.headers.get("X-TC-Action") != "DetectLiveFaceAccurate":
            return error("InvalidAction", "the sandbox only serves DetectLiveFaceAccurate")
        if request.headers.get("X-TC-Version") != "2020-03-03":
            return error("InvalidParameter", "X-TC-Version must be 2020-03-03")

        def handle():
            body = request.get_json(force=True, silent=True) or {}
            if body.get("Image"):
                try:
                    decoded = scoring.decode_base64(body["Image"])
                except (binascii.Error, ValueError):
                    return error("FailedOperation.ImageDecodeFailed", "image decode failed")
                digest = decoded.digest
            elif body.get("Url"):
                try:
                    image = requests.get(body["Url"], timeout=10).content
                except requests.RequestException:
                    return error("FailedOperation.ImageDownloadError", "image download failed")
                digest = hashlib.sha256(image).hexdigest()
                decoded = None
            else:
                return error("InvalidParameterValue.ImageEmpty", "Image or Url is required")
            try:
                analysis = decoded.analysis() if decoded is not None else scoring.analyze(image, digest)
            except scoring.Undecodable:
                return error("FailedOperation.ImageDecodeFailed", "image decode failed")
            if analysis.face is None:
                return error("FailedOperation.ImageFacedetectFailed", "face detection failed")
            self.succeeded("tencent", digest_key(digest))
            return json_response(
                {
                    "Response": {
                        "Score": round(100 * analysis.quality, 2),
                        "FaceModelVersion": body.get("FaceModelVersion", "3.0"),
                        "RequestId": request_id,
                    }
                }
            )

        return self.vendor_call(
            "tencent",
            request,
            handle,
            {
                "5xx": lambda: error("InternalError", "an internal error occurred"),
                "ratelimit": lambda: error("RequestLimitExceeded", "request frequency limit exceeded"),
            },
        )

    def _tc3_check(self, request, auth):
        if not auth.startswith("TC3-HMAC-SHA256 "):
            return "AuthFailure.SignatureFailure", "Authorization must use TC3-HMAC-SHA256"
        try:
            parts = dict(p.strip().split("=", 1) for p in auth[len("TC3-HMAC-SHA256 ") :].split(","))
            secret_id, date, service, _ = parts["Credential"].split("/")
            timestamp = int(request.headers.get("X-TC-Timestamp", ""))
        except (ValueError, KeyError):
            return "AuthFailure.SignatureFailure", "malformed Authorization"
        if secret_id != self.creds.tencent_secret_id or not secret_id:
            return "AuthFailure.SecretIdNotFound", "the SecretId is not found"
        if abs(time.time() - timestamp) > 300:
            return "AuthFailure.SignatureExpire", "signature expired: the timestamp is more than 5 minutes off"
        expected = tc3_authorization(
            secret_id,
            self.creds.tencent_secret_key,
            service=service,
            host=request.headers.get("Host", ""),
            payload=request.get_data(),
            timestamp=timestamp,
            content_type=request.headers.get("Content-Type", ""),
        )
        if not hmac.compare_digest(expected.rsplit("Signature=", 1)[1], parts.get("Signature", "")):
            return "AuthFailure.SignatureFailure", "the signature does not match"
        return None
