"""Validate and normalise every uploaded photo before anything is stored or sent.

The type is decided by decoding, never by name or declared type. Size, pixel count and the memory
the decoder will need are checked from the header before decoding (decompression bombs, 16-bit and
many-channel images), and what Pillow would parse piece by piece in Python (a JPEG's scans and
header segments, a PNG's chunks) from the markers before opening. JPEGs are decoded at a reduced DCT
scale; every other format is shrunk in its own mode before any conversion, so arithmetic on
full-size pixels never happens. EXIF orientation is applied, then the image is re-encoded as a JPEG
without any metadata segment (no EXIF, ICC profile or comment): what we store and send to vendors is
always that.
"""

from __future__ import annotations

import dataclasses
import hashlib
import io
import logging
import math
import struct
import warnings

import numpy as np
from django.conf import settings
from django.utils.translation import gettext_lazy as _
from pi_heif import register_heif_opener
from PIL import Image, UnidentifiedImageError

from onboarding.services.errors import Refused

logger = logging.getLogger(__name__)

# iPhones save HEIC by default; pi-heif teaches Pillow to read it.
register_heif_opener()
# The formats accepted, and the only parsers Image.open may run: every other plugin's (TIFF's
# directories, GIF's blocks, PSD's layers) would walk a file we then refuse, in Python. JPEG's also
# opens MPO, what many phones write: a JPEG with extra preview frames.
OPEN_FORMATS = ("JPEG", "PNG", "WEBP", "HEIF")
# Formats Pillow can decode at 1/2, 1/4 or 1/8 scale (draft); the others are decoded whole.
REDUCED_DECODE_FORMATS = {"JPEG", "MPO"}
JPEG_QUALITY = 90
# A progressive JPEG's scans each revisit every block of a component, and a scan can be a few bytes
# (one end-of-band run): 1,000 of them, 26 KB, cost a 12-megapixel photo 7 s of CPU to decode
# (libjpeg-turbo's LJT-01-003, which it leaves to applications). Encoders write at most about 20.
MAX_JPEG_SCANS = 32
# Pillow reads the segments before the first scan one by one in Python and keeps every APPn: 10 MB
# of empty ones cost 3.4 s and 300 MB. A camera's photo has about 10 to 30 (ICC profiles and XMP
# can take a few more); bytes between segments (tolerated, not written by encoders) are capped too.
MAX_JPEG_HEADER_SEGMENTS = 200
MAX_JPEG_STRAY_BYTES = 4096
_JPEG_STANDALONE = {0x01, *range(0xD0, 0xD8)}  # markers without a length
# Pillow reads a PNG's chunks one by one in Python too, image data included: 10 MB of empty chunks
# cost 2 s. Encoders split the image data into chunks of 8 KB or more: 10 MB is 1,280 of them.
MAX_PNG_CHUNKS = 4096
# Bytes per pixel of Pillow's in-memory modes (RGB and every 3- or 4-channel mode take 4).
_MODE_BYTES = {"1": 1, "L": 1, "P": 1, "I;16": 2, "I;16B": 2, "I;16L": 2, "I;16N": 2}
# EXIF orientation -> the transposition that shows the photo upright.
_ORIENTATION = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}


class ImageRejected(Refused):
    """An upload that is not a photo we can use."""


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


class PixelBudget:
    """The pixels one request may make us decode, whatever the number of files it carries."""

    def __init__(self, total: int | None = None):
        self.left = settings.KYC_MAX_REQUEST_PIXELS if total is None else total

    def charge(self, pixels: int):
        if pixels > self.left:
            raise ImageRejected(
                "too_many_pixels", _("These images are too large in pixels together. Send normal camera photos.")
            )
        self.left -= pixels


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
            raise ImageRejected(
                "file_too_large",
                _("The file is larger than %(limit)s MB. Send a smaller photo.") % {"limit": _mb(limit)},
            )
        uploaded.seek(0)
        data = uploaded.read(limit + 1)
    if not data:
        raise ImageRejected("empty_file", _("The file is empty. Choose the photo again."))
    if len(data) > limit:
        raise ImageRejected(
            "file_too_large", _("The file is larger than %(limit)s MB. Send a smaller photo.") % {"limit": _mb(limit)}
        )
    return data


class CostlyImageError(ValueError):
    """A file that would cost far more to open or decode than a photo (_costly_to_open)."""


def open_untrusted(data: bytes, formats) -> Image.Image:
    """Image.open for an uploaded file: only the given formats' parsers run, and only on a file
    that is not costly to open (CostlyImageError, a ValueError, when it is)."""
    if _costly_to_open(data):
        raise CostlyImageError("too many scans, header segments or chunks")
    return Image.open(io.BytesIO(data), formats=formats)


def _costly_to_open(data: bytes) -> bool:
    """A JPEG or PNG that would cost far more to open or decode than a photo, told from its markers
    or chunks alone (the other formats are parsed in C)."""
    if data[:3] == b"\xff\xd8\xff":  # what Pillow opens as a JPEG
        return _costly_jpeg(data)
    if data[:8] == b"\x89PNG\r\n\x1a\n":
        return _costly_png(data)
    return False


def _costly_png(data: bytes) -> bool:
    """More chunks than MAX_PNG_CHUNKS (each chunk: length, type, data, CRC)."""
    pos = 8
    for _chunk in range(MAX_PNG_CHUNKS):
        if pos + 8 > len(data) or data[pos + 4 : pos + 8] == b"IEND":
            return False
        pos += 12 + int.from_bytes(data[pos : pos + 4], "big")
    return pos + 8 <= len(data)


def _costly_jpeg(data: bytes) -> bool:
    """More scans than MAX_JPEG_SCANS, or a header of more segments or stray bytes than allowed."""
    # Counting the bytes FF DA over-counts scans, never under: in entropy-coded data FF is always
    # followed by 00 or a restart marker.
    if data.count(b"\xff\xda") > MAX_JPEG_SCANS:
        return True
    pos, stray = 2, 0
    for _segment in range(MAX_JPEG_HEADER_SEGMENTS):
        found = data.find(b"\xff", pos)
        if found < 0:
            return False  # no scan: Pillow refuses it, cheaply
        stray += found - pos
        if stray > MAX_JPEG_STRAY_BYTES:
            return True
        marker = data[found + 1] if found + 1 < len(data) else 0xDA
        if marker == 0xDA:  # the first scan: the header ends here
            return False
        if marker == 0xFF:  # a fill byte before a marker
            pos = found + 1
        elif marker == 0x00:  # a stuffed FF out of place: skipped like stray bytes
            pos, stray = found + 2, stray + 2
        elif marker in _JPEG_STANDALONE:
            pos = found + 2
        else:
            pos = found + 2 + int.from_bytes(data[found + 2 : found + 4], "big")
    return True


def other_format(data: bytes, formats=OPEN_FORMATS) -> bool:
    """Whether an image format Pillow knows, other than `formats`, claims the file: told from its
    first bytes by each plugin's own check, as Image.open does before it parses."""
    Image.init()
    prefix = data[:16]
    for fmt, (_factory, accept) in Image.OPEN.items():
        if fmt in formats or accept is None:
            continue
        try:
            if accept(prefix):
                return True
        except (SyntaxError, IndexError, TypeError, struct.error):  # what Image.open tolerates
            continue
    return False


def _unsupported():
    return ImageRejected(
        "unsupported_type", _("This file type is not supported. Send a JPEG, PNG, WebP or HEIC photo.")
    )


def _too_many_pixels():
    return ImageRejected("too_many_pixels", _("The image is too large in pixels. Send a normal camera photo."))


def _check_header(im, budget: PixelBudget | None):
    """Refuse, from the header alone, what would cost more to decode than a normal photo."""
    width, height = im.size
    pixels = width * height
    if max(width, height) > settings.KYC_MAX_IMAGE_SIDE:
        raise _too_many_pixels()
    if pixels > settings.KYC_MAX_IMAGE_PIXELS:
        raise _too_many_pixels()
    if im.format in REDUCED_DECODE_FORMATS and not im.info.get("progressive"):
        decoded = 0  # decoded at a reduced scale, bounded by the stored size
    else:
        # Pillow's WebP decoder holds its own RGBA buffer beside the image: twice the memory.
        decoded = pixels * _MODE_BYTES.get(im.mode, 4) * (2 if im.format == "WEBP" else 1)
    if decoded > settings.KYC_MAX_FULL_DECODE_PIXELS * 4:
        # Decoded whole (a progressive JPEG keeps every coefficient): the cap is on memory, so
        # 8-bit grey and palette images may have more pixels.
        raise _too_many_pixels()
    if min(width, height) < settings.KYC_MIN_IMAGE_SIDE:
        raise ImageRejected(
            "too_small",
            _(
                "The image is too small (at least %(px)s pixels on each side). "
                "Take the photo with a better camera or from closer."
            )
            % {"px": settings.KYC_MIN_IMAGE_SIDE},
        )
    if min(_stored_size(width, height, settings.KYC_STORED_IMAGE_MAX_SIDE)) < settings.KYC_MIN_IMAGE_SIDE:
        # A panorama or a strip: shrunk to the stored size, it would be narrower than any photo may be.
        raise ImageRejected(
            "wrong_shape",
            _("This image is too long and narrow for a photo of a face or an ID card. Take a normal photo."),
        )
    if budget is not None:
        budget.charge(pixels)


def normalize_image(uploaded, budget: PixelBudget | None = None) -> NormalizedImage:
    """The upload as a stored JPEG. `budget` counts the pixels of every file of one request."""
    data = read_upload(uploaded)
    side = settings.KYC_STORED_IMAGE_MAX_SIDE
    try:
        with warnings.catch_warnings():
            # Pillow only warns between MAX_IMAGE_PIXELS and twice that: make it an error.
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            im = open_untrusted(data, OPEN_FORMATS)
            fmt = im.format
            _check_header(im, budget)
            if fmt in REDUCED_DECODE_FORMATS:
                # Decode at a reduced DCT scale when the photo is at least twice the stored size.
                target = side / max(im.size)
                im.draft("RGB", (int(im.width * target), int(im.height * target)))
            im.load()
            orientation = _orientation(im)
            im = _shrink(im, side)
    except ImageRejected:
        raise
    except UnidentifiedImageError:
        if other_format(data):
            raise _unsupported() from None
        raise ImageRejected(
            "not_an_image", _("This file is not a photo we can read. Send a JPEG, PNG, WebP or HEIC photo.")
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError, MemoryError) as exc:
        logger.info("upload rejected as corrupt: %s", type(exc).__name__)
        raise ImageRejected(
            "corrupt_image", _("The photo is damaged or incomplete. Take or choose it again.")
        ) from None
    im = _to_rgb(im)
    if orientation in _ORIENTATION:
        im = im.transpose(_ORIENTATION[orientation])
    im.info.clear()  # Pillow writes a source's comment (COM) and other metadata back unless told not to
    out = io.BytesIO()
    im.save(out, "JPEG", quality=JPEG_QUALITY)
    stored = out.getvalue()
    return NormalizedImage(
        data=stored,
        width=im.width,
        height=im.height,
        sha256=hashlib.sha256(stored).hexdigest(),
        source_sha256=hashlib.sha256(data).hexdigest(),
        source_format=fmt,
        source_size=len(data),
    )


def _orientation(im) -> int:
    try:
        return int(im.getexif().get(0x0112) or 1)
    except Exception as exc:  # broken EXIF must not cost the applicant their photo
        logger.info("ignoring unreadable EXIF orientation: %s", type(exc).__name__)
        return 1


def _stored_size(width: int, height: int, side: int) -> tuple[int, int]:
    """The size a photo is stored at: at most `side` on its long side."""
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _shrink(im, side: int):
    """Down to the stored size in the decoded mode, before any conversion: no wider pixels and no
    copy at full size (a 16-bit or palette image converted whole costs several times its pixels)."""
    if max(im.size) <= side:
        return im
    size = _stored_size(im.width, im.height, side)
    if im.mode in ("1", "P"):
        return im.resize(size, Image.NEAREST)  # palette indices cannot be averaged
    if im.mode.startswith("I;16"):
        return im.resize(size, Image.BOX)
    if im.mode in ("RGBA", "LA"):
        # Resampling with alpha premultiplies into a full-size copy; a box reduction does not.
        return im.reduce(math.ceil(max(im.size) / side))
    factor = max(im.size) // side
    if factor >= 2:
        im = im.reduce(factor)
    return im.resize(size, Image.LANCZOS) if max(im.size) > side else im


def _to_rgb(im):
    if im.mode.startswith("I;16") or im.mode == "I":
        # 16-bit (or 32-bit) grey to 8 bits, on the already reduced image. Levels that all fit in 8
        # bits are 8-bit data in a wider file (a tool that did not scale them), not a black photo.
        arr = np.asarray(im)
        if int(arr.max(initial=0)) > 255:
            arr = arr.clip(0, 65535).astype(np.uint32) >> 8
        return Image.fromarray(arr.clip(0, 255).astype(np.uint8), "L").convert("RGB")
    if im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    return im.convert("RGB") if im.mode != "RGB" else im
