"""Attempt limits per applicant, per IP address and per API client, counted in the shared cache.

A sliding window, approximated from two fixed windows (the previous one weighted by how much
of it the sliding window still covers): one atomic cache increment per attempt, no list to
rewrite, and no burst of twice the limit across a window boundary. A rule with a cool-down
blocks for that long once the limit is reached (failed liveness attempts); without one, the
subject waits until the window has slid past enough attempts.

Counting is shared by every web process only when the cache is (CACHE_URL=redis://...).
"""
from __future__ import annotations

import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.utils.translation import ngettext


@dataclass(frozen=True)
class Rule:
    name: str
    limit: int  # attempts allowed in the window; 0 switches the rule off
    window: int  # seconds
    cooldown: int = 0  # seconds blocked once the limit is reached


def rule(name: str) -> Rule:
    """A rule from settings.KYC_LIMITS: {"name": "count/seconds"} and KYC_LIMIT_COOLDOWNS."""
    text = settings.KYC_LIMITS.get(name, "") or "0/1"
    count, _, seconds = text.partition("/")
    return Rule(name, int(count), int(seconds or 1), int(settings.KYC_LIMIT_COOLDOWNS.get(name, 0)))


class RateLimited(Exception):
    def __init__(self, rule: Rule, retry_after: float):
        self.rule = rule
        self.retry_after = max(1, math.ceil(retry_after))
        super().__init__(f"{rule.name}: limit reached, retry after {self.retry_after}s")

    @property
    def message(self) -> str:
        """What the person sees, in the active language."""
        if self.retry_after < 90:
            wait = ngettext("Please wait %(n)d second and try again.",
                            "Please wait %(n)d seconds and try again.", self.retry_after) % {"n": self.retry_after}
        else:
            minutes = math.ceil(self.retry_after / 60)
            wait = ngettext("Please wait %(n)d minute and try again.",
                            "Please wait %(n)d minutes and try again.", minutes) % {"n": minutes}
        return f"{LEAD.get(self.rule.name, _('Too many attempts.'))} {wait}"


LEAD = {
    "liveness_failures": gettext_lazy("Too many failed liveness attempts."),
    "uploads": gettext_lazy("Too many photos uploaded in a short time."),
    "submissions": gettext_lazy("Too many submissions in a short time."),
    "new_applicants": gettext_lazy("Too many new applications from your network."),
    "api": gettext_lazy("Too many API requests."),
    "staff_login_failures": gettext_lazy("Too many failed sign-ins."),
}


def _bucket(rule: Rule, subject: str, index: int) -> str:
    return f"kyc:limit:{rule.name}:{subject}:{index}"


def _cooldown_key(rule: Rule, subject: str) -> str:
    return f"kyc:limit:{rule.name}:{subject}:cooldown"


def _estimate(rule: Rule, subject: str, now: float) -> tuple[float, float]:
    """(attempts in the sliding window, seconds until the current fixed window ends)."""
    index, elapsed = divmod(now, rule.window)
    counts = cache.get_many([_bucket(rule, subject, int(index) - 1), _bucket(rule, subject, int(index))])
    previous = counts.get(_bucket(rule, subject, int(index) - 1), 0)
    current = counts.get(_bucket(rule, subject, int(index)), 0)
    return previous * (1 - elapsed / rule.window) + current, rule.window - elapsed


def check(rule: Rule, *subjects: str, now: float | None = None):
    """Raise RateLimited when any subject is cooling down or at its limit."""
    if rule.limit <= 0:
        return
    now = time.time() if now is None else now
    for subject in subjects:
        until = cache.get(_cooldown_key(rule, subject))
        if until is not None and until > now:
            raise RateLimited(rule, until - now)
        attempts, window_left = _estimate(rule, subject, now)
        if attempts >= rule.limit:
            raise RateLimited(rule, window_left)


def hit(rule: Rule, *subjects: str, now: float | None = None):
    """Count one attempt (or one failure) for each subject; start the cool-down at the limit."""
    if rule.limit <= 0:
        return
    now = time.time() if now is None else now
    for subject in subjects:
        key = _bucket(rule, subject, int(now // rule.window))
        cache.add(key, 0, timeout=2 * rule.window + 1)
        try:
            cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.add(key, 1, timeout=2 * rule.window + 1)
        if rule.cooldown and _estimate(rule, subject, now)[0] >= rule.limit:
            cache.set(_cooldown_key(rule, subject), now + rule.cooldown, timeout=rule.cooldown)


def attempt(rule: Rule, *subjects: str, now: float | None = None):
    """Check, then count: for attempts that count whether or not they succeed (uploads, submissions)."""
    check(rule, *subjects, now=now)
    hit(rule, *subjects, now=now)


def subjects(request, applicant=None) -> list[str]:
    from onboarding.access import client_ip

    found = [f"ip:{client_ip(request)}"]
    if applicant is not None:
        found.insert(0, f"applicant:{applicant.pk}")
    return found
