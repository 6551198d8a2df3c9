"""Encryption at rest for applicants' files: AES-256-GCM with keys from the environment.

File format: b"KYC1" | key id (8 bytes) | nonce (12 bytes) | ciphertext with its 16-byte tag.
The file's storage name is authenticated data, so a file copied over another one does not
decrypt. KYC_ENCRYPTION_KEYS lists base64 keys, newest first: the first encrypts, all decrypt,
so a key is rotated by putting a new one in front and running `manage.py kyc_reencrypt`.
"""

from __future__ import annotations

import base64
import hashlib
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

MAGIC = b"KYC1"
HEADER = len(MAGIC) + 8 + 12
OVERHEAD = HEADER + 16


class DecryptionError(Exception):
    pass


def key_id(key: bytes) -> bytes:
    return hashlib.sha256(b"kyc-key-id|" + key).digest()[:8]


@lru_cache(maxsize=8)
def _keys(raw: tuple[str, ...]) -> list[tuple[bytes, AESGCM]]:
    keys = []
    for text in raw:
        try:
            key = base64.b64decode(text, validate=True)
        except ValueError:
            raise ImproperlyConfigured("KYC_ENCRYPTION_KEYS: a key is not base64") from None
        if len(key) != 32:
            raise ImproperlyConfigured("KYC_ENCRYPTION_KEYS: each key must be 32 bytes (base64 of 32 random bytes)")
        keys.append((key_id(key), AESGCM(key)))
    if not keys:
        raise ImproperlyConfigured(
            "KYC_ENCRYPTION_KEYS is empty: photos cannot be stored without a key. "
            "Generate one with `python manage.py kyc_new_key`."
        )
    return keys


def keys() -> list[tuple[bytes, AESGCM]]:
    return _keys(tuple(settings.KYC_ENCRYPTION_KEYS))


def new_key() -> str:
    return base64.b64encode(os.urandom(32)).decode()


def is_encrypted(blob: bytes) -> bool:
    return blob[: len(MAGIC)] == MAGIC and len(blob) >= OVERHEAD


def blob_key_id(blob: bytes) -> bytes | None:
    return blob[len(MAGIC) : len(MAGIC) + 8] if is_encrypted(blob) else None


def encrypt(data: bytes, *, name: str) -> bytes:
    kid, cipher = keys()[0]
    nonce = os.urandom(12)
    return MAGIC + kid + nonce + cipher.encrypt(nonce, data, name.encode())


def decrypt(blob: bytes, *, name: str) -> bytes:
    if not is_encrypted(blob):
        raise DecryptionError(f"{name}: not an encrypted file")
    kid, nonce = blob_key_id(blob), blob[len(MAGIC) + 8 : HEADER]
    for candidate, cipher in keys():
        if candidate == kid:
            try:
                return cipher.decrypt(nonce, blob[HEADER:], name.encode())
            except InvalidTag:
                raise DecryptionError(f"{name}: the file was altered or belongs to another name") from None
    raise DecryptionError(f"{name}: encrypted with a key not in KYC_ENCRYPTION_KEYS")


def needs_reencryption(blob: bytes) -> bool:
    return blob_key_id(blob) != keys()[0][0]


def reencrypt(blob: bytes, *, name: str) -> bytes:
    """The same data under the newest key (key rotation)."""
    return encrypt(decrypt(blob, name=name), name=name)


def reencrypt_rows(rows, names: dict) -> int:
    """Key rotation over a queryset's rows: each field in `names` (field -> row -> the blob's name)
    still under an older key gets the newest one, in one update per row. How many rows changed."""
    done = 0
    for row in rows.iterator(chunk_size=2000):
        changes = {}
        for field, name in names.items():
            blob = bytes(getattr(row, field) or b"")
            if blob and needs_reencryption(blob):
                changes[field] = reencrypt(blob, name=name(row))
        if changes:
            rows.model.objects.filter(pk=row.pk).update(**changes)
            done += 1
    return done
