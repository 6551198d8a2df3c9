"""API keys: kyc_<prefix>_<secret>. Only the SHA-256 of the whole key is stored."""

import hashlib
import hmac
import secrets

from django.utils import timezone

from onboarding.models import ApiKey


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def issue(key: ApiKey) -> str:
    """Give an unsaved key its secret and save it; returns the key itself, which is never shown again."""
    key.prefix = secrets.token_hex(6)
    raw = f"kyc_{key.prefix}_{secrets.token_urlsafe(32)}"
    key.hashed = _hash(raw)
    key.save()
    return raw


def create_key(client, name="") -> tuple[ApiKey, str]:
    key = ApiKey(client=client, name=name)
    return key, issue(key)


def authenticate(raw: str) -> ApiKey | None:
    parts = raw.split("_", 2)
    if len(parts) != 3 or parts[0] != "kyc":
        return None
    key = ApiKey.objects.select_related("client").filter(prefix=parts[1]).first()
    if key is None or not hmac.compare_digest(key.hashed, _hash(raw)):
        return None
    if key.revoked_at is not None or not key.client.is_active:
        return None
    now = timezone.now()
    if key.last_used_at is None or (now - key.last_used_at).total_seconds() > 60:
        ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)  # at most once a minute
    return key


def revoke(key):
    ApiKey.objects.filter(pk=key.pk, revoked_at__isnull=True).update(revoked_at=timezone.now())
