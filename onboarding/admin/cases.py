"""Cases: the list, the review queue, one case page with the evidence, deciding, assignment.

Thin: reads come from selectors.review, every change goes through a service.
"""

import json

from django.conf import settings
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy as _

from onboarding.forms import ReviewDecisionForm
from onboarding.models import Check, Decision, OverturnRequest, ReviewCase, ReviewReason, ScreeningHit, Verification
from onboarding.selectors import identity
from onboarding.selectors import review as selectors
from onboarding.services.applicant.analysis import stored_analysis
from onboarding.services.compliance import audit
from onboarding.services.compliance.evidence import evidence_pack
from onboarding.services.faces import blocklist
from onboarding.services.identity import documents
from onboarding.services.review import assignment
from onboarding.services.review.decisions import DecisionError, confirm_overturn, record_human_decision
from onboarding.services.screening import cases as screening

from .common import EstimatedCountPaginator, LatestOutcomeFilter, ReadOnlyMixin, VendorFilter, vendor_choices


def case_url(verification_id):
    return reverse("admin:onboarding_verification_change", args=[verification_id])


class ReasonFilter(admin.SimpleListFilter):
    title = _("reason for review")
    parameter_name = "reason"

    def lookups(self, request, model_admin):
        return selectors.review_reason_choices()

    def queryset(self, request, queryset):
        return selectors.with_reason(queryset, self.value()) if self.value() else queryset


class RiskLevelFilter(admin.SimpleListFilter):
    title = _("risk level")
    parameter_name = "risk"

    def lookups(self, request, model_admin):
        return selectors.risk_level_choices()

    def queryset(self, request, queryset):
        return selectors.with_risk_level(queryset, self.value()) if self.value() else queryset


class ScoreBandFilter(admin.SimpleListFilter):
    title = _("compare score")
    parameter_name = "band"

    def lookups(self, request, model_admin):
        return [(key, label) for key, (label, _low, _high) in selectors.SCORE_BANDS.items()]

    def queryset(self, request, queryset):
        return selectors.with_score_band(queryset, self.value()) if self.value() in selectors.SCORE_BANDS else queryset


class AssignmentFilter(admin.SimpleListFilter):
    title = _("assignment")
    parameter_name = "assigned"

    def lookups(self, request, model_admin):
        return [("mine", _("Mine")), ("free", _("Free")), ("others", _("Someone else's"))]

    def queryset(self, request, queryset):
        return selectors.with_assignment(queryset, self.value(), request.user) if self.value() else queryset


class SlaFilter(admin.SimpleListFilter):
    title = _("review deadline")
    parameter_name = "sla"

    def lookups(self, request, model_admin):
        return [("overdue", _("Overdue"))]

    def queryset(self, request, queryset):
        return selectors.overdue(queryset) if self.value() == "overdue" else queryset


class SignalFilter(admin.SimpleListFilter):
    title = _("duplicate signals")
    parameter_name = "duplicate"

    def lookups(self, request, model_admin):
        return [("yes", _("Flagged")), ("no", _("Not flagged"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(flagged=self.value() == "yes")
        return queryset


class CaseColumns:
    """Columns the case list and the queue share."""

    @admin.display(description=_("id"), ordering="id")
    def short_id(self, obj):
        return format_html('<a href="{}">{}</a>', case_url(obj.pk), str(obj.id)[:8])

    @admin.display(description=_("vendors"))
    def vendors(self, obj):
        return ", ".join(sorted({c.vendor for c in obj.checks.all() if c.role == Check.Role.DECIDE}))

    @admin.display(description=_("risk"), ordering="risk_level")
    def risk(self, obj):
        if not obj.risk_level:
            return "-"
        top = [r["code"] for r in obj.risk_reasons if r.get("level") == obj.risk_level][:2]
        return format_html(
            '<span class="kyc-risk kyc-risk-{}" title="{}">{}</span>',
            obj.risk_level,
            ", ".join(top),
            obj.get_risk_level_display(),
        )


@admin.register(Verification)
class VerificationAdmin(CaseColumns, admin.ModelAdmin):
    list_display = [
        "short_id",
        "applicant",
        "status",
        "outcome",
        "risk",
        "channel",
        "vendors",
        "assigned_to",
        "submitted_at",
        "decided_at",
    ]
    list_display_links = None
    # No date_hierarchy: its list of days is a DISTINCT over every case on each page view; the
    # submitted_at filter's fixed ranges cost nothing.
    list_filter = ["status", LatestOutcomeFilter, VendorFilter, RiskLevelFilter, "channel", "submitted_at"]
    search_fields = ["=id", "applicant__external_ref", "=applicant__id"]
    list_select_related = ["applicant", "assigned_to"]
    show_full_result_count = False  # one COUNT(*) less per page on a large table
    paginator = EstimatedCountPaginator
    actions = ["approve_selected", "reject_selected"]

    def get_queryset(self, request):
        return (
            super().get_queryset(request).annotate(latest_outcome=selectors.latest_outcome()).prefetch_related("checks")
        )

    def has_add_permission(self, request):
        return False  # cases come from applicants, the API or kyc_verify

    def has_delete_permission(self, request, obj=None):
        return False  # removal is retention's job, and is audited

    def has_change_permission(self, request, obj=None):
        return False  # read-only evidence; decisions go through decide_view

    @admin.display(description=_("decision"), ordering="latest_outcome")
    def outcome(self, obj):
        return Decision.Outcome(obj.latest_outcome).label if obj.latest_outcome else "-"

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<uuid:object_id>/decide/", view(self.decide_view), name="onboarding_verification_decide"),
            path("<uuid:object_id>/evidence/", view(self.evidence_view), name="onboarding_verification_evidence"),
            path("<uuid:object_id>/assign/", view(self.assign_view), name="onboarding_verification_assign"),
            path("<uuid:object_id>/release/", view(self.release_view), name="onboarding_verification_release"),
            path("<uuid:object_id>/blocklist/", view(self.blocklist_view), name="onboarding_verification_blocklist"),
            path(
                "<uuid:object_id>/screening/<int:hit_id>/",
                view(self.screening_view),
                name="onboarding_verification_screening",
            ),
            path(
                "<uuid:object_id>/overturn/<uuid:request_id>/",
                view(self.overturn_view),
                name="onboarding_verification_overturn",
            ),
        ] + super().get_urls()

    # The case page ----------------------------------------------------------------------------
    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        get_object_or_404(Verification, pk=object_id)
        return self.case_page(request, object_id, None)

    def case_page(self, request, object_id, form, status=200):
        context = selectors.case_page(object_id)
        verification = context["verification"]
        liveness_evidence = selectors.has_liveness_evidence(context["checks"], context["challenge"])
        form = form or ReviewDecisionForm(liveness_evidence=liveness_evidence)
        user = request.user
        can_decide = self.can_decide(request) and verification.status in (
            Verification.Status.NEEDS_REVIEW,
            Verification.Status.APPROVED,
            Verification.Status.REJECTED,
        )
        found = documents.reading_for(verification, actor=audit.Actor.staff(user), purpose="case page")
        analyses = photo_analyses(verification)
        hits = screening.hits_of(verification)
        document_check = next(
            (c for c in reversed(context["checks"]) if c.kind == "document" and c.role == "decide"), None
        )
        context.update(
            self.admin_site.each_context(request),
            document_check=document_check,
            can_blocklist=user.has_perm("onboarding.manage_blocklist"),
            blocklist_matches=list(verification.blocklist_matches.all()),
            screening_hits=hits,
            screened=screening.person_of(verification) if hits else None,
            can_resolve_hits=user.has_perm("onboarding.resolve_screening_hit"),
            document_rows=(
                identity.document_rows(verification, found[1], turns={pk: a.turn for pk, a in analyses.items()})
                if found
                else []
            ),
            face_crops=face_crops(verification, analyses),
            photo_views=photo_views(verification, analyses),
            liveness_evidence=liveness_evidence,
            opts=self.model._meta,
            title=_("Case %s") % verification,
            form=form,
            can_decide=can_decide,
            can_export=self.can_export(request),
            can_assign=self.can_decide(request) and verification.status == Verification.Status.NEEDS_REVIEW,
            holds_it=context["holder"] == user,
            may_release=context["holder"] is not None
            and (context["holder"] == user or user.has_perm("onboarding.assign_verification")),
            confirmable=[
                o
                for o in context["pending_overturns"]
                if o.requested_by_id != user.pk and user.has_perm("onboarding.overturn_decision")
            ],
            queue_url=reverse("admin:onboarding_reviewcase_changelist"),
            take_next_url=reverse("admin:onboarding_reviewcase_take_next"),
            shortcuts=[
                ("a", _("approve")),
                ("r", _("reject")),
                ("1–9", _("pick a reason")),
                ("c", _("write a comment")),
                ("Ctrl+Enter", _("record the decision")),
                ("z", _("zoom")),
                ("t", _("take this case")),
                ("n", _("next case in the queue")),
            ],
        )
        return TemplateResponse(request, "admin/onboarding/verification/case.html", context, status=status)

    # Deciding ---------------------------------------------------------------------------------
    def can_decide(self, request):
        return request.user.has_perm("onboarding.decide_verification")

    def has_decide_permission(self, request):
        return self.can_decide(request)

    def can_export(self, request):
        return request.user.has_perm("onboarding.export_evidence")

    def decide_view(self, request, object_id):
        """POST from the case page's form; GET shows the form alone (?outcome=approve|reject)."""
        if not self.can_decide(request):
            raise PermissionDenied
        verification = get_object_or_404(Verification, pk=object_id)
        form = ReviewDecisionForm(
            request.POST or None,
            initial={"outcome": request.GET.get("outcome")},
            liveness_evidence=selectors.liveness_evidence_of(verification),
        )
        if request.method == "POST" and form.is_valid():
            try:
                result = record_human_decision(
                    verification.pk,
                    outcome=form.cleaned_data["outcome"],
                    reason=form.cleaned_data["reason"],
                    comment=form.cleaned_data["comment"],
                    user=request.user,
                    client_message=form.cleaned_data["client_message"],
                )
            except DecisionError as exc:
                form.add_error(None, str(exc))
            else:
                if isinstance(result, OverturnRequest):
                    self.message_user(
                        request,
                        _(
                            "Request recorded: a second senior reviewer must confirm the "
                            "approval of this automatically rejected case."
                        ),
                        messages.WARNING,
                    )
                else:
                    self.message_user(request, _("Decision recorded."), messages.SUCCESS)
                if request.POST.get("then") == "next":
                    return self._take_next(request)
                return HttpResponseRedirect(case_url(verification.pk))
        if request.method == "POST":
            return self.case_page(request, object_id, form, status=400)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "verification": verification,
            "title": _("Decide verification %s") % verification,
        }
        return TemplateResponse(request, "admin/onboarding/verification/decide.html", context)

    def overturn_view(self, request, object_id, request_id):
        """The second senior reviewer reads the first one's reason and confirms (POST)."""
        overturn = get_object_or_404(
            OverturnRequest.objects.select_related("verification", "requested_by"),
            pk=request_id,
            verification_id=object_id,
        )
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
                return HttpResponseRedirect(case_url(object_id))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "overturn": overturn,
            "verification": overturn.verification,
            "error": error,
            "title": _("Confirm the approval of %s") % overturn.verification,
        }
        return TemplateResponse(request, "admin/onboarding/verification/overturn.html", context)

    def evidence_view(self, request, object_id):
        """Download the case's evidence pack (ZIP with a manifest of hashes); the export is audited.

        POST with the CSRF token: an export is an audited action, not a link another site can
        make a reviewer's browser follow."""
        if not self.can_export(request):
            raise PermissionDenied
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        get_object_or_404(Verification, pk=object_id)
        name, data = evidence_pack(object_id, user=request.user)
        response = HttpResponse(data, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{name}"'
        response["Cache-Control"] = "private, no-store"
        return response

    # Assignment -------------------------------------------------------------------------------
    def _assignment(self, request, object_id, run, done):
        if request.method != "POST" or not self.can_decide(request):
            raise PermissionDenied
        get_object_or_404(Verification, pk=object_id)
        try:
            run()
        except assignment.AssignmentError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(case_url(object_id))

    def assign_view(self, request, object_id):
        return self._assignment(
            request, object_id, lambda: assignment.assign(object_id, user=request.user), _("The case is yours.")
        )

    def release_view(self, request, object_id):
        return self._assignment(
            request,
            object_id,
            lambda: assignment.release(object_id, user=request.user),
            _("The case is back in the queue."),
        )

    def blocklist_view(self, request, object_id):
        """Bar the case's faces (and document number) with a reason: the blocklist permission."""
        if request.method != "POST" or not request.user.has_perm("onboarding.manage_blocklist"):
            raise PermissionDenied
        verification = get_object_or_404(Verification.objects.select_related("selfie", "id_card"), pk=object_id)
        try:
            entries = blocklist.request_add(
                verification, reason=request.POST.get("reason", ""), actor=audit.Actor.staff(request.user)
            )
        except blocklist.BlocklistError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            if entries is None:  # its faces are being analysed on a worker
                done = _("The case's faces are being analysed; its blocklist entries follow in a moment.")
            else:
                done = _("%(n)d blocklist entries added.") % {"n": len(entries)}
            self.message_user(request, done, messages.SUCCESS)
        return HttpResponseRedirect(case_url(object_id))

    def screening_view(self, request, object_id, hit_id):
        """A reviewer's verdict on a list match: a false positive or confirmed, with why; audited."""
        if request.method != "POST" or not request.user.has_perm("onboarding.resolve_screening_hit"):
            raise PermissionDenied
        get_object_or_404(ScreeningHit, pk=hit_id, verification_id=object_id)
        try:
            screening.resolve(
                hit_id,
                status=request.POST.get("status", ""),
                user=request.user,
                comment=request.POST.get("comment", ""),
            )
        except screening.ResolutionError as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            self.message_user(request, _("List match resolved."), messages.SUCCESS)
        return HttpResponseRedirect(case_url(object_id))

    def _take_next(self, request):
        verification = assignment.take_next(request.user)
        if verification is None:
            self.message_user(request, _("The queue is empty: no case is waiting for a reviewer."), messages.INFO)
            return HttpResponseRedirect(reverse("admin:onboarding_reviewcase_changelist"))
        return HttpResponseRedirect(case_url(verification.pk))

    # Bulk decisions ---------------------------------------------------------------------------
    def _bulk_decide(self, request, queryset, outcome):
        if not self.can_decide(request):
            raise PermissionDenied
        if "apply" in request.POST:
            form = ReviewDecisionForm(request.POST)
            if form.is_valid():
                done, failed = 0, []
                for verification in queryset:
                    try:
                        record_human_decision(
                            verification.pk,
                            outcome=outcome,
                            reason=form.cleaned_data["reason"],
                            comment=form.cleaned_data["comment"],
                            user=request.user,
                            client_message=form.cleaned_data["client_message"],
                        )
                        done += 1
                    except DecisionError as exc:
                        failed.append(f"{verification}: {exc}")
                self.message_user(request, _("%(n)d decision(s) recorded.") % {"n": done}, messages.SUCCESS)
                for line in failed:
                    self.message_user(request, line, messages.ERROR)
                return None
        else:
            form = ReviewDecisionForm(initial={"outcome": outcome})
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "form": form,
            "queryset": queryset,
            "outcome": outcome,
            "action": request.POST.get("action"),
            "action_checkbox_name": admin.helpers.ACTION_CHECKBOX_NAME,
            "title": _("Approve selected verifications")
            if outcome == Decision.Outcome.APPROVE
            else _("Reject selected verifications"),
        }
        return TemplateResponse(request, "admin/onboarding/verification/bulk_decide.html", context)

    @admin.action(description=_("Approve selected verifications (reason required)"), permissions=["decide"])
    def approve_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, Decision.Outcome.APPROVE)

    @admin.action(description=_("Reject selected verifications (reason required)"), permissions=["decide"])
    def reject_selected(self, request, queryset):
        return self._bulk_decide(request, queryset, Decision.Outcome.REJECT)


@admin.register(ReviewCase)
class ReviewQueueAdmin(CaseColumns, ReadOnlyMixin, admin.ModelAdmin):
    """The queue: cases in review, oldest first, with their SLA clock; "take next" assigns atomically."""

    list_display = ["short_id", "waiting", "deadline", "assigned", "reasons", "vendors", "risk", "compare", "signals"]
    list_display_links = None
    list_filter = [
        AssignmentFilter,
        SlaFilter,
        ReasonFilter,
        VendorFilter,
        RiskLevelFilter,
        ScoreBandFilter,
        SignalFilter,
    ]
    search_fields = ["=id", "applicant__external_ref", "=applicant__id"]
    list_per_page = 50
    show_full_result_count = False
    actions = None
    change_list_template = "admin/onboarding/reviewcase/change_list.html"

    def get_queryset(self, request):
        return selectors.queue(super().get_queryset(request))

    def get_ordering(self, request):
        return ["decided_at", "pk"]

    def has_view_permission(self, request, obj=None):
        return request.user.has_perm("onboarding.view_verification")

    def get_urls(self):
        return [
            path("next/", self.admin_site.admin_view(self.take_next_view), name="onboarding_reviewcase_take_next")
        ] + super().get_urls()

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(case_url(object_id))

    def take_next_view(self, request):
        if request.method != "POST" or not request.user.has_perm("onboarding.decide_verification"):
            raise PermissionDenied
        return self.admin_site._registry[Verification]._take_next(request)

    def changelist_view(self, request, extra_context=None):
        extra = {
            "can_take": request.user.has_perm("onboarding.decide_verification"),
            "sla_hours": settings.KYC_REVIEW_SLA_HOURS,
            **(extra_context or {}),
        }
        return super().changelist_view(request, extra)

    @admin.display(description=_("waiting"), ordering="decided_at")
    def waiting(self, obj):
        clock = selectors.sla(obj)
        return _hours(clock.waiting.total_seconds()) if clock else "-"

    @admin.display(description=_("deadline"))
    def deadline(self, obj):
        clock = selectors.sla(obj)
        if clock is None:
            return "-"
        seconds = (clock.due_at - timezone.now()).total_seconds()
        if clock.overdue:
            return format_html('<span class="kyc-overdue">{}</span>', _("overdue by %s") % _hours(-seconds))
        return format_html('<span class="kyc-due">{}</span>', _("in %s") % _hours(seconds))

    @admin.display(description=_("assigned to"))
    def assigned(self, obj):
        holder = selectors.holder(obj)
        return holder.get_username() if holder else "-"

    @admin.display(description=_("reasons"))
    def reasons(self, obj):
        reasons = selectors.queue_reason_texts(obj)
        return format_html_join(mark_safe("<br>"), '<span title="{}">{}</span>', reasons) if reasons else "-"

    @admin.display(description=_("compare score / threshold"))
    def compare(self, obj):
        check = selectors.compare_summary(obj)
        return f"{check.score:g} / {check.threshold:g} ({check.vendor})" if check and check.threshold else "-"

    @admin.display(description=_("duplicates"), boolean=True, ordering="flagged")
    def signals(self, obj):
        return obj.flagged


def photo_analyses(verification) -> dict:
    """By photo id, the stored analysis of each of the case's photos still kept that has one."""
    found = {}
    for photo in (verification.selfie, verification.id_card, verification.id_card_back):
        if photo is not None and not photo.purged_at and (analysis := stored_analysis(photo)) is not None:
            found[photo.pk] = analysis
    return found


def photo_views(verification, analyses: dict) -> list[dict]:
    """The case's photos as the page draws them: each one the local engine found sideways or upside
    down (its analysis's turn) drawn turned upright (`transform`, `width` and `height` those of the
    upright drawing). The file served is the one stored, unchanged: the evidence is not re-encoded."""
    views = []
    for photo in (verification.selfie, verification.id_card, verification.id_card_back):
        if photo is None:
            continue
        analysis = analyses.get(photo.pk)
        turn = analysis.turn if analysis is not None else 0
        views.append(
            {
                "photo": photo,
                "transform": identity.svg_turn(turn, photo.width, photo.height),
                "width": photo.height if turn % 180 else photo.width,
                "height": photo.width if turn % 180 else photo.height,
            }
        )
    return views


def face_crops(verification, analyses: dict) -> list[dict]:
    """The selfie's face and the card's portrait, each cropped around its face (the box the local
    engine found in the photo's analysis, of `analyses`) so that both show upright at the same
    scale side by side; [] unless both were found."""
    crops = []
    for photo in (verification.selfie, verification.id_card):
        analysis = analyses.get(photo.pk) if photo is not None else None
        if analysis is None or analysis.face is None:
            return []
        f = analysis.face
        # Head and shoulders: the face box grown by half its size on each side, inside the photo
        # as the engine saw it (turned upright: the box is in that image's pixels).
        side = max(f.width, f.height) * 2
        cx, cy = (f.left + f.right) / 2, (f.top + f.bottom) / 2
        left, top = max(0, int(cx - side / 2)), max(0, int(cy - side / 2))
        crop_w, crop_h = min(int(side), analysis.width - left), min(int(side), analysis.height - top)
        crops.append(
            {
                "photo": photo,
                "view_box": f"{left} {top} {crop_w} {crop_h}",
                "width": photo.width,
                "height": photo.height,
                "transform": identity.svg_turn(analysis.turn, photo.width, photo.height),
            }
        )
    return crops


def _hours(seconds: float) -> str:
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


@admin.register(ReviewReason)
class ReviewReasonAdmin(admin.ModelAdmin):
    """The reason templates reviewers pick from; deactivate rather than delete (decisions name them)."""

    list_display = ["code", "outcome", "text", "position", "is_active"]
    list_editable = ["position", "is_active"]
    list_filter = ["outcome", "is_active"]

    def has_delete_permission(self, request, obj=None):
        return False


class ChoiceFilter(admin.SimpleListFilter):
    """A filter over fixed choices: no DISTINCT over millions of rows to find them."""

    options = ()

    def lookups(self, request, model_admin):
        return self.options

    def queryset(self, request, queryset):
        return queryset.filter(**{self.parameter_name: self.value()}) if self.value() else queryset


class CheckVendorFilter(ChoiceFilter):
    title, parameter_name = _("vendor"), "vendor"
    options = vendor_choices()


class ErrorCategoryFilter(ChoiceFilter):
    title, parameter_name = _("error"), "error_category"
    options = [(c, c) for c in ("retryable", "permanent", "bad_input", "configuration")]


@admin.register(Check)
class CheckAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "verification",
        "kind",
        "subject",
        "vendor",
        "role",
        "status",
        "score",
        "threshold",
        "estimated_far",
        "passed",
        "risk_level",
        "attempt_count",
        "latency_ms",
        "created_at",
    ]
    list_filter = [CheckVendorFilter, "kind", "role", "status", "passed", ErrorCategoryFilter]
    list_select_related = ["verification"]
    show_full_result_count = False
    paginator = EstimatedCountPaginator
    search_fields = ["=verification__id", "=request_id", "vendor_request_id"]
    readonly_fields = [f.name for f in Check._meta.fields if f.name not in ("raw_response", "details")] + [
        "details_pretty",
        "raw_response_pretty",
    ]

    @admin.display(description=_("estimated FAR"), ordering="far")
    def estimated_far(self, obj):
        estimate = obj.far_estimate
        if not estimate:
            return "-"
        return format_html('<span title="{} ({})">{}</span>', estimate.source, estimate, estimate.in_words())

    @admin.display(description=_("details"))
    def details_pretty(self, obj):
        return format_html("<pre>{}</pre>", json.dumps(obj.details, indent=2, ensure_ascii=False))

    @admin.display(description=_("redacted raw response"))
    def raw_response_pretty(self, obj):
        if obj.raw_response_purged_at is not None:
            return _("Deleted on %(date)s (retention or erasure)") % {
                "date": obj.raw_response_purged_at.strftime("%Y-%m-%d %H:%M")
            }
        return format_html("<pre>{}</pre>", json.dumps(obj.raw_response, indent=2, ensure_ascii=False))
