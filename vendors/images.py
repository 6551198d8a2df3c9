"""Per-vendor image preparation: re-encode within each vendor's documented limits."""

import base64
import io

from PIL import Image


def prepare_jpeg(
    data: bytes, *, max_size=(4000, 4000), max_bytes=5 * 1024 * 1024, aspect=None, quality=90
) -> tuple[bytes, dict]:
    """Fit the image in max_size (either orientation), optionally centre-crop to an aspect ratio
    (width/height), and step the JPEG quality down until it is under max_bytes."""
    notes = {}
    with Image.open(io.BytesIO(data)) as im:
        long_side, short_side = max(max_size), min(max_size)
        box = (long_side, short_side) if im.width >= im.height else (short_side, long_side)
        if (
            im.format == "JPEG"
            and im.mode == "RGB"
            and len(data) <= max_bytes
            and im.width <= box[0]
            and im.height <= box[1]
            and (not aspect or abs(im.width / im.height - aspect) / aspect <= 0.05)
        ):
            # Our stored photos are already metadata-free JPEGs: send them as they are, not decoded
            # and encoded again.
            notes["sent_size"] = list(im.size)
            return data, notes
        im = im.convert("RGB")
        if aspect:
            w, h = im.size
            current = w / h
            if abs(current - aspect) / aspect > 0.05:
                if current > aspect:  # too wide: trim the sides
                    new_w = int(h * aspect)
                    im = im.crop(((w - new_w) // 2, 0, (w - new_w) // 2 + new_w, h))
                else:
                    new_h = int(w / aspect)
                    im = im.crop((0, (h - new_h) // 2, w, (h - new_h) // 2 + new_h))
                notes["cropped_from"] = [w, h]
        if im.width > box[0] or im.height > box[1]:
            notes["resized_from"] = list(im.size)
            im.thumbnail(box, Image.LANCZOS)
        while True:
            out = io.BytesIO()
            im.save(out, "JPEG", quality=quality)
            if out.tell() <= max_bytes or quality <= 40:
                break
            quality -= 10
        notes["sent_size"] = list(im.size)
        return out.getvalue(), notes


class Base64:
    """An image as plain base64 text (no data: prefix: Baidu and Tencent both want it bare), kept as
    ASCII bytes so that http.json_body can put it into a request without the JSON encoder."""

    __slots__ = ("ascii",)

    def __init__(self, data: bytes):
        self.ascii = base64.b64encode(data)


def b64(data: bytes) -> Base64:
    return Base64(data)
