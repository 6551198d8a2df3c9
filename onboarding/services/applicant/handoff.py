"""Desktop to phone handoff: a short, single-use, expiring link that continues a case on a phone.

The desktop shows the link as a QR code and as text. The phone that opens it first joins the
applicant's case (its session becomes the applicant's); the link then stops working. Before any
capture the phone is told that the case was started on another device, and when, and must say it
started it itself (someone may have sent the link to a victim to get their face into the
sender's case); a phone that says no leaves the case. The desktop then follows the case's
progress only: it never receives the phone's photos (onboarding.access), and moves to the status
page once the case is submitted.

Only an HMAC of the code is stored: a copy of the database does not let anyone join a case.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from onboarding.models import Applicant, Handoff
from onboarding.services.compliance import audit

# No 0/O, 1/I/L: the code is read off a screen and typed on a phone.
ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
CODE_LENGTH = 8  # 31^8 = 8.5e11 codes, and claims are rate limited per address


class HandoffError(Exception):
    def __init__(self, code):
        super().__init__(code)
        self.code = code  # unknown | expired | used


def normalize(code: str) -> str:
    return "".join(ch for ch in code.upper() if ch.isalnum())


def display(code: str) -> str:
    return f"{code[:4]}-{code[4:]}"


def _hash(code: str) -> str:
    return hmac.new(settings.SECRET_KEY.encode(), b"handoff:" + normalize(code).encode(), hashlib.sha256).hexdigest()


def qr_data_uri(link: str) -> str:
    """The link as a QR code, an SVG data URI (the CSP allows data: images, and no script is needed)."""
    import segno

    return segno.make(link, error="m").svg_data_uri(scale=6, border=2, dark="#111111", light="#ffffff")


def start(applicant: Applicant) -> tuple[Handoff, str]:
    """A new link for this applicant; earlier unclaimed links stop working."""
    now = timezone.now()
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    with transaction.atomic():
        applicant.handoffs.filter(claimed_at__isnull=True, expires_at__gt=now).update(expires_at=now)
        handoff = Handoff.objects.create(
            applicant=applicant,
            code_hash=_hash(code),
            expires_at=now + timedelta(seconds=settings.KYC_HANDOFF_TTL_SECONDS),
        )
        audit.record(
            "handoff_started",
            actor=audit.Actor.applicant(applicant),
            applicant_id=applicant.pk,
            handoff=str(handoff.pk),
            expires_at=handoff.expires_at.isoformat(),
        )
    return handoff, code


def claim(code: str) -> Handoff:
    """Join the case behind `code`, once. Raises HandoffError."""
    now = timezone.now()
    with transaction.atomic():
        handoff = Handoff.objects.select_for_update().filter(code_hash=_hash(code)).first()
        if handoff is None:
            raise HandoffError("unknown")
        if handoff.claimed_at is not None:
            raise HandoffError("used")
        if handoff.expires_at <= now:
            raise HandoffError("expired")
        # Compare-and-set as well as the row lock: SQLite has no SELECT ... FOR UPDATE.
        if Handoff.objects.filter(pk=handoff.pk, claimed_at__isnull=True).update(claimed_at=now) != 1:
            raise HandoffError("used")
        handoff.claimed_at = now
        audit.record(
            "handoff_claimed",
            actor=audit.Actor.applicant(handoff.applicant),
            applicant_id=handoff.applicant_id,
            handoff=str(handoff.pk),
        )
    return handoff


def confirm(handoff: Handoff):
    """The phone's holder says they started this case themselves."""
    _answer(handoff, "confirmed_at", "handoff_confirmed")


def decline(handoff: Handoff):
    """The phone's holder did not start this case: the phone leaves it, and the desktop is told."""
    _answer(handoff, "declined_at", "handoff_declined")


def _answer(handoff: Handoff, field: str, action: str):
    """Record the phone's answer once (a second submit of the same form records nothing)."""
    with transaction.atomic():
        if Handoff.objects.filter(pk=handoff.pk, **{f"{field}__isnull": True}).update(**{field: timezone.now()}):
            audit.record(
                action,
                actor=audit.Actor.applicant(handoff.applicant),
                applicant_id=handoff.applicant_id,
                handoff=str(handoff.pk),
            )


def state(handoff: Handoff, now=None) -> dict:
    """What the desktop shows: waiting for the phone, phone joined, submitted, or expired."""
    now = now or timezone.now()
    if handoff.declined_at is not None:
        return {"state": "declined"}
    if handoff.claimed_at is None:
        return {
            "state": "expired" if handoff.expires_at <= now else "waiting",
            "expires_in": max(0, int((handoff.expires_at - now).total_seconds())),
        }
    submitted = (
        handoff.applicant.verifications.filter(submitted_at__gte=handoff.claimed_at).order_by("-submitted_at").first()
    )
    if submitted is not None:
        return {"state": "submitted", "verification": str(submitted.pk)}
    return {"state": "claimed"}
