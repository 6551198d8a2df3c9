"""The compliance staff's workspace. Thin: decisions go through services.decisions."""
import json

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef, Subquery
from django.http import HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from onboarding.forms import RetentionActionForm, ReviewDecisionForm
from onboarding.models import (
    ApiClient, ApiKey, Applicant, AuditEvent, Check, Decision, ErasureReceipt, LegalHold, LivenessChallenge,
    OverturnRequest, Verification, WebhookDelivery, WebhookEndpoint, WebhookEvent,
)
from onboarding.services import api_keys, audit, retention, webhooks
from onboarding.services.decisions import DecisionError, confirm_overturn, record_human_decision
from onboarding.services.erasure import ErasureRefused, erase_applicant, receipt_document
from onboarding.services.evidence import evidence_pack


def photo_figure(photo, label):
    caption = format_html("{} · {}×{} · sha256 {}…", label, photo.width, photo.height, photo.sha256[:12])
    if photo.purged_at is not None:
        return format_html('<figure><div class="kyc-purged">{}</div><figcaption>{}</figcaption></figure>',
                           _("Deleted on %(date)s (retention or erasure)") % {
                               "date": photo.purged_at.strftime("%Y-%m-%d %H:%M")}, caption)
    return format_html('<figure><a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="{1}"></a>'
                       '<figcaption>{2}</figcaption></figure>', reverse("onboarding:photo", args=[photo.pk]), label,
                       caption)


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CheckInline(ReadOnlyMixin, admin.TabularInline):
    model = Check
    extra = 0
    can_delete = False
    fields = ["kind", "subject", "vendor_link", "status", "score", "score_scale", "threshold", "threshold_source",
              "passed", "risk", "attempt_count", "latency_ms", "request_ids", "error_summary", "reasons_text",
              "measurements"]
    readonly_fields = fields

    @admin.display(description=_("vendor"))
    def vendor_link(self, obj):
        # The check page shows the redacted raw response.
        return format_html('<a href="{}">{}</a>', reverse("admin:onboarding_check_change", args=[obj.pk]), obj.vendor)

    @admin.display(description=_("risk"))
    def risk(self, obj):
        return " ".join(filter(None, [obj.risk_level, ", ".join(obj.risk_tags or [])])) or "-"

    @admin.display(description=_("request ids"))
    def request_ids(self, obj):
        return format_html("{}<br>{}", obj.request_id, obj.vendor_request_id or "-")

    @admin.display(description=_("measurements"))
    def measurements(self, obj):
        shown = {k: v for k, v in (obj.details or {}).items() if isinstance(v, (int, float, str))}
        return ", ".join(f"{k}={v}" for k, v in shown.items()) or "-"

    @admin.display(description=_("error"))
    def error_summary(self, obj):
        return f"{obj.error_category}: {obj.error_code} {obj.error_message}".strip() if obj.error_category else "-"

    @admin.display(description=_("reasons"))
    def reasons_text(self, obj):
        return "; ".join(r.get("message", r.get("code", "")) for r in obj.reasons) or "-"


class DecisionInline(ReadOnlyMixin, admin.TabularInline):
    model = Decision
    extra = 0
    can_delete = False
    fields = ["created_at", "outcome", "source", "decided_by", "comment", "reason_codes", "policy_version"]
    readonly_fields = fields

    @admin.display(description=_("reasons"))
    def reason_codes(self, obj):
        return ", ".join(r.get("code", "") for r in obj.reasons)


class LivenessChallengeInline(ReadOnlyMixin, admin.StackedInline):
    model = LivenessChallenge
    fk_name = "verification"
    extra = 0
    can_delete = False
    verbose_name = _("active liveness challenge")
    fields = ["moves", "status", "created_at", "submitted_at", "expires_at", "reasons", "turns", "frames_strip"]
    readonly_fields = fields

    @admin.display(description=_("head yaw per frame"))
    def turns(self, obj):
        m = obj.metrics or {}
        return format_html("{} · {}: {}/{} · {}: {}", ", ".join("-" if y is None else f"{y:+.2f}" for y in m.get("yaw", [])),
                           _("turns seen"), m.get("moves_seen", 0), len(obj.moves), _("largest face distance"),
                           m.get("max_pairwise_distance", "-"))

    @admin.display(description=_("frames"))
    def frames_strip(self, obj):
        if obj.frames_purged_at is not None:
            return _("Deleted on %(date)s (retention or erasure)") % {
                "date": obj.frames_purged_at.strftime("%Y-%m-%d %H:%M")}
        return format_html('<div class="kyc-frames">{}</div>', format_html_join(
            "", '<a href="{0}" target="_blank" rel="noopener"><img src="{0}" alt="{1}"></a>',
            ((reverse("onboarding:challenge_frame", args=[obj.pk, i]), f"frame {i}") for i in range(obj.frame_count))))


class LatestOutcomeFilter(admin.SimpleListFilter):
    title = _("decision")
    parameter_name = "decision"

    def lookups(self, request, model_admin):
        return Decision.Outcome.choices + [("none", _("No decision yet"))]

    def queryset(self, request, queryset):
        if self.value() == "none":
            return queryset.filter(latest_outcome__isnull=True)
        if self.value():
            return queryset.filter(latest_outcome=self.value())
        return queryset


class VendorFilter(admin.SimpleListFilter):
    title = _("vendor")
    parameter_name = "vendor"

    def lookups(self, request, model_admin):
        return [(v, v) for v in Check.objects.order_by().values_list("vendor", flat=True).distinct()]

    def queryset(self, request, queryset):
        if self.value():
            return queryset.filter(checks__vendor=self.value()).distinct()
        return queryset


def latest_outcome_subquery():
    return Subquery(Decision.objects.filter(verification=OuterRef("pk")).order_by("-created_at", "-id")
                    .values("outcome")[:1])


@admin.register(Verification)
class VerificationAdmin(admin.ModelAdmin):
    list_display = ["short_id", "applicant", "status", "outcome", "channel", "vendors", "submitted_at",
                    "decided_at"]
    list_filter = ["status", LatestOutcomeFilter, VendorFilter, "channel", "submitted_at"]
    date_hierarchy = "submitted_at"
    search_fields = ["=id", "applicant__external_ref", "=applicant__id"]
    list_select_related = ["applicant"]
    readonly_fields = ["id", "applicant_link", "status", "channel", "submitted_at", "processing_started_at",
                       "decided_at", "photos", "audit_trail"]
    fieldsets = [
        (None, {"fields": ["id", "applicant_link", "status", "channel"]}),
        (_("Evidence"), {"fields": ["photos"]}),
        (_("Timing"), {"fields": ["submitted_at", "processing_started_at", "decided_at"]}),
        (_("Audit trail"), {"fields": ["audit_trail"], "classes": ["collapse"]}),
    ]
    inlines = [CheckInline, LivenessChallengeInline, DecisionInline]
    actions = ["approve_selected", "reject_selected"]
    change_form_template = "admin/onboarding/verification/change_form.html"

    def get_queryset(self, request):
        return (super().get_queryset(request).annotate(latest_outcome=latest_outcome_subquery())
                .prefetch_related("checks"))

    def has_add_permission(self, request):
        return False  # cases come from applicants, the API or kyc_verify

    def has_delete_permission(self, request, obj=None):
        return False  # removal is retention's job, and is audited

    def has_change_permission(self, request, obj=None):
        return False  # read-only evidence; decisions go through decide_view

    @admin.display(description=_("id"), ordering="id")
    def short_id(self, obj):
        return str(obj.id)[:8]

    @admin.display(description=_("decision"), ordering="latest_outcome")
    def outcome(self, obj):
        return Decision.Outcome(obj.latest_outcome).label if obj.latest_outcome else "-"

    @admin.display(description=_("vendors"))
    def vendors(self, obj):
        return ", ".join(sorted({c.vendor for c in obj.checks.all()}))

    @admin.display(description=_("applicant"))
    def applicant_link(self, obj):
        url = reverse("admin:onboarding_applicant_change", args=[obj.applicant_id])
        return format_html('<a href="{}">{}</a>', url, obj.applicant)

    @admin.display(description=_("photos"))
    def photos(self, obj):
        items = [(obj.selfie, _("Selfie")), (obj.id_card, _("ID card"))]
        if obj.id_card_back_id:
            items.append((obj.id_card_back, _("ID card (back)")))
        return format_html('<div class="kyc-photos">{}</div>', format_html_join("", "{}", (
            (photo_figure(p, label),) for p, label in items)))

    @admin.display(description=_("audit trail"))
    def audit_trail(self, obj):
        events = AuditEvent.objects.filter(verification_id=obj.pk).order_by("id")
        return format_html('<table class="kyc-audit"><tr><th>{}</th><th>{}</th><th>{}</th><th>{}</th></tr>{}</table>',
                           _("time"), _("actor"), _("action"), _("change"), format_html_join(
                               "", "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                               ((e.created_at.strftime("%Y-%m-%d %H:%M:%S"), e.actor, e.action,
                                 f"{e.from_status} → {e.to_status}" if e.to_status else "") for e in events)))

    # Deciding ---------------------------------------------------------------
    def get_urls(self):
        return [path("<uuid:object_id>/decide/", self.admin_site.admin_view(self.decide_view),
                     name="onboarding_verification_decide"),
                path("<uuid:object_id>/evidence/", self.admin_site.admin_view(self.evidence_view),
                     name="onboarding_verification_evidence"),
                path("<uuid:object_id>/overturn/<uuid:request_id>/", self.admin_site.admin_view(self.overturn_view),
                     name="onboarding_verification_overturn")] + super().get_urls()

    def overturn_view(self, request, object_id, request_id):
        """The second senior reviewer reads the first one's reason and confirms (POST)."""
        overturn = get_object_or_404(OverturnRequest.objects.select_related("verification", "requested_by"),
                                     pk=request_id, verification_id=object_id)
        if not request.user.has_perm("onboarding.overturn_decision"):
            raise PermissionDenied
        error = ""
        if request.method == "POST":
            try:
                confirm_overturn(overturn.pk, user=request.user)
            except DecisionError as exc:
                error = str(exc)
            else:
                self.message_user(request, _("Overturn confirmed: the case is approved."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:onboarding_verification_change", args=[object_id]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "overturn": overturn,
                   "verification": overturn.verification, "error": error,
                   "title": _("Confirm the approval of %s") % overturn.verification}
        return TemplateResponse(request, "admin/onboarding/verification/overturn.html", context)

    def can_export(self, request):
        return request.user.has_perm("onboarding.export_evidence")

    def evidence_view(self, request, object_id):
        """Download the case's evidence pack (ZIP with a manifest of hashes); the export is audited."""
        if not self.can_export(request):
            raise PermissionDenied
        get_object_or_404(Verification, pk=object_id)
        name, data = evidence_pack(object_id, user=request.user)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response

    def can_decide(self, request):
        return request.user.has_perm("onboarding.decide_verification")

    def decide_view(self, request, object_id):
        if not self.can_decide(request):
            raise PermissionDenied
        verification = get_object_or_404(Verification, pk=object_id)
        initial = {"outcome": request.GET.get("outcome")}
        form = ReviewDecisionForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                result = record_human_decision(verification.pk, outcome=form.cleaned_data["outcome"],
                                               comment=form.cleaned_data["comment"], user=request.user)
            except DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                if isinstance(result, OverturnRequest):
                    self.message_user(request, _("Request recorded: a second senior reviewer must confirm the "
                                                 "approval of this automatically rejected case."), messages.WARNING)
                else:
                    self.message_user(request, _("Decision recorded."), messages.SUCCESS)
                return HttpResponseRedirect(reverse("admin:onboarding_verification_change", args=[verification.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "verification": verification, "title": _("Decide verification %s") % verification}
        return TemplateResponse(request, "admin/onboarding/verification/decide.html", context)

    def _bulk_decide(self, request, queryset, outcome):
        if not self.can_decide(request):
            raise PermissionDenied
        if "apply" in request.POST:
            form = ReviewDecisionForm(request.POST)
            if form.is_valid():
                done, failed = 0, []
                for verification in queryset:
                    try:
                        record_human_decision(verification.pk, outcome=outcome,
                                              comment=form.cleaned_data["comment"], user=request.user)
                        done += 1
                    except DecisionError as exc:
                        failed.append(f"{verification}: {exc}")
                self.message_user(request, _("%(n)d decision(s) recorded.") % {"n": done}, messages.SUCCESS)
                for line in failed:
                    self.message_user(request, line, messages.ERROR)
                return None
        else:
            form = ReviewDecisionForm(initial={"outcome": outcome})
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "queryset": queryset, "outcome": outcome, "action": request.POST.get("action"),
                   "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
                   "title": _("Approve selected verifications") if outcome == Decision.Outcome.APPROVE
                   else _("Reject selected verifications")}
        return TemplateResponse(request, "admin/onboarding/verification/bulk_decide.html", context)

    @admin.action(description=_("Approve selected verifications (reason required)"),
                  permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, Decision.Outcome.APPROVE)

    @admin.action(description=_("Reject selected verifications (reason required)"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, Decision.Outcome.REJECT)

    def has_decide_permission(self, request):
        return self.can_decide(request)

    def render_change_form(self, request, context, *args, **kwargs):
        context["can_decide"] = self.can_decide(request)
        context["can_export"] = self.can_export(request)
        if context.get("original") is not None and request.user.has_perm("onboarding.overturn_decision"):
            context["pending_overturn"] = context["original"].overturn_requests.filter(
                status=OverturnRequest.Status.PENDING).exclude(requested_by=request.user).first()
        return super().render_change_form(request, context, *args, **kwargs)


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
    list_display = ["__str__", "external_ref", "language", "consent_version", "consent_given_at", "created_at",
                    "on_hold", "erased_at"]
    list_filter = [OnHoldFilter, "created_at"]
    search_fields = ["=id", "external_ref"]
    readonly_fields = ["id", "external_ref", "language", "consent_version", "consent_given_at", "created_at",
                       "erased_at", "receipts"]
    inlines = [VerificationInline, LegalHoldInline]
    actions = ["place_hold", "release_hold", "erase"]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(
            held=Exists(retention.active_holds().filter(applicant_id=OuterRef("pk"))))

    @admin.display(description=_("legal hold"), boolean=True, ordering="held")
    def on_hold(self, obj):
        return obj.held

    @admin.display(description=_("erasure receipts"))
    def receipts(self, obj):
        found = ErasureReceipt.objects.filter(applicant_id=obj.pk).order_by("created_at")
        return format_html_join(format_html("<br>"), '<a href="{}">{}</a>', (
            (reverse("admin:onboarding_erasurereceipt_change", args=[r.pk]), r) for r in found)) or "-"

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
        context = {**self.admin_site.each_context(request), "opts": self.model._meta, "form": form,
                   "queryset": queryset, "action": request.POST.get("action"), "title": title, "intro": intro,
                   "button": button, "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "admin/onboarding/applicant/action.html", context)

    @admin.action(description=_("Place a legal hold (stops purge and erasure)"), permissions=["hold"])
    def place_hold(self, request, queryset):
        def run(applicant, reason):
            retention.place_hold(applicant.pk, user=request.user, reason=reason)
            return _("%s: legal hold active.") % applicant
        return self._with_reason(request, queryset, title=_("Place a legal hold"), button=_("Place the hold"),
                                 intro=_("While the hold is active, nothing of these applicants is purged or "
                                         "erased. Give the legal ground (court order, case number)."),
                                 label=_("Reason"), run=run)

    @admin.action(description=_("Release the legal hold"), permissions=["hold"])
    def release_hold(self, request, queryset):
        def run(applicant, reason):
            hold = retention.release_hold(applicant.pk, user=request.user, reason=reason)
            return (_("%s: legal hold released.") if hold else _("%s: was not on hold.")) % applicant
        return self._with_reason(request, queryset, title=_("Release the legal hold"), button=_("Release"),
                                 intro=_("Data past their retention period are purged at the next run."),
                                 label=_("Reason"), run=run)

    @admin.action(description=_("Erase on request (biometrics and personal data)"), permissions=["erase"])
    def erase(self, request, queryset):
        def run(applicant, reference):
            receipt, created = erase_applicant(applicant.pk, actor=audit.Actor.staff(request.user),
                                               reference=reference)
            url = reverse("admin:onboarding_erasurereceipt_change", args=[receipt.pk])
            text = _("%s: erased; receipt") if created else _("%s: nothing new to erase; last receipt")
            return format_html('{} <a href="{}">{}</a>', text % applicant, url, receipt.pk)
        return self._with_reason(request, queryset, title=_("Erase on request"), button=_("Erase now"),
                                 intro=_("Photos, liveness files, vendor responses and the external reference are "
                                         "deleted now and cannot be recovered. Decisions and the audit trail are "
                                         "kept for their retention period; the receipt says until when."),
                                 label=_("Request reference"), run=run)


@admin.register(LegalHold)
class LegalHoldAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["applicant", "placed_at", "placed_by", "released_at", "released_by"]
    list_filter = [("released_at", admin.EmptyFieldListFilter)]
    search_fields = ["=applicant__id", "reason"]
    readonly_fields = ["applicant", "reason", "placed_by", "placed_at", "released_by", "released_at",
                       "release_reason"]


@admin.register(ErasureReceipt)
class ErasureReceiptAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["applicant_id", "created_at", "requested_by", "reference"]
    search_fields = ["=applicant_id", "=id", "reference"]
    readonly_fields = ["id", "applicant_id", "created_at", "requested_by", "reference", "digest", "audit_event_id",
                       "document"]
    actions = None

    @admin.display(description=_("receipt"))
    def document(self, obj):
        url = reverse("admin:onboarding_erasurereceipt_download", args=[obj.pk])
        return format_html('<pre>{}</pre><a class="button" href="{}">{}</a>',
                           json.dumps(receipt_document(obj), indent=2, ensure_ascii=False), url,
                           _("Download (JSON)"))

    def get_urls(self):
        return [path("<uuid:object_id>/download/", self.admin_site.admin_view(self.download_view),
                     name="onboarding_erasurereceipt_download")] + super().get_urls()

    def download_view(self, request, object_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        receipt = get_object_or_404(ErasureReceipt, pk=object_id)
        response = HttpResponse(json.dumps(receipt_document(receipt), indent=2, ensure_ascii=False),
                                content_type="application/json")
        response["Content-Disposition"] = f'attachment; filename="erasure-receipt-{receipt.pk}.json"'
        return response


@admin.register(Check)
class CheckAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["verification", "kind", "subject", "vendor", "status", "score", "threshold", "passed",
                    "risk_level", "attempt_count", "latency_ms", "created_at"]
    list_filter = ["vendor", "kind", "status", "passed", "error_category"]
    list_select_related = ["verification"]
    search_fields = ["=verification__id", "=request_id", "vendor_request_id"]
    readonly_fields = [f.name for f in Check._meta.fields if f.name not in ("raw_response", "details")] + [
        "details_pretty", "raw_response_pretty"]

    @admin.display(description=_("details"))
    def details_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.details, indent=2, ensure_ascii=False))

    @admin.display(description=_("redacted raw response"))
    def raw_response_pretty(self, obj):
        if obj.raw_response_purged_at is not None:
            return _("Deleted on %(date)s (retention or erasure)") % {
                "date": obj.raw_response_purged_at.strftime("%Y-%m-%d %H:%M")}
        return format_html("<pre>{}</pre>", json.dumps(obj.raw_response, indent=2, ensure_ascii=False))


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyMixin, admin.ModelAdmin):
    """Read-only for everyone, superusers included: the model refuses updates and deletes too."""

    list_display = ["created_at", "actor_type", "actor", "action", "verification_id", "from_status", "to_status"]
    list_filter = ["action", "actor_type"]
    search_fields = ["=verification_id", "=applicant_id", "actor"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]
    actions = None


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
        self.message_user(request, format_html(
            "{}<br><code>{}</code>", _("API key created. Copy it now: it is stored hashed and will not be "
                                       "shown again."), raw), messages.WARNING)

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
            self.message_user(request, format_html("{}<br><code>{}</code>", _(
                "Webhook secret (give it to the receiver; it is not shown again):"), obj.secret), messages.WARNING)

    @admin.action(description=_("Rotate the signing secret (both sign for 24 hours)"))
    def rotate(self, request, queryset):
        for endpoint in queryset:
            secret = webhooks.rotate_secret(endpoint)
            self.message_user(request, format_html("{} {}: <code>{}</code>", _("New secret for"), endpoint.url,
                                                   secret), messages.WARNING)


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

    list_display = ["created_at", "event", "endpoint", "status", "attempts", "last_status_code", "last_error",
                    "next_attempt_at", "delivered_at"]
    list_filter = ["status", "event__type", "endpoint"]
    list_select_related = ["event", "endpoint", "endpoint__client"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    actions = ["redeliver"]

    @admin.action(description=_("Send again"), permissions=["view"])
    def redeliver(self, request, queryset):
        for delivery in queryset:
            webhooks.redeliver(delivery)
        self.message_user(request, _("%(n)d deliveries queued.") % {"n": queryset.count()}, messages.SUCCESS)
