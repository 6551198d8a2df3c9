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


def selfie_from_afar(name, face_side: int) -> bytes:
    """`name`'s photo shrunk so that its face's box is about `face_side` px, on a 2,000 x 1,500
    textured background: a selfie taken from afar, as a phone sends it."""
    import numpy as np

    from vendors.analysis import analyse

    whole = Image.open(face(name)).convert("RGB")
    k = face_side / analyse(face_bytes(name), selfie=True, embedding=False).face.width
    ramp = np.linspace(60, 200, 2000, dtype=np.float32)[None, :, None] * np.ones((1500, 1, 3), np.float32)
    room = np.clip(ramp + np.random.default_rng(7).normal(0, 12, (1500, 2000, 3)), 0, 255).astype(np.uint8)
    far = Image.fromarray(room)
    shrunk = whole.resize((round(whole.width * k), round(whole.height * k)), Image.LANCZOS)
    far.paste(shrunk, (1000 - shrunk.width // 2, 750 - shrunk.height // 2))
    return jpeg_bytes(far, quality=90)


def with_last_scan_repeated(jpeg: bytes, times: int) -> bytes:
    """A progressive JPEG with its last scan (a few bytes in a flat picture) repeated before EOI:
    each scan revisits every block, so thousands cost seconds of CPU to decode (LJT-01-003)."""
    last = jpeg.rfind(b"\xff\xda")
    return jpeg[:-2] + jpeg[last:-2] * times + jpeg[-2:]


@pytest.fixture
def staff_user(django_user_model):
    """A reviewer: staff who can view cases and photos and decide."""
    from django.contrib.auth.models import Permission

    user = django_user_model.objects.create_user("reviewer", password="pw-for-tests-only", is_staff=True)
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="onboarding",
            codename__in=[
                "view_verification",
                "view_photo",
                "view_check",
                "view_auditevent",
                "view_applicant",
                "view_decision",
                "decide_verification",
            ],
        )
    )
    return user


# The vendor sandbox ------------------------------------------------------------------
# Marker credentials: tests that look for leaked secrets search for these strings.
SANDBOX_CREDENTIALS = dict(
    ACEDATA_TOKEN="acedata-token-MARKER-7f3a",
    BAIDU_API_KEY="baidu-ak-MARKER-1c9e",
    BAIDU_SECRET_KEY="baidu-sk-MARKER-55d2",
    LINKFACE_API_ID="linkface-id-MARKER-0b7d",
    LINKFACE_API_SECRET="linkface-secret-MARKER-9e41",
    TENCENT_APPID="1250000001",
    TENCENT_SECRET_ID="tencent-sid-MARKER-3a8f",
    TENCENT_SECRET_KEY="tencent-skey-MARKER-c6b0",
)


def sandbox_credentials_by_vendor() -> dict[str, dict[str, str]]:
    """SANDBOX_CREDENTIALS as KYC_VENDORS takes them: {"baidu": {"API_KEY": ...}} (a fresh dict)."""
    grouped = {}
    for name, value in SANDBOX_CREDENTIALS.items():
        vendor, _, key = name.partition("_")
        grouped.setdefault(vendor.lower(), {})[key] = value
    return grouped


@pytest.fixture(scope="session")
def sandbox_server():
    from vendors.sandbox.app import Credentials, SandboxApp, serve

    app = SandboxApp(Credentials(sandbox_credentials_by_vendor()))
    server, url = serve(app)
    yield app, url
    server.shutdown()


class Sandbox:
    def __init__(self, app, url):
        self.app, self.url = app, url

    def fault(self, vendor, *queue, sticky=None, **options):
        import requests

        body = {"vendor": vendor, "queue": list(queue), **options}
        if sticky is not None:
            body["sticky"] = sticky
        requests.post(f"{self.url}/_sandbox/faults", json=body, timeout=5).raise_for_status()

    def calls(self):
        import requests

        return requests.get(f"{self.url}/_sandbox/calls", timeout=5).json()


@pytest.fixture
def sandbox(sandbox_server, settings):
    """The sandbox on loopback, with the adapters' settings pointing at it and fresh counters."""
    import requests
    from django.core.cache import cache

    app, url = sandbox_server
    requests.post(f"{url}/_sandbox/reset", timeout=5).raise_for_status()
    app.state.baidu_tokens.clear()
    app.state.timeout_seconds = 30.0
    cache.clear()
    # The vendors' settings as an operator's KYC_VENDORS would give them (a fresh dict: tests change it).
    vendors = sandbox_credentials_by_vendor()
    for name in ("acedata", "baidu", "linkface"):
        vendors[name]["BASE_URL"] = url
    vendors["tencent"].update(LEGACY_BASE_URL=url, API_ENDPOINT=url)
    settings.KYC_VENDORS = vendors
    return Sandbox(app, url)


@pytest.fixture(autouse=True)
def english_by_default():
    """LocaleMiddleware leaves the last request's language active in the thread; start each test in English."""
    from django.utils import translation

    translation.activate("en")
    yield
    translation.deactivate()


@pytest.fixture
def redis_url():
    """A real Redis, for the tests of our own Redis clients (kyc.broker, kyc.cache)."""
    import os

    import redis

    url = os.environ.get("KYC_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.ConnectionError:
        if os.environ.get("KYC_REQUIRE_SERVICES") == "1":  # CI: a skip would hide a missing service
            pytest.fail(f"no Redis at {url}")
        pytest.skip(f"no Redis at {url}")
    return url


@pytest.fixture(autouse=True)
def fresh_cache():
    """Circuit breakers, attempt limits and tokens live in the cache: no state from one test to the next."""
    from django.core.cache import cache

    from onboarding.services.policy import versions
    from vendors import baidu

    cache.clear()
    baidu._tokens_read.clear()  # the token as this process last read it from the cache
    versions.forget()  # the policy in force as this process last read it (the database is new)
    yield
