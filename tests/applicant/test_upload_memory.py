"""Decoding an upload costs memory bounded by what is stored, whatever its format, depth or mode.

Each input is validated in a fresh process with the web app imported, and the process's peak
resident memory compared with the same for a normal photo (a 12-megapixel phone JPEG). Inputs sit
at the caps: the largest of each kind that is still accepted.
"""

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path

import numpy as np
import pytest
from django.conf import settings
from PIL import Image

ROOT = Path(__file__).resolve().parents[2]
LIMIT = 1.5  # peak of any accepted input, against a normal photo's

PROBE = """
import json, os, sys
import django
django.setup()
import kyc.urls  # what a web worker has loaded: every page, the admin and the API
from onboarding.services.applicant.images import ImageRejected, PixelBudget, normalize_image
budget, results = PixelBudget(), []
for path in sys.argv[1:]:
    try:
        image = normalize_image(open(path, "rb").read(), budget)
        results.append([image.width, image.height])
    except ImageRejected as exc:
        results.append(exc.code)
# VmHWM: this process's own peak (ru_maxrss would carry the forking parent's across exec).
peak = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
print(json.dumps({"peak_kb": peak, "results": results}))
"""


def probe(*paths):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "kyc.settings_test"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE, *map(str, paths)],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=120,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def png(width, height, colour_type, depth, pixel: bytes) -> bytes:
    """A PNG of one repeated pixel written by hand: Pillow cannot write every depth and mode."""

    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    packer = zlib.compressobj(9)
    row = b"\x00" + pixel * width
    body = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, depth, colour_type, 0, 0, 0))
        + chunk(b"IDAT", body)
        + chunk(b"IEND", b"")
    )


def photo_like(width, height) -> np.ndarray:
    y = np.linspace(0, 1, height, dtype=np.float32)[:, None]
    x = np.linspace(0, 1, width, dtype=np.float32)[None, :]
    grey = ((np.sin(x * 17) * np.cos(y * 11) + 1) * 127).astype(np.uint8)
    return np.repeat(grey[:, :, None], 3, axis=2)


def side_for(pixels, aspect=4 / 3):
    """The largest width and height of that aspect within a pixel count."""
    height = int((pixels / aspect) ** 0.5)
    return int(height * aspect), height


@pytest.fixture(scope="module")
def inputs(tmp_path_factory):
    d = tmp_path_factory.mktemp("uploads")
    full = settings.KYC_MAX_FULL_DECODE_PIXELS  # 4-byte pixels decoded whole
    files = {}

    def write(name, data):
        files[name] = d / name
        files[name].write_bytes(data)

    Image.fromarray(photo_like(4032, 3024)).save(d / "normal.jpg", quality=90)
    files["normal.jpg"] = d / "normal.jpg"
    w, h = side_for(full * 2, 1)  # 2-byte pixels: twice as many
    write("grey16.png", png(w, h, 0, 16, b"\x80\x00"))
    w, h = side_for(full)
    write("grey16_alpha.png", png(w, h, 4, 16, b"\x80\x00\xff\xff"))
    write("rgba16.png", png(w, h, 6, 16, b"\x80\x00\x40\x00\x20\x00\xff\xff"))
    w, h = side_for(min(full * 4, settings.KYC_MAX_IMAGE_PIXELS), 1)  # 1-byte palette indices
    palette = Image.new("P", (w, h), 1)
    palette.putpalette([0, 0, 0, 200, 150, 120] + [0] * 762)
    palette.save(d / "palette.png", transparency=0)
    files["palette.png"] = d / "palette.png"
    w, h = side_for(settings.KYC_MAX_IMAGE_PIXELS)
    Image.new("CMYK", (w, h), (10, 80, 120, 5)).save(d / "cmyk.jpg", quality=90)
    files["cmyk.jpg"] = d / "cmyk.jpg"
    w, h = side_for(full)
    Image.new("RGB", (w, h), (120, 90, 60)).save(d / "progressive.jpg", quality=90, progressive=True)
    files["progressive.jpg"] = d / "progressive.jpg"
    w, h = side_for(full // 2)
    Image.new("RGB", (w, h), (120, 90, 60)).save(d / "lossless.webp", lossless=True)
    files["lossless.webp"] = d / "lossless.webp"
    # What the probe found: 7000 x 7000, 16-bit grey, under 200 KB.
    write("grey16_7000.png", png(7000, 7000, 0, 16, b"\x80\x00"))
    # A burst: as many frames as the liveness step takes, each as large as one request allows.
    from vendors.liveness import MAX_FRAMES

    w, h = side_for(settings.KYC_MAX_REQUEST_PIXELS // MAX_FRAMES)
    Image.new("RGB", (w, h), (90, 90, 90)).save(d / "frame.png")
    files["frame.png"] = d / "frame.png"
    return files


@pytest.fixture(scope="module")
def normal_peak(inputs):
    found = probe(inputs["normal.jpg"])
    assert found["results"] == [[2000, 1500]]
    return found["peak_kb"]


@pytest.mark.parametrize(
    "name",
    ["grey16.png", "grey16_alpha.png", "rgba16.png", "palette.png", "cmyk.jpg", "progressive.jpg", "lossless.webp"],
)
def test_accepted_input_at_the_cap_costs_at_most_half_again_a_normal_photo(inputs, normal_peak, name):
    found = probe(inputs[name])
    assert isinstance(found["results"][0], list), found  # accepted
    assert max(found["results"][0]) <= settings.KYC_STORED_IMAGE_MAX_SIDE
    ratio = found["peak_kb"] / normal_peak
    print(f"{name}: peak {found['peak_kb'] // 1024} MB, {ratio:.2f} x a normal photo")
    assert ratio <= LIMIT, f"{name}: {ratio:.2f} x a normal photo's peak memory"


def test_many_frame_burst_in_one_request(inputs, normal_peak):
    from vendors.liveness import MAX_FRAMES

    found = probe(*[inputs["frame.png"]] * MAX_FRAMES)
    assert all(isinstance(r, list) for r in found["results"]), found
    assert found["peak_kb"] / normal_peak <= LIMIT
    # One frame more than the request's pixel budget allows is refused before it is decoded.
    found = probe(*[inputs["frame.png"]] * (MAX_FRAMES + 1))
    assert found["results"][-1] == "too_many_pixels"


def test_the_probe_s_16_bit_png_is_refused_from_its_header(inputs, normal_peak):
    assert inputs["grey16_7000.png"].stat().st_size < 200_000
    found = probe(inputs["grey16_7000.png"])
    assert found["results"] == ["too_many_pixels"]
    assert found["peak_kb"] / normal_peak <= 1.1
