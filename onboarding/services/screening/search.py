"""Screening one person against the imported lists: candidates found in the database by their keys,
then scored (vendors.screening.matching) with the policy's weights.

A candidate shares a key with the person (vendors.screening.names.keys): two of their words in the
same form, consonant skeletons (transliterations: "Mohamed Ali" and "Muhammad Aly") or sorted
letters (a transposed typo), a one-word name's word, or a Han name exactly. A pair of words is far
rarer than either word, so a common family name brings few candidates; a pair that very many entries
share (counted at each import) is left out when the person has rarer keys. At most MAX_CANDIDATES,
those sharing the most keys first, are scored.
"""

from __future__ import annotations

import dataclasses
from collections import Counter

from django.db.models import Count

from onboarding.models import ScreeningEntry, ScreeningFrequentKey, ScreeningKey
from vendors.screening import formats, matching, names

MAX_CANDIDATES = 200
FREQUENT_ROWS = 5000


@dataclasses.dataclass
class Hit:
    entry: ScreeningEntry
    match: matching.Match

    def as_dict(self) -> dict:
        return {
            "source": self.entry.source.name,
            "list_version": self.entry.source.version,
            "entry_id": self.entry.pk,
            "list_id": self.entry.key,
            "caption": self.entry.caption,
            "matched_name": self.match.matched_name,
            "score": self.match.score,
            "why": self.match.why,
            "birth_dates": self.entry.birth_dates,
            "nationalities": self.entry.nationalities,
            "datasets": self.entry.datasets,
        }


def candidates(person: matching.Person, entries=None, limit=MAX_CANDIDATES) -> list[int]:
    """Entry ids worth scoring, those sharing the most keys first. `entries`: only among these (a
    queryset of entry ids: a re-screen against a list's new and changed entries)."""
    wanted = set()
    for spelling in person.spellings:
        wanted |= names.keys(spelling, query=True)
    if not wanted:
        return []
    frequent = set(ScreeningFrequentKey.objects.filter(key__in=wanted).values_list("key", flat=True))
    found = _most_shared(wanted - frequent, entries, limit) if wanted - frequent else []
    if frequent and len(found) < limit:
        # Keys that very many entries share: a bounded sample of their rows, most shared first.
        rows = ScreeningKey.objects.filter(key__in=frequent)
        if entries is not None:
            rows = rows.filter(entry_id__in=entries)
        shared = Counter(rows.values_list("entry_id", flat=True)[:FREQUENT_ROWS])
        seen = set(found)
        found += [pk for pk, _n in shared.most_common() if pk not in seen][: limit - len(found)]
    return found


def _most_shared(keys, entries, limit) -> list[int]:
    rows = ScreeningKey.objects.filter(key__in=keys)
    if entries is not None:
        rows = rows.filter(entry_id__in=entries)
    return list(
        rows.values("entry_id")
        .annotate(shared=Count("id"))
        .order_by("-shared", "entry_id")
        .values_list("entry_id", flat=True)[:limit]
    )


def screen(person: matching.Person, weights: dict | None = None, *, entries=None) -> list[Hit]:
    """The entries this person matches, best first."""
    return score(person, candidates(person, entries), weights)


def score(person: matching.Person, ids, weights: dict | None = None) -> list[Hit]:
    """These entries (ids) scored against the person: the hits, best first."""
    if not ids:
        return []
    weights = {**matching.DEFAULTS, **(weights or {})}
    hits = []
    rows = ScreeningEntry.objects.filter(pk__in=ids).select_related("source")
    for entry in rows.only(
        "id",
        "key",
        "caption",
        "names",
        "birth_dates",
        "nationalities",
        "datasets",
        "source__name",
        "source__version",
        "source__format",
    ):
        linked = entry.source.format == formats.LINKED_COUNTRIES_FORMAT
        match = matching.score(person, entry.names, entry.birth_dates, entry.nationalities, weights, linked=linked)
        if match.is_hit(weights):
            hits.append(Hit(entry, match))
    hits.sort(key=lambda h: (-h.match.score, h.entry.pk))
    return hits


class ChangedEntries:
    """A list version's new and changed entries, their keys held in memory: a re-screen looks each
    customer up here instead of in the database (a version changes far fewer entries than a list
    holds; past MAX_IN_MEMORY keys the database is asked instead)."""

    MAX_IN_MEMORY = 2_000_000

    def __init__(self, source_id, version):
        self.ids = ScreeningEntry.objects.filter(source_id=source_id, changed_version=version).values("pk")
        rows = ScreeningKey.objects.filter(entry__source_id=source_id, entry__changed_version=version)
        self.by_key = None
        if rows.count() <= self.MAX_IN_MEMORY:
            self.by_key = {}
            for key, entry_id in rows.values_list("key", "entry_id").iterator(chunk_size=10_000):
                self.by_key.setdefault(key, []).append(entry_id)

    def exists(self) -> bool:
        return self.ids.exists()

    def candidates(self, person: matching.Person, limit=MAX_CANDIDATES) -> list[int]:
        if self.by_key is None:
            return candidates(person, self.ids, limit)
        shared = Counter()
        for spelling in person.spellings:
            for key in names.keys(spelling, query=True):
                shared.update(self.by_key.get(key, ()))
        return [pk for pk, _n in shared.most_common(limit)]

    def screen(self, person: matching.Person, weights=None) -> list[Hit]:
        return score(person, self.candidates(person), weights)
