"""Validate and normalise every uploaded photo before anything is stored or sent.

The type is decided by decoding, never by name or declared type. Pixel count is
checked from the header before decoding (decompression bombs). EXIF orientation
is applied, then the image is re-encoded as a metadata-free JPEG: what we store
and send to vendors is always that.
"""
from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import warnings

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError
from pillow_heif import register_heif_opener

logger = logging.getLogger(__name__)

# iPhones save HEIC by default; pillow-heif teaches Pillow to read it.
register_heif_opener()
# MPO is what many phones write: a JPEG with extra preview frames.
ALLOWED_FORMATS = {"JPEG", "MPO", "PNG", "WEBP", "HEIF"}
JPEG_QUALITY = 90


class ImageRejected(Exception):
    def __init__(self, code, message):
        super().__init__(str(message))
        self.code = code
        self.message = message


@dataclasses.dataclass(frozen=True)
class NormalizedImage:
    data: bytes = dataclasses.field(repr=False)
    width: int
    height: int
    sha256: str
    source_sha256: str
    source_format: str
    source_size: int
    content_type: str = "image/jpeg"


def _mb(n):
    return f"{n / (1024 * 1024):.0f}"


def read_upload(uploaded) -> bytes:
    """Read at most the size limit from an uploaded file (or bytes); refuse empty or larger files."""
    limit = settings.KYC_MAX_UPLOAD_BYTES
    if isinstance(uploaded, (bytes, bytearray)):
        data = bytes(uploaded)
    else:
        declared = getattr(uploaded, "size", None)
        if declared is not None and declared > limit:
            raise ImageRejected("file_too_large", _("The file is larger than %(limit)s MB. Send a smaller photo.")
                                % {"limit": _mb(limit)})
        uploaded.seek(0)
        data = uploaded.read(limit + 1)
    if not data:
        raise ImageRejected("empty_file", _("The file is empty. Choose the photo again."))
    if len(data) > limit:
        raise ImageRejected("file_too_large", _("The file is larger than %(limit)s MB. Send a smaller photo.")
                            % {"limit": _mb(limit)})
    return data


def normalize_image(uploaded) -> NormalizedImage:
    data = read_upload(uploaded)
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = Image.open(io.BytesIO(data))
            fmt = im.format
            if fmt not in ALLOWED_FORMATS:
                raise ImageRejected("unsupported_type", _("This file type is not supported. Send a JPEG, PNG, WebP or HEIC photo."))
            width, height = im.size
            if width * height > settings.KYC_MAX_IMAGE_PIXELS or max(width, height) > settings.KYC_MAX_IMAGE_SIDE:
                raise ImageRejected("too_many_pixels", _("The image is too large in pixels. Send a normal camera photo."))
            if min(width, height) < settings.KYC_MIN_IMAGE_SIDE:
                raise ImageRejected("too_small", _("The image is too small (at least %(px)s pixels on each side). "
                                                   "Take the photo with a better camera or from closer.")
                                    % {"px": settings.KYC_MIN_IMAGE_SIDE})
            if fmt in ("JPEG", "MPO"):
                # Decode at a reduced DCT scale when the photo is at least twice the stored size.
                target = settings.KYC_STORED_IMAGE_MAX_SIDE / max(width, height)
                im.draft("RGB", (int(width * target), int(height * target)))
            im.load()
    except ImageRejected:
        raise
    except UnidentifiedImageError:
        raise ImageRejected("not_an_image", _("This file is not a photo we can read. Send a JPEG, PNG, WebP or HEIC photo.")) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ImageRejected("too_many_pixels", _("The image is too large in pixels. Send a normal camera photo.")) from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError) as exc:
        logger.info("upload rejected as corrupt: %s", type(exc).__name__)
        raise ImageRejected("corrupt_image", _("The photo is damaged or incomplete. Take or choose it again.")) from None
    im = _oriented(im)
    im = _to_rgb(im)
    im.thumbnail((settings.KYC_STORED_IMAGE_MAX_SIDE, settings.KYC_STORED_IMAGE_MAX_SIDE), Image.LANCZOS)
    out = io.BytesIO()
    im.save(out, "JPEG", quality=JPEG_QUALITY)  # no exif= : location and device metadata are dropped
    stored = out.getvalue()
    return NormalizedImage(
        data=stored, width=im.width, height=im.height, sha256=hashlib.sha256(stored).hexdigest(),
        source_sha256=hashlib.sha256(data).hexdigest(), source_format=fmt, source_size=len(data))


def _oriented(im):
    try:
        return ImageOps.exif_transpose(im)
    except Exception as exc:  # broken EXIF must not cost the applicant their photo
        logger.info("ignoring unreadable EXIF orientation: %s", type(exc).__name__)
        return im


def _to_rgb(im):
    if im.mode in ("I;16", "I;16B", "I;16L", "I"):
        arr = np.asarray(im, dtype=np.int64)
        peak = 65535 if im.mode.startswith("I;16") or arr.max() > 255 else 255
        return Image.fromarray((arr * 255 // peak).clip(0, 255).astype(np.uint8), "L").convert("RGB")
    if im.mode in ("RGBA", "LA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB") if im.mode != "RGB" else im
