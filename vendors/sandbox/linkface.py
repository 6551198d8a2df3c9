"""LinkFace liveness_selfie_verification: the SDK's liveness file against a photo."""

from __future__ import annotations

import hmac
import uuid

import numpy as np
from werkzeug.routing import Rule

from . import container, scoring
from .core import json_response, work_key


class LinkFaceProtocol:
    """Mixed into SandboxApp (vendors.sandbox.app): self.creds, self.state, vendor_call, succeeded."""

    vendor = "linkface"
    rules = [Rule("/identity/liveness_selfie_verification", endpoint="linkface", methods=["POST"])]

    def on_linkface(self, request):
        request_id = "TID" + uuid.uuid4().hex

        def error(status, code, **extra):
            return json_response({"status": code, "request_id": request_id, **extra}, status)

        creds = request.values
        if (
            not self.creds.linkface_api_id
            or creds.get("api_id") != self.creds.linkface_api_id
            or not hmac.compare_digest(creds.get("api_secret", ""), self.creds.linkface_api_secret)
        ):
            return error(401, "UNAUTHORIZED")

        def handle():
            selfie = request.files.get("selfie_file")
            data = request.files.get("liveness_data_file")
            if selfie is None or data is None:
                return error(
                    400,
                    "INVALID_ARGUMENT",
                    reason="selfie_file and liveness_data_file are required (the sandbox does not fetch URLs or ids)",
                )
            selfie_bytes = selfie.read()
            if len(selfie_bytes) > 5 * 1024 * 1024:
                return error(400, "IMAGE_FILE_SIZE_TOO_BIG", image="selfie_file")
            try:
                photo = scoring.analyze(selfie_bytes)
            except scoring.Undecodable:
                return error(400, "CORRUPT_IMAGE", image="selfie_file")
            if not (8 < photo.width <= 4000 and 8 < photo.height <= 4000):
                return error(400, "INVALID_IMAGE_FORMAT_OR_SIZE", image="selfie_file")
            if photo.face is None:
                return error(400, "NO_FACE_DETECTED", image="selfie_file")
            raw_container = data.read()
            try:
                frames = container.parse(raw_container)
                first = scoring.analyze(frames[0])
            except (container.BadContainer, scoring.Undecodable):
                return error(400, "WRONG_LIVENESS_DATA")
            if first.face is None:
                return error(400, "WRONG_LIVENESS_DATA", reason="no face in the liveness data")
            hack = 0.97 if len(frames) < 2 or _all_same(frames) else 0.03
            verify = scoring.compare_score(scoring.distance(first, photo), top=1.0, threshold=0.7)
            self.succeeded("linkface", work_key(selfie_bytes, raw_container))
            # The document's example carries the scores as strings.
            return json_response(
                {
                    "request_id": request_id,
                    "status": "OK",
                    "hack_score": f"{hack}",
                    "verify_score": f"{verify}",
                    "liveness_data_id": uuid.uuid4().hex,
                    "image_id": uuid.uuid4().hex,
                }
            )

        return self.vendor_call(
            "linkface",
            request,
            handle,
            {
                "5xx": lambda: error(500, "INTERNAL_ERROR"),
                "ratelimit": lambda: error(403, "RATE_LIMIT_EXCEEDED"),
            },
        )


def _all_same(frames):
    from vendors.engine import decode_rgb

    arrays = [decode_rgb(f).astype(np.int16) for f in frames]
    return all(a.shape == arrays[0].shape and np.abs(a - arrays[0]).mean() < 1.0 for a in arrays[1:])
