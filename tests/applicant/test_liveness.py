"""Active liveness: bursts from real photos, challenge expiry, reuse and replay, and the decision."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from onboarding.models import AuditEvent, LivenessChallenge, Verification
from onboarding.services.applicant import challenges
from tests.bursts import burst, frame, frontal, turned_left, turned_right
from tests.conftest import face_bytes
from tests.factories import ApplicantFactory, PhotoFactory
from vendors.liveness import random_moves, verify_burst

SELFIE = frame("obama_1")


@pytest.mark.parametrize(
    "moves", [["turn_left", "turn_right"], ["turn_right", "turn_left"], ["turn_left", "turn_right", "turn_left"]]
)
def test_turns_in_the_asked_order_pass(moves):
    verdict = verify_burst(moves, burst(moves), SELFIE)
    assert verdict.passed, verdict
    assert verdict.metrics["moves_seen"] == len(moves)


def test_turns_in_the_wrong_order_fail():
    verdict = verify_burst(
        ["turn_left", "turn_right"], frontal(3) + turned_right() + frontal(1) + turned_left(), SELFIE
    )
    assert verdict.reasons == ["challenge_moves_not_seen"]


def test_a_still_photo_shown_to_the_camera_fails():
    still = frame("obama_1")
    verdict = verify_burst(["turn_left", "turn_right"], [still] * 10, SELFIE)
    assert "challenge_still_image" in verdict.reasons and "challenge_moves_not_seen" in verdict.reasons


def test_a_photo_moved_around_without_turning_fails():
    verdict = verify_burst(["turn_left", "turn_right"], [frame("obama_1", shift=4 * i) for i in range(10)], SELFIE)
    assert verdict.reasons == ["challenge_moves_not_seen"]


def test_another_face_spliced_in_fails():
    frames = burst(["turn_right", "turn_left"])
    frames[4] = frame("biden_1")
    verdict = verify_burst(["turn_right", "turn_left"], frames, SELFIE)
    assert "challenge_different_face" in verdict.reasons


def test_selfie_of_someone_else_fails():
    verdict = verify_burst(["turn_right", "turn_left"], burst(["turn_right", "turn_left"]), frame("leslie_1"))
    assert verdict.reasons == ["challenge_selfie_mismatch"]


def test_too_few_frames_fail():
    assert verify_burst(["turn_left"], frontal(3), SELFIE).reasons == ["challenge_frame_count"]


def test_challenges_are_random_alternating_turns():
    import random

    seen = {tuple(random_moves(random.Random(seed))) for seed in range(50)}
    assert seen == {
        ("turn_left", "turn_right"),
        ("turn_right", "turn_left"),
        ("turn_left", "turn_right", "turn_left"),
        ("turn_right", "turn_left", "turn_right"),
    }


# Service: single use, expiry, replay ---------------------------------------------------------
@pytest.fixture
def applicant(db):
    return ApplicantFactory()


def answer(applicant, challenge=None, frames=None):
    """The web's part (store the burst), then the worker's (verify it), which a test transaction
    holds back (on commit, the eager task has done it already: a second run changes nothing)."""
    challenge = challenge or challenges.issue_challenge(applicant)
    received = challenges.submit_burst(challenge.pk, applicant, frames or burst(challenge.moves), SELFIE)
    challenges.verify_burst(received.pk)
    received.refresh_from_db()
    return received


def test_passed_challenge_is_stored_with_frames_and_audited(applicant):
    challenge = answer(applicant)
    assert challenge.status == LivenessChallenge.Status.PASSED and challenge.reasons == []
    assert challenge.frame_count == len(challenges.read_frames(challenge)) >= 8
    assert challenge.selfie.kind == "selfie"
    assert AuditEvent.objects.filter(action="liveness_challenge_passed", applicant_id=applicant.pk).exists()


def test_a_challenge_cannot_be_used_twice(applicant):
    challenge = answer(applicant)
    with pytest.raises(challenges.ChallengeError) as info:
        answer(applicant, challenge)
    assert info.value.code == "challenge_reused" and info.value.status == 409


def test_an_expired_challenge_fails(applicant):
    challenge = challenges.issue_challenge(applicant)
    LivenessChallenge.objects.filter(pk=challenge.pk).update(expires_at=timezone.now() - timedelta(seconds=1))
    result = answer(applicant, challenge)
    assert result.status == LivenessChallenge.Status.FAILED and result.reasons == ["challenge_expired"]


def test_a_replayed_burst_fails(applicant):
    first = answer(applicant)
    second = challenges.issue_challenge(applicant)
    LivenessChallenge.objects.filter(pk=second.pk).update(moves=first.moves)
    second.refresh_from_db()
    replay = answer(applicant, second, frames=challenges.read_frames(first))
    assert replay.status == LivenessChallenge.Status.FAILED and "challenge_replayed" in replay.reasons


def test_another_applicants_challenge_is_not_found(applicant):
    challenge = challenges.issue_challenge(ApplicantFactory())
    with pytest.raises(challenges.ChallengeError) as info:
        answer(applicant, challenge)
    assert info.value.status == 404


def test_a_burst_whose_message_was_lost_is_verified_by_the_sweeper_or_closed_at_its_deadline(applicant, settings):
    def received():  # the web stored the burst; the test transaction holds back its message to a worker
        challenge = challenges.issue_challenge(applicant)
        return challenges.submit_burst(challenge.pk, applicant, burst(challenge.moves), SELFIE)

    lost, late = received(), received()
    assert lost.status == late.status == LivenessChallenge.Status.VERIFYING
    assert challenges.resume_stalled_bursts() == 0  # not stalled yet: a worker may be on it
    now = timezone.now()
    LivenessChallenge.objects.filter(pk=lost.pk).update(
        submitted_at=now - timedelta(seconds=settings.KYC_STALLED_AFTER_SECONDS + 1)
    )
    LivenessChallenge.objects.filter(pk=late.pk).update(
        submitted_at=now - timedelta(seconds=settings.KYC_DECISION_DEADLINE_SECONDS + 1)
    )
    assert challenges.resume_stalled_bursts() == 2
    lost.refresh_from_db(), late.refresh_from_db()
    assert lost.status == LivenessChallenge.Status.PASSED and lost.reasons == []  # verified again, by a worker
    # Closed with what was known at receipt (the same frames again: a replay) and why it ended.
    assert late.status == LivenessChallenge.Status.FAILED and late.reasons[-1] == "challenge_not_verified"
    assert AuditEvent.objects.filter(action="liveness_challenge_failed", data__challenge_id=str(late.pk)).exists()
    assert challenges.resume_stalled_bursts() == 0  # both final: nothing left to sweep


def test_a_stalled_burst_is_sent_again_once_a_period_not_every_sweep(applicant, settings, monkeypatch):
    from onboarding.services import dispatch

    challenge = challenges.issue_challenge(applicant)
    stalled = challenges.submit_burst(challenge.pk, applicant, burst(challenge.moves), SELFIE)
    LivenessChallenge.objects.filter(pk=stalled.pk).update(
        submitted_at=timezone.now() - timedelta(seconds=settings.KYC_STALLED_AFTER_SECONDS + 1)
    )
    sent = []  # the worker is far behind: what is sent waits in its queue
    monkeypatch.setattr(dispatch, "verify_burst", lambda challenge_id, refund=None: sent.append(challenge_id))
    assert challenges.resume_stalled_bursts() == 1
    assert challenges.resume_stalled_bursts() == 0  # the next sweep, a minute later
    assert sent == [stalled.pk]


# The decision on the embedded default ------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_active_liveness_and_compare_approve_without_a_human():
    from onboarding.services.pipeline.verifications import submit_verification
    from tests.conftest import id_card_bytes

    applicant = ApplicantFactory()
    challenge = answer(applicant)
    card = PhotoFactory(applicant=applicant, kind="id_card", source=id_card_bytes("obama_2"))
    v = submit_verification(applicant, selfie=challenge.selfie, id_card=card)
    v.refresh_from_db()
    assert v.status == Verification.Status.APPROVED, v.decisions.first().reasons
    live = v.checks.get(kind="liveness")
    assert live.vendor == "local" and live.passed and live.score == 100 and live.details["moves_seen"] >= 2
    challenge.refresh_from_db()
    assert challenge.verification == v
    from django.contrib.auth import get_user_model
    from django.test import Client

    staff = get_user_model().objects.create_superuser("root", password="x")
    browser = Client()
    browser.force_login(staff)
    page = browser.get(reverse("admin:onboarding_verification_change", args=[v.pk])).content.decode()
    assert "active liveness challenge" in page.lower()
    assert reverse("onboarding:challenge_frame", args=[challenge.pk, 0]) in page
    assert browser.get(reverse("onboarding:challenge_frame", args=[challenge.pk, 0])).status_code == 200
    # Single use: a second verification with the same selfie gets no challenge.
    again = submit_verification(applicant, selfie=challenge.selfie, id_card=card)
    again.refresh_from_db()
    assert again.status == Verification.Status.NEEDS_REVIEW


@pytest.mark.django_db(transaction=True)
def test_a_vendor_that_does_not_look_at_the_burst_gets_it_not_decrypted(sandbox, settings, monkeypatch):
    """Tencent's static liveness takes the selfie only: the stored frames stay sealed."""
    from onboarding.services.pipeline import checks
    from onboarding.services.pipeline.verifications import submit_verification
    from tests.conftest import id_card_bytes

    opened, read_frames = [], checks.read_frames
    monkeypatch.setattr(checks, "read_frames", lambda challenge: opened.append(challenge.pk) or read_frames(challenge))

    def case(liveness_vendor):
        settings.KYC_CHECK_VENDORS = {"quality": [], "liveness": [liveness_vendor], "compare": ["baidu"]}
        applicant = ApplicantFactory()
        LivenessChallenge.objects.filter(verification__isnull=False).delete()  # else the same burst is a replay
        challenge = answer(applicant)
        card = PhotoFactory(applicant=applicant, kind="id_card", source=id_card_bytes("obama_2"))
        v = submit_verification(applicant, selfie=challenge.selfie, id_card=card)
        assert LivenessChallenge.objects.get(verification=v) == challenge
        return challenge, v.checks.get(kind="liveness")

    challenge, live = case("local")  # the local engine verifies the burst
    assert opened == [challenge.pk] and live.passed
    challenge, live = case("tencent")
    assert live.status == "completed" and len(opened) == 1  # still only the local engine's


# Through the views ------------------------------------------------------------------------------------
@pytest.mark.django_db(transaction=True)
def test_challenge_endpoints(client):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client.post(reverse("onboarding:start"), {"agree": "on"})
    issued = client.post(reverse("onboarding:challenge_start")).json()
    assert issued["moves"] and len(issued["instructions"]) == len(issued["moves"])
    files = [SimpleUploadedFile(f"f{i}.jpg", data, "image/jpeg") for i, data in enumerate(burst(issued["moves"]))]
    r = client.post(issued["submit_url"], {"frame": files, "selfie": SimpleUploadedFile("s.jpg", SELFIE, "image/jpeg")})
    assert r.status_code == 200 and r.json() == {"passed": True, "reasons": [], "next": reverse("onboarding:id_card")}
    challenge = LivenessChallenge.objects.get()
    assert client.get(reverse("onboarding:challenge_frame", args=[challenge.pk, 0]))["Content-Type"] == "image/jpeg"
    from django.test import Client

    assert Client().get(reverse("onboarding:challenge_frame", args=[challenge.pk, 0])).status_code == 404
    still = [SimpleUploadedFile(f"f{i}.jpg", face_bytes("obama_1"), "image/jpeg") for i in range(8)]
    issued = client.post(reverse("onboarding:challenge_start")).json()
    r = client.post(issued["submit_url"], {"frame": still, "selfie": SimpleUploadedFile("s.jpg", SELFIE, "image/jpeg")})
    body = r.json()
    assert body["passed"] is False and any("did not change" in reason for reason in body["reasons"])


@pytest.mark.django_db  # on_commit is captured only inside a test transaction
def test_the_web_stores_the_burst_and_a_worker_verifies_it(client, monkeypatch, django_capture_on_commit_callbacks):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from vendors.engine import FaceEngine

    detections = []
    real = FaceEngine._locate  # every detection, an analysis's or a frame's
    monkeypatch.setattr(FaceEngine, "_locate", lambda self, *a, **k: detections.append(1) or real(self, *a, **k))
    client.post(reverse("onboarding:start"), {"agree": "on"})
    issued = client.post(reverse("onboarding:challenge_start")).json()
    files = [SimpleUploadedFile(f"f{i}.jpg", data, "image/jpeg") for i, data in enumerate(burst(issued["moves"]))]
    with django_capture_on_commit_callbacks() as tasks:  # the worker has not run yet
        sent = client.post(
            issued["submit_url"], {"frame": files, "selfie": SimpleUploadedFile("s.jpg", SELFIE, "image/jpeg")}
        )
    assert sent.status_code == 202 and detections == []  # no face model in the web request
    state_url = sent.json()["state_url"]
    assert client.get(state_url).status_code == 202
    assert LivenessChallenge.objects.get().status == LivenessChallenge.Status.VERIFYING
    for task in tasks:  # the worker
        task()
    assert detections  # the worker ran the engine
    verdict = client.get(state_url)
    assert verdict.status_code == 200 and verdict.json() == {
        "passed": True,
        "reasons": [],
        "next": reverse("onboarding:id_card"),
    }
    from django.test import Client

    assert Client().get(state_url).status_code == 403  # only the applicant's session asks


def test_a_burst_the_worker_cannot_verify_fails_with_a_reason(applicant, monkeypatch):
    def broken(*args, **kwargs):
        raise RuntimeError("engine crashed")

    monkeypatch.setattr(challenges.liveness, "verify_burst", broken)
    result = answer(applicant)
    assert result.status == LivenessChallenge.Status.FAILED and result.reasons == ["challenge_not_verified"]
