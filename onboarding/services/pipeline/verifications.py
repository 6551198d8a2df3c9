"""Submitting a verification, planning its checks and starting them."""

from __future__ import annotations

import dataclasses
import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onboarding import storage
from onboarding.models import Check, LivenessChallenge, LivenessDataFile, Photo, Verification
from onboarding.services import dispatch
from onboarding.services.applicant.applicants import add_liveness_data, add_photo, create_applicant
from onboarding.services.applicant.challenges import challenge_id_for_selfie
from onboarding.services.compliance import audit
from onboarding.services.integrations import webhooks
from onboarding.services.pipeline import checks, duplicates, state
from onboarding.services.pipeline.decisions import finalize_if_complete
from onboarding.services.policy import versions
from vendors.base import CheckKind, Subject
from vendors.registry import get_backend

logger = logging.getLogger(__name__)

# What each check kind looks at.
CHECK_SUBJECTS = {
    CheckKind.QUALITY: (Subject.SELFIE, Subject.ID_CARD),
    CheckKind.LIVENESS: (Subject.SELFIE,),
    CheckKind.COMPARE: (Subject.PAIR,),
    CheckKind.DOCUMENT: (Subject.ID_CARD,),  # front and back, when the back was taken
    CheckKind.SCREENING: (Subject.PERSON,),  # once the document is read (dispatch.start_after_commit)
}


class SubmissionError(Exception):
    pass


@dataclasses.dataclass
class KindPlan:
    vendors: list[str]  # deciding vendor first, then the fallbacks in order
    shadow: str | None = None


def vendor_plan(key, vendors_override=None, policy=None) -> dict[CheckKind, KindPlan]:
    """Vendors per check kind for one case (key: its id), from the policy's routing.

    A one-off override list (kyc_verify --vendors) replaces them for every kind that one of
    its vendors supports; the other kinds keep their routing.
    """
    policy = policy or versions.active()
    plan = {}
    for kind in CheckKind:
        route = policy.route(kind.value)
        configured = [n for n in route.plan(str(key)) if get_backend(n).supports(kind)]
        chosen = [n for n in (vendors_override or []) if get_backend(n).supports(kind)]
        shadow = route.shadow if route.shadow not in (chosen or configured) else None
        plan[kind] = KindPlan(chosen or configured, shadow)
    return plan


def submit_verification(
    applicant,
    *,
    selfie: Photo,
    id_card: Photo,
    id_card_back: Photo | None = None,
    liveness_data=None,
    channel=Verification.Channel.WEB,
    actor=None,
    vendors=None,
    before_commit=None,
) -> Verification:
    """Create the verification and its planned checks; processing starts after commit."""
    for photo, kind in ((selfie, Photo.Kind.SELFIE), (id_card, Photo.Kind.ID_CARD)):
        if photo is None or photo.applicant_id != applicant.pk or photo.kind != kind:
            raise SubmissionError(f"a {kind} photo of this applicant is required")
    if liveness_data is not None and liveness_data.applicant_id != applicant.pk:
        raise SubmissionError("the liveness data file belongs to another applicant")
    actor = actor or audit.Actor.applicant(applicant)
    with transaction.atomic():
        # The applicant's row lock orders this against an erasure or a purge of the same files; the
        # photos' state comes with it, in one query.
        items = [p.pk for p in (selfie, id_card, id_card_back) if p is not None]
        photos = list(
            Photo.objects.filter(pk__in=items)
            .select_related("applicant")
            .select_for_update(of=("applicant",))
            .order_by()
        )
        if (
            any(p.purged_at for p in photos)
            or liveness_data is not None
            and LivenessDataFile.objects.filter(pk=liveness_data.pk, purged_at__isnull=False).exists()
        ):
            raise SubmissionError("a file of this submission was erased; upload it again")
        verification = Verification(
            applicant=applicant,
            selfie=selfie,
            id_card=id_card,
            id_card_back=id_card_back,
            liveness_data=liveness_data,
            channel=channel,
            duplicates_pending=settings.KYC_DUPLICATE_SCAN,
        )
        verification.save(force_insert=True)
        challenge_id = challenge_id_for_selfie(applicant, selfie)
        if challenge_id is not None:  # single use: one verification per challenge
            LivenessChallenge.objects.filter(pk=challenge_id).update(verification=verification)
        planned, shadows = [], []
        for kind, plan in vendor_plan(verification.pk, vendors).items():
            for subject in CHECK_SUBJECTS[kind]:
                if plan.vendors:
                    planned.append(
                        Check(
                            verification=verification,
                            kind=kind.value,
                            subject=subject.value,
                            vendor=plan.vendors[0],
                            fallback_vendors=plan.vendors[1:],
                        )
                    )
                if plan.shadow:  # stored and compared, never deciding: no fallback, not waited for
                    shadows.append(
                        Check(
                            verification=verification,
                            kind=kind.value,
                            subject=subject.value,
                            vendor=plan.shadow,
                            role=Check.Role.SHADOW,
                        )
                    )
        if planned or shadows:
            Check.objects.bulk_create(planned + shadows)
        audit.record(
            "verification_submitted",
            actor=actor,
            verification=verification,
            to_status=verification.status,
            channel=channel,
            checks=[f"{c.kind}/{c.subject}:{c.vendor}" for c in planned],
            shadow_checks=[f"{c.kind}/{c.subject}:{c.vendor}" for c in shadows],
        )
        webhooks.emit(
            verification,
            "verification.submitted",
            {
                "status": verification.status,
                "channel": channel,
                "external_ref": applicant.external_ref,
                "checks": [{"kind": c.kind, "subject": c.subject, "vendor": c.vendor} for c in planned],
            },
        )
        if before_commit is not None:  # e.g. record the Idempotency-Key in the same transaction
            before_commit(verification)
        # Straight to the vendor checks: a task that only moved the case to processing and fanned
        # them out cost each case a Celery message and a transaction (bench/pipeline.py).
        dispatch.start_after_commit(verification.pk, planned, shadows, challenge=challenge_id is not None)
    return verification


def submit_new_applicant(
    *,
    images: dict,
    consent_version: str,
    channel,
    actor,
    declared: dict | None = None,
    liveness_data: bytes | None = None,
    external_ref: str = "",
    client=None,
    vendors=None,
    before_commit=None,
) -> Verification:
    """A new applicant, their photos (`images` by Photo.Kind: selfie, id_card and optionally
    id_card_back; uploads or NormalizedImage), what they declared and an SDK's liveness file, and
    their case submitted, in one transaction (the one-call API, kyc_verify). What add_photo or
    add_liveness_data refuses leaves nothing behind: no row, no file."""
    with storage.atomic():
        applicant = create_applicant(
            consent_version=consent_version, client=client, external_ref=external_ref, actor=actor, declared=declared
        )
        photos = {kind: add_photo(applicant, kind, image, actor=actor) for kind, image in images.items()}
        liveness = add_liveness_data(applicant, liveness_data, actor=actor) if liveness_data is not None else None
        return submit_verification(
            applicant,
            selfie=photos.get(Photo.Kind.SELFIE),
            id_card=photos.get(Photo.Kind.ID_CARD),
            id_card_back=photos.get(Photo.Kind.ID_CARD_BACK),
            liveness_data=liveness,
            channel=channel,
            actor=actor,
            vendors=vendors,
            before_commit=before_commit,
        )


def start_processing(verification_id) -> list:
    """Move to processing and return the ids of the checks that still need a worker.

    For the sweeper and a case without checks (a new case's checks are dispatched at submission).
    Safe to call again: finished checks are never returned.
    """
    with transaction.atomic():
        verification = Verification.objects.select_for_update().get(pk=verification_id)
        if verification.status == Verification.Status.SUBMITTED:
            state.transition(verification, Verification.Status.PROCESSING, actor=audit.Actor.system("worker"))
        elif verification.status != Verification.Status.PROCESSING:
            return []
        pending = list(verification.checks.exclude(status__in=Check.FINAL_STATUSES).values_list("pk", flat=True))
    if not pending:
        finalize_if_complete(verification_id)
    return pending


def stalled_verifications(now=None):
    cutoff = (now or timezone.now()) - timedelta(seconds=settings.KYC_STALLED_AFTER_SECONDS)
    return Verification.objects.filter(
        status__in=[Verification.Status.SUBMITTED, Verification.Status.PROCESSING], updated_at__lt=cutoff
    )


def resume_stalled(now=None) -> int:
    """Re-dispatch verifications nobody has moved for a while (a lost message, a dead worker).

    Past KYC_DECISION_DEADLINE_SECONDS, unfinished checks that no live worker holds are failed
    instead, so the case gets its decision (needs review, with the reason) rather than waiting on.
    """
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.KYC_DECISION_DEADLINE_SECONDS)
    count = 0
    for verification in stalled_verifications(now).only("pk", "submitted_at", "duplicates_pending"):
        unscanned = verification.duplicates_pending
        if verification.submitted_at < deadline:
            logger.warning("verification %s passed its deadline: finishing it", verification.pk)
            if unscanned:
                duplicates.mark_scanned(verification.pk, "not finished before the deadline")
            start_processing(verification.pk)  # decides at once if nothing is left
            checks.expire_unfinished(verification.pk, now)  # each failed check lets the policy decide
        else:
            logger.warning("resuming stalled verification %s", verification.pk)
            dispatch.run_checks(start_processing(verification.pk))
            if unscanned:
                dispatch.scan_duplicates(verification.pk)
        # Touch it so the next sweep waits a full period before trying again.
        Verification.objects.filter(pk=verification.pk).update(updated_at=timezone.now())
        count += 1
    return count


def resume_stalled_shadows(now=None) -> int:
    """Shadow checks of decided cases left unfinished (a lost message, a dead worker).

    The decision never waits for them, so resume_stalled no longer sees their case: run them
    again, or past KYC_DECISION_DEADLINE_SECONDS fail them, so the dashboard's comparison does
    not count them as pending for ever.
    """
    now = now or timezone.now()
    deadline = now - timedelta(seconds=settings.KYC_DECISION_DEADLINE_SECONDS)
    stalled = (
        Check.objects.filter(
            role=Check.Role.SHADOW, created_at__lt=now - timedelta(seconds=settings.KYC_STALLED_AFTER_SECONDS)
        )
        .exclude(status__in=Check.FINAL_STATUSES)
        .exclude(verification__status__in=[Verification.Status.SUBMITTED, Verification.Status.PROCESSING])
        .only("pk", "status", "claimed_at", "created_at", "vendor", "kind")
    )
    rerun, count = [], 0
    for check in stalled:
        if check.created_at < deadline:
            count += checks.expire(check, now)
        elif not checks.held_by_live_worker(check, now):
            rerun.append(check.pk)
            count += 1
    dispatch.run_checks(rerun)
    return count
