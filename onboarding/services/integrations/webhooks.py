"""Signed, ordered, retried webhooks for API clients.

Each event has an id (for de-duplication) and a sequence number per verification
(for ordering). Each delivery is signed:

    KYC-Signature: t=<unix time>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>[,v1=<with the previous secret>]

During a secret rotation both secrets sign, so receivers can switch at any moment of
the overlap. Failed deliveries are retried with exponential backoff and jitter for
about a day (the beat task dispatch_due_webhooks sends what is due), then marked failed;
the delivery log in the admin can send any of them again.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import random
import secrets
import threading
import time
from datetime import timedelta

import requests
from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from onboarding import encryption, webhook_targets
from onboarding.models import Verification, WebhookDelivery, WebhookEndpoint, WebhookEvent
from onboarding.services import dispatch

logger = logging.getLogger(__name__)

SIGNATURE_HEADER = "KYC-Signature"
ROTATION_OVERLAP = timedelta(hours=24)


def new_secret() -> str:
    return "whsec_" + secrets.token_urlsafe(32)


def rotate_secret(endpoint) -> str:
    """Start a rotation: the new secret signs from now on, the old one too for ROTATION_OVERLAP."""
    endpoint.previous_secret = endpoint.secret
    endpoint.previous_secret_expires_at = timezone.now() + ROTATION_OVERLAP
    endpoint.secret = new_secret()
    endpoint.save(update_fields=["secret", "previous_secret", "previous_secret_expires_at"])
    return endpoint.secret


def sign(body: bytes, secret: str, timestamp: int) -> str:
    return hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()


def signature_header(endpoint, body: bytes, timestamp: int, now=None) -> str:
    parts = [f"t={timestamp}", f"v1={sign(body, endpoint.secret, timestamp)}"]
    now = now or timezone.now()
    if endpoint.previous_secret and endpoint.previous_secret_expires_at and endpoint.previous_secret_expires_at > now:
        parts.append(f"v1={sign(body, endpoint.previous_secret, timestamp)}")
    return ",".join(parts)


def verify_signature(header: str, body: bytes, secret: str, *, tolerance=300, now=None) -> bool:
    """What a receiver does (docs/api.md shows it standalone)."""
    fields = [p.split("=", 1) for p in header.split(",") if "=" in p]
    timestamps = [int(v) for k, v in fields if k == "t" and v.isdigit()]
    if not timestamps or abs((now or time.time()) - timestamps[0]) > tolerance:
        return False
    expected = sign(body, secret, timestamps[0])
    return any(hmac.compare_digest(expected, v) for k, v in fields if k == "v1")


def emit(verification, event_type, data) -> WebhookEvent | None:
    """Record an event and its deliveries in the caller's transaction; sending starts after commit.

    `data` is the payload, or a function that builds it: only a case of an API client has
    webhooks, so a web-flow case costs no query (its applicant is best loaded with the case).
    """
    client_id = verification.applicant.client_id
    if client_id is None:
        return None  # web-flow applicants belong to no API client
    if callable(data):
        data = data()
    # The case's row lock orders the sequence numbers of concurrent events.
    Verification.objects.select_for_update().filter(pk=verification.pk).values_list("pk").first()
    sequence = (WebhookEvent.objects.filter(verification=verification).aggregate(m=Max("sequence"))["m"] or 0) + 1
    event = WebhookEvent(client_id=client_id, type=event_type, verification=verification, sequence=sequence)
    event.payload, event.sealed = _seal(event.pk, data)
    event.save(force_insert=True)
    endpoints = [
        e
        for e in WebhookEndpoint.objects.filter(client_id=client_id, is_active=True)
        if not e.events or event_type in e.events
    ]
    now = timezone.now()
    deliveries = WebhookDelivery.objects.bulk_create(
        [WebhookDelivery(event=event, endpoint=e, next_attempt_at=now) for e in endpoints]
    )
    ids = [d.pk for d in deliveries]
    if ids:
        dispatch.deliver_webhooks_after_commit(ids)
    return event


def _sealed_name(event_id) -> str:
    return f"webhook-event/{event_id}"


def _seal(event_id, data) -> tuple[dict, bytes]:
    """(payload to keep in clear, its identity data encrypted): the document's fields are personal data."""
    fields = ((data or {}).get("document") or {}).get("fields") if isinstance(data, dict) else None
    if not fields:
        return data, b""
    clear = {**data, "document": {**data["document"], "fields": {}}}
    return clear, encryption.encrypt(json.dumps(fields).encode(), name=_sealed_name(event_id))


def reencrypt() -> int:
    """Key rotation (kyc_reencrypt): the events' sealed identity data."""
    events = WebhookEvent.objects.exclude(sealed=b"").only("id", "sealed")
    return encryption.reencrypt_rows(events, {"sealed": lambda e: _sealed_name(e.pk)})


def unsealed_payload(event) -> dict:
    """The event's payload as sent: its identity data put back while they are kept."""
    sealed = bytes(event.sealed or b"")
    if not sealed:
        return event.payload
    fields = json.loads(encryption.decrypt(sealed, name=_sealed_name(event.pk)))
    return {**event.payload, "document": {**event.payload["document"], "fields": fields}}


def envelope(event) -> bytes:
    return json.dumps(
        {
            "id": str(event.id),
            "type": event.type,
            "created_at": event.created_at.isoformat(),
            "verification_id": str(event.verification_id) if event.verification_id else None,
            "sequence": event.sequence,
            "data": unsealed_payload(event),
        },
        separators=(",", ":"),
        sort_keys=True,
    ).encode()


_sessions = threading.local()


def _session():
    if not hasattr(_sessions, "session"):
        _sessions.session = webhook_targets.session()
    return _sessions.session


def retry_delay(attempts: int, rng=random) -> float:
    """Exponential from 30 s, capped at 4 h, with equal jitter: about a day over max_attempts tries."""
    cap = min(4 * 3600, 30 * 2 ** (attempts - 1))
    return cap / 2 + rng.uniform(0, cap / 2)


def deliver(delivery_id) -> WebhookDelivery | None:
    """One attempt. Safe to run twice: a delivered or claimed delivery is left alone."""
    now = timezone.now()
    with transaction.atomic():
        delivery = (
            WebhookDelivery.objects.select_for_update()
            .select_related("event", "endpoint")
            .filter(pk=delivery_id)
            .first()
        )
        if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
            return delivery
        if delivery.claimed_at and delivery.claimed_at > now - timedelta(minutes=2):
            return delivery  # another worker is sending it
        delivery.claimed_at = now
        delivery.attempts += 1
        delivery.save(update_fields=["claimed_at", "attempts"])
    event, endpoint = delivery.event, delivery.endpoint
    body = envelope(event)
    timestamp = int(time.time())
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "kyc-webhooks/1",
        SIGNATURE_HEADER: signature_header(endpoint, body, timestamp),
        "KYC-Event-Id": str(event.id),
        "KYC-Event-Type": event.type,
        "KYC-Sequence": str(event.sequence),
    }
    code, error = None, ""
    try:
        webhook_targets.check_url(endpoint.url)  # resolved now: what was public when saved may not be
        response = _session().post(
            endpoint.url,
            data=body,
            headers=headers,
            allow_redirects=False,
            timeout=(settings.KYC_VENDOR_CONNECT_TIMEOUT, settings.KYC_WEBHOOK_TIMEOUT),
        )
        code = response.status_code
        ok = 200 <= code < 300
        if not ok:
            error = f"HTTP {code}" + (" (redirects are not followed)" if response.is_redirect else "")
        response.close()
    except webhook_targets.TargetRefused as exc:
        ok, error = False, f"refused: {exc}"
    except requests.RequestException as exc:
        ok, error = False, type(exc).__name__
    with transaction.atomic():
        delivery = WebhookDelivery.objects.select_for_update().get(pk=delivery_id)
        delivery.claimed_at = None
        delivery.last_status_code, delivery.last_error = code, error[:300]
        if ok:
            delivery.status, delivery.delivered_at, delivery.next_attempt_at = (
                WebhookDelivery.Status.DELIVERED,
                timezone.now(),
                None,
            )
        elif delivery.attempts >= settings.KYC_WEBHOOK_MAX_ATTEMPTS:
            delivery.status, delivery.next_attempt_at = WebhookDelivery.Status.FAILED, None
            logger.warning(
                "webhook %s to %s failed for good after %s attempts", event.id, endpoint.url, delivery.attempts
            )
        else:
            delivery.next_attempt_at = timezone.now() + timedelta(seconds=retry_delay(delivery.attempts))
        delivery.save()
    return delivery


def due(now=None):
    return WebhookDelivery.objects.filter(
        status=WebhookDelivery.Status.PENDING, next_attempt_at__lte=now or timezone.now()
    ).values_list("pk", flat=True)


def redeliver(delivery, *, actor) -> None:
    """Send again now, whatever happened before (the admin's manual redelivery); audited."""
    from onboarding.services.compliance import audit

    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.PENDING, next_attempt_at=timezone.now(), claimed_at=None
        )
        audit.record(
            "webhook_redelivered",
            actor=actor,
            verification_id=delivery.event.verification_id,
            delivery=str(delivery.pk),
            event=str(delivery.event_id),
            endpoint=delivery.endpoint.url,
        )
        dispatch.deliver_webhooks_after_commit([delivery.pk])
