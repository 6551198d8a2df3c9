"""The flow with documents read, in headless Chromium and in Simplified Chinese: the card's front
and back uploaded and read at upload, the details step, and the case decided on what was read."""

import pytest

from onboarding.models import Verification
from tests.applicant.test_browser import Flow, chromium, no_camera, pw  # noqa: F401 (fixtures)
from tests.conftest import face
from tests.documents.test_cases import card

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def jpeg(name, data):
    return [{"name": name, "mimeType": "image/jpeg", "buffer": data}]


def test_the_card_front_back_and_details_in_simplified_chinese(no_camera, live_server, settings):  # noqa: F811
    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "document": ["local"]}
    flow = Flow(no_camera, live_server, locale="zh-CN", prefix="documents-zh")
    page = flow.page
    page.goto(live_server.url + "/")
    page.get_by_label("我已阅读").check()
    page.get_by_role("button", name="同意并开始").click()
    page.wait_for_url("**/verify/selfie/")
    page.set_input_files("#id_photo", files=jpeg("me.jpg", face("obama_1").read_bytes()))
    page.locator("[data-checklist-status]").get_by_text("看起来不错").wait_for(timeout=20000)
    page.get_by_role("button", name="继续").click()
    page.wait_for_url("**/verify/id-card/")
    page.set_input_files("#id_photo", files=jpeg("front.jpg", card()))
    # Read on a worker as it was uploaded: the checklist includes the card's text.
    page.locator("[data-checklist-status]").get_by_text("看起来不错").wait_for(timeout=30000)
    assert "证件上的文字清晰可读" in page.inner_text("[data-checklist-items]")
    flow.step("3-front-read")
    page.get_by_role("button", name="继续").click()
    page.wait_for_url("**/verify/id-card/back/")
    assert "拍摄身份证背面" in page.inner_text("h1")
    page.set_input_files("#id_photo", files=jpeg("back.jpg", card(side="back")))
    page.locator("[data-checklist-status]").get_by_text("看起来不错").wait_for(timeout=30000)
    flow.step("3-back-read")
    page.get_by_role("button", name="继续").click()
    page.wait_for_url("**/verify/details/")
    page.get_by_label("姓名（与证件一致）").fill("张伟")
    page.get_by_label("出生日期").fill("1990-03-07")
    flow.step("4-details")
    page.get_by_role("button", name="继续").click()
    page.wait_for_url("**/verify/confirm/")
    assert page.locator("img[alt='您身份证的背面']").count() == 1
    page.get_by_role("button", name="提交认证").click()
    page.wait_for_url("**/verify/status/**")
    page.wait_for_selector("[data-outcome='needs_review']", timeout=60000)  # no liveness: a person decides
    flow.step("6-needs-review")
    try:
        check = Verification.objects.get().checks.get(kind="document")
        outcomes = {c["check"]: c["outcome"] for c in check.details["checks"]}
        assert check.passed and outcomes["declared_full_name"] == "passed" and outcomes["front_back"] == "passed"
    finally:
        flow.finish()
