"""The applicant's experience through the test client: pre-check, JSON uploads, phone handoff,
outcome pages, branding, and every string translated."""

import io
import re
import uuid
from datetime import timedelta
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from PIL import Image, ImageFilter

from onboarding.models import AuditEvent, Branding, Handoff, Photo, PhotoAnalysis, ReviewReason, Verification
from onboarding.services.applicant import branding, handoff
from onboarding.services.review.decisions import record_human_decision
from tests.applicant.test_views import consent, upload
from tests.conftest import face, face_bytes, id_card_bytes, jpeg_bytes, with_last_scan_repeated
from tests.factories import submitted_verification
from vendors.engine import FaceEngine

pytestmark = pytest.mark.django_db(transaction=True)
LOCALE = Path(__file__).resolve().parents[2] / "locale"


STEP_URLS = {"selfie": "onboarding:selfie", "id-card": "onboarding:id_card"}


def precheck(client, kind, data):
    """What the page does with a shot: send it as the step's photo, then read its checklist."""
    sent = client.post(reverse(STEP_URLS[kind]), {"photo": upload(data)}, HTTP_ACCEPT="application/json")
    if sent.status_code != 200:
        return sent
    return client.get(sent.json()["check_url"], HTTP_ACCEPT="application/json")


def items(response):
    return {i["code"]: i for i in response.json()["items"]}


def test_precheck_passes_good_shots_and_its_analysis_is_the_cases(client, monkeypatch):
    applicant = consent(client)
    selfie = precheck(client, "selfie", face_bytes("obama_1"))
    assert selfie.status_code == 200 and selfie.json()["ok"], selfie.json()
    card = precheck(client, "id-card", id_card_bytes("obama_2"))
    assert card.json()["ok"], card.json()
    # The shots are the step's photos, analysed once on a worker (here: eagerly, after the upload).
    assert PhotoAnalysis.objects.filter(photo__applicant=applicant, has_embedding=True).count() == 2
    detections = []
    real = FaceEngine._locate  # every detection, an analysis's or a frame's
    monkeypatch.setattr(FaceEngine, "_locate", lambda self, *a, **k: detections.append(1) or real(self, *a, **k))
    client.post(reverse("onboarding:confirm"))
    verification = Verification.objects.get(applicant=applicant)
    assert verification.checks.filter(vendor="local", kind__in=["quality", "compare"], passed=True).count() == 3
    assert detections == []  # the checks and the duplicate scan reused the pre-check's analyses


def test_precheck_explains_what_to_fix(client):
    consent(client)
    im = Image.open(face("obama_1")).convert("RGB")
    dark = precheck(client, "selfie", jpeg_bytes(im.point(lambda v: v * 0.15)))
    assert dark.json()["ok"] is False
    assert items(dark)["light"]["ok"] is False and "too dark" in items(dark)["light"]["advice"][0]
    blurred = precheck(client, "selfie", jpeg_bytes(im.filter(ImageFilter.GaussianBlur(8))))
    assert items(blurred)["focus"]["ok"] is False or items(blurred)["face"]["ok"] is False
    empty = precheck(client, "selfie", jpeg_bytes(Image.new("RGB", (640, 480), (120, 130, 140))))
    assert items(empty)["face"]["ok"] is False and "could not find a face" in items(empty)["face"]["advice"][0]
    # A card photographed from across the table.
    far = Image.new("RGB", (2400, 1800), (70, 64, 58))
    far.paste(Image.open(io.BytesIO(id_card_bytes("obama_2"))), (900, 700))
    card = precheck(client, "id-card", jpeg_bytes(far))
    assert items(card)["fill"]["ok"] is False and "Hold the camera closer" in items(card)["fill"]["advice"][0]
    assert items(card)["face"]["ok"] is True


def test_precheck_validates_like_an_upload_and_shows_only_the_senders_photos(client):
    assert precheck(client, "selfie", face_bytes("obama_1")).url == reverse("onboarding:start")  # no session
    consent(client)
    bad = precheck(client, "selfie", b"not an image")
    assert bad.status_code == 400 and "not a photo we can read" in bad.json()["errors"][0]
    assert client.get(reverse("onboarding:precheck", args=[uuid.uuid4()])).status_code == 404
    stranger = Client()
    consent(stranger)
    sent = stranger.post(
        reverse("onboarding:selfie"), {"photo": upload(face_bytes("biden_1"))}, HTTP_ACCEPT="application/json"
    )
    assert client.get(sent.json()["check_url"]).status_code == 404
    assert stranger.get(sent.json()["check_url"]).status_code == 200


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_precheck_waits_for_the_analysis(client, django_capture_on_commit_callbacks):
    consent(client)
    with django_capture_on_commit_callbacks(execute=False):  # no worker has run it yet
        sent = client.post(
            reverse("onboarding:selfie"), {"photo": upload(face_bytes("obama_1"))}, HTTP_ACCEPT="application/json"
        )
    waiting = client.get(sent.json()["check_url"])
    assert waiting.status_code == 202 and waiting.json() == {"ready": False}


def test_precheck_switched_off_analyses_nothing_and_answers_nothing(client, settings):
    settings.KYC_CAPTURE_PRECHECK = False
    consent(client)
    assert "data-precheck" not in client.get(reverse("onboarding:selfie")).content.decode()
    sent = client.post(
        reverse("onboarding:selfie"), {"photo": upload(face_bytes("obama_1"))}, HTTP_ACCEPT="application/json"
    )
    assert sent.json() == {"next": reverse("onboarding:id_card")}
    photo = Photo.objects.get()
    assert client.get(reverse("onboarding:precheck", args=[photo.pk])).status_code == 404
    assert not PhotoAnalysis.objects.exists()


def test_uploads_answer_json_to_the_capture_script(client):
    consent(client)
    json_headers = {"HTTP_ACCEPT": "application/json"}
    ok = client.post(reverse("onboarding:selfie"), {"photo": upload(face_bytes("obama_1"))}, **json_headers)
    photo = Photo.objects.get()
    assert ok.status_code == 200 and ok.json() == {
        "next": reverse("onboarding:id_card"),
        "check_url": reverse("onboarding:precheck", args=[photo.pk]),
    }
    bad = client.post(
        reverse("onboarding:id_card"),
        {"photo": upload(b"GIF89a....")},
        HTTP_ACCEPT="application/json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )
    assert bad.status_code == 400 and "不支持此文件类型" in bad.json()["errors"][0]  # a GIF, known by its first bytes


# Phone handoff -------------------------------------------------------------------------------


def test_handoff_link_is_single_use_and_moves_the_case_to_the_phone(client, django_user_model):
    from django.test import Client

    applicant = consent(client)
    client.post(reverse("onboarding:selfie"), {"photo": upload(face_bytes("obama_1"))})
    started = client.post(reverse("onboarding:handoff_start")).json()
    assert started["qr"].startswith("data:image/svg+xml") and started["link"].endswith(started["code"])
    assert re.fullmatch(r"[2-9A-HJ-NP-Z]{4}-[2-9A-HJ-NP-Z]{4}", started["code"])
    row = Handoff.objects.get()
    assert started["code"].replace("-", "") not in row.code_hash  # only an HMAC is kept
    assert client.get(started["state_url"]).json()["state"] == "waiting"

    phone = Client()
    preview = phone.get(started["link"])  # a chat app's link preview: shows a button, claims nothing
    assert preview.status_code == 200 and Handoff.objects.get().claimed_at is None
    claimed = phone.post(started["link"])
    assert claimed.url == reverse("onboarding:handoff_confirm")  # before any capture: did you start this?
    assert phone.get(reverse("onboarding:id_card")).url == reverse("onboarding:handoff_confirm")
    page = phone.get(claimed.url).content.decode()
    assert "started on another device" in page and "If someone sent you this link" in page
    confirmed = phone.post(claimed.url, {"answer": "yes"})
    assert confirmed.url == reverse("onboarding:id_card")  # the selfie is already there
    assert client.get(started["state_url"]).json()["state"] == "claimed"
    assert "continuing on your phone" in phone.get(confirmed.url).content.decode()

    phone.post(reverse("onboarding:id_card"), {"photo": upload(id_card_bytes("obama_2"))})
    phone.post(reverse("onboarding:confirm"))
    verification = Verification.objects.get(applicant=applicant)
    state = client.get(started["state_url"]).json()
    assert state == {
        "state": "submitted",
        "verification": str(verification.pk),
        "status_url": reverse("onboarding:status", args=[verification.pk]),
    }
    assert client.get(state["status_url"]).status_code == 200  # the desktop sees the result too

    again = Client().post(started["link"])
    assert again.status_code == 410 and "already used" in again.content.decode()
    actions = list(
        AuditEvent.objects.filter(applicant_id=applicant.pk, action__startswith="handoff").values_list(
            "action", flat=True
        )
    )
    assert sorted(actions) == ["handoff_claimed", "handoff_confirmed", "handoff_started"]


def phone_joins(desktop):
    """An attacker's desktop starts a case and a link; a victim's phone opens the link."""
    from django.test import Client

    started = desktop.post(reverse("onboarding:handoff_start")).json()
    phone = Client()
    assert phone.post(started["link"]).url == reverse("onboarding:handoff_confirm")
    return started, phone


def test_reverse_handoff_the_desktop_never_receives_the_phone_s_photos(client):
    consent(client)
    started, phone = phone_joins(client)
    phone.post(reverse("onboarding:handoff_confirm"), {"answer": "yes"})
    phone.post(reverse("onboarding:selfie"), {"photo": upload(face_bytes("obama_1"))})
    phone.post(reverse("onboarding:id_card"), {"photo": upload(id_card_bytes("obama_2"))})
    photos = list(Photo.objects.all())
    assert len(photos) == 2 and all(p.uploaded_via for p in photos)
    for photo in photos:
        assert phone.get(reverse("onboarding:photo", args=[photo.pk])).status_code == 200
        assert client.get(reverse("onboarding:photo", args=[photo.pk])).status_code == 404
    # The desktop follows progress only: its pages show no photo and cannot submit.
    for name in ("onboarding:selfie", "onboarding:id_card", "onboarding:confirm"):
        page = client.get(reverse(name))
        assert page.status_code == 200 and "Your phone has joined" in page.content.decode()
        assert "/verify/photos/" not in page.content.decode()
    client.post(reverse("onboarding:confirm"))
    assert not Verification.objects.exists()
    phone.post(reverse("onboarding:confirm"))
    verification = Verification.objects.get()
    assert client.get(reverse("onboarding:status", args=[verification.pk])).status_code == 200


def test_reverse_handoff_a_phone_that_did_not_start_it_leaves(client):
    consent(client)
    started, phone = phone_joins(client)
    page = phone.post(reverse("onboarding:handoff_confirm"), {"answer": "no"})
    assert "nothing was sent" in page.content.decode()
    assert phone.get(reverse("onboarding:selfie")).url == reverse("onboarding:start")  # out of the case
    assert client.get(started["state_url"]).json()["state"] == "declined"
    assert client.get(reverse("onboarding:selfie")).status_code == 200  # the desktop may carry on itself
    assert AuditEvent.objects.filter(action="handoff_declined").exists()


def test_handoff_expires_and_a_new_code_replaces_the_old(client):
    from django.test import Client

    applicant = consent(client)
    first, first_code = handoff.start(applicant)
    second, second_code = handoff.start(applicant)
    with pytest.raises(handoff.HandoffError) as e:
        handoff.claim(first_code)
    assert e.value.code == "expired"
    Handoff.objects.filter(pk=second.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    response = Client().post(reverse("onboarding:handoff_claim", args=[handoff.display(second_code)]))
    assert response.status_code == 410 and "expired" in response.content.decode()
    assert handoff.state(Handoff.objects.get(pk=second.pk))["state"] == "expired"
    # Typed by hand: case and the dash do not matter.
    third, third_code = handoff.start(applicant)
    assert handoff.claim(third_code.lower()).pk == third.pk


def test_guessing_handoff_codes_is_rate_limited(client, settings):
    settings.KYC_LIMITS = {**settings.KYC_LIMITS, "handoff_failures": "3/600"}
    codes = [client.post(reverse("onboarding:handoff_claim", args=[f"AAAA-AAA{c}"])).status_code for c in "23456"]
    assert codes == [404, 404, 404, 429, 429]


# Outcome pages ---------------------------------------------------------------------------------


def view_status(client, verification):
    from onboarding.access import SESSION_KEY

    session = client.session
    session[SESSION_KEY] = str(verification.applicant_id)
    session.save()
    return client.get(reverse("onboarding:status", args=[verification.pk])).content.decode()


def test_outcome_pages_say_what_happens_next(client, staff_user, settings):
    ReviewReason.seed()
    settings.KYC_REVIEW_SLA_HOURS = 8
    v = submitted_verification()
    v.refresh_from_db()
    assert v.status == Verification.Status.NEEDS_REVIEW
    page = view_status(client, v)
    assert "within 8 hours" in page
    data = client.get(reverse("onboarding:status_json", args=[v.pk])).json()
    assert data["outcome"] == "needs_review" and data["progress"]["done"] == data["progress"]["total"] > 0

    record_human_decision(
        v.pk, outcome="reject", reason=ReviewReason.objects.get(code="document_unusable"), user=staff_user
    )
    page = view_status(client, v)
    assert "We need new photos" in page and reverse("onboarding:id_card") in page

    other = submitted_verification()
    record_human_decision(
        other.pk, outcome="reject", reason=ReviewReason.objects.get(code="document_altered"), user=staff_user
    )
    settings.KYC_SUPPORT_CONTACT = "help@example.com"
    page = view_status(client, other)
    assert "We could not verify you" in page and "help@example.com" in page and "We need new photos" not in page


# Branding --------------------------------------------------------------------------------------


def test_brand_colour_must_be_readable():
    assert branding.validate_color("#1F5FA8") == "#1f5fa8"
    with pytest.raises(ValidationError, match="too light"):
        branding.validate_color("#ffd400")
    with pytest.raises(ValidationError):
        branding.validate_color("blue")
    assert branding.ink_for("#1f5fa8") == "#ffffff"
    assert round(branding.contrast("#000000", "#ffffff"), 1) == 21.0


def test_logo_is_reencoded_and_svg_refused():
    png = io.BytesIO()
    Image.new("RGBA", (400, 200), (200, 0, 0, 128)).save(png, "PNG")
    logo = Image.open(io.BytesIO(branding.validate_logo(png.getvalue())))
    assert logo.format == "PNG" and logo.height == branding.LOGO_STORED_HEIGHT
    with pytest.raises(ValidationError):
        branding.validate_logo(b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    gif = io.BytesIO()
    Image.new("RGB", (400, 200)).save(gif, "GIF")
    with pytest.raises(ValidationError, match="PNG, JPEG or WebP"):  # known by its first bytes, never parsed
        branding.validate_logo(gif.getvalue())
    with pytest.raises(ValidationError, match="not an image"):
        branding.validate_logo(b"not an image at all" * 10)
    jpeg = jpeg_bytes(Image.new("RGB", (400, 200), (200, 0, 0)), progressive=True)
    with pytest.raises(ValidationError):  # a scan repeated thousands of times: seconds of CPU for a few KB
        branding.validate_logo(with_last_scan_repeated(jpeg, 2000))


def test_operator_branding_from_the_admin_reaches_the_pages(admin_client, client):
    png = io.BytesIO()
    Image.new("RGB", (120, 60), (10, 80, 40)).save(png, "PNG")
    png.seek(0)
    png.name = "logo.png"
    response = admin_client.post(
        reverse("admin:onboarding_branding_add"),
        {
            "name": "Acme Bank",
            "primary_color": "#0b6e4f",
            "support_contact": "kyc@acme.example",
            "consent_text": "Acme checks your identity.\n\nWe keep your photos for 30 days.",
            "consent_text_zh_hans": "Acme 核验您的身份。",
            "consent_version": "acme-2",
            "logo_file": png,
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert admin_client.get(reverse("admin:onboarding_branding_changelist")).url.endswith(
        f"/{Branding.objects.get().pk}/change/"
    )
    assert "--accent: #0b6e4f" in client.get(reverse("onboarding:brand_css")).content.decode()
    assert client.get(reverse("onboarding:brand_logo"))["Content-Type"] == "image/png"
    page = client.get(reverse("onboarding:start")).content.decode()
    assert "Acme Bank" in page and "We keep your photos for 30 days." in page and "acme-2" in page
    assert (
        "Acme 核验您的身份" in client.get(reverse("onboarding:start"), HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    applicant = consent(client)
    assert applicant.consent_version == "acme-2"  # what was shown is what is recorded
    event = AuditEvent.objects.get(action="branding_changed")
    assert event.data["primary_color"] == "#0b6e4f" and "We keep" not in str(event.data)


def test_branding_admin_refuses_unreadable_colours_and_unversioned_consent(admin_client):
    response = admin_client.post(
        reverse("admin:onboarding_branding_add"), {"primary_color": "#ffee88", "consent_text": "New text"}
    )
    page = response.content.decode()
    assert response.status_code == 200 and "too light" in page and "Give the new text a version" in page
    assert not Branding.objects.exists()


def test_branding_from_settings(client, settings):
    settings.KYC_BRAND_NAME = "Settings Bank"
    settings.KYC_BRAND_COLOR = "#5a1e82"
    assert "Settings Bank" in client.get(reverse("onboarding:start")).content.decode()
    assert "--accent: #5a1e82" in client.get(reverse("onboarding:brand_css")).content.decode()


# Languages -------------------------------------------------------------------------------------


def untranslated(po: Path) -> list[str]:
    """msgids with an empty or fuzzy translation (a small reader: .po is a simple format)."""
    missing, entries = [], po.read_text().split("\n\n")
    for entry in entries[1:]:
        lines = [line for line in entry.splitlines() if not line.startswith("#~")]
        if not any(line.startswith("msgid") for line in lines):
            continue
        fuzzy = any(line.startswith("#,") and "fuzzy" in line for line in lines)
        text = "\n".join(line for line in lines if not line.startswith("#"))
        msgstrs = re.findall(r'msgstr(?:\[\d\])? "(.*)"((?:\n".*")*)', text)
        if fuzzy or not msgstrs or any(not (a + b.replace('"', "").strip()) for a, b in msgstrs):
            missing.append(text.splitlines()[0])
    return missing


@pytest.mark.parametrize("domain", ["django", "djangojs"])
def test_every_string_is_translated_to_simplified_chinese(domain):
    po = LOCALE / "zh_Hans" / "LC_MESSAGES" / f"{domain}.po"
    assert untranslated(po) == []
