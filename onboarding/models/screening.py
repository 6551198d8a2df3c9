"""Sanctions and PEP lists the operator imports, and what they are searched by.

A source is one list under the operator's name for it ("un-sc", "in-house"); each import is a
version that replaces the source's entries and records how many were added, changed and removed.
An entry keeps the list's own id, its names (aliases included), birth dates and nationalities; its
keys (vendors.screening.names.keys: words and consonant skeletons of every spelling) are what a
name is looked up by, in the database, before any fuzzy scoring. List data is published data, not
an applicant's: it is kept in clear.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class ScreeningSource(models.Model):
    name = models.SlugField(_("source"), max_length=100, unique=True)
    format = models.CharField(max_length=10)  # vendors.screening.formats.FORMATS
    version = models.PositiveIntegerField(default=0)  # the newest import's
    entry_count = models.PositiveIntegerField(default=0)
    updated_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        permissions = [("import_screening_list", _("Can import sanctions and PEP lists"))]
        verbose_name = _("screening list")
        verbose_name_plural = _("screening lists")

    def __str__(self):
        return self.name


class ScreeningListVersion(models.Model):
    """One import of a source: what changed, from which file, by whom."""

    source = models.ForeignKey(ScreeningSource, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveIntegerField()
    file_name = models.CharField(max_length=255, blank=True)
    file_sha256 = models.CharField(max_length=64)
    format = models.CharField(max_length=10)
    added = models.PositiveIntegerField(default=0)
    changed = models.PositiveIntegerField(default=0)
    removed = models.PositiveIntegerField(default=0)
    total = models.PositiveIntegerField(default=0)
    imported_by = models.CharField(max_length=150)
    imported_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-imported_at"]
        constraints = [models.UniqueConstraint(fields=["source", "version"], name="one_row_per_list_version")]
        verbose_name = _("screening list version")
        verbose_name_plural = _("screening list versions")

    def __str__(self):
        return f"{self.source.name} v{self.version}"


class ScreeningEntry(models.Model):
    source = models.ForeignKey(ScreeningSource, on_delete=models.CASCADE, related_name="entries")
    key = models.CharField(max_length=200)  # the list's own id
    schema = models.CharField(max_length=40, default="Person")
    caption = models.CharField(max_length=200)
    names = models.JSONField(default=list)  # the name first, then aliases
    birth_dates = models.JSONField(default=list)
    nationalities = models.JSONField(default=list)
    datasets = models.JSONField(default=list)
    digest = models.CharField(max_length=32)  # formats.Entry.digest(): what screening reads changed
    # The import that last added or changed it (the entries a re-screen looks at), and the last that
    # saw it (those not seen by an import are removed).
    changed_version = models.PositiveIntegerField()
    seen_version = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="one_entry_per_list_id")]
        indexes = [models.Index(fields=["source", "changed_version"], name="screening_changed")]
        verbose_name = _("screening list entry")
        verbose_name_plural = _("screening list entries")

    def __str__(self):
        return self.caption


class ScreeningKey(models.Model):
    """One search key of an entry (a word, a consonant skeleton, a Han name)."""

    entry = models.ForeignKey(ScreeningEntry, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)

    class Meta:
        indexes = [models.Index(fields=["key", "entry"], name="screening_key")]


class ScreeningHit(models.Model):
    """A case's applicant matched a list entry; a reviewer resolves it.

    The entry's data is copied (caption, matched name, list id, source and version) so the hit
    stays readable when the list changes; the applicant's own data stays in the document reading
    and declared data (encrypted), shown beside it on the case page."""

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        FALSE_POSITIVE = "false_positive", _("False positive")
        CONFIRMED = "confirmed", _("Confirmed match")

    verification = models.ForeignKey("Verification", on_delete=models.CASCADE, related_name="screening_hits")
    applicant = models.ForeignKey("Applicant", on_delete=models.CASCADE, related_name="screening_hits")
    entry = models.ForeignKey(ScreeningEntry, on_delete=models.SET_NULL, null=True, related_name="hits")
    source = models.CharField(max_length=100)
    list_version = models.PositiveIntegerField()
    list_id = models.CharField(max_length=200)  # the list's own id: what a false positive is remembered by
    caption = models.CharField(max_length=200)
    matched_name = models.CharField(max_length=200)
    score = models.FloatField()
    why = models.JSONField(default=dict)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.OPEN)
    resolved_by = models.CharField(max_length=150, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    comment = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["verification", "source", "list_id"], name="one_hit_per_case_and_entry")
        ]
        indexes = [models.Index(fields=["applicant", "source", "list_id"], name="screening_hit_applicant")]
        permissions = [("resolve_screening_hit", _("Can resolve sanctions and PEP list matches"))]
        verbose_name = _("screening hit")
        verbose_name_plural = _("screening hits")


class ScreeningFrequentKey(models.Model):
    """A key shared by very many entries (a common pair of names), counted at each import: a search
    leaves it out when the person has rarer keys (services.screening.search)."""

    key = models.CharField(max_length=100, unique=True)
    entries = models.PositiveIntegerField()
