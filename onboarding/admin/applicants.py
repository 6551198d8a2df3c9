"""Applicants: their cases, legal holds and erasure on request."""

import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from onboarding.forms import RetentionActionForm
from onboarding.models import Applicant, ErasureReceipt, LegalHold, Verification
from onboarding.services.compliance import audit, retention
from onboarding.services.compliance.erasure import ErasureRefused, erase_applicant, receipt_document
from onboarding.validators import visible

from .common import ReadOnlyMixin


class VerificationInline(ReadOnlyMixin, admin.TabularInline):
    model = Verification
    extra = 0
    fields = ["link", "status", "channel", "submitted_at", "decided_at"]
    readonly_fields = fields
    fk_name = "applicant"

    @admin.display(description=_("verification"))
    def link(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("admin:onboarding_verification_change", args=[obj.pk]), obj)


class LegalHoldInline(ReadOnlyMixin, admin.TabularInline):
    model = LegalHold
    extra = 0
    can_delete = False
    fields = ["placed_at", "placed_by", "reason", "released_at", "released_by", "release_reason"]
    readonly_fields = fields


class OnHoldFilter(admin.SimpleListFilter):
    title = _("legal hold")
    parameter_name = "hold"

    def lookups(self, request, model_admin):
        return [("yes", _("On hold")), ("no", _("Not on hold"))]

    def queryset(self, request, queryset):
        held = retention.active_holds().values("applicant_id")
        if self.value() == "yes":
            return queryset.filter(pk__in=held)
        if self.value() == "no":
            return queryset.exclude(pk__in=held)
        return queryset


@admin.register(Applicant)
class ApplicantAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "__str__",
        "reference",
        "language",
        "consent_version",
        "consent_given_at",
        "created_at",
        "on_hold",
        "erased_at",
    ]
    list_filter = [OnHoldFilter, "created_at"]
    search_fields = ["=id", "external_ref"]
    readonly_fields = [
        "id",
        "reference",
        "language",
        "consent_version",
        "consent_given_at",
        "created_at",
        "erased_at",
        "receipts",
    ]
    inlines = [VerificationInline, LegalHoldInline]
    actions = ["place_hold", "release_hold", "erase"]

    @admin.display(description=_("external reference"), ordering="external_ref")
    def reference(self, obj):
        """The client's reference as stored, any control or bidi character written out, never obeyed."""
        return visible(obj.external_ref)

    def get_queryset(self, request):
        return (
            super()
            .get_queryset(request)
            .annotate(held=Exists(retention.active_holds().filter(applicant_id=OuterRef("pk"))))
        )

    @admin.display(description=_("legal hold"), boolean=True, ordering="held")
    def on_hold(self, obj):
        return obj.held

    @admin.display(description=_("erasure receipts"))
    def receipts(self, obj):
        found = ErasureReceipt.objects.filter(applicant_id=obj.pk).order_by("created_at")
        return (
            format_html_join(
                format_html("<br>"),
                '<a href="{}">{}</a>',
                ((reverse("admin:onboarding_erasurereceipt_change", args=[r.pk]), r) for r in found),
            )
            or "-"
        )

    def has_hold_permission(self, request):
        return request.user.has_perm("onboarding.place_legal_hold")

    def has_erase_permission(self, request):
        return request.user.has_perm("onboarding.erase_applicant")

    def _with_reason(self, request, queryset, *, title, intro, button, label, run):
        """An action that asks for a reason (or request reference), then runs `run(applicant, text)` on each."""
        form = RetentionActionForm(request.POST if "apply" in request.POST else None, label=label)
        if form.is_bound and form.is_valid():
            for applicant in queryset:
                try:
                    self.message_user(request, run(applicant, form.cleaned_data["text"]), messages.SUCCESS)
                except (retention.HoldError, ErasureRefused) as exc:
                    self.message_user(request, f"{applicant}: {exc}", messages.ERROR)
            return None
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "action": request.POST.get("action"),
            "title": title,
            "intro": intro,
            "button": button,
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
        }
        return TemplateResponse(request, "admin/onboarding/applicant/action.html", context)

    @admin.action(description=_("Place a legal hold (stops purge and erasure)"), permissions=["hold"])
    def place_hold(self, request, queryset):
        def run(applicant, reason):
            retention.place_hold(applicant.pk, user=request.user, reason=reason)
            return _("%s: legal hold active.") % applicant

        return self._with_reason(
            request,
            queryset,
            title=_("Place a legal hold"),
            button=_("Place the hold"),
            intro=_(
                "While the hold is active, nothing of these applicants is purged or "
                "erased. Give the legal ground (court order, case number)."
            ),
            label=_("Reason"),
            run=run,
        )

    @admin.action(description=_("Release the legal hold"), permissions=["hold"])
    def release_hold(self, request, queryset):
        def run(applicant, reason):
            hold = retention.release_hold(applicant.pk, user=request.user, reason=reason)
            return (_("%s: legal hold released.") if hold else _("%s: was not on hold.")) % applicant

        return self._with_reason(
            request,
            queryset,
            title=_("Release the legal hold"),
            button=_("Release"),
            intro=_("Data past their retention period are purged at the next run."),
            label=_("Reason"),
            run=run,
        )

    @admin.action(description=_("Erase on request (biometrics and personal data)"), permissions=["erase"])
    def erase(self, request, queryset):
        def run(applicant, reference):
            receipt, created = erase_applicant(applicant.pk, actor=audit.Actor.staff(request.user), reference=reference)
            url = reverse("admin:onboarding_erasurereceipt_change", args=[receipt.pk])
            text = _("%s: erased; receipt") if created else _("%s: nothing new to erase; last receipt")
            return format_html('{} <a href="{}">{}</a>', text % applicant, url, receipt.pk)

        return self._with_reason(
            request,
            queryset,
            title=_("Erase on request"),
            button=_("Erase now"),
            intro=_(
                "Photos, liveness files, vendor responses and the external reference are "
                "deleted now and cannot be recovered. Decisions with their list matches, "
                "blocklist entries made from the applicant's cases, other applicants' cases' "
                "matches with the applicant's photos and the audit trail are kept for their "
                "retention period; the receipt says until when."
            ),
            label=_("Request reference"),
            run=run,
        )


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["applicant", "placed_at", "placed_by", "released_at", "released_by"]
    list_filter = [("released_at", admin.EmptyFieldListFilter)]
    search_fields = ["=applicant__id", "reason"]
    readonly_fields = ["applicant", "reason", "placed_by", "placed_at", "released_by", "released_at", "release_reason"]


@admin.register(ErasureReceipt)
class ErasureReceiptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["applicant_id", "created_at", "requested_by", "reference"]
    search_fields = ["=applicant_id", "=id", "reference"]
    readonly_fields = [
        "id",
        "applicant_id",
        "created_at",
        "requested_by",
        "reference",
        "digest",
        "audit_event_id",
        "document",
    ]
    actions = None

    @admin.display(description=_("receipt"))
    def document(self, obj):
        url = reverse("admin:onboarding_erasurereceipt_download", args=[obj.pk])
        return format_html(
            '<pre>{}</pre><a class="button" href="{}">{}</a>',
            json.dumps(receipt_document(obj), indent=2, ensure_ascii=False),
            url,
            _("Download (JSON)"),
        )

    def get_urls(self):
        return [
            path(
                "<uuid:object_id>/download/",
                self.admin_site.admin_view(self.download_view),
                name="onboarding_erasurereceipt_download",
            )
        ] + super().get_urls()

    def download_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        receipt = get_object_or_404(ErasureReceipt, pk=object_id)
        response = HttpResponse(
            json.dumps(receipt_document(receipt), indent=2, ensure_ascii=False), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="erasure-receipt-{receipt.pk}.json"'
        return response
