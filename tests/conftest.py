import io
from pathlib import Path

import pytest
from PIL import Image

from tests.idcards import make_id_card

FACES = Path(__file__).parent / "fixtures" / "faces"


def face(name) -> Path:
    return FACES / f"{name}.jpg"


def face_bytes(name) -> bytes:
    return face(name).read_bytes()


_cards = {}


def id_card_bytes(name, **kwargs) -> bytes:
    """A test ID card carrying the portrait from `name`'s photo (cached: detection is not free)."""
    key = (name, tuple(sorted(kwargs.items())))
    if key not in _cards:
        _cards[key] = make_id_card(face(name), **kwargs)
    return _cards[key]


def jpeg_bytes(image: Image.Image, **save_kwargs) -> bytes:
    out = io.BytesIO()
    image.save(out, "JPEG", **save_kwargs)
    return out.getvalue()


@pytest.fixture
def staff_user(django_user_model):
    """A reviewer: staff who can view cases and photos and decide."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("reviewer", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(Permission.objects.filter(
        content_type__app_label="onboarding",
        codename__in=["view_verification", "view_photo", "view_check", "view_auditevent", "view_applicant",
                      "view_decision", "decide_verification"]))
    return user
