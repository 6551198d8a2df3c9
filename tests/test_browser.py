"""The applicant's happy path in real headless Chromium (Debian's), driven by Playwright.

The fake camera plays a Y4M clip made from a real face photo, so the selfie the
page captures really contains a face and the compare check really matches it.
Screenshots of each step go to tests/artifacts/.
"""
import os
import shutil
from pathlib import Path

import numpy as np
import pytest
from django.db import connections
from PIL import Image

from onboarding.models import Verification
from tests.conftest import face, id_card_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
CHROMIUM = os.environ.get("KYC_CHROMIUM", "/usr/bin/chromium")
ARTIFACTS = Path(__file__).parent / "artifacts"
# The sync Playwright API runs an event loop in this thread; the test's ORM calls are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")



def wait_until(page, expression, timeout):
    """Poll with page.evaluate: Playwright's wait_for_function evals in the page, which our CSP forbids."""
    import time

    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise AssertionError(f"still false after {timeout}s: {expression}")
        time.sleep(0.1)

def write_y4m(photo: Path, path: Path, size=(640, 480)):
    """One 4:2:0 frame (Chromium loops it): the photo letterboxed into the camera frame."""
    im = Image.open(photo).convert("RGB")
    im.thumbnail(size)
    frame = Image.new("RGB", size, (40, 40, 40))
    frame.paste(im, ((size[0] - im.width) // 2, (size[1] - im.height) // 2))
    y, u, v = (np.asarray(c) for c in frame.convert("YCbCr").split())
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{size[0]} H{size[1]} F30:1 Ip A1:1 C420jpeg\n".encode())
        f.write(b"FRAME\n" + y.tobytes() + u[::2, ::2].tobytes() + v[::2, ::2].tobytes())


@pytest.fixture
def chromium(tmp_path):
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        if os.environ.get("KYC_REQUIRE_BROWSER"):
            pytest.fail(f"{CHROMIUM} not found (apt-get install chromium)")
        pytest.skip(f"{CHROMIUM} not found (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    clip = tmp_path / "camera.y4m"
    write_y4m(face("obama_1"), clip)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=[
            "--no-sandbox", "--disable-background-networking", "--use-fake-device-for-media-stream",
            "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={clip}"])
        try:
            yield browser
        finally:
            browser.close()


def shot(page, name):
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def consent(chromium, live_server, *, height, screenshot=""):
    """A phone-sized page that has given consent; CSP violations the console reports are collected."""
    context = chromium.new_context(locale="en-US", viewport={"width": 480, "height": height})
    page = context.new_page()
    csp_violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text))
    page.goto(live_server.url + "/")
    if screenshot:
        shot(page, screenshot)
    page.get_by_label("I have read the notice").check()
    page.get_by_role("button", name="Agree and start").click()
    return context, page, csp_violations


def test_happy_path_with_camera_selfie_and_uploaded_id_card(chromium, live_server):
    context, page, csp_violations = consent(chromium, live_server, height=900, screenshot="1-consent")

    page.wait_for_url("**/verify/selfie/")
    wait_until(page, "document.querySelector('[data-video]').videoWidth > 0", timeout=15)
    shot(page, "2-selfie-camera")
    page.get_by_role("button", name="Take photo").click()
    page.wait_for_selector("[data-preview]:not([hidden])")
    shot(page, "3-selfie-taken")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/verify/id-card/")
    page.set_input_files("#id_photo", files=[{"name": "card.jpg", "mimeType": "image/jpeg",
                                              "buffer": id_card_bytes("obama_2")}])
    shot(page, "4-id-card")
    page.get_by_role("button", name="Continue").click()

    page.wait_for_url("**/verify/review/")
    assert page.locator("img[alt='Your selfie']").evaluate("img => img.naturalWidth") == 640
    shot(page, "5-review")
    page.get_by_role("button", name="Submit for verification").click()

    page.wait_for_url("**/verify/status/**")
    page.wait_for_selector("[data-outcome='needs_review']", timeout=30000)
    shot(page, "6-status")
    assert "review your case" in page.inner_text("#status")

    try:
        verification = Verification.objects.get()
        compare = verification.checks.get(kind="compare")
        assert compare.passed, compare.details  # the camera frame held the face that matches the card
        assert verification.selfie.width == 640 and verification.selfie.height == 480
    finally:
        # With Playwright's loop running, Django gave these reads their own connection: close it,
        # or PostgreSQL refuses to drop the test database at the end of the run.
        connections.close_all()
    context.close()
    assert csp_violations == []  # the policy blocks nothing the pages need


def test_a_still_photo_fails_the_liveness_challenge_and_the_applicant_can_retry(chromium, live_server):
    """The fake camera plays a clip made from one still photo: a printed or on-screen face."""
    from onboarding.models import LivenessChallenge

    context, page, csp_violations = consent(chromium, live_server, height=1000)
    page.wait_for_url("**/verify/selfie/")
    page.wait_for_selector("[data-challenge]:not([hidden])", timeout=15000)
    page.get_by_role("button", name="Start the liveness check").click()
    page.wait_for_selector("[data-challenge-instruction]:has-text('Turn your head')", timeout=5000)
    shot(page, "7-challenge-running")
    result = page.locator("[data-challenge-result]")
    result.get_by_text("did not pass").wait_for(timeout=30000)
    shot(page, "8-challenge-failed")
    text = result.inner_text()
    assert "did not change" in text or "did not see your head turn" in text, text
    retry = page.get_by_role("button", name="Try again")
    assert retry.is_visible()
    retry.click()
    wait_until(page, "document.querySelectorAll('[data-challenge-result] li').length === 0", timeout=5)
    result.get_by_text("did not pass").wait_for(timeout=30000)
    try:
        statuses = list(LivenessChallenge.objects.order_by("created_at").values_list("status", flat=True))
    finally:
        connections.close_all()
    assert statuses == ["failed", "failed"]
    # The applicant is not stuck: taking a plain photo still works.
    page.get_by_role("button", name="Take photo").click()
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/verify/id-card/")
    context.close()
    assert csp_violations == []  # the policy blocks nothing the pages need
