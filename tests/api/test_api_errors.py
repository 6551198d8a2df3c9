"""Malformed, oversized and unknown requests under /api/ get problem+json, never a 500 or an HTML page."""

import base64

import pytest
from django.db import OperationalError
from django.test import Client

from tests.api.test_api import BASE, client_for

pytestmark = pytest.mark.django_db


def is_problem(r, status, code=None):
    assert r.status_code == status, r.content[:200]
    assert r["Content-Type"] == "application/problem+json", r["Content-Type"]
    if code:
        assert r.json()["code"] == code
    return r.json()


def test_deeply_nested_json():
    api, *_ = client_for("x")
    r = api.post(f"{BASE}/applicants/", "[" * 100_000 + "]" * 100_000, content_type="application/json")
    is_problem(r, 400, "parse_error")


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage!!",
        base64.b64encode(b"p=not-a-date").decode(),
        base64.b64encode(b"o=-1").decode(),
        base64.b64encode(b"r=x").decode(),
    ],
)
def test_a_tampered_cursor(cursor):
    api, *_ = client_for("x")
    is_problem(api.get(f"{BASE}/verifications/", {"cursor": cursor}), 400, "invalid_cursor")


def test_json_over_the_limit():
    api, *_ = client_for("x")
    r = api.post(f"{BASE}/applicants/", '{"external_ref": "' + "a" * 3_000_000 + '"}', content_type="application/json")
    is_problem(r, 413, "payload_too_large")


def test_a_body_over_the_request_cap_is_refused_before_it_is_read(settings):
    settings.KYC_MAX_REQUEST_BYTES = 1024
    api, *_ = client_for("x")
    r = api.post(f"{BASE}/applicants/", '{"external_ref": "' + "a" * 2000 + '"}', content_type="application/json")
    is_problem(r, 413, "payload_too_large")
    assert Client().post("/verify/selfie/", {"x": "a" * 2000}).status_code == 413


@pytest.mark.parametrize("path", ["/verifications/not-a-uuid/", "/applicants/123/", "/nothing-here/"])
def test_unknown_paths(path):
    api, *_ = client_for("x")
    is_problem(api.get(BASE + path), 404, "not_found")


def test_a_database_that_cannot_be_reached_is_503_with_retry_after(settings, monkeypatch):
    """Production error handling (DEBUG off): the database going away is not a 500."""
    from onboarding import views
    from onboarding.api import views as api_views

    settings.DEBUG = False

    def down(*args, **kwargs):
        raise OperationalError("connection refused")

    monkeypatch.setattr(api_views.VerificationList, "get", down)
    monkeypatch.setattr(views, "render", down)
    api, *_ = client_for("x")
    api.raise_request_exception = False
    r = api.get(f"{BASE}/verifications/")
    is_problem(r, 503, "service_unavailable")
    assert r["Retry-After"] == "10"
    r = Client(raise_request_exception=False).get("/")
    assert r.status_code == 503 and r["Retry-After"] == "10"
    # Any other error stays a 500 (problem+json under /api/).
    monkeypatch.setattr(api_views.VerificationList, "get", lambda *a, **k: 1 / 0)
    is_problem(api.get(f"{BASE}/verifications/"), 500, "server_error")


@pytest.mark.parametrize("name", ["api_key", "key", "token", "access_token"])
def test_an_api_key_in_the_url_is_refused_even_with_the_header(name):
    api, _client, _key, raw = client_for("x")
    r = api.get(f"{BASE}/verifications/", {name: raw})
    body = is_problem(r, 401)
    assert "Authorization header" in body["detail"]
    assert Client().get(f"{BASE}/verifications/", {name: raw}).status_code == 401


@pytest.mark.django_db(transaction=True)
def test_an_external_ref_with_control_or_bidi_characters_is_refused(admin_client):
    from onboarding.models import Applicant

    api, *_ = client_for("x")
    for bad in ("invoice\u202etxt.exe", "a\u200bb", "line\nbreak", "bell\x07"):
        r = api.post(f"{BASE}/applicants/", {"external_ref": bad}, format="json")
        body = is_problem(r, 400, "validation_error")
        assert body["errors"][0]["field"] == "external_ref"
    ok = api.post(f"{BASE}/applicants/", {"external_ref": "客户-42 Zoë"}, format="json").json()
    applicant = Applicant.objects.get(pk=ok["id"])
    assert "客户-42" not in str(applicant)  # the admin calls it an applicant, not by the client's text
    # A reference stored before the rule is shown written out, never obeyed.
    Applicant.objects.filter(pk=applicant.pk).update(external_ref="abc\u202efdp.exe")
    page = admin_client.get("/admin/onboarding/applicant/").content.decode()
    assert "abc&lt;U+202E&gt;fdp.exe" in page and "\u202e" not in page
