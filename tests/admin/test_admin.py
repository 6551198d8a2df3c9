"""The compliance staff's admin: list, filters, evidence, deciding with a reason, read-only audit."""

import pytest
from django.urls import reverse

from onboarding.models import AuditEvent, Decision, ReviewReason, Verification
from tests.factories import submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def reviewer_client(client, staff_user):
    ReviewReason.seed()  # transactional tests flush what migration 0009 created
    client.force_login(staff_user)
    return client


@pytest.fixture
def case():
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    assert v.status == Verification.Status.NEEDS_REVIEW
    return v


def test_list_and_filters(reviewer_client, case):
    url = reverse("admin:onboarding_verification_changelist")
    for query in (
        "",
        "?status__exact=needs_review",
        "?decision=review",
        "?vendor=local",
        f"?q={case.pk}",
        "?channel__exact=web",
    ):
        r = reviewer_client.get(url + query)
        assert r.status_code == 200, query
        assert str(case.pk)[:8] in r.content.decode(), query
    for query in ("?status__exact=approved", "?decision=none", "?vendor=baidu"):
        assert str(case.pk)[:8] not in reviewer_client.get(url + query).content.decode(), query


def test_case_page_shows_both_photos_through_the_checked_view_and_every_check(reviewer_client, case):
    page = reviewer_client.get(reverse("admin:onboarding_verification_change", args=[case.pk])).content.decode()
    assert reverse("onboarding:photo", args=[case.selfie_id]) in page
    assert reverse("onboarding:photo", args=[case.id_card_id]) in page
    assert "/media/" not in page
    compare = case.checks.get(kind="compare")
    assert f"{compare.score}" in page and "0.6" in page  # raw score and threshold source
    assert "verification_submitted" in page and "auto_decision" in page  # audit trail
    assert 'id="kyc-decide-form"' in page and "face_match_confirmed" in page  # reason templates to pick from
    # A still upload: no template claiming a live selfie, and the page says what cannot be judged.
    assert "identity_confirmed" not in page and "No liveness evidence" in page


def test_decision_needs_a_reason(reviewer_client, case):
    url = reverse("admin:onboarding_verification_decide", args=[case.pk])
    r = reviewer_client.post(url, {"outcome": "approve", "comment": "  "})
    assert r.status_code == 400 and "Choose a reason or write one." in r.content.decode()
    r = reviewer_client.post(url, {"outcome": "approve", "reason": "face_mismatch"})
    assert r.status_code == 400 and "This reason is for the other decision." in r.content.decode()
    assert case.decisions.count() == 1


def test_decide_with_a_reason_template_and_free_text(reviewer_client, case):
    url = reverse("admin:onboarding_verification_decide", args=[case.pk])
    r = reviewer_client.post(url, {"outcome": "reject", "reason": "spoof_suspected", "comment": "Moiré on the selfie."})
    assert r.status_code == 302
    decision = case.decisions.order_by("-created_at").first()
    assert decision.reasons[0]["code"] == "spoof_suspected" and decision.comment == "Moiré on the selfie."
    event = AuditEvent.objects.get(verification_id=case.pk, action="human_decision")
    assert event.data["reason"] == "spoof_suspected" and event.data["comment"] == "Moiré on the selfie."


def test_approve_with_reason_records_human_decision_and_audit(reviewer_client, staff_user, case):
    url = reverse("admin:onboarding_verification_decide", args=[case.pk])
    r = reviewer_client.post(url, {"outcome": "approve", "comment": "Liveness confirmed on the selfie."})
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Verification.Status.APPROVED
    decision = case.decisions.order_by("-created_at").first()
    assert decision.source == Decision.Source.HUMAN and decision.decided_by == staff_user
    assert decision.comment == "Liveness confirmed on the selfie."
    event = AuditEvent.objects.filter(verification_id=case.pk, action="human_decision").get()
    assert event.actor == "reviewer" and event.from_status == "needs_review" and event.to_status == "approved"


def test_bulk_reject_action_asks_for_reason_then_applies(reviewer_client, case):
    url = reverse("admin:onboarding_verification_changelist")
    r = reviewer_client.post(url, {"action": "reject_selected", "_selected_action": [case.pk]})
    assert r.status_code == 200 and "Reason" in r.content.decode()
    assert case.decisions.count() == 1
    r = reviewer_client.post(
        url,
        {
            "action": "reject_selected",
            "_selected_action": [case.pk],
            "apply": "1",
            "outcome": "reject",
            "comment": "ID card looks edited.",
        },
    )
    assert r.status_code == 302
    case.refresh_from_db()
    assert case.status == Verification.Status.REJECTED


def test_a_bulk_approval_cannot_claim_a_live_person_on_a_still_upload(reviewer_client, case):
    url = reverse("admin:onboarding_verification_changelist")
    data = {"action": "approve_selected", "_selected_action": [case.pk], "apply": "1", "outcome": "approve"}
    r = reviewer_client.post(url, {**data, "reason": "identity_confirmed"}, follow=True)
    assert "nothing in this case shows one" in r.content.decode()
    case.refresh_from_db()
    assert case.status == Verification.Status.NEEDS_REVIEW and case.decisions.count() == 1
    reviewer_client.post(url, {**data, "reason": "face_match_confirmed"})
    case.refresh_from_db()
    assert case.status == Verification.Status.APPROVED


def test_staff_without_decide_permission_cannot_decide(client, django_user_model, case):
    from django.contrib.auth.models import Permission

    viewer = django_user_model.objects.create_user("auditor", password="x", is_staff=True)
    viewer.user_permissions.add(Permission.objects.get(codename="view_verification"))
    client.force_login(viewer)
    r = client.post(
        reverse("admin:onboarding_verification_decide", args=[case.pk]), {"outcome": "approve", "comment": "ok"}
    )
    assert r.status_code == 403
    page = client.get(reverse("admin:onboarding_verification_change", args=[case.pk])).content.decode()
    assert "kyc-decide-form" not in page and "Take this case" not in page


def test_audit_trail_is_read_only_even_for_superusers(client, django_user_model, case):
    admin_user = django_user_model.objects.create_superuser("root", password="x")
    client.force_login(admin_user)
    event = AuditEvent.objects.first()
    assert client.get(reverse("admin:onboarding_auditevent_changelist")).status_code == 200
    assert client.get(reverse("admin:onboarding_auditevent_add")).status_code == 403
    assert client.get(reverse("admin:onboarding_auditevent_delete", args=[event.pk])).status_code == 403
    page = client.get(reverse("admin:onboarding_auditevent_change", args=[event.pk])).content.decode()
    assert 'name="_save"' not in page
    r = client.post(reverse("admin:onboarding_auditevent_change", args=[event.pk]), {"action": "tampered"})
    assert r.status_code == 403
    assert AuditEvent.objects.filter(action="tampered").count() == 0


def test_an_unfiltered_list_of_a_big_table_counts_from_the_statistics(case, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from onboarding import statements
    from onboarding.admin.common import EstimatedCountPaginator

    events = AuditEvent.objects.order_by("-pk")
    exact = events.count()
    assert exact > 1 and EstimatedCountPaginator(events, 20).count == exact  # a small table: counted
    if connection.vendor != "postgresql":
        assert statements.estimated_rows(AuditEvent, "default") is None
        return
    with connection.cursor() as cursor:  # what autovacuum does to a big table
        cursor.execute("ANALYZE onboarding_auditevent")
    monkeypatch.setattr(EstimatedCountPaginator, "ESTIMATE_ABOVE", 0)
    with CaptureQueriesContext(connection) as queries:
        assert EstimatedCountPaginator(events, 20).count == statements.estimated_rows(AuditEvent, "default") == exact
    assert not any("COUNT(" in q["sql"] for q in queries.captured_queries)
    with CaptureQueriesContext(connection) as queries:  # a filtered list counts exactly
        assert EstimatedCountPaginator(events.filter(action="no-such-action"), 20).count == 0
    assert any("COUNT(" in q["sql"] for q in queries.captured_queries)
