"""The operator's blocklist: faces and document numbers a fraud team has barred, with the reason.

An entry keeps its own copy of what it bars (the face's template, the number's keyed digest and the
number itself, encrypted), so it outlives the original case's photos; it has its own retention
(KYC_RETAIN_BLOCKLIST_DAYS). Matches (services.faces.blocklist) are recorded per case.
"""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _


class BlocklistEntry(models.Model):
    class Kind(models.TextChoices):
        FACE = "face", _("Face")
        DOCUMENT = "document", _("Document number")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    reason = models.TextField(_("reason"))
    # The face's 128-d template, encrypted (face entries).
    template = models.BinaryField(blank=True, default=b"")
    # Document entries: a keyed digest of the normalised number to match on, and the number encrypted.
    number_digest = models.CharField(max_length=64, blank=True, db_index=True)
    number = models.BinaryField(blank=True, default=b"")
    source_verification = models.ForeignKey(
        "Verification", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    source_applicant_id = models.UUIDField(null=True, blank=True)
    source_photo_kind = models.CharField(max_length=20, blank=True)
    created_by = models.CharField(max_length=150)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [("manage_blocklist", _("Can add to and remove from the blocklist"))]
        verbose_name = _("blocklist entry")
        verbose_name_plural = _("blocklist entries")

    def __str__(self):
        return f"{self.get_kind_display()}: {self.reason[:60]}"


class BlocklistMatch(models.Model):
    """A case's face or document number is on the blocklist."""

    verification = models.ForeignKey("Verification", on_delete=models.CASCADE, related_name="blocklist_matches")
    entry = models.ForeignKey(BlocklistEntry, on_delete=models.SET_NULL, null=True, related_name="matches")
    kind = models.CharField(max_length=10, choices=BlocklistEntry.Kind.choices)
    reason = models.TextField()  # the entry's, as it was when matched
    photo_kind = models.CharField(max_length=20, blank=True)
    distance = models.FloatField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["verification", "entry", "photo_kind"], name="one_match_per_entry_and_photo"
            )
        ]
        verbose_name = _("blocklist match")
        verbose_name_plural = _("blocklist matches")
