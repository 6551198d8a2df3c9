"""The operator's dashboard and the policy what-if: admin pages of their own (onboarding.admin_site)."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views import View

from onboarding import charts
from onboarding.forms import PeriodForm, WhatIfForm
from onboarding.models import Verification
from onboarding.selectors import dashboard as figures
from onboarding.services.compliance import audit
from onboarding.services.policy import versions, whatif

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


class AdminPage(View):
    """A page of the admin site that is not a model's: the site's context, a permission, a template."""

    site = None
    permission = ""
    template = ""
    title = ""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(self.permission):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def render(self, request, **context):
        return TemplateResponse(
            request,
            self.template,
            {**self.site.each_context(request), "opts": Verification._meta, "title": self.title, **context},
        )


class DashboardView(AdminPage):
    permission = "onboarding.view_dashboard"
    template = "admin/onboarding/dashboard.html"
    title = _("Dashboard")

    def get(self, request):
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
        return self.render(
            request,
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


class WhatIfView(AdminPage):
    permission = "onboarding.run_policy_whatif"
    template = "admin/onboarding/whatif.html"
    title = _("Policy what-if")

    def get(self, request):
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
        return self.render(
            request,
            form=form,
            period=period,
            rows=[(row, form[row["field"]]) for row in form.rows],
            result=result,
            outcomes=outcomes,
            matrix=matrix,
            can_publish=request.user.has_perm(PUBLISH_PERMISSION),
            current_version=versions.active().version,
        )

    def post(self, request):
        """Publish the replayed thresholds (and margin) as a new policy version: validated and
        audited like any publication (services.policy.versions.publish)."""
        if not request.user.has_perm(PUBLISH_PERMISSION):
            raise PermissionDenied
        period = PeriodForm(request.POST).period()
        form = WhatIfForm(request.POST, rows=whatif.stored_thresholds(period.start, period.end))
        if not form.is_valid() or not form.candidate():
            messages.error(request, _("Nothing to publish: replay candidate thresholds first."))
            return HttpResponseRedirect(reverse("admin:onboarding_whatif"))
        config = dict(versions.active().config)
        config["thresholds"] = {
            **config.get("thresholds", {}),
            **{f"{vendor}.{kind}": value for (vendor, kind), value in form.candidate().items()},
        }
        if form.cleaned_data.get("margin") is not None:
            config["review_margin"] = form.cleaned_data["margin"]
        config.pop("version", None)
        comment = (request.POST.get("comment") or "").strip() or str(_("Thresholds from the policy what-if."))
        try:
            row, created = versions.publish(config, actor=audit.Actor.staff(request.user), comment=comment)
        except versions.PolicyError as exc:
            messages.error(request, _("Not published: %s") % "; ".join(exc.problems))
            return HttpResponseRedirect(reverse("admin:onboarding_whatif"))
        if not created:
            messages.info(request, _("These thresholds are the policy in force already: nothing was published."))
        else:
            messages.success(request, _("Published policy version %s.") % row.version)
        return HttpResponseRedirect(reverse("admin:onboarding_policyversion_change", args=[row.pk]))


PUBLISH_PERMISSION = "onboarding.add_policyversion"
