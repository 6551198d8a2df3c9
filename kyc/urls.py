from django.contrib import admin
from django.urls import include, path
from django.views.i18n import JavaScriptCatalog
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from onboarding.views import favicon, healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    # The applicant pages' scripts take their words from here (gettext), in the page's language.
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("api/v1/", include("onboarding.api.urls")),
    path("api/schema/", SpectacularAPIView.as_view(), name="schema"),
    # Swagger UI from our own static files (drf-spectacular-sidecar), its start-up script served apart
    # (the split view): the page runs under the same Content-Security-Policy as every other.
    path("api/docs/", SpectacularSwaggerSplitView.as_view(url_name="schema"), name="api-docs"),
    path("", include("onboarding.urls")),
]

# Problem details under /api/, and 503 with Retry-After while the database cannot be reached.
handler400 = "onboarding.errors.bad_request"
handler403 = "onboarding.errors.permission_denied"
handler404 = "onboarding.errors.page_not_found"
handler500 = "onboarding.errors.server_error"
