"""Per-client API rate limit (KYC_API_RATE_LIMIT), counted by the same limiter as the applicant limits."""

from rest_framework import throttling

from onboarding.services import limits


class ClientRateThrottle(throttling.BaseThrottle):
    """429 with Retry-After once a client has made too many requests in the window, whichever key it uses."""

    def allow_request(self, request, view):
        client = getattr(request.user, "client", None)
        if client is None:
            return True  # unauthenticated requests fail authentication anyway
        try:
            limits.attempt(limits.rule("api"), f"client:{client.pk}")
        except limits.RateLimited as exc:
            self.retry_after = exc.retry_after
            return False
        return True

    def wait(self):
        return self.retry_after
