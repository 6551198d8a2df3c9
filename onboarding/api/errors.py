"""Every API error as RFC 9457 problem details, with a stable `code`.

{"type": "urn:kyc:problem:<code>", "title": "...", "status": 400, "detail": "...",
 "code": "<code>", "errors": [{"field": "selfie", "code": "not_an_image", "detail": "..."}]}
"""

from django.http import Http404
from rest_framework import exceptions, status
from rest_framework.response import Response
from rest_framework.views import exception_handler

TITLES = {
    400: "Bad request",
    401: "Not authenticated",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    409: "Conflict",
    413: "Payload too large",
    415: "Unsupported media type",
    429: "Too many requests",
    500: "Server error",
    503: "Service unavailable",
}


class ApiProblem(exceptions.APIException):
    """An error with our own code and, optionally, per-field errors."""

    def __init__(self, status_code, code, detail, errors=None):
        self.status_code = status_code
        self.problem_code = code
        self.errors = errors or []
        super().__init__(detail, code)


def problem_body(status_code, code, detail, errors=None) -> dict:
    """The problem details document; DRF's handler and Django's error pages both answer with it."""
    body = {
        "type": f"urn:kyc:problem:{code}",
        "title": TITLES.get(status_code, "Error"),
        "status": status_code,
        "detail": str(detail),
        "code": code,
    }
    if errors:
        body["errors"] = errors
    return body


def problem(status_code, code, detail, errors=None):
    body = problem_body(status_code, code, detail, errors)
    return Response(body, status=status_code, content_type="application/problem+json")


def _field_errors(detail, prefix=""):
    errors = []
    if isinstance(detail, dict):
        for field, value in detail.items():
            name = field if not prefix else f"{prefix}.{field}"
            errors += _field_errors(value, "" if field == "non_field_errors" else name)
    elif isinstance(detail, list):
        for item in detail:
            errors += _field_errors(item, prefix)
    else:
        errors.append({"field": prefix or None, "code": getattr(detail, "code", "invalid"), "detail": str(detail)})
    return errors


def handler(exc, context):
    if isinstance(exc, ApiProblem):
        return problem(exc.status_code, exc.problem_code, exc.detail, exc.errors)
    if isinstance(exc, exceptions.Throttled):
        wait = int(exc.wait or 1)
        # DRF's own Throttled is the per-client rate limit; ours (wrong API keys) carries its message.
        detail = (
            f"Too many requests for this client: retry after {wait} seconds (KYC_API_RATE_LIMIT)."
            if exc.get_codes() == "throttled"
            else exc.detail
        )
        result = problem(429, "rate_limited", detail)
        result["Retry-After"] = str(wait)
        return result
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    response = exception_handler(exc, context)
    if response is None:
        return None  # a real server error: Django's 500 handling and logging
    if isinstance(exc, exceptions.ValidationError):
        return problem(
            status.HTTP_400_BAD_REQUEST, "validation_error", "The request is not valid.", _field_errors(exc.detail)
        )
    code = exc.get_codes() if isinstance(exc, exceptions.APIException) else "error"
    code = code if isinstance(code, str) else "error"
    result = problem(response.status_code, code, getattr(exc, "detail", str(exc)))
    for header in ("WWW-Authenticate", "Retry-After", "Allow"):
        if header in response:
            result[header] = response[header]
    return result
