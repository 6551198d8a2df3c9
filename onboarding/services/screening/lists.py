"""Importing a sanctions or PEP list: one source's entries replaced by a file's, as a new version.

The file is read one entry at a time and written in batches (bounded memory for a million entries);
the whole import is one transaction, so screening sees the old version or the new one, never half.
Each version records entries added, changed (anything screened against: names, aliases, birth
dates, nationalities, datasets) and removed, the file's SHA-256 and who imported it; the import is
audited. No list is ever downloaded: operators import the files they obtain (docs/screening.md).
"""

from __future__ import annotations

import hashlib
import io
import itertools

from django.db import transaction
from django.db.models import Count
from django.utils import timezone

from onboarding.models import ScreeningEntry, ScreeningFrequentKey, ScreeningKey, ScreeningListVersion, ScreeningSource
from onboarding.services import dispatch
from onboarding.services.compliance import audit
from vendors.screening import formats, names

BATCH = 1000
# A key shared by more entries than this is counted as frequent (searches leave it out when they can).
FREQUENT = 2000
# A new version that would remove more than this share of a source's entries is refused unless the
# importer says the list really shrank: a file cut short (a download, a copy) reads as a shorter
# list, and every entry after the cut would stop being screened. Lists change by a few percent.
MAX_REMOVED_SHARE = 0.5


class ListShrinkError(formats.ListFormatError):
    """The file would remove more than MAX_REMOVED_SHARE of the source's entries."""


def file_sha256(stream) -> str:
    digest = hashlib.sha256()
    for chunk in iter(lambda: stream.read(1 << 20), b""):
        digest.update(chunk)
    stream.seek(0)
    return digest.hexdigest()


def import_file(
    binary, *, source: str, actor: audit.Actor, fmt: str | None = None, file_name="", shrink=False
) -> ScreeningListVersion:
    """Import a list file (a binary stream: a file or an upload) as the source's new version;
    `shrink`: the importer says the list really lost more than MAX_REMOVED_SHARE of its entries."""
    sha = file_sha256(binary)
    encoding = formats.encoding_of(binary.read(4))
    binary.seek(0)
    # The wrapper closes the stream when it goes: the caller's file is read to its end here.
    text = io.TextIOWrapper(binary, encoding=encoding, newline="")
    try:
        first = formats.opening(text)
        fmt = fmt or formats.detect(first)  # kept with the source: how its entries are read matters
        entries = formats.read(text, fmt, first=first)
        return import_entries(
            entries, source=source, actor=actor, fmt=fmt, file_name=file_name, sha256=sha, shrink=shrink
        )
    except UnicodeDecodeError:  # names read with their letters replaced would be screened as others' names
        raise formats.ListFormatError(
            "the file is not UTF-8 (nor UTF-16 with its byte-order mark): save it as UTF-8 (Excel: CSV UTF-8)"
        ) from None


def import_entries(
    entries, *, source: str, actor, fmt=None, file_name="", sha256="", shrink=False
) -> ScreeningListVersion:
    counts = {"added": 0, "changed": 0, "total": 0}
    with transaction.atomic():
        row, _ = ScreeningSource.objects.get_or_create(name=source, defaults={"format": fmt or ""})
        row = ScreeningSource.objects.select_for_update().get(pk=row.pk)  # one import of a source at a time
        version = row.version + 1
        for batch in _batches(entries):
            _write(row, version, batch, counts)
        removed = ScreeningEntry.objects.filter(source=row, seen_version__lt=version)
        counts["removed"] = removed.count()
        if row.entry_count and counts["removed"] > MAX_REMOVED_SHARE * row.entry_count and not shrink:
            raise ListShrinkError(
                f"the file has {counts['total']} person entries, where version {row.version} of {source} has "
                f"{row.entry_count}: it would remove {counts['removed']}. A file cut short? If the list really "
                "shrank, import it again saying so (kyc_screening import --shrink, or the admin's checkbox)."
            )
        removed.delete()
        count_frequent_keys()
        row.version, row.entry_count, row.updated_at = version, counts["total"], timezone.now()
        row.format = fmt or row.format or "auto"
        row.save(update_fields=["version", "entry_count", "updated_at", "format"])
        listed = ScreeningListVersion.objects.create(
            source=row,
            version=version,
            file_name=file_name[:255],
            file_sha256=sha256,
            format=row.format,
            imported_by=actor.label,
            **counts,
        )
        audit.record(
            "screening_list_imported",
            actor=actor,
            source=source,
            version=version,
            file_sha256=sha256,
            **counts,
        )
        if counts["added"] or counts["changed"]:
            dispatch.rescreen_after_commit(row.pk, version)  # the approved applicants, against what is new
    return listed


def count_frequent_keys() -> None:
    """The keys of every list that more than FREQUENT entries share, counted again."""
    ScreeningFrequentKey.objects.all().delete()
    frequent = ScreeningKey.objects.values("key").annotate(entries=Count("id")).filter(entries__gt=FREQUENT).order_by()
    ScreeningFrequentKey.objects.bulk_create([ScreeningFrequentKey(**row) for row in frequent])


def _batches(entries):
    iterator = iter(entries)
    while batch := list(itertools.islice(iterator, BATCH)):
        yield list({e.key: e for e in batch}.values())  # an id twice in a batch: the last wins


def _write(source, version, batch, counts):
    known = {
        key: (pk, digest, seen)
        for key, pk, digest, seen in ScreeningEntry.objects.filter(
            source=source, key__in=[e.key for e in batch]
        ).values_list("key", "id", "digest", "seen_version")
    }
    new, changed, same = [], [], []
    for entry in batch:
        if entry.key in known and known[entry.key][2] == version:
            continue  # already read earlier in this file
        counts["total"] += 1
        if entry.key not in known:
            new.append(entry)
        elif known[entry.key][1] != entry.digest():
            changed.append((known[entry.key][0], entry))
        else:
            same.append(known[entry.key][0])
    if same:
        ScreeningEntry.objects.filter(pk__in=same).update(seen_version=version)
    rows = ScreeningEntry.objects.bulk_create(
        [ScreeningEntry(source=source, changed_version=version, seen_version=version, **_fields(e)) for e in new]
    )
    if changed:
        updated = [
            ScreeningEntry(pk=pk, changed_version=version, seen_version=version, **_fields(e)) for pk, e in changed
        ]
        ScreeningEntry.objects.bulk_update(
            updated,
            [
                "caption",
                "schema",
                "names",
                "birth_dates",
                "nationalities",
                "datasets",
                "digest",
                "changed_version",
                "seen_version",
            ],
        )
        ScreeningKey.objects.filter(entry_id__in=[pk for pk, _e in changed]).delete()
    keyed = [(row.pk, e) for row, e in zip(rows, new)] + changed
    ScreeningKey.objects.bulk_create(
        [ScreeningKey(entry_id=pk, key=k) for pk, e in keyed for k in names.keys_of_names(e.names)]
    )
    counts["added"] += len(new)
    counts["changed"] += len(changed)


def _fields(e) -> dict:
    return {
        "key": e.key,
        "schema": e.schema,
        "caption": e.caption,
        "names": e.names,
        "birth_dates": e.birth_dates,
        "nationalities": e.nationalities,
        "datasets": e.datasets,
        "digest": e.digest(),
    }
