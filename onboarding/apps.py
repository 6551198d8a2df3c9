from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class OnboardingConfig(AppConfig):
    default = True
    name = "onboarding"
    verbose_name = _("Onboarding")

    def ready(self):
        from onboarding import (
            system_checks,  # noqa: F401  (registers the checks)
            tasks,  # noqa: F401  (registers the tasks services.dispatch sends by name)
        )


class KycAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the reviewers' site (onboarding.admin.site) as admin.site."""

    default = False  # named in INSTALLED_APPS; OnboardingConfig is this module's default
    default_site = "onboarding.admin_site.KycAdminSite"
