"""Erasure on request (GDPR art. 17, PIPL art. 47): an applicant's biometrics and personal data go now.

Erased at once: every photo, SDK liveness file and liveness burst, every stored vendor response,
and the external reference. Kept, and listed on the receipt with the date they go: the decisions
and the list matches reviewed with them (record-keeping duty under anti-money-laundering law), the
blocklist entries made from the applicant's cases (fraud prevention; their own retention), other
applicants' cases' matches with this applicant's photos (with those cases) and the audit trail.
Refused while a legal
hold is active or a case is still open (a vendor call may be reading the photos).

The receipt's digest is recorded in the hash-chained audit trail, so a receipt can be checked
against the trail later. Asking again with nothing new to erase returns the last receipt.
"""

from __future__ import annotations

import uuid

from django.db import transaction
from django.utils import timezone

from onboarding.models import (
    Applicant,
    BlocklistEntry,
    Check,
    DeclaredIdentity,
    DocumentReading,
    ErasureReceipt,
    ScreeningHit,
    Verification,
    WebhookEvent,
)
from onboarding.services.compliance import audit, retention
from onboarding.services.compliance.audit_chain import canonical_sha256
from onboarding.services.errors import Refused


class ErasureRefused(Refused):
    """Erasure cannot be done now (legal_hold, case_open)."""


def receipt_document(receipt: ErasureReceipt) -> dict:
    """What the requester gets: the content, its digest, and where the trail records it."""
    return {**receipt.content, "digest": receipt.digest, "audit_event_id": receipt.audit_event_id}


def _kept(applicant, now) -> dict:
    cases = list(Verification.objects.filter(applicant=applicant).values_list("decided_at", flat=True))
    last = max((d for d in cases if d), default=None)
    decisions_until = retention.expires_on(last or applicant.created_at, "decisions")
    audit_until = retention.expires_on(now, "audit_trail")
    barred = BlocklistEntry.objects.filter(source_applicant_id=applicant.pk).values_list("created_at", flat=True)
    blocklist_until = [retention.expires_on(added, "blocklist") for added in barred]
    return {
        "decisions": {
            "cases": len(cases),
            "until": decisions_until.isoformat() if decisions_until else None,
            "why": "record-keeping duty: the outcome of each case, its scores and who decided",
        },
        "screening_hits": {
            "hits": ScreeningHit.objects.filter(applicant=applicant).count(),
            "until": decisions_until.isoformat() if decisions_until else None,
            "why": "record-keeping duty: the sanctions and PEP list entries the cases matched, "
            "and how a reviewer resolved each (they go with the decisions)",
        },
        "blocklist": {
            "entries": len(blocklist_until),
            # None when there is none, or one has no period (KYC_RETAIN_BLOCKLIST_DAYS=0: kept until removed)
            "until": None if not blocklist_until or None in blocklist_until else max(blocklist_until).isoformat(),
            "why": "fraud prevention: the faces and document numbers a fraud team barred from a case, "
            "each its own encrypted copy",
        },
        # Not counted: some of those cases may be another API client's, which the requester must
        # not learn about; they go with those cases' decisions.
        "duplicate_signals": {
            "until": None,
            "why": "fraud prevention and record-keeping: where another applicant's case matched this "
            "applicant's face or photo, that case keeps the match (which photos, and their face "
            "distance; no image) with its decision, and it goes with them",
        },
        "audit_trail": {
            "until": audit_until.isoformat() if audit_until else None,
            "why": "proof of what happened to the case, this erasure included",
        },
    }


def erase_applicant(applicant_id, *, actor, reference: str = "") -> tuple[ErasureReceipt, bool]:
    """(receipt, created). Raises ErasureRefused (legal_hold, case_open) or Applicant.DoesNotExist."""
    now = timezone.now()
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant_id)
        if retention.is_held(applicant.pk):
            raise ErasureRefused(
                "legal_hold", "A legal hold is active on this applicant: nothing can be erased until it is released."
            )
        open_cases = applicant.verifications.exclude(status__in=retention.FINAL)
        if open_cases.exists():
            raise ErasureRefused(
                "case_open",
                "A case of this applicant is still open: decide it first, then "
                "erase (its checks may be reading the photos).",
            )
        # Counted first: wiping the card's photos deletes their readings too.
        identity = DocumentReading.objects.filter(applicant=applicant).delete()[0]
        identity += DeclaredIdentity.objects.filter(applicant=applicant).delete()[0]
        identity += (
            WebhookEvent.objects.filter(verification__applicant=applicant).exclude(sealed=b"").update(sealed=b"")
        )
        erased = {
            "identity_data": identity,
            "photos": len(retention.wipe_files(applicant.photos.all(), now)),
            "liveness_files": len(retention.wipe_files(applicant.liveness_files.all(), now)),
            "liveness_bursts": len(retention.wipe_files(applicant.challenges.exclude(frames=""), now)),
            "vendor_responses": retention.drop_vendor_responses(
                Check.objects.filter(verification__applicant=applicant, raw_response__isnull=False), now
            ),
            "external_reference": bool(applicant.external_ref),
        }
        earlier = ErasureReceipt.objects.filter(applicant_id=applicant.pk).order_by("-created_at").first()
        if earlier is not None and not any(erased.values()):
            return earlier, False
        applicant.external_ref, applicant.erased_at = "", now
        applicant.save(update_fields=["external_ref", "erased_at"])
        receipt_id = uuid.uuid4()
        content = {
            "receipt_id": str(receipt_id),
            "applicant_id": str(applicant.pk),
            "erased_at": now.isoformat(),
            "requested_by": actor.label,
            "reference": reference,
            "erased": erased,
            "kept": _kept(applicant, now),
        }
        event = audit.record(
            "applicant_erased",
            actor=actor,
            applicant_id=applicant.pk,
            receipt_id=str(receipt_id),
            receipt_digest=canonical_sha256(content),
            reference=reference,
            erased=erased,
        )
        receipt = ErasureReceipt.objects.create(
            id=receipt_id,
            applicant_id=applicant.pk,
            requested_by=actor.label,
            reference=reference,
            content=content,
            digest=canonical_sha256(content),
            audit_event_id=event.pk,
        )
    return receipt, True
