"""Passive presentation-attack heuristics: real photos are not flagged, synthetic attacks are."""

import io

import numpy as np
import pytest
from PIL import Image, ImageFilter

from tests.conftest import FACES, jpeg_bytes
from vendors import pad
from vendors.engine import get_engine
from vendors.pad import SPECTRUM_WINDOW, heuristics, simulate_halftone_print, simulate_screen_recapture

PHOTOS = sorted(FACES.glob("*.jpg"))


def flags(image: Image.Image):
    rgb = np.asarray(Image.open(io.BytesIO(jpeg_bytes(image, quality=90))).convert("RGB"))
    faces = get_engine().faces(rgb, embeddings=False)
    return heuristics(rgb, faces[0] if faces else None)["flags"]


def photo(path):
    im = Image.open(path).convert("RGB")
    im.thumbnail((1280, 1280))
    return im


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: p.name)
def test_real_photos_raise_no_flag(path):
    assert flags(photo(path)) == []


def enlarged(path, side=2000):
    """The photo enlarged before it was sent, to `side` px on its long side."""
    im = Image.open(path).convert("RGB")
    k = side / max(im.size)
    return im.resize((round(im.width * k), round(im.height * k)), Image.LANCZOS)


# Real photos with little fine detail: a soft lens or a phone's beauty mode; a photo enlarged.
LESS_DETAIL = {"softened": lambda path: photo(path).filter(ImageFilter.GaussianBlur(1.0)), "enlarged": enlarged}


@pytest.mark.parametrize("change", LESS_DETAIL)
@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: p.name)
def test_a_soft_or_enlarged_real_photo_shows_no_pattern(path, change):
    """Its spectrum falls off faster without peaking: each ring of it is its own baseline."""
    assert flags(LESS_DETAIL[change](path)) == []


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: p.name)
def test_synthetic_screen_recapture_is_flagged(path):
    assert "screen_bezel" in flags(simulate_screen_recapture(photo(path)))


def test_synthetic_prints_are_mostly_flagged():
    flagged = sum("periodic_pattern" in flags(simulate_halftone_print(photo(p))) for p in PHOTOS)
    assert flagged >= len(PHOTOS) - 1  # measured: all but one


def test_a_large_faces_spectrum_is_taken_on_a_window_of_it(monkeypatch):
    """A selfie stored at 2,000 px has a face region of 800 px and more: its spectrum is taken on a
    window about the face's centre (the cost grows with the pixels), which still sees a print's dots."""
    windows = []
    measure = pad.spectral_peak
    monkeypatch.setattr(pad, "spectral_peak", lambda gray: windows.append(gray.shape) or measure(gray))
    large = photo(FACES / "biden_2.jpg").resize((2000, 2000), Image.LANCZOS)
    printed = np.asarray(Image.open(io.BytesIO(jpeg_bytes(simulate_halftone_print(large), quality=90))))
    face = get_engine().faces(printed, embeddings=False)[0]
    assert face.width * 1.2 > 2 * SPECTRUM_WINDOW
    assert "periodic_pattern" in heuristics(printed, face)["flags"]
    assert windows == [(SPECTRUM_WINDOW, SPECTRUM_WINDOW)]


def test_policy_sends_a_flagged_selfie_to_review():
    from onboarding.models import Decision
    from tests.policy.test_policy import check, evaluate, good

    checks = good()
    checks[0] = check("quality", passed=True, reasons=[{"code": "pad_heuristic_flag", "message": "screen_bezel"}])
    e = evaluate(checks)
    assert e.outcome == Decision.Outcome.REVIEW and [r["code"] for r in e.reasons] == ["presentation_attack_suspected"]
    # A photo failing quality is still sent back to the applicant, without the heuristic as a "fix".
    checks[0] = check(
        "quality",
        passed=False,
        reasons=[{"code": "blurry", "message": "b"}, {"code": "pad_heuristic_flag", "message": "x"}],
    )
    assert [r["code"] for r in evaluate(checks).reasons] == ["blurry"]
