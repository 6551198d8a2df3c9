"""The applicant's flow in real headless Chromium (Debian's), driven by Playwright.

Happy path to an automatic approval with the active liveness challenge, the upload fallback on a
desktop without a camera, a refused camera, a failed challenge then a retry, the desktop-to-phone
handoff with two browser contexts, and the flow in Simplified Chinese. axe-core audits every page
for accessibility; screenshots of each step go to tests/artifacts/ (the main ones are in docs/).
"""

import pytest

from onboarding.models import LivenessChallenge, Verification
from tests.browser import (
    FAKE_CAMERA_ARGS,
    Collector,
    close_db_connections,
    launch,
    person_camera_script,
    require_chromium,
    shot,
    wait_until,
    write_y4m,
)
from tests.conftest import face, id_card_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PHONE = {"width": 412, "height": 915}
PHONE_390 = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 1000}
CARD = {"name": "card.jpg", "mimeType": "image/jpeg", "buffer": None}


@pytest.fixture
def pw():
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        yield p


@pytest.fixture
def chromium(pw, tmp_path):
    """A camera that plays one still photo of a face (Chromium's fake device)."""
    clip = tmp_path / "camera.y4m"
    write_y4m(face("obama_1"), clip)
    browser = launch(pw, *FAKE_CAMERA_ARGS, f"--use-file-for-fake-video-capture={clip}")
    yield browser
    browser.close()


@pytest.fixture
def no_camera(pw):
    """A desktop without a camera: permission prompts accepted, but no device to open."""
    browser = launch(pw, "--use-fake-ui-for-media-stream")
    yield browser
    browser.close()


@pytest.fixture
def refusing(pw):
    """A camera is there, and the applicant answers "Block" to the permission prompt."""
    browser = launch(pw, "--use-fake-device-for-media-stream", "--deny-permission-prompts")
    yield browser
    browser.close()


def card(name="obama_2"):
    return {**CARD, "buffer": id_card_bytes(name)}


def horizontal_overflow(page) -> int:
    """How many pixels the page is wider than the window (a sideways scroll when above 0)."""
    return page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")


def accessibility_violations(page):
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    return [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in results.response["violations"]]


class Flow:
    """One applicant's browser tab, with the checks every step gets."""

    def __init__(self, browser, live_server, *, viewport=PHONE, locale="en-US", person=False, prefix=""):
        self.context = browser.new_context(locale=locale, viewport=viewport)
        if person:
            self.context.add_init_script(person_camera_script())
        self.page = self.context.new_page()
        self.seen = Collector(self.page)
        self.url = live_server.url
        self.prefix = prefix
        self.a11y = {}
        self.overflow = {}

    def step(self, name):
        """Screenshot, accessibility audit and horizontal overflow of the page as it stands."""
        if self.prefix:
            shot(self.page, f"{self.prefix}-{name}")
        self.a11y[name] = accessibility_violations(self.page)
        self.overflow[name] = horizontal_overflow(self.page)

    def consent(self, agree="I have read the notice", button="Agree and start"):
        self.page.goto(self.url + "/")
        self.step("1-consent")
        self.page.get_by_label(agree).check()
        self.page.get_by_role("button", name=button).click()
        self.page.wait_for_url("**/verify/selfie/")

    def upload_id_card(self, name="obama_2"):
        self.page.wait_for_url("**/verify/id-card/")
        self.page.set_input_files("#id_photo", files=[card(name)])
        self.page.locator("[data-checklist-status]").get_by_text("looks good").wait_for(timeout=20000)

    def submit(self):
        self.page.get_by_role("button", name="Continue").click()
        self.page.wait_for_url("**/verify/confirm/")
        self.step("5-confirm")
        self.page.get_by_role("button", name="Submit for verification").click()
        self.page.wait_for_url("**/verify/status/**")

    def finish(self):
        self.context.close()
        close_db_connections()
        assert self.seen.csp == [], self.seen.csp  # the policy blocks nothing the pages need
        assert self.seen.errors == [], self.seen.errors
        assert {k: v for k, v in self.a11y.items() if v} == {}, "axe-core found accessibility violations"
        assert {k: v for k, v in self.overflow.items() if v > 0} == {}, "pages wider than the window"


def test_happy_path_live_camera_and_challenge_to_approved(chromium, live_server):
    flow = Flow(chromium, live_server, person=True, prefix="applicant")
    page = flow.page
    flow.consent()
    wait_until(page, "document.querySelector('[data-video]').videoWidth > 0", timeout=15)
    page.wait_for_selector("[data-challenge]:not([hidden])")
    flow.step("2-selfie-camera")
    page.get_by_role("button", name="Start the liveness check").click()
    page.wait_for_selector("[data-challenge-instruction]:has-text('Turn your head')", timeout=5000)
    flow.step("3-challenge")
    page.wait_for_url("**/verify/id-card/", timeout=30000)  # passed: the selfie was taken during the check
    flow.upload_id_card()
    flow.step("4-id-card-checked")
    assert page.locator("[data-checklist-items] li.bad").count() == 0
    flow.submit()
    page.wait_for_selector("[data-outcome='approved']", timeout=60000)
    flow.step("6-approved")
    try:
        verification = Verification.objects.get()
        assert verification.status == Verification.Status.APPROVED, verification.status
        assert verification.liveness_challenge.status == LivenessChallenge.Status.PASSED
    finally:
        flow.finish()


def test_camera_shot_is_prechecked_and_can_be_retaken(chromium, live_server):
    """A plain camera shot: the checklist judges it; retake clears it; the shot goes on to the ID card."""
    flow = Flow(chromium, live_server)
    page = flow.page
    flow.consent()
    wait_until(page, "document.querySelector('[data-video]').videoWidth > 0", timeout=15)
    page.get_by_role("button", name="Take photo").click()
    page.wait_for_selector("[data-checklist-items] li", timeout=20000)
    items = page.locator("[data-checklist-items] li").all_inner_texts()
    assert any("One face" in t for t in items), items
    page.get_by_role("button", name="Retake").click()
    assert page.locator("[data-checklist]").is_hidden()
    page.get_by_role("button", name="Take photo").click()
    page.wait_for_selector("[data-checklist-items] li", timeout=20000)
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/verify/id-card/")
    # A card photographed from too far: the checklist says so before the applicant continues.
    import io

    from PIL import Image

    far = Image.new("RGB", (2400, 1800), (70, 64, 58))
    far.paste(Image.open(io.BytesIO(id_card_bytes("obama_2"))), (900, 700))
    buf = io.BytesIO()
    far.save(buf, "JPEG", quality=90)
    page.set_input_files("#id_photo", files=[{**CARD, "buffer": buf.getvalue()}])
    page.locator("[data-checklist-items] li.bad").first.wait_for(timeout=20000)
    assert "fills the frame" in page.locator("[data-checklist-items] li.bad").first.inner_text()
    flow.step("id-card-too-far")
    flow.finish()


def test_no_empty_link_is_shown_while_the_phone_code_is_being_made(no_camera, live_server):
    """The code's request held until the page has been audited: neither an empty link nor a broken
    image shows meanwhile (a screen reader would announce a link with no name)."""
    flow = Flow(no_camera, live_server, viewport=DESKTOP)
    page = flow.page
    held = []
    page.route("**/verify/handoff/", lambda route: held.append(route))
    flow.consent()
    page.get_by_text("Making a code").wait_for(timeout=10000)
    assert page.locator("[data-handoff-link]").is_hidden() and page.locator("[data-handoff-qr]").is_hidden()
    flow.step("2-code-pending")
    held[0].continue_()
    page.wait_for_selector("[data-handoff-link]:visible", timeout=10000)
    assert page.locator("[data-handoff-link] .nowrap").inner_text().startswith("h/")
    flow.finish()


@pytest.mark.parametrize(
    "viewport,prefix",
    [(DESKTOP, "no-camera"), ({"width": 1440, "height": 900}, "no-camera-1440"), (PHONE_390, "no-camera-390")],
)
def test_upload_fallback_on_a_desktop_without_camera(no_camera, live_server, viewport, prefix):
    flow = Flow(no_camera, live_server, viewport=viewport, prefix=prefix)
    page = flow.page
    flow.consent()
    page.get_by_text("No camera was found").wait_for(timeout=10000)
    assert page.inner_text("label[for=id_photo]") == "Upload a selfie"  # no camera offered above it
    page.wait_for_selector("[data-handoff-qr]:not([hidden])", timeout=10000)  # the phone is offered at once
    assert "Waiting for your phone" not in page.inner_text("[data-handoff-state]")  # not chosen yet
    assert page.evaluate("document.querySelector('[data-handoff-link] .nowrap').textContent").startswith("h/")
    flow.step("2-selfie")
    page.set_input_files(
        "#id_photo", files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": face("obama_1").read_bytes()}]
    )
    page.locator("[data-checklist-status]").get_by_text("looks good").wait_for(timeout=20000)
    page.get_by_role("button", name="Continue").click()
    flow.upload_id_card()
    flow.submit()
    page.wait_for_selector("[data-outcome='needs_review']", timeout=60000)  # no liveness: a person decides
    flow.step("6-needs-review")
    assert "within 24 hours" in page.inner_text("#status")
    flow.finish()


def _camera_original(name: str) -> bytes:
    """A 29-megapixel JPEG of over 12 MB, as a high-resolution phone camera saves it: the face photo
    enlarged, with a sensor's grain (without it, JPEG would make the file small), its pixels stored
    sideways and EXIF saying to turn them (orientation 6)."""
    import io

    import numpy as np
    from PIL import Image

    pixels = np.asarray(Image.open(face(name)).convert("RGB").resize((4800, 6000), Image.BICUBIC), dtype=np.int16)
    grain = np.random.default_rng(1).integers(-12, 13, pixels.shape, dtype=np.int16)
    sideways = Image.fromarray((pixels + grain).clip(0, 255).astype(np.uint8)).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[0x0112] = 6
    out = io.BytesIO()
    sideways.save(out, "JPEG", quality=95, exif=exif)
    return out.getvalue()


def test_a_file_over_the_upload_limit_is_shrunk_by_the_page_and_sent(no_camera, live_server, settings):
    # The server refuses files over KYC_MAX_UPLOAD_BYTES; the page sends such a photo at the size
    # the server keeps instead, so the applicant is not asked to find a smaller file.
    from onboarding.models import Photo

    original = _camera_original("obama_1")
    assert len(original) > settings.KYC_MAX_UPLOAD_BYTES
    flow = Flow(no_camera, live_server, viewport=DESKTOP, prefix="large-file")
    page = flow.page
    flow.consent()
    page.get_by_text("No camera was found").wait_for(timeout=10000)
    page.set_input_files("#id_photo", files=[{"name": "DSC_0001.JPG", "mimeType": "image/jpeg", "buffer": original}])
    page.locator("[data-checklist-status]").get_by_text("looks good").wait_for(timeout=30000)
    assert page.inner_text("[data-upload-error]") == ""
    selfie = Photo.objects.get(kind=Photo.Kind.SELFIE)
    assert (selfie.width, selfie.height) == (1600, 2000)  # the side the server keeps, upright as EXIF said
    assert selfie.source_size < settings.KYC_MAX_UPLOAD_BYTES
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/verify/id-card/")
    flow.finish()


def test_camera_refused_says_how_to_allow_it_and_upload_still_works(refusing, live_server):
    flow = Flow(refusing, live_server, prefix="refused")
    page = flow.page
    flow.consent()
    problem = page.locator("[data-camera-problem]")
    problem.get_by_text("The camera is blocked").wait_for(timeout=10000)
    assert page.get_by_role("button", name="Try the camera again").is_visible()
    flow.step("2-selfie")
    page.set_input_files(
        "#id_photo", files=[{"name": "me.jpg", "mimeType": "image/jpeg", "buffer": face("obama_1").read_bytes()}]
    )
    page.get_by_role("button", name="Continue").click()
    page.wait_for_url("**/verify/id-card/")
    flow.finish()


def test_a_failed_challenge_then_a_retry_that_passes(chromium, live_server):
    flow = Flow(chromium, live_server, person=True, prefix="retry")
    page = flow.page
    flow.consent()
    page.wait_for_selector("[data-challenge]:not([hidden])", timeout=15000)
    page.evaluate("window.__kycCamera.mode = 'still'")  # a photo held up to the camera
    page.get_by_role("button", name="Start the liveness check").click()
    result = page.locator("[data-challenge-result]")
    result.get_by_text("did not pass").wait_for(timeout=30000)
    flow.step("3-challenge-failed")
    assert "did not change" in result.inner_text() or "did not see your head turn" in result.inner_text()
    page.evaluate("window.__kycCamera.mode = 'follow'")  # now the applicant follows the instructions
    page.get_by_role("button", name="Try again").click()
    page.wait_for_url("**/verify/id-card/", timeout=30000)
    try:
        statuses = list(LivenessChallenge.objects.order_by("created_at").values_list("status", flat=True))
    finally:
        close_db_connections()
    assert statuses == ["failed", "passed"]
    flow.finish()


def test_desktop_hands_off_to_a_phone_and_follows_it_to_the_result(no_camera, chromium, live_server):
    import io

    import zxingcpp
    from PIL import Image

    desktop = Flow(no_camera, live_server, viewport=DESKTOP, prefix="handoff-desktop")
    desktop.consent()
    dpage = desktop.page
    dpage.wait_for_selector("[data-handoff-qr]:not([hidden])", timeout=10000)
    wait_until(
        dpage,
        "document.querySelector('[data-handoff-qr]').complete && "
        "document.querySelector('[data-handoff-qr]').naturalWidth > 0",
        timeout=5,
    )
    link = dpage.locator("[data-handoff-link]").inner_text()
    qr = Image.open(io.BytesIO(dpage.locator("[data-handoff-qr]").screenshot()))
    assert [r.text for r in zxingcpp.read_barcodes(qr)] == [link]  # the QR code opens the same link
    desktop.step("1-code")

    phone = Flow(chromium, live_server, person=True, prefix="handoff-phone")
    ppage = phone.page
    ppage.goto(link)
    phone.step("1-open-link")
    ppage.get_by_role("button", name="Continue on this phone").click()
    ppage.wait_for_url("**/verify/handoff/confirm/")  # before any capture: started elsewhere, at this time
    assert ppage.get_by_text("started on another device").is_visible()
    phone.step("2-did-you-start-it")
    ppage.get_by_role("button", name="Yes, I started it: continue").click()
    ppage.wait_for_url("**/verify/selfie/")
    assert ppage.get_by_text("You are continuing on your phone").is_visible()
    dpage.locator("[data-handoff-state]").get_by_text("Your phone has joined").wait_for(timeout=10000)
    desktop.step("2-phone-joined")
    ppage.wait_for_selector("[data-challenge]:not([hidden])", timeout=30000)
    ppage.get_by_role("button", name="Start the liveness check").click()
    ppage.wait_for_url("**/verify/id-card/", timeout=30000)
    phone.upload_id_card()
    phone.submit()
    dpage.wait_for_url("**/verify/status/**", timeout=15000)  # the desktop follows to the result
    dpage.wait_for_selector("[data-outcome='approved']", timeout=60000)
    desktop.step("3-result")

    # The link worked once.
    again = phone.context.browser.new_context()
    other = again.new_page()
    other.goto(link)
    other.get_by_role("button", name="Continue on this phone").click()
    assert "already used" in other.inner_text("main")
    again.close()
    phone.finish()
    desktop.finish()


def test_the_flow_in_simplified_chinese(no_camera, live_server):
    flow = Flow(no_camera, live_server, locale="zh-CN", prefix="zh")
    page = flow.page
    page.goto(live_server.url + "/")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    flow.step("1-consent")
    page.get_by_label("我已阅读").check()
    page.get_by_role("button", name="同意并开始").click()
    page.wait_for_url("**/verify/selfie/")
    page.get_by_text("未找到摄像头").wait_for(timeout=10000)  # the scripts' words are translated too
    flow.step("2-selfie")
    page.set_input_files("#id_photo", files=[{"name": "a.txt", "mimeType": "image/jpeg", "buffer": b"not a photo"}])
    page.get_by_role("button", name="继续").click()
    page.locator("[data-upload-error]").get_by_text("无法读取").wait_for(timeout=10000)
    flow.finish()


def test_api_docs_run_under_the_content_security_policy(no_camera, live_server):
    """Swagger UI comes from our own origin (drf-spectacular-sidecar) and breaks no CSP rule."""
    context = no_camera.new_context()
    page = context.new_page()
    seen = Collector(page)
    outside = []
    page.on(
        "request",
        lambda r: not r.url.startswith(live_server.url) and not r.url.startswith("data:") and outside.append(r.url),
    )
    page.goto(live_server.url + "/api/docs/")
    page.wait_for_selector(".opblock", timeout=20000)  # the operations, read from /api/schema/
    assert seen.csp == [] and seen.errors == [] and outside == []
    context.close()
    close_db_connections()
