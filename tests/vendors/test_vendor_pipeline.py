"""Whole cases through the vendors over real HTTP (the sandbox), and no secret left anywhere."""

import io
import json
import zipfile

import pytest
from django.core.management import call_command

from onboarding.models import AuditEvent, Check, Verification
from tests.conftest import SANDBOX_CREDENTIALS, face, id_card_bytes
from tests.factories import submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def via_sandbox(sandbox, live_server, settings):
    settings.PUBLIC_BASE_URL = live_server.url  # AceData fetches the selfie from the app
    settings.KYC_CHECK_VENDORS = {
        "quality": ["local"],
        "liveness": ["acedata", "tencent"],
        "compare": ["baidu", "local"],
    }
    return sandbox


def test_case_is_approved_through_vendors(via_sandbox):
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    assert v.status == Verification.Status.APPROVED, list(v.decisions.values_list("reasons", flat=True))
    live = v.checks.get(kind="liveness")
    assert live.vendor == "acedata" and live.passed and live.threshold == 40 and live.vendor_request_id == ""
    match = v.checks.get(kind="compare")
    assert match.vendor == "baidu" and match.passed and match.vendor_request_id and match.score > 80
    calls = via_sandbox.calls()
    assert calls["successes"] == {"acedata": 1, "baidu": 1} and calls["duplicated_work"] == {}
    assert AuditEvent.objects.filter(action="vendor_image_fetched", data__vendor="acedata").count() == 1


def test_vendor_outage_retries_then_falls_back(via_sandbox, settings):
    settings.KYC_VENDOR_MAX_RETRIES = 2
    via_sandbox.fault("acedata", sticky="5xx")
    v = submitted_verification("obama_1", "obama_2")
    v.refresh_from_db()
    ace, tencent = v.checks.filter(kind="liveness").order_by("created_at")
    assert ace.status == Check.Status.FAILED and ace.error_category == "retryable" and ace.attempt_count == 3
    assert tencent.vendor == "tencent" and tencent.passed
    assert v.status == Verification.Status.APPROVED
    assert via_sandbox.calls()["calls"]["acedata"] == 3


def test_kyc_verify_with_vendors_through_the_sandbox(via_sandbox, tmp_path):
    card = tmp_path / "card.jpg"
    card.write_bytes(id_card_bytes("leslie_2"))
    out = io.StringIO()
    call_command(
        "kyc_verify",
        "--selfie",
        str(face("leslie_1")),
        "--id-card",
        str(card),
        "--json",
        "--vendors",
        "baidu,acedata",
        stdout=out,
    )
    data = json.loads(out.getvalue())
    assert data["decision"] == "approve", data["reasons"]
    by_kind = {c["kind"]: c for c in data["checks"]}
    assert by_kind["liveness"]["vendor"] == "acedata" and by_kind["compare"]["vendor"] == "baidu"
    assert by_kind["quality"]["vendor"] == "local"  # neither chosen vendor does quality


def test_no_secret_or_image_bytes_in_logs_responses_or_audit(via_sandbox, settings, caplog, client, django_user_model):
    """Every vendor path, successes and failures, with marker secrets; then search all that was written:
    logs, every row of every table, the admin pages staff read, and the evidence packs' case files."""
    caplog.set_level("DEBUG")
    settings.KYC_VENDOR_MAX_RETRIES = 0
    for mode in ("cloud", "legacy"):
        settings.KYC_VENDORS["tencent"]["MODE"] = mode
        settings.KYC_CHECK_VENDORS = {
            "quality": ["local"],
            "liveness": ["tencent", "linkface"],
            "compare": ["baidu", "linkface"],
        }
        submitted_verification("obama_1", "obama_2")
    settings.KYC_CHECK_VENDORS = {"quality": ["local"], "liveness": ["acedata"], "compare": ["baidu"]}
    submitted_verification("biden_1", "obama_2")
    # Failures carry raw bodies too: wrong credentials everywhere.
    for vendor, key in (("acedata", "TOKEN"), ("baidu", "SECRET_KEY"), ("tencent", "SECRET_KEY")):
        settings.KYC_VENDORS[vendor][key] = f"wrong-{vendor}-{key}"
    from django.core.cache import cache

    cache.clear()
    submitted_verification("leslie_1", "leslie_2")
    assert Check.objects.filter(status=Check.Status.FAILED, error_category="configuration").exists()

    from django.apps import apps

    admin = django_user_model.objects.create_superuser("root", password="pw-for-tests-only")
    client.force_login(admin)
    pages = []
    for v in Verification.objects.all():
        pages.append(client.get(f"/admin/onboarding/verification/{v.pk}/change/").content.decode())
        pages.append(
            zipfile.ZipFile(io.BytesIO(client.post(f"/admin/onboarding/verification/{v.pk}/evidence/").content))
            .read("case.json")
            .decode()
        )
    pages += [client.get(f"/admin/onboarding/check/{c.pk}/change/").content.decode() for c in Check.objects.all()]
    assert len(pages) > 10 and "redacted raw response" in pages[-1].lower()
    tables = [list(model.objects.values()) for model in apps.get_app_config("onboarding").get_models()]
    written = caplog.text + json.dumps(tables, default=str) + "".join(pages)
    assert "face_list" in written  # the vendors' answers are among what was searched
    for name, secret in SANDBOX_CREDENTIALS.items():
        if "MARKER" in secret:
            assert secret not in written, name
    assert "access_token=24." not in written and '"access_token": "24.' not in written
    assert "/9j/" not in written  # base64 JPEG


def test_admin_shows_vendor_details_per_check(via_sandbox, client, staff_user):
    from django.urls import reverse

    v = submitted_verification("obama_1", "obama_2")
    client.force_login(staff_user)
    page = client.get(reverse("admin:onboarding_verification_change", args=[v.pk])).content.decode()
    baidu = v.checks.get(vendor="baidu")
    assert str(baidu.request_id) in page and baidu.vendor_request_id in page
    assert "0-100 similarity" in page and "Baidu Face Match V4 document" in page
    check_page = client.get(reverse("admin:onboarding_check_change", args=[baidu.pk])).content.decode()
    assert "face_list" in check_page and "redacted raw response" in check_page.lower()


def test_a_server_error_mail_shows_no_secret(sandbox, settings, client, monkeypatch, mailoutbox):
    """With DEBUG off, Django mails ADMINS the technical report of a 500: settings, request, variables."""
    settings.DEBUG = False
    settings.ADMINS = [("ops", "ops@example.com")]
    client.raise_request_exception = False
    monkeypatch.setattr("onboarding.views.selectors.applicant_status", lambda v: 1 / 0)
    v = submitted_verification("obama_1", "obama_2")
    session = client.session
    session["kyc_applicant_id"] = str(v.applicant_id)
    session.save()
    response = client.get(f"/verify/status/{v.pk}/")
    assert response.status_code == 500 and b"ZeroDivisionError" not in response.content
    (mail,) = mailoutbox
    report = mail.body + "".join(str(content) for content, _type in mail.alternatives)
    assert "ZeroDivisionError" in report and "KYC_VENDORS" in report  # the full report, settings included
    for name, secret in SANDBOX_CREDENTIALS.items():
        if "MARKER" in secret:
            assert secret not in report, name
    assert settings.KYC_ENCRYPTION_KEYS[0] not in report
