"""The blocklist's own page: entries with their reason and source case; removal is audited."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from onboarding.models import BlocklistEntry
from onboarding.services.compliance import audit
from onboarding.services.faces import blocklist


@admin.register(BlocklistEntry)
class BlocklistEntryAdmin(admin.ModelAdmin):
    list_display = ["created_at", "kind", "reason", "source_photo_kind", "source_verification", "created_by"]
    list_filter = ["kind"]
    search_fields = ["reason", "created_by"]
    fields = [
        "kind",
        "reason",
        "source_photo_kind",
        "source_verification",
        "source_applicant_id",
        "created_by",
        "created_at",
    ]
    readonly_fields = fields
    actions = ["remove_entries"]

    def has_add_permission(self, request):
        return False  # entries come from a case's page (or kyc_blocklist add), with its faces

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return request.user.has_perm("onboarding.manage_blocklist")

    def get_actions(self, request):
        actions = super().get_actions(request)
        actions.pop("delete_selected", None)  # removal goes through the audited service
        if not self.has_delete_permission(request):
            actions.pop("remove_entries", None)
        return actions

    def delete_model(self, request, obj):
        blocklist.remove(obj.pk, actor=audit.Actor.staff(request.user))

    @admin.action(description=_("Remove the selected entries from the blocklist"))
    def remove_entries(self, request, queryset):
        removed = sum(
            blocklist.remove(pk, actor=audit.Actor.staff(request.user)) for pk in queryset.values_list("pk", flat=True)
        )
        self.message_user(request, _("%(n)d entries removed.") % {"n": removed}, messages.SUCCESS)
