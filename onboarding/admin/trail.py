"""The audit trail, read-only for everyone."""

from django.contrib import admin

from onboarding.models import AuditEvent

from .common import EstimatedCountPaginator, ReadOnlyMixin


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only for everyone, superusers included: the model refuses updates and deletes too."""

    list_display = ["created_at", "actor_type", "actor", "action", "verification_id", "from_status", "to_status"]
    list_filter = ["action", "actor_type"]
    search_fields = ["=verification_id", "=applicant_id", "actor"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    actions = None
    show_full_result_count = False
    paginator = EstimatedCountPaginator
