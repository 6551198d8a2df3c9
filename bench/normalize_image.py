"""Image normalisation of a 12-megapixel phone JPEG: decode (draft mode), orient, resize, re-encode.

The photo is a real face photo scaled to 4000 x 3000 with sensor-like noise (so it compresses like a
camera's), saved at quality 92 with EXIF orientation 6, as a phone held upright writes it. Time per
photo over many runs, and peak memory: Python's (tracemalloc) and the process's resident growth
(Pillow's buffers live outside Python's allocator). Then the time of the same photo saved as a
progressive JPEG, of the costliest progressive JPEG accepted (a scan of a few bytes repeated up to
MAX_JPEG_SCANS), of one with thousands of such scans, of the photo after 6 MB of empty header
segments and of a PNG of 9 MB of empty chunks (the last three refused before they are opened).

    python bench/normalize_image.py [--runs 40]
"""

import argparse
import io
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from common import percentile, report, setup_django  # noqa: E402


def phone_jpeg(width=4000, height=3000) -> bytes:
    import numpy as np
    from PIL import Image

    face = Image.open(Path(__file__).resolve().parent.parent / "tests/fixtures/faces/obama_1.jpg").convert("RGB")
    im = face.resize((width, height), Image.BICUBIC)
    noise = np.random.default_rng(1).normal(0, 6, (height, width, 3))
    im = Image.fromarray(np.clip(np.asarray(im, dtype=np.float32) + noise, 0, 255).astype(np.uint8))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90° clockwise to display
    out = io.BytesIO()
    im.save(out, "JPEG", quality=92, exif=exif.tobytes())
    return out.getvalue()


def progressive(data: bytes, scans: int | None = None) -> bytes:
    """The photo as a progressive JPEG; with `scans`, a flat one whose last scan is repeated to that count."""
    from PIL import Image

    with Image.open(io.BytesIO(data)) as im:
        im = im if scans is None else Image.new("RGB", im.size, (120, 130, 140))
        out = io.BytesIO()
        im.save(out, "JPEG", quality=92, progressive=True)
    out = out.getvalue()
    if scans is None:
        return out
    from tests.conftest import with_last_scan_repeated

    return with_last_scan_repeated(out, scans - out.count(b"\xff\xda"))


def timed(normalize_image, data, runs) -> tuple[float, float, str]:
    times, outcome = [], ""
    for _ in range(runs):
        started = time.perf_counter()
        try:
            normalize_image(data)
            outcome = "accepted"
        except Exception as exc:  # the refusal is the result measured
            outcome = f"refused: {getattr(exc, 'code', type(exc).__name__)}"
        times.append((time.perf_counter() - started) * 1000)
    return round(percentile(times, 50), 1), round(percentile(times, 95), 1), outcome


def child_peak(path) -> None:
    """In a fresh process: resident memory grown by normalising one photo (what a worker needs for it)."""
    setup_django(database=False)
    from django.conf import settings

    from onboarding.services.applicant.images import normalize_image

    data = Path(path).read_bytes()
    settings.KYC_MAX_UPLOAD_BYTES = max(settings.KYC_MAX_UPLOAD_BYTES, len(data))
    normalize_image(phone_jpeg(800, 600))
    Path("/proc/self/clear_refs").write_text("5")  # Linux: reset the peak (VmHWM) to the current RSS
    before = _status_kb("VmRSS")
    normalize_image(data)
    print(_status_kb("VmHWM") - before)


def _status_kb(field) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise KeyError(field)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--runs", type=int, default=40)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        return child_peak(args.child)
    setup_django(database=False)
    from django.conf import settings

    from onboarding.services.applicant.images import MAX_JPEG_SCANS, normalize_image

    data = phone_jpeg()
    settings.KYC_MAX_UPLOAD_BYTES = max(settings.KYC_MAX_UPLOAD_BYTES, len(data))
    normalize_image(phone_jpeg(800, 600))  # warm up: codecs loaded
    tracemalloc.start()
    first = normalize_image(data)
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    with tempfile.NamedTemporaryFile(suffix=".jpg") as f:
        f.write(data)
        f.flush()
        rss_growth = int(
            subprocess.run(
                [sys.executable, __file__, "--child", f.name], capture_output=True, text=True, check=True
            ).stdout.split()[-1]
        )
    p50, p95, _ = timed(normalize_image, data, args.runs)
    from PIL import Image

    with io.BytesIO() as out:
        Image.open(io.BytesIO(data)).convert("RGB").resize((400, 300)).save(out, "PNG")
        png = out.getvalue()
    rows = [
        {
            "input": f"4000x3000 JPEG q92, {len(data) / 1e6:.1f} MB, EXIF 6",
            "output": f"{first.width}x{first.height} JPEG q90, {len(first.data) / 1e6:.2f} MB",
            "p50_ms": p50,
            "p95_ms": p95,
            "python_peak_mb": round(python_peak / 1e6, 1),
            "rss_growth_mb": round(rss_growth / 1024, 1),
        }
    ]
    for name, variant in (
        ("the same, progressive", progressive(data)),
        (f"4000x3000 progressive, {MAX_JPEG_SCANS} scans (the most accepted)", progressive(data, MAX_JPEG_SCANS)),
        ("4000x3000 progressive, 2,000 scans", progressive(data, 2000)),
        ("the photo after 6 MB of empty header segments", data[:2] + b"\xff\xe1\x00\x02" * 1_500_000 + data[2:]),
        ("a PNG of 9 MB of empty chunks", png[:33] + b"\x00\x00\x00\x00abCd\x78\x06\xe9\xb3" * 750_000 + png[33:]),
    ):
        p50, p95, outcome = timed(normalize_image, variant, max(3, args.runs // 4))
        rows.append({"input": f"{name}, {len(variant) / 1e3:.0f} KB", "output": outcome, "p50_ms": p50, "p95_ms": p95})
    report(
        "normalize_image",
        f"image normalisation, {args.runs} runs, aim p50 < 60 ms",
        ["input", "output", "p50_ms", "p95_ms", "python_peak_mb", "rss_growth_mb"],
        rows,
    )


if __name__ == "__main__":
    main()
