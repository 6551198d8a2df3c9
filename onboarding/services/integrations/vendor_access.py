"""Short-lived signed URLs for vendors that download the image themselves (AceData).

The token is an HMAC-signed, timestamped reference to one photo and one vendor:
unguessable, expiring after KYC_VENDOR_IMAGE_URL_TTL, good for one fetch (a URL copied from an
access log or a proxy is already spent; each vendor attempt gets a new one), and every fetch is
audited.
"""

import secrets

from django.conf import settings
from django.core import signing
from django.urls import reverse

from onboarding.models import Photo
from onboarding.services import limits
from onboarding.services.compliance import audit

SALT = "kyc.vendor-image"


def signed_photo_url(photo, vendor) -> str:
    token = signing.dumps({"p": str(photo.pk), "v": vendor, "n": secrets.token_urlsafe(6)}, salt=SALT, compress=True)
    return settings.PUBLIC_BASE_URL + reverse("onboarding:vendor_image", args=[token])


def fetch_photo(token, *, remote_addr="", user_agent=""):
    """The photo a token grants, or None if the token is forged, expired or the photo is gone."""
    try:
        claims = signing.loads(token, salt=SALT, max_age=settings.KYC_VENDOR_IMAGE_URL_TTL)
    except signing.BadSignature:  # includes SignatureExpired
        return None
    photo = Photo.objects.filter(pk=claims.get("p"), purged_at__isnull=True).first()
    if photo is None:
        return None
    try:  # once: an attempt limit of one per token, atomic on Redis and in the database alike
        limits.attempt(limits.Rule("vendor_image", 1, settings.KYC_VENDOR_IMAGE_URL_TTL + 60), claims.get("n", token))
    except limits.RateLimited:
        return None
    audit.record(
        "vendor_image_fetched",
        actor=audit.Actor.system(f"vendor:{claims.get('v', '')}"),
        applicant_id=photo.applicant_id,
        photo_id=str(photo.pk),
        vendor=claims.get("v", ""),
        remote_addr=remote_addr,
        user_agent=user_agent[:200],
    )
    return photo
