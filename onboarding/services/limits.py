"""Attempt limits per applicant, per IP address and per API client, counted in the shared cache.

An exact sliding window: each subject keeps the times of its last `limit` attempts, which is
all it takes to know whether `limit` fell within the window (an approximation from two fixed
windows undercounts attempts that straddle a window boundary: it let a sixth failure through).
The read-modify-write is not atomic: two attempts at the same instant may count as one. A rule
with a cool-down blocks for that long once the limit is reached (failed liveness attempts);
without one, the subject waits until its oldest counted attempt leaves the window.

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
    count, _sep, seconds = text.partition("/")
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
    "prechecks": gettext_lazy("Too many photo checks in a short time."),
    "handoff_failures": gettext_lazy("Too many wrong or used links."),
    "submissions": gettext_lazy("Too many submissions in a short time."),
    "new_applicants": gettext_lazy("Too many new applications from your network."),
    "api": gettext_lazy("Too many API requests."),
    "staff_login_failures": gettext_lazy("Too many failed sign-ins."),
}


def _log_key(rule: Rule, subject: str) -> str:
    return f"kyc:limit:{rule.name}:{subject}:log"


def _cooldown_key(rule: Rule, subject: str) -> str:
    return f"kyc:limit:{rule.name}:{subject}:cooldown"


def _recent(rule: Rule, subject: str, now: float) -> list[float]:
    """The last `limit` attempt times within the window: enough to know whether the limit is reached."""
    return [t for t in cache.get(_log_key(rule, subject), []) if now - rule.window < t <= now][-rule.limit:]


def check(rule: Rule, *subjects: str, now: float | None = None):
    """Raise RateLimited when any subject is cooling down or at its limit."""
    if rule.limit <= 0:
        return
    now = time.time() if now is None else now
    for subject in subjects:
        until = cache.get(_cooldown_key(rule, subject))
        if until is not None and until > now:
            raise RateLimited(rule, until - now)
        recent = _recent(rule, subject, now)
        if len(recent) >= rule.limit:
            raise RateLimited(rule, recent[0] + rule.window - now)


def hit(rule: Rule, *subjects: str, now: float | None = None):
    """Count one attempt (or one failure) for each subject; start the cool-down at the limit."""
    if rule.limit <= 0:
        return
    now = time.time() if now is None else now
    for subject in subjects:
        recent = (_recent(rule, subject, now) + [now])[-rule.limit:]
        cache.set(_log_key(rule, subject), recent, timeout=rule.window + 1)
        if rule.cooldown and len(recent) >= rule.limit:
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
