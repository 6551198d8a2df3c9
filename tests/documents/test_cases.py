"""Cases with the document check on: what it decides under the policy, what the API and the trail
say, and the identity data kept encrypted, cut to the kept fields, erased and purged with the card."""

import datetime
import functools
import json
import logging
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from onboarding.models import AuditEvent, Check, DeclaredIdentity, DocumentReading, Photo, Verification
from onboarding.selectors.identity import declared_of, decode_reading
from onboarding.services.compliance import audit, retention
from onboarding.services.compliance.erasure import erase_applicant
from onboarding.services.identity import documents
from onboarding.services.pipeline.verifications import submit_verification
from onboarding.services.policy import versions
from tests.api.test_api import BASE, client_for
from tests.conftest import face_bytes
from tests.documents import pages
from tests.factories import ApplicantFactory, PhotoFactory
from tests.integrations.test_webhooks import endpoint, receiver  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)
VALID = pages.Person()
TODAY = timezone.localdate()


@pytest.fixture(autouse=True)
def documents_read(settings):
    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "document": ["local"]}


@functools.cache
def card(person: pages.Person = VALID, side="front") -> bytes:
    image = pages.cn_front(person, face="obama_2.jpg") if side == "front" else pages.cn_back(person)
    return pages.photograph(image)


def case(person=VALID, *, back=True, declared=None, front=None) -> Verification:
    applicant = ApplicantFactory()
    if declared:
        documents.declare(applicant, documents.clean_declared(**declared), actor=audit.Actor.applicant(applicant))
    selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
    front = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=front or card(person))
    back = card(person, "back") if back is True else back  # or the back's own bytes
    back_photo = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD_BACK, source=back) if back else None
    v = submit_verification(applicant, selfie=selfie, id_card=front, id_card_back=back_photo)
    v.refresh_from_db()
    return v


def codes(v) -> list[str]:
    return [r["code"] for r in v.decisions.latest("created_at").reasons]


def document_check(v) -> Check:
    return v.checks.get(kind="document")


def test_a_valid_card_passes_every_document_check():
    v = case(declared={"full_name": "Zhang Wei", "date_of_birth": "1990-03-07", "document_number": VALID.number})
    check = document_check(v)
    assert check.passed is True and check.details["type"] == "cn_resident_id"
    outcomes = {c["check"]: c["outcome"] for c in check.details["checks"]}
    assert set(outcomes.values()) == {"passed"}
    assert {"declared_full_name", "declared_document_number", "declared_date_of_birth", "expiry", "minimum_age"} <= set(
        outcomes
    )
    # Only liveness (no challenge on this channel) keeps it from approval.
    assert v.status == Verification.Status.NEEDS_REVIEW and codes(v) == ["liveness_not_checked"]


def test_an_invalid_number_rejects_at_the_highest_risk():
    bad = pages.Person(number=pages.cn_number(VALID.born, "M", valid=False))
    v = case(bad)
    assert v.status == Verification.Status.REJECTED and "document_number_invalid" in codes(v)
    assert v.risk_level == "1"


def test_an_expired_card_rejects_and_the_policy_can_make_it_a_note():
    old = pages.Person(issued=datetime.date(2004, 1, 1), expires=datetime.date(2024, 1, 1))
    v = case(old)
    assert v.status == Verification.Status.REJECTED and "document_expired" in codes(v)
    versions.publish(
        {"document": {"outcomes": {"document_expired": "note"}}}, actor=audit.Actor.system("test"), comment="t"
    )
    v = case(old)
    assert "document_expired" not in codes(v) and v.status == Verification.Status.NEEDS_REVIEW
    assert "document_expired" in [r["code"] for r in v.risk_reasons]


def test_underage_rejects_under_the_policys_minimum_age():
    born = TODAY.replace(year=TODAY.year - 17)
    young = pages.Person(born=born, number=pages.cn_number(born, "M"), issued=datetime.date(2020, 5, 12))
    v = case(young, back=False)
    assert "underage" in codes(v) and v.status == Verification.Status.REJECTED
    versions.publish({"document": {"min_age": 16}}, actor=audit.Actor.system("test"), comment="t")
    assert "underage" not in codes(case(young, back=False))


def test_a_passports_name_cut_to_fit_its_zone_matches_the_declared_name():
    person = pages.Person(latin_surname="OSTROWSKA-WIELGOSZEWSKA", latin_given="KATARZYNA MAGDALENA")
    passport = pages.photograph(pages.passport(person, face="obama_2.jpg"))
    outcomes = {}
    for name in ("Katarzyna Magdalena Ostrowska-Wielgoszewska", "Katarzyna Maria Ostrowska-Wielgoszewska"):
        v = case(person, back=False, front=passport, declared={"full_name": name})
        check = document_check(v)
        assert check.details["names_truncated"] is True
        outcomes[name] = {c["check"]: c["outcome"] for c in check.details["checks"]}["declared_full_name"]
    assert list(outcomes.values()) == ["passed", "failed"]


def test_what_the_applicant_declared_is_compared_and_the_field_that_differs_named():
    v = case(declared={"full_name": "Li Ming", "date_of_birth": "1990-03-07"})
    assert v.status == Verification.Status.NEEDS_REVIEW and "declared_data_mismatch" in codes(v)
    check = document_check(v)
    assert check.details["declared_mismatch_fields"] == ["full_name"]
    assert "full_name" in next(r["message"] for r in check.reasons if r["code"] == "declared_data_mismatch")


def test_a_card_that_cannot_be_read_goes_to_review_with_a_fixable_reason():
    from tests.conftest import id_card_bytes

    v = case(back=False, front=id_card_bytes("obama_2"))
    reason = next(r for r in v.decisions.latest("created_at").reasons if r["code"] == "document_unreadable")
    assert v.status == Verification.Status.NEEDS_REVIEW and reason["fixable"]


@pytest.mark.parametrize("degrees,read_at_upload", [(90, False), (270, True), (180, False)])
def test_a_card_photographed_sideways_is_read_turned_upright(admin_client, degrees, read_at_upload):
    """Turned as its portrait is: by the document check itself (an API case), or when the photo is
    analysed at upload (the web flow); the crops still point at the stored photo's pixels."""
    from onboarding.services.applicant.analysis import analyse_upload, stored_analysis
    from tests.vendors.test_local_engine import turned_jpeg

    front = turned_jpeg(card(), degrees)
    if read_at_upload:
        applicant = ApplicantFactory()
        photo = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=front)
        analyse_upload(photo.pk)
        assert stored_analysis(photo).turn == 360 - degrees and stored_analysis(photo).has_text
        back = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD_BACK, source=card(VALID, "back"))
        selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
        v = submit_verification(applicant, selfie=selfie, id_card=photo, id_card_back=back)
    else:
        v = case(front=front)
    check = document_check(v)
    assert check.passed is True and check.details["type"] == "cn_resident_id", check.details
    assert v.checks.get(kind="compare").passed is True
    quality = v.checks.get(kind="quality", subject="id_card")
    assert quality.details["turned_degrees"] == 360 - degrees
    page = admin_client.get(f"/admin/onboarding/verification/{v.pk}/change/").content.decode()
    assert page.count('class="kyc-crop"') == 9 and VALID.number in page


@pytest.mark.parametrize("degrees,read_at_upload", [(90, False), (270, False), (180, True), (270, True)])
def test_a_cards_back_photographed_sideways_is_read_turned_as_its_text_says(degrees, read_at_upload):
    """A back has no portrait to tell its turn: its lines do (engine-free), by the document check
    itself (an API case) or when the photo is analysed at upload (the web flow, which keeps the turn)."""
    from onboarding.services.applicant.analysis import analyse_upload, stored_analysis
    from tests.vendors.test_local_engine import turned_jpeg

    applicant = ApplicantFactory()
    back = PhotoFactory(
        applicant=applicant, kind=Photo.Kind.ID_CARD_BACK, source=turned_jpeg(card(VALID, "back"), degrees)
    )
    if read_at_upload:
        analyse_upload(back.pk)
        analysis = stored_analysis(back)
        assert analysis.turn == 360 - degrees and analysis.has_text
        assert (analysis.width, analysis.height) == (
            (back.height, back.width) if degrees % 180 else (back.width, back.height)
        )
    front = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=card())
    selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
    v = submit_verification(applicant, selfie=selfie, id_card=front, id_card_back=back)
    check = document_check(v)
    assert check.passed is True and "document_expiry_unknown" not in codes(v), codes(v)
    assert {"issuing_authority", "issue_date", "expiry_date"} <= set(check.details["fields_read"])


def test_identity_data_is_encrypted_never_in_check_rows_or_logs(caplog):
    caplog.set_level(logging.DEBUG)
    v = case(declared={"full_name": "Zhang Wei"})
    reading = DocumentReading.objects.get(verification=v)
    secrets = [VALID.number, "张伟", "景山前街"]
    check = document_check(v)
    stored = bytes(reading.data) + bytes(DeclaredIdentity.objects.get(applicant=v.applicant).data)
    visible = json.dumps([check.details, check.raw_response, check.reasons], ensure_ascii=False) + caplog.text
    for secret in secrets + ["Zhang Wei"]:
        assert secret.encode() not in stored and secret not in visible
    fields = decode_reading(reading)["fields"]
    assert fields["document_number"]["value"] == VALID.number and fields["full_name"]["box"]


def test_only_the_fields_the_operator_keeps_are_stored(settings):
    settings.KYC_DOCUMENT_FIELDS_KEPT = ["document_number", "date_of_birth"]
    v = case()
    assert set(decode_reading(DocumentReading.objects.get(verification=v))["fields"]) == {
        "document_number",
        "date_of_birth",
    }


def test_erasure_and_retention_delete_the_identity_data():
    bad = pages.Person(number=pages.cn_number(VALID.born, "M", valid=False))  # rejected: decided, erasable
    v = case(bad, declared={"full_name": "Zhang Wei"})
    receipt, _ = erase_applicant(v.applicant_id, actor=audit.Actor.system("test"))
    assert receipt.content["erased"]["identity_data"] == 2  # the reading and the declared data
    assert not DocumentReading.objects.exists() and not DeclaredIdentity.objects.exists()

    v = case(bad)
    long_ago = timezone.now() - timedelta(days=40)  # past the photos' 30 days
    Verification.objects.filter(pk=v.pk).update(decided_at=long_ago)
    Photo.objects.filter(applicant=v.applicant).update(created_at=long_ago)
    retention.purge()
    assert not DocumentReading.objects.filter(verification=v).exists()


def test_the_api_gives_the_document_and_audits_that_the_client_saw_it():
    api, client, *_ = client_for("acme")
    r = api.post(
        f"{BASE}/verifications/",
        {
            "selfie": SimpleUploadedFile("s.jpg", face_bytes("obama_1"), content_type="image/jpeg"),
            "id_card": SimpleUploadedFile("f.jpg", card(), content_type="image/jpeg"),
            "id_card_back": SimpleUploadedFile("b.jpg", card(side="back"), content_type="image/jpeg"),
            "full_name": "Wei Zhang",
            "date_of_birth": "1990-03-07",
        },
        format="multipart",
    )
    assert r.status_code == 201, r.content
    body = api.get(f"{BASE}/verifications/{r.json()['id']}/").json()
    document = body["document"]
    assert document["type"] == "cn_resident_id"
    assert document["fields"]["document_number"] == VALID.number and document["fields"]["expiry_date"] == "2040-05-12"
    assert {"check": "declared_full_name", "outcome": "passed", "field": "full_name"} in document["checks"]
    assert AuditEvent.objects.filter(action="document_data_viewed", verification_id=body["id"]).exists()
    other, *_ = client_for("other")
    assert other.get(f"{BASE}/verifications/{body['id']}/").status_code == 404


def test_declared_data_through_the_api_is_validated_and_never_echoed():
    api, *_ = client_for("acme")
    r = api.post(f"{BASE}/applicants/", {"full_name": "Zhang Wei", "date_of_birth": "1990-02-30"}, format="json")
    assert r.status_code == 400 and r.json()["errors"][0]["field"] == "date_of_birth"
    r = api.post(f"{BASE}/applicants/", {"full_name": "Zhang Wei"}, format="json")
    assert r.status_code == 201 and r.json()["declared_fields"] == ["full_name"]
    r = api.patch(f"{BASE}/applicants/{r.json()['id']}/", {"document_number": "e 1234-5678"}, format="json")
    assert r.json()["declared_fields"] == ["document_number", "full_name"] and "Zhang" not in r.content.decode()
    assert declared_of(r.json()["id"])["document_number"] == "E12345678"


def test_the_case_page_shows_each_field_beside_its_crop_and_audits_the_view(admin_client):
    v = case()
    r = admin_client.get(f"/admin/onboarding/verification/{v.pk}/change/")
    page = r.content.decode()
    assert r.status_code == 200 and VALID.number in page and "张伟" in page
    # Every field read from the card beside its crop (nationality and issuing country are the type's).
    assert page.count('class="kyc-crop"') == 9 and "number_check_digit" in page
    assert AuditEvent.objects.filter(action="document_data_viewed", verification_id=v.pk, actor_type="staff").exists()


def test_the_evidence_pack_carries_the_reading_and_the_declared_data(admin_user):
    import io
    import zipfile

    from onboarding.services.compliance.evidence import evidence_pack

    v = case(declared={"full_name": "Zhang Wei"})
    _name, data = evidence_pack(v.pk, user=admin_user)
    identity = json.loads(zipfile.ZipFile(io.BytesIO(data)).read("case.json"))["identity"]
    assert identity["document"]["fields"]["document_number"]["value"] == VALID.number
    assert identity["declared"] == {"full_name": "Zhang Wei"}


def test_a_card_without_its_back_goes_to_review_its_expiry_unknown():
    v = case(back=False)
    assert "document_expiry_unknown" in codes(v) and v.status == Verification.Status.NEEDS_REVIEW
    assert {c["check"]: c["outcome"] for c in document_check(v).details["checks"]}["expiry"] == "not_checked"


def test_a_french_card_of_1988_to_2021_is_read_and_goes_to_review_for_its_expiry():
    """Its zone has TD2's size but not its layout: read as TD2 every check digit failed, and the
    case was rejected. Read in its own layout it passes them; the zone has no expiry date."""
    v = case(back=False, front=pages.photograph(pages.fr_card(VALID, face="obama_2.jpg")))
    check = document_check(v)
    assert check.details["type"] == "id_card_fr" and "mrz_check_failed" not in codes(v)
    assert "document_expiry_unknown" in codes(v) and v.status == Verification.Status.NEEDS_REVIEW


def test_a_french_card_with_its_back_is_decided_on_its_validity():
    issued_2016 = pages.Person(issued=datetime.date(2016, 6, 15), expires=datetime.date(2031, 6, 14))
    front = pages.photograph(pages.fr_card(issued_2016, face="obama_2.jpg"))
    v = case(back=pages.photograph(pages.fr_back(issued_2016)), front=front)
    outcomes = {c["check"]: c["outcome"] for c in document_check(v).details["checks"]}
    assert set(outcomes.values()) == {"passed"} and {"front_back", "expiry"} <= set(outcomes)
    assert codes(v) == ["liveness_not_checked"]  # as for any valid card on this channel
    # Issued in 2010 to an adult: printed valid until 2020, valid until 2025 by law, expired now.
    issued_2010 = pages.Person(issued=datetime.date(2010, 6, 15), expires=datetime.date(2020, 6, 14))
    front = pages.photograph(pages.fr_card(issued_2010, face="obama_2.jpg"))
    v = case(back=pages.photograph(pages.fr_back(issued_2010)), front=front)
    assert "document_expired" in codes(v) and v.status == Verification.Status.REJECTED


def test_the_policys_document_section_is_validated():
    with pytest.raises(versions.PolicyError) as raised:
        versions.validate(
            {"document": {"min_age": 200, "colour": 1, "outcomes": {"underage": "maybe", "bad_vibes": "reject"}}}
        )
    problems = " ".join(raised.value.problems)
    for part in ("document.min_age", "document.'colour'", "document.outcomes.underage", "bad_vibes"):
        assert part in problems, problems


def test_webhooks_carry_the_document_and_keep_its_fields_sealed(receiver, endpoint, django_user_model):
    from onboarding.models import WebhookEvent

    applicant = ApplicantFactory()
    applicant.client = endpoint.client
    applicant.save()
    selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
    front = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=card())
    back = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD_BACK, source=card(side="back"))
    v = submit_verification(applicant, selfie=selfie, id_card=front, id_card_back=back)
    decided = [e for e in receiver.events() if e["type"] == "decision.made"][-1]
    assert decided["data"]["document"]["fields"]["document_number"] == VALID.number
    event = WebhookEvent.objects.get(verification=v, type="decision.made")
    assert event.payload["document"]["fields"] == {} and VALID.number.encode() not in bytes(event.sealed)
    assert AuditEvent.objects.filter(action="document_data_viewed", verification_id=v.pk, actor="webhooks").exists()
    # Decided by a person (no liveness on this channel), then erased: the sealed copies go too.
    from onboarding.services.review.decisions import record_human_decision

    reviewer = django_user_model.objects.create_user("r", password="x")
    record_human_decision(v.pk, outcome="approve", comment="seen", user=reviewer)
    erase_applicant(applicant.pk, actor=audit.Actor.system("test"))
    assert not WebhookEvent.objects.filter(verification=v).exclude(sealed=b"").exists()


def test_key_rotation_reencrypts_the_identity_data(settings):
    import base64

    from onboarding import encryption
    from onboarding.services.identity.documents import reencrypt

    v = case(declared={"full_name": "Zhang Wei"})
    old = settings.KYC_ENCRYPTION_KEYS[0]
    new = encryption.new_key()
    settings.KYC_ENCRYPTION_KEYS = [new, old]
    assert reencrypt() == 2 and reencrypt() == 0  # the reading and the declared data, once
    settings.KYC_ENCRYPTION_KEYS = [new]
    new_id = encryption.key_id(base64.b64decode(new))
    assert encryption.blob_key_id(bytes(DocumentReading.objects.get(verification=v).data)) == new_id
    assert declared_of(v.applicant_id) == {"full_name": "Zhang Wei"}
