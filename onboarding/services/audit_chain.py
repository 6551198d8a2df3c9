"""The audit trail's hash chain: seal new events, verify the chain.

Each sealed event gets a link: event_hash = SHA-256 of the event's canonical JSON, and
hash = SHA-256(seq | prev_hash | event_hash). Changing, removing or reordering a sealed event
breaks every link from there on; `manage.py verify_audit` names the first one. Sealing runs
after the writing transaction commits (and every minute from beat, for events whose process
died first), under the chain head's row lock only, so it never waits on a case's locks.
"""
from __future__ import annotations

import hashlib
import json
import logging
from dataclasses import dataclass

from django.db import DatabaseError, IntegrityError, transaction

from onboarding.models import AuditChainHead, AuditEvent, AuditSeal

logger = logging.getLogger(__name__)
GENESIS = "0" * 64
BATCH = 500


def event_digest(event: AuditEvent) -> str:
    content = {
        "id": event.pk, "created_at": event.created_at.isoformat(), "actor_type": event.actor_type,
        "actor": event.actor, "action": event.action,
        "applicant_id": str(event.applicant_id) if event.applicant_id else None,
        "verification_id": str(event.verification_id) if event.verification_id else None,
        "from_status": event.from_status, "to_status": event.to_status, "data": event.data,
    }
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def link_hash(seq: int, prev_hash: str, event_hash: str) -> str:
    return hashlib.sha256(f"{seq}|{prev_hash}|{event_hash}".encode()).hexdigest()


def head() -> AuditChainHead:
    return AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})[0]


def seal_pending() -> int:
    """Seal every committed event not sealed yet, oldest first. Safe to run anywhere, any time."""
    sealed = 0
    try:
        while True:
            with transaction.atomic():
                top = AuditChainHead.objects.select_for_update().filter(pk=1).first()
                if top is None:  # the first seal ever (or after a test database flush)
                    top = AuditChainHead.objects.create(pk=1, seq=0, hash=GENESIS)
                events = list(AuditEvent.objects.filter(seal__isnull=True).order_by("id")[:BATCH])
                if not events:
                    return sealed
                seq, prev = top.seq, top.hash
                links = []
                for event in events:
                    seq += 1
                    digest = event_digest(event)
                    current = link_hash(seq, prev, digest)
                    links.append(AuditSeal(seq=seq, event=event, event_hash=digest, prev_hash=prev, hash=current))
                    prev = current
                AuditSeal.objects.bulk_create(links)
                top.seq, top.hash = seq, prev
                top.save(update_fields=["seq", "hash", "updated_at"])
                sealed += len(links)
    except (IntegrityError, DatabaseError) as exc:
        # Another sealer won the race (SQLite has no row locks); what is left is sealed next time.
        logger.info("audit sealing deferred: %s", type(exc).__name__)
        return sealed


def seal_after_commit():
    """Seal once after the current transaction commits, however many events it wrote."""
    connection = transaction.get_connection()
    current = set(connection.savepoint_ids)
    # A registration survives whenever this event does if its savepoints are among this event's.
    if connection.in_atomic_block and any(func is seal_pending and sids <= current
                                          for sids, func, _ in connection.run_on_commit):
        return
    # robust: a sealing failure is logged and retried by beat, never raised into the caller's flow.
    transaction.on_commit(seal_pending, robust=True)


@dataclass
class ChainReport:
    ok: bool
    events: int
    head_hash: str
    problem: str = ""
    event_id: int | None = None
    unsealed: int = 0


def verify() -> ChainReport:
    """Walk the chain from its first link; report the first event that does not match."""
    prev, count, expected_seq = GENESIS, 0, 1
    seals = AuditSeal.objects.select_related("event").order_by("seq")
    for link in seals.iterator(chunk_size=2000):
        if link.seq != expected_seq:
            return ChainReport(False, count, prev, f"link {expected_seq} is missing (next is {link.seq})",
                               link.event_id)
        if link.prev_hash != prev:
            return ChainReport(False, count, prev, "the link does not follow the one before it", link.event_id)
        if event_digest(link.event) != link.event_hash:
            return ChainReport(False, count, prev, "the event was altered after it was sealed", link.event_id)
        if link_hash(link.seq, link.prev_hash, link.event_hash) != link.hash:
            return ChainReport(False, count, prev, "the link's own hash is wrong", link.event_id)
        prev, count, expected_seq = link.hash, count + 1, expected_seq + 1
    top = head()
    if (top.seq, top.hash) != (count, prev):
        return ChainReport(False, count, prev, f"the chain head says {top.seq} links ending in {top.hash[:12]}…, "
                           f"the links say {count} ending in {prev[:12]}… (links removed from the end?)")
    unsealed = AuditEvent.objects.filter(seal__isnull=True).count()
    return ChainReport(True, count, prev, unsealed=unsealed)
