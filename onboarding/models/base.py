"""What several domains' models share: private file storage and append-only rows."""

from django.core.files.storage import storages
from django.db import models


def private_storage():
    return storages["private"]


def photo_path(instance, filename):
    # No original file name or extension on disk: the content is always our re-encoded JPEG.
    return f"photos/{instance.applicant_id}/{instance.id}"


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise PermissionError(f"{self.model.__name__} rows are append-only")

    def delete(self):
        raise PermissionError(f"{self.model.__name__} rows are append-only")


class AppendOnlyModel(models.Model):
    """Rows that are written once: the ORM refuses updates and deletes (the hash chain catches SQL)."""

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise PermissionError(f"{type(self).__name__} rows are append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise PermissionError(f"{type(self).__name__} rows are append-only")
