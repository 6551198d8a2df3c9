"""What decides a case: automatic and reviewer decisions, two-person overturns, reason templates."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .cases import Verification


class ReviewCase(Verification):
    """The review queue in the admin: the cases in review, oldest first (a view of Verification)."""

    class Meta:
        proxy = True
        verbose_name = _("case to review")
        verbose_name_plural = _("review queue")


class Decision(models.Model):
    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")
        REVIEW = "review", _("Needs review")

    class Source(models.TextChoices):
        AUTO = "auto", _("Automatic")
        HUMAN = "human", _("Reviewer")

    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="decisions")
    outcome = models.CharField(max_length=10, choices=Outcome.choices)
    source = models.CharField(max_length=10, choices=Source.choices)
    reasons = models.JSONField(default=list, blank=True)
    policy_version = models.CharField(max_length=64)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        get_latest_by = "created_at"
        verbose_name = _("decision")
        verbose_name_plural = _("decisions")

    def __str__(self):
        return f"{self.get_outcome_display()} ({self.get_source_display()})"


class OverturnRequest(models.Model):
    """A senior reviewer's request to approve a case the policy rejected; a second one confirms it."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting for a second reviewer")
        CONFIRMED = "confirmed", _("Confirmed")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="overturn_requests")
    comment = models.TextField()
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    confirmed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("overturn request")
        verbose_name_plural = _("overturn requests")


class ReviewReason(models.Model):
    """A reason template reviewers pick when they decide; free text may be added to it."""

    class Outcome(models.TextChoices):
        APPROVE = "approve", _("Approve")
        REJECT = "reject", _("Reject")

    # The templates an install starts with (migration 0009, seed_reasons): code -> (outcome, label).
    # Labels are translated; an operator's own label wins.
    BUILT_IN = {
        "identity_confirmed": ("approve", _("Same person and a live selfie, confirmed by eye.")),
        "face_match_confirmed": (
            "approve",
            _("Same person, confirmed by eye; no liveness evidence (a still photo only)."),
        ),
        "borderline_match_confirmed": ("approve", _("Borderline face match confirmed by eye.")),
        "check_error_reviewed": ("approve", _("A check failed for technical reasons; the evidence is sufficient.")),
        "face_mismatch": ("reject", _("The selfie and the ID card show different people.")),
        "spoof_suspected": ("reject", _("The selfie looks like a photo of a screen, a print or a mask.")),
        "document_unusable": ("reject", _("The ID card is unreadable, cropped or covered.")),
        "document_altered": ("reject", _("The ID card looks forged or altered.")),
        "duplicate_identity": ("reject", _("The same face or photo appears under another applicant.")),
    }

    # Templates that say a live selfie was seen: not offered when the case has no liveness evidence.
    CLAIMS_LIVENESS = {"identity_confirmed"}

    # Reasons the applicant can act on by submitting again: their status page shows the text.
    APPLICANT_FIXABLE = {"document_unusable"}

    code = models.SlugField(max_length=64, unique=True)
    outcome = models.CharField(_("outcome"), max_length=10, choices=Outcome.choices)
    label = models.CharField(
        _("label"),
        max_length=200,
        blank=True,
        help_text=_("Leave empty to use the built-in, translated text of a built-in code."),
    )
    position = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["outcome", "position", "code"]
        verbose_name = _("review reason")
        verbose_name_plural = _("review reasons")

    def __str__(self):
        return str(self.text)

    @property
    def text(self):
        return self.label or self.BUILT_IN.get(self.code, ("", self.code))[1]

    @classmethod
    def seed(cls, model=None):
        """Create the built-in templates that are missing (migration 0009; tests after a flush)."""
        model = model or cls
        for position, (code, (outcome, _label)) in enumerate(cls.BUILT_IN.items()):
            model.objects.get_or_create(code=code, defaults={"outcome": outcome, "position": position})
