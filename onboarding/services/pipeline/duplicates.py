"""Duplicate and fraud signals: the same face or the same photo under different applicants.

Run once per case, after submission, by a task of its own beside the vendor checks; the automatic
decision waits for it (Verification.duplicates_pending), so the signals can send a case to review:
- same_photo: an upload (or our stored re-encoding) byte-identical to another applicant's, found
  by the SHA-256 kept on every photo, even after the other photo's file was purged;
- same_face: the largest face of the selfie and of the ID card, as the local engine's 128-d dlib
  embedding (from the photo's one analysis, services.applicant.analysis), within
  KYC_DUPLICATE_FACE_DISTANCE of a face of another applicant.

Tenancy: the search covers every applicant, so staff see matches across API clients, but a
signal whose other applicant belongs to another client (or to the web flow) is marked
across_clients and does not count in the case's decision and risk, which its client is told
(KYC_DUPLICATES_ACROSS_CLIENTS counts them, for a deployment whose clients are one business).

Embeddings are biometric templates: stored encrypted like the photos, deleted with them. Faces
are searched in the face index (services.faces.index): every template held decrypted in the memory
of the faces queue's workers only, an exact search. The scan runs there (dispatch.faces_queue); an
index still being built is waited for up to KYC_FACE_INDEX_WAIT_SECONDS, then the case goes on with
duplicates_not_checked. The same scan checks the case against the blocklist (services.faces.blocklist).
"""

from __future__ import annotations

import logging
from datetime import timedelta

import numpy as np
from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from onboarding.models import Applicant, DuplicateSignal, Photo, Verification
from onboarding.services.applicant.analysis import analysis_of
from onboarding.services.compliance import audit
from onboarding.services.faces import blocklist, index

logger = logging.getLogger(__name__)
CHUNK = 5000


class IndexNotReady(Exception):
    pass


def nearest_faces(vector: np.ndarray, *, exclude_applicant, limit: int = 10, max_distance: float, wait=None):
    """(distance, photo_id, applicant_id) of other applicants' faces within max_distance, nearest first."""
    face_index = index.get_index(wait=wait)
    if face_index is None:
        raise IndexNotReady("the face index is being built")
    found = face_index.nearest(vector, max_distance=max_distance, limit=limit, exclude_applicant=exclude_applicant)
    return [(m.distance, m.photo_id, m.applicant_id) for m in found[:limit]]


def _cases_of(photo_ids) -> dict:
    """The latest case of each of these photos, by photo id."""
    found = {}
    rows = (
        Verification.objects.filter(
            Q(selfie_id__in=photo_ids) | Q(id_card_id__in=photo_ids) | Q(id_card_back_id__in=photo_ids)
        )
        .order_by("submitted_at")
        .values_list("pk", "selfie_id", "id_card_id", "id_card_back_id")
    )
    for pk, *photos in rows:  # oldest first: the latest one stays
        found.update((photo, pk) for photo in photos if photo in photo_ids)
    return found


def _same_photo(photo: Photo):
    others = (
        Photo.objects.exclude(applicant_id=photo.applicant_id)
        .filter(Q(source_sha256=photo.source_sha256) | Q(sha256=photo.sha256))
        .order_by("created_at")
    )
    return [(None, other.pk, other.applicant_id) for other in others[:10]]


def _same_face(photo: Photo, wait=None):
    if photo.purged_at is not None:
        return []
    vector = analysis_of(photo).embedding  # the checks' analysis: usually made already
    if vector is None:
        return []
    return nearest_faces(
        vector, exclude_applicant=photo.applicant_id, max_distance=settings.KYC_DUPLICATE_FACE_DISTANCE, wait=wait
    )


def scan(verification_id) -> list[DuplicateSignal]:
    """Find and store the case's signals. Idempotent: a second run adds only what is new."""
    verification = (
        Verification.objects.select_related("selfie", "id_card", "applicant").filter(pk=verification_id).first()
    )
    if verification is None:
        return []
    # What is left of the wait for an index being built, counted from the submission.
    waited = (timezone.now() - verification.submitted_at).total_seconds()
    wait = max(0.0, settings.KYC_FACE_INDEX_WAIT_SECONDS - waited)
    found = []  # (kind, photo, distance, other photo id, other applicant id)
    for photo in (verification.selfie, verification.id_card):
        found += [(DuplicateSignal.Kind.SAME_PHOTO, photo, *match) for match in _same_photo(photo)]
        found += [(DuplicateSignal.Kind.SAME_FACE, photo, *match) for match in _same_face(photo, wait)]
    blocklist.check_case(verification)
    new = []
    if found:
        known = set(
            DuplicateSignal.objects.filter(verification=verification).values_list("kind", "photo_id", "other_photo_id")
        )
        client_of = dict(Applicant.objects.filter(pk__in={f[4] for f in found}).values_list("pk", "client_id"))
        case_of = _cases_of({f[3] for f in found})
        new = [
            DuplicateSignal(
                verification=verification,
                kind=kind,
                photo=photo,
                other_photo_id=other_photo_id,
                other_applicant_id=other_applicant_id,
                distance=distance,
                other_verification_id=case_of.get(other_photo_id),
                across_clients=client_of.get(other_applicant_id) != verification.applicant.client_id,
            )
            for kind, photo, distance, other_photo_id, other_applicant_id in found
            if (kind, photo.pk, other_photo_id) not in known
        ]
        # One statement; a re-delivered scan running at the same time adds nothing twice.
        DuplicateSignal.objects.bulk_create(new, ignore_conflicts=True)
    if new:
        audit.record(
            "duplicate_flagged",
            actor=audit.Actor.system("duplicates"),
            verification=verification,
            signals=[
                {
                    "kind": s.kind,
                    "subject": s.photo.kind,
                    "other_applicant_id": str(s.other_applicant_id),
                    "across_clients": s.across_clients,
                    "other_verification_id": str(s.other_verification_id or ""),
                    "distance": s.distance,
                }
                for s in new
            ],
        )
        logger.info("verification %s: %d duplicate signal(s)", verification_id, len(new))
    mark_scanned(verification_id)
    return new


def mark_scanned(verification_id, error: str = ""):
    """The scan is done (or could not be done: `error`); the decision no longer waits for it."""
    Verification.objects.filter(pk=verification_id, duplicates_pending=True).update(
        duplicates_pending=False, duplicates_error=error[:200]
    )


def give_up_waiting(now=None) -> int:
    """Cases whose scan no index worker took within KYC_FACE_INDEX_WAIT_SECONDS (none running, one
    still building): decided without it, with duplicates_not_checked. The sweeper calls this."""
    from onboarding.services.pipeline.decisions import finalize_if_complete

    cutoff = (now or timezone.now()) - timedelta(seconds=settings.KYC_FACE_INDEX_WAIT_SECONDS)
    late = list(
        Verification.objects.filter(duplicates_pending=True, submitted_at__lt=cutoff).values_list("pk", flat=True)
    )
    for pk in late:
        logger.warning("verification %s: no face index answered in time; decided without the scan", pk)
        mark_scanned(pk, "face index not available in time")
        finalize_if_complete(pk)
    return len(late)


def scan_and_decide(verification_id) -> int:
    """The scan task: a scan that crashes is recorded as not done, so the case is still decided."""
    from onboarding.services.pipeline.decisions import finalize_if_complete

    try:
        found = len(scan(verification_id))
    except IndexNotReady as exc:
        mark_scanned(verification_id, str(exc))
        found = 0
    except Exception as exc:  # the case must not wait forever on a broken scan
        logger.exception("duplicate scan of %s failed", verification_id)
        mark_scanned(verification_id, f"scan failed: {type(exc).__name__}")
        found = 0
    finalize_if_complete(verification_id)
    return found
