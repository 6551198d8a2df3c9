"""The reviewer's workspace: queue and assignment (also under concurrency), roles, duplicate signals,
the policy what-if on a known set of scores, and the dashboard."""

import threading
from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from onboarding.models import (
    Applicant,
    AuditEvent,
    Check,
    Decision,
    DuplicateSignal,
    Photo,
    PhotoAnalysis,
    ReviewReason,
    Verification,
)
from onboarding.roles import ensure_roles
from onboarding.services.applicant.analysis import decode_embedding
from onboarding.services.compliance import retention
from onboarding.services.pipeline import duplicates
from onboarding.services.pipeline.decisions import finalize_if_complete
from onboarding.services.pipeline.verifications import submit_verification
from onboarding.services.policy import whatif
from onboarding.services.review import assignment
from onboarding.services.review.decisions import DecisionError, record_human_decision
from tests.conftest import face_bytes, id_card_bytes
from tests.factories import ApplicantFactory, PhotoFactory, submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def no_vendors(settings):
    """Cases go straight to review (no check can run): cheap cases for the queue."""
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}


@pytest.fixture
def roles():
    ensure_roles()  # transactional tests flush what the migrations created
    ReviewReason.seed()


def user_in(django_user_model, role, name=None):
    user = django_user_model.objects.create_user(name or role.lower().replace(" ", "_"), password="x", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return django_user_model.objects.get(pk=user.pk)  # fresh permission cache


def cases_in_review(n, *, age_hours=0):
    made = []
    for i in range(n):
        applicant = ApplicantFactory()
        selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
        card = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=id_card_bytes("obama_2"))
        v = submit_verification(applicant, selfie=selfie, id_card=card)
        # Oldest first in creation order, so the queue's order is known.
        Verification.objects.filter(pk=v.pk).update(decided_at=timezone.now() - timedelta(hours=age_hours + n - i))
        made.append(Verification.objects.get(pk=v.pk))
    assert all(v.status == Verification.Status.NEEDS_REVIEW for v in made)
    return made


# Queue and assignment --------------------------------------------------------------------------
def test_take_next_hands_out_the_oldest_free_case_and_a_holder_gets_theirs_back(no_vendors, roles, django_user_model):
    first, second, third = cases_in_review(3)
    ann = user_in(django_user_model, "Reviewer", "ann")
    bob = user_in(django_user_model, "Reviewer", "bob")
    assert assignment.take_next(ann).pk == first.pk
    assert assignment.take_next(ann).pk == first.pk  # still hers
    assert assignment.take_next(bob).pk == second.pk
    with pytest.raises(assignment.AssignmentError):
        assignment.assign(first.pk, user=bob)
    with pytest.raises(DecisionError, match="ann is working on this case"):
        record_human_decision(first.pk, outcome="approve", comment="looks fine", user=bob)
    assignment.release(first.pk, user=ann)
    assert assignment.take_next(bob).pk == second.pk and assignment.assign(first.pk, user=bob).assigned_to == bob
    actions = list(
        AuditEvent.objects.filter(verification_id=first.pk, action__startswith="case_").values_list(
            "action", "data__assignee"
        )
    )
    assert actions == [("case_assigned", "ann"), ("case_released", "ann"), ("case_assigned", "bob")]
    # A still upload alone: no reason may say a live person was seen, however the decision comes.
    with pytest.raises(DecisionError, match="nothing in this case shows one"):
        record_human_decision(
            first.pk, outcome="approve", reason=ReviewReason.objects.get(code="identity_confirmed"), user=bob
        )
    # Deciding takes the case out of the queue and clears the assignment.
    record_human_decision(
        first.pk, outcome="approve", reason=ReviewReason.objects.get(code="face_match_confirmed"), user=bob
    )
    first.refresh_from_db()
    assert first.status == Verification.Status.APPROVED and first.assigned_to is None
    assert assignment.take_next(ann).pk == third.pk


def test_an_assignment_lapses_and_a_senior_reviewer_may_step_in(no_vendors, roles, django_user_model, settings):
    (case,) = cases_in_review(1)
    ann = user_in(django_user_model, "Reviewer", "ann")
    bob = user_in(django_user_model, "Reviewer", "bob")
    senior = user_in(django_user_model, "Senior reviewer", "sue")
    assignment.take_next(ann)
    with pytest.raises(assignment.AssignmentError):
        assignment.release(case.pk, user=bob)
    assignment.release(case.pk, user=senior)
    assignment.take_next(ann)
    Verification.objects.filter(pk=case.pk).update(
        assigned_at=timezone.now() - timedelta(minutes=settings.KYC_REVIEW_ASSIGNMENT_MINUTES + 1)
    )
    assert assignment.take_next(bob).pk == case.pk  # ann's assignment lapsed


@pytest.mark.parametrize("reviewers", [6])
def test_two_reviewers_never_get_the_same_case(no_vendors, roles, django_user_model, reviewers):
    cases = cases_in_review(4)
    users = [user_in(django_user_model, "Reviewer", f"r{i}") for i in range(reviewers)]
    barrier = threading.Barrier(reviewers)
    got, errors = {}, []

    def work(user):
        try:
            barrier.wait()
            found = assignment.take_next(user)
            got[user.username] = found.pk if found else None
        except Exception as exc:  # surfaced below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(u,)) for u in users]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not errors
    taken = [pk for pk in got.values() if pk]
    assert sorted(taken) == sorted(v.pk for v in cases)  # every case once, nobody twice
    assert list(got.values()).count(None) == reviewers - len(cases)
    for v in Verification.objects.filter(pk__in=taken).select_related("assigned_to"):
        assert got[v.assigned_to.username] == v.pk
    assert AuditEvent.objects.filter(action="case_assigned").count() == len(cases)


def test_queue_filters_and_sla(no_vendors, roles, django_user_model, client, settings):
    old, new = cases_in_review(2)
    Verification.objects.filter(pk=old.pk).update(
        decided_at=timezone.now() - timedelta(hours=settings.KYC_REVIEW_SLA_HOURS + 2)
    )
    Check.objects.create(
        verification=new,
        kind="compare",
        subject="pair",
        vendor="baidu",
        status="completed",
        score=76.0,
        threshold=80.0,
        passed=False,
        risk_level="2",
    )
    Verification.objects.filter(pk=new.pk).update(risk_level="2")  # as if assessed with that check
    ann = user_in(django_user_model, "Reviewer", "ann")
    client.force_login(ann)
    url = reverse("admin:onboarding_reviewcase_changelist")

    def listed(query=""):
        page = client.get(url + query).content.decode()
        return {v for v in (old, new) if str(v.pk)[:8] in page}

    assert listed() == {old, new}
    assert "overdue by" in client.get(url).content.decode()
    assert listed("?sla=overdue") == {old}
    assert listed("?vendor=baidu") == {new}
    assert listed("?risk=2") == {new} and listed("?risk=1") == set() and listed("?risk=3") == {old}
    assert listed("?band=below") == {new} and listed("?band=above") == set()
    assert listed("?reason=compare_not_checked") == {old, new}
    assert listed("?reason=compare_borderline") == set()
    assignment.take_next(ann)
    assert listed("?assigned=mine") == {old} and listed("?assigned=free") == {new}
    r = client.post(reverse("admin:onboarding_reviewcase_take_next"))
    assert r.status_code == 302 and r.url == reverse("admin:onboarding_verification_change", args=[old.pk])


def test_list_pages_cost_the_same_queries_whatever_their_length(no_vendors, roles, django_user_model, client):
    client.force_login(user_in(django_user_model, "KYC administrator", "admin"))
    pages = [
        reverse("admin:onboarding_reviewcase_changelist"),
        reverse("admin:onboarding_verification_changelist"),
        reverse("admin:onboarding_check_changelist"),
    ]

    def queries():
        counts = []
        for page in pages:
            with CaptureQueriesContext(connection) as ctx:
                assert client.get(page).status_code == 200
            counts.append(len(ctx.captured_queries))
        return counts

    cases_in_review(2)
    few = queries()
    for v in cases_in_review(6):
        Check.objects.create(
            verification=v,
            kind="compare",
            subject="pair",
            vendor="local",
            status="completed",
            score=60.0,
            threshold=50.0,
            passed=True,
        )
    assert queries() == few


# Roles -----------------------------------------------------------------------------------------
ROLE_ACCESS = {
    # page: roles that get it (the others get 403)
    "queue": {"Reviewer", "Senior reviewer", "Auditor", "KYC administrator"},
    "case": {"Reviewer", "Senior reviewer", "Auditor", "KYC administrator"},
    "decide": {"Reviewer", "Senior reviewer", "KYC administrator"},
    "assign": {"Reviewer", "Senior reviewer", "KYC administrator"},
    "dashboard": {"Senior reviewer", "Auditor", "KYC administrator"},
    "whatif": {"Senior reviewer", "Auditor", "KYC administrator"},
    "evidence": {"Senior reviewer", "Auditor", "KYC administrator"},
    "reasons": {"KYC administrator"},
    "send webhook again": {"KYC administrator"},
}


def a_webhook_delivery(case):
    from onboarding.models import ApiClient, WebhookDelivery, WebhookEndpoint, WebhookEvent

    client = ApiClient.objects.create(name=f"c-{case.pk}")
    endpoint = WebhookEndpoint.objects.create(client=client, url="https://93.184.215.14/hooks", secret="whsec_x")
    event = WebhookEvent.objects.create(client=client, type="decision.made", verification=case, sequence=1, payload={})
    return WebhookDelivery.objects.create(event=event, endpoint=endpoint, status=WebhookDelivery.Status.FAILED)


@pytest.mark.parametrize("role", ["Reviewer", "Senior reviewer", "Auditor", "KYC administrator"])
def test_each_role_gets_its_pages_and_no_others(no_vendors, roles, django_user_model, client, role):
    (case,) = cases_in_review(1)
    client.force_login(user_in(django_user_model, role))
    delivery = a_webhook_delivery(case)
    requests = {
        "queue": ("get", reverse("admin:onboarding_reviewcase_changelist"), {}),
        "case": ("get", reverse("admin:onboarding_verification_change", args=[case.pk]), {}),
        "decide": (
            "post",
            reverse("admin:onboarding_verification_decide", args=[case.pk]),
            {"outcome": "reject", "reason": "document_unusable"},
        ),
        "assign": ("post", reverse("admin:onboarding_verification_assign", args=[case.pk]), {}),
        "dashboard": ("get", reverse("admin:onboarding_dashboard"), {}),
        "whatif": ("get", reverse("admin:onboarding_whatif"), {}),
        "evidence": ("post", reverse("admin:onboarding_verification_evidence", args=[case.pk]), {}),
        "reasons": ("get", reverse("admin:onboarding_reviewreason_add"), {}),
        "send webhook again": (
            "post",
            reverse("admin:onboarding_webhookdelivery_changelist"),
            {"action": "redeliver", "_selected_action": [str(delivery.pk)]},
        ),
    }
    for page, (method, url, data) in requests.items():
        status = getattr(client, method)(url, data).status_code
        if page == "send webhook again":  # an action: 302 when done; not offered (200, "no action") otherwise
            sent = AuditEvent.objects.filter(action="webhook_redelivered").exists()
            assert sent == (role in ROLE_ACCESS[page]), (page, status)
            continue
        if role in ROLE_ACCESS[page]:
            assert status in (200, 302), (page, status)
        else:
            assert status == 403, (page, status)
    case.refresh_from_db()
    decided = role in ROLE_ACCESS["decide"]
    assert case.status == (Verification.Status.REJECTED if decided else Verification.Status.NEEDS_REVIEW)


# Duplicate signals -----------------------------------------------------------------------------
def test_the_same_face_or_photo_under_another_applicant_is_flagged_with_links(
    no_vendors, roles, settings, client, django_user_model
):
    first = submitted_verification("obama_1", "obama_2")
    same_face = submitted_verification("obama_2", "obama_1")  # another photo of the same man
    same_photo = submitted_verification("obama_1", "obama_2")  # the very same files
    stranger = submitted_verification("biden_1", "biden_2")  # nobody else's face
    for v in (first, same_face, same_photo, stranger):
        duplicates.scan(v.pk)
    signals = {
        (s.verification_id, s.kind, s.photo.kind, s.other_verification_id)
        for s in DuplicateSignal.objects.select_related("photo")
    }
    assert (same_face.pk, "same_face", "selfie", first.pk) in signals
    assert (same_photo.pk, "same_photo", "selfie", first.pk) in signals
    assert (same_photo.pk, "same_photo", "id_card", first.pk) in signals
    assert (same_photo.pk, "same_face", "selfie", same_face.pk) in signals
    assert not any(stranger.pk in (v, other) for v, _kind, _subject, other in signals)
    pair = DuplicateSignal.objects.get(
        verification=same_face, kind="same_face", photo=same_face.selfie, other_photo=first.selfie
    )
    assert 0.3 < pair.distance < settings.KYC_DUPLICATE_FACE_DISTANCE
    # Idempotent: a second run adds nothing and the trail has one event per case that had news.
    stored = DuplicateSignal.objects.count()
    assert duplicates.scan(same_photo.pk) == [] and DuplicateSignal.objects.count() == stored
    assert AuditEvent.objects.filter(action="duplicate_flagged", verification_id=same_photo.pk).count() == 1
    # Both cases' pages link to each other.
    client.force_login(user_in(django_user_model, "Reviewer"))
    for here, there in ((same_face, first), (first, same_face)):
        page = client.get(reverse("admin:onboarding_verification_change", args=[here.pk])).content.decode()
        assert "Duplicate signals" in page and reverse("admin:onboarding_verification_change", args=[there.pk]) in page


def test_a_case_keeps_its_duplicate_signal_when_the_other_applicant_is_deleted(
    no_vendors, roles, client, django_user_model
):
    first = submitted_verification("obama_1", "obama_2")
    later = submitted_verification("obama_2", "obama_1")
    for v in (first, later):
        duplicates.scan(v.pk)
    found = DuplicateSignal.objects.filter(verification=later, other_applicant=first.applicant_id).count()
    assert found > 0
    # The first case is past the decisions period: it goes with its applicant; the later case stays.
    long_ago = timezone.now() - timedelta(days=5 * 365 + 1)
    Verification.objects.filter(pk=first.pk).update(status=Verification.Status.REJECTED, decided_at=long_ago)
    Applicant.objects.filter(pk=first.applicant_id).update(created_at=long_ago)
    Photo.objects.filter(applicant_id=first.applicant_id).update(created_at=long_ago)
    done = retention.purge()
    assert done["applicants"] == 1 and not Applicant.objects.filter(pk=first.applicant_id).exists()
    kept = DuplicateSignal.objects.filter(verification=later)
    assert kept.count() == found
    assert {(s.other_applicant_id, s.other_photo_id, s.other_verification_id) for s in kept} == {(None, None, None)}
    assert all(s.distance is not None for s in kept if s.kind == "same_face")
    client.force_login(user_in(django_user_model, "Reviewer"))
    page = client.get(reverse("admin:onboarding_verification_change", args=[later.pk])).content.decode()
    assert "matched a photo of another applicant, since deleted" in page


def test_erasure_leaves_other_cases_their_matches_and_the_receipt_says_so(no_vendors):
    from onboarding.services.compliance.audit import Actor
    from onboarding.services.compliance.erasure import erase_applicant

    first = submitted_verification("obama_1", "obama_2")
    later = submitted_verification("obama_2", "obama_1")
    for v in (first, later):
        duplicates.scan(v.pk)
    naming_first = DuplicateSignal.objects.filter(other_applicant=first.applicant_id)
    theirs = set(naming_first.values_list("pk", "distance"))
    assert theirs
    Verification.objects.filter(pk=first.pk).update(status=Verification.Status.REJECTED, decided_at=timezone.now())
    receipt, _ = erase_applicant(first.applicant_id, actor=Actor.system("test"))
    assert not PhotoAnalysis.objects.filter(photo__applicant=first.applicant_id).exists()
    # The later case's evidence stays, and the receipt names it without counting it (another client's
    # cases may be among them).
    assert set(naming_first.values_list("pk", "distance")) == theirs
    kept = receipt.content["kept"]["duplicate_signals"]
    assert set(kept) == {"until", "why"} and "another applicant's case" in kept["why"]


def test_face_templates_are_encrypted_and_go_with_the_photo(no_vendors, settings):
    v = submitted_verification("obama_1", "obama_2")
    duplicates.scan(v.pk)
    template = PhotoAnalysis.objects.get(photo=v.selfie)
    blob = bytes(template.embedding)
    assert blob.startswith(b"KYC1") and len(decode_embedding(v.selfie_id, blob)) == 128
    long_ago = timezone.now() - timedelta(days=400)
    Verification.objects.filter(pk=v.pk).update(status=Verification.Status.REJECTED, decided_at=long_ago)
    Photo.objects.filter(applicant=v.applicant_id).update(created_at=long_ago)
    assert retention.purge()["photos"] == 2
    assert not PhotoAnalysis.objects.filter(photo__applicant=v.applicant_id).exists()


def test_submission_schedules_the_scan_after_commit(no_vendors, settings):
    settings.KYC_DUPLICATE_SCAN = True
    submitted_verification("obama_1", "obama_2")
    second = submitted_verification("obama_2", "biden_1")
    assert DuplicateSignal.objects.filter(verification=second, kind="same_face").exists()


# Policy what-if --------------------------------------------------------------------------------
def scored_case(score):
    """A case whose local checks passed except, maybe, the compare (threshold 50, margin 5)."""
    applicant = ApplicantFactory()
    selfie = PhotoFactory(applicant=applicant, kind=Photo.Kind.SELFIE, source=face_bytes("obama_1"))
    card = PhotoFactory(applicant=applicant, kind=Photo.Kind.ID_CARD, source=id_card_bytes("obama_2"))
    v = Verification.objects.create(
        applicant=applicant, selfie=selfie, id_card=card, status=Verification.Status.PROCESSING
    )
    for kind, subject in (("quality", "selfie"), ("quality", "id_card"), ("liveness", "selfie")):
        Check.objects.create(
            verification=v,
            kind=kind,
            subject=subject,
            vendor="acedata" if kind == "liveness" else "local",
            status="completed",
            score=90.0 if kind == "liveness" else None,
            threshold=40.0 if kind == "liveness" else None,
            passed=True,
        )
    passed = score >= 50
    Check.objects.create(
        verification=v,
        kind="compare",
        subject="pair",
        vendor="local",
        status="completed",
        score=score,
        threshold=50.0,
        passed=passed,
        reasons=[] if passed else [{"code": "face_mismatch", "message": "no match"}],
    )
    finalize_if_complete(v.pk)
    return v


def test_what_if_on_a_known_set_of_scores(settings):
    settings.KYC_REVIEW_MARGIN = 0.05
    cases = {score: scored_case(score) for score in (30, 45, 52, 58, 70, 90)}
    recorded = {s: v.decisions.get().outcome for s, v in cases.items()}
    assert recorded == {30: "reject", 45: "review", 52: "approve", 58: "approve", 70: "approve", 90: "approve"}
    assert whatif.stored_thresholds() == [
        {"vendor": "acedata", "kind": "liveness", "threshold": 40.0, "checks": 6},
        {"vendor": "local", "kind": "compare", "threshold": 50.0, "checks": 6},
    ]

    unchanged = whatif.replay({("local", "compare"): 50.0})
    assert unchanged.cases == 6 and unchanged.changed == 0 and unchanged.recorded_differs == 0

    stricter = whatif.replay({("local", "compare"): 60.0})
    assert stricter.changed == 3 and stricter.rescored_checks == 2  # 52 and 58 now fail
    assert dict(stricter.matrix) == {
        ("reject", "reject"): 1,
        ("review", "reject"): 1,
        ("approve", "reject"): 1,
        ("approve", "review"): 1,
        ("approve", "approve"): 2,
    }
    assert {c.verification_id for c in stricter.changes} == {str(cases[s].pk) for s in (45, 52, 58)}

    laxer = whatif.replay({("local", "compare"): 40.0, ("acedata", "liveness"): 95.0}, margin=0.0)
    # 30 still fails the compare; the others pass it; every liveness (90) now fails at 95.
    assert laxer.candidate_outcomes == {"reject": 6}
    # Nothing was written.
    assert Decision.objects.count() == 6 and Check.objects.filter(threshold=60.0).count() == 0


def test_what_if_page_shows_the_numbers(roles, django_user_model, client, settings):
    settings.KYC_REVIEW_MARGIN = 0.05
    for score in (30, 45, 52, 58):
        scored_case(score)
    client.force_login(user_in(django_user_model, "Senior reviewer"))
    page = client.get(
        reverse("admin:onboarding_whatif"), {"days": 30, "run": 1, "t_local_compare": 60, "t_acedata_liveness": 40}
    ).content.decode()
    assert "3 of 4 decisions would change" in page
    assert "KYC_THRESHOLD" not in page  # thresholds are policy versions, published from here
    assert "Publish as a new policy version" not in page  # a senior reviewer may replay, not publish


def test_what_if_publishes_the_replayed_thresholds_as_a_policy_version(roles, django_user_model, client):
    from onboarding.models import AuditEvent, PolicyVersion
    from onboarding.services.policy import versions

    for score in (30, 45, 52, 58):
        scored_case(score)
    client.force_login(user_in(django_user_model, "KYC administrator"))
    query = {"days": 30, "run": 1, "t_local_compare": 60, "t_acedata_liveness": 40}
    page = client.get(reverse("admin:onboarding_whatif"), query).content.decode()
    assert "Publish as a new policy version" in page
    before = versions.active().version
    r = client.post(reverse("admin:onboarding_whatif"), {**query, "margin": "", "comment": "stricter compare"})
    row = PolicyVersion.objects.order_by("-id").first()
    assert r.status_code == 302 and r.url == reverse("admin:onboarding_policyversion_change", args=[row.pk])
    policy = versions.active()
    assert policy.version == row.version != before and row.comment == "stricter compare"
    assert policy.raw_threshold("local", "compare") == 60 and policy.raw_threshold("acedata", "liveness") == 40
    event = AuditEvent.objects.filter(action="policy_published").latest("id")
    assert event.data["version"] == row.version and "thresholds" in event.data["changed"]
    # Out of range: refused by the policy's validation, nothing published.
    r = client.post(reverse("admin:onboarding_whatif"), {**query, "t_local_compare": 150})
    assert versions.active().version == row.version


def test_only_a_policy_publisher_may_publish_from_the_what_if(roles, django_user_model, client):
    client.force_login(user_in(django_user_model, "Senior reviewer"))
    r = client.post(reverse("admin:onboarding_whatif"), {"days": 30, "t_local_compare": 60})
    assert r.status_code == 403


# Dashboard -------------------------------------------------------------------------------------
def test_dashboard_shows_the_period(roles, django_user_model, client, settings):
    for score in (30, 52, 70):
        scored_case(score)
    Check.objects.filter(vendor="acedata").update(latency_ms=200)
    client.force_login(user_in(django_user_model, "Auditor"))
    for query in ({}, {"days": 7}, {"start": "2026-01-01", "end": "2026-12-31"}):
        r = client.get(reverse("admin:onboarding_dashboard"), query)
        assert r.status_code == 200
        page = r.content.decode()
        assert page.count('src="data:image/svg+xml;base64,') >= 3  # per day, latency, score histograms
        assert "acedata" in page and "200.0" in page  # latency percentiles
    bad = client.get(reverse("admin:onboarding_dashboard"), {"start": "2026-02-01"}).content.decode()
    assert "Give both dates, or neither." in bad


def test_the_workspace_speaks_simplified_chinese(no_vendors, roles, django_user_model, client):
    (case,) = cases_in_review(1)
    client.force_login(user_in(django_user_model, "Senior reviewer"))
    pages = {
        reverse("admin:onboarding_reviewcase_changelist"): ["审核队列", "领取下一个案件", "审核时限"],
        reverse("admin:onboarding_verification_change", args=[case.pk]): ["领取此案件", "键盘快捷键", "审计记录"],
        reverse("admin:onboarding_dashboard"): ["仪表盘", "漏斗：从开始到决定", "供应商：延迟与错误"],
        reverse("admin:onboarding_whatif"): ["策略模拟", "候选阈值"],
    }
    for url, phrases in pages.items():
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
        for phrase in phrases:
            assert phrase in page, (url, phrase)


def test_the_score_histogram_counts_whole_checks_in_the_pages_lettering():
    from onboarding.charts import histogram_figure

    fig = histogram_figure([61.0, 62.5, 70.0, 88.0], threshold=80, title="baidu compare", scale="0-100")
    ax = fig.axes[0]
    assert all(float(t).is_integer() for t in ax.get_yticks())
    assert tuple(fig.get_size_inches()) == (7.0, 2.8)  # the other charts' size: same lettering on the page
    assert all(label.get_fontsize() == 8 for label in ax.get_yticklabels())
