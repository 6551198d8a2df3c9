"""Backoff for retryable vendor errors: exponential with full jitter.

Full jitter (a random wait between 0 and the exponential cap) spreads retries
from many workers so they do not hit a recovering vendor at the same moment.
"""

import random

from django.conf import settings


def backoff_seconds(retries: int, *, rng=random) -> float:
    cap = min(settings.KYC_VENDOR_RETRY_MAX_SECONDS, settings.KYC_VENDOR_RETRY_BASE_SECONDS * (2**retries))
    return rng.uniform(0, cap)
