"""Hostile and odd files, built here, through the validator, the browser form and the API.

Each gets a clear 4xx with a message (or is accepted and normalised where it is a real photo):
never a 500, never a half-stored file.
"""

import io
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from PIL import Image

from onboarding.models import ApiClient, Photo
from onboarding.services.applicant.images import ImageRejected, NormalizedImage, normalize_image
from onboarding.services.integrations.api_keys import create_key
from tests.conftest import face, face_bytes, jpeg_bytes, with_last_scan_repeated


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png_claiming(width, height):
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + png_chunk(b"IDAT", zlib.compress(b"\x00" * 64))
        + png_chunk(b"IEND", b"")
    )


def png_split(png, size):
    """The PNG with its image data in chunks of `size` bytes, as some encoders write it."""
    pos, head, idat, tail = 8, b"", b"", b""
    while pos < len(png):
        length, kind = struct.unpack(">I4s", png[pos : pos + 8])
        data = png[pos + 8 : pos + 8 + length]
        if kind == b"IDAT":
            idat += data
        elif idat:
            tail += png_chunk(kind, data)
        else:
            head += png_chunk(kind, data)
        pos += 12 + length
    return png[:8] + head + b"".join(png_chunk(b"IDAT", idat[i : i + size]) for i in range(0, len(idat), size)) + tail


def saved(image, fmt, **kwargs):
    out = io.BytesIO()
    image.save(out, fmt, **kwargs)
    return out.getvalue()


def progressive_jpeg(size=(1200, 900), mode="RGB", repeat_last_scan=0):
    """A flat progressive JPEG; its last scan (a few bytes: one end-of-band run) repeated before EOI."""
    data = saved(Image.new(mode, size, (120, 130, 140, 0)[: len(mode)]), "JPEG", progressive=True)
    return with_last_scan_repeated(data, repeat_last_scan)


def corpus():
    photo = face_bytes("obama_1")
    exif = Image.Exif()
    exif[0x0112] = 65535
    small = jpeg_bytes(Image.new("RGB", (400, 300)))
    png = saved(Image.new("RGB", (400, 300)), "PNG")
    return {
        # name: (bytes, upload name, expected code or None when accepted)
        "zero_byte": (b"", "a.jpg", "empty_file"),
        "truncated_jpeg": (photo[: len(photo) // 2], "a.jpg", "corrupt_image"),
        "jpeg_named_png": (photo, "selfie.png", None),
        "png_bomb_header": (png_claiming(40000, 40000), "a.png", "too_many_pixels"),
        "huge_dimensions_small_file": (saved(Image.new("1", (12000, 12000)), "PNG"), "a.png", "too_many_pixels"),
        "gif": (saved(Image.new("RGB", (400, 400)), "GIF"), "a.gif", "unsupported_type"),
        "svg_with_script": (
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            "a.svg",
            "not_an_image",
        ),
        "html_renamed_jpg": (b"<!doctype html><html><script>alert(1)</script></html>", "a.jpg", "not_an_image"),
        "jpeg_zip_polyglot": (photo + b"PK\x03\x04" + b"\x00" * 26 + b"evil.js", "a.jpg", None),
        "exif_huge_orientation": (jpeg_bytes(Image.new("RGB", (400, 300)), exif=exif), "a.jpg", None),
        "exif_broken": (
            jpeg_bytes(Image.new("RGB", (400, 300)), exif=b"Exif\x00\x00" + bytes(range(256)) * 3),
            "a.jpg",
            None,
        ),
        "cmyk_jpeg": (saved(Image.new("CMYK", (400, 400), (0, 50, 100, 0)), "JPEG"), "a.jpg", None),
        "sixteen_bit_png": (saved(Image.new("I;16", (400, 400), 30000), "PNG"), "a.png", None),
        "heic_from_a_phone": (face("obama_1").with_suffix(".heic").read_bytes(), "IMG_0001.HEIC", None),
        "photo_4000x4000": (jpeg_bytes(Image.new("RGB", (4000, 4000), (120, 90, 60))), "a.jpg", None),
        "too_small": (jpeg_bytes(Image.new("RGB", (120, 90))), "a.jpg", "too_small"),
        "progressive_jpeg": (progressive_jpeg(), "a.jpg", None),
        "progressive_cmyk_jpeg": (progressive_jpeg(mode="CMYK"), "a.jpg", None),  # 18 scans
        # Thousands of scans of a few bytes each: seconds of CPU for a few KB (LJT-01-003).
        "progressive_jpeg_endless_scans": (progressive_jpeg(repeat_last_scan=2000), "a.jpg", "corrupt_image"),
        # A header Pillow would read segment by segment, keeping each: seconds and hundreds of MB.
        "jpeg_header_of_empty_segments": (
            small[:2] + b"\xff\xe1\x00\x02" * 100_000 + small[2:],
            "a.jpg",
            "corrupt_image",
        ),
        "jpeg_header_of_fill_bytes": (small[:2] + b"\xff" * 100_000 + small[2:], "a.jpg", "corrupt_image"),
        "png_of_empty_chunks": (png[:33] + png_chunk(b"abCd", b"") * 100_000 + png[33:], "a.png", "corrupt_image"),
        "png_in_8_byte_data_chunks": (
            png_split(saved(Image.effect_noise((300, 300), 60), "PNG"), 8),
            "a.png",
            "corrupt_image",
        ),
        "png_in_8_kb_data_chunks": (png_split(saved(Image.effect_noise((1000, 1000), 60), "PNG"), 8192), "a.png", None),
        "jpeg_with_a_large_icc_profile": (
            jpeg_bytes(Image.new("RGB", (400, 300)), icc_profile=bytes(600_000)),
            "a.jpg",
            None,
        ),
    }


CORPUS = corpus()


def stored_files():
    return sorted(str(p) for p in Path(settings.KYC_PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file())


@pytest.mark.parametrize("name", CORPUS)
def test_validator(name):
    data, _, expected = CORPUS[name]
    if expected is None:
        image = normalize_image(data)
        out = Image.open(io.BytesIO(image.data))
        assert out.format == "JPEG" and out.mode == "RGB" and max(out.size) <= 2000
        assert b"PK\x03\x04" not in image.data and b"<script" not in image.data
    else:
        with pytest.raises(ImageRejected) as info:
            normalize_image(data)
        assert info.value.code == expected and str(info.value.message)


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("name", CORPUS)
def test_browser_form_and_api(name, client):
    data, filename, expected = CORPUS[name]
    before = stored_files()
    client.post(reverse("onboarding:start"), {"agree": "on"})
    r = client.post(reverse("onboarding:selfie"), {"photo": SimpleUploadedFile(filename, data)})
    if expected is None:
        assert r.status_code == 302
    else:
        assert r.status_code == 400 and 'role="alert"' in r.content.decode()
        assert stored_files() == before and not Photo.objects.exists()

    api_client = ApiClient.objects.create(name="hostile", scopes=["verifications:write"])
    _, key = create_key(api_client)
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    applicant = api.post("/api/v1/applicants/", {}, format="json").json()["id"]
    r = api.post(
        f"/api/v1/applicants/{applicant}/photos/",
        {"kind": "selfie", "file": SimpleUploadedFile(filename, data)},
        format="multipart",
    )
    if expected is None:
        assert r.status_code == 201, r.json()
    else:
        body = r.json()
        assert r.status_code == 400 and body["errors"][0]["field"] == "file", body
        assert body["errors"][0]["code"] in (expected, "empty")  # DRF refuses empty files before us


def test_only_the_accepted_formats_parsers_run(monkeypatch):
    """A TIFF, GIF or BMP is refused from its first bytes: their parsers, which walk the file in
    Python (TIFF's directories, GIF's blocks), never run on an upload."""
    from PIL import BmpImagePlugin, GifImagePlugin, TiffImagePlugin

    for plugin in (TiffImagePlugin.TiffImageFile, GifImagePlugin.GifImageFile, BmpImagePlugin.BmpImageFile):
        monkeypatch.setattr(plugin, "_open", lambda self: pytest.fail(f"{type(self).__name__} parsed an upload"))
    for fmt in ("TIFF", "GIF", "BMP"):
        with pytest.raises(ImageRejected) as info:
            normalize_image(saved(Image.new("RGB", (400, 400)), fmt))
        assert info.value.code == "unsupported_type"


@pytest.mark.django_db(transaction=True)
def test_files_over_the_limit(client, settings):
    settings.KYC_MAX_UPLOAD_BYTES = 50_000
    client.post(reverse("onboarding:start"), {"agree": "on"})
    r = client.post(reverse("onboarding:selfie"), {"photo": SimpleUploadedFile("a.jpg", face_bytes("obama_1"))})
    assert r.status_code == 400 and "larger than" in r.content.decode()


@pytest.mark.django_db(transaction=True)
def test_many_files_at_once_are_refused_cleanly(client):
    client.post(reverse("onboarding:start"), {"agree": "on"})
    files = {f"photo{i}": SimpleUploadedFile(f"{i}.jpg", b"x") for i in range(150)}
    r = client.post(reverse("onboarding:selfie"), files)
    assert 400 <= r.status_code < 500
    api_client = ApiClient.objects.create(name="many", scopes=["verifications:write"])
    _, key = create_key(api_client)
    from rest_framework.test import APIClient

    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    r = api.post("/api/v1/verifications/", files, format="multipart")
    assert 400 <= r.status_code < 500


VALID = jpeg_bytes(Image.new("RGB", (320, 320), (10, 200, 90)))


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2048))
def test_fuzz_random_bytes(data):
    try:
        assert isinstance(normalize_image(data), NormalizedImage)
    except ImageRejected as exc:
        assert exc.code and str(exc.message)


@hsettings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(st.tuples(st.integers(0, len(VALID) - 1), st.integers(0, 255)), min_size=1, max_size=12),
    st.integers(0, len(VALID)),
)
def test_fuzz_mutated_jpeg(flips, cut):
    data = bytearray(VALID[: max(cut, 1)])
    for position, value in flips:
        if position < len(data):
            data[position] = value
    try:
        normalize_image(bytes(data))
    except ImageRejected as exc:
        assert exc.code and str(exc.message)
