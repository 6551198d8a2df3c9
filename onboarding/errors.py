"""Django's error pages (kyc/urls.py handler400/403/404/500): problem+json under /api/, pages elsewhere.

A database (or cache) that cannot be reached is not the client's fault nor a bug: 503 with
Retry-After, so that clients, proxies and load balancers wait and retry.
"""

import sys

from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent
from django.db import DatabaseError, DataError, IntegrityError, ProgrammingError
from django.http import HttpResponse, JsonResponse
from django.views import defaults
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from onboarding.api.errors import problem_body

RETRY_AFTER = "10"


def is_api(request) -> bool:
    return request.path.startswith("/api/")


def problem_json(status, code, detail) -> JsonResponse:
    return JsonResponse(problem_body(status, code, detail), status=status, content_type="application/problem+json")


def _unavailable(exc) -> bool:
    """The database or Redis cannot be reached (not a query or data error)."""
    if isinstance(exc, DatabaseError):
        return not isinstance(exc, (IntegrityError, DataError, ProgrammingError))
    return isinstance(exc, (RedisConnectionError, RedisTimeoutError))


def bad_request(request, exception, template_name="400.html"):
    if is_api(request):
        if isinstance(exception, (RequestDataTooBig, TooManyFieldsSent, TooManyFilesSent)):
            return problem_json(
                413, "payload_too_large", "The request body, or its number of fields or files, is over the limit."
            )
        return problem_json(400, "bad_request", "The request cannot be read.")
    return defaults.bad_request(request, exception, template_name)


def permission_denied(request, exception, template_name="403.html"):
    if is_api(request):
        return problem_json(403, "forbidden", "Not allowed.")
    return defaults.permission_denied(request, exception, template_name)


def page_not_found(request, exception, template_name="404.html"):
    if is_api(request):
        return problem_json(404, "not_found", "No such resource.")
    return defaults.page_not_found(request, exception, template_name)


def server_error(request, template_name="500.html"):
    exc = sys.exc_info()[1]  # Django calls this while handling the exception
    if exc is not None and _unavailable(exc):
        if is_api(request):
            response = problem_json(
                503, "service_unavailable", "A service kyc depends on cannot be reached. Retry later."
            )
        else:
            response = HttpResponse(
                "The service is unavailable for a moment. Please try again shortly.",
                status=503,
                content_type="text/plain; charset=utf-8",
            )
        response["Retry-After"] = RETRY_AFTER
        return response
    if is_api(request):
        return problem_json(500, "server_error", "An unexpected error. It has been logged.")
    return defaults.server_error(request, template_name)
