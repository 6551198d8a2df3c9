"""Passive presentation-attack heuristics on a single photo.

These are heuristics, not a liveness model, and are named so wherever they show:
- periodic_pattern: sharp peaks in the spectrum of the face region, above the spectrum around
  them, the signature of a halftone print or of screen pixels beating against the camera sensor
  (moire);
- screen_bezel: a dark, uniform frame around the picture, as when a phone or monitor is
  photographed with its bezel.
Their measured rates (docs/decision-quality.md, bench/pad_heuristics.py) come from synthetic
attacks made from the test photos; rates on real attacks are unknown. A flag sends the case to a
reviewer; it never rejects on its own.

simulate_screen_recapture and simulate_halftone_print make those synthetic attacks.
"""

from __future__ import annotations

import functools

import numpy as np
from PIL import Image, ImageFilter

# The face region's strongest spectral peaks over their rings' medians: the shared photos, plain,
# softened, enlarged or once saved as JPEG of quality 60, 3.5-8.6; halftone prints 27.7 and more.
PERIODIC_PEAK = 12.0
# Which measures made a photo's figures: an analysis kept with measures of another kind has them made
# again when a quality check judges it (vendors.analysis.add_pad).
MEASURE = "ring-peaks/1"
BEZEL_DARK_SHARE = 0.9  # share of border pixels darker than 40 of 255
BEZEL_MAX_STD = 15.0  # and nearly uniform
# The face region's spectrum is taken on at most this many pixels square about the face's centre,
# at the photo's own resolution (resampling would blur the pattern it looks for; a pattern covers
# the whole region): a 2,000-px selfie's face region is 800 px and more, and the cost grows with
# its pixels.
SPECTRUM_WINDOW = 384
BAND = (0.12, 0.48)  # cycles per pixel: mid to high frequencies, no DC
RINGS = 24  # the band in rings of equal width, each its own baseline
PEAKS = 8  # how many of the strongest values are averaged: a pattern has several, noise one


@functools.lru_cache(maxsize=32)
def _rings(h: int, w: int) -> tuple[np.ndarray, np.ndarray]:
    """For an h x w window's half spectrum (rfft2): where the measured values are (flat indices,
    ring by ring) and where each ring starts among them.

    Measured: the band, without the lines where JPEG's 8-px block grid puts its energy (every
    stored photo is a JPEG) and without the u = 0 column's negative frequencies (a real image's
    spectrum is symmetric: the half rfft2 computes holds every other value once but those)."""
    fy, fx = np.fft.fftfreq(h)[:, None], np.fft.rfftfreq(w)[None, :]
    radius = np.sqrt(fy**2 + fx**2)
    measured = (radius > BAND[0]) & (radius < BAND[1])
    measured &= np.abs(fx * 8 - np.round(fx * 8)) * w / 8 > 1.5
    measured &= np.abs(fy * 8 - np.round(fy * 8)) * h / 8 > 1.5
    measured[:, 0] &= fy[:, 0] > 0
    # As bytes: numpy sorts them by radix, in a third of the time.
    ring = np.minimum(((radius[measured] - BAND[0]) / (BAND[1] - BAND[0]) * RINGS).astype(np.uint8), RINGS - 1)
    order = np.argsort(ring, kind="stable")
    return np.flatnonzero(measured)[order], np.searchsorted(ring[order], np.arange(RINGS + 1))


def spectral_peak(gray: np.ndarray) -> float:
    """How far the face region's strongest spectral peaks stand above the spectrum around them: the
    mean of the PEAKS largest values in the band, each over the median of its ring.

    Each ring is its own baseline, so what a photo's spectrum falls off like (a soft or smoothed
    face, an enlarged photo: little fine detail) does not count, only peaks sharper than their
    ring: the periodic dots of a print or a screen's moire."""
    g = gray.astype(np.float32)
    g -= g.mean()
    h, w = g.shape
    where, starts = _rings(h, w)
    spectrum = np.abs(np.fft.rfft2(g * np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)))
    by_ring = spectrum.ravel()[where]
    baseline = np.empty_like(by_ring)
    for a, b in zip(starts[:-1], starts[1:]):
        if b > a:
            baseline[a:b] = np.median(by_ring[a:b])
    ratios = by_ring / (baseline + 1e-6)
    return float(np.partition(ratios, -PEAKS)[-PEAKS:].mean()) if ratios.size >= PEAKS else 0.0


def heuristics(rgb: np.ndarray, face) -> dict:
    """Measurements and flags for one photo; `face` is the largest vendors.engine.Face (or None)."""

    def gray(region):  # the mean of the channels, on the regions looked at only (summed as whole numbers: fast)
        return (region[..., 0].astype(np.uint16) + region[..., 1] + region[..., 2]) / np.float32(3)

    h, w = rgb.shape[:2]
    b = max(4, min(h, w) // 25)
    strips = (rgb[:b], rgb[-b:], rgb[:, :b], rgb[:, -b:])
    border = np.concatenate([gray(strip).ravel() for strip in strips])
    out = {"border_dark_share": round(float((border < 40).mean()), 3), "border_std": round(float(border.std()), 1)}
    flags = []
    if out["border_dark_share"] >= BEZEL_DARK_SHARE and out["border_std"] <= BEZEL_MAX_STD:
        flags.append("screen_bezel")
    if face is not None:
        cx, cy = (face.left + face.right) / 2, (face.top + face.bottom) / 2
        s = min(max(face.width, face.height) * 0.6, SPECTRUM_WINDOW / 2)
        top, left = max(0, int(cy - s)), max(0, int(cx - s))
        crop = gray(rgb[top : int(cy + s), left : int(cx + s)])
        if min(crop.shape) >= 32:
            out["face_spectral_peak"] = round(spectral_peak(crop), 1)
            if out["face_spectral_peak"] >= PERIODIC_PEAK:
                flags.append("periodic_pattern")
    out["flags"] = flags
    out["measure"] = MEASURE
    return out


def simulate_screen_recapture(im: Image.Image, *, period=3, angle=4, width=960) -> Image.Image:
    """The photo on an RGB-stripe screen, slightly rotated, with a dark bezel, photographed."""
    big = im.convert("RGB").resize((im.width * 3, im.height * 3), Image.BICUBIC)
    a = np.asarray(big, dtype=np.float32)
    mask = np.zeros_like(a)
    for c in range(3):
        mask[:, c::period, c] = 1.0
    screen = Image.fromarray((a * (0.35 + 0.65 * mask)).clip(0, 255).astype(np.uint8))
    screen = screen.rotate(angle, resample=Image.BILINEAR, expand=True, fillcolor=(10, 10, 10))
    bezel = Image.new("RGB", (screen.width + screen.width // 8, screen.height + screen.height // 8), (18, 18, 20))
    bezel.paste(screen, (screen.width // 16, screen.height // 16))
    return bezel.resize((width, int(width * bezel.height / bezel.width)), Image.BILINEAR)


def simulate_halftone_print(im: Image.Image, *, cell=4) -> Image.Image:
    """The photo printed with rotated halftone screens on paper, photographed."""
    g = np.asarray(im.convert("RGB"), dtype=np.float32) / 255
    h, w = g.shape[:2]
    yy, xx = np.mgrid[0:h, 0:w]
    out = np.zeros_like(g)
    for c, angle in enumerate((15, 75, 0)):
        t = np.deg2rad(angle)
        u = (xx * np.cos(t) + yy * np.sin(t)) % cell / cell - 0.5
        v = (-xx * np.sin(t) + yy * np.cos(t)) % cell / cell - 0.5
        out[..., c] = (g[..., c] > np.sqrt(u * u + v * v) / 0.7071).astype(np.float32)
    paper = Image.fromarray(((out * 0.85 + 0.1) * 255).astype(np.uint8))
    return paper.filter(ImageFilter.GaussianBlur(0.8))
