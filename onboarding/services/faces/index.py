"""The face index: every stored face template, decrypted once into the memory of the process that
searches, and an exact search over them with numpy (BLAS).

Only the workers of the faces queue (dispatch.faces_queue) search, so only they hold it; a process
builds it on its first search (or at start, KYC_FACE_INDEX_PRELOAD) from the encrypted store,
and keeps it current before each search: templates stored since its last look are added
(PhotoAnalysis.embedded_at), and every match is confirmed against the store, so a purged or erased
face never matches and is dropped from memory at once; a full reconciliation every
COMPACT_SECONDS drops the rest. Nothing is written in clear.

A million 128-d templates take 512 MB as float32; a search is one matrix-vector product (squared
distances from precomputed norms, which pick the candidates), a partial sort, and the candidates'
distances computed directly.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
import uuid
from datetime import timedelta

import numpy as np
from django.db import close_old_connections
from django.utils import timezone

from onboarding.models import PhotoAnalysis
from onboarding.services.applicant.analysis import decode_embedding

logger = logging.getLogger(__name__)
DIM = 128
CHUNK = 20_000
# Rows stored by a clock a little behind ours (or committed a little late) are still seen: each
# look reaches this far back, and reads the embeddings only of rows it has not seen with that stamp.
OVERLAP = timedelta(seconds=30)
# A full reconciliation with the store (ids only) this often: drops what went, adds what a look missed.
COMPACT_SECONDS = 600
# The float32 rounding of a squared distance taken as |a|² - 2a·b + |b|², relative to |a|² + |b|²
# (a 128-term dot product's is under 128 × 2⁻²⁴ ≈ 8e-6).
ROUNDING = 1e-5


@dataclasses.dataclass(frozen=True)
class Match:
    distance: float
    photo_id: uuid.UUID
    applicant_id: uuid.UUID


class FaceIndex:
    def __init__(self):
        self.matrix = np.zeros((0, DIM), dtype=np.float32)
        self.norms = np.zeros(0, dtype=np.float32)
        self.largest_norm = 0.0  # at least every held row's |a|²: bounds the rounding of a search
        self.photos = np.zeros(0, dtype="V16")  # the photo's uuid: never reused, unlike a row id
        self.applicants = np.zeros(0, dtype="V16")
        self.size = 0
        self.position: dict[bytes, int] = {}  # photo uuid bytes -> row
        self.recent: dict[bytes, object] = {}  # photo -> embedded_at, for the rows of the last look's window
        self.synced_at = None
        self.compacted_at = 0.0
        self.ready = threading.Event()
        self.lock = threading.Lock()
        self.build_seconds = None

    # Building and keeping current -------------------------------------------------------------

    def build(self) -> FaceIndex:
        started = time.monotonic()
        since = timezone.now()
        last = 0
        rows = (
            PhotoAnalysis.objects.filter(has_embedding=True)
            .order_by("id")
            .values_list("id", "photo_id", "applicant_id", "embedding", "embedded_at")
        )
        window = since - OVERLAP
        while True:
            chunk = list(rows.filter(id__gt=last)[:CHUNK])
            if not chunk:
                break
            last = chunk[-1][0]
            self._add([row[1:4] for row in chunk])
            self.recent.update((r[1].bytes, r[4]) for r in chunk if r[4] is not None and r[4] >= window)
        self.synced_at = since
        self.compacted_at = time.monotonic()
        self.build_seconds = time.monotonic() - started
        self.ready.set()
        logger.info("face index: %d templates in %.1f s", self.size, self.build_seconds)
        return self

    def _add(self, rows) -> None:
        """(photo_id, applicant_id, encrypted embedding) rows: new faces appended, a photo's newer
        embedding (its analysis made again) written over its old one."""
        if not rows:
            return
        vectors = np.stack([decode_embedding(photo_id, blob) for photo_id, _a, blob in rows]).astype(np.float32)
        fresh = [i for i, row in enumerate(rows) if row[0].bytes not in self.position]
        if self.size + len(fresh) > len(self.matrix):  # grow by half again, as a list does
            capacity = max(self.size + len(fresh), int(len(self.matrix) * 1.5) + 1024)
            for name in ("matrix", "norms", "photos", "applicants"):
                setattr(self, name, _grown(getattr(self, name), capacity))
        for i, (photo_id, applicant_id, _blob) in enumerate(rows):
            at = self.position.get(photo_id.bytes)
            if at is None:
                at = self.position[photo_id.bytes] = self.size
                self.size += 1
            self.matrix[at] = vectors[i]
            self.norms[at] = float(vectors[i] @ vectors[i])
            self.largest_norm = max(self.largest_norm, float(self.norms[at]))
            self.photos[at] = photo_id.bytes
            self.applicants[at] = applicant_id.bytes

    def _remove(self, photo_ids) -> None:
        gone = {p.bytes for p in photo_ids} & self.position.keys()
        if not gone:
            return
        keep = np.array(sorted(i for key, i in self.position.items() if key not in gone), dtype=np.int64)
        for name in ("matrix", "norms", "photos", "applicants"):
            array = getattr(self, name)
            array[: len(keep)] = array[keep]
        self.size = len(keep)
        self.position = {bytes(self.photos[i]): i for i in range(self.size)}

    def refresh(self) -> None:
        """Take up what was stored since the last look; reconcile with the store now and then."""
        now = timezone.now()
        window = self.synced_at - OVERLAP
        stamps = dict(
            PhotoAnalysis.objects.filter(has_embedding=True, embedded_at__gte=window).values_list(
                "photo_id", "embedded_at"
            )
        )
        changed = [p for p, t in stamps.items() if self.recent.get(p.bytes) != t]
        if changed:
            self._add(list(self._rows(changed)))
        self.recent = {p.bytes: t for p, t in stamps.items() if t >= now - OVERLAP}
        self.synced_at = now
        if time.monotonic() - self.compacted_at > COMPACT_SECONDS:
            stored = {
                p.bytes for p in PhotoAnalysis.objects.filter(has_embedding=True).values_list("photo_id", flat=True)
            }
            self._remove([uuid.UUID(bytes=key) for key in self.position.keys() - stored])
            missed = [uuid.UUID(bytes=key) for key in stored - self.position.keys()]
            for start in range(0, len(missed), CHUNK):
                self._add(list(self._rows(missed[start : start + CHUNK])))
            self.compacted_at = time.monotonic()

    @staticmethod
    def _rows(photo_ids):
        return PhotoAnalysis.objects.filter(photo_id__in=photo_ids, has_embedding=True).values_list(
            "photo_id", "applicant_id", "embedding"
        )

    # Searching --------------------------------------------------------------------------------

    def nearest(self, vector, *, max_distance: float, limit: int = 10, exclude_applicant=None) -> list[Match]:
        """Stored faces within max_distance, nearest first, confirmed present in the store."""
        with self.lock:
            self.refresh()
            found = self._scan(np.asarray(vector, dtype=np.float32), max_distance, limit, exclude_applicant)
            present = set(
                PhotoAnalysis.objects.filter(photo_id__in=[m.photo_id for m in found], has_embedding=True).values_list(
                    "photo_id", flat=True
                )
            )
            stale = {m.photo_id for m in found} - present
            if stale:  # purged or erased since: never a match, and out of memory at once
                self._remove(stale)
            return [m for m in found if m.photo_id in present]

    def _scan(self, vector, max_distance, limit, exclude_applicant) -> list[Match]:
        n = self.size
        if not n:
            return []
        # |a - b|² as |a|² - 2a·b + |b|²: one product for all rows, but off by its rounding (near a
        # distance of 0 its square root is off by about 1e-3). Candidates are taken with that margin,
        # then their distances computed directly.
        own = float(vector @ vector)
        squared = self.norms[:n] - 2 * (self.matrix[:n] @ vector) + own
        hits = np.flatnonzero(squared <= max_distance**2 + ROUNDING * (self.largest_norm + own))
        if exclude_applicant is not None and len(hits):
            hits = hits[self.applicants[hits] != np.void(exclude_applicant.bytes)]
        if len(hits) > limit * 4:  # only the nearest few matter: a partial sort
            hits = hits[np.argpartition(squared[hits], limit * 4)[: limit * 4]]
        distances = np.linalg.norm(self.matrix[hits] - vector, axis=1)
        order = np.argsort(distances)
        return [
            Match(
                float(distances[j]),
                uuid.UUID(bytes=bytes(self.photos[hits[j]])),
                uuid.UUID(bytes=bytes(self.applicants[hits[j]])),
            )
            for j in order
            if distances[j] <= max_distance
        ]

    @property
    def bytes_held(self) -> int:
        return sum(a.nbytes for a in (self.matrix, self.norms, self.photos, self.applicants))


def _grown(array: np.ndarray, capacity: int) -> np.ndarray:
    grown = np.zeros((capacity, *array.shape[1:]), dtype=array.dtype)
    grown[: len(array)] = array
    return grown


_index: FaceIndex | None = None
_index_lock = threading.Lock()


def get_index(*, wait: float | None = None) -> FaceIndex | None:
    """The process's index, built on first use; with `wait`, None if it is not ready in that time
    (another thread is building it)."""
    global _index
    with _index_lock:
        if _index is None:
            _index = FaceIndex()
            starter = True
        else:
            starter = False
    if starter:
        try:
            _index.build()
        except BaseException:
            with _index_lock:
                _index = None
            raise
        return _index
    index = _index
    return index if index.ready.wait(wait) else None


def preload() -> None:
    """Build the index in the background as the process starts (the faces queue's workers)."""

    def build():
        try:
            get_index()
        except Exception:
            logger.exception("face index: building failed; the first search tries again")
        finally:
            close_old_connections()

    threading.Thread(target=build, name="face-index", daemon=True).start()


def forget() -> None:
    """Drop the process's index (tests; a key rotation re-reads it)."""
    global _index
    with _index_lock:
        _index = None
