"""AceData face/detect-live, from the vendor's side: bearer token, the image fetched from its URL."""

from __future__ import annotations

import hmac
import uuid

import requests
from werkzeug.routing import Rule

from . import scoring
from .core import json_response, work_key


class AceDataProtocol:
    """Mixed into SandboxApp (vendors.sandbox.app): self.creds, self.state, vendor_call, succeeded."""

    vendor = "acedata"
    rules = [Rule("/face/detect-live", endpoint="acedata", methods=["POST"])]

    def on_acedata(self, request):
        def error(status, code, message):
            return json_response(
                {"success": False, "error": {"code": code, "message": message}, "trace_id": str(uuid.uuid4())}, status
            )

        auth = request.headers.get("Authorization", "")
        if not self.creds.acedata_token or not hmac.compare_digest(auth, f"Bearer {self.creds.acedata_token}"):
            return error(401, "invalid_token", "Unauthorized, invalid or missing authorization token.")

        def handle():
            body = request.get_json(silent=True)
            if not isinstance(body, dict) or not body.get("image_url"):
                return error(400, "bad_request", "image_url is required")
            try:
                fetched = requests.get(body["image_url"], timeout=10)
                fetched.raise_for_status()
            except requests.RequestException:
                return error(500, "api_error", "fetch failed")
            try:
                analysis = scoring.analyze(fetched.content)
            except scoring.Undecodable:
                return error(400, "bad_request", "image could not be decoded")
            score = 0 if analysis.face is None else int(round(100 * analysis.quality))
            self.succeeded("acedata", work_key(fetched.content))
            return json_response({"score": score, "face_model_version": body.get("face_model_version", "3.0")})

        return self.vendor_call(
            "acedata",
            request,
            handle,
            {
                "5xx": lambda: error(500, "api_error", "Internal server error"),
                "ratelimit": lambda: error(
                    429, "too_many_requests", "Too many requests, you have exceeded the rate limit."
                ),
            },
        )
