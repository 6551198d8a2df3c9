"""Legal holds and erasure receipts."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import AppendOnlyModel
from .cases import Applicant


class LegalHold(models.Model):
    """While a hold is active nothing of the applicant's is purged or erased."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(Applicant, on_delete=models.PROTECT, related_name="legal_holds")
    reason = models.TextField(_("reason"))
    placed_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    placed_at = models.DateTimeField(auto_now_add=True)
    released_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    released_at = models.DateTimeField(null=True, blank=True)
    release_reason = models.TextField(blank=True)

    class Meta:
        ordering = ["-placed_at"]
        verbose_name = _("legal hold")
        verbose_name_plural = _("legal holds")

    def __str__(self):
        state = _("active") if self.is_active else _("released")
        return f"{self.applicant} ({state})"

    @property
    def is_active(self):
        return self.released_at is None


class ErasureReceipt(AppendOnlyModel):
    """Proof of an erasure on request: what was erased, what was kept and until when, and the audit event.

    `content` is what the requester receives; `digest` is its SHA-256 (canonical JSON), also in the trail.
    Plain UUIDs, not foreign keys: the receipt outlives the applicant's records.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant_id = models.UUIDField(db_index=True)
    requested_by = models.CharField(max_length=150)
    reference = models.CharField(_("request reference"), max_length=200, blank=True)
    content = models.JSONField()
    digest = models.CharField(max_length=64)
    audit_event_id = models.BigIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("erasure receipt")
        verbose_name_plural = _("erasure receipts")

    def __str__(self):
        return f"{str(self.applicant_id)[:8]} {self.created_at:%Y-%m-%d}"
