"""Passive presentation-attack heuristics: real photos are not flagged, synthetic attacks are."""

import io

import numpy as np
import pytest
from PIL import Image

from tests.conftest import FACES, jpeg_bytes
from vendors.engine import get_engine
from vendors.pad import heuristics, simulate_halftone_print, simulate_screen_recapture

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


@pytest.mark.parametrize("path", PHOTOS, ids=lambda p: p.name)
def test_synthetic_screen_recapture_is_flagged(path):
    assert "screen_bezel" in flags(simulate_screen_recapture(photo(path)))


def test_synthetic_prints_are_mostly_flagged():
    flagged = sum("periodic_pattern" in flags(simulate_halftone_print(photo(p))) for p in PHOTOS)
    assert flagged >= len(PHOTOS) - 1  # measured: all but one


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
