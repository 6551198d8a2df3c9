"""Django's error pages (kyc/urls.py handler400/403/404/500): problem+json under /api/, pages elsewhere.

A database (or cache) that cannot be reached is not the client's fault nor a bug: 503 with
Retry-After, so that clients, proxies and load balancers wait and retry.
"""

import sys

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError
from django.http import HttpResponse, JsonResponse
from django.views import defaults

RETRY_AFTER = "10"


def _is_api(request) -> bool:
    return request.path.startswith("/api/")


def _problem(status, code, title, detail) -> JsonResponse:
    return JsonResponse(
        {"type": f"urn:kyc:problem:{code}", "title": title, "status": status, "detail": detail, "code": code},
        status=status,
        content_type="application/problem+json",
    )


def _unavailable(exc) -> bool:
    if isinstance(exc, DatabaseError) and not _is_integrity(exc):
        return True
    try:
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeout
    except ImportError:  # pragma: no cover
        return False
    return isinstance(exc, (RedisConnectionError, RedisTimeout))


def _is_integrity(exc) -> bool:
    from django.db import DataError, IntegrityError, ProgrammingError

    return isinstance(exc, (IntegrityError, DataError, ProgrammingError))


def bad_request(request, exception, template_name="400.html"):
    if _is_api(request):
        if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
            return _problem(
                413,
                "payload_too_large",
                "Payload too large",
                "The request body, or its number of fields or files, is over the limit.",
            )
        return _problem(400, "bad_request", "Bad request", "The request cannot be read.")
    return defaults.bad_request(request, exception, template_name)


def permission_denied(request, exception, template_name="403.html"):
    if _is_api(request):
        return _problem(403, "forbidden", "Forbidden", "Not allowed.")
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request, exception, template_name="404.html"):
    if _is_api(request):
        return _problem(404, "not_found", "Not found", "No such resource.")
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name="500.html"):
    exc = sys.exc_info()[1]  # Django calls this while handling the exception
    if exc is not None and _unavailable(exc):
        if _is_api(request):
            response = _problem(
                503,
                "service_unavailable",
                "Service unavailable",
                "A service kyc depends on cannot be reached. Retry later.",
            )
        else:
            response = HttpResponse(
                "The service is unavailable for a moment. Please try again shortly.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        response["Retry-After"] = RETRY_AFTER
        return response
    if _is_api(request):
        return _problem(500, "server_error", "Server error", "An unexpected error. It has been logged.")
    return defaults.server_error(request, template_name)
