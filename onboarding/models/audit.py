"""The audit trail and its hash chain."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import AppendOnlyModel


class AuditEvent(AppendOnlyModel):
    """Every state change and every human action. Never updated, never deleted.

    Ids are plain UUIDs, not foreign keys, so that nothing cascades into the trail.
    """

    class ActorType(models.TextChoices):
        SYSTEM = "system", _("System")
        APPLICANT = "applicant", _("Applicant")
        STAFF = "staff", _("Staff")
        API = "api", _("API client")

    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    actor_type = models.CharField(max_length=10, choices=ActorType.choices)
    actor = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=64, db_index=True)
    applicant_id = models.UUIDField(null=True, blank=True, db_index=True)
    verification_id = models.UUIDField(null=True, blank=True, db_index=True)
    from_status = models.CharField(max_length=20, blank=True)
    to_status = models.CharField(max_length=20, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        ordering = ["id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit trail")

    def __str__(self):
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.action}"


class AuditPendingSeal(models.Model):
    """An audit event written and not sealed yet, queued in the event's own transaction.

    The sealer reads this small queue instead of searching the whole trail for unsealed events,
    which cost a full scan per commit (0.9 s at a million events: bench/audit_seal.py). A plain
    id, like the trail's own ids: nothing cascades. `verify_audit` still counts unsealed events
    from the trail itself, so an event slipped in by SQL without a queue entry is reported.
    """

    event_id = models.BigIntegerField(primary_key=True)


class AuditChainHead(models.Model):
    """One row: the last sealed position of the audit hash chain. Its row lock serializes sealing."""

    seq = models.BigIntegerField(default=0)
    hash = models.CharField(max_length=64)
    updated_at = models.DateTimeField(auto_now=True)


class AuditSeal(AppendOnlyModel):
    """One link of the hash chain: an event's digest chained to the link before it.

    Events are sealed just after their transaction commits, in the order sealing sees them, so
    the chain needs no lock while business transactions run (they lock cases and checks).
    """

    seq = models.BigIntegerField(primary_key=True)
    event = models.OneToOneField(AuditEvent, on_delete=models.PROTECT, related_name="seal")
    event_hash = models.CharField(max_length=64)
    prev_hash = models.CharField(max_length=64)
    hash = models.CharField(max_length=64)
    sealed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["seq"]
        verbose_name = _("audit chain link")
        verbose_name_plural = _("audit chain links")


class AuditCheckpoint(AppendOnlyModel):
    """Where the chain starts after retention removed its oldest links: the last removed link's hash.

    `verify_audit` starts from the newest checkpoint, and wants the `audit_truncated` event that
    retention wrote for it still in the chain, so a checkpoint cannot be slipped in unnoticed.
    """

    seq = models.BigIntegerField(unique=True)
    hash = models.CharField(max_length=64)
    events_removed = models.PositiveIntegerField()
    removed_through = models.DateTimeField(help_text=_("The newest removed event was written at this time."))
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-seq"]
        verbose_name = _("audit trail checkpoint")
        verbose_name_plural = _("audit trail checkpoints")
