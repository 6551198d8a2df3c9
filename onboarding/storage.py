"""Storage for applicants' files: encrypted before they leave the process, on disk or on S3.

Only this storage writes photos, liveness bursts and SDK liveness files; views read them back
through it after checking who asks. It never produces a URL.
"""

from __future__ import annotations

import contextlib
import logging
import os
import tempfile
import threading

from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import transaction

from onboarding import encryption

logger = logging.getLogger(__name__)


_blocks = threading.local()


@contextlib.contextmanager
def atomic():
    """transaction.atomic() that also deletes the files written inside it (`written`) when it
    rolls back, so that no file outlives the row that would have referenced it.

    Files written in a nested block are handed to the enclosing one when the nested block
    commits: they go if the outer block rolls back. The retention purge removes whatever a crash
    leaves behind (retention.sweep_orphans)."""
    stack = _blocks.__dict__.setdefault("stack", [])
    stack.append([])
    committed = False
    try:
        with transaction.atomic():
            yield
            committed = not transaction.get_rollback()
    finally:
        files = stack.pop()
        if committed and stack:
            stack[-1].extend(files)
        elif not committed:
            for storage, name in files:
                try:
                    storage.delete(name)
                except Exception:  # the purge's orphan sweep will find it
                    logger.exception("could not delete %s after a rollback", name)


def written(fieldfile):
    """Note a file just saved inside storage.atomic(): it goes if the transaction rolls back."""
    stack = getattr(_blocks, "stack", None)
    if not stack:
        raise RuntimeError("files are written inside onboarding.storage.atomic()")
    stack[-1].append((fieldfile.storage, fieldfile.name))


class EncryptedStorageMixin:
    def _save(self, name, content):
        content.seek(0)
        return super()._save(name, ContentFile(encryption.encrypt(content.read(), name=name)))

    def _open(self, name, mode="rb"):
        if "w" in mode or "a" in mode:
            raise ValueError("encrypted files are written with save(), not opened for writing")
        return ContentFile(encryption.decrypt(self.read_raw(name), name=name), name=name)

    def read_raw(self, name) -> bytes:
        with super()._open(name, "rb") as f:
            return f.read()

    def size(self, name):
        return max(0, super().size(name) - encryption.OVERHEAD)

    def url(self, name):
        raise NotImplementedError("applicants' files have no URL; serve them through a view that checks access")

    def reencrypt(self, name) -> str:
        """Re-encrypt with the newest key: 'rotated', 'encrypted' (was plaintext) or 'current' (left as is)."""
        raw = self.read_raw(name)
        if not encryption.is_encrypted(raw):  # written before encryption was switched on
            self.replace_raw(name, encryption.encrypt(raw, name=name))
            return "encrypted"
        if not encryption.needs_reencryption(raw):
            return "current"
        self.replace_raw(name, encryption.reencrypt(raw, name=name))
        return "rotated"


class EncryptedFileSystemStorage(EncryptedStorageMixin, FileSystemStorage):
    def replace_raw(self, name, blob: bytes):
        """Atomic on one filesystem: the old file stays until the new one is complete."""
        path = self.path(name)
        fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path), prefix=".reencrypt-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(blob)
                f.flush()
                os.fsync(f.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(tmp, self.file_permissions_mode)
            os.replace(tmp, path)
        except BaseException:
            if os.path.exists(tmp):
                os.unlink(tmp)
            raise


try:
    from storages.backends.s3 import S3Storage
    from storages.utils import clean_name
except ImportError:  # pragma: no cover - django-storages is a dependency; keep imports light for tools
    S3Storage = None

if S3Storage is not None:

    class EncryptedS3Storage(EncryptedStorageMixin, S3Storage):
        """S3 or any S3-compatible store (MinIO, Ceph...): objects are ciphertext before upload."""

        def __init__(self, **settings):
            settings.setdefault("file_overwrite", False)
            settings.setdefault("default_acl", "private")
            settings.setdefault("querystring_auth", True)
            super().__init__(**settings)

        def replace_raw(self, name, blob: bytes):
            # A PUT replaces the object in one step.
            self.bucket.Object(self._normalize_name(clean_name(name))).put(Body=blob)


def read_file(item) -> bytes:
    """The stored bytes of a Photo or a LivenessDataFile."""
    with item.file.open("rb") as f:
        return f.read()
