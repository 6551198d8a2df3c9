"""The operator's dashboard and the policy what-if, as admin pages (mixed into the case admin)."""

from django.core.exceptions import PermissionDenied
from django.template.response import TemplateResponse
from django.urls import path
from django.utils.translation import gettext_lazy as _

from onboarding import charts
from onboarding.forms import PeriodForm, WhatIfForm
from onboarding.selectors import dashboard as figures
from onboarding.services import whatif

FUNNEL_LABELS = {
    "started": _("Started (applicant created)"),
    "consented": _("Gave consent"),
    "selfie": _("Uploaded a selfie"),
    "card": _("Uploaded an ID card"),
    "submitted": _("Submitted"),
    "decided": _("Decided by the policy"),
    "final": _("Finally decided"),
    "approved": _("Approved"),
}


def _duration(seconds):
    if seconds is None:
        return "-"
    if seconds < 120:
        return f"{seconds:.1f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


class DashboardViews:
    """URLs: <admin>/onboarding/verification/dashboard/ and …/whatif/."""

    def dashboard_urls(self):
        view = self.admin_site.admin_view
        return [
            path("dashboard/", view(self.dashboard_view), name="onboarding_dashboard"),
            path("whatif/", view(self.whatif_view), name="onboarding_whatif"),
        ]

    def _page(self, request, template, title, **context):
        return TemplateResponse(
            request,
            template,
            {**self.admin_site.each_context(request), "opts": self.model._meta, "title": title, **context},
        )

    def dashboard_view(self, request):
        if not request.user.has_perm("onboarding.view_dashboard"):
            raise PermissionDenied
        form = PeriodForm(request.GET or None)
        period = form.period()
        per_day = figures.cases_per_day(period)
        steps = figures.funnel(period)
        health = figures.vendor_health(period)
        scores = figures.score_distributions(period)
        timing = figures.time_to_decision(period)
        for row in timing.values():
            for key in ("p50", "p95", "p99"):
                row[key] = _duration(row[key])
        return self._page(
            request,
            "admin/onboarding/dashboard.html",
            _("Dashboard"),
            form=form,
            period=period,
            per_day_chart=charts.stacked_days(per_day["days"], per_day["series"]),
            outcomes=figures.outcomes(period),
            funnel=[(FUNNEL_LABELS[step], n) for step, n in steps],
            funnel_total=steps[0][1] or 1,
            health=health,
            latency_chart=charts.latency_bars(health) if any(r["p50"] is not None for r in health) else None,
            histograms=[
                {
                    **s,
                    "chart": charts.histogram(
                        s["scores"], threshold=s["threshold"], title=f"{s['vendor']} {s['kind']}", scale=s["scale"]
                    ),
                }
                for s in scores
            ],
            backlog=figures.review_backlog(),
            timing=timing,
            sample=figures.SAMPLE,
            shadows=figures.shadow_agreement(period),
        )

    def whatif_view(self, request):
        if not request.user.has_perm("onboarding.run_policy_whatif"):
            raise PermissionDenied
        period = PeriodForm(request.GET or None).period()
        rows = whatif.stored_thresholds(period.start, period.end)
        form = WhatIfForm(
            request.GET if "run" in request.GET else None, rows=rows, initial={"days": request.GET.get("days") or 30}
        )
        result = None
        if form.is_bound and form.is_valid():
            result = whatif.replay(
                form.candidate(), margin=form.cleaned_data["margin"], since=period.start, until=period.end
            )
        outcomes = ["approve", "review", "reject"]
        matrix = [(old, [result.matrix.get((old, new), 0) for new in outcomes]) for old in outcomes] if result else []
        return self._page(
            request,
            "admin/onboarding/whatif.html",
            _("Policy what-if"),
            form=form,
            period=period,
            rows=[(row, form[row["field"]]) for row in form.rows],
            result=result,
            outcomes=outcomes,
            matrix=matrix,
        )
