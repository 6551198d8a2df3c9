"""The business's systems: API clients and keys, idempotent requests, webhooks."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from onboarding.webhook_targets import validate_url

from .cases import Verification


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
    # The payload's identity data (the document's fields), encrypted; put back into it when sent,
    # dropped with the card's photos (retention) and on erasure (services.integrations.webhooks).
    sealed = models.BinaryField(blank=True, default=b"")
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
