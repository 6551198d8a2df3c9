"""Applicants, their consent and their photos."""

import hashlib

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone

from onboarding import storage
from onboarding.models import Applicant, LivenessDataFile, Photo
from onboarding.services.applicant.images import NormalizedImage, normalize_image
from onboarding.services.compliance import audit
from onboarding.services.errors import Refused
from onboarding.services.identity import documents


def create_applicant(*, consent_version, language="", external_ref="", actor=None, client=None, declared=None):
    """An applicant exists once they have consented; consent time and text version are kept, and
    what they `declared` (identity.documents.declare) with them."""
    with transaction.atomic():
        applicant = Applicant.objects.create(
            external_ref=external_ref,
            language=language,
            client=client,
            consent_given_at=timezone.now(),
            consent_version=consent_version,
        )
        audit.record(
            "consent_given",
            actor=actor or audit.Actor.applicant(applicant),
            applicant_id=applicant.pk,
            consent_version=consent_version,
            language=language,
        )
        if declared:
            documents.declare(applicant, declared, actor=actor or audit.Actor.applicant(applicant))
    return applicant


def add_photo(applicant, kind, uploaded, *, actor=None, uploaded_via=None) -> Photo:
    """Validate and normalise (unless already done), then store. `uploaded_via`: the phone link
    whose phone sent it (onboarding.access).

    Raises images.ImageRejected before anything is written.
    """
    image = uploaded if isinstance(uploaded, NormalizedImage) else normalize_image(uploaded)
    photo = Photo(
        applicant=applicant,
        kind=kind,
        sha256=image.sha256,
        source_sha256=image.source_sha256,
        source_format=image.source_format,
        source_size=image.source_size,
        content_type=image.content_type,
        size=len(image.data),
        width=image.width,
        height=image.height,
        uploaded_via=uploaded_via,
    )
    return _store(
        photo,
        "photo.jpg",
        image.data,
        lambda: audit.record(
            "photo_uploaded",
            actor=actor or audit.Actor.applicant(applicant),
            applicant_id=applicant.pk,
            photo_id=str(photo.pk),
            kind=kind,
            sha256=image.sha256,
            width=image.width,
            height=image.height,
            source_format=image.source_format,
            source_size=image.source_size,
        ),
    )


def _store(instance, name, data: bytes, record):
    """Write the file, the row and its audit event; if the transaction (or an enclosing one) rolls
    back, the file goes too."""
    with storage.atomic():
        instance.file.save(name, ContentFile(data), save=False)
        storage.written(instance.file)
        instance.save()
        record()
    return instance


class LivenessDataRejected(Refused):
    """A vendor SDK's liveness file we cannot store (empty, too large)."""


def add_liveness_data(applicant, data: bytes, *, vendor="linkface", actor=None) -> LivenessDataFile:
    """Store a vendor SDK's liveness file as received: it is encrypted, only the vendor can read it."""
    if not data:
        raise LivenessDataRejected("empty_file", "the liveness data file is empty")
    if len(data) > settings.KYC_MAX_UPLOAD_BYTES:
        raise LivenessDataRejected("file_too_large", "the liveness data file is over the size limit")
    item = LivenessDataFile(applicant=applicant, vendor=vendor, sha256=hashlib.sha256(data).hexdigest(), size=len(data))
    return _store(
        item,
        "liveness.bin",
        data,
        lambda: audit.record(
            "liveness_data_uploaded",
            actor=actor or audit.Actor.applicant(applicant),
            applicant_id=applicant.pk,
            file_id=str(item.pk),
            vendor=vendor,
            sha256=item.sha256,
            size=item.size,
        ),
    )
