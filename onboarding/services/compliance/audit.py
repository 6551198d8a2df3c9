"""The audit trail: one append-only event per state change and human action."""

from django.db import transaction

from onboarding import statements
from onboarding.models import AuditEvent, AuditPendingSeal
from onboarding.services.compliance.audit_chain import seal_after_commit


class Actor:
    """Who did something: the system, an applicant, a staff user or an API client."""

    def __init__(self, actor_type, label="", user=None):
        self.type = actor_type
        self.label = label or (user.get_username() if user is not None else "")
        self.user = user

    @classmethod
    def system(cls, label="system"):
        return cls(AuditEvent.ActorType.SYSTEM, label)

    @classmethod
    def applicant(cls, applicant):
        return cls(AuditEvent.ActorType.APPLICANT, f"applicant:{applicant.pk}")

    @classmethod
    def api(cls, client):
        return cls(AuditEvent.ActorType.API, f"api:{client.name}")

    @classmethod
    def staff(cls, user):
        return cls(AuditEvent.ActorType.STAFF, user=user)


def event(
    action, *, actor, applicant_id=None, verification=None, verification_id=None, from_status="", to_status="", **data
) -> AuditEvent:
    """An event to record. verification_id instead of verification: for a case whose row is already gone."""
    if verification is not None:
        applicant_id = applicant_id or verification.applicant_id
        verification_id = verification.pk
    return AuditEvent(
        actor_type=actor.type,
        actor=actor.label,
        action=action,
        applicant_id=applicant_id,
        verification_id=verification_id,
        from_status=from_status,
        to_status=to_status,
        data=data,
    )


def record(action, **kwargs) -> AuditEvent:
    return record_all([event(action, **kwargs)])[0]


def record_all(events: list[AuditEvent]) -> list[AuditEvent]:
    """Write the events and their places in the sealer's queue, in the caller's transaction (or one
    of their own): one statement on PostgreSQL, two INSERTs elsewhere, however many events. Sealed
    after commit."""
    if transaction.get_connection().in_atomic_block:
        _write(events)
    else:
        with transaction.atomic():
            _write(events)
    seal_after_commit()
    return events


def _write(events):
    if statements.insert_audit_events(events):
        return
    # Insert only: AppendOnlyModel refuses updates, and bulk_create never makes one.
    AuditEvent.objects.bulk_create(events)
    AuditPendingSeal.objects.bulk_create([AuditPendingSeal(event_id=e.pk) for e in events])
