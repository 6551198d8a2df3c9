"""REST API v1: authentication, isolation between clients, idempotency, errors, the LinkFace SDK file."""

import hashlib

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from rest_framework.test import APIClient

from onboarding.models import ApiClient, ApiKey, Applicant, Verification
from onboarding.services.integrations.api_keys import create_key, revoke
from tests.conftest import face_bytes, id_card_bytes

pytestmark = pytest.mark.django_db(transaction=True)
BASE = "/api/v1"


def client_for(name, scopes=("verifications:read", "verifications:write")):
    client = ApiClient.objects.create(name=name, scopes=list(scopes))
    key, raw = create_key(client)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return api, client, key, raw


def upload(data, name="photo.jpg"):
    return SimpleUploadedFile(name, data, content_type="image/jpeg")


def shortcut(api, selfie="obama_1", card="obama_2", **extra):
    body = {"selfie": upload(face_bytes(selfie)), "id_card": upload(id_card_bytes(card)), **extra}
    return api.post(
        f"{BASE}/verifications/",
        body,
        format="multipart",
        **({"HTTP_IDEMPOTENCY_KEY": extra.pop("key")} if "key" in extra else {}),
    )


def test_anonymous_gets_401_problem():
    r = APIClient().get(f"{BASE}/verifications/")
    assert r.status_code == 401 and r["Content-Type"] == "application/problem+json"
    assert r.json()["code"] == "not_authenticated" and r["WWW-Authenticate"] == "Bearer"


def test_invalid_and_revoked_keys_get_401():
    api, _, key, raw = client_for("acme")
    bad = APIClient()
    bad.credentials(HTTP_AUTHORIZATION=raw[:-2] + "xx")
    assert bad.get(f"{BASE}/verifications/").json()["code"] == "invalid_api_key"
    assert api.get(f"{BASE}/verifications/").status_code == 200
    revoke(key)
    assert api.get(f"{BASE}/verifications/").status_code == 401


def test_key_is_stored_hashed():
    _, _, key, raw = client_for("acme")
    assert raw.startswith(f"kyc_{key.prefix}_") and key.hashed == hashlib.sha256(raw.encode()).hexdigest()
    assert raw not in str(ApiKey.objects.values_list()[0])


def test_read_only_scope_cannot_write():
    api, *_ = client_for("reader", scopes=["verifications:read"])
    r = shortcut(api)
    assert r.status_code == 403 and r.json()["code"] == "permission_denied"


def test_shortcut_then_read_a_decision():
    api, client, *_ = client_for("acme")
    r = shortcut(api, external_ref="cust-42")
    assert r.status_code == 201 and set(r.json()) == {"id", "status"}
    detail = api.get(f"{BASE}/verifications/{r.json()['id']}/").json()
    assert detail["status"] == "needs_review" and detail["decision"] == "review"
    assert [x["code"] for x in detail["reasons"]] == ["liveness_not_checked"]
    assert {c["kind"] for c in detail["checks"]} == {"quality", "liveness", "compare"}
    assert detail["applicant"]["external_ref"] == "cust-42" and detail["channel"] == "api"
    assert detail["risk_level"] == "3" and [r["code"] for r in detail["risk_reasons"]] == ["check_not_done"]
    compare = next(c for c in detail["checks"] if c["kind"] == "compare")
    assert compare["role"] == "decide" and compare["far"]["relation"] in ("=", "<")
    assert "evaluate_engine" in compare["far"]["source"]
    listed = api.get(f"{BASE}/verifications/", {"risk_level": "3"}).json()["results"]
    assert [v["id"] for v in listed] == [r.json()["id"]]
    assert api.get(f"{BASE}/verifications/", {"risk_level": "1"}).json()["results"] == []
    assert Applicant.objects.get().client == client


def test_clients_see_only_their_own_data():
    a, *_ = client_for("acme")
    b, *_ = client_for("globex")
    vid = shortcut(a).json()["id"]
    assert b.get(f"{BASE}/verifications/{vid}/").status_code == 404
    assert b.get(f"{BASE}/verifications/").json()["results"] == []
    assert len(a.get(f"{BASE}/verifications/").json()["results"]) == 1
    applicant = Applicant.objects.get().pk
    assert b.get(f"{BASE}/applicants/{applicant}/").status_code == 404
    r = b.post(
        f"{BASE}/applicants/{applicant}/photos/",
        {"kind": "selfie", "file": upload(face_bytes("obama_1"))},
        format="multipart",
    )
    assert r.status_code == 404


def test_idempotency_key():
    api, *_ = client_for("acme")
    first = shortcut(api, key="order-1")
    again = shortcut(api, key="order-1")
    assert first.status_code == again.status_code == 201 and first.json()["id"] == again.json()["id"]
    assert Verification.objects.count() == 1
    other = shortcut(api, "biden_1", "biden_2", key="order-1")
    assert other.status_code == 409 and other.json()["code"] == "idempotency_key_reused"
    assert Verification.objects.count() == 1


def test_upload_errors_name_the_file_and_store_nothing():
    api, *_ = client_for("acme")
    r = api.post(
        f"{BASE}/verifications/", {"selfie": upload(b"<html>no</html>"), "id_card": upload(b"")}, format="multipart"
    )
    body = r.json()  # an empty file is refused by the form layer before any decoding
    assert r.status_code == 400 and body["code"] == "validation_error"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [("id_card", "empty")]
    r = api.post(
        f"{BASE}/verifications/",
        {"selfie": upload(b"<html>no</html>"), "id_card": upload(id_card_bytes("obama_2"))},
        format="multipart",
    )
    assert r.status_code == 400 and r.json()["errors"] == [
        {
            "field": "selfie",
            "code": "not_an_image",
            "detail": "This file is not a photo we can read. Send a JPEG, PNG, WebP or HEIC photo.",
        }
    ]
    assert not Applicant.objects.exists()


def test_missing_field_is_a_validation_problem():
    api, *_ = client_for("acme")
    r = api.post(f"{BASE}/verifications/", {"selfie": upload(face_bytes("obama_1"))}, format="multipart")
    assert r.status_code == 400 and r.json()["code"] == "validation_error"
    assert r.json()["errors"][0]["field"] == "id_card"


def test_step_by_step_with_the_linkface_sdk_file(sandbox, settings):
    from tests.bursts import frame
    from vendors.sandbox import container

    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": ["linkface"], "compare": ["local"]}
    api, *_ = client_for("mobile-app")
    applicant = api.post(f"{BASE}/applicants/", {"external_ref": "m-1"}, format="json").json()
    photos = {}
    for kind, data in (("selfie", face_bytes("obama_1")), ("id_card", id_card_bytes("obama_2"))):
        r = api.post(
            f"{BASE}/applicants/{applicant['id']}/photos/", {"kind": kind, "file": upload(data)}, format="multipart"
        )
        assert r.status_code == 201, r.json()
        photos[kind] = r.json()["id"]
    sdk_file = container.build([frame("obama_2"), frame("obama_1")])
    r = api.post(
        f"{BASE}/applicants/{applicant['id']}/liveness-data/",
        {"file": SimpleUploadedFile("liveness.protobuf", sdk_file, "application/octet-stream")},
        format="multipart",
    )
    assert r.status_code == 201
    r = api.post(
        f"{BASE}/applicants/{applicant['id']}/verifications/",
        {"selfie": photos["selfie"], "id_card": photos["id_card"], "liveness_data": r.json()["id"]},
        format="json",
    )
    assert r.status_code == 201, r.json()
    live = next(c for c in r.json()["checks"] if c["kind"] == "liveness")
    assert live["vendor"] == "linkface" and live["status"] == "completed" and live["passed"] is True
    assert r.json()["status"] == "approved"


def test_reference_to_another_applicants_photo_is_refused():
    api, *_ = client_for("acme")
    one = api.post(f"{BASE}/applicants/", {}, format="json").json()["id"]
    two = api.post(f"{BASE}/applicants/", {}, format="json").json()["id"]
    selfie = api.post(
        f"{BASE}/applicants/{one}/photos/",
        {"kind": "selfie", "file": upload(face_bytes("obama_1"))},
        format="multipart",
    ).json()["id"]
    card = api.post(
        f"{BASE}/applicants/{two}/photos/",
        {"kind": "id_card", "file": upload(id_card_bytes("obama_2"))},
        format="multipart",
    ).json()["id"]
    r = api.post(f"{BASE}/applicants/{one}/verifications/", {"selfie": selfie, "id_card": card}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "id_card"


def test_list_filters_and_cursor_pagination():
    api, *_ = client_for("acme")
    for ref in ("a", "b", "c"):
        shortcut(api, external_ref=ref)
    page = api.get(f"{BASE}/verifications/?page_size=2").json()
    assert len(page["results"]) == 2 and page["next"]
    rest = api.get(page["next"]).json()
    assert len(rest["results"]) == 1 and rest["next"] is None
    seen = [v["applicant"]["external_ref"] for v in page["results"] + rest["results"]]
    assert sorted(seen) == ["a", "b", "c"]
    assert [
        v["applicant"]["external_ref"] for v in api.get(f"{BASE}/verifications/?external_ref=b").json()["results"]
    ] == ["b"]
    assert api.get(f"{BASE}/verifications/?status=approved").json()["results"] == []
    assert len(api.get(f"{BASE}/verifications/?decision=review").json()["results"]) == 3
    assert api.get(f"{BASE}/verifications/?submitted_after=yesterday").status_code == 400
    # Found by schemathesis on PostgreSQL, which refuses offsets beyond +-15:59: normalised to UTC.
    assert api.get(f"{BASE}/verifications/?submitted_after=2042-12-15T01%3A54%3A07%2B23%3A54").status_code == 200
    assert api.get(f"{BASE}/verifications/?submitted_after=0001-01-01T00%3A00%3A00%2B23%3A00").status_code == 400
    assert len(api.get(f"{BASE}/verifications/?submitted_after=2000-01-01T00:00:00").json()["results"]) == 3


def test_schema_and_docs_are_served(client):
    schema = client.get("/api/schema/?format=json")
    assert schema.status_code == 200 and schema.json()["openapi"].startswith("3.")
    assert "/api/v1/verifications/" in schema.json()["paths"]
    assert client.get("/api/docs/").status_code == 200
    # The list answers a cursor page, and the schema must say so (a generated client parses by it).
    listed = schema.json()["paths"]["/api/v1/verifications/"]["get"]["responses"]["200"]["content"]
    ref = listed["application/json"]["schema"]["$ref"].rsplit("/", 1)[1]
    assert set(schema.json()["components"]["schemas"][ref]["properties"]) == {"next", "previous", "results"}


def test_admin_shows_a_new_key_once(client, django_user_model):
    root = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(root)
    acme = ApiClient.objects.create(name="acme", scopes=["verifications:read"])
    r = client.post("/admin/onboarding/apikey/add/", {"client": acme.pk, "name": "prod"}, follow=True)
    import re

    key = ApiKey.objects.get()
    full_key = re.compile(rf"kyc_{key.prefix}_[A-Za-z0-9_-]{{40,}}")
    shown = full_key.search(r.content.decode())
    assert shown and hashlib.sha256(shown.group().encode()).hexdigest() == key.hashed
    assert not full_key.search(client.get(f"/admin/onboarding/apikey/{key.pk}/change/").content.decode())


def test_list_query_count_does_not_grow_with_the_page():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    api, *_ = client_for("acme")

    def queries_for_list():
        with CaptureQueriesContext(connection) as captured:
            api.get(f"{BASE}/verifications/")
        return len(captured)

    shortcut(api)
    one = queries_for_list()
    shortcut(api, "leslie_1", "leslie_2")
    shortcut(api, "biden_1", "biden_2")
    assert queries_for_list() == one
