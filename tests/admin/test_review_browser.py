"""The reviewer's common path in real headless Chromium: queue, take next, zoom, decide by keyboard."""

import pytest
from django.db import connections

from onboarding.models import Verification
from tests.admin.test_review import cases_in_review, no_vendors, roles, user_in  # noqa: F401  (fixtures)
from tests.applicant.test_browser import chromium, pw  # noqa: F401  (fixtures)
from tests.browser import shot

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a-long-test-password"


def signed_in(chromium, live_server, user, next_url):
    """A desktop page signed in through the staff login form; CSP violations the console reports are collected."""
    user.set_password(PASSWORD)
    user.save()
    context = chromium.new_context(locale="en-US", viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    csp_violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and csp_violations.append(m.text))
    page.goto(f"{live_server.url}/admin/login/?next={next_url}")
    page.fill("#id_username", user.username)
    page.fill("#id_password", PASSWORD)
    page.get_by_role("button", name="Log in").click()
    page.wait_for_url(f"**{next_url}")
    return context, page, csp_violations


def test_a_reviewer_takes_the_next_case_zooms_and_rejects_it_by_keyboard(
    chromium,
    live_server,
    no_vendors,  # noqa: F811
    roles,
    django_user_model,
):  # noqa: F811
    oldest, newer = cases_in_review(2)
    context, page, csp_violations = signed_in(
        chromium, live_server, user_in(django_user_model, "Reviewer", "ann"), "/admin/onboarding/reviewcase/"
    )
    shot(page, "review-1-queue")

    page.get_by_role("button", name="Take next case").click()
    page.wait_for_url(f"**/admin/onboarding/verification/{oldest.pk}/change/")
    shot(page, "review-2-case")
    page.locator("img.kyc-zoomable").first.click()
    assert page.locator(".kyc-zoom").is_visible()
    page.keyboard.press("Escape")
    assert not page.locator(".kyc-zoom").is_visible()

    page.keyboard.press("r")
    assert page.locator("input[name=outcome][value=reject]").is_checked()
    assert page.locator("select[name=reason] optgroup[label=Approve]").get_attribute("hidden") is not None
    page.keyboard.press("2")  # the second reject reason
    assert page.locator("select[name=reason]").input_value() == "spoof_suspected"
    page.keyboard.press("c")
    page.keyboard.type("Moiré pattern on the selfie.")
    page.keyboard.press("Control+Enter")
    page.get_by_text("Decision recorded.").wait_for()
    shot(page, "review-3-decided")
    try:
        oldest.refresh_from_db()
        decision = oldest.decisions.order_by("-created_at").first()
        assert oldest.status == Verification.Status.REJECTED and oldest.assigned_to is None
        assert decision.reasons[0]["code"] == "spoof_suspected" and decision.comment == "Moiré pattern on the selfie."
    finally:
        connections.close_all()

    page.keyboard.press("n")  # on to the next case in the queue
    page.wait_for_url(f"**/admin/onboarding/verification/{newer.pk}/change/")
    context.close()
    assert csp_violations == []


def test_dashboard_and_what_if_render_within_the_content_policy(
    chromium,
    live_server,
    roles,  # noqa: F811
    django_user_model,
    settings,
):
    from onboarding.models import Check
    from tests.admin.test_review import scored_case

    settings.KYC_REVIEW_MARGIN = 0.05
    for score in (30, 45, 52, 58, 70, 90, 64, 81):
        scored_case(score)
    for i, check in enumerate(Check.objects.exclude(kind="quality")):
        Check.objects.filter(pk=check.pk).update(latency_ms=(180 if check.vendor == "acedata" else 40) + 7 * i)
    context, page, csp_violations = signed_in(
        chromium, live_server, user_in(django_user_model, "Senior reviewer", "sue"), "/admin/"
    )
    page.get_by_role("link", name="Dashboard").click()
    page.wait_for_url("**/dashboard/")
    charts = page.locator("img[src^='data:image/svg+xml']")
    assert charts.count() >= 4
    assert all(charts.nth(i).evaluate("img => img.naturalWidth") > 0 for i in range(charts.count()))
    shot(page, "dashboard")
    page.get_by_role("link", name="Policy what-if…").click()
    page.fill("input[name=t_local_compare]", "60")
    page.get_by_role("button", name="Replay").click()
    page.get_by_text("decisions would change").wait_for()
    assert "3 of 8 decisions would change" in page.inner_text("#content")
    shot(page, "whatif")
    connections.close_all()
    context.close()
    assert csp_violations == []


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 900}, {"width": 1440, "height": 900}, {"width": 390, "height": 844}]
)
def test_queue_and_case_page_fit_the_window(chromium, live_server, roles, django_user_model, viewport):  # noqa: F811
    """No sideways scroll on the queue and the case page, from a phone to a wide desktop; on a
    desktop every column of the queue and of the case's tables in view; the queue's reasons in
    sentences; the case's faces side by side."""
    from tests.applicant.test_browser import horizontal_overflow
    from tests.factories import submitted_verification

    case = submitted_verification("obama_1", "obama_2")  # decided by the local engine: a still upload, in review
    case.refresh_from_db()
    assert case.status == Verification.Status.NEEDS_REVIEW
    context, page, csp_violations = signed_in(
        chromium, live_server, user_in(django_user_model, "Reviewer", "ann"), "/admin/onboarding/reviewcase/"
    )
    page.set_viewport_size(viewport)
    desktop = viewport["width"] >= 1280
    page.reload()
    shot(page, f"layout-{viewport['width']}-queue")
    assert horizontal_overflow(page) <= 0
    if desktop:  # the compare score and duplicates columns are not hidden behind a scroll
        assert page.evaluate("(e => e.scrollWidth - e.clientWidth)(document.querySelector('.results'))") <= 0
    assert "liveness_not_checked" not in page.inner_text("#result_list")  # sentences, codes in the title
    assert "Liveness could not be checked automatically." in page.inner_text("#result_list")
    page.goto(f"{live_server.url}/admin/onboarding/verification/{case.pk}/change/")
    shot(page, f"layout-{viewport['width']}-case")
    assert horizontal_overflow(page) <= 0
    assert page.locator("svg.kyc-face-crop").count() == 2
    if desktop:
        wide = "[...document.querySelectorAll('.kyc-table')].filter(t => t.scrollWidth > t.clientWidth + 1).length"
        assert page.evaluate(wide) == 0
        narrowest = "Math.min(...[...document.querySelectorAll('.kyc-table td:last-child')].map(td => td.clientWidth))"
        assert page.evaluate(narrowest) >= 150  # reasons are read in lines, not a word per line
    connections.close_all()
    context.close()
    assert csp_violations == []


def test_a_case_of_sideways_photos_shows_both_faces_upright(chromium, live_server, roles, django_user_model):  # noqa: F811
    """The engine turned the photos to find their faces; the case page's crops show them turned so,
    as Chromium draws them: the engine finds each face upright in the crop's screenshot."""
    import io

    import numpy as np
    from PIL import Image

    from onboarding.models import Photo
    from onboarding.services.pipeline.verifications import submit_verification
    from tests.conftest import face_bytes, id_card_bytes
    from tests.factories import ApplicantFactory, PhotoFactory
    from tests.vendors.test_local_engine import turned_jpeg
    from vendors.engine import get_engine

    applicant = ApplicantFactory()
    selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=turned_jpeg(face_bytes("obama_1"), 90))
    card = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=turned_jpeg(id_card_bytes("obama_2"), 270))
    case = submit_verification(applicant, selfie=selfie, id_card=card)
    context, page, csp_violations = signed_in(
        chromium, live_server, user_in(django_user_model, "Reviewer", "ann"), "/admin/onboarding/reviewcase/"
    )
    page.goto(f"{live_server.url}/admin/onboarding/verification/{case.pk}/change/")
    crops = page.locator("svg.kyc-face-crop")
    assert crops.count() == 2
    assert page.inner_text(".kyc-faces").count("turned upright") == 2
    page.wait_for_load_state("networkidle")  # the photos drawn
    shot(page, "case-turned-photos")
    for i in range(2):
        drawn = Image.open(io.BytesIO(crops.nth(i).screenshot())).convert("RGB")
        assert len(get_engine().detect(np.asarray(drawn))) == 1, f"crop {i}: no upright face"
    # The whole photos too, on the page and zoomed (the files served are the stored ones, sideways).
    photos = page.locator(".kyc-photos svg.kyc-photo")
    assert photos.count() == 2
    assert page.inner_text(".kyc-photos").count("turned upright") == 2
    for i in range(2):
        drawn = Image.open(io.BytesIO(photos.nth(i).screenshot())).convert("RGB")
        assert drawn.height > drawn.width if i == 0 else drawn.width > drawn.height  # a portrait selfie, a card
        assert get_engine().detect(np.asarray(drawn)), f"photo {i}: no upright face"
    photos.nth(1).click()
    zoomed = page.locator(".kyc-zoom svg")
    zoomed.wait_for()
    drawn = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    assert get_engine().detect(np.asarray(drawn)), "zoomed card: no upright face"
    page.keyboard.press("Escape")
    assert not page.locator(".kyc-zoom").is_visible()
    connections.close_all()
    context.close()
    assert csp_violations == []


def test_the_fields_of_a_sideways_card_are_shown_upright(chromium, live_server, roles, django_user_model, settings):  # noqa: F811
    """Each field's crop of a card photographed sideways (front and back each turned its own way) is
    drawn upright, as Chromium shows it: the OCR reads the field's value in the crop's screenshot."""
    import io

    from PIL import Image

    from onboarding.models import Photo
    from onboarding.services.pipeline.verifications import submit_verification
    from tests.conftest import face_bytes, jpeg_bytes
    from tests.documents import pages
    from tests.factories import ApplicantFactory, PhotoFactory
    from tests.vendors.test_local_engine import turned_jpeg
    from vendors.documents import ocr

    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "document": ["local"]}
    person = pages.Person()
    applicant = ApplicantFactory()
    selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
    front, back = (
        PhotoFactory(applicant=applicant, kind=kind, source=turned_jpeg(pages.photograph(page), degrees))
        for kind, page, degrees in (
            (Photo.Kind.ID_CARD, pages.cn_front(person, face="obama_2.jpg"), 90),
            (Photo.Kind.ID_CARD_BACK, pages.cn_back(person), 270),
        )
    )
    case = submit_verification(applicant, selfie=selfie, id_card=front, id_card_back=back)
    context, page, csp_violations = signed_in(
        chromium, live_server, user_in(django_user_model, "Reviewer", "ann"), "/admin/onboarding/reviewcase/"
    )
    page.goto(f"{live_server.url}/admin/onboarding/verification/{case.pk}/change/")
    page.wait_for_load_state("networkidle")  # the photos drawn
    shot(page, "case-turned-fields")
    for field, value in (("document_number", person.number), ("issuing_authority", "公安局")):
        crop = page.locator(f"svg.kyc-crop[aria-label^='{field} ']")
        crop.evaluate("svg => { svg.style.height = '64px'; svg.style.maxWidth = 'none'; }")  # legible to the OCR
        drawn = Image.open(io.BytesIO(crop.screenshot())).convert("RGB")
        read = "".join(line.text for line in ocr.read_text(jpeg_bytes(drawn, quality=95)))
        assert value in read, (field, read)
    connections.close_all()
    context.close()
    assert csp_violations == []
