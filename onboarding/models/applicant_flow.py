"""The applicant's way through the flow: liveness challenges, phone handoffs, attempt limits, branding."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from .base import private_storage
from .cases import Applicant, Photo, Verification


def challenge_path(instance, filename):
    return f"challenges/{instance.applicant_id}/{instance.id}"


class LivenessChallenge(models.Model):
    """An active liveness challenge: random head turns, single use, short-lived."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
        VERIFYING = "verifying", _("Being verified")
        PASSED = "passed", _("Passed")
        FAILED = "failed", _("Failed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="challenges")
    verification = models.OneToOneField(
        Verification, on_delete=models.SET_NULL, null=True, blank=True, related_name="liveness_challenge"
    )
    moves = models.JSONField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.ISSUED)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    submitted_at = models.DateTimeField(null=True, blank=True)
    # The burst as a ZIP of JPEG frames, in the private storage like every photo.
    frames = models.FileField(storage=private_storage, upload_to=challenge_path, max_length=255, blank=True)
    frame_count = models.PositiveSmallIntegerField(default=0)
    frame_hashes = models.JSONField(default=list, blank=True)
    frames_purged_at = models.DateTimeField(null=True, blank=True)
    selfie = models.ForeignKey(Photo, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    reasons = models.JSONField(default=list, blank=True)
    metrics = models.JSONField(default=dict, blank=True)

    uploaded_via = models.UUIDField(null=True, blank=True, editable=False)  # as Photo.uploaded_via

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("liveness challenge")
        verbose_name_plural = _("liveness challenges")

    def __str__(self):
        return f"{' → '.join(self.moves)} ({self.get_status_display()})"


class Handoff(models.Model):
    """A short link that continues an applicant's case on another device (desktop to phone)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="handoffs")
    code_hash = models.CharField(max_length=64, unique=True)  # HMAC of the code; the code itself is not kept
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    # The phone was told the case was started elsewhere, and when, and said it started it (or not).
    confirmed_at = models.DateTimeField(null=True, blank=True)
    declined_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("phone handoff")
        verbose_name_plural = _("phone handoffs")

    def __str__(self):
        return f"handoff {str(self.pk)[:8]}"


class AttemptSlot(models.Model):
    """One of a subject's `limit` attempt slots under one rule (onboarding.services.limits), or its
    cool-down (index -1): the database's count when the cache is not Redis."""

    key = models.CharField(max_length=200)
    index = models.SmallIntegerField()
    at = models.FloatField(default=0)  # Unix time of the attempt that holds it; 0: free
    token = models.CharField(max_length=16, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["key", "index"], name="one_attempt_slot_per_index")]


class Branding(models.Model):
    """The operator's look and words on the applicant's pages; blank fields fall back to KYC_BRAND_* settings."""

    name = models.CharField(_("name"), max_length=100, blank=True)
    logo = models.BinaryField(_("logo"), blank=True, editable=False)  # PNG, re-encoded on upload
    primary_color = models.CharField(
        _("primary colour"), max_length=7, blank=True, help_text=_("#rrggbb, dark enough for text on white (4.5:1).")
    )
    support_contact = models.CharField(
        _("support contact"),
        max_length=200,
        blank=True,
        help_text=_("Shown to applicants who were not verified, e.g. an e-mail address or a phone number."),
    )
    consent_text = models.TextField(
        _("consent text (English)"),
        blank=True,
        help_text=_("Blank: the built-in notice. Separate paragraphs with a blank line."),
    )
    consent_text_zh_hans = models.TextField(_("consent text (Simplified Chinese)"), blank=True)
    consent_version = models.CharField(
        _("consent text version"),
        max_length=64,
        blank=True,
        help_text=_("Recorded with every applicant's consent; change it whenever the text changes."),
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("branding")
        verbose_name_plural = _("branding")

    def __str__(self):
        return str(_("Applicant pages"))
