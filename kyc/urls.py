from django.contrib import admin
from django.urls import include, path

from onboarding.views import healthz

admin.site.site_header = "KYC review"
admin.site.site_title = "KYC review"
admin.site.index_title = "Cases and audit trail"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("healthz", healthz, name="healthz"),
    path("", include("onboarding.urls")),
]
