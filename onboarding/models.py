"""What a KYC case is made of. Status changes go through services.state only."""

import uuid

from django.conf import settings
from django.core.files.storage import storages
from django.db import models
from django.utils.translation import gettext_lazy as _

from onboarding.validators import plain_text
from vendors.base import CheckKind, Subject


def private_storage():
    return storages["private"]


def photo_path(instance, filename):
    # No original file name or extension on disk: the content is always our re-encoded JPEG.
    return f"photos/{instance.applicant_id}/{instance.id}"


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


class ReviewCase(Verification):
    """The review queue in the admin: the cases in review, oldest first (a view of Verification)."""

    class Meta:
        proxy = True
        verbose_name = _("case to review")
        verbose_name_plural = _("review queue")


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
        "borderline_match_confirmed": ("approve", _("Borderline face match confirmed by eye.")),
        "check_error_reviewed": ("approve", _("A check failed for technical reasons; the evidence is sufficient.")),
        "face_mismatch": ("reject", _("The selfie and the ID card show different people.")),
        "spoof_suspected": ("reject", _("The selfie looks like a photo of a screen, a print or a mask.")),
        "document_unusable": ("reject", _("The ID card is unreadable, cropped or covered.")),
        "document_altered": ("reject", _("The ID card looks forged or altered.")),
        "duplicate_identity": ("reject", _("The same face or photo appears under another applicant.")),
    }

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


class FaceTemplate(models.Model):
    """The local engine's embedding of a photo's largest face, encrypted; deleted with the photo's file."""

    photo = models.OneToOneField(Photo, on_delete=models.CASCADE, related_name="face_template")
    applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="+")
    face_found = models.BooleanField()
    embedding = models.BinaryField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)


class DuplicateSignal(models.Model):
    """This case's photo matches a photo of another applicant (services.duplicates)."""

    class Kind(models.TextChoices):
        SAME_PHOTO = "same_photo", _("Same photo")
        SAME_FACE = "same_face", _("Same face")

    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="duplicate_signals")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    other_photo = models.ForeignKey(Photo, on_delete=models.CASCADE, related_name="+")
    other_applicant = models.ForeignKey(Applicant, on_delete=models.CASCADE, related_name="+")
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


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """Rows that are written once: the ORM refuses updates and deletes (the hash chain catches SQL)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only")


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


def challenge_path(instance, filename):
    return f"challenges/{instance.applicant_id}/{instance.id}"


class LivenessChallenge(models.Model):
    """An active liveness challenge: random head turns, single use, short-lived."""

    class Status(models.TextChoices):
        ISSUED = "issued", _("Issued")
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


class ApiClient(models.Model):
    """A business system that integrates through the REST API; it sees only its own applicants."""

    class Scope(models.TextChoices):
        READ = "verifications:read", _("Read verifications")
        WRITE = "verifications:write", _("Create applicants and verifications")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100, unique=True)
    scopes = models.JSONField(default=list, help_text=_("verifications:read, verifications:write"))
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("API client")
        verbose_name_plural = _("API clients")

    def __str__(self):
        return self.name


class ApiKey(models.Model):
    """Only a hash of the key is kept; the key itself is shown once, when it is created."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="keys")
    name = models.CharField(max_length=100, blank=True)
    prefix = models.CharField(max_length=16, unique=True, editable=False)
    hashed = models.CharField(max_length=64, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True, editable=False)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("API key")
        verbose_name_plural = _("API keys")

    def __str__(self):
        return f"kyc_{self.prefix}_… ({self.client})"


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


class IdempotencyRecord(models.Model):
    """One Idempotency-Key of one client: the same key with the same body gives the same verification."""

    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE)
    key = models.CharField(max_length=255)
    request_hash = models.CharField(max_length=64)
    verification = models.ForeignKey(Verification, on_delete=models.CASCADE)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["client", "key"], name="one_idempotency_key_per_client")]


def validate_webhook_url(value):
    from onboarding.services.webhook_targets import validate_url

    validate_url(value)


class WebhookEndpoint(models.Model):
    """Where an API client wants events. Two secrets overlap while a secret is being rotated."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhook_endpoints")
    url = models.URLField(
        max_length=500,
        validators=[validate_webhook_url],
        help_text=_("https, to a public address. Redirects are not followed."),
    )
    events = models.JSONField(default=list, blank=True, help_text=_("Event types to send; empty for all."))
    secret = models.CharField(max_length=100, editable=False)
    previous_secret = models.CharField(max_length=100, blank=True, editable=False)
    previous_secret_expires_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")

    def __str__(self):
        return f"{self.client}: {self.url}"


class WebhookEvent(models.Model):
    """One event, numbered per verification so receivers can put them in order."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    client = models.ForeignKey(ApiClient, on_delete=models.CASCADE, related_name="webhook_events")
    type = models.CharField(max_length=40, db_index=True)
    verification = models.ForeignKey(Verification, on_delete=models.SET_NULL, null=True, related_name="webhook_events")
    sequence = models.PositiveIntegerField()
    payload = models.JSONField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["verification", "sequence"], name="one_sequence_per_verification")
        ]
        verbose_name = _("webhook event")
        verbose_name_plural = _("webhook events")

    def __str__(self):
        return f"{self.type} #{self.sequence}"


class WebhookDelivery(models.Model):
    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        DELIVERED = "delivered", _("Delivered")
        FAILED = "failed", _("Failed")

    event = models.ForeignKey(WebhookEvent, on_delete=models.CASCADE, related_name="deliveries")
    endpoint = models.ForeignKey(WebhookEndpoint, on_delete=models.CASCADE, related_name="deliveries")
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING, db_index=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(null=True, blank=True, db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.CharField(max_length=300, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["event", "endpoint"], name="one_delivery_per_endpoint")]
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")


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
