"""A case's evidence pack: everything that happened to it, in one ZIP a third party can check.

    manifest.json   sha256 of every other file, the chain head at export, who exported it and when
    case.json       the verification with its risk level, its applicant's consent, duplicate signals,
                    every check (redacted raw responses included), every decision, and every audit
                    event with its chain link
    photos/...      the stored images (decrypted), the liveness burst and the SDK liveness file

The export itself is an audit event, so the trail shows who took the biometrics out.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile

from django.utils import timezone

from onboarding.models import AuditEvent, LivenessChallenge, Verification
from onboarding.selectors.identity import current_reading, declared_of, decode_reading
from onboarding.services.compliance import audit, audit_chain
from onboarding.storage import read_file


def _dump(value) -> bytes:
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False, default=str).encode()


def _case(verification: Verification) -> dict:
    applicant = verification.applicant
    checks = [
        {field.name: getattr(c, field.attname) for field in c._meta.concrete_fields}
        for c in verification.checks.order_by("created_at")
    ]
    decisions = [
        {
            "outcome": d.outcome,
            "source": d.source,
            "reasons": d.reasons,
            "comment": d.comment,
            "decided_by": d.decided_by.get_username() if d.decided_by else None,
            "policy_version": d.policy_version,
            "created_at": d.created_at,
        }
        for d in verification.decisions.select_related("decided_by").order_by("created_at")
    ]
    events = AuditEvent.objects.filter(verification_id=verification.pk).select_related("seal").order_by("id")
    trail = []
    for e in events:
        seal = getattr(e, "seal", None)
        trail.append(
            {
                "id": e.pk,
                "created_at": e.created_at,
                "actor_type": e.actor_type,
                "actor": e.actor,
                "action": e.action,
                "from_status": e.from_status,
                "to_status": e.to_status,
                "data": e.data,
                "event_hash": audit_chain.event_digest(e),
                "chain": {"seq": seal.seq, "prev_hash": seal.prev_hash, "hash": seal.hash} if seal else None,
            }
        )
    return {
        "verification": {
            "id": verification.pk,
            "status": verification.status,
            "channel": verification.channel,
            "submitted_at": verification.submitted_at,
            "decided_at": verification.decided_at,
            "risk_level": verification.risk_level,
            "risk_reasons": verification.risk_reasons,
        },
        "duplicate_signals": [
            {
                "kind": s.kind,
                "photo": s.photo_id,
                "other_photo": s.other_photo_id,
                "other_applicant": s.other_applicant_id,
                "other_verification": s.other_verification_id,
                "distance": s.distance,
                "created_at": s.created_at,
            }
            for s in verification.duplicate_signals.all()
        ],
        "applicant": {
            "id": applicant.pk,
            "external_ref": applicant.external_ref,
            "consent_version": applicant.consent_version,
            "consent_given_at": applicant.consent_given_at,
        },
        # Listed even when retention or erasure deleted the file: what there was, and when it went.
        "photos": [
            {
                "id": p.pk,
                "kind": p.kind,
                "sha256": p.sha256,
                "width": p.width,
                "height": p.height,
                "created_at": p.created_at,
                "deleted_at": p.purged_at,
            }
            for p in (verification.selfie, verification.id_card, verification.id_card_back)
            if p is not None
        ],
        "checks": checks,
        "identity": _identity(verification),
        "decisions": decisions,
        "audit_trail": trail,
    }


def _identity(verification: Verification) -> dict:
    """What the document said (each field with its confidence, side and box) and what the applicant
    declared: the export itself is the audited access."""
    reading = current_reading(verification)
    return {
        "document": decode_reading(reading) if reading is not None else None,
        "declared": declared_of(verification.applicant_id),
    }


def _files(verification: Verification) -> dict[str, bytes]:
    files = {}
    for name, item in (
        ("selfie", verification.selfie),
        ("id_card", verification.id_card),
        ("id_card_back", verification.id_card_back),
    ):
        if item is not None and item.file:
            files[f"photos/{name}.jpg"] = read_file(item)
    if verification.liveness_data_id and verification.liveness_data.file:
        files["photos/liveness_data.bin"] = read_file(verification.liveness_data)
    challenge = LivenessChallenge.objects.filter(verification=verification).first()
    if challenge is not None and challenge.frames:
        with challenge.frames.open("rb") as f:
            files["photos/liveness_burst.zip"] = f.read()
    return files


def evidence_pack(verification_id, *, user) -> tuple[str, bytes]:
    """(file name, ZIP bytes). Records the export in the audit trail first."""
    verification = Verification.objects.select_related(
        "applicant", "selfie", "id_card", "id_card_back", "liveness_data"
    ).get(pk=verification_id)
    audit.record("evidence_exported", actor=audit.Actor.staff(user), verification=verification)
    audit_chain.seal_pending(wait=True)  # the export event, and the case's latest ones, are in the chain it cites
    files = {"case.json": _dump(_case(verification)), **_files(verification)}
    top = audit_chain.head()
    manifest = {
        "verification_id": str(verification.pk),
        "exported_at": timezone.now(),
        "exported_by": user.get_username(),
        "audit_chain_head": {"seq": top.seq, "hash": top.hash},
        "files": {name: hashlib.sha256(data).hexdigest() for name, data in sorted(files.items())},
        "how_to_check": "sha256 of each file must match; each audit event's chain.hash is "
        "sha256('<seq>|<prev_hash>|<event_hash>'); `manage.py verify_audit` checks the whole chain.",
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("manifest.json", _dump(manifest))
        for name, data in sorted(files.items()):
            z.writestr(name, data)
    stamp = timezone.now().strftime("%Y%m%dT%H%M%SZ")
    return f"evidence-{verification.pk}-{stamp}.zip", out.getvalue()
