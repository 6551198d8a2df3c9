"""Sanctions and PEP lists: what is imported, each version's changes, the entries; importing a file
here goes through the same audited service as `kyc_screening import`."""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _

from onboarding.models import ScreeningEntry, ScreeningListVersion, ScreeningSource
from onboarding.services.compliance import audit
from onboarding.services.screening import lists
from vendors.screening import formats

from .common import ReadOnlyMixin

IMPORT_PERMISSION = "onboarding.import_screening_list"


class ImportForm(forms.Form):
    file = forms.FileField(
        label=_("List file"),
        help_text=_(
            "OpenSanctions FollowTheMoney entities (JSON lines), targets.simple.csv, the UN's, OFAC's, the EU's, "
            "the UK's, Switzerland's or Canada's sanctions list as published (XML), or a CSV of name, date of "
            "birth, nationality. Larger files than a request may carry: manage.py kyc_screening import."
        ),
    )
    source = forms.SlugField(
        label=_("List name"), max_length=100, help_text=_("Importing a name again replaces that list.")
    )
    format = forms.ChoiceField(
        label=_("Format"), required=False, choices=[("", _("detect"))] + [(f, f) for f in formats.FORMATS]
    )
    shrink = forms.BooleanField(
        label=_("The list really is much shorter"),
        required=False,
        help_text=_(
            "A file that would remove more than half of the list's entries is refused as cut short unless "
            "this is ticked."
        ),
    )


@admin.register(ScreeningSource)
class ScreeningSourceAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["name", "version", "entry_count", "format", "updated_at"]
    change_list_template = "admin/onboarding/screeningsource/change_list.html"

    def get_urls(self):
        view = self.admin_site.admin_view(self.import_view)
        return [path("import/", view, name="onboarding_screeningsource_import")] + super().get_urls()

    def changelist_view(self, request, extra_context=None):
        extra = {"can_import": request.user.has_perm(IMPORT_PERMISSION), **(extra_context or {})}
        return super().changelist_view(request, extra)

    def import_view(self, request):
        if not request.user.has_perm(IMPORT_PERMISSION):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                version = lists.import_file(
                    upload.open("rb"),
                    source=form.cleaned_data["source"],
                    actor=audit.Actor.staff(request.user),
                    fmt=form.cleaned_data["format"] or None,
                    file_name=upload.name,
                    shrink=form.cleaned_data["shrink"],
                )
            except formats.ListFormatError as exc:
                form.add_error("file", str(exc))
            else:
                self.message_user(
                    request,
                    _(
                        "%(source)s version %(v)d: %(total)d entries "
                        "(%(added)d added, %(changed)d changed, %(removed)d removed)."
                    )
                    % {
                        "source": version.source.name,
                        "v": version.version,
                        "total": version.total,
                        "added": version.added,
                        "changed": version.changed,
                        "removed": version.removed,
                    },
                    messages.SUCCESS,
                )
                return HttpResponseRedirect(reverse("admin:onboarding_screeningsource_changelist"))
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a sanctions or PEP list"),
            "form": form,
        }
        return TemplateResponse(request, "admin/onboarding/screeningsource/import.html", context)


@admin.register(ScreeningListVersion)
class ScreeningListVersionAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = [
        "source",
        "version",
        "imported_at",
        "imported_by",
        "total",
        "added",
        "changed",
        "removed",
        "file_name",
    ]
    list_filter = ["source"]
    list_select_related = ["source"]


@admin.register(ScreeningEntry)
class ScreeningEntryAdmin(ReadOnlyMixin, admin.ModelAdmin):
    list_display = ["caption", "source", "key", "birth_dates", "nationalities", "changed_version"]
    list_filter = ["source"]
    search_fields = ["caption", "=key"]
    list_select_related = ["source"]
    show_full_result_count = False
