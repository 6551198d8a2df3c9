"""Upload validation: every bad file gets a clear, coded rejection; good ones are normalised."""

import io
import struct
import zlib

import numpy as np
import pytest
from PIL import Image

from onboarding.services.applicant.images import ImageRejected, normalize_image
from tests.conftest import face_bytes, jpeg_bytes


def rejected(data, code):
    with pytest.raises(ImageRejected) as info:
        normalize_image(data)
    assert info.value.code == code, info.value.message
    assert str(info.value.message)
    return info.value


def png_header_only(width, height):
    """A tiny PNG whose header claims width x height (a decompression bomb's calling card)."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\x00" * 64)) + chunk(b"IEND", b"")
    )


def test_real_photo_is_normalised_to_metadata_free_jpeg():
    src = face_bytes("obama_1")
    image = normalize_image(src)
    out = Image.open(io.BytesIO(image.data))
    assert out.format == "JPEG" and out.mode == "RGB"
    assert (image.width, image.height) == out.size
    assert image.source_format == "JPEG" and image.source_size == len(src)
    assert not out.getexif()
    assert len(image.sha256) == 64 and image.sha256 != image.source_sha256


def test_exif_orientation_is_applied():
    im = Image.new("RGB", (600, 300), (200, 30, 30))
    im.paste((30, 30, 200), (0, 0, 100, 300))  # blue stripe on the left edge
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 CW to display
    image = normalize_image(jpeg_bytes(im, exif=exif))
    out = Image.open(io.BytesIO(image.data))
    assert out.size == (300, 600)
    r, g, b = out.getpixel((150, 20))
    assert b > r  # the left stripe is now on top


def test_broken_orientation_value_is_ignored_not_fatal():
    exif = Image.Exif()
    exif[0x0112] = 65535
    image = normalize_image(jpeg_bytes(Image.new("RGB", (400, 300), "white"), exif=exif))
    assert (image.width, image.height) == (400, 300)


def test_large_photo_is_downscaled(settings):
    image = normalize_image(jpeg_bytes(Image.new("RGB", (4000, 3000), (90, 120, 150))))
    assert (image.width, image.height) == (2000, 1500) == (settings.KYC_STORED_IMAGE_MAX_SIDE, 1500)


@pytest.mark.parametrize("mode", ["RGBA", "CMYK", "L", "P"])
def test_other_colour_modes_become_rgb(mode):
    im = Image.new(mode, (320, 320))
    fmt = "JPEG" if mode in ("CMYK", "L") else "PNG"
    buf = io.BytesIO()
    im.save(buf, fmt)
    assert Image.open(io.BytesIO(normalize_image(buf.getvalue()).data)).mode == "RGB"


def test_sixteen_bit_png_is_scaled_not_clipped():
    arr = np.full((300, 300), 40000, dtype=np.uint16)
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    out = Image.open(io.BytesIO(normalize_image(buf.getvalue()).data))
    assert 150 < out.getpixel((10, 10))[0] < 160  # 40000/65535*255 ~ 155


def test_sixteen_bit_png_with_eight_bit_levels_is_not_black():
    arr = np.tile(np.arange(0, 250, dtype=np.uint16), (300, 2))[:, :300]  # a grey ramp, 0-249
    buf = io.BytesIO()
    Image.fromarray(arr).save(buf, "PNG")
    out = np.asarray(Image.open(io.BytesIO(normalize_image(buf.getvalue()).data)).convert("L"), dtype=int)
    assert abs(out[:, 200].mean() - 200) < 3 and abs(out[:, 20].mean() - 20) < 3


def test_empty_file():
    rejected(b"", "empty_file")


def test_file_over_the_size_limit(settings):
    settings.KYC_MAX_UPLOAD_BYTES = 1000
    rejected(face_bytes("obama_1"), "file_too_large")


def test_truncated_jpeg():
    data = face_bytes("obama_1")
    rejected(data[: len(data) // 3], "corrupt_image")


def test_html_renamed_to_jpg():
    rejected(b"<!doctype html><script>alert(1)</script>", "not_an_image")


def test_svg_with_script():
    rejected(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "not_an_image")


def test_gif_is_not_accepted():
    buf = io.BytesIO()
    Image.new("RGB", (300, 300)).save(buf, "GIF")
    rejected(buf.getvalue(), "unsupported_type")


def test_decompression_bomb_refused_from_header():
    rejected(png_header_only(30000, 30000), "too_many_pixels")


def test_too_small_to_use():
    rejected(jpeg_bytes(Image.new("RGB", (100, 80))), "too_small")


def test_a_strip_narrower_than_a_photo_once_stored_is_refused_for_its_shape():
    # Stored at 2,000 px on the long side, 4,000 x 470 would be 235 px high: less than any photo may be.
    rejected(jpeg_bytes(Image.new("RGB", (4000, 470), (120, 90, 60))), "wrong_shape")
    rejected(jpeg_bytes(Image.new("RGB", (300, 8000), (120, 90, 60))), "wrong_shape")
    kept = normalize_image(jpeg_bytes(Image.new("RGB", (4000, 480), (120, 90, 60))))
    assert (kept.width, kept.height) == (2000, 240)


def test_error_message_in_chinese():
    from django.utils import translation

    with translation.override("zh-hans"):
        error = rejected(b"", "empty_file")
        assert "文件" in str(error.message)


def _segments(jpeg: bytes) -> set[int]:
    """The markers of a JPEG's segments before the image data (APPn, COM, DQT, ...)."""
    found, i = set(), 2
    while i + 4 <= len(jpeg) and jpeg[i] == 0xFF and jpeg[i + 1] != 0xDA:
        found.add(jpeg[i + 1])
        i += 2 + int.from_bytes(jpeg[i + 2 : i + 4], "big")
    return found


def test_every_metadata_segment_is_dropped():
    """No comment (COM), EXIF or XMP (APP1), ICC profile (APP2) or maker's segment survives."""
    from PIL import ImageCms

    exif = Image.Exif()
    exif[0x010F] = "Phone maker"
    icc = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    src = jpeg_bytes(Image.new("RGB", (400, 300), "white"), exif=exif, comment=b"lat=48.85 lon=2.35", icc_profile=icc)
    assert {0xFE, 0xE1, 0xE2} <= _segments(src)
    stored = normalize_image(src).data
    assert _segments(stored) & {0xFE, 0xE1, 0xE2, 0xED, 0xEE} == set()
    assert b"lat=48.85" not in stored
