"""The blocklist: reviewers bar a case's faces (and its document number, once read) with a reason;
later cases whose face or number matches get blocklisted_face / blocklisted_document, which the
versioned policy sends to review (or rejects, policy `blocklist.outcome`).

An entry keeps its own encrypted copy of the template and of the number (a keyed digest to match
on), so it outlives the original case's photos, under its own retention (KYC_RETAIN_BLOCKLIST_DAYS).
Adding and removing are audited. The list is the operator's: it applies to every case, and what a
client is told is only that the face or number is on it, never whose case it came from.

A reviewer's request (request_add) bars the case at once when its photos' analyses keep their
embeddings; otherwise (a deployment comparing faces with a vendor, without the duplicate scan) a
worker makes them: the web process never loads the face models. Adding a case twice adds nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import re

import numpy as np
from django.conf import settings
from django.db import transaction

from onboarding import encryption
from onboarding.models import BlocklistEntry, BlocklistMatch, Photo, Verification
from onboarding.selectors.identity import current_reading, decode_reading
from onboarding.services import dispatch
from onboarding.services.applicant.analysis import analysis_of, stored_analysis
from onboarding.services.compliance import audit

logger = logging.getLogger(__name__)


class BlocklistError(ValueError):
    pass


def _template_name(entry_id) -> str:
    return f"blocklist-template/{entry_id}"


def _number_name(entry_id) -> str:
    return f"blocklist-number/{entry_id}"


def normalised_number(number: str) -> str:
    return re.sub(r"[^0-9A-Z]", "", number.upper())


def number_digests(number: str) -> list[str]:
    """Keyed digests of the number, one per encryption key, the key new entries use first: the table
    of digests says nothing about the numbers without the keys, and an entry made under an older key
    still matches after a rotation."""
    value = normalised_number(number).encode()
    return [
        hmac.new(hashlib.sha256(b"kyc-blocklist-number|" + k.encode()).digest(), value, hashlib.sha256).hexdigest()
        for k in settings.KYC_ENCRYPTION_KEYS  # newest first
    ]


def template_of(entry: BlocklistEntry) -> np.ndarray:
    return np.frombuffer(encryption.decrypt(bytes(entry.template), name=_template_name(entry.pk)), dtype="<f4")


def _kept_photos(verification):
    return [p for p in (verification.selfie, verification.id_card) if p is not None and p.purged_at is None]


def _faces(verification):
    """(photo, embedding) of the case's selfie and ID card portrait, while their files are kept."""
    for photo in _kept_photos(verification):
        vector = analysis_of(photo).embedding
        if vector is not None:
            yield photo, vector


def faces_ready(verification) -> bool:
    """Whether the case's faces can be barred without running the face models: every kept photo's
    stored analysis has its largest face's embedding (or no face)."""
    for photo in _kept_photos(verification):
        found = stored_analysis(photo)
        if found is None or not found.complete:
            return False
    return True


def _clean_reason(reason) -> str:
    reason = " ".join(str(reason).split())
    if not reason:
        raise BlocklistError("a reason is required")
    return reason


def request_add(verification: Verification, *, reason: str, actor) -> list[BlocklistEntry] | None:
    """A reviewer bars a case from the web: at once (the entries) when its faces' embeddings are
    kept, else on a worker once it has made them (None: add_case_by_id)."""
    reason = _clean_reason(reason)
    if faces_ready(verification):
        return add_case(verification, reason=reason, actor=actor)
    dispatch.add_to_blocklist_after_commit(verification.pk, reason, actor.type, actor.label)
    return None


def add_case_by_id(verification_id, *, reason: str, actor) -> list[BlocklistEntry]:
    """The worker's part of request_add. Safe to run twice (add_case adds nothing the second time);
    what stops it (the photos purged meanwhile, nothing to bar) is in the audit trail."""
    verification = Verification.objects.select_related("selfie", "id_card").filter(pk=verification_id).first()
    if verification is None:  # erased meanwhile
        return []
    try:
        return add_case(verification, reason=reason, actor=actor)
    except BlocklistError as exc:
        logger.info("case %s not added to the blocklist: %s", verification_id, exc)
        audit.record("blocklist_not_added", actor=actor, verification=verification, reason=reason, why=str(exc))
        return []


def _document_number(verification) -> str | None:
    reading = current_reading(verification)
    fields = decode_reading(reading).get("fields", {}) if reading is not None else {}
    return (fields.get("document_number") or {}).get("value")


def add_case(verification: Verification, *, reason: str, actor) -> list[BlocklistEntry]:
    """Bar the case's faces (selfie and ID card portrait) and its document number, if read; what is
    on the blocklist from this case already is not added again."""
    reason = _clean_reason(reason)
    entries = []
    for photo, vector in _faces(verification):
        entry = BlocklistEntry(kind=BlocklistEntry.Kind.FACE, source_photo_kind=photo.kind)
        entry.template = encryption.encrypt(np.asarray(vector, dtype="<f4").tobytes(), name=_template_name(entry.pk))
        entries.append(entry)
    number = _document_number(verification)
    if number:
        entry = BlocklistEntry(kind=BlocklistEntry.Kind.DOCUMENT, number_digest=number_digests(number)[0])
        entry.number = encryption.encrypt(normalised_number(number).encode(), name=_number_name(entry.pk))
        entries.append(entry)
    if not entries:
        raise BlocklistError("nothing to bar: the case's photos are gone and no document number was read")
    with transaction.atomic():
        # One request at a time per case (a double click, a task run twice): the second adds nothing.
        list(Verification.objects.select_for_update().filter(pk=verification.pk).values_list("pk"))
        barred = set(
            BlocklistEntry.objects.filter(source_verification=verification).values_list("kind", "source_photo_kind")
        )
        entries = [e for e in entries if (e.kind, e.source_photo_kind) not in barred]
        if not entries:
            raise BlocklistError("the case is on the blocklist already")
        for entry in entries:
            entry.reason = reason
            entry.source_verification = verification
            entry.source_applicant_id = verification.applicant_id
            entry.created_by = actor.label
            entry.save(force_insert=True)
        audit.record(
            "blocklist_added",
            actor=actor,
            verification=verification,
            entries=[{"id": str(e.pk), "kind": e.kind, "photo": e.source_photo_kind} for e in entries],
            reason=reason,
        )
    return entries


def remove(entry_id, *, actor, why: str = "") -> bool:
    with transaction.atomic():
        entry = BlocklistEntry.objects.select_for_update().filter(pk=entry_id).first()
        if entry is None:
            return False
        audit.record(
            "blocklist_removed",
            actor=actor,
            verification_id=entry.source_verification_id,
            applicant_id=entry.source_applicant_id,
            entry_id=str(entry.pk),
            kind=entry.kind,
            reason=entry.reason,
            why=why,
        )
        entry.delete()
    return True


def face_matches(vector, *, max_distance: float) -> list[tuple[BlocklistEntry, float]]:
    """Blocklisted faces within max_distance of this one (the list is small: read from the store)."""
    entries = list(BlocklistEntry.objects.filter(kind=BlocklistEntry.Kind.FACE))
    if not entries:
        return []
    matrix = np.stack([template_of(e) for e in entries])
    distances = np.linalg.norm(matrix - np.asarray(vector, dtype=np.float32), axis=1)
    return [(e, float(d)) for e, d in zip(entries, distances) if d <= max_distance]


def check_case(verification: Verification) -> list[BlocklistMatch]:
    """Record the case's matches against the blocklist (faces, document number). Idempotent."""
    found = []
    for photo, vector in _faces(verification):
        for entry, distance in face_matches(vector, max_distance=settings.KYC_DUPLICATE_FACE_DISTANCE):
            if entry.source_applicant_id != verification.applicant_id:
                found.append(BlocklistMatch(entry=entry, kind=entry.kind, photo_kind=photo.kind, distance=distance))
    reading = current_reading(verification)
    if reading is not None:
        number = (decode_reading(reading).get("fields", {}).get("document_number") or {}).get("value")
        if number:
            for entry in BlocklistEntry.objects.filter(
                kind=BlocklistEntry.Kind.DOCUMENT, number_digest=number_digests(number)[0]
            ):
                if entry.source_applicant_id != verification.applicant_id:
                    found.append(BlocklistMatch(entry=entry, kind=entry.kind, photo_kind=Photo.Kind.ID_CARD))
    for match in found:
        match.verification = verification
        match.reason = match.entry.reason
    BlocklistMatch.objects.bulk_create(found, ignore_conflicts=True)
    if found:
        audit.record(
            "blocklist_matched",
            actor=audit.Actor.system("blocklist"),
            verification=verification,
            matches=[
                {"entry": str(m.entry_id), "kind": m.kind, "photo": m.photo_kind, "distance": m.distance} for m in found
            ],
        )
    return found
