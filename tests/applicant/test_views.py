"""The applicant's pages through Django's test client: flow, validation, access."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from onboarding.access import SESSION_KEY
from onboarding.models import Applicant, AuditEvent, Photo, Verification
from onboarding.services.applicant.consent import built_in_notice
from tests.conftest import face_bytes, id_card_bytes

pytestmark = pytest.mark.django_db(transaction=True)


def upload(data, name="photo.jpg", content_type="image/jpeg"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def consent(client):
    response = client.post(reverse("onboarding:start"), {"agree": "on"})
    assert response.status_code == 302 and response.url == reverse("onboarding:selfie")
    return Applicant.objects.get(pk=client.session[SESSION_KEY])


def test_consent_is_required_and_recorded(client, settings):
    response = client.post(reverse("onboarding:start"), {})
    assert response.status_code == 200 and "Please tick the box" in response.content.decode()
    assert not Applicant.objects.exists()
    applicant = consent(client)
    assert applicant.consent_given_at and applicant.consent_version == built_in_notice().version
    assert applicant.consent_version.startswith(settings.KYC_CONSENT_VERSION)
    assert AuditEvent.objects.filter(applicant_id=applicant.pk, action="consent_given").exists()


def test_the_built_in_notice_names_what_the_default_configuration_does(client, settings):
    """Each processing the default configuration runs on an applicant's data is on the notice they
    consent to."""
    settings.KYC_DUPLICATE_SCAN = True
    settings.KYC_CHECK_VENDORS = ALL_LOCAL
    page = client.get(reverse("onboarding:start")).content.decode()
    said = {
        "biometric comparison": "Your photos are biometric data",
        "duplicate scan (KYC_DUPLICATE_SCAN)": "have not been used in another application",
        "document reading (KYC_DOCUMENT_VENDORS)": "document number from the card",
        "screening, and again when lists change": "politically exposed persons lists; while you are our customer",
        "blocklist": "kept on our fraud list",
        "retention": "deleted when the retention period ends",
        "erasure": "ask for your data to be erased",
    }
    assert [what for what, words in said.items() if words not in page] == []


OPTIONAL = {
    "vendors": "sent to identity-verification providers",
    "duplicates": "have not been used in another application",
    "documents": "document number from the card",
    "screening": "politically exposed persons lists; while you are our customer",
}
ALL_LOCAL = {kind: ["local"] for kind in ("quality", "liveness", "compare", "document", "screening")}


@pytest.mark.parametrize(
    "scan, vendors, told",
    [
        (True, {}, {"duplicates", "documents", "screening"}),  # the embedded default
        (False, {}, {"documents", "screening"}),
        (True, {"document": [], "screening": []}, {"duplicates"}),
        (True, {"document": []}, {"duplicates", "screening"}),
        (False, {"screening": []}, {"documents"}),
        (False, {"compare": ["baidu", "local"], "document": [], "screening": []}, {"vendors"}),
        (True, {"liveness": ["local", "acedata"]}, {"vendors", "duplicates", "documents", "screening"}),
    ],
)
def test_the_built_in_notice_says_only_what_the_configuration_does(client, settings, scan, vendors, told):
    settings.KYC_DUPLICATE_SCAN = scan
    settings.KYC_CHECK_VENDORS = {**ALL_LOCAL, **vendors}
    page = client.get(reverse("onboarding:start")).content.decode()
    assert {part for part, words in OPTIONAL.items() if words in page} == told
    always = ("Your photos are biometric data", "deleted when the retention period ends", "kept on our fraud list")
    assert all(words in page for words in always)
    assert ("list checks are kept" in page) == ("screening" in told)
    assert ("face and document number" in page) == ("documents" in told)
    # What was shown is what is recorded: the version names the notice's parts.
    applicant = consent(client)
    assert applicant.consent_version == settings.KYC_CONSENT_VERSION + "".join(f"+{p}" for p in OPTIONAL if p in told)


def test_a_published_policy_that_routes_a_check_to_a_vendor_is_on_the_notice(client, settings):
    from onboarding.services.compliance.audit import Actor
    from onboarding.services.policy import versions

    settings.KYC_CHECK_VENDORS = ALL_LOCAL
    assert not built_in_notice().vendors
    config = versions.built_in().config
    config["routing"] = {"compare": {"vendors": [{"vendor": "local", "weight": 90}, {"vendor": "baidu", "weight": 10}]}}
    versions.publish(config, actor=Actor.system("test"))
    assert built_in_notice().vendors and OPTIONAL["vendors"] in client.get(reverse("onboarding:start")).content.decode()


def test_capture_pages_need_consent_first(client):
    for name in ("selfie", "id_card", "confirm"):
        assert client.get(reverse(f"onboarding:{name}")).url == reverse("onboarding:start")


def test_happy_path_to_status_page(client):
    applicant = consent(client)
    page = client.get(reverse("onboarding:selfie")).content.decode()
    assert 'capture="user"' in page and "data-camera" in page
    r = client.post(reverse("onboarding:selfie"), {"photo": upload(face_bytes("obama_1"))})
    assert r.url == reverse("onboarding:id_card")
    r = client.post(reverse("onboarding:id_card"), {"photo": upload(id_card_bytes("obama_2"))})
    assert r.url == reverse("onboarding:confirm")
    page = client.get(reverse("onboarding:confirm")).content.decode()
    photos = {p.kind: p for p in applicant.photos.all()}
    assert reverse("onboarding:photo", args=[photos["selfie"].pk]) in page
    r = client.post(reverse("onboarding:confirm"))
    verification = Verification.objects.get(applicant=applicant)
    assert r.url == reverse("onboarding:status", args=[verification.pk])
    page = client.get(r.url).content.decode()
    assert 'data-outcome="needs_review"' in page
    data = client.get(reverse("onboarding:status_json", args=[verification.pk])).json()
    assert data["status"] == "needs_review" and data["decided"] is True
    assert "score" not in str(data)  # applicants never see scores


def test_rejected_applicant_is_told_why_and_can_try_again(client):
    consent(client)
    client.post(reverse("onboarding:selfie"), {"photo": upload(face_bytes("biden_1"))})
    client.post(reverse("onboarding:id_card"), {"photo": upload(id_card_bytes("obama_2"))})
    r = client.post(reverse("onboarding:confirm"))
    page = client.get(r.url).content.decode()
    assert "does not match the ID card" in page and reverse("onboarding:selfie") in page


@pytest.mark.parametrize(
    "data,message",
    [
        (b"", "The file is empty"),
        (b"<html><script>alert(1)</script></html>", "not a photo we can read"),
    ],
)
def test_bad_upload_is_explained_and_nothing_is_stored(client, data, message):
    consent(client)
    before = stored_files()
    r = client.post(reverse("onboarding:selfie"), {"photo": upload(data)})
    assert r.status_code == 400
    assert message in r.content.decode()
    assert not Photo.objects.exists()
    assert stored_files() == before


def stored_files():
    return sorted(str(p) for p in Path(settings.KYC_PRIVATE_MEDIA_ROOT).rglob("*") if p.is_file())


def test_upload_errors_in_simplified_chinese(client):
    client.post(reverse("onboarding:start"), {"agree": "on"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    r = client.post(
        reverse("onboarding:selfie"), {"photo": upload(b"GIF89a not really")}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert r.status_code == 400
    assert "照片" in r.content.decode()


def test_photos_and_status_are_private_to_the_applicant(client):
    from django.test import Client

    consent(client)
    client.post(reverse("onboarding:selfie"), {"photo": upload(face_bytes("obama_1"))})
    client.post(reverse("onboarding:id_card"), {"photo": upload(id_card_bytes("obama_2"))})
    verification_url = client.post(reverse("onboarding:confirm")).url
    photo = Photo.objects.get(kind="selfie")
    photo_url = reverse("onboarding:photo", args=[photo.pk])
    own = client.get(photo_url)
    assert own.status_code == 200 and own["Content-Type"] == "image/jpeg"
    assert "no-store" in own["Cache-Control"]
    stranger = Client()
    assert stranger.get(photo_url).status_code == 404
    assert stranger.get(verification_url).status_code == 404
    other_applicant = Client()
    consent(other_applicant)
    assert other_applicant.get(photo_url).status_code == 404


def test_staff_need_the_photo_permission(client, django_user_model, staff_user):
    from django.test import Client

    consent(client)
    client.post(reverse("onboarding:selfie"), {"photo": upload(face_bytes("obama_1"))})
    photo_url = reverse("onboarding:photo", args=[Photo.objects.get().pk])
    bare_staff = django_user_model.objects.create_user("bare", password="x", is_staff=True)
    c = Client()
    c.force_login(bare_staff)
    assert c.get(photo_url).status_code == 404
    c.force_login(staff_user)
    assert c.get(photo_url).status_code == 200


def test_language_switcher(client):
    r = client.post(reverse("set_language"), {"language": "zh-hans", "next": "/"})
    assert r.status_code == 302
    assert "身份" in client.get("/").content.decode()


def test_a_failed_write_leaves_no_file_behind(client, monkeypatch):
    from onboarding.services.compliance import audit

    applicant = consent(client)
    before = stored_files()

    def broken(*args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(audit, "record", broken)
    from onboarding.services.applicant.applicants import add_photo

    with pytest.raises(RuntimeError):
        add_photo(applicant, "selfie", face_bytes("obama_1"))
    assert stored_files() == before and not Photo.objects.exists()
