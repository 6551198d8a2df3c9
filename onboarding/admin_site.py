"""The reviewers' admin site: Django's, with the operator's dashboard and the policy what-if as
pages of their own (<admin>/dashboard/, <admin>/whatif/)."""

from django.contrib import admin
from django.urls import path

from onboarding.forms import StaffLoginForm


class KycAdminSite(admin.AdminSite):
    site_header = "KYC review"
    site_title = "KYC review"
    index_title = "Cases and audit trail"
    login_form = StaffLoginForm

    def get_urls(self):
        from onboarding.admin import dashboard  # once URLs are built: the admin package registers on this site

        return [
            path(
                "dashboard/", self.admin_view(dashboard.DashboardView.as_view(site=self)), name="onboarding_dashboard"
            ),
            path("whatif/", self.admin_view(dashboard.WhatIfView.as_view(site=self)), name="onboarding_whatif"),
            *super().get_urls(),
        ]
