"""Screening a case's applicant: who they are (the document as read, else what they declared), the
lists' search for the pipeline's screening check, the hits kept for review, and their resolution.

A hit a reviewer resolved as a false positive does not flag the same applicant against the same
list entry again (the entry is remembered by its list's id, across list versions). A list match is
never told to the applicant.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from onboarding.models import Check, ScreeningHit, ScreeningSource
from onboarding.selectors.identity import current_reading, declared_of, decode_declared, decode_reading
from onboarding.services.compliance import audit
from onboarding.services.screening import search
from vendors.base import PersonInput, Reason
from vendors.screening import matching


class ResolutionError(Exception):
    pass


UNREAD = object()


def person_of(verification, reading=UNREAD, declared_row=UNREAD) -> PersonInput | None:
    """The names, birth date and nationality to screen: read from the case's document (the
    document check's reading), with what the applicant declared added; None with no name at all.
    reading, declared_row: already read for many cases at once (selectors.identity.identities_of)."""
    names, birth_date, nationality, source = [], "", "", ""
    reading = current_reading(verification) if reading is UNREAD else reading
    if reading is not None:
        fields = {k: (v or {}).get("value") for k, v in decode_reading(reading).get("fields", {}).items()}
        for key in ("full_name", "name"):
            if fields.get(key) and fields[key] not in names:
                names.append(str(fields[key]))
        birth_date = str(fields.get("date_of_birth") or "")
        nationality = str(fields.get("nationality") or "")
        source = "document" if names else ""
    declared = declared_of(verification.applicant_id) if declared_row is UNREAD else decode_declared(declared_row)
    if declared.get("full_name") and declared["full_name"] not in names:
        names.append(declared["full_name"])
        source = source or "declared"
    birth_date = birth_date or declared.get("date_of_birth") or ""
    if not names:
        return None
    return PersonInput(names=names, birth_date=birth_date, nationality=nationality.lower(), source=source)


def lists_imported() -> bool:
    return ScreeningSource.objects.filter(entry_count__gt=0).exists()


def search_with(policy):
    """The lists' search as the screening check calls it, with the policy's weights."""

    def screen(person: PersonInput) -> list[dict]:
        found = search.screen(matching.Person.screened(person), policy.screening)
        return [hit.as_dict() for hit in found]

    return screen


def drop_resolved(check, result) -> None:
    """Before a screening result is stored: hits on entries a reviewer already found to be someone
    else for this applicant are set aside (kept in details as `resolved_earlier`), not flagged."""
    hits = (result.details or {}).get("hits") or []
    if not hits:
        return
    cleared = cleared_for(check.verification.applicant_id)
    kept = [h for h in hits if (h["source"], h["list_id"]) not in cleared]
    if len(kept) == len(hits):
        return
    result.details["hits"] = kept
    result.details["resolved_earlier"] = [h for h in hits if (h["source"], h["list_id"]) in cleared]
    result.passed = not kept
    result.score = max((h["score"] for h in kept), default=0.0)
    result.reasons = [r for r in result.reasons if r.code != "screening_match" or kept]
    if not kept:
        result.reasons.append(Reason("screening_cleared", "Every match was found earlier to be someone else."))


def record_hits(check) -> list[ScreeningHit]:
    """The stored screening check's hits, as rows a reviewer resolves (once per case and entry)."""
    return keep_hits(check.verification, (check.details or {}).get("hits") or [])


def cleared_for(applicant_id) -> set[tuple[str, str]]:
    """(source, list id) of the entries a reviewer found to be someone else for this applicant."""
    return set(
        ScreeningHit.objects.filter(applicant_id=applicant_id, status=ScreeningHit.Status.FALSE_POSITIVE).values_list(
            "source", "list_id"
        )
    )


def keep_hits(verification, hits: list[dict]) -> list[ScreeningHit]:
    """Hits (search.Hit.as_dict()) as rows of the case; those it has already are left as they are."""
    made = []
    for h in hits:
        hit, created = ScreeningHit.objects.get_or_create(
            verification_id=verification.pk,
            source=h["source"],
            list_id=h["list_id"],
            defaults={
                "applicant_id": verification.applicant_id,
                "entry_id": h.get("entry_id"),
                "list_version": h.get("list_version") or 0,
                "caption": h["caption"][:200],
                "matched_name": h["matched_name"][:200],
                "score": h["score"],
                "why": h.get("why") or {},
            },
        )
        if created:
            made.append(hit)
    return made


def resolve(hit_id, *, status: str, user, comment: str = "") -> ScreeningHit:
    """A reviewer's verdict on a hit: a false positive (someone else) or a confirmed match; audited."""
    if status not in (ScreeningHit.Status.FALSE_POSITIVE, ScreeningHit.Status.CONFIRMED):
        raise ResolutionError(f"a hit is resolved as false_positive or confirmed, not {status!r}")
    comment = (comment or "").strip()
    if not comment:
        raise ResolutionError("say why")
    with transaction.atomic():
        hit = ScreeningHit.objects.select_for_update().select_related("verification").get(pk=hit_id)
        hit.status, hit.resolved_by, hit.resolved_at, hit.comment = status, user.get_username(), timezone.now(), comment
        hit.save(update_fields=["status", "resolved_by", "resolved_at", "comment"])
        audit.record(
            "screening_hit_resolved",
            actor=audit.Actor.staff(user),
            verification=hit.verification,
            hit_id=hit.pk,
            source=hit.source,
            list_id=hit.list_id,
            status=status,
            comment=comment,
        )
    return hit


def hits_of(verification) -> list[ScreeningHit]:
    return list(ScreeningHit.objects.filter(verification=verification).select_related("entry").order_by("-score", "pk"))


def screening_check_pending(verification_id) -> list:
    return list(
        Check.objects.filter(
            verification_id=verification_id, kind="screening", status=Check.Status.PENDING
        ).values_list("pk", flat=True)
    )
