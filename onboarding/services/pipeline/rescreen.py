"""Ongoing screening: when a list changes, every approved applicant still within retention is
screened again against the entries that version added or changed, in batches on the workers
(tasks.rescreen_list, queued by the import: services.screening.lists).

A new hit (not one the case has, nor one a reviewer found to be someone else for this applicant)
is kept on the applicant's approved case, which goes back to review at risk level 1 with an
automatic decision saying why, and the client hears of it (`screening.match` webhook). The
applicant is not told.
"""

from __future__ import annotations

from django.db import transaction

from onboarding.models import Decision, Verification
from onboarding.reasons import reason_text
from onboarding.selectors.identity import identities_of
from onboarding.services.compliance import audit
from onboarding.services.integrations import webhooks
from onboarding.services.pipeline import state
from onboarding.services.policy import versions
from onboarding.services.screening import cases, search
from vendors.screening import matching

BATCH = 500


def rescreen_batch(source_id, version, after=None) -> str | None:
    """Screen the next BATCH approved cases (by id, after `after`) against the version's new and
    changed entries; returns the last case's id when more may follow, else None."""
    changed = search.ChangedEntries(source_id, version)
    if not changed.exists():
        return None
    approved = Verification.objects.filter(status=Verification.Status.APPROVED, applicant__erased_at__isnull=True)
    if after:
        approved = approved.filter(pk__gt=after)
    batch = list(approved.order_by("pk").only("pk", "applicant_id", "status")[:BATCH])
    policy = versions.active()
    identities = identities_of(batch)
    for verification in batch:
        # None once retention took the identity data: nothing left to screen.
        person = cases.person_of(verification, *identities[verification.pk])
        if person is not None:
            rescreen_case(verification, person, changed, policy)
    return str(batch[-1].pk) if len(batch) == BATCH else None


def rescreen_case(verification, person, changed, policy) -> list:
    found = changed.screen(matching.Person.screened(person), policy.screening)
    if not found:
        return []
    # Entries the case has already, or a reviewer found to be someone else for this applicant.
    seen = cases.cleared_for(verification.applicant_id) | set(
        verification.screening_hits.values_list("source", "list_id")
    )
    new = [h.as_dict() for h in found if (h.entry.source.name, h.entry.key) not in seen]
    if new:
        open_review(verification, new, policy)
    return new


def open_review(verification, hits: list[dict], policy) -> None:
    with transaction.atomic():
        verification = Verification.objects.select_for_update().get(pk=verification.pk)
        kept = cases.keep_hits(verification, hits)
        if not kept or verification.status != Verification.Status.APPROVED:
            return
        reason = {"code": "screening_match", "level": "1", "message": str(reason_text("screening_match"))}
        decision = Decision.objects.create(
            verification=verification,
            outcome=Decision.Outcome.REVIEW,
            source=Decision.Source.AUTO,
            reasons=[{**reason, "fixable": False}],
            policy_version=policy.version,
        )
        verification.risk_level = "1"
        verification.risk_reasons = [reason, *(verification.risk_reasons or [])]
        state.transition(
            verification,
            Verification.Status.NEEDS_REVIEW,
            actor=audit.Actor.system("screening"),
            action="screening_review_opened",
            decision_id=decision.pk,
            hits=[{"source": h.source, "list_id": h.list_id, "score": h.score} for h in kept],
            save_also=["risk_level", "risk_reasons"],
        )
        webhooks.emit(verification, "screening.match", lambda: match_payload(verification, kept))


def match_payload(verification, hits) -> dict:
    """What the client is told: the case and the list entries matched (published data only)."""
    return {
        "verification_id": str(verification.pk),
        "status": verification.status,
        "risk_level": verification.risk_level,
        "hits": [
            {
                "source": h.source,
                "list_version": h.list_version,
                "list_id": h.list_id,
                "caption": h.caption,
                "matched_name": h.matched_name,
                "score": h.score,
            }
            for h in hits
        ],
    }
