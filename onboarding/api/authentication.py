"""API key authentication: `Authorization: Bearer kyc_<prefix>_<secret>`."""

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions, permissions

from onboarding.services import limits
from onboarding.services.integrations import api_keys


class ClientPrincipal:
    """What request.user is for an API call: the integrating client, never a staff user."""

    is_authenticated = True
    is_active = True
    is_staff = False

    def __init__(self, client):
        self.client = client
        self.pk = client.pk

    def __str__(self):
        return f"api:{self.client.name}"


KEY_PARAMETERS = {"api_key", "apikey", "key", "token", "access_token", "authorization"}


class ApiKeyAuthentication(authentication.BaseAuthentication):
    keyword = "Bearer"

    def authenticate(self, request):
        if KEY_PARAMETERS & {name.lower() for name in request.query_params}:
            # Never read from the URL, which proxies and access logs keep: say so, don't ignore it.
            raise exceptions.AuthenticationFailed(
                "API keys go in the Authorization header, never in the URL. Revoke a key sent in a URL.",
                code="api_key_in_url",
            )
        header = authentication.get_authorization_header(request).decode("latin-1")
        if not header:
            return None
        scheme, _, raw = header.partition(" ")
        if scheme.lower() not in ("bearer", "token") or not raw.strip():
            raise exceptions.AuthenticationFailed("Use 'Authorization: Bearer <api key>'.", code="invalid_api_key")
        # Wrong keys are limited per address: the attempt is counted before the key is looked up
        # and given back when the key is good.
        rule, who = limits.rule("api_auth_failures"), limits.subjects(request)
        try:
            token = limits.attempt(rule, *who)
        except limits.RateLimited as exc:
            throttled = exceptions.Throttled(detail=exc.message, code="wrong_api_keys")
            throttled.wait = exc.retry_after  # set apart: DRF would append its own wording to the detail
            raise throttled from None
        key = api_keys.authenticate(raw.strip())
        if key is None:
            raise exceptions.AuthenticationFailed("The API key is invalid or revoked.", code="invalid_api_key")
        limits.refund(rule, token, *who)
        return ClientPrincipal(key.client), key

    def authenticate_header(self, request):
        return self.keyword  # makes unauthenticated requests 401, not 403


class HasScope(permissions.BasePermission):
    """Reads need verifications:read, writes verifications:write."""

    message = "This API key's client does not have the scope for this request."

    def has_permission(self, request, view):
        principal = request.user
        if not isinstance(principal, ClientPrincipal):
            return False
        needed = "verifications:read" if request.method in permissions.SAFE_METHODS else "verifications:write"
        return needed in principal.client.scopes


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "onboarding.api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "kyc_<prefix>_<secret>",
            "description": "An API key created in the admin (API clients → API keys).",
        }
