"""Idempotency-Key: the same key and body give the same verification; another body is a conflict."""

import hashlib
import json

from django.db import IntegrityError, transaction

from onboarding.models import IdempotencyRecord


class IdempotencyConflict(Exception):
    pass


def request_hash(fields: dict, files: dict) -> str:
    """Form fields and the SHA-256 of each file, in a stable order."""
    payload = {
        "fields": {k: fields[k] for k in sorted(fields)},
        "files": {k: hashlib.sha256(v).hexdigest() for k, v in sorted(files.items())},
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode()).hexdigest()


def existing(client, key, digest):
    record = IdempotencyRecord.objects.select_related("verification").filter(client=client, key=key).first()
    if record is None:
        return None
    if record.request_hash != digest:
        raise IdempotencyConflict(key)
    return record.verification


def remember(client, key, digest, verification):
    """Record the key inside the creating transaction; a concurrent twin loses on the unique constraint."""
    try:
        with transaction.atomic():
            IdempotencyRecord.objects.create(client=client, key=key, request_hash=digest, verification=verification)
    except IntegrityError:
        raise IdempotencyConflict(key) from None
