"""What integrators' systems use: API clients and keys, webhook endpoints and the delivery log."""

from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onboarding.models import ApiClient, ApiKey, WebhookDelivery, WebhookEndpoint, WebhookEvent
from onboarding.services.compliance import audit
from onboarding.services.integrations import api_keys, webhooks

from .common import ReadOnlyMixin


class ApiKeyInline(admin.TabularInline):
    model = ApiKey
    extra = 0
    can_delete = False
    fields = ["name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = fields
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False  # keys are created from the API key page, where the key is shown once


@admin.register(ApiClient)
class ApiClientAdmin(admin.ModelAdmin):
    list_display = ["name", "scopes", "is_active", "created_at"]
    inlines = [ApiKeyInline]


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ["__str__", "client", "name", "created_at", "last_used_at", "revoked_at"]
    list_filter = ["client", ("revoked_at", admin.EmptyFieldListFilter)]
    fields = ["client", "name", "prefix", "created_at", "last_used_at", "revoked_at"]
    readonly_fields = ["prefix", "created_at", "last_used_at", "revoked_at"]
    actions = ["revoke"]

    def get_readonly_fields(self, request, obj=None):
        return self.readonly_fields + (["client"] if obj else [])

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        raw = api_keys.issue(obj)
        self.message_user(
            request,
            format_html(
                "{}<br><code>{}</code>",
                _("API key created. Copy it now: it is stored hashed and will not be shown again."),
                raw,
            ),
            messages.WARNING,
        )

    def has_delete_permission(self, request, obj=None):
        return False  # revoke instead, so the audit trail still names the key

    @admin.action(description=_("Revoke selected keys"))
    def revoke(self, request, queryset):
        for key in queryset:
            api_keys.revoke(key)
        self.message_user(request, _("Keys revoked."), messages.SUCCESS)


@admin.register(WebhookEndpoint)
class WebhookEndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "client", "events", "is_active", "rotation_until", "created_at"]
    list_filter = ["client", "is_active"]
    fields = ["client", "url", "events", "is_active", "rotation_until"]
    readonly_fields = ["rotation_until"]
    actions = ["rotate"]

    @admin.display(description=_("previous secret valid until"))
    def rotation_until(self, obj):
        return obj.previous_secret_expires_at or "-"

    def save_model(self, request, obj, form, change):
        if not change:
            obj.secret = webhooks.new_secret()
        super().save_model(request, obj, form, change)
        if not change:
            self.message_user(
                request,
                format_html(
                    "{}<br><code>{}</code>",
                    _("Webhook secret (give it to the receiver; it is not shown again):"),
                    obj.secret,
                ),
                messages.WARNING,
            )

    @admin.action(description=_("Rotate the signing secret (both sign for 24 hours)"))
    def rotate(self, request, queryset):
        for endpoint in queryset:
            secret = webhooks.rotate_secret(endpoint)
            self.message_user(
                request,
                format_html("{} {}: <code>{}</code>", _("New secret for"), endpoint.url, secret),
                messages.WARNING,
            )


class WebhookDeliveryInline(ReadOnlyMixin, admin.TabularInline):
    model = WebhookDelivery
    extra = 0
    fields = ["endpoint", "status", "attempts", "last_status_code", "last_error", "next_attempt_at", "delivered_at"]
    readonly_fields = fields


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["created_at", "type", "client", "verification", "sequence"]
    list_filter = ["type", "client"]
    search_fields = ["=id", "=verification__id"]
    readonly_fields = ["id", "type", "client", "verification", "sequence", "created_at", "payload"]
    inlines = [WebhookDeliveryInline]


@admin.register(WebhookDelivery)
class WebhookDeliveryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """The delivery log; any delivery can be sent again."""

    list_display = [
        "created_at",
        "event",
        "endpoint",
        "status",
        "attempts",
        "last_status_code",
        "last_error",
        "next_attempt_at",
        "delivered_at",
    ]
    list_filter = ["status", "event__type", "endpoint"]
    list_select_related = ["event", "endpoint", "endpoint__client"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    def has_redeliver_permission(self, request):
        """Sending again acts on a client's systems: for those who manage webhook endpoints, not readers."""
        return request.user.has_perm("onboarding.change_webhookendpoint")

    @admin.action(description=_("Send again"), permissions=["redeliver"])
    def redeliver(self, request, queryset):
        for delivery in queryset:
            webhooks.redeliver(delivery, actor=audit.Actor.staff(request.user))
        self.message_user(request, _("%(n)d deliveries queued.") % {"n": queryset.count()}, messages.SUCCESS)
