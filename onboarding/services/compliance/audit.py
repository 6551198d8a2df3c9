"""The audit trail: one append-only event per state change and human action."""

from django.db import transaction

from onboarding.models import AuditEvent, AuditPendingSeal


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


def record(
    action, *, actor, applicant_id=None, verification=None, verification_id=None, from_status="", to_status="", **data
):
    """verification_id instead of verification: for a case whose row is already gone."""
    if verification is not None:
        applicant_id = applicant_id or verification.applicant_id
        verification_id = verification.pk
    if transaction.get_connection().in_atomic_block:
        event = _write(action, actor, applicant_id, verification_id, from_status, to_status, data)
    else:
        with transaction.atomic():  # the event and its place in the sealing queue, together
            event = _write(action, actor, applicant_id, verification_id, from_status, to_status, data)
    from onboarding.services.compliance.audit_chain import seal_after_commit

    seal_after_commit()
    return event


def _write(action, actor, applicant_id, verification_id, from_status, to_status, data):
    event = AuditEvent(
        actor_type=actor.type,
        actor=actor.label,
        action=action,
        applicant_id=applicant_id,
        verification_id=verification_id,
        from_status=from_status,
        to_status=to_status,
        data=data,
    )
    event.save(force_insert=True)
    AuditPendingSeal.objects.create(event_id=event.pk)  # the sealer's queue, in the event's transaction
    return event
