"""Staff login brute force, security headers and CSP, and `check --deploy` with production settings."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db(transaction=True)
ROOT = Path(__file__).resolve().parents[2]


def login(client, password, username="reviewer", **extra):
    return client.post(reverse("admin:login"), {"username": username, "password": password, "next": "/admin/"}, **extra)


def test_staff_login_locks_after_repeated_failures(staff_user, settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "staff_login_failures": "3/900"}
    client = Client()
    for _ in range(3):
        r = login(client, "wrong")
        assert r.status_code == 200 and "correct username and password" in r.content.decode()
    r = login(client, "pw-for-tests-only")  # even the right password waits out the cool-down
    assert r.status_code == 200 and "Too many failed sign-ins. Please wait 15 minutes" in r.content.decode()
    # Nobody can lock a colleague out from elsewhere: the lock is per address and per user name at it.
    assert login(Client(REMOTE_ADDR="198.51.100.9"), "pw-for-tests-only").status_code == 302
    # ...and from the locked address, no other user name may be tried either.
    r = login(Client(), "x", username="other")
    assert "Too many failed sign-ins" in r.content.decode()


def test_a_good_login_is_not_counted(staff_user, settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "staff_login_failures": "3/900"}
    for _ in range(5):
        client = Client()
        assert login(client, "pw-for-tests-only").status_code == 302


@pytest.mark.parametrize("url", ["/", "/admin/login/", "/api/v1/verifications/", "/api/docs/"])
def test_security_headers_and_csp(url):
    r = Client().get(url)
    csp = r["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert "unsafe-inline" not in csp
    assert r["X-Frame-Options"] == "DENY" and r["X-Content-Type-Options"] == "nosniff"
    assert r["Referrer-Policy"] == "same-origin"


def test_forms_carry_csrf_tokens():
    r = Client(enforce_csrf_checks=True).post(reverse("onboarding:start"), {"agree": "on"})
    assert r.status_code == 403


@pytest.mark.parametrize("contact", ["support@example.com", ""])
def test_check_deploy_is_clean_with_production_settings(tmp_path, contact):
    """Clean once set up, the applicants' support contact included (kyc.W005 without it)."""
    from onboarding.encryption import new_key

    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "KYC_"))}
    env.update(
        DJANGO_SETTINGS_MODULE="kyc.settings",
        DJANGO_DEBUG="false",
        KYC_VAR_DIR=str(tmp_path),
        DJANGO_SECRET_KEY="x" * 20 + new_key() + new_key(),
        KYC_ENCRYPTION_KEYS=new_key(),
        DJANGO_ALLOWED_HOSTS="kyc.example.com",
        DJANGO_SECURE_HSTS_PRELOAD="true",
        DJANGO_STATIC_ROOT=str(tmp_path / "static"),
        KYC_SUPPORT_CONTACT=contact,
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    if not contact:
        assert result.returncode != 0 and "kyc.W005" in result.stdout + result.stderr
        return
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def staff_in(django_user_model, name, role):
    from django.contrib.auth.models import Group

    from onboarding.roles import ensure_roles

    ensure_roles()  # transactional tests flush what the migration created
    user = django_user_model.objects.create_user(name, password="pw-for-tests-only", is_staff=True)
    user.groups.add(Group.objects.get(name=role))
    return user


def test_roles_exist_with_their_permissions(django_user_model):
    reviewer = staff_in(django_user_model, "r", "Reviewer")
    senior = staff_in(django_user_model, "s", "Senior reviewer")
    auditor = staff_in(django_user_model, "a", "Auditor")
    admin = staff_in(django_user_model, "k", "KYC administrator")
    assert reviewer.has_perm("onboarding.decide_verification") and not reviewer.has_perm("onboarding.overturn_decision")
    assert senior.has_perm("onboarding.overturn_decision") and senior.has_perm("onboarding.export_evidence")
    assert auditor.has_perm("onboarding.view_auditevent") and not auditor.has_perm("onboarding.decide_verification")
    assert not auditor.has_perm("onboarding.change_verification")
    assert admin.has_perm("onboarding.add_apiclient") and admin.has_perm("onboarding.overturn_decision")


def test_overturning_an_automatic_reject_takes_two_senior_reviewers(django_user_model):
    from onboarding.models import AuditEvent, OverturnRequest, Verification
    from onboarding.services.review.decisions import DecisionError, confirm_overturn, record_human_decision
    from tests.factories import submitted_verification

    v = submitted_verification("leslie_1", "biden_2")
    v.refresh_from_db()
    assert v.status == Verification.Status.REJECTED
    reviewer = staff_in(django_user_model, "r", "Reviewer")
    first, second = (
        staff_in(django_user_model, "s1", "Senior reviewer"),
        staff_in(django_user_model, "s2", "Senior reviewer"),
    )
    with pytest.raises(DecisionError, match="only a senior reviewer"):
        record_human_decision(v.pk, outcome="approve", comment="same person, old card", user=reviewer)
    request = record_human_decision(v.pk, outcome="approve", comment="same person, old card", user=first)
    assert isinstance(request, OverturnRequest)
    v.refresh_from_db()
    assert v.status == Verification.Status.REJECTED  # nothing changes with one person
    with pytest.raises(DecisionError, match="someone other"):
        confirm_overturn(request.pk, user=first)
    with pytest.raises(DecisionError, match="senior reviewer"):
        confirm_overturn(request.pk, user=reviewer)
    decision = confirm_overturn(request.pk, user=second)
    v.refresh_from_db()
    assert v.status == Verification.Status.APPROVED and decision.decided_by == second
    actions = list(AuditEvent.objects.filter(verification_id=v.pk).values_list("action", flat=True))
    assert "overturn_requested" in actions and actions[-1] == "human_decision"
    assert AuditEvent.objects.filter(verification_id=v.pk).last().data["requested_by"] == "s1"
    # Rejecting an automatic approval, or deciding a case in review, stays one person's call.
    ok = submitted_verification("obama_1", "obama_2")
    record_human_decision(ok.pk, outcome="reject", comment="document expired", user=reviewer)


def test_the_second_reviewer_confirms_in_the_admin(client, django_user_model):
    from onboarding.models import Verification
    from onboarding.services.review.decisions import record_human_decision
    from tests.factories import submitted_verification

    v = submitted_verification("leslie_1", "biden_2")
    first, second = (
        staff_in(django_user_model, "s1", "Senior reviewer"),
        staff_in(django_user_model, "s2", "Senior reviewer"),
    )
    request = record_human_decision(v.pk, outcome="approve", comment="checked by phone", user=first)
    client.force_login(first)
    page = client.get(reverse("admin:onboarding_verification_change", args=[v.pk])).content.decode()
    assert "Confirm overturn" not in page  # not offered to the one who asked
    client.force_login(second)
    page = client.get(reverse("admin:onboarding_verification_change", args=[v.pk])).content.decode()
    url = reverse("admin:onboarding_verification_overturn", args=[v.pk, request.pk])
    assert url in page and "checked by phone" in client.get(url).content.decode()
    assert client.post(url).status_code == 302
    assert Verification.objects.get(pk=v.pk).status == Verification.Status.APPROVED
