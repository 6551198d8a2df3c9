"""The sandbox's own LinkFace liveness container ("kyc-sandbox-liveness/1").

Real liveness_data files are encrypted protobufs that only LinkFace can read, so the
sandbox defines a test container instead: a ZIP holding manifest.json
{"format": "kyc-sandbox-liveness/1", "frames": ["0.jpg", ...]} and the JPEG frames.
The sandbox scores it: hack_score 0.03 when there are at least two frames that differ
(a moving face), 0.97 when they are one still image repeated or there is only one;
verify_score from the first frame's face against the submitted photo.
"""

import io
import json
import zipfile

FORMAT = "kyc-sandbox-liveness/1"


class BadContainer(Exception):
    pass


def build(frames: list[bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as z:
        names = [f"{i}.jpg" for i in range(len(frames))]
        z.writestr("manifest.json", json.dumps({"format": FORMAT, "frames": names}))
        for name, data in zip(names, frames):
            z.writestr(name, data)
    return out.getvalue()


def parse(data: bytes) -> list[bytes]:
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as z:
            manifest = json.loads(z.read("manifest.json"))
            if manifest.get("format") != FORMAT or not manifest.get("frames"):
                raise BadContainer("not a kyc-sandbox-liveness/1 container")
            return [z.read(name) for name in manifest["frames"][:30]]
    except (zipfile.BadZipFile, KeyError, ValueError) as exc:
        raise BadContainer(str(exc)) from None
