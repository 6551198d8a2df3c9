"""Filters for the reviewer's pages: figures written as people read them."""

from django import template

from vendors.calibration import FarEstimate

register = template.Library()


@register.filter
def far_in_words(estimate) -> str:
    """A FarEstimate, or its str() as the risk reasons keep it, as "below 1 in 32"."""
    if isinstance(estimate, str):
        estimate = FarEstimate.parse(estimate)
    return estimate.in_words() if estimate else "-"
