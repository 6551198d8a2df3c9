"""The built-in consent notice: which of its paragraphs this deployment's configuration makes true,
and the version recorded with each consent (KYC_CONSENT_VERSION, then those paragraphs: the same
setting names two texts when the configuration changes)."""

from __future__ import annotations

import dataclasses

from django.conf import settings

from onboarding.services.policy import versions
from vendors.base import CheckKind
from vendors.registry import BACKENDS, get_backend

# The checks that send an applicant's photos to their vendor.
PHOTO_CHECKS = (CheckKind.QUALITY, CheckKind.LIVENESS, CheckKind.COMPARE, CheckKind.DOCUMENT)
VERSION_LENGTH = 64  # Applicant.consent_version


@dataclasses.dataclass(frozen=True)
class Notice:
    vendors: bool  # a photo check may go to an outside vendor
    duplicates: bool  # faces and photos are compared with other applications (KYC_DUPLICATE_SCAN)
    documents: bool  # the card's data is read
    screening: bool  # names are checked against sanctions and PEP lists, again when they change

    @property
    def version(self) -> str:
        parts = "".join(f"+{field.name}" for field in dataclasses.fields(self) if getattr(self, field.name))
        return settings.KYC_CONSENT_VERSION[: VERSION_LENGTH - len(parts)] + parts


def _outside(name: str) -> bool:
    # A name the registry does not know is counted as outside: the notice errs towards telling.
    return name not in BACKENDS or not get_backend(name).computes_locally


def built_in_notice() -> Notice:
    """What the built-in notice says for the configuration and the policy in force now."""
    policy = versions.active()
    return Notice(
        vendors=any(_outside(name) for kind in PHOTO_CHECKS for name in policy.route(kind).every_vendor),
        duplicates=settings.KYC_DUPLICATE_SCAN,
        documents=bool(policy.route(CheckKind.DOCUMENT).every_vendor),
        screening=bool(policy.route(CheckKind.SCREENING).every_vendor),
    )
