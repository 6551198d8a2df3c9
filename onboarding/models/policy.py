"""Published versions of the decision policy."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import AppendOnlyModel


class PolicyVersion(AppendOnlyModel):
    """One version of the decision policy (services.policy_config). The newest row is in force.

    Append-only: a change is a new version, a rollback a new version with the old content; each
    publication is also an audit event. Every decision records the version it was made under.
    """

    version = models.CharField(_("version"), max_length=64, unique=True)
    config = models.JSONField(_("configuration"))
    digest = models.CharField(max_length=64)
    comment = models.TextField(_("why"), blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-id"]
        verbose_name = _("decision policy version")
        verbose_name_plural = _("decision policy")

    def __str__(self):
        return self.version
