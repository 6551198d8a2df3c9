"""The applicant's flow with documents read: the card's back asked for when its type has one, the
card read at upload (the checklist says when it cannot be, in the applicant's language), a "your
details" step, and the case read from the readings made at upload."""

import pytest
from django.urls import reverse

from onboarding.models import Photo, PhotoAnalysis, Verification
from onboarding.selectors.identity import declared_of
from tests.applicant.test_views import consent, upload
from tests.conftest import face_bytes, id_card_bytes
from tests.documents import pages
from tests.documents.test_cases import card
from vendors.documents import ocr

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def documents_read(settings):
    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "document": ["local"]}


def send(client, step, data):
    sent = client.post(reverse(step), {"photo": upload(data)}, HTTP_ACCEPT="application/json")
    assert sent.status_code == 200, sent.content
    return sent.json(), client.get(sent.json()["check_url"]).json()


def test_the_flow_reads_the_card_at_upload_asks_for_its_back_and_the_details(client, documents_read, monkeypatch):
    applicant = consent(client)
    send(client, "onboarding:selfie", face_bytes("obama_1"))
    answer, checklist = send(client, "onboarding:id_card", card())
    assert answer["next"] == reverse("onboarding:id_card_back")
    assert checklist["needs_back"] and {i["code"]: i["ok"] for i in checklist["items"]}["text"]
    assert client.get(reverse("onboarding:id_card_back")).status_code == 200
    answer, checklist = send(client, "onboarding:id_card_back", card(side="back"))
    assert answer["next"] == reverse("onboarding:details") and checklist["ok"], checklist
    r = client.post(reverse("onboarding:details"), {"full_name": "Zhang Wei", "date_of_birth": "1990-03-07"})
    assert r.status_code == 302 and r.url == reverse("onboarding:confirm")
    assert declared_of(applicant.pk) == {"full_name": "Zhang Wei", "date_of_birth": "1990-03-07"}
    # Both sides were read on upload: the case's document check reads nothing again.
    assert PhotoAnalysis.objects.filter(photo__applicant=applicant, photo__kind__startswith="id_card").count() == 2
    reads = []
    real = ocr.read_text
    monkeypatch.setattr(ocr, "read_text", lambda data: reads.append(1) or real(data))
    client.post(reverse("onboarding:confirm"))
    v = Verification.objects.get(applicant=applicant)
    check = v.checks.get(kind="document")
    assert reads == [] and v.id_card_back.kind == Photo.Kind.ID_CARD_BACK
    assert check.passed and {c["check"] for c in check.details["checks"]} >= {"front_back", "declared_full_name"}


@pytest.mark.parametrize("document", [pages.passport, pages.td2_card], ids=["passport", "td2_card"])
def test_a_document_read_whole_on_its_front_skips_the_back(client, documents_read, document):
    consent(client)
    send(client, "onboarding:selfie", face_bytes("obama_1"))
    _answer, checklist = send(client, "onboarding:id_card", pages.photograph(document(pages.Person())))
    assert checklist["needs_back"] is False
    r = client.get(reverse("onboarding:id_card_back"))
    assert r.status_code == 302 and r.url == reverse("onboarding:details")


def test_an_unreadable_card_is_told_how_to_retake_it_in_the_applicants_language(client, documents_read):
    consent(client)
    client.post(reverse("set_language"), {"language": "zh-hans"})
    _answer, checklist = send(client, "onboarding:id_card", id_card_bytes("obama_2"))
    text = {i["code"]: i for i in checklist["items"]}["text"]
    assert not text["ok"] and "证件" in text["advice"][0], text


def test_declared_details_are_validated(client, documents_read):
    consent(client)
    r = client.post(reverse("onboarding:details"), {"date_of_birth": "1990-02-30", "document_number": "12;34"})
    assert r.status_code == 400 and r.content.decode().count('class="error"') == 2


def test_without_document_reading_the_back_and_details_steps_are_skipped(client):
    consent(client)
    send(client, "onboarding:selfie", face_bytes("obama_1"))
    send(client, "onboarding:id_card", id_card_bytes("obama_2"))
    assert client.get(reverse("onboarding:id_card_back")).url == reverse("onboarding:details")
    assert client.get(reverse("onboarding:details")).url == reverse("onboarding:confirm")
