"""Screening at onboarding: a `screening` check on the name and date of birth read from the
document (or declared), a hit sends the case to review at risk level 1 and is kept for a reviewer,
whose false positive is not flagged again for the same applicant and entry."""

import io
import json

import pytest

from onboarding.models import AuditEvent, Check, Photo, ScreeningHit, Verification
from onboarding.services.compliance import audit
from onboarding.services.identity import documents
from onboarding.services.pipeline.verifications import submit_verification
from onboarding.services.screening import cases, lists
from tests.conftest import face_bytes, id_card_bytes
from tests.documents import pages
from tests.factories import ApplicantFactory, PhotoFactory

pytestmark = pytest.mark.django_db(transaction=True)
ZHANG = pages.Person()  # 张伟, born 1990-03-07


@pytest.fixture(autouse=True)
def screened(settings):
    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "screening": ["local"]}


def import_list(*people, source="un-sc"):
    data = "\n".join(
        json.dumps({"id": pid, "schema": "Person", "properties": props}, ensure_ascii=False) for pid, props in people
    ).encode()
    return lists.import_file(io.BytesIO(data), source=source, actor=audit.Actor.system("test"))


def submitted(applicant=None, *, declared=None, card=None, back=None) -> Verification:
    applicant = applicant or ApplicantFactory()
    if declared:
        documents.declare(applicant, documents.clean_declared(**declared), actor=audit.Actor.applicant(applicant))
    selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
    front = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=card or id_card_bytes("obama_2"))
    back = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD_BACK, source=back) if back else None
    v = submit_verification(applicant, selfie=selfie, id_card=front, id_card_back=back)
    v.refresh_from_db()
    return v


def reasons(v) -> list[str]:
    return [r["code"] for r in v.decisions.latest("created_at").reasons]


def test_a_declared_name_on_a_list_sends_the_case_to_review_at_risk_level_one():
    import_list(("Q1", {"name": ["ZHANG Wei"], "alias": ["张伟"], "birthDate": ["1990-03-07"]}))
    v = submitted(declared={"full_name": "Wei Zhang", "date_of_birth": "1990-03-07"})
    check = v.checks.get(kind="screening")
    assert check.status == Check.Status.COMPLETED and check.passed is False
    assert v.status == Verification.Status.NEEDS_REVIEW and v.risk_level == "1"
    assert "screening_match" in reasons(v)
    (hit,) = check.details["hits"]
    assert hit["list_id"] == "Q1" and hit["why"]["dob"] == "same date" and check.details["screened"] == "declared"
    assert "Wei Zhang" not in json.dumps(check.details) + json.dumps(check.raw_response)  # no applicant data
    row = ScreeningHit.objects.get(verification=v)
    assert (row.status, row.source, row.list_id, row.caption) == ("open", "un-sc", "Q1", "ZHANG Wei")


def test_a_name_on_no_list_passes_and_another_birth_date_is_someone_else():
    import_list(("Q1", {"name": ["ZHANG Wei"], "birthDate": ["1950-01-01"]}))
    v = submitted(declared={"full_name": "Zhang Wei", "date_of_birth": "1990-03-07"})
    check = v.checks.get(kind="screening")
    assert check.passed is True and check.details["hits"] == [] and "screening_match" not in reasons(v)
    assert not ScreeningHit.objects.exists()


def test_the_name_read_from_the_document_is_screened_once_it_is_read(settings):
    settings.KYC_CHECK_VENDORS = {**settings.KYC_CHECK_VENDORS, "document": ["local"]}
    import_list(("Q7", {"name": ["张伟"], "birthDate": ["1990-03-07"], "nationality": ["chn"]}))
    v = submitted(
        card=pages.photograph(pages.cn_front(ZHANG, face="obama_2.jpg")), back=pages.photograph(pages.cn_back(ZHANG))
    )
    document, screening = v.checks.get(kind="document"), v.checks.get(kind="screening")
    assert document.completed_at <= screening.completed_at  # screened what was read
    assert screening.details["screened"] == "document"
    (hit,) = screening.details["hits"]
    assert hit["list_id"] == "Q7" and hit["why"]["nationality"] == "same"
    assert v.status == Verification.Status.NEEDS_REVIEW and "screening_match" in reasons(v)


def test_a_false_positive_is_not_flagged_again_for_the_same_applicant_and_entry(django_user_model):
    import_list(("Q1", {"name": ["ZHANG Wei"], "birthDate": ["1990"]}))
    applicant = ApplicantFactory()
    first = submitted(applicant, declared={"full_name": "Zhang Wei", "date_of_birth": "1990-03-07"})
    hit = ScreeningHit.objects.get(verification=first)
    reviewer = django_user_model.objects.create_user("mlro", is_staff=True)
    with pytest.raises(cases.ResolutionError):
        cases.resolve(hit.pk, status="false_positive", user=reviewer, comment="")  # a reason is required
    cases.resolve(hit.pk, status="false_positive", user=reviewer, comment="Born in Beijing, the listed man in Harbin.")
    event = AuditEvent.objects.get(action="screening_hit_resolved")
    assert event.data["status"] == "false_positive" and event.actor == "mlro"
    again = submitted(applicant)
    check = again.checks.get(kind="screening")
    assert check.passed is True and check.details["hits"] == []
    assert [h["list_id"] for h in check.details["resolved_earlier"]] == ["Q1"]
    assert "screening_match" not in reasons(again)
    other = submitted(declared={"full_name": "Zhang Wei", "date_of_birth": "1990-03-07"})  # another applicant
    assert "screening_match" in reasons(other)


def test_without_lists_or_a_name_the_case_waits_for_a_person():
    no_lists = submitted(declared={"full_name": "Zhang Wei"})
    check = no_lists.checks.get(kind="screening")
    assert check.status == Check.Status.NOT_APPLICABLE and check.reasons[0]["code"] == "screening_no_lists"
    assert "screening_not_checked" in reasons(no_lists)
    import_list(("Q1", {"name": ["ZHANG Wei"]}))
    no_name = submitted()
    assert no_name.checks.get(kind="screening").reasons[0]["code"] == "screening_no_name"
    assert "screening_not_checked" in reasons(no_name)
    # A name with no letters to spell would match nothing: not screened, rather than passed.
    no_letters = submitted(declared={"full_name": "??? 😀"})
    assert no_letters.checks.get(kind="screening").reasons[0]["code"] == "screening_no_name"
    assert "screening_not_checked" in reasons(no_letters)


def test_a_name_declared_in_cyrillic_is_screened_against_the_latin_entry():
    import_list(("Q1", {"name": ["Viktor Bout"], "birthDate": ["1967-01-13"]}))
    v = submitted(declared={"full_name": "Виктор Бут", "date_of_birth": "1967-01-13"})
    assert "screening_match" in reasons(v)


def test_the_applicant_is_never_told_of_a_list_match(client):
    from onboarding.selectors.applicant import applicant_status

    import_list(("Q1", {"name": ["ZHANG Wei"], "birthDate": ["1990-03-07"]}))
    v = submitted(declared={"full_name": "Zhang Wei", "date_of_birth": "1990-03-07"})
    state = applicant_status(v)
    assert "list" not in json.dumps(state, ensure_ascii=False).lower()


def test_the_case_page_shows_the_entry_beside_the_applicant_and_a_reviewer_resolves_it(client, django_user_model):
    from django.urls import reverse

    from onboarding.roles import ensure_roles
    from tests.admin.test_review import user_in

    ensure_roles()
    import_list(("Q1", {"name": ["ZHANG Wei"], "birthDate": ["1990-03-07"], "nationality": ["cn"]}))
    v = submitted(declared={"full_name": "Zhang Wei", "date_of_birth": "1990-03-07"})
    hit = ScreeningHit.objects.get(verification=v)
    url = reverse("admin:onboarding_verification_change", args=[v.pk])
    resolve = reverse("admin:onboarding_verification_screening", args=[v.pk, hit.pk])
    client.force_login(user_in(django_user_model, "Reviewer", "rev"))
    page = client.get(url).content.decode()
    assert "Sanctions and PEP lists" in page and "ZHANG Wei" in page and "Zhang Wei" in page and "1990-03-07" in page
    assert resolve not in page  # a reviewer sees it; resolving is the senior reviewer's
    assert client.post(resolve, {"status": "confirmed", "comment": "x"}).status_code == 403
    client.force_login(user_in(django_user_model, "Senior reviewer", "mlro"))
    assert resolve in client.get(url).content.decode()
    client.post(resolve, {"status": "confirmed", "comment": "Same person: passport number on the notice."})
    hit.refresh_from_db()
    assert (hit.status, hit.resolved_by) == ("confirmed", "mlro")
    assert "Confirmed match" in client.get(url).content.decode()


def approved_case(name="Olga Petrova", dob="1971-05-05"):
    from onboarding.services.review.decisions import record_human_decision

    v = submitted(declared={"full_name": name, "date_of_birth": dob})
    if v.status != Verification.Status.APPROVED:  # a still upload waits for a reviewer: approve it
        from django.contrib.auth import get_user_model

        user, _ = get_user_model().objects.get_or_create(username="approver", defaults={"is_staff": True})
        record_human_decision(v.pk, outcome="approve", comment="checked by eye", user=user)
        v.refresh_from_db()
    assert v.status == Verification.Status.APPROVED
    return v


def test_a_changed_list_rescreens_approved_applicants_and_a_new_hit_reopens_review(settings):
    import_list(("Q1", {"name": ["Someone Else"]}))
    olga, ivan = approved_case(), approved_case("Ivan Sidorov", "1960-01-01")
    erased = approved_case("Olga Petrova", "1971-05-05")
    from onboarding.services.compliance.erasure import erase_applicant

    erase_applicant(erased.applicant_id, actor=audit.Actor.system("test"))
    # The next version adds Olga Petrova (and keeps Q1): the re-screen runs on the workers (eager here).
    version = import_list(
        ("Q1", {"name": ["Someone Else"]}),
        ("Q2", {"name": ["PETROVA, Olga"], "birthDate": ["1971-05-05"]}),
    )
    assert (version.added, version.changed) == (1, 0)
    olga.refresh_from_db(), ivan.refresh_from_db()
    assert olga.status == Verification.Status.NEEDS_REVIEW and olga.risk_level == "1"
    assert ivan.status == Verification.Status.APPROVED
    hit = ScreeningHit.objects.get(verification=olga)
    assert (hit.list_id, hit.status) == ("Q2", "open")
    assert olga.decisions.latest("created_at").reasons[0]["code"] == "screening_match"
    assert AuditEvent.objects.filter(action="screening_review_opened", verification_id=olga.pk).count() == 1
    assert not ScreeningHit.objects.filter(applicant=erased.applicant).exists()  # erased: nothing to screen
    # The same list imported again changes nothing: no second hit, no second review.
    again = import_list(
        ("Q1", {"name": ["Someone Else"]}),
        ("Q2", {"name": ["PETROVA, Olga"], "birthDate": ["1971-05-05"]}),
    )
    assert (again.added, again.changed) == (0, 0)
    assert ScreeningHit.objects.filter(verification=olga).count() == 1
    assert AuditEvent.objects.filter(action="screening_review_opened").count() == 1


def test_the_client_hears_of_a_new_hit(settings):
    from onboarding.models import ApiClient, WebhookEvent

    client_row = ApiClient.objects.create(name="acme")
    v = approved_case()
    type(v.applicant).objects.filter(pk=v.applicant_id).update(client=client_row)
    import_list(("Q2", {"name": ["Olga Petrova"], "birthDate": ["1971-05-05"]}))
    event = WebhookEvent.objects.get(type="screening.match")
    data = event.payload
    assert event.verification_id == v.pk
    assert data["hits"][0]["list_id"] == "Q2" and "Olga" in data["hits"][0]["caption"]
    assert "1971" not in json.dumps(data)  # the applicant's own data is not sent
