"""The decision policy: its versions (read-only, newest in force) and publishing a new one.

Publishing goes through services.policy_config.publish: validated as a whole, append-only, audited.
"""

import json

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from onboarding.models import PolicyVersion
from onboarding.services.compliance import audit
from onboarding.services.policy import versions
from vendors import calibration


class PolicyForm(forms.Form):
    config = forms.CharField(
        label=_("policy (JSON)"), widget=forms.Textarea(attrs={"rows": 30, "cols": 100, "class": "kyc-code"})
    )
    version = forms.CharField(
        label=_("version name"),
        max_length=64,
        required=False,
        help_text=_("Empty: today's date and a number, e.g. 2026-11-23.1."),
    )
    comment = forms.CharField(
        label=_("why"),
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Kept with the version and in the audit trail."),
    )

    def clean_config(self):
        try:
            config = json.loads(self.cleaned_data["config"])
        except json.JSONDecodeError as exc:
            raise forms.ValidationError(_("Not JSON: %(error)s") % {"error": exc}) from None
        try:
            versions.validate(config)
        except versions.PolicyError as exc:
            raise forms.ValidationError(exc.problems) from None
        return config


def pretty(config) -> str:
    return json.dumps(config, indent=2, ensure_ascii=False)


@admin.register(PolicyVersion)
class PolicyVersionAdmin(admin.ModelAdmin):
    list_display = ["version", "in_force", "created_at", "created_by", "comment"]
    list_display_links = ["version"]
    search_fields = ["version", "comment"]

    def has_change_permission(self, request, obj=None):
        return False  # append-only: a change is a new version

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("in force"), boolean=True)
    def in_force(self, obj):
        return obj.pk == PolicyVersion.objects.order_by("-id").values_list("pk", flat=True).first()

    def get_urls(self):
        view = self.admin_site.admin_view
        return [
            path("<path:object_id>/republish/", view(self.republish_view), name="onboarding_policyversion_republish")
        ] + super().get_urls()

    def _context(self, request, **extra):
        return {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "in_force": versions.active(),
            "calibrations": [(c, c.resolution) for c in calibration.all_calibrations()],
            **extra,
        }

    def add_view(self, request, form_url="", extra_context=None):
        if not self.has_add_permission(request):
            raise PermissionDenied
        current = versions.active()
        form = PolicyForm(request.POST or None, initial={"config": pretty(current.config)})
        if request.method == "POST" and form.is_valid():
            return self._publish(
                request,
                form.cleaned_data["config"],
                form.cleaned_data["comment"],
                form.cleaned_data["version"] or None,
                form,
            )
        return TemplateResponse(
            request,
            "admin/onboarding/policyversion/publish.html",
            self._context(request, form=form, title=_("Publish a new policy version")),
            status=400 if form.errors else 200,
        )

    def _publish(self, request, config, comment, version, form=None):
        try:
            row, created = versions.publish(
                config, actor=audit.Actor.staff(request.user), comment=comment, version=version
            )
        except versions.PolicyError as exc:
            if form is None:
                raise
            form.add_error(None, exc.problems)
            return TemplateResponse(
                request,
                "admin/onboarding/policyversion/publish.html",
                self._context(request, form=form, title=_("Publish a new policy version")),
                status=400,
            )
        if created:
            self.message_user(request, _("Policy %(v)s is now in force.") % {"v": row.version}, messages.SUCCESS)
        else:
            self.message_user(request, _("This policy is already in force: nothing was published."), messages.INFO)
        return HttpResponseRedirect(reverse("admin:onboarding_policyversion_changelist"))

    def change_view(self, request, object_id, form_url="", extra_context=None):
        if not self.has_view_permission(request):
            raise PermissionDenied
        row = get_object_or_404(PolicyVersion, pk=int(object_id) if str(object_id).isdigit() else None)
        return TemplateResponse(
            request,
            "admin/onboarding/policyversion/view.html",
            self._context(
                request,
                row=row,
                config=pretty(row.config),
                title=_("Policy %s") % row.version,
                can_republish=self.has_add_permission(request) and not self.in_force(row),
            ),
        )

    def republish_view(self, request, object_id):
        """Roll back: the old content becomes a new version (the history is never rewritten)."""
        if request.method != "POST" or not self.has_add_permission(request):
            raise PermissionDenied
        row = get_object_or_404(PolicyVersion, pk=int(object_id) if object_id.isdigit() else None)
        return self._publish(request, row.config, _("back to %(v)s") % {"v": row.version}, None)
