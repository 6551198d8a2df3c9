"""What the admin modules share: read-only pages and the filters of case lists."""

from django.contrib import admin
from django.core.paginator import Paginator
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

from onboarding import statements
from onboarding.models import Decision
from onboarding.selectors import review as review_selectors
from vendors.registry import BACKENDS


class EstimatedCountPaginator(Paginator):
    """An unfiltered list of a big table counts from PostgreSQL's own statistics: COUNT(*) reads the
    whole table (120 ms at a million checks, bench/admin_scale.py). Filtered lists count exactly."""

    ESTIMATE_ABOVE = 100_000

    @cached_property
    def count(self):
        queryset = self.object_list
        if not queryset.query.where:
            estimate = statements.estimated_rows(queryset.model, queryset.db)
            if estimate is not None and estimate > self.ESTIMATE_ABOVE:
                return estimate
        return super().count


class ReadOnlyMixin:
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


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


def vendor_choices():
    # The registry, not a DISTINCT over every check: the lists stay fast at millions of checks.
    return [(name, name) for name in sorted(BACKENDS)]


class VendorFilter(admin.SimpleListFilter):
    title = _("vendor")
    parameter_name = "vendor"

    def lookups(self, request, model_admin):
        return vendor_choices()

    def queryset(self, request, queryset):
        return review_selectors.with_vendor(queryset, self.value()) if self.value() else queryset
