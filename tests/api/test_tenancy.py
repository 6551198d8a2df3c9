"""An API client learns nothing about another client's applicants; staff see across clients."""

import pytest

from onboarding.models import ApiClient, DuplicateSignal, Verification
from onboarding.services.compliance import audit
from onboarding.services.policy import versions
from tests.api.test_api import BASE, client_for
from tests.factories import ApplicantFactory, submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)


def codes(reasons):
    return [r["code"] for r in reasons]


@pytest.fixture
def scanning(settings):
    settings.KYC_DUPLICATE_SCAN = True
    versions.publish({"required": ["quality", "compare"]}, actor=audit.Actor.system("t"))


def case_of(client, selfie, card):
    applicant = ApplicantFactory()
    applicant.client = client
    applicant.save()
    return submitted_verification(selfie, card, applicant=applicant)


def test_a_face_enrolled_by_another_client_is_not_disclosed(scanning, admin_client):
    api_b, client_b, *_ = client_for("bank-b")
    client_a = ApiClient.objects.create(name="bank-a")
    case_of(client_a, "obama_1", "obama_2")
    theirs = case_of(client_b, "obama_2", "obama_1")  # the same man, only ever enrolled by A
    theirs.refresh_from_db()
    signals = DuplicateSignal.objects.filter(verification=theirs, kind="same_face")
    assert signals and all(s.across_clients for s in signals)
    assert theirs.status == Verification.Status.APPROVED
    assert "duplicate_face" not in codes(theirs.risk_reasons)
    body = api_b.get(f"{BASE}/verifications/{theirs.pk}/").json()
    assert "duplicate" not in str(body)
    # Staff see the match, marked as across clients.
    page = admin_client.get(f"/admin/onboarding/verification/{theirs.pk}/change/").content.decode()
    assert "of another client" in page


def test_within_one_client_a_duplicate_face_goes_to_review(scanning):
    client_a = ApiClient.objects.create(name="bank-a")
    case_of(client_a, "obama_1", "obama_2")
    second = case_of(client_a, "obama_2", "obama_1")
    second.refresh_from_db()
    signals = DuplicateSignal.objects.filter(verification=second, kind="same_face")
    assert signals and not any(s.across_clients for s in signals)
    assert second.status == Verification.Status.NEEDS_REVIEW and "duplicate_face" in codes(second.risk_reasons)


def test_a_deployment_may_count_matches_across_clients(scanning, settings):
    settings.KYC_DUPLICATES_ACROSS_CLIENTS = True
    case_of(ApiClient.objects.create(name="bank-a"), "obama_1", "obama_2")
    theirs = case_of(ApiClient.objects.create(name="bank-b"), "obama_2", "obama_1")
    theirs.refresh_from_db()
    assert "duplicate_face" in codes(theirs.risk_reasons)
