"""What the evaluation commands read: each labelled file as an upload of it is stored (validated,
turned by its EXIF orientation, at most KYC_STORED_IMAGE_MAX_SIDE, JPEG), which is what a check reads."""

from pathlib import Path

from onboarding.services.applicant.images import ImageRejected, normalize_image


def as_stored(path: Path) -> bytes:
    try:
        return normalize_image(path.read_bytes()).data
    except ImageRejected as exc:
        raise ValueError(f"refused as an upload ({exc.code})") from None
