"""Every attempt limit holds under parallel attempts: of N >> limit, exactly `limit` are evaluated.

Each test fires its attempts from threads released together, on the database counter (the
embedded default) and on the Redis one.
"""

import threading
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.contrib.auth.backends import ModelBackend
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from onboarding.models import Photo
from onboarding.services import limits
from tests.api.test_api import BASE, client_for
from tests.conftest import face_bytes

pytestmark = pytest.mark.django_db(transaction=True)
N, LIMIT = 24, 4


@pytest.fixture(params=["database", "redis"])
def counter(request, settings):
    if request.param == "redis":
        url = request.getfixturevalue("redis_url")
        settings.CACHES = {
            "default": {
                "BACKEND": "kyc.cache.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": f"race-{uuid.uuid4().hex[:8]}",
            }
        }
    limits._counters.clear()
    found = limits.counter()
    assert type(found).__name__ == {"database": "DatabaseCounter", "redis": "RedisCounter"}[request.param]
    return found


def in_parallel(fn, n=N):
    """fn(i) from n threads released at once; their results in order."""
    barrier = threading.Barrier(n)

    def run(i):
        barrier.wait()
        try:
            return fn(i)
        finally:
            from django.db import connection

            connection.close()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(run, range(n)))


class Counted:
    """Wraps a real function and counts how often it ran."""

    def __init__(self, fn):
        self.fn, self.calls, self.lock = fn, 0, threading.Lock()

    def __call__(self, *args, **kwargs):
        with self.lock:
            self.calls += 1
        return self.fn(*args, **kwargs)


def test_the_counter_itself(counter):
    rule = limits.Rule(f"race-{uuid.uuid4().hex[:6]}", LIMIT, 600)

    def one(_i):
        try:
            limits.attempt(rule, "subject")
            return True
        except limits.RateLimited:
            return False

    assert sum(in_parallel(one)) == LIMIT


class CountingBackend(ModelBackend):
    checked = None

    def authenticate(self, request, username=None, password=None, **kwargs):
        CountingBackend.checked()
        return super().authenticate(request, username=username, password=password, **kwargs)


def test_staff_sign_in(counter, settings, django_user_model):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "staff_login_failures": f"{LIMIT}/900"}
    settings.AUTHENTICATION_BACKENDS = ["tests.integrations.test_limits_race.CountingBackend"]
    CountingBackend.checked = Counted(lambda: None)
    django_user_model.objects.create_user("staff", password="the-right-password-1", is_staff=True)
    url = reverse("admin:login")
    results = in_parallel(lambda i: Client().post(url, {"username": "staff", "password": f"wrong-{i}"}))
    assert CountingBackend.checked.calls == LIMIT
    assert sum("Too many failed sign-ins" in r.content.decode() for r in results) == N - LIMIT
    # The right password now waits out the cool-down too.
    r = Client().post(url, {"username": "staff", "password": "the-right-password-1"})
    assert r.status_code == 200 and "Too many failed sign-ins" in r.content.decode()
    assert CountingBackend.checked.calls == LIMIT
    # From another address the account is not locked: the lock is per user name and address.
    r = Client(REMOTE_ADDR="198.51.100.20").post(url, {"username": "staff", "password": "the-right-password-1"})
    assert r.status_code == 302


def test_phone_link_codes(counter, settings, monkeypatch):
    from onboarding import views

    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "handoff_failures": f"{LIMIT}/600"}
    claim = Counted(views.handoff_service.claim)
    monkeypatch.setattr(views.handoff_service, "claim", claim)
    results = in_parallel(lambda i: Client().post(reverse("onboarding:handoff_claim", args=[f"AAAA-{i:04d}"])))
    assert claim.calls == LIMIT
    assert sorted(r.status_code for r in results) == [404] * LIMIT + [429] * (N - LIMIT)


def test_liveness_failures(counter, settings, monkeypatch):
    from onboarding import views

    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "liveness_failures": f"{LIMIT}/180"}
    submit = Counted(views.challenge_service.submit_burst)
    monkeypatch.setattr(views.challenge_service, "submit_burst", submit)
    browser = Client()
    browser.post(reverse("onboarding:start"), {"agree": "on"})
    urls = [browser.post(reverse("onboarding:challenge_start")).json()["submit_url"] for _ in range(N)]
    face = face_bytes("obama_1")

    def one(i):
        other = Client()
        other.cookies = browser.cookies
        frames = [SimpleUploadedFile(f"f{k}.jpg", face, "image/jpeg") for k in range(6)]
        return other.post(urls[i], {"frame": frames, "selfie": SimpleUploadedFile("s.jpg", face, "image/jpeg")})

    results = in_parallel(one)
    assert submit.calls == LIMIT
    assert sorted(r.status_code for r in results) == [200] * LIMIT + [429] * (N - LIMIT)
    assert all(r.json()["passed"] is False for r in results if r.status_code == 200)  # a still photo


def test_uploads(counter, settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "uploads": f"{LIMIT}/600"}
    browser = Client()
    browser.post(reverse("onboarding:start"), {"agree": "on"})
    face = face_bytes("obama_1")

    def one(_i):
        other = Client()
        other.cookies = browser.cookies
        return other.post(reverse("onboarding:selfie"), {"photo": SimpleUploadedFile("s.jpg", face, "image/jpeg")})

    results = in_parallel(one)
    assert sorted(r.status_code for r in results) == [302] * LIMIT + [429] * (N - LIMIT)
    assert Photo.objects.count() == LIMIT


def test_api_requests(counter, settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "api": f"{LIMIT}/60"}
    api, _client, _key, raw = client_for("busy")
    results = in_parallel(lambda i: Client(HTTP_AUTHORIZATION=f"Bearer {raw}").get(f"{BASE}/verifications/"))
    assert sorted(r.status_code for r in results) == [200] * LIMIT + [429] * (N - LIMIT)


def test_failed_api_authentications(counter, settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "api_auth_failures": f"{LIMIT}/600"}
    client_for("real")
    results = in_parallel(
        lambda i: Client(HTTP_AUTHORIZATION=f"Bearer kyc_guess{i}_nope").get(f"{BASE}/verifications/")
    )
    assert sorted(r.status_code for r in results) == [401] * LIMIT + [429] * (N - LIMIT)
    assert all(r["Content-Type"] == "application/problem+json" for r in results)
    assert all("wrong API key" in r.json()["detail"] for r in results if r.status_code == 429)
