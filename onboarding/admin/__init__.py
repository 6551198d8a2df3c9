"""The compliance staff's workspace, one module per area. Thin: changes go through services."""

from . import applicants, blocklist, branding, cases, integrations, policy, screening, trail  # noqa: F401  (registers the admins)
