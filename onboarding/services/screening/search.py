"""Screening one person against the imported lists: candidates found in the database by their keys,
then scored (vendors.screening.matching) with the policy's weights.

A candidate has two of the person's words (one when their name is a single word, or their Han name
exactly), each found by any of its keys (vendors.screening.names.word_keys: the word, its consonant
skeleton, its sorted letters), so transliterations ("Mohamed" and "Muhammad") and misspelt words
still meet while a common family name alone brings nothing. At most MAX_CANDIDATES, those with the
most words first, are scored.
"""

from __future__ import annotations

import dataclasses

from django.db.models import Case, Count, IntegerField, Value, When

from onboarding.models import ScreeningEntry, ScreeningKey
from vendors.documents.names import is_han
from vendors.screening import matching, names

MAX_CANDIDATES = 200


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
    """Entry ids worth scoring, most words in common first. `entries`: only among these (a queryset
    of entry ids: a re-screen against a list's new and changed entries)."""
    latin = [s for s in person.spellings if not is_han(s)]
    words = list(dict.fromkeys(w for s in latin for w in names.words(s) if names.word_keys(w)))
    han = [s for s in person.spellings if is_han(s)]
    need = 1 if all(len(s.split()) < 2 for s in latin) else 2
    found = []
    if words:
        by_word = [names.word_keys(w) for w in words]
        rows = ScreeningKey.objects.filter(key__in=set().union(*by_word))
        if entries is not None:
            rows = rows.filter(entry_id__in=entries)
        # Which of the person's words each key row stands for: an entry counts the words it has.
        word = Case(*(When(key__in=k, then=Value(i)) for i, k in enumerate(by_word)), output_field=IntegerField())
        found = list(
            rows.values("entry_id")
            .annotate(shared=Count(word, distinct=True))
            .filter(shared__gte=need)
            .order_by("-shared", "entry_id")
            .values_list("entry_id", flat=True)[:limit]
        )
    if han:  # a Han name meets a Han entry by its one key
        exact = ScreeningKey.objects.filter(key__in=han)
        if entries is not None:
            exact = exact.filter(entry_id__in=entries)
        found += [pk for pk in exact.values_list("entry_id", flat=True)[:limit] if pk not in found]
    return found


def screen(person: matching.Person, weights: dict | None = None, *, entries=None) -> list[Hit]:
    """The entries this person matches, best first."""
    weights = {**matching.DEFAULTS, **(weights or {})}
    ids = candidates(person, entries)
    if not ids:
        return []
    hits = []
    rows = ScreeningEntry.objects.filter(pk__in=ids).select_related("source")
    for entry in rows.only(
        "id", "key", "caption", "names", "birth_dates", "nationalities", "datasets", "source__name", "source__version"
    ):
        match = matching.score(person, entry.names, entry.birth_dates, entry.nationalities, weights)
        if match.is_hit(weights):
            hits.append(Hit(entry, match))
    hits.sort(key=lambda h: (-h.match.score, h.entry.pk))
    return hits
