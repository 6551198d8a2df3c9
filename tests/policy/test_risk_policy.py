"""Issue 12: one risk level per case, the policy as audited versions, routing, shadow vendors.

Known score sets first (pure functions), then whole cases through the services, the admin, the
API and the command line.
"""

import io
import json
from collections import Counter
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from onboarding.models import AuditEvent, Check, Decision, DuplicateSignal, PolicyVersion, Verification
from onboarding.roles import ensure_roles
from onboarding.selectors import dashboard
from onboarding.services.compliance import audit
from onboarding.services.pipeline.decisions import finalize_if_complete
from onboarding.services.pipeline.verifications import vendor_plan
from onboarding.services.policy import risk, rules, versions
from tests.admin.test_review import user_in
from tests.factories import ApplicantFactory, submitted_verification
from tests.policy.test_policy import check


def good(compare_score=70, **compare):
    return [
        check("quality", "selfie"),
        check("quality", "id_card"),
        check("liveness", score=90, threshold=40, vendor="acedata", score_scale="0-100 liveness"),
        check("compare", "pair", score=compare_score, threshold=50, score_scale="0-100 similarity", **compare),
    ]


def P(**config):
    return versions.Policy("test", versions.complete(config))


def assess(checks, p=None, **kw):
    return risk.assess(checks, policy=p or P(), **kw)


def codes(reasons):
    return [r["code"] for r in reasons]


# The risk level on known score sets -------------------------------------------------------------
def test_all_clear_is_level_4_and_approved():
    a = assess(good())
    assert (a.level, a.reasons) == ("4", [])
    assert rules.evaluate(good(), policy=P(), risk=a).outcome == Decision.Outcome.APPROVE


def test_a_vendor_risk_level_is_taken_as_given_and_sends_level_2_to_review():
    checks = good()
    checks[3] = check(
        "compare",
        "pair",
        score=95,
        threshold=80,
        vendor="baidu",
        risk_level="2",
        risk_tags=["emulator"],
        score_scale="0-100 similarity",
    )
    a = assess(checks)
    assert a.level == "2" and a.reasons[0] == {
        "code": "vendor_risk_level",
        "level": "2",
        "message": "risk level given by the vendor",
        "vendor": "baidu",
        "kind": "compare",
        "subject": "pair",
        "tags": ["emulator"],
    }
    e = rules.evaluate(checks, policy=P(), risk=a)
    assert e.outcome == Decision.Outcome.REVIEW and codes(e.reasons) == ["high_risk"]
    # The same case under a policy that reviews only from level "1" is approved, still at level 2.
    assert rules.evaluate(checks, policy=P(risk={"review_level": "1"}), risk=a).outcome == "approve"


def test_a_pass_close_to_the_threshold_is_ordinary_not_reviewed():
    a = assess(good(52))  # 2 points over 50 on a 0-100 scale, inside near_margin 0.05
    assert a.level == "3" and codes(a.reasons) == ["near_threshold"]
    assert a.reasons[0]["margin"] == 0.02 and a.reasons[0]["score"] == 52
    assert rules.evaluate(good(52), policy=P(), risk=a).outcome == Decision.Outcome.APPROVE
    assert assess(good(60)).level == "4"


def test_a_score_that_does_not_decide_is_no_close_call():
    # Local active liveness passes on the turns seen: 100 of a threshold of 100 is not "near".
    checks = good()
    checks[2] = check(
        "liveness",
        score=100,
        threshold=100,
        vendor="local",
        score_scale="0-100 share of the challenge's head turns seen, in order",
    )
    assert assess(checks).level == "4"


def test_the_margin_is_measured_on_each_vendors_own_scale():
    near = check("compare", "pair", score=0.72, threshold=0.7, vendor="linkface", score_scale="0-1 verify_score")
    far_above = check("compare", "pair", score=0.9, threshold=0.7, vendor="linkface", score_scale="0-1 verify_score")
    assert assess(good()[:3] + [near]).level == "3" and assess(good()[:3] + [far_above]).level == "4"


@pytest.mark.parametrize(
    "changed,level,reason",
    [
        (check("compare", "pair", passed=False, score=20, threshold=50, score_scale="0-100"), "1", "face_mismatch"),
        (
            check("compare", "pair", passed=False, score=47, threshold=50, score_scale="0-100"),
            "2",
            "compare_borderline",
        ),
        (check("liveness", passed=False, score=10, threshold=40, vendor="acedata"), "1", "liveness_failed"),
        (check("liveness", status=Check.Status.NOT_APPLICABLE, passed=None), "3", "check_not_done"),
        (
            check(
                "liveness",
                status=Check.Status.FAILED,
                passed=None,
                error_category="retryable",
                error_code="5xx",
                vendor="tencent",
            ),
            "3",
            "check_not_done",
        ),
        (
            check("quality", passed=True, reasons=[{"code": "pad_heuristic_flag", "message": "moire"}]),
            "2",
            "presentation_attack_suspected",
        ),
    ],
)
def test_failed_and_skipped_checks(changed, level, reason):
    checks = good()
    checks[{"compare": 3, "liveness": 2, "quality": 0}[changed.kind]] = changed
    a = assess(checks)
    assert a.level == level and a.reasons[0]["code"] == reason


def test_duplicates_and_velocity_raise_the_level_and_go_to_review():
    a = assess(good(), duplicates=["same_photo", "same_face"])
    assert a.level == "1" and codes(a.reasons) == ["duplicate_photo", "duplicate_face"]
    e = rules.evaluate(good(), policy=P(), risk=a)
    assert e.outcome == Decision.Outcome.REVIEW and codes(e.reasons) == ["duplicate_face", "duplicate_photo"]
    fast = assess(good(), attempts=4)
    assert fast.level == "2" and fast.reasons[0]["attempts"] == 4 and fast.reasons[0]["window_hours"] == 24
    assert assess(good(), attempts=3).level == "4"  # velocity_attempts 3: the fourth is one too many
    # An operator who does not want duplicates to stop approvals says so in review_on.
    quiet = P(review_on=["compare_borderline"], risk={"review_level": None})
    assert rules.evaluate(good(), policy=quiet, risk=a).outcome == Decision.Outcome.APPROVE


def test_a_policy_written_as_far_targets_treats_vendors_alike():
    p = P(far={"compare": {"accept": 1e-4, "review": 1e-3}})

    def outcome(vendor, score, threshold, scale):
        c = check(
            "compare",
            "pair",
            vendor=vendor,
            score=score,
            threshold=threshold,
            passed=score >= threshold,
            score_scale=scale,
        )
        from onboarding.services.policy.scoring import apply_policy

        apply_policy(c, p)
        checks = good()[:3] + [c]
        return rules.evaluate(checks, policy=p, risk=risk.assess(checks, policy=p)).outcome

    assert outcome("linkface", 0.75, 0.7, "0-1") == outcome("baidu", 90, 80, "0-100") == "approve"
    assert outcome("linkface", 0.65, 0.7, "0-1") == "review"  # FAR ≈ 3e-4: inside the review band
    assert outcome("linkface", 0.55, 0.7, "0-1") == "reject"  # FAR ≈ 3e-3: clearly above it
    # The shipped local curve (32 impostor pairs) cannot show 1e-4: a pass goes to a person.
    assert outcome("local", 70, 50, "0-100") == "review"


# The policy as audited versions -----------------------------------------------------------------
@pytest.mark.django_db
def test_publish_validates_versions_and_audits():
    assert versions.active().built_in
    with pytest.raises(versions.PolicyError) as bad:
        versions.publish(
            {
                "far": {"compare": {"accept": 2}},
                "routing": {"compare": {"vendors": [{"vendor": "acedata", "weight": 50}]}},
                "review_on": ["nap"],
                "colour": 1,
            },
            actor=audit.Actor.system("t"),
        )
    problems = "\n".join(bad.value.problems)
    for expected in (
        "unknown key 'colour'",
        "far.compare.accept",
        "acedata does not do compare checks",
        "add up to 100",
        "unknown signal 'nap'",
    ):
        assert expected in problems
    assert not PolicyVersion.objects.exists()
    row, created = versions.publish(
        {"far": {"compare": {"accept": 1e-4, "review": 1e-3}}}, actor=audit.Actor.system("t"), comment="FAR targets"
    )
    assert created and versions.active().version == row.version and row.version.endswith(".1")
    again, created = versions.publish(
        {"far": {"compare": {"accept": 1e-4, "review": 1e-3}}}, actor=audit.Actor.system("t")
    )
    assert not created and again.pk == row.pk and PolicyVersion.objects.count() == 1
    event = AuditEvent.objects.get(action="policy_published")
    assert event.data["version"] == row.version and event.data["changed"] == ["far"]
    assert event.data["previous_version"] == "default-2026.11"
    with pytest.raises(PermissionError):
        row.save()
    with pytest.raises(PermissionError):
        PolicyVersion.objects.update(config={})


@pytest.mark.django_db(transaction=True)
def test_the_policy_in_force_is_read_once_a_second_and_a_publication_is_seen_at_once(settings, monkeypatch):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    now = [1000.0]
    monkeypatch.setattr(versions.time, "monotonic", lambda: now[0])
    with CaptureQueriesContext(connection) as queries:
        first, second = versions.active(), versions.active()
    assert first is second and len(queries) == 1  # every stored answer asks: one query a second
    settings.KYC_REVIEW_MARGIN = 0.3  # the built-in policy follows settings: a change is seen at once
    assert versions.active().review_margin == 0.3
    row, _ = versions.publish({"review_margin": 0.02}, actor=audit.Actor.system("t"))
    assert versions.active().version == row.version  # publishing, in this process: at once
    # Another process's publication (a row this process did not write): within MEMO_SECONDS.
    PolicyVersion.objects.create(version="elsewhere", config=versions.complete({}), digest="x")
    assert versions.active().version == row.version
    now[0] += versions.MEMO_SECONDS
    assert versions.active().version == "elsewhere"


@pytest.mark.django_db(transaction=True)
def test_a_policy_version_edited_by_sql_is_found_by_verify_audit():
    from django.core.management.base import CommandError
    from django.db import connection

    row, _ = versions.publish({"review_margin": 0.02}, actor=audit.Actor.system("t"))
    call_command("verify_audit", "--seal", stdout=io.StringIO())
    laxer = dict(row.config, review_margin=0.2)
    with connection.cursor() as cursor:  # the row and its digest column, changed together
        cursor.execute(
            f"UPDATE {PolicyVersion._meta.db_table} SET config = %s, digest = %s WHERE id = %s",
            [json.dumps(laxer), versions.digest(laxer), row.pk],
        )
    with pytest.raises(CommandError, match=f"policy version.*{row.version}.*changed after publication"):
        call_command("verify_audit", stdout=io.StringIO())


@pytest.mark.django_db(transaction=True)
def test_every_decision_records_the_policy_version_and_the_case_its_risk(settings):
    versions.publish({"version": "strict-1", "required": ["quality", "compare"]}, actor=audit.Actor.system("t"))
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    decision = v.decisions.get()
    # Liveness is no longer required: the local engine's "not applicable" does not hold the case.
    assert decision.policy_version == "strict-1" and v.status == Verification.Status.APPROVED, decision.reasons
    assert (
        v.risk_level in ("3", "4") and AuditEvent.objects.get(action="auto_decision").data["risk_level"] == v.risk_level
    )


@pytest.mark.django_db(transaction=True)
def test_kyc_policy_command_publishes_a_file_once(tmp_path):
    path = tmp_path / "rules.json"
    path.write_text(json.dumps({"version": "ops-7", "review_margin": 0.02}))
    out = io.StringIO()
    call_command("kyc_policy", "publish", str(path), stdout=out)
    call_command("kyc_policy", "publish", str(path), stdout=out)
    assert out.getvalue().splitlines() == ["published ops-7", "already in force: ops-7"]
    shown = io.StringIO()
    call_command("kyc_policy", "show", stdout=shown)
    assert json.loads(shown.getvalue())["review_margin"] == 0.02
    path.write_text(json.dumps({"review_margin": 3}))
    with pytest.raises(Exception, match="review_margin"):
        call_command("kyc_policy", "publish", str(path), "--check")


@pytest.mark.django_db(transaction=True)
def test_admin_publishes_views_and_rolls_back(client, django_user_model):
    ensure_roles()
    admin_user = user_in(django_user_model, "KYC administrator", "admin1")
    senior = user_in(django_user_model, "Senior reviewer", "senior1")
    client.force_login(senior)
    assert client.get(reverse("admin:onboarding_policyversion_add")).status_code == 403
    client.force_login(admin_user)
    page = client.get(reverse("admin:onboarding_policyversion_add"))
    assert page.status_code == 200 and b"default-2026.11" in page.content and b"32 impostor pairs" in page.content
    bad = client.post(reverse("admin:onboarding_policyversion_add"), {"config": '{"review_margin": 9}', "comment": "x"})
    assert bad.status_code == 400 and b"review_margin" in bad.content
    ok = client.post(
        reverse("admin:onboarding_policyversion_add"),
        {
            "config": json.dumps(
                {"routing": {"compare": {"vendors": [{"vendor": "local", "weight": 100}], "shadow": "baidu"}}}
            ),
            "comment": "try Baidu in shadow",
        },
    )
    assert ok.status_code == 302
    first = PolicyVersion.objects.get()
    client.post(reverse("admin:onboarding_policyversion_add"), {"config": "{}", "comment": "stop the trial"})
    assert PolicyVersion.objects.count() == 2 and versions.active().route("compare").shadow is None
    client.force_login(senior)
    assert client.get(reverse("admin:onboarding_policyversion_change", args=[first.pk])).status_code == 200
    client.force_login(admin_user)
    client.post(reverse("admin:onboarding_policyversion_republish", args=[first.pk]))
    assert versions.active().route("compare").shadow == "baidu" and PolicyVersion.objects.count() == 3
    assert list(AuditEvent.objects.filter(action="policy_published").values_list("actor", flat=True)) == ["admin1"] * 3


# Routing -----------------------------------------------------------------------------------------
def test_weights_split_cases_and_the_off_switch_takes_a_vendor_out():
    routed = P(routing={"compare": {"vendors": [{"vendor": "local", "weight": 70}, {"vendor": "baidu", "weight": 30}]}})
    picks = Counter(routed.route("compare").plan(f"case-{i}")[0] for i in range(4000))
    assert 0.67 < picks["local"] / 4000 < 0.73
    assert routed.route("compare").plan("case-1") == routed.route("compare").plan("case-1")  # stable per case
    assert set(routed.route("compare").plan("case-1")) == {"local", "baidu"}  # the other one is the fallback
    outage = P(
        routing={
            "compare": {"vendors": [{"vendor": "local", "weight": 70}, {"vendor": "baidu", "weight": 30, "off": True}]}
        }
    )
    assert {tuple(outage.route("compare").plan(f"c{i}")) for i in range(200)} == {("local",)}


@pytest.mark.django_db
def test_vendor_plan_follows_the_policy_and_env_where_it_is_silent(settings):
    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": ["acedata", "tencent"], "compare": ["local"]}
    p = P(
        routing={
            "compare": {"vendors": [{"vendor": "baidu", "weight": 100}, {"vendor": "local"}], "shadow": "linkface"}
        }
    )
    plan = vendor_plan("some-case", policy=p)
    assert plan["liveness"].vendors == ["acedata", "tencent"] and plan["liveness"].shadow is None
    assert plan["compare"].vendors == ["baidu", "local"] and plan["compare"].shadow == "linkface"


# Shadow vendors ----------------------------------------------------------------------------------
@pytest.fixture
def shadow_baidu(sandbox, settings):
    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": ["local"], "compare": ["local"]}
    versions.publish(
        {
            "required": ["quality", "compare"],
            "routing": {"compare": {"vendors": [{"vendor": "local", "weight": 100}], "shadow": "baidu"}},
        },
        actor=audit.Actor.system("t"),
    )
    return sandbox


@pytest.mark.django_db(transaction=True)
def test_shadow_vendor_is_stored_and_compared_but_never_decides(shadow_baidu):
    same = submitted_verification("obama_1", "obama_2")
    same.refresh_from_db()
    shadow = same.checks.get(role=Check.Role.SHADOW)
    assert shadow.vendor == "baidu" and shadow.kind == "compare" and shadow.passed and shadow.score > 80
    assert (shadow.far, shadow.far_relation) == (1e-4, "≤") and "Baidu" in shadow.far_source
    assert same.status == Verification.Status.APPROVED
    # The shadow fails, the deciding local engine passes: the outcome is the local engine's.
    shadow_baidu.fault("baidu", sticky="malformed")
    other = submitted_verification("leslie_1", "leslie_2")
    other.refresh_from_db()
    assert other.checks.get(role=Check.Role.SHADOW).status == Check.Status.FAILED
    assert other.status == Verification.Status.APPROVED
    rows = dashboard.shadow_agreement(dashboard.Period.last(1))
    assert rows == [
        {
            "kind": "compare",
            "decider": "local",
            "shadow": "baidu",
            "shadow_checks": 2,
            "shadow_without_verdict": 1,
            "pairs": 1,
            "both_passed": 1,
            "both_failed": 0,
            "shadow_stricter": 0,
            "shadow_laxer": 0,
            "agreement": 1.0,
            "sampled": False,
        }
    ]


@pytest.mark.django_db(transaction=True)
def test_decision_does_not_wait_for_the_shadow(settings):
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}
    applicant = ApplicantFactory()
    v = submitted_verification("obama_1", "obama_2", applicant=applicant)
    Verification.objects.filter(pk=v.pk).update(status=Verification.Status.PROCESSING)
    Check.objects.create(verification=v, kind="compare", subject="pair", vendor="baidu", role=Check.Role.SHADOW)
    assert finalize_if_complete(v.pk) is not None


@pytest.mark.django_db(transaction=True)
def test_the_sweeper_finishes_shadow_checks_of_decided_cases(settings):
    from onboarding.services.pipeline.verifications import resume_stalled_shadows

    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}
    v = submitted_verification("obama_1", "obama_2")  # decided at once: nothing to wait for
    lost = Check.objects.create(verification=v, kind="compare", subject="pair", vendor="local", role="shadow")
    too_old = Check.objects.create(verification=v, kind="liveness", subject="selfie", vendor="tencent", role="shadow")
    now = timezone.now()
    assert resume_stalled_shadows(now) == 0  # not stalled yet
    Check.objects.filter(pk=lost.pk).update(created_at=now - timedelta(seconds=settings.KYC_STALLED_AFTER_SECONDS + 5))
    Check.objects.filter(pk=too_old.pk).update(
        created_at=now - timedelta(seconds=settings.KYC_DECISION_DEADLINE_SECONDS + 5)
    )
    assert resume_stalled_shadows(now) == 2
    lost.refresh_from_db()
    too_old.refresh_from_db()
    assert lost.status == Check.Status.COMPLETED and lost.passed and lost.far is not None  # run again
    assert too_old.status == Check.Status.FAILED and too_old.error_code == "deadline_exceeded"
    assert Verification.objects.get(pk=v.pk).decisions.count() == 1  # the decision is not touched


@pytest.mark.django_db
def test_shadow_agreement_classifies_each_pair():
    applicant = ApplicantFactory()
    outcomes = [(True, True), (True, False), (False, True), (False, False), (True, None)]
    for decider_passed, shadow_passed in outcomes:
        v = _bare_case(applicant)
        Check.objects.create(
            verification=v, kind="compare", subject="pair", vendor="local", status="completed", passed=decider_passed
        )
        Check.objects.create(
            verification=v,
            kind="compare",
            subject="pair",
            vendor="baidu",
            role="shadow",
            status="completed" if shadow_passed is not None else "failed",
            passed=shadow_passed,
        )
    [row] = dashboard.shadow_agreement(dashboard.Period.last(1))
    assert (
        row["pairs"],
        row["both_passed"],
        row["both_failed"],
        row["shadow_stricter"],
        row["shadow_laxer"],
        row["shadow_without_verdict"],
    ) == (4, 1, 1, 1, 1, 1)
    assert row["agreement"] == 0.5


def _bare_case(applicant):
    from tests.conftest import face_bytes
    from tests.factories import PhotoFactory

    selfie = PhotoFactory(applicant=applicant, kind="selfie", source=face_bytes("obama_1"))
    card = PhotoFactory(applicant=applicant, kind="id_card", source=face_bytes("obama_2"))
    return Verification.objects.create(applicant=applicant, selfie=selfie, id_card=card)


# Duplicates and velocity in whole cases -------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_decision_waits_for_the_duplicate_scan_and_a_duplicate_face_goes_to_review(settings):
    settings.KYC_DUPLICATE_SCAN = True
    versions.publish({"required": ["quality", "compare"]}, actor=audit.Actor.system("t"))
    first = submitted_verification("obama_1", "obama_2")
    first.refresh_from_db()
    assert first.status == Verification.Status.APPROVED and not first.duplicates_pending
    second = submitted_verification("obama_2", "obama_1")  # the same man under a new applicant
    second.refresh_from_db()
    assert DuplicateSignal.objects.filter(verification=second, kind="same_face").exists()
    assert second.status == Verification.Status.NEEDS_REVIEW and second.risk_level == "2"
    assert "duplicate_face" in codes(second.decisions.get().reasons)


@pytest.mark.django_db(transaction=True)
def test_a_lost_scan_is_redone_by_the_sweeper_and_given_up_at_the_deadline(settings, monkeypatch):
    from onboarding import tasks
    from onboarding.services.pipeline import verifications

    settings.KYC_DUPLICATE_SCAN = True
    monkeypatch.setattr(tasks.scan_duplicates, "apply_async", lambda *a, **k: None)  # the message is lost
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    assert v.status == Verification.Status.PROCESSING and v.duplicates_pending
    later = timezone.now() + timedelta(seconds=settings.KYC_STALLED_AFTER_SECONDS + 1)
    monkeypatch.undo()
    verifications.resume_stalled(later)
    v.refresh_from_db()
    assert not v.duplicates_pending and v.status == Verification.Status.NEEDS_REVIEW
    # A scan never done by the deadline: decided anyway, with the reason.
    monkeypatch.setattr(tasks.scan_duplicates, "apply_async", lambda *a, **k: None)
    w = submitted_verification("leslie_1", "leslie_2")
    verifications.resume_stalled(timezone.now() + timedelta(seconds=settings.KYC_DECISION_DEADLINE_SECONDS + 1))
    w.refresh_from_db()
    assert w.duplicates_error == "not finished before the deadline" and w.is_decided
    assert "duplicates_not_checked" in codes(w.decisions.get().reasons)


@pytest.mark.django_db(transaction=True)
def test_velocity_in_whole_cases(settings):
    settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [], "compare": []}
    applicant = ApplicantFactory()
    cases = [submitted_verification("obama_1", "obama_2", applicant=applicant) for _ in range(4)]
    levels = [Verification.objects.get(pk=v.pk).risk_level for v in cases]
    reasons = Verification.objects.get(pk=cases[-1].pk).risk_reasons
    assert levels[:3] == ["3", "3", "3"] and levels[3] == "2" and "velocity" in codes(reasons)


# What staff and integrators see -----------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_admin_list_filter_and_case_page_show_the_risk(client, django_user_model, settings):
    ensure_roles()
    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": ["local"], "compare": ["local"]}
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    client.force_login(user_in(django_user_model, "Senior reviewer"))
    listing = client.get(reverse("admin:onboarding_verification_changelist"), {"risk": v.risk_level})
    assert str(v.pk)[:8].encode() in listing.content and b"kyc-risk-" + v.risk_level.encode() in listing.content
    other = "1" if v.risk_level != "1" else "4"
    assert (
        str(v.pk)[:8].encode()
        not in client.get(reverse("admin:onboarding_verification_changelist"), {"risk": other}).content
    )
    page = client.get(reverse("admin:onboarding_verification_change", args=[v.pk])).content.decode()
    assert "Why this risk level" in page and "estimated FAR" in page
    assert "&lt; 3.1e-02" in page or "< 3.1e-02" in page  # the local compare's bound, with its source
    assert "measured by evaluate_engine" in page
