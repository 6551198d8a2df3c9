"""Passive presentation-attack heuristics on a single photo.

These are heuristics, not a liveness model, and are named so wherever they show:
- periodic_pattern: a sharp peak in the spectrum of the face region, the signature of a
  halftone print or of screen pixels beating against the camera sensor (moire);
- screen_bezel: a dark, uniform frame around the picture, as when a phone or monitor is
  photographed with its bezel.
Their measured rates (docs/decision-quality.md, bench/pad_heuristics.py) come from synthetic
attacks made from the test photos; rates on real attacks are unknown. A flag sends the case to a
reviewer; it never rejects on its own.

simulate_screen_recapture and simulate_halftone_print make those synthetic attacks.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageFilter

PERIODIC_PEAK = 22.0  # face-region spectral peak / median; real test photos 6.5-21.2
BEZEL_DARK_SHARE = 0.9  # share of border pixels darker than 40 of 255
BEZEL_MAX_STD = 15.0  # and nearly uniform
# The face region's spectrum is taken on at most this many pixels square about the face's centre,
# at the photo's own resolution (resampling would blur the pattern it looks for; a pattern covers
# the whole region): a 2,000-px selfie's face region is 800 px and more, and the cost grows with
# its pixels.
SPECTRUM_WINDOW = 384


def spectral_peak(gray: np.ndarray) -> float:
    """The 99.9th percentile of the face region's spectrum in the mid-to-high band over its median.

    A real image's spectrum is symmetric (F(-u) is F(u)'s conjugate): the half rfft2 computes is
    the whole band with each value twice but the u = 0 column's, counted so."""
    g = gray.astype(np.float32)
    g -= g.mean()
    h, w = g.shape
    spectrum = np.abs(np.fft.rfft2(g * np.outer(np.hanning(h), np.hanning(w)).astype(np.float32)))
    radius = np.sqrt(np.fft.fftfreq(h)[:, None] ** 2 + np.fft.rfftfreq(w)[None, :] ** 2)
    band = (radius > 0.12) & (radius < 0.48)  # mid to high frequencies, no DC
    once, twice = spectrum[:, 0][band[:, 0]], spectrum[:, 1:][band[:, 1:]]
    median, peak = np.percentile(np.concatenate([once, twice, twice]), [50, 99.9])
    return float(peak / (median + 1e-6))


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
