"""Every URL the app serves, swept: who may use it. A new URL fails here until it is declared."""

import io
import uuid
import zipfile

import pytest
from django.core.files.base import ContentFile
from django.urls import URLResolver, get_resolver, reverse
from rest_framework.test import APIClient

from onboarding.access import SESSION_KEY
from onboarding.models import LivenessChallenge, Verification
from onboarding.services.applicant.challenges import issue_challenge
from tests.api.test_api import BASE, client_for, shortcut, upload
from tests.conftest import face_bytes
from tests.factories import ApplicantFactory

pytestmark = pytest.mark.django_db(transaction=True)

# Who may use each route (outside the admin, which is staff-only as a whole and swept below).
PUBLIC = {
    "",
    "i18n/setlang/",
    "jsi18n/",
    "healthz",
    "favicon.ico",
    "api/schema/",
    "api/docs/",
    "brand.css",
    "brand/logo.png",
}
# The applicant's own flow: acts on the session's applicant only, takes no id.
OWN_FLOW = {
    "verify/selfie/",
    "verify/id-card/",
    "verify/id-card/back/",
    "verify/details/",
    "verify/confirm/",
    "verify/challenge/",
    "verify/handoff/",
    "verify/handoff/confirm/",
}
# By id, but for the applicant's own browser session only (staff have nothing to do there).
OWN_SESSION = {"verify/handoff/<uuid:handoff_id>/", "verify/challenge/<uuid:challenge_id>/verdict"}
# Whoever holds the phone link's single-use code (tests/applicant/test_capture.py).
CODE = {"h/<str:code>"}
# An applicant's data by id: their own session, or staff with the permission.
APPLICANT_DATA = {
    "verify/status/<uuid:verification_id>/": "GET",
    "verify/status/<uuid:verification_id>/json": "GET",
    "verify/photos/<uuid:photo_id>/": "GET",
    "verify/precheck/<uuid:photo_id>/": "GET",  # the photo's checklist
    "verify/challenge/<uuid:challenge_id>/frames/<int:index>": "GET",
    "verify/challenge/<uuid:challenge_id>/": "POST",
}
SIGNED = {"vendor-images/<str:token>"}  # a vendor holding a signed, expiring token (tests/vendors/test_vendors_http.py)
# The API: an API key, and only the client that owns the applicant.
API = {
    "api/v1/applicants/": ("POST",),
    "api/v1/verifications/": ("GET", "POST"),
    "api/v1/applicants/<uuid:applicant_id>/": ("GET", "PATCH"),
    "api/v1/applicants/<uuid:applicant_id>/erasure/": ("GET", "POST"),
    "api/v1/applicants/<uuid:applicant_id>/photos/": ("POST",),
    "api/v1/applicants/<uuid:applicant_id>/liveness-data/": ("POST",),
    "api/v1/applicants/<uuid:applicant_id>/verifications/": ("POST",),
    "api/v1/verifications/<uuid:verification_id>/": ("GET",),
}


def routes(patterns=None, prefix="", namespace=""):
    """(route, name) of every URL pattern, resolvers flattened."""
    for p in get_resolver().url_patterns if patterns is None else patterns:
        if isinstance(p, URLResolver):
            ns = ":".join(filter(None, [namespace, p.namespace]))
            yield from routes(p.url_patterns, prefix + str(p.pattern), ns)
        else:
            yield prefix + str(p.pattern), (f"{namespace}:{p.name}" if namespace and p.name else p.name)


def test_every_route_is_declared():
    declared = PUBLIC | OWN_FLOW | OWN_SESSION | CODE | set(APPLICANT_DATA) | SIGNED | set(API)
    undeclared = [r for r, _ in routes() if not r.startswith("admin/") and r not in declared]
    assert undeclared == [], "declare who may use these routes in tests/applicant/test_access.py"


@pytest.fixture
def case(settings):
    """Applicant A (an API client's) with a case, a liveness burst and photos; applicant B alongside."""
    api, owner, *_ = client_for("owner")
    verification = Verification.objects.get(pk=shortcut(api).json()["id"])
    a = verification.applicant
    challenge = issue_challenge(a)
    burst = io.BytesIO()
    with zipfile.ZipFile(burst, "w") as z:
        z.writestr("000.jpg", face_bytes("obama_1"))
    challenge.frames.save("burst.zip", ContentFile(burst.getvalue()), save=False)
    challenge.frame_count = 1
    challenge.save()
    return {
        "api": api,
        "verification": verification,
        "applicant": a,
        "challenge": challenge,
        "b": ApplicantFactory(),
        "kwargs": {
            "verification_id": verification.pk,
            "photo_id": verification.selfie_id,
            "challenge_id": challenge.pk,
            "index": 0,
            "applicant_id": a.pk,
        },
    }


def as_applicant(client, applicant):
    session = client.session
    session[SESSION_KEY] = str(applicant.pk)
    session.save()
    return client


def url_for(route, kwargs):
    name = dict(routes())[route]
    needed = {k: v for k, v in kwargs.items() if f"<{k}>" in route or f":{k}>" in route}
    return reverse(name, kwargs=needed)


def call(client, method, url):
    if method == "POST":
        return client.post(url, {"selfie": upload(face_bytes("obama_1"))})
    return client.get(url)


def test_applicant_data_only_for_its_own_session_or_permitted_staff(case, client, django_user_model, staff_user):
    from django.test import Client

    nobody_staff = django_user_model.objects.create_user("staff-no-perms", password="x", is_staff=True)
    for route, method in APPLICANT_DATA.items():
        url = url_for(route, case["kwargs"])
        others = {"anonymous": Client(), "another applicant": as_applicant(Client(), case["b"])}
        others["staff without permission"] = Client()
        others["staff without permission"].force_login(nobody_staff)
        for who, other in others.items():
            response = call(other, method, url)
            denied = {400, 403, 404} if method == "POST" else {403, 404}  # 400: "no such challenge of yours"
            assert response.status_code in denied, (route, who, response.status_code)
        if method == "GET":
            assert as_applicant(Client(), case["applicant"]).get(url).status_code == 200, route
            client.force_login(staff_user)
            assert client.get(url).status_code == 200, route
    # Nobody else's POST touched A's challenge.
    assert LivenessChallenge.objects.get(pk=case["challenge"].pk).status == LivenessChallenge.Status.ISSUED


def test_a_handoff_is_followed_only_by_the_session_that_started_it(case, client, staff_user):
    from django.test import Client

    from onboarding.services.applicant import handoff

    started, _code = handoff.start(case["applicant"])
    url = url_for("verify/handoff/<uuid:handoff_id>/", {"handoff_id": started.pk})
    assert as_applicant(Client(), case["applicant"]).get(url).status_code == 200
    client.force_login(staff_user)
    for other in (Client(), as_applicant(Client(), case["b"]), client):
        assert other.get(url).status_code == 404


def test_the_api_shows_an_applicant_only_to_the_client_that_owns_it(case):
    other, *_ = client_for("someone-else")
    anonymous = APIClient()
    for route, methods in API.items():
        url = url_for(route, case["kwargs"])
        for method in methods:
            assert getattr(anonymous, method.lower())(url).status_code == 401, (route, method)
            if "<uuid:" in route:
                response = getattr(other, method.lower())(url, {}, format="json")
                assert response.status_code == 404, (route, method, response.status_code)
                if method == "GET":
                    assert case["api"].get(url).status_code in (200, 404), route  # 404: never erased
    listed = other.get(f"{BASE}/verifications/").json()["results"]
    assert str(case["verification"].pk) not in {v["id"] for v in listed}


def test_the_admin_is_for_staff_with_permissions_only(case, client, django_user_model):
    kwargs = {
        "object_id": str(case["verification"].pk),
        "request_id": str(uuid.uuid4()),
        "id": "1",
        "hit_id": "1",
        "content_type_id": "1",
        "app_label": "onboarding",
    }
    admin_routes = [(r, n) for r, n in routes() if r.startswith("admin/") and n and "(?P<url>" not in r]
    open_to_staff = {
        "admin:index",
        "admin:login",
        "admin:logout",
        "admin:password_change",
        "admin:password_change_done",
        "admin:jsi18n",
        "admin:autocomplete",
        "admin:view_on_site",
    }
    assert len(admin_routes) > 70
    nobody_staff = django_user_model.objects.create_user("staff-no-perms", password="x", is_staff=True)
    staff = APIClient()
    staff.force_login(nobody_staff)
    for route, name in admin_routes:
        needed = {k: v for k, v in kwargs.items() if f"<{k}>" in route or f":{k}>" in route}
        url = reverse(name, kwargs=needed)
        if name not in ("admin:login", "admin:logout"):
            response = client.get(url)
            assert response.status_code == 302 and "/admin/login/" in response["Location"], (route, response)
        if name not in open_to_staff:
            assert staff.get(url).status_code in (302, 403, 404), route
