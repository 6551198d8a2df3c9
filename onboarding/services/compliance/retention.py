"""Retention: how long each kind of data is kept, legal holds, and the periodic purge.

Periods come from settings.KYC_RETENTION_DAYS (0: no period of its own). The clock of a case's
data starts when the case is finally decided (approved or rejected); data that never became part
of a case (an abandoned upload) counts from its upload. A case still open is never purged, and
nothing of an applicant under an active legal hold is.

What goes, per kind:
  photos, liveness_files   the files (photos, SDK liveness files, liveness bursts); the rows stay
                           with purged_at set, so a case shows what there was and when it went
  vendor_responses         the stored (redacted) raw responses; scores and request ids stay
  decisions                the whole case (checks, decisions, challenge, webhook events), then the
                           applicant once nothing of theirs is left
  audit_trail              the oldest events, through truncate_audit_trail (a checkpoint keeps the
                           rest of the chain verifiable)

Every purge writes audit events (retention_purged, case_deleted, applicant_deleted). Files are
deleted before their rows are marked, in the applicant's locked transaction: a run that dies
halfway leaves rows that the next run finds due again, never a marked row with a file behind it.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from onboarding.models import (
    Applicant,
    AuditChainHead,
    AuditCheckpoint,
    AuditEvent,
    AuditSeal,
    BlocklistEntry,
    Check,
    DocumentReading,
    LegalHold,
    LivenessChallenge,
    LivenessDataFile,
    Photo,
    PhotoAnalysis,
    Verification,
    WebhookEvent,
    private_storage,
)
from onboarding.services import limits
from onboarding.services.compliance import audit

logger = logging.getLogger(__name__)
KINDS = ("photos", "liveness_files", "vendor_responses", "decisions", "audit_trail", "blocklist")
FINAL = [Verification.Status.APPROVED, Verification.Status.REJECTED]


class HoldError(Exception):
    pass


# Periods -------------------------------------------------------------------------------------
def periods() -> dict[str, int]:
    return {kind: int(settings.KYC_RETENTION_DAYS.get(kind) or 0) for kind in KINDS}


def cutoffs(now: datetime) -> dict[str, datetime | None]:
    """Per kind, the moment before which that kind is due; None: no period of its own."""
    return {kind: now - timedelta(days=days) if days > 0 else None for kind, days in periods().items()}


def expires_on(decided_at: datetime | None, kind: str) -> datetime | None:
    days = periods()[kind]
    return decided_at + timedelta(days=days) if decided_at and days > 0 else None


# Legal holds ---------------------------------------------------------------------------------
def active_holds():
    return LegalHold.objects.filter(released_at__isnull=True)


def is_held(applicant_id) -> bool:
    return active_holds().filter(applicant_id=applicant_id).exists()


def _not_held(field="applicant_id"):
    return ~Exists(active_holds().filter(applicant_id=OuterRef(field)))


def place_hold(applicant_id, *, user, reason: str) -> LegalHold:
    reason = (reason or "").strip()
    if not reason:
        raise HoldError("A legal hold needs a reason (e.g. the court order or case number).")
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().get(pk=applicant_id)  # waits for a running purge
        existing = active_holds().filter(applicant=applicant).first()
        if existing is not None:
            return existing
        hold = LegalHold.objects.create(applicant=applicant, reason=reason, placed_by=user)
        audit.record(
            "legal_hold_placed",
            actor=audit.Actor.staff(user),
            applicant_id=applicant.pk,
            hold_id=str(hold.pk),
            reason=reason,
        )
    return hold


def release_hold(applicant_id, *, user, reason: str) -> LegalHold | None:
    reason = (reason or "").strip()
    if not reason:
        raise HoldError("Releasing a legal hold needs a reason.")
    with transaction.atomic():
        Applicant.objects.select_for_update().get(pk=applicant_id)
        hold = active_holds().filter(applicant_id=applicant_id).first()
        if hold is None:
            return None
        hold.released_by, hold.released_at, hold.release_reason = user, timezone.now(), reason
        hold.save(update_fields=["released_by", "released_at", "release_reason"])
        audit.record(
            "legal_hold_released",
            actor=audit.Actor.staff(user),
            applicant_id=applicant_id,
            hold_id=str(hold.pk),
            reason=reason,
        )
    return hold


# What is due ---------------------------------------------------------------------------------
def _open_or_recent(cutoff):
    """Cases that keep their data: not finally decided, or decided after the cutoff."""
    return Verification.objects.exclude(status__in=FINAL, decided_at__lt=cutoff)


def due_photos(cutoff):
    in_use = _open_or_recent(cutoff).filter(
        Q(selfie_id=OuterRef("pk")) | Q(id_card_id=OuterRef("pk")) | Q(id_card_back_id=OuterRef("pk"))
    )
    return Photo.objects.filter(purged_at__isnull=True, created_at__lt=cutoff).filter(~Exists(in_use), _not_held())


def due_liveness_files(cutoff):
    in_use = _open_or_recent(cutoff).filter(liveness_data_id=OuterRef("pk"))
    return LivenessDataFile.objects.filter(purged_at__isnull=True, created_at__lt=cutoff).filter(
        ~Exists(in_use), _not_held()
    )


def due_bursts(cutoff):
    in_use = _open_or_recent(cutoff).filter(pk=OuterRef("verification_id"))
    return (
        LivenessChallenge.objects.filter(frames_purged_at__isnull=True, created_at__lt=cutoff)
        .exclude(frames="")
        .filter(~Exists(in_use), _not_held())
    )


def due_vendor_responses(cutoff):
    return Check.objects.filter(
        raw_response__isnull=False, verification__status__in=FINAL, verification__decided_at__lt=cutoff
    ).filter(_not_held("verification__applicant_id"))


def due_cases(cutoff):
    return Verification.objects.filter(status__in=FINAL, decided_at__lt=cutoff).filter(_not_held())


def due_applicants(cutoff):
    """Applicants with no case left and nothing uploaded since the cutoff."""
    return Applicant.objects.filter(created_at__lt=cutoff).filter(
        ~Exists(Verification.objects.filter(applicant_id=OuterRef("pk"))),
        ~Exists(Photo.objects.filter(applicant_id=OuterRef("pk"), created_at__gte=cutoff)),
        ~Exists(LivenessChallenge.objects.filter(applicant_id=OuterRef("pk"), created_at__gte=cutoff)),
        _not_held("pk"),
    )


def _due_querysets(cut):
    """(kind, queryset, applicant field) for every kind with a period."""
    plan = []
    if cut["photos"]:
        plan.append(("photos", due_photos(cut["photos"]), "applicant_id"))
    if cut["liveness_files"]:
        plan += [
            ("liveness_files", due_liveness_files(cut["liveness_files"]), "applicant_id"),
            ("liveness_bursts", due_bursts(cut["liveness_files"]), "applicant_id"),
        ]
    if cut["vendor_responses"]:
        plan.append(("vendor_responses", due_vendor_responses(cut["vendor_responses"]), "verification__applicant_id"))
    if cut["decisions"]:
        plan += [
            ("cases", due_cases(cut["decisions"]), "applicant_id"),
            ("applicants", due_applicants(cut["decisions"]), "pk"),
        ]
    return plan


# Removing ------------------------------------------------------------------------------------
def wipe(field_file) -> bool:
    """Delete a stored file (missing is fine: a run that died after deleting it comes back)."""
    if not field_file.name:
        return False
    field_file.storage.delete(field_file.name)
    return True


# Per model: its file field and the field that records when the file went.
FILE_FIELDS = {
    Photo: ("file", "purged_at"),
    LivenessDataFile: ("file", "purged_at"),
    LivenessChallenge: ("frames", "frames_purged_at"),
}


# The folders of the private storage, each holding one folder per applicant (models' upload_to).
STORAGE_FOLDERS = ("photos", "challenges")


def orphaned_files(batch=1000):
    """Stored files that no row references and that are older than KYC_ORPHAN_GRACE_SECONDS
    (younger ones may belong to a transaction still running). Yields their names."""
    storage = private_storage()
    # The files' own clock: a file's age is real time, whatever date a purge runs for.
    older_than = timezone.now() - timedelta(seconds=settings.KYC_ORPHAN_GRACE_SECONDS)
    for folder in STORAGE_FOLDERS:
        try:
            applicant_dirs = sorted(storage.listdir(folder)[0])
        except FileNotFoundError:
            continue
        for start in range(0, len(applicant_dirs), batch):
            chunk = applicant_dirs[start : start + batch]
            referenced = set()
            for model, (file_field, _marker) in FILE_FIELDS.items():
                referenced.update(
                    model.objects.filter(applicant_id__in=chunk)
                    .exclude(**{file_field: ""})
                    .values_list(file_field, flat=True)
                )
            for applicant_dir in chunk:
                for name in storage.listdir(f"{folder}/{applicant_dir}")[1]:
                    path = f"{folder}/{applicant_dir}/{name}"
                    if path not in referenced and storage.get_modified_time(path) < older_than:
                        yield path


def purge_blocklist(now=None) -> int:
    """Blocklist entries past KYC_RETAIN_BLOCKLIST_DAYS go (0: kept until a reviewer removes them)."""
    days = periods().get("blocklist") or 0
    if not days:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    due = [str(pk) for pk in BlocklistEntry.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)]
    if due:
        BlocklistEntry.objects.filter(pk__in=due).delete()
        audit.record("blocklist_expired", actor=audit.Actor.system("retention"), entries=due, period_days=days)
    return len(due)


def sweep_orphans() -> int:
    """Delete the orphaned files (a crash between writing a file and its row's commit); audited."""
    names = list(orphaned_files())
    for name in names:
        private_storage().delete(name)
    if names:
        audit.record("orphaned_files_deleted", actor=audit.Actor.system("retention"), files=names)
    return len(names)


def wipe_files(queryset, now) -> list[str]:
    """Delete the files of these rows, then mark the rows; returns their ids."""
    file_field, marker = FILE_FIELDS[queryset.model]
    ids = []
    for item in queryset.filter(**{f"{marker}__isnull": True}):
        wipe(getattr(item, file_field))
        ids.append(item.pk)
    queryset.model.objects.filter(pk__in=ids).update(**{file_field: "", marker: now})
    if queryset.model is Photo:  # their analyses hold biometrics, their readings identity data
        PhotoAnalysis.objects.filter(photo_id__in=ids).delete()
        forget_identity_of_cards(ids)
    return [str(pk) for pk in ids]


def forget_identity_of_cards(photo_ids) -> int:
    """The identity data read from these photos of cards go with them: the document readings
    (services.identity) and the copies sealed in webhook events. How many went."""
    cases = Verification.objects.filter(Q(id_card_id__in=photo_ids) | Q(id_card_back_id__in=photo_ids)).values("pk")
    gone = DocumentReading.objects.filter(verification_id__in=cases).delete()[0]
    return gone + WebhookEvent.objects.filter(verification_id__in=cases).exclude(sealed=b"").update(sealed=b"")


def drop_vendor_responses(checks, now) -> int:
    return Check.objects.filter(pk__in=[c.pk for c in checks]).update(raw_response=None, raw_response_purged_at=now)


def _delete_case(verification, *, actor, days):
    """A case past the decisions period: its files, then every row of it. The trail keeps its events."""
    now = timezone.now()
    refs = [verification.selfie_id, verification.id_card_id, verification.id_card_back_id]
    # Photos shared with another (kept) case stay until the applicant goes.
    others = Verification.objects.filter(applicant_id=verification.applicant_id).exclude(pk=verification.pk)
    shared = {pk for row in others.values_list("selfie_id", "id_card_id", "id_card_back_id") for pk in row}
    wipe_files(Photo.objects.filter(pk__in=[r for r in refs if r and r not in shared]), now)
    if verification.liveness_data_id not in set(others.values_list("liveness_data_id", flat=True)):
        wipe_files(LivenessDataFile.objects.filter(pk=verification.liveness_data_id), now)
    challenges = LivenessChallenge.objects.filter(verification=verification)
    wipe_files(challenges, now)
    challenges.delete()
    WebhookEvent.objects.filter(verification=verification).delete()
    pk, decided_at, status = verification.pk, verification.decided_at, verification.status
    verification.delete()  # checks, decisions, overturn requests, idempotency records
    audit.record(
        "case_deleted",
        actor=actor,
        applicant_id=verification.applicant_id,
        verification_id=pk,
        status=status,
        decided_at=decided_at.isoformat(),
        period_days=days,
    )


def _delete_applicant(applicant, *, actor, days):
    now = timezone.now()
    for queryset in (applicant.photos.all(), applicant.liveness_files.all(), applicant.challenges.all()):
        wipe_files(queryset, now)
    applicant.legal_holds.all().delete()  # released ones only: an active hold keeps the applicant
    pk = applicant.pk
    applicant.delete()
    audit.record("applicant_deleted", actor=actor, applicant_id=pk, period_days=days)


def purge_applicant(applicant_id, cut, now=None) -> Counter:
    """Everything of one applicant that is due, in one transaction under the applicant's row lock."""
    now = now or timezone.now()
    days = periods()
    actor = audit.Actor.system("retention")
    done = Counter()
    with transaction.atomic():
        applicant = Applicant.objects.select_for_update().filter(pk=applicant_id).first()
        if applicant is None:
            return done
        # Evaluated again under the lock: a hold placed or a case reopened meanwhile wins.
        mine = {kind: qs.filter(**{field: applicant_id}) for kind, qs, field in _due_querysets(cut)}
        purged = {}
        for kind in ("photos", "liveness_files", "liveness_bursts"):
            if kind in mine:
                purged[kind] = wipe_files(mine[kind], now)
        if "vendor_responses" in mine:
            purged["vendor_responses"] = drop_vendor_responses(mine["vendor_responses"], now)
        purged = {kind: value for kind, value in purged.items() if value}
        if purged:
            audit.record("retention_purged", actor=actor, applicant_id=applicant_id, periods_days=days, **purged)
            done.update({kind: len(v) if isinstance(v, list) else v for kind, v in purged.items()})
        if "cases" in mine:
            for verification in mine["cases"]:
                _delete_case(verification, actor=actor, days=days["decisions"])
                done["cases"] += 1
            if mine["applicants"].exists():
                _delete_applicant(applicant, actor=actor, days=days["decisions"])
                done["applicants"] += 1
    return done


def purge(now=None) -> Counter:
    """One retention run: every applicant with something due, then the audit trail's oldest events."""
    now = now or timezone.now()
    cut = cutoffs(now)
    applicant_ids = set()
    for _kind, qs, field in _due_querysets(cut):
        applicant_ids.update(qs.values_list(field, flat=True).distinct())
    totals = Counter()
    for applicant_id in sorted(applicant_ids, key=str):
        try:
            totals.update(purge_applicant(applicant_id, cut, now))
        except Exception:  # one applicant's failure (storage down) must not stop the others
            logger.exception("retention: purging applicant %s failed; next run retries", applicant_id)
            totals["failed"] += 1
    if cut["audit_trail"]:
        totals["audit_events"] += truncate_audit_trail(
            cut["audit_trail"], held=active_holds().values("applicant_id"), period_days=periods()["audit_trail"]
        )
    # Attempt counts name addresses and applicants: kept a day, far past every limit's window.
    totals["attempt_slots"] += limits.purge()
    totals["orphaned_files"] += sweep_orphans()
    totals["blocklist_entries"] += purge_blocklist(now)
    return +totals  # only what happened


def due_summary(now=None) -> dict[str, int]:
    """How much each kind has due now (for `kyc_purge --dry-run`); the audit trail is not counted."""
    cut = cutoffs(now or timezone.now())
    due = {kind: qs.count() for kind, qs, _field in _due_querysets(cut)}
    due["orphaned_files"] = sum(1 for _name in orphaned_files())
    return due


def truncate_audit_trail(cutoff, *, held, period_days, batch=5000) -> int:
    """Remove the oldest sealed events written before `cutoff` (retention), keeping the chain verifiable.

    Only a prefix of the chain goes: it stops at the first event newer than the cutoff or about an
    applicant in `held` (legal hold). A checkpoint keeps the last removed link's hash, and an
    `audit_truncated` event, chained like any other, witnesses it.
    """
    removed = 0
    # Only links that existed when the run began: never this run's own audit_truncated events.
    limit = AuditChainHead.objects.filter(pk=1).values_list("seq", flat=True).first() or 0
    while True:
        with transaction.atomic():
            top = AuditChainHead.objects.select_for_update().filter(pk=1).first()  # no sealing meanwhile
            if top is None:
                return removed
            start = AuditCheckpoint.objects.order_by("-seq").values_list("seq", flat=True).first() or 0
            keep = (
                AuditSeal.objects.filter(seq__gt=start)
                .filter(Q(event__created_at__gte=cutoff) | Q(event__applicant_id__in=held))
                .order_by("seq")
                .values_list("seq", flat=True)
                .first()
            )
            last = min(limit if keep is None else keep - 1, limit, start + batch)
            if last <= start:
                return removed
            through = AuditSeal.objects.select_related("event").get(seq=last)
            event_ids = list(AuditSeal.objects.filter(seq__gt=start, seq__lte=last).values_list("event_id", flat=True))
            # The append-only managers refuse deletes; retention is the one writer allowed to.
            AuditSeal._base_manager.filter(seq__gt=start, seq__lte=last).delete()
            AuditEvent._base_manager.filter(pk__in=event_ids).delete()
            AuditCheckpoint.objects.create(
                seq=last, hash=through.hash, events_removed=len(event_ids), removed_through=through.event.created_at
            )
            audit.record(
                "audit_truncated",
                actor=audit.Actor.system("retention"),
                through_seq=last,
                through_hash=through.hash,
                events_removed=len(event_ids),
                removed_through=through.event.created_at.isoformat(),
                period_days=period_days,
            )
            removed += len(event_ids)
