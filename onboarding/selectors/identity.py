"""Reads of identity data: a case's document reading, decrypted. The callers audit who saw it
(services.identity.documents, the API views, the admin)."""

from __future__ import annotations

import json

from onboarding import encryption
from onboarding.models import DeclaredIdentity, DocumentReading, Verification
from vendors.engine import turn_points


def declared_name(applicant_id) -> str:
    return f"declared-identity/{applicant_id}"


def declared_of(applicant_id) -> dict:
    """What the applicant declared (full_name, document_number, date_of_birth), decrypted."""
    row = DeclaredIdentity.objects.filter(applicant_id=applicant_id).only("applicant_id", "data").first()
    return decode_declared(row)


def decode_declared(row: DeclaredIdentity | None) -> dict:
    if row is None:
        return {}
    return json.loads(encryption.decrypt(bytes(row.data), name=declared_name(row.applicant_id)))


def identities_of(verifications) -> dict:
    """{verification id: (its document reading or None, its applicant's declared identity or None)}
    for many cases in two queries (a re-screen's batch)."""
    ids = [v.pk for v in verifications]
    readings = {}
    for reading in (
        DocumentReading.objects.filter(verification_id__in=ids, source_check__role="decide")
        .select_related("source_check")
        .order_by("verification_id", "created_at")
    ):
        readings[reading.verification_id] = reading  # the last of each case wins
    declared = {
        row.applicant_id: row
        for row in DeclaredIdentity.objects.filter(applicant_id__in=[v.applicant_id for v in verifications])
    }
    return {v.pk: (readings.get(v.pk), declared.get(v.applicant_id)) for v in verifications}


def reading_name(check_id) -> str:
    # Authenticated data: a blob copied onto another check's row does not decrypt.
    return f"document-reading/{check_id}"


def decode_reading(reading: DocumentReading) -> dict:
    return json.loads(encryption.decrypt(bytes(reading.data), name=reading_name(reading.source_check_id)))


def current_reading(verification: Verification) -> DocumentReading | None:
    """The reading of the case's deciding document check (the last, after any fallback)."""
    return (
        DocumentReading.objects.filter(verification=verification, source_check__role="decide")
        .select_related("source_check")
        .order_by("-created_at")
        .first()
    )


def document_view(verification: Verification) -> dict | None:
    """The case's `document` object (API, webhooks, kyc_verify): type, the fields' values, the checks.

    None when no document check ran; fields are empty once the card's photos are gone (retention,
    erasure) or when the check failed before reading."""
    checks = [c for c in verification.checks.all() if c.kind == "document" and c.role == "decide"]
    if not checks:
        return None
    check = max(checks, key=lambda c: c.created_at)
    reading = current_reading(verification)
    fields = {}
    if reading is not None and reading.source_check_id == check.pk:
        fields = {name: f["value"] for name, f in decode_reading(reading).get("fields", {}).items()}
    details = check.details or {}
    return {
        "type": details.get("type") or None,
        "fields": fields,
        "checks": details.get("checks", []),
    }


def document_rows(verification: Verification, data: dict, turns: dict | None = None) -> list[dict]:
    """The case page's rows: each field read beside its crop of the card (the box on the side's
    photo, unless that photo is gone), with its confidence. `turns`: by photo id, the turn that
    makes a photo upright (its analysis's): the crop of a sideways card is drawn upright."""
    photos = {"front": verification.id_card, "back": verification.id_card_back}
    rows = []
    for name, field in data.get("fields", {}).items():
        photo = photos.get(field.get("side"))
        box = field.get("box")
        crop = None
        if photo is not None and not photo.purged_at and box:
            turn = (turns or {}).get(photo.pk, 0)
            xs, ys = zip(*turn_points(box, turn, (photo.width, photo.height)))  # in the upright photo
            pad = 4
            left, top = max(0, min(xs) - pad), max(0, min(ys) - pad)
            crop = {
                "photo": photo,
                "view_box": f"{left} {top} {max(xs) - left + pad} {max(ys) - top + pad}",
                "width": photo.width,
                "height": photo.height,
                "transform": svg_turn(turn, photo.width, photo.height),
            }
        rows.append(
            {
                "name": name,
                "value": field["value"],
                "confidence": field.get("confidence"),
                "side": field.get("side"),
                "crop": crop,
            }
        )
    return rows


def svg_turn(turn: int, width: int, height: int) -> str:
    """The SVG transform that draws a stored photo (`width` x `height`) turned `turn` degrees
    counter-clockwise, as vendors.engine.turn_points() turns its points."""
    return {
        0: "",
        90: f"translate(0 {width}) rotate(-90)",
        180: f"translate({width} {height}) rotate(180)",
        270: f"translate({height} 0) rotate(90)",
    }[turn]
