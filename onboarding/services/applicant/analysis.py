"""Each stored photo analysed once (vendors.analysis), kept with it, reused by every check.

The quality, compare and liveness checks of the local engine and the duplicate scan all read the
photo's one analysis; the first that needs it makes it and keeps it, and one being completed (its
embedding or its text added, under a claim) is waited for. It is valid for
the stored image it was made from (its SHA-256, computed here from what we stored: nothing a client
sends) and the engine that made it. The largest face's embedding is a biometric template: it and
the rest are encrypted like the photo, bound to the photo's id, and deleted with its file
(retention, erasure).
"""

from __future__ import annotations

import json
import logging
import time

import numpy as np
from django.conf import settings
from django.db import IntegrityError, InterfaceError, OperationalError, transaction
from django.utils import timezone

from onboarding import encryption
from onboarding.models import Photo, PhotoAnalysis
from onboarding.services.policy import versions
from onboarding.storage import read_file
from vendors.analysis import Analysis, add_embedding, add_text, analyse
from vendors.base import CheckKind
from vendors.engine import engine_version
from vendors.registry import BACKENDS, get_backend

logger = logging.getLogger(__name__)
# An analysis takes well under a second: a claim older than this was a dead process's.
CLAIM_SECONDS = 30
WAIT_STEP = 0.05  # between looks at a claimed analysis: each is a query


def _embedding_name(photo_id) -> str:
    # Authenticated data: a blob copied onto another photo's row does not decrypt.
    return f"face-template/{photo_id}"


def _data_name(photo_id) -> str:
    return f"photo-analysis/{photo_id}"


def encode_embedding(photo_id, vector) -> bytes:
    return encryption.encrypt(np.asarray(vector, dtype="<f4").tobytes(), name=_embedding_name(photo_id))


def decode_embedding(photo_id, blob) -> np.ndarray:
    return np.frombuffer(encryption.decrypt(bytes(blob), name=_embedding_name(photo_id)), dtype="<f4")


def _decode(row: PhotoAnalysis, photo: Photo) -> Analysis | None:
    """The row's analysis if it is one of this image by this engine."""
    if not row.data or row.sha256 != photo.sha256 or row.engine != engine_version():
        return None
    data = json.loads(encryption.decrypt(bytes(row.data), name=_data_name(photo.pk)))
    embedding = decode_embedding(photo.pk, row.embedding) if row.has_embedding else None
    return Analysis.from_dict(data, embedding)


def stored_analysis(photo: Photo) -> Analysis | None:
    """The photo's analysis if it was made already (nothing is computed)."""
    row = PhotoAnalysis.objects.filter(photo=photo).first()
    return None if row is None else _decode(row, photo)


def analysis_of(photo: Photo, *, embedding: bool = True, text: bool = False) -> Analysis:
    """The photo's analysis (with the largest face's embedding unless embedding=False, with the
    text on it if text=True): the stored one, else the one another process is making (waited for),
    else made here and stored.

    While the database cannot be reached (a restart, a failover) it is made here and not kept: the
    check goes on, and its answer waits for the database (pipeline.checks), rather than fail."""
    try:
        return _kept_analysis(photo, embedding, text)
    except (OperationalError, InterfaceError) as exc:
        logger.warning("photo %s: analysed without keeping it, database unreachable (%s)", photo.pk, type(exc).__name__)
        return _complete(None, photo, read_file(photo), embedding, text)


def _enough(found: Analysis, embedding: bool, text: bool) -> bool:
    return (found.complete or not embedding) and (found.has_text or not text)


def _row(photo: Photo, *, again: bool) -> PhotoAnalysis | None:
    """The photo's analysis row, None without one. On the first look, the one loaded with the photo
    when it was (the claim of a case's checks selects it; what is stored here is kept there too):
    a query fewer for each photo of a case."""
    if not again and Photo.analysis.related.is_cached(photo):
        return Photo.analysis.related.get_cached_value(photo)
    return PhotoAnalysis.objects.filter(photo=photo).first()


def _kept_analysis(photo: Photo, embedding: bool, text: bool) -> Analysis:
    deadline = time.monotonic() + CLAIM_SECONDS
    again = False
    while True:
        row, again = _row(photo, again=again), True
        if row is None and not text:
            return _first(photo, embedding)
        if row is None:  # the text (seconds of OCR) is made under a claim: one process reads it
            row = PhotoAnalysis(photo=photo, applicant_id=photo.applicant_id, claimed_at=timezone.now())
            try:
                with transaction.atomic():
                    row.save()
            except IntegrityError:  # another process claimed it first
                continue
            return _make(photo, row, None, embedding, text)
        found = _decode(row, photo)
        if found is not None and _enough(found, embedding, text):
            return found
        claimed = row.claimed_at
        if claimed and (timezone.now() - claimed).total_seconds() < CLAIM_SECONDS and time.monotonic() < deadline:
            time.sleep(WAIT_STEP)  # being made
            continue
        # Not made, out of date, or its maker died: take the claim over (one process wins).
        if PhotoAnalysis.objects.filter(pk=row.pk, claimed_at=claimed).update(claimed_at=timezone.now()):
            return _make(photo, row, found, embedding, text)


def _first(photo: Photo, embedding: bool) -> Analysis:
    """A photo's first analysis, made, then kept in one statement: no claim first (it costs a
    commit, and the analysis a few tens of ms). Another process that looks meanwhile makes it too;
    the one kept first is kept (the same image, by the same engine)."""
    analysis = _complete(None, photo, read_file(photo), embedding, False)
    row = PhotoAnalysis(photo=photo, applicant_id=photo.applicant_id, **_values(photo, analysis))
    try:
        with transaction.atomic():
            row.save()
    except IntegrityError:  # made or claimed meanwhile by another process, which keeps its own
        if Photo.analysis.related.is_cached(photo):
            Photo.analysis.related.delete_cached_value(photo)  # the next look reads that row
        return analysis
    except (OperationalError, InterfaceError) as exc:  # made: use it; the next check makes it again
        logger.warning("photo %s: analysis not kept, database unreachable (%s)", photo.pk, type(exc).__name__)
        return analysis
    Photo.analysis.related.set_cached_value(photo, row)
    return analysis


def _complete(found: Analysis | None, photo: Photo, image: bytes, embedding: bool, text: bool) -> Analysis:
    """What is missing made: the analysis, the embedding, the text."""
    portrait = photo.kind != Photo.Kind.ID_CARD_BACK  # a back has none to tell its turn: its text does
    if found is None:
        found = analyse(image, selfie=photo.kind == Photo.Kind.SELFIE, embedding=embedding, turns=portrait)
    elif embedding:
        found = add_embedding(found, image)
    return add_text(found, image, portrait=portrait) if text else found


def _make(photo: Photo, row: PhotoAnalysis, found: Analysis | None, embedding: bool, text: bool) -> Analysis:
    try:
        analysis = _complete(found, photo, read_file(photo), embedding, text)
    except BaseException:
        PhotoAnalysis.objects.filter(pk=row.pk).update(claimed_at=None)  # the next one tries again
        raise
    try:
        store(photo, analysis, row)
    except (OperationalError, InterfaceError) as exc:  # made: use it; the next check makes it again
        logger.warning("photo %s: analysis not kept, database unreachable (%s)", photo.pk, type(exc).__name__)
    return analysis


def store(photo: Photo, analysis: Analysis, row: PhotoAnalysis | None = None) -> None:
    """Keep the analysis with the photo (its row exists: analysis_of claimed it), encrypted; `row`,
    that row as loaded, is updated to match and kept on the photo for the next check's look."""
    values = _values(photo, analysis)
    PhotoAnalysis.objects.filter(photo=photo).update(**values)
    if row is not None:
        for field, value in values.items():
            setattr(row, field, value)
        Photo.analysis.related.set_cached_value(photo, row)


def _values(photo: Photo, analysis: Analysis) -> dict:
    """The analysis as its row keeps it, encrypted and bound to the photo, unclaimed."""
    vector = analysis.embedding
    return {
        "sha256": photo.sha256,
        "engine": analysis.engine,
        "has_embedding": vector is not None,
        "embedding": encode_embedding(photo.pk, vector) if vector is not None else b"",
        "embedded_at": timezone.now() if vector is not None else None,
        "data": encryption.encrypt(json.dumps(analysis.as_dict()).encode(), name=_data_name(photo.pk)),
        "claimed_at": None,
    }


def embedding_needed() -> bool:
    """Whether the duplicate scan or a local compare or liveness check will ask for embeddings."""
    if settings.KYC_DUPLICATE_SCAN:
        return True
    policy = versions.active()
    for kind in (CheckKind.COMPARE, CheckKind.LIVENESS):
        if any(name in BACKENDS and get_backend(name).reads_analysis for name in policy.route(kind).every_vendor):
            return True
    return False


def text_needed(photo: Photo) -> bool:
    """Whether the case's document check will read this photo's text with the local engine."""
    if photo.kind not in (Photo.Kind.ID_CARD, Photo.Kind.ID_CARD_BACK):
        return False
    route = versions.active().route(CheckKind.DOCUMENT)
    return any(name in BACKENDS and get_backend(name).reads_analysis for name, _weight in route.vendors)


def analyse_upload(photo_id) -> None:
    """A photo taken on the capture page, analysed on a worker as soon as it is stored: the page's
    checklist reads the analysis, and the case's checks reuse it; a card is read too (the document
    check then does not wait for it). Safe to run twice."""
    photo = Photo.objects.filter(pk=photo_id, purged_at__isnull=True).first()
    if photo is None:
        return
    analysis_of(photo, embedding=False)  # what the checklist needs, first
    embedding = embedding_needed() and photo.kind != Photo.Kind.ID_CARD_BACK  # no portrait on a back
    text = text_needed(photo)
    if embedding or text:
        analysis_of(photo, embedding=embedding, text=text)


def reencrypt() -> int:
    """Key rotation (kyc_reencrypt): analyses under an older key get the newest one."""
    rows = PhotoAnalysis.objects.exclude(data=b"", has_embedding=False).only("id", "photo_id", "embedding", "data")
    return encryption.reencrypt_rows(
        rows, {"embedding": lambda r: _embedding_name(r.photo_id), "data": lambda r: _data_name(r.photo_id)}
    )
