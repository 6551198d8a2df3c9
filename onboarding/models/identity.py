"""Who the applicant is: what they declared, and what their identity document says.

Both are personal data: encrypted like the photos (services.identity), deleted with the card's
photo (retention, erasure), and every reading by a person is audited.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeclaredIdentity(models.Model):
    """The name, document number and date of birth the applicant (or the client's API call) gave."""

    applicant = models.OneToOneField("Applicant", on_delete=models.CASCADE, related_name="declared_identity")
    data = models.BinaryField()  # encrypted JSON: full_name, document_number, date_of_birth
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("declared identity")
        verbose_name_plural = _("declared identities")


class DocumentReading(models.Model):
    """The fields a document check read (one per check), as kept under KYC_DOCUMENT_FIELDS_KEPT."""

    source_check = models.OneToOneField("Check", on_delete=models.CASCADE, related_name="document_reading")
    verification = models.ForeignKey("Verification", on_delete=models.CASCADE, related_name="document_readings")
    applicant = models.ForeignKey("Applicant", on_delete=models.CASCADE, related_name="+")
    type = models.CharField(_("document type"), max_length=32)
    # Encrypted JSON: {"fields": {name: {value, confidence, side, box}}}.
    data = models.BinaryField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("document reading")
        verbose_name_plural = _("document readings")
