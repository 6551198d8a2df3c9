"""The audit trail's hash chain: seal new events, verify the chain.

Each sealed event gets a link: event_hash = SHA-256 of the event's canonical JSON, and
hash = SHA-256(seq | prev_hash | event_hash). Changing, removing or reordering a sealed event
breaks every link from there on; `manage.py verify_audit` names the first one. Sealing runs
after the writing transaction commits (and every minute from beat, for events whose process
died first), under the chain head's row lock only, so it never waits on a case's locks.

With KYC_AUDIT_SEAL_DELAY_MS above 0 (the default), a commit does not seal by itself: it wakes
its process's sealer thread, which seals everything queued by then after that delay. One sealing
transaction then covers the events of many commits (one per audited commit cost six queries and a
commit each: a third of a case's queries), and an event waits at most the delay to be sealed.
"""

from __future__ import annotations

import atexit
import hashlib
import json
import logging
import os
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.db import DatabaseError, IntegrityError, close_old_connections, connection, transaction

from onboarding.models import AuditChainHead, AuditCheckpoint, AuditEvent, AuditPendingSeal, AuditSeal

logger = logging.getLogger(__name__)
GENESIS = "0" * 64
BATCH = 500


def canonical_sha256(content) -> str:
    """SHA-256 of a JSON document in one canonical form (sorted keys, no spaces, UTF-8)."""
    canonical = json.dumps(content, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def event_digest(event: AuditEvent) -> str:
    content = {
        "id": event.pk,
        "created_at": event.created_at.isoformat(),
        "actor_type": event.actor_type,
        "actor": event.actor,
        "action": event.action,
        "applicant_id": str(event.applicant_id) if event.applicant_id else None,
        "verification_id": str(event.verification_id) if event.verification_id else None,
        "from_status": event.from_status,
        "to_status": event.to_status,
        "data": event.data,
    }
    return canonical_sha256(content)


def link_hash(seq: int, prev_hash: str, event_hash: str) -> str:
    return hashlib.sha256(f"{seq}|{prev_hash}|{event_hash}".encode()).hexdigest()


def head() -> AuditChainHead:
    return AuditChainHead.objects.get_or_create(pk=1, defaults={"seq": 0, "hash": GENESIS})[0]


def seal_pending(*, wait=False) -> int:
    """Seal every committed event not sealed yet, oldest first. Safe to run anywhere, any time.

    The chain has one head, so sealers take turns. Without `wait`, a sealer that finds another at
    work leaves at once (SKIP LOCKED): the one at work, or the next one (every audited commit
    starts one, and beat every minute), seals these events too. Waiting instead made every worker
    thread queue on the head's lock after each commit (bench/pipeline.py throughput profile).
    """
    try:
        return _seal(wait=wait)
    except (IntegrityError, DatabaseError) as exc:
        # Another sealer won the race (SQLite has no row locks); what is left is sealed next time.
        logger.info("audit sealing deferred: %s", type(exc).__name__)
        return 0


def _seal(*, wait) -> int:
    """seal_pending without its error handling: the sealer thread retries what fails."""
    sealed = 0
    skip = not wait and connection.features.has_select_for_update_skip_locked
    while True:
        with transaction.atomic():
            top = AuditChainHead.objects.select_for_update(skip_locked=skip).filter(pk=1).first()
            if top is None and skip and AuditChainHead.objects.filter(pk=1).exists():
                return sealed  # another sealer holds the head
            if top is None:  # the first seal ever (or after a test database flush)
                top = AuditChainHead.objects.create(pk=1, seq=0, hash=GENESIS)
            # The queue, not the trail: finding unsealed events in the trail is a scan of all of it.
            queued = list(AuditPendingSeal.objects.order_by("event_id").values_list("event_id", flat=True)[:BATCH])
            if not queued:
                return sealed
            # Chained in id order, sorted here: an ORDER BY costs the ORM more than the sort.
            events = sorted(
                AuditEvent.objects.filter(pk__in=queued, seal__isnull=True).order_by(), key=lambda event: event.pk
            )
            seq, prev = top.seq, top.hash
            links = []
            for event in events:
                seq += 1
                digest = event_digest(event)
                current = link_hash(seq, prev, digest)
                links.append(AuditSeal(seq=seq, event=event, event_hash=digest, prev_hash=prev, hash=current))
                prev = current
            AuditSeal.objects.bulk_create(links)
            # Also drops entries whose event is gone or was sealed already (nothing left to seal).
            AuditPendingSeal.objects.filter(event_id__in=queued).delete()
            top.seq, top.hash = seq, prev
            top.save(update_fields=["seq", "hash", "updated_at"])
            sealed += len(links)
        if len(queued) < BATCH:
            # Drained as far as this sealer could see. Looking again cost every commit a second
            # transaction; an event committed meanwhile woke its own sealer (or beat within a minute).
            return sealed


class Sealer:
    """The process's sealing thread: after a commit wakes it, it waits KYC_AUDIT_SEAL_DELAY_MS for
    more commits and seals all of them in one transaction.

    One per process, started on first use (and again in a forked child: threads do not survive a
    fork). It waits for the chain head's lock (one thread, so nothing queues behind it) and tries
    again after a failure; what a killed process leaves is sealed by beat within a minute.
    """

    def __init__(self):
        self._wake = threading.Event()
        self._lock = threading.Lock()
        self._pid = None
        self._thread = None
        atexit.register(self.flush)

    def wake(self):
        with self._lock:
            if self._pid != os.getpid() or not self._thread.is_alive():
                self._pid = os.getpid()
                self._wake = threading.Event()  # a lock or event copied mid-use by fork is not trusted
                self._thread = threading.Thread(target=self._run, name="audit-sealer", daemon=True)
                self._thread.start()
        self._wake.set()

    def _run(self):
        delay = settings.KYC_AUDIT_SEAL_DELAY_MS / 1000
        wake = self._wake
        while True:
            wake.wait()
            time.sleep(delay)  # what the next commits queue meanwhile goes in the same transaction
            wake.clear()  # before sealing: a commit during the seal wakes the next round
            close_old_connections()  # CONN_MAX_AGE and a broken connection, as around a request
            try:
                _seal(wait=True)
                close_old_connections()
            except Exception as exc:
                # SQLite: another process's sealer took the same place in the chain (no row locks).
                quiet = isinstance(exc, (IntegrityError, DatabaseError))
                logger.log(
                    logging.INFO if quiet else logging.WARNING,
                    "audit sealing failed, trying again: %s",
                    type(exc).__name__,
                    exc_info=not quiet,
                )
                wake.set()
                time.sleep(max(1.0, delay))

    def flush(self):
        """At exit: seal what this process's last commits queued (beat would, within a minute)."""
        if self._pid == os.getpid() and self._wake.is_set():
            seal_pending(wait=True)


sealer = Sealer()


def _after_commit():
    if settings.KYC_AUDIT_SEAL_DELAY_MS > 0:
        sealer.wake()
    else:
        seal_pending()


def seal_after_commit():
    """Seal once after the current transaction commits, however many events it wrote."""
    connection = transaction.get_connection()
    current = set(connection.savepoint_ids)
    # A registration survives whenever this event does if its savepoints are among this event's.
    if connection.in_atomic_block and any(
        func is _after_commit and sids <= current for sids, func, _ in connection.run_on_commit
    ):
        return
    # robust: a sealing failure is logged and retried, never raised into the caller's flow.
    transaction.on_commit(_after_commit, robust=True)


@dataclass
class ChainReport:
    ok: bool
    events: int
    head_hash: str
    problem: str = ""
    event_id: int | None = None
    unsealed: int = 0
    checkpoint: AuditCheckpoint | None = None


def verify() -> ChainReport:
    """Walk the chain from its first link (or the newest checkpoint); report the first event that does not match."""
    checkpoint = AuditCheckpoint.objects.order_by("-seq").first()
    prev, count, expected_seq = GENESIS, 0, 1
    if checkpoint is not None:
        prev, expected_seq = checkpoint.hash, checkpoint.seq + 1
        witnessed = AuditEvent.objects.filter(
            action="audit_truncated", data__through_seq=checkpoint.seq, data__through_hash=checkpoint.hash
        ).exists()
        if not witnessed:
            return ChainReport(
                False,
                0,
                prev,
                f"the checkpoint at link {checkpoint.seq} has no audit_truncated "
                "event in the trail (links removed outside retention?)",
                checkpoint=checkpoint,
            )
    seals = AuditSeal.objects.select_related("event").filter(seq__gte=expected_seq).order_by("seq")
    for link in seals.iterator(chunk_size=2000):
        if link.seq != expected_seq:
            return ChainReport(
                False, count, prev, f"link {expected_seq} is missing (next is {link.seq})", link.event_id
            )
        if link.prev_hash != prev:
            return ChainReport(False, count, prev, "the link does not follow the one before it", link.event_id)
        if event_digest(link.event) != link.event_hash:
            return ChainReport(False, count, prev, "the event was altered after it was sealed", link.event_id)
        if link_hash(link.seq, link.prev_hash, link.event_hash) != link.hash:
            return ChainReport(False, count, prev, "the link's own hash is wrong", link.event_id)
        prev, count, expected_seq = link.hash, count + 1, expected_seq + 1
    top = head()
    if (top.seq, top.hash) != (expected_seq - 1, prev):
        return ChainReport(
            False,
            count,
            prev,
            f"the chain head says {top.seq} links ending in {top.hash[:12]}…, "
            f"the links say {expected_seq - 1} ending in {prev[:12]}… (links removed from the end?)",
        )
    unsealed = AuditEvent.objects.filter(seal__isnull=True).count()
    return ChainReport(True, count, prev, unsealed=unsealed, checkpoint=checkpoint)
