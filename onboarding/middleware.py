"""A cap on the whole request body, checked from Content-Length before Django reads any of it.

Django limits form fields (DATA_UPLOAD_MAX_MEMORY_SIZE) and the number of files, but not the size
of the files of a multipart body: without this, one request could make a worker spool gigabytes
to disk. The reverse proxy should refuse such bodies first (docs/deploy.md).
"""

from django.conf import settings
from django.http import HttpResponse

from onboarding.errors import is_api, problem_json


class RequestSizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0  # Django reads no body it cannot size
        if length > settings.KYC_MAX_REQUEST_BYTES:
            detail = f"The request body is over {settings.KYC_MAX_REQUEST_BYTES // (1024 * 1024)} MB."
            if is_api(request):
                return problem_json(413, "payload_too_large", detail)
            return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
