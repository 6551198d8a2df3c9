"""Attempt limits per applicant, per IP address and per API client.

An exact sliding window: a subject may make `limit` attempts in any `window` seconds. Each
attempt is counted atomically *before* the work it guards, so parallel attempts cannot slip
through between a check and a count: of N simultaneous attempts exactly `limit` go ahead. Rules
that count failures only (sign-ins, phone links, liveness) take an attempt first and give it
back when the work succeeds (`refund`). A rule with a cool-down blocks for that long once the
limit is reached; without one, the subject waits until its oldest attempt leaves the window.

Where the count lives:
- Redis, when the cache is Redis (CACHE_URL=redis://...): one Lua script per attempt on a sorted
  set of attempt times, atomic in Redis and shared by every process;
- otherwise the database (the embedded default): `limit` slot rows per subject, each holding the
  time it was last used; an attempt takes a slot unused for a window in one conditional UPDATE.
"""

from __future__ import annotations

import math
import secrets
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db.models import Min, Q, Subquery
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from onboarding.models import AttemptSlot


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
            wait = ngettext(
                "Please wait %(n)d second and try again.", "Please wait %(n)d seconds and try again.", self.retry_after
            ) % {"n": self.retry_after}
        else:
            minutes = math.ceil(self.retry_after / 60)
            wait = ngettext(
                "Please wait %(n)d minute and try again.", "Please wait %(n)d minutes and try again.", minutes
            ) % {"n": minutes}
        return f"{LEAD.get(self.rule.name, _('Too many attempts.'))} {wait}"


LEAD = {
    "liveness_failures": gettext_lazy("Too many failed liveness attempts."),
    "uploads": gettext_lazy("Too many photos uploaded in a short time."),
    "handoff_failures": gettext_lazy("Too many wrong or used links."),
    "submissions": gettext_lazy("Too many submissions in a short time."),
    "new_applicants": gettext_lazy("Too many new applications from your network."),
    "api": gettext_lazy("Too many API requests."),
    "api_auth_failures": gettext_lazy("Too many requests with a wrong API key."),
    "staff_login_failures": gettext_lazy("Too many failed sign-ins."),
}


def _key(rule: Rule, subject: str) -> str:
    return f"kyc:limit:{rule.name}:{subject}"


# KEYS[1]: the subject's attempts (a sorted set of tokens scored by time, in ms).
# ARGV: now, window, limit, cooldown (ms, ms, count, ms), token. Returns 0, or the ms to wait.
_TAKE = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local cooldown, token = tonumber(ARGV[4]), ARGV[5]
local blocked = tonumber(redis.call('GET', key .. ':until') or '0')
if blocked > now then return blocked - now end
redis.call('ZREMRANGEBYSCORE', key, '-inf', now - window)
local used = redis.call('ZCARD', key)
if used >= limit then
  local oldest = redis.call('ZRANGE', key, 0, 0, 'WITHSCORES')
  return math.max(1, tonumber(oldest[2]) + window - now)
end
redis.call('ZADD', key, now, token)
redis.call('PEXPIRE', key, window)
if cooldown > 0 and used + 1 >= limit then
  redis.call('SET', key .. ':until', now + cooldown, 'PX', cooldown)
  redis.call('SET', key .. ':by', token, 'PX', cooldown)
end
return 0
"""
# A refund: the attempt is taken back, and the cool-down it started (if any) lifted.
_REFUND = """
local key, token = KEYS[1], ARGV[1]
redis.call('ZREM', key, token)
if redis.call('GET', key .. ':by') == token then redis.call('DEL', key .. ':until', key .. ':by') end
return 0
"""
# Only what the subject's own attempts say: is it cooling down, or full?
_PEEK = """
local key, now, window, limit = KEYS[1], tonumber(ARGV[1]), tonumber(ARGV[2]), tonumber(ARGV[3])
local blocked = tonumber(redis.call('GET', key .. ':until') or '0')
if blocked > now then return blocked - now end
local inside = redis.call('ZRANGEBYSCORE', key, now - window, '+inf', 'WITHSCORES')
if #inside / 2 >= limit then return math.max(1, tonumber(inside[2]) + window - now) end
return 0
"""


class RedisCounter:
    def __init__(self, client, make_key):
        self.client, self.make_key = client, make_key  # the cache's KEY_PREFIX and version apply
        self.take_script = client.register_script(_TAKE)
        self.refund_script = client.register_script(_REFUND)
        self.peek_script = client.register_script(_PEEK)

    def take(self, rule, subject, token, now):
        ms = self.take_script(
            keys=[self.make_key(_key(rule, subject))],
            args=[int(now * 1000), rule.window * 1000, rule.limit, rule.cooldown * 1000, token],
        )
        return int(ms) / 1000

    def refund(self, rule, subject, token):
        self.refund_script(keys=[self.make_key(_key(rule, subject))], args=[token])

    def peek(self, rule, subject, now):
        return (
            int(
                self.peek_script(
                    keys=[self.make_key(_key(rule, subject))], args=[int(now * 1000), rule.window * 1000, rule.limit]
                )
            )
            / 1000
        )


COOLDOWN_SLOT = -1  # the row that holds a subject's cool-down, beside its `limit` attempt slots


class DatabaseCounter:
    """Slots in the database: each conditional UPDATE is atomic on SQLite and PostgreSQL alike."""

    def take(self, rule, subject, token, now):
        key = _key(rule, subject)
        blocked = self._blocked_until(key, now)
        if blocked:
            return blocked - now
        cutoff = now - rule.window
        slots = _slots(key, rule)
        for _attempt in range(rule.limit + 2):
            free = slots.filter(_free(cutoff)).order_by("at", "index")
            # Taken only if still free: a concurrent attempt that took the same slot first wins.
            if AttemptSlot.objects.filter(_free(cutoff), pk=Subquery(free.values("pk")[:1])).update(
                at=now, token=token
            ):
                break
            if slots.count() < rule.limit:
                self._create_slots(key, rule.limit)
            elif not slots.filter(_free(cutoff)).exists():
                oldest = slots.aggregate(oldest=Min("at"))["oldest"]  # none is 0: none is free
                return max(0.001, oldest + rule.window - now)
        else:
            return 1.0  # the slots kept changing under us: a busy subject waits a second
        if rule.cooldown and not slots.filter(_free(cutoff)).exists():
            AttemptSlot.objects.filter(key=key, index=COOLDOWN_SLOT).update(at=now + rule.cooldown, token=token)
        return 0

    def refund(self, rule, subject, token):
        # The attempt's slot, and the cool-down row if this attempt started the cool-down.
        AttemptSlot.objects.filter(key=_key(rule, subject), token=token).update(at=0, token="")

    def peek(self, rule, subject, now):
        key = _key(rule, subject)
        blocked = self._blocked_until(key, now)
        if blocked:
            return blocked - now
        slots = _slots(key, rule)
        if slots.count() < rule.limit or slots.filter(_free(now - rule.window)).exists():
            return 0
        return max(0.001, slots.aggregate(oldest=Min("at"))["oldest"] + rule.window - now)

    def _blocked_until(self, key, now) -> float:
        until = AttemptSlot.objects.filter(key=key, index=COOLDOWN_SLOT, at__gt=now).values_list("at", flat=True)
        return next(iter(until), 0)

    def _create_slots(self, key, limit):
        AttemptSlot.objects.bulk_create(
            [AttemptSlot(key=key, index=i, at=0) for i in range(COOLDOWN_SLOT, limit)], ignore_conflicts=True
        )


def _free(cutoff):
    return Q(at=0) | Q(at__lte=cutoff)


def _slots(key, rule):
    # Below the rule's limit only: a limit lowered since the rows were made counts as set now.
    return AttemptSlot.objects.filter(key=key, index__gte=0, index__lt=rule.limit)


def purge(older_than: float = 86400) -> int:
    """Forget attempts long past every window (the retention purge runs this)."""
    return AttemptSlot.objects.filter(at__lt=time.time() - older_than).delete()[0]


_counters = {}


def counter():
    """Redis when the cache is Redis, else the database."""
    try:
        client = cache._cache.get_client(write=True)  # Django's Redis cache, and kyc.cache's
    except AttributeError:
        return _counters.setdefault("db", DatabaseCounter())
    found = _counters.get(id(client))
    if found is None:
        found = _counters[id(client)] = RedisCounter(client, cache.make_key)
    return found


def check(rule: Rule, *subjects: str, now: float | None = None):
    """Raise RateLimited when any subject is cooling down or at its limit; counts nothing.

    For a page that only says whether trying is worth it: the attempt itself must go through
    `attempt`, which is what enforces the limit."""
    if rule.limit <= 0:
        return
    now = time.time() if now is None else now
    for subject in subjects:
        wait = counter().peek(rule, subject, now)
        if wait > 0:
            raise RateLimited(rule, wait)


def attempt(rule: Rule, *subjects: str, now: float | None = None) -> str:
    """Count one attempt for every subject, or none and raise RateLimited.

    Returns the attempt's token, for `refund` when the rule counts failures only."""
    token = secrets.token_hex(8)
    if rule.limit <= 0:
        return token
    now = time.time() if now is None else now
    taken = []
    for subject in subjects:
        wait = counter().take(rule, subject, token, now)
        if wait > 0:
            for done in taken:  # all subjects or none
                counter().refund(rule, done, token)
            raise RateLimited(rule, wait)
        taken.append(subject)
    return token


def refund(rule: Rule, token: str, *subjects: str):
    """Give an attempt back (it succeeded, and the rule counts failures only)."""
    if rule.limit <= 0:
        return
    for subject in subjects:
        counter().refund(rule, subject, token)


def subjects(request, applicant=None) -> list[str]:
    from onboarding.access import client_ip

    found = [f"ip:{client_ip(request)}"]
    if applicant is not None:
        found.insert(0, f"applicant:{applicant.pk}")
    return found
