"""Declared data and document readings: kept encrypted, compared, shown only to whom may see them.

A document check's vendor reads the document (vendors.documents for the local engine); here what
it read is compared with what the applicant declared, cut down to the fields the operator keeps
(KYC_DOCUMENT_FIELDS_KEPT), encrypted and stored with the check. Every time a person or an API
client reads the fields, it is audited. The readings go with the card's photos (retention,
erasure); the declared data with the applicant.
"""

from __future__ import annotations

import datetime
import json
import re

from django.conf import settings

from onboarding import encryption
from onboarding.models import DeclaredIdentity, DocumentReading, Verification
from onboarding.selectors.identity import current_reading, declared_name, decode_reading, reading_name
from onboarding.services.compliance import audit
from vendors.base import CheckResult, Reason
from vendors.documents.names import names_match

DECLARED_FIELDS = ("full_name", "document_number", "date_of_birth")


class DeclaredDataError(ValueError):
    pass


def clean_declared(full_name=None, document_number=None, date_of_birth=None) -> dict:
    """The declared fields given, normalised; DeclaredDataError names a field that is not valid."""
    data = {}
    if full_name:
        name = " ".join(str(full_name).split())
        if len(name) > 200 or any(ord(c) < 32 for c in name):
            raise DeclaredDataError("full_name: at most 200 printable characters")
        data["full_name"] = name
    if document_number:
        number = re.sub(r"[\s-]", "", str(document_number)).upper()
        if not re.fullmatch(r"[A-Z0-9<]{1,40}", number):
            raise DeclaredDataError("document_number: letters and digits, at most 40")
        data["document_number"] = number
    if date_of_birth:
        try:
            born = (
                date_of_birth
                if isinstance(date_of_birth, datetime.date)
                else datetime.date.fromisoformat(str(date_of_birth))
            )
        except ValueError:
            raise DeclaredDataError("date_of_birth: a date, YYYY-MM-DD") from None
        data["date_of_birth"] = born.isoformat()
    return data


def declare(applicant, data: dict, *, actor) -> None:
    """Record what the applicant declared (replacing what they declared before)."""
    if not data:
        return
    blob = encryption.encrypt(json.dumps(data).encode(), name=declared_name(applicant.pk))
    DeclaredIdentity.objects.update_or_create(applicant=applicant, defaults={"data": blob})
    audit.record("identity_declared", actor=actor, applicant_id=applicant.pk, fields=sorted(data))


def judge(result: CheckResult, declared: dict) -> CheckResult:
    """Add the comparison with the declared data to a document check's result: one check per
    declared field, and declared_data_mismatch naming the fields that differ."""
    if result.document is None or not declared:
        return result
    fields = {name: f["value"] for name, f in result.document.get("fields", {}).items()}
    checks = result.details.setdefault("checks", [])
    differing = []
    for name in DECLARED_FIELDS:
        if name not in declared:
            continue
        read = fields.get(name)
        if read is None:
            outcome = "not_checked"
        elif name == "full_name":
            truncated = result.details.get("names_truncated", False)
            outcome = "passed" if _name_matches(declared[name], fields, truncated) else "failed"
        elif name == "document_number":
            outcome = "passed" if re.sub(r"[\s<-]", "", read).upper() == declared[name] else "failed"
        else:
            outcome = "passed" if read == declared[name] else "failed"
        checks.append({"check": f"declared_{name}", "outcome": outcome, "field": name})
        if outcome == "failed":
            differing.append(name)
    if differing:
        result.passed = False
        result.details["declared_mismatch_fields"] = differing
        result.reasons.append(
            Reason(
                "declared_data_mismatch",
                f"What the applicant declared differs from the document: {', '.join(differing)}.",
            )
        )
    return result


def _name_matches(declared: str, fields: dict, truncated: bool = False) -> bool:
    candidates = [fields.get("full_name")]
    if fields.get("surname"):
        candidates.append(f"{fields['surname']} {fields.get('given_names', '')}")
    return any(c and names_match(declared, c, truncated=truncated) for c in candidates)


def kept(document: dict) -> dict:
    """The reading cut down to the fields the operator keeps."""
    keep = settings.KYC_DOCUMENT_FIELDS_KEPT
    return {**document, "fields": {k: v for k, v in document.get("fields", {}).items() if k in keep}}


def store_reading(check, document: dict) -> None:
    """Keep what a document check read, encrypted (inside the transaction that stores the check)."""
    document = kept(document)
    DocumentReading.objects.update_or_create(
        source_check=check,
        defaults={
            "verification_id": check.verification_id,
            "applicant_id": check.verification.applicant_id,
            "type": document.get("type", ""),
            "data": encryption.encrypt(json.dumps(document).encode(), name=reading_name(check.pk)),
        },
    )


def reading_for(verification: Verification, *, actor, purpose: str) -> tuple[DocumentReading, dict] | None:
    """The case's current document reading and its fields, for a person or a client to see: audited."""
    reading = current_reading(verification)
    if reading is None:
        return None
    record_viewed(verification, actor=actor, purpose=purpose)
    return reading, decode_reading(reading)


def record_viewed(verification: Verification, *, actor, purpose: str) -> None:
    audit.record("document_data_viewed", actor=actor, verification=verification, purpose=purpose)


def reencrypt() -> int:
    """Key rotation (kyc_reencrypt): declared data and document readings."""
    readings = encryption.reencrypt_rows(
        DocumentReading.objects.only("id", "source_check_id", "data"),
        {"data": lambda r: reading_name(r.source_check_id)},
    )
    declared = encryption.reencrypt_rows(
        DeclaredIdentity.objects.only("id", "applicant_id", "data"), {"data": lambda r: declared_name(r.applicant_id)}
    )
    return readings + declared
