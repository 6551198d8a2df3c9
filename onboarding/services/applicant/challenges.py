"""Active liveness challenges: issue, receive the burst, verify with the local engine.

A challenge is single-use and expires after KYC_CHALLENGE_TTL_SECONDS. A burst whose
frames were already sent for another challenge is a replay. The web process stores the burst
(status verifying) and a worker verifies it (tasks.verify_burst), so the face models never run
in the web tier; the page asks for the verdict. The verdict is stored and the verification's
local liveness check re-verifies the stored frames.
"""

from __future__ import annotations

import io
import logging
import random
import zipfile
from datetime import timedelta

from django.conf import settings
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from onboarding import storage
from onboarding.models import LivenessChallenge, Photo
from onboarding.services import dispatch, limits
from onboarding.services.applicant.analysis import analysis_of
from onboarding.services.applicant.applicants import add_photo
from onboarding.services.applicant.images import PixelBudget, normalize_image
from onboarding.services.compliance import audit
from vendors import liveness

logger = logging.getLogger(__name__)
_rng = random.SystemRandom()
REPLAY_WINDOW = timedelta(days=30)
# Found when the burst arrives and not visible in the frames: the re-verification carries them over.
PRIOR_REASONS = ("challenge_expired", "challenge_replayed")


class ChallengeError(Exception):
    def __init__(self, code, status=400):
        super().__init__(code)
        self.code, self.status = code, status


def dhash(jpeg: bytes) -> str:
    """64-bit difference hash: survives re-encoding and resizing, so a re-sent burst is still recognised."""
    from PIL import Image

    with Image.open(io.BytesIO(jpeg)) as im:
        small = im.convert("L").resize((9, 8), Image.BILINEAR)
    px = list(small.tobytes())
    bits = [px[row * 9 + col] > px[row * 9 + col + 1] for row in range(8) for col in range(8)]
    return f"{int(''.join('1' if b else '0' for b in bits), 2):016x}"


def is_replay(hashes, earlier) -> bool:
    """The same uploaded file again, or the same sequence of pictures (80% of frames in order).

    A genuine retry does not repeat the earlier burst frame for frame: the head turns at other moments.
    """
    earlier = [h for h in earlier if isinstance(h, dict)]
    if not earlier:
        return False
    if {h["sha256"] for h in hashes} & {h["sha256"] for h in earlier}:
        return True
    same = sum(a["dhash"] == b["dhash"] for a, b in zip(hashes, earlier))
    return same >= 0.8 * min(len(hashes), len(earlier))


def issue_challenge(applicant) -> LivenessChallenge:
    challenge = LivenessChallenge.objects.create(
        applicant=applicant,
        moves=liveness.random_moves(_rng),
        expires_at=timezone.now() + timedelta(seconds=settings.KYC_CHALLENGE_TTL_SECONDS),
    )
    audit.record(
        "liveness_challenge_issued",
        actor=audit.Actor.applicant(applicant),
        applicant_id=applicant.pk,
        challenge_id=str(challenge.pk),
        moves=challenge.moves,
    )
    return challenge


def pack_frames(frames: list[bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_STORED) as z:
        for i, frame in enumerate(frames):
            z.writestr(f"{i:02d}.jpg", frame)
    return out.getvalue()


def read_frames(challenge) -> list[bytes]:
    if not challenge.frames:
        return []
    with challenge.frames.open("rb") as f, zipfile.ZipFile(io.BytesIO(f.read())) as z:
        return [z.read(name) for name in sorted(z.namelist())]


def submit_burst(challenge_id, applicant, frames, selfie, *, uploaded_via=None, refund=None) -> LivenessChallenge:
    """Validate and store the frames and the selfie; a worker then verifies them (verify_burst below).

    `refund`: (rule name, token, subjects) of the attempt limit to give back if it passes. Raises
    ChallengeError or images.ImageRejected (then nothing is stored)."""
    if not liveness.MIN_FRAMES <= len(frames) <= liveness.MAX_FRAMES:
        raise ChallengeError("challenge_frame_count")
    budget = PixelBudget()  # the whole request's pixels, not each frame's alone
    images = [normalize_image(f, budget) for f in frames]  # ImageRejected on a bad frame, nothing stored
    selfie = normalize_image(selfie, budget)
    normalized = [image.data for image in images]
    hashes = [{"sha256": image.source_sha256, "dhash": dhash(image.data)} for image in images]
    now = timezone.now()
    with transaction.atomic():
        challenge = LivenessChallenge.objects.select_for_update().filter(pk=challenge_id, applicant=applicant).first()
        if challenge is None:
            raise ChallengeError("challenge_unknown", status=404)
        if challenge.submitted_at is not None:
            raise ChallengeError("challenge_reused", status=409)
        challenge.submitted_at = now
        challenge.save(update_fields=["submitted_at"])
    selfie_photo = add_photo(applicant, Photo.Kind.SELFIE, selfie, uploaded_via=uploaded_via)
    prior = []
    if now > challenge.expires_at:
        prior.append("challenge_expired")
    recent = LivenessChallenge.objects.filter(created_at__gte=now - REPLAY_WINDOW).exclude(pk=challenge.pk)
    if any(is_replay(hashes, earlier) for earlier in recent.values_list("frame_hashes", flat=True).iterator()):
        prior.append("challenge_replayed")
    with storage.atomic():
        challenge.frames.save("frames.zip", ContentFile(pack_frames(normalized)), save=False)
        storage.written(challenge.frames)
        challenge.frame_count, challenge.frame_hashes, challenge.selfie = len(normalized), hashes, selfie_photo
        challenge.status = LivenessChallenge.Status.VERIFYING
        challenge.reasons = prior
        challenge.uploaded_via = uploaded_via
        challenge.save()
        # The face models run on a worker, not in the web process that received the burst.
        dispatch.verify_burst_after_commit(challenge.pk, refund)
    challenge.refresh_from_db()  # verified already when the task ran at once (eager mode)
    return challenge


def verify_burst(challenge_id, refund=None) -> LivenessChallenge | None:
    """The worker's part: the burst's verdict, stored once and audited. Safe to run twice."""
    challenge = (
        LivenessChallenge.objects.select_related("selfie", "applicant")
        .filter(pk=challenge_id, status=LivenessChallenge.Status.VERIFYING)
        .first()
    )
    if challenge is None:
        return None
    try:
        # The selfie's analysis is made here once; the case's checks reuse it later.
        verdict = liveness.verify_burst(challenge.moves, read_frames(challenge), analysis_of(challenge.selfie))
    except Exception:  # a bug or a lost file must not leave the applicant's page waiting
        logger.exception("liveness burst %s could not be verified", challenge.pk)
        verdict = liveness.BurstVerdict(False, ["challenge_not_verified"], {})
    return _store_verdict(challenge, verdict, refund)


def _store_verdict(challenge, verdict, refund=None) -> LivenessChallenge | None:
    """Store a burst's verdict once and audit it; None when another run stored one first."""
    reasons = list(challenge.reasons) + verdict.reasons
    status = LivenessChallenge.Status.FAILED if reasons else LivenessChallenge.Status.PASSED
    done = LivenessChallenge.objects.filter(pk=challenge.pk, status=LivenessChallenge.Status.VERIFYING).update(
        status=status, reasons=reasons, metrics=verdict.metrics
    )
    if not done:  # another run stored it first
        return None
    audit.record(
        f"liveness_challenge_{status}",
        actor=audit.Actor.applicant(challenge.applicant),
        applicant_id=challenge.applicant_id,
        challenge_id=str(challenge.pk),
        reasons=reasons,
        moves_seen=verdict.metrics.get("moves_seen"),
    )
    if status == LivenessChallenge.Status.PASSED and refund:
        rule, token, subjects = refund
        limits.refund(limits.rule(rule), token, *subjects)  # the limit counts failed attempts only
    challenge.status, challenge.reasons, challenge.metrics = status, reasons, verdict.metrics
    return challenge


def resume_stalled_bursts(now=None) -> int:
    """Bursts still waiting for their verdict KYC_STALLED_AFTER_SECONDS after they came (a lost
    message, a dead worker) are verified again, at most once a period (a worker far behind must not
    get the same second of face models every sweep); past KYC_DECISION_DEADLINE_SECONDS they are
    closed as not verified, so none waits for ever. The applicant's page stopped waiting long before
    (a new challenge is a click away); the verdict is for the record. An attempt limit is not given
    back on a late pass: what to give back went with the lost message."""
    now = now or timezone.now()
    stalled_after = settings.KYC_STALLED_AFTER_SECONDS
    deadline = now - timedelta(seconds=settings.KYC_DECISION_DEADLINE_SECONDS)
    stalled = LivenessChallenge.objects.filter(
        status=LivenessChallenge.Status.VERIFYING, submitted_at__lt=now - timedelta(seconds=stalled_after)
    ).select_related("applicant")
    count = 0
    for challenge in stalled:
        if challenge.submitted_at < deadline:
            logger.warning("liveness burst %s not verified before the deadline: closing it", challenge.pk)
            _store_verdict(challenge, liveness.BurstVerdict(False, ["challenge_not_verified"], {}))
        elif cache.add(f"kyc:burst-resent:{challenge.pk}", True, timeout=stalled_after):
            logger.warning("verifying stalled liveness burst %s again", challenge.pk)
            dispatch.verify_burst(challenge.pk)
        else:
            continue  # sent again within the period: still in a worker's queue
        count += 1
    return count


def challenge_id_for_selfie(applicant, selfie):
    """The id of the passed, unattached challenge whose burst ended with this selfie, or None.

    Its id only: every submission asks, and a whole row's ORDER BY costs the ORM more."""
    return (
        LivenessChallenge.objects.filter(
            applicant=applicant,
            selfie=selfie,
            verification__isnull=True,
            status=LivenessChallenge.Status.PASSED,
        )
        .order_by("-created_at")
        .values_list("pk", flat=True)
        .first()
    )
