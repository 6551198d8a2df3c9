"""A case and what it is made of: the applicant, their photos and files, the verification, its
checks, face templates and duplicate signals. Status changes go through services.pipeline.state only."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from onboarding.validators import plain_text
from vendors.base import CheckKind, Subject

from .base import photo_path, private_storage


class Applicant(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    external_ref = models.CharField(
        _("external reference"), max_length=200, blank=True, db_index=True, validators=[plain_text]
    )
    # The integrating client that created this applicant through the API (none for the web flow).
    client = models.ForeignKey("ApiClient", on_delete=models.PROTECT, null=True, blank=True, related_name="applicants")
    language = models.CharField(max_length=16, blank=True)
    consent_given_at = models.DateTimeField(_("consent given at"), null=True, blank=True)
    consent_version = models.CharField(_("consent text version"), max_length=64, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # Set when the applicant's biometrics and personal data were erased on request (see ErasureReceipt).
    erased_at = models.DateTimeField(_("erased at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        permissions = [
            ("place_legal_hold", _("Can place and release a legal hold")),
            ("erase_applicant", _("Can erase an applicant's data on request")),
        ]
        verbose_name = _("applicant")
        verbose_name_plural = _("applicants")

    def __str__(self):
        # Never the client's reference: it is a client's text, not the person's name.
        return f"{_('Applicant')} {str(self.id)[:8]}"


class Photo(models.Model):
    class Kind(models.TextChoices):
        SELFIE = "selfie", _("Selfie")
        ID_CARD = "id_card", _("ID card (front)")
        ID_CARD_BACK = "id_card_back", _("ID card (back)")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="photos")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    file = models.FileField(storage=private_storage, upload_to=photo_path, max_length=255)
    sha256 = models.CharField(_("SHA-256 of stored image"), max_length=64, db_index=True)
    source_sha256 = models.CharField(_("SHA-256 of upload"), max_length=64, db_index=True)
    source_format = models.CharField(_("uploaded format"), max_length=16)
    source_size = models.PositiveIntegerField(_("uploaded bytes"))
    content_type = models.CharField(max_length=64)
    size = models.PositiveIntegerField(_("stored bytes"))
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # The file is gone (retention or erasure); the row stays as the record of what was there.
    purged_at = models.DateTimeField(null=True, blank=True)
    # The phone link (Handoff id) whose phone sent it; none: the browser that started the case.
    # A browser only ever gets back the photos it sent itself (onboarding.access).
    uploaded_via = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")

    def __str__(self):
        return f"{self.get_kind_display()} {self.width}x{self.height}"


RISK_LEVELS = [("1", _("1 high risk")), ("2", _("2 suspicious")), ("3", _("3 ordinary")), ("4", _("4 normal"))]


class Verification(models.Model):
    class Status(models.TextChoices):
        SUBMITTED = "submitted", _("Submitted")
        PROCESSING = "processing", _("Processing")
        NEEDS_REVIEW = "needs_review", _("Needs review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    class Channel(models.TextChoices):
        WEB = "web", _("Web")
        API = "api", _("API")
        CLI = "cli", _("Command line")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="verifications")
    selfie = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="+")
    id_card = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="+")
    id_card_back = models.ForeignKey(Photo, on_delete=models.PROTECT, related_name="+", null=True, blank=True)
    liveness_data = models.ForeignKey(
        "LivenessDataFile", on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.SUBMITTED, editable=False)
    channel = models.CharField(max_length=10, choices=Channel.choices, default=Channel.WEB)
    submitted_at = models.DateTimeField(auto_now_add=True)
    processing_started_at = models.DateTimeField(null=True, blank=True)
    decided_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)
    # The reviewer working on the case (services.review); an assignment lapses after
    # KYC_REVIEW_ASSIGNMENT_MINUTES so a case left open does not stay locked.
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    # One risk level per case on Baidu's scale ("1" high risk … "4" normal), with the reasons (services.risk).
    risk_level = models.CharField(_("risk level"), max_length=1, choices=RISK_LEVELS, blank=True)
    risk_reasons = models.JSONField(_("risk reasons"), default=list, blank=True)
    # The duplicate scan (services.duplicates) was scheduled and has not finished: the decision waits.
    duplicates_pending = models.BooleanField(default=False)
    duplicates_error = models.CharField(max_length=200, blank=True)  # it could not be done, and why

    class Meta:
        ordering = ["-submitted_at"]
        indexes = [
            models.Index(fields=["status", "submitted_at"]),
            # The case list, newest first, and its date drill-down.
            models.Index(fields=["submitted_at"]),
            # The review queue: oldest first among the cases in review.
            models.Index(fields=["status", "decided_at"]),
            models.Index(fields=["risk_level", "submitted_at"]),
        ]
        permissions = [
            ("decide_verification", _("Can approve or reject verifications")),
            ("export_evidence", _("Can export a case's evidence pack")),
            ("overturn_decision", _("Can overturn an automatic reject (with a second person)")),
            ("assign_verification", _("Can assign and release other reviewers' cases")),
            ("view_dashboard", _("Can see the operations dashboard")),
            ("run_policy_whatif", _("Can replay past cases under candidate thresholds")),
        ]
        verbose_name = _("verification")
        verbose_name_plural = _("verifications")

    def __str__(self):
        return str(self.id)[:8]

    @property
    def is_decided(self):
        return self.status in (self.Status.APPROVED, self.Status.REJECTED, self.Status.NEEDS_REVIEW)


class Check(models.Model):
    """One vendor call for one check kind on one verification."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        RUNNING = "running", _("Running")
        COMPLETED = "completed", _("Completed")
        NOT_APPLICABLE = "not_applicable", _("Not applicable")
        FAILED = "failed", _("Failed")

    class Role(models.TextChoices):
        DECIDE = "decide", _("Deciding")
        SHADOW = "shadow", _("Shadow (stored and compared, never decides)")

    FINAL_STATUSES = (Status.COMPLETED, Status.NOT_APPLICABLE, Status.FAILED)

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="checks")
    role = models.CharField(max_length=8, choices=Role.choices, default=Role.DECIDE)
    kind = models.CharField(max_length=16, choices=[(k.value, k.value) for k in CheckKind])
    subject = models.CharField(max_length=16, choices=[(s.value, s.value) for s in Subject])
    vendor = models.CharField(max_length=32)
    # Vendors still to try for this kind if this one fails for good, in order.
    fallback_vendors = models.JSONField(default=list, blank=True)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.PENDING)
    attempt_count = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)
    score = models.FloatField(null=True, blank=True)
    score_scale = models.CharField(max_length=120, blank=True)
    threshold = models.FloatField(null=True, blank=True)
    threshold_source = models.CharField(max_length=200, blank=True)
    passed = models.BooleanField(null=True)
    # The score on the common scale: estimated false-accept rate (vendors.calibration), where known.
    far = models.FloatField(_("estimated FAR"), null=True, blank=True)
    far_relation = models.CharField(max_length=2, blank=True)  # "=", "<", "≤", ">"
    far_source = models.CharField(max_length=200, blank=True)
    risk_level = models.CharField(max_length=8, blank=True)
    risk_tags = models.JSONField(default=list, blank=True)
    request_id = models.UUIDField(_("our request id"), default=uuid.uuid4, unique=True, editable=False)
    vendor_request_id = models.CharField(max_length=128, blank=True)
    error_category = models.CharField(max_length=20, blank=True)
    error_code = models.CharField(max_length=64, blank=True)
    error_message = models.TextField(blank=True)
    latency_ms = models.PositiveIntegerField(null=True, blank=True)
    raw_response = models.JSONField(_("redacted raw response"), null=True, blank=True)
    raw_response_purged_at = models.DateTimeField(null=True, blank=True)
    details = models.JSONField(default=dict, blank=True)
    reasons = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]
        constraints = [
            # Idempotency: one check per vendor per kind and subject of a verification.
            models.UniqueConstraint(fields=["verification", "kind", "subject", "vendor"], name="one_check_per_vendor"),
        ]
        # The admin's check list (newest first), the dashboard (per vendor over a period), and the
        # "cases with a check by vendor X" filter, answered from the index alone (bench/admin_scale.py).
        indexes = [
            models.Index(fields=["created_at"]),
            models.Index(fields=["vendor", "kind", "created_at"]),
            models.Index(fields=["vendor", "verification"], name="check_vendor_case_idx"),
        ]
        verbose_name = _("check")
        verbose_name_plural = _("checks")

    def __str__(self):
        return f"{self.vendor} {self.kind} ({self.subject})"

    @property
    def is_final(self):
        return self.status in self.FINAL_STATUSES

    @property
    def client_error(self) -> tuple[str, str]:
        """(code, message) of the error as an API client may read them, in the check and in the
        decision's and the risk's reasons: a vendor's configuration (credentials, quota,
        permissions) is the operator's business, shown whole to staff and the operator's tools."""
        if self.error_category == "configuration":
            return "vendor_unavailable", "The vendor could not be used. The operator has been told."
        return self.error_code, self.error_message

    @property
    def far_estimate(self):
        """The score as an estimated false-accept rate (vendors.calibration), or None."""
        from vendors.calibration import FarEstimate

        return None if self.far is None else FarEstimate(self.far, self.far_relation or "=", self.far_source)


class PhotoAnalysis(models.Model):
    """What the local engine saw in a photo, made once and reused by every check and the duplicate
    scan (services.applicant.analysis): encrypted, and deleted with the photo's file.

    Valid only for the stored image it was made from (sha256) and the engine that made it.
    """

    photo = models.OneToOneField(Photo, on_delete=models.CASCADE, related_name="analysis")
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="+")
    sha256 = models.CharField(_("SHA-256 of the analysed image"), max_length=64, blank=True)
    engine = models.CharField(max_length=200, blank=True)
    # The largest face's embedding (a biometric template) is stored on its own: the duplicate scan
    # reads only it. Faces, landmarks and measures are in `data`.
    has_embedding = models.BooleanField(default=False)
    embedding = models.BinaryField(blank=True)
    # When the embedding was stored: the face index (services.faces) takes up new ones from here.
    embedded_at = models.DateTimeField(null=True, blank=True, db_index=True)
    data = models.BinaryField(blank=True, default=b"")
    # A process is making it since then; others wait for it rather than make it again.
    claimed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo analysis")
        verbose_name_plural = _("photo analyses")


class DuplicateSignal(models.Model):
    """This case's photo matches a photo of another applicant (services.duplicates)."""

    class Kind(models.TextChoices):
        SAME_PHOTO = "same_photo", _("Same photo")
        SAME_FACE = "same_face", _("Same face")

    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="duplicate_signals")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    # The other side's rows may go first (its own retention): this case keeps the match, its
    # evidence, with its decision (null: that applicant is deleted).
    other_photo = models.ForeignKey(Photo, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    other_applicant = models.ForeignKey(Applicant, on_delete=models.SET_NULL, null=True, blank=True, related_name="+")
    other_verification = models.ForeignKey(
        Verification, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    distance = models.FloatField(_("face distance"), null=True, blank=True)
    # The other applicant belongs to another API client (or the web flow): shown to staff, never
    # used for what this case's client is told (unless KYC_DUPLICATES_ACROSS_CLIENTS).
    across_clients = models.BooleanField(_("across clients"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["kind", "distance"]
        constraints = [
            models.UniqueConstraint(
                fields=["verification", "kind", "photo", "other_photo"], name="one_signal_per_photo_pair"
            )
        ]
        verbose_name = _("duplicate signal")
        verbose_name_plural = _("duplicate signals")

    def __str__(self):
        return f"{self.get_kind_display()} ({self.photo.get_kind_display()})"


class LivenessDataFile(models.Model):
    """The encrypted liveness file written by a vendor's mobile SDK (LinkFace), stored as received."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="liveness_files")
    vendor = models.CharField(max_length=32, default="linkface")
    file = models.FileField(storage=private_storage, upload_to=photo_path, max_length=255)
    sha256 = models.CharField(max_length=64)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("SDK liveness file")
        verbose_name_plural = _("SDK liveness files")
