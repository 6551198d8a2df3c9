"""A circuit breaker per vendor, shared by every worker through the Django cache (Redis in production).

Closed: calls go through; retryable failures are counted, a success resets the count.
Open: after KYC_CIRCUIT_FAILURES failures within KYC_CIRCUIT_WINDOW_SECONDS, calls fail
fast for KYC_CIRCUIT_OPEN_SECONDS, so a vendor that is down is not hammered and its
checks move to the next configured vendor at once.
Half-open: when the open period ends, one worker at a time may send a probe; its
success closes the circuit, its failure opens it again.

A vendor that computes locally (the local engine) has none: there is no remote side to spare or to
wait for, and asking the cache would cost a round trip a check (breaker_for()).

Only RetryableVendorError counts (timeouts, 5xx, rate limits, connection errors): a bad
photo or a configuration error says nothing about the vendor's health.

The breaker is advice: while the cache cannot be reached (Redis restarting) it lets calls go and
forgets what it would have counted, rather than fail a call whose answer is paid for.
"""

from __future__ import annotations

import functools
import logging
import time

from django.conf import settings
from django.core.cache import cache

from .exceptions import RetryableVendorError

logger = logging.getLogger(__name__)


class CircuitOpenError(RetryableVendorError):
    """Not sent: the vendor's circuit is open. retry_after is when a probe may go."""

    def __init__(self, vendor, retry_after: float):
        super().__init__(f"{vendor}: circuit open, not called", code="circuit_open")
        self.retry_after = max(0.0, retry_after)


def _cache_unreachable(exc) -> bool:
    return isinstance(exc, OSError) or type(exc).__module__.split(".")[0] == "redis"


def _advisory(default):
    """A breaker method that lets the call go (returns default) while the cache is unreachable."""

    def wrap(method):
        @functools.wraps(method)
        def run(self, *args, **kwargs):
            try:
                return method(self, *args, **kwargs)
            except Exception as exc:
                if not _cache_unreachable(exc):
                    raise
                logger.warning(
                    "circuit %s not consulted: the cache is unreachable (%s)", self.vendor, type(exc).__name__
                )
                return default

        return run

    return wrap


class CircuitBreaker:
    def __init__(self, vendor: str):
        self.vendor = vendor
        prefix = f"kyc:circuit:{vendor}"
        self.failures_key, self.open_key, self.probe_key = f"{prefix}:failures", f"{prefix}:open", f"{prefix}:probe"

    @property
    def open_seconds(self) -> float:
        return settings.KYC_CIRCUIT_OPEN_SECONDS

    def state(self) -> str:
        opened_until = cache.get(self.open_key)
        if opened_until is None:
            return "closed"
        return "open" if time.time() < opened_until else "half_open"

    @_advisory(False)
    def before_call(self) -> bool:
        """Raise CircuitOpenError unless a call may go now. True when this call is the probe."""
        opened_until = cache.get(self.open_key)
        if opened_until is None:
            return False
        now = time.time()
        if now < opened_until:
            raise CircuitOpenError(self.vendor, opened_until - now)
        # The probe lock outlives one vendor call, so a probe whose worker died frees it by itself.
        probe_ttl = int(settings.KYC_VENDOR_CONNECT_TIMEOUT + settings.KYC_VENDOR_READ_TIMEOUT) + 5
        if not cache.add(self.probe_key, now, timeout=probe_ttl):
            raise CircuitOpenError(self.vendor, min(self.open_seconds, probe_ttl) / 2)
        logger.info("circuit %s half-open: sending a probe", self.vendor)
        return True

    @_advisory(None)
    def record_success(self, probe: bool = False):
        # One round trip when the circuit is closed with no failures counted, as it nearly always is.
        found = cache.get_many([self.open_key, self.failures_key])
        if probe or self.open_key in found:
            logger.warning("circuit %s closed: the vendor answers again", self.vendor)
            cache.delete_many([self.open_key, self.probe_key, self.failures_key])
        elif self.failures_key in found:
            cache.delete(self.failures_key)

    @_advisory(None)
    def record_failure(self, probe: bool = False):
        if probe:
            self._open("the probe failed")
            return
        window = int(settings.KYC_CIRCUIT_WINDOW_SECONDS)
        cache.add(self.failures_key, 0, timeout=window)
        try:
            failures = cache.incr(self.failures_key)
        except ValueError:  # expired between add and incr
            cache.add(self.failures_key, 1, timeout=window)
            failures = 1
        if failures >= settings.KYC_CIRCUIT_FAILURES and cache.get(self.open_key) is None:
            self._open(f"{failures} failures in {window}s")

    def _open(self, why):
        until = time.time() + self.open_seconds
        # Kept past the open period so the half-open state is remembered until a probe settles it.
        cache.set(self.open_key, until, timeout=int(self.open_seconds * 10) + 60)
        cache.delete_many([self.probe_key, self.failures_key])
        logger.warning("circuit %s opened for %ss: %s", self.vendor, self.open_seconds, why)


class NoCircuit:
    """A locally computing vendor's stand-in: always closed, counts nothing, asks no cache."""

    def before_call(self) -> bool:
        return False

    def record_success(self, probe: bool = False):
        pass

    def record_failure(self, probe: bool = False):
        pass


def breaker_for(backend) -> CircuitBreaker | NoCircuit:
    """The circuit a call to this vendor backend goes through."""
    return NoCircuit() if backend.computes_locally else CircuitBreaker(backend.name)
