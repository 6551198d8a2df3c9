"""Attempt limits: per applicant and per IP in the browser flow, per client in the API."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, RequestFactory
from django.urls import reverse
from django.utils import translation

from onboarding.access import client_ip
from onboarding.models import Applicant, Photo, Verification
from onboarding.services import limits
from tests.api.test_api import BASE, client_for
from tests.conftest import face_bytes, id_card_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def test_sliding_window_counts_exactly_across_any_boundary():
    rule = limits.Rule("t", limit=4, window=100)
    for at in (10, 20, 30, 90):
        limits.attempt(rule, "s", now=at)
    with pytest.raises(limits.RateLimited) as exc:
        limits.attempt(rule, "s", now=99)
    assert exc.value.retry_after == 11  # when the attempt at 10 leaves the window
    limits.attempt(rule, "s", now=110.5)  # it has
    with pytest.raises(limits.RateLimited):
        limits.attempt(rule, "s", now=115)  # 20, 30, 90, 110.5 are all within 100 s
    limits.attempt(rule, "other", now=115)  # per subject


def test_a_cool_down_starts_even_when_the_failures_straddle_a_window_boundary():
    rule = limits.Rule("t", limit=2, window=180, cooldown=300)
    limits.attempt(rule, "s", now=179.5)
    limits.attempt(rule, "s", now=180.5)
    with pytest.raises(limits.RateLimited):
        limits.check(rule, "s", now=181)


def test_cooldown_blocks_after_the_limit_even_when_the_window_has_moved_on():
    rule = limits.Rule("t", limit=2, window=10, cooldown=300)
    limits.attempt(rule, "s", now=1)
    limits.check(rule, "s", now=2)
    limits.attempt(rule, "s", now=2)
    with pytest.raises(limits.RateLimited) as exc:
        limits.check(rule, "s", now=50)  # the window is long gone, the cool-down is not
    assert exc.value.retry_after == 252  # 2 + 300 - 50


def test_a_refunded_attempt_does_not_count_nor_start_a_cool_down():
    """Failure-only rules: the attempt is taken first and given back when the work succeeded."""
    rule = limits.Rule("t", limit=2, window=100, cooldown=300)
    limits.attempt(rule, "s", now=1)
    token = limits.attempt(rule, "s", now=2)  # the second of two: this starts the cool-down...
    limits.refund(rule, token, "s")  # ...unless it succeeded
    limits.check(rule, "s", now=3)
    limits.attempt(rule, "s", now=3)
    with pytest.raises(limits.RateLimited):
        limits.attempt(rule, "s", now=4)


def test_all_subjects_or_none():
    rule = limits.Rule("t", limit=1, window=100)
    limits.attempt(rule, "b", now=1)
    with pytest.raises(limits.RateLimited):
        limits.attempt(rule, "a", "b", now=2)
    limits.attempt(rule, "a", now=3)  # "a" was given its attempt back when "b" refused


def test_a_rule_set_to_zero_is_off(settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "uploads": "0/60"}
    for _ in range(100):
        limits.attempt(limits.rule("uploads"), "s")


def test_messages_say_how_long_to_wait_in_the_applicants_language():
    rule = limits.Rule("liveness_failures", 5, 180, 300)
    assert limits.RateLimited(rule, 299.2).message == (
        "Too many failed liveness attempts. Please wait 5 minutes and try again."
    )
    assert limits.RateLimited(rule, 1).message.endswith("Please wait 1 second and try again.")
    with translation.override("zh-hans"):
        message = limits.RateLimited(rule, 299).message
    assert "5" in message and "Please" not in message


def test_client_ip_trusts_only_the_configured_proxies(settings):
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "10.0.0.2"
    settings.KYC_TRUSTED_PROXIES = 1
    assert client_ip(request) == "203.0.113.9"  # the forged left part is ignored


def still_burst():
    return [SimpleUploadedFile(f"f{i}.jpg", face_bytes("obama_1"), "image/jpeg") for i in range(8)]


def test_failed_liveness_attempts_lead_to_a_cool_down(settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "liveness_failures": "2/180"}
    browser = Client()
    browser.post(reverse("onboarding:start"), {"agree": "on"})
    for _ in range(2):
        issued = browser.post(reverse("onboarding:challenge_start")).json()
        r = browser.post(
            issued["submit_url"],
            {"frame": still_burst(), "selfie": SimpleUploadedFile("s.jpg", face_bytes("obama_1"), "image/jpeg")},
        )
        assert r.status_code == 200 and r.json()["passed"] is False
    r = browser.post(reverse("onboarding:challenge_start"))
    assert r.status_code == 429 and int(r["Retry-After"]) == r.json()["retry_after"] > 250
    assert r.json()["error"].startswith("Too many failed liveness attempts. Please wait 5 minutes")
    # Another browser from the same address is cooling down too; the photo upload path stays open.
    other = Client()
    other.post(reverse("onboarding:start"), {"agree": "on"})
    assert other.post(reverse("onboarding:challenge_start")).status_code == 429
    r = other.post(
        reverse("onboarding:selfie"), {"photo": SimpleUploadedFile("s.jpg", face_bytes("obama_1"), "image/jpeg")}
    )
    assert r.status_code == 302


def test_too_many_uploads_get_a_clear_message_and_store_nothing(settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "uploads": "2/600"}
    browser = Client()
    browser.post(reverse("onboarding:start"), {"agree": "on"})
    for _ in range(2):
        assert (
            browser.post(
                reverse("onboarding:selfie"),
                {"photo": SimpleUploadedFile("s.jpg", face_bytes("obama_1"), "image/jpeg")},
            ).status_code
            == 302
        )
    r = browser.post(
        reverse("onboarding:selfie"),
        {"photo": SimpleUploadedFile("s.jpg", face_bytes("obama_1"), "image/jpeg")},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert r.status_code == 429 and "10" in r.content.decode()
    assert Photo.objects.count() == 2


def test_new_applications_per_address_and_submissions_per_applicant(settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "new_applicants": "2/3600", "submissions": "1/3600"}
    for _ in range(2):
        assert Client().post(reverse("onboarding:start"), {"agree": "on"}).status_code == 302
    r = Client().post(reverse("onboarding:start"), {"agree": "on"})
    assert r.status_code == 429 and "Too many new applications from your network" in r.content.decode()
    assert Applicant.objects.count() == 2
    browser = Client(REMOTE_ADDR="198.51.100.7")
    browser.post(reverse("onboarding:start"), {"agree": "on"})
    browser.post(
        reverse("onboarding:selfie"), {"photo": SimpleUploadedFile("s.jpg", face_bytes("obama_1"), "image/jpeg")}
    )
    browser.post(
        reverse("onboarding:id_card"), {"photo": SimpleUploadedFile("c.jpg", id_card_bytes("obama_2"), "image/jpeg")}
    )
    assert browser.post(reverse("onboarding:confirm")).status_code == 302
    browser.post(
        reverse("onboarding:selfie"), {"photo": SimpleUploadedFile("s.jpg", face_bytes("obama_1"), "image/jpeg")}
    )
    browser.post(
        reverse("onboarding:id_card"), {"photo": SimpleUploadedFile("c.jpg", id_card_bytes("obama_2"), "image/jpeg")}
    )
    r = browser.post(reverse("onboarding:confirm"))
    assert r.status_code == 429 and "Too many submissions" in r.content.decode()
    assert Verification.objects.count() == 1


def test_api_clients_are_rate_limited_one_by_one(settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "api": "3/60"}
    api, *_ = client_for("busy")
    second_key_api, client, *_ = client_for("other")
    for _ in range(3):
        assert api.get(f"{BASE}/verifications/").status_code == 200
    r = api.get(f"{BASE}/verifications/")
    assert r.status_code == 429 and r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "rate_limited" and 0 < int(r["Retry-After"]) <= 60
    assert second_key_api.get(f"{BASE}/verifications/").status_code == 200  # other clients are not slowed
