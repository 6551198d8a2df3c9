"""The operator's look and consent text on the applicant's pages: one record, audited on change."""

from django import forms
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from onboarding.models import Branding
from onboarding.services.applicant import branding


class BrandingForm(forms.ModelForm):
    logo_file = forms.FileField(
        label=_("logo"), required=False, help_text=_("PNG, JPEG or WebP, up to 512 KB; shown 32 px high.")
    )
    remove_logo = forms.BooleanField(label=_("remove the logo"), required=False)

    class Meta:
        model = Branding
        fields = ["name", "primary_color", "support_contact", "consent_text", "consent_text_zh_hans", "consent_version"]
        widgets = {"primary_color": forms.TextInput(attrs={"type": "color"})}

    def clean_primary_color(self):
        color = self.cleaned_data["primary_color"]
        return branding.validate_color(color) if color else ""

    def clean_logo_file(self):
        upload = self.cleaned_data.get("logo_file")
        return branding.validate_logo(upload.read()) if upload else None

    def clean(self):
        data = super().clean()
        texts = data.get("consent_text") or data.get("consent_text_zh_hans")
        if texts and not data.get("consent_version"):
            self.add_error("consent_version", _("Give the new text a version: it is recorded with each consent."))
        if data.get("consent_text_zh_hans") and not data.get("consent_text"):
            self.add_error("consent_text", _("Give the English text too: it is shown in every other language."))
        return data


@admin.register(Branding)
class BrandingAdmin(admin.ModelAdmin):
    form = BrandingForm
    readonly_fields = ["current_logo", "updated_at"]
    fieldsets = [
        (None, {"fields": ["name", "primary_color", "current_logo", "logo_file", "remove_logo", "support_contact"]}),
        (_("Consent notice"), {"fields": ["consent_text", "consent_text_zh_hans", "consent_version"]}),
        (None, {"fields": ["updated_at"]}),
    ]

    @admin.display(description=_("current logo"))
    def current_logo(self, obj):
        if not branding.logo_bytes(obj if obj and obj.pk else None):
            return "-"
        return format_html('<img src="{}" alt="" height="32">', reverse("onboarding:brand_logo"))

    def has_add_permission(self, request):
        return super().has_add_permission(request) and not Branding.objects.exists()

    def changelist_view(self, request, extra_context=None):
        row = Branding.objects.first()  # one record: the list is its form
        if row is None:
            return redirect("admin:onboarding_branding_add")
        return redirect("admin:onboarding_branding_change", row.pk)

    def save_model(self, request, obj, form, change):
        changed = list(form.changed_data)
        if form.cleaned_data.get("remove_logo"):
            obj.logo = b""
            changed.append("logo")
        elif form.cleaned_data.get("logo_file"):
            obj.logo = form.cleaned_data["logo_file"]
            changed.append("logo")
        branding.save(obj, user=request.user, changed=[f for f in changed if f not in ("logo_file", "remove_logo")])
