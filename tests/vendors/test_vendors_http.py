"""Every adapter over real HTTP against the vendor sandbox: success and each error class."""

import io

import pytest
import requests
from PIL import Image, ImageFilter

from onboarding.services.applicant.images import normalize_image
from tests.conftest import SANDBOX_CREDENTIALS, face_bytes, id_card_bytes, jpeg_bytes
from vendors.base import CheckKind, CheckRequest, ImageInput, ResultStatus, Subject
from vendors.exceptions import BadInputError, ConfigurationError, RetryableVendorError
from vendors.registry import get_backend
from vendors.sandbox import container


def image(data, url=None):
    n = normalize_image(data)
    return ImageInput.of(
        n.data,
        n.content_type,
        n.width,
        n.height,
        n.sha256,
        url_factory=(lambda: url) if url else None,
    )


def compare(selfie="obama_1", card="obama_2"):
    return CheckRequest(
        CheckKind.COMPARE, Subject.PAIR, "test", selfie=image(face_bytes(selfie)), id_card=image(id_card_bytes(card))
    )


def liveness(selfie="obama_1", data=None, url=None, selfie_bytes=None):
    return CheckRequest(
        CheckKind.LIVENESS,
        Subject.SELFIE,
        "test",
        selfie=image(selfie_bytes or face_bytes(selfie), url),
        liveness_data=data,
    )


def blank_photo():
    return jpeg_bytes(Image.new("RGB", (640, 480), (120, 140, 160)))


def no_secrets(value):
    text = repr(value)
    for secret in SANDBOX_CREDENTIALS.values():
        if "MARKER" in secret:
            assert secret not in text
    assert "/9j/" not in text  # no base64 JPEG
    assert "access_token=24." not in text


# Baidu -----------------------------------------------------------------------------
def test_baidu_same_and_different_person(sandbox):
    baidu = get_backend("baidu")
    same = baidu.run(compare("obama_1", "obama_2"))
    assert same.passed and same.score > 80 and same.threshold == 80 and "Baidu" in same.threshold_source
    assert same.vendor_request_id and same.details["selfie_liveness_score"] > 0.3
    other = baidu.run(compare("leslie_1", "biden_2"))
    assert not other.passed and other.score < 60
    assert [r.code for r in other.reasons] == ["face_mismatch"]
    no_secrets(same.raw_response)
    assert sandbox.calls()["calls"]["baidu_token"] == 1  # one token for both calls


def test_baidu_token_is_refreshed_once_after_110(sandbox):
    baidu = get_backend("baidu")
    baidu.run(compare())
    sandbox.app.state.baidu_tokens.clear()  # the vendor forgets every token it issued
    assert baidu.run(compare()).passed
    assert sandbox.calls()["calls"]["baidu_token"] == 2


def test_a_worker_reads_the_shared_token_once_a_minute(sandbox, monkeypatch):
    from django.core.cache import cache

    reads = []
    real_get = cache.get
    monkeypatch.setattr(cache, "get", lambda key, *a, **kw: reads.append(key) or real_get(key, *a, **kw))
    baidu = get_backend("baidu")
    for _ in range(5):
        assert baidu.run(compare()).passed
    assert len([k for k in reads if "baidu:token" in k]) <= 3  # the first call's lookups, under the lock


def test_a_token_another_worker_replaced_costs_one_refused_call(sandbox):
    from vendors.baidu import BaiduBackend

    baidu = get_backend("baidu")
    baidu.run(compare())  # this process holds token A
    sandbox.app.state.baidu_tokens.clear()  # the vendor forgets A...
    other = BaiduBackend()
    other._fetch_token(other._cache_key())  # ...and another worker put B in the shared cache
    sent = []
    real_send = baidu.send
    baidu.send = lambda method, url, **kw: (
        sent.append(url.split("?")[0].rsplit("/", 1)[-1]) or real_send(method, url, **kw)
    )
    try:
        assert baidu.run(compare()).passed
    finally:
        del baidu.send
    assert sent == ["match", "match"]  # A refused (110), then B as read from the cache
    assert sandbox.calls()["calls"]["baidu_token"] == 2  # B was not fetched again


def test_baidu_expired_token_111_is_refreshed(sandbox):
    sandbox.app.state.baidu_token_ttl = 1
    try:
        baidu = get_backend("baidu")
        baidu.run(compare())
        import time

        time.sleep(1.1)
        assert baidu.run(compare()).passed
    finally:
        sandbox.app.state.baidu_token_ttl = 2592000


def test_baidu_bad_credentials_are_a_configuration_error(sandbox, settings):
    settings.KYC_VENDORS["baidu"]["SECRET_KEY"] = "wrong"
    with pytest.raises(ConfigurationError) as info:
        get_backend("baidu").run(compare())
    assert info.value.code == "invalid_client"
    no_secrets(info.value.raw_response)


@pytest.mark.parametrize(
    "fault,code", [("ratelimit", "18"), ("5xx", "malformed_body"), ("malformed", "malformed_body")]
)
def test_baidu_retryable_faults(sandbox, fault, code):
    get_backend("baidu").access_token()
    sandbox.fault("baidu", fault)
    with pytest.raises(RetryableVendorError) as info:
        get_backend("baidu").run(compare())
    assert info.value.code == code


def test_baidu_no_face_tells_the_applicant(sandbox):
    request = CheckRequest(
        CheckKind.COMPARE, Subject.PAIR, "t", selfie=image(blank_photo()), id_card=image(id_card_bytes("obama_2"))
    )
    with pytest.raises(BadInputError) as info:
        get_backend("baidu").run(request)
    assert info.value.code == "222202" and "face" in str(info.value.applicant_message)


def test_baidu_liveness_control_failure_is_a_verdict(sandbox):
    blurred = Image.open(io.BytesIO(face_bytes("obama_1"))).filter(ImageFilter.GaussianBlur(3))
    request = CheckRequest(
        CheckKind.COMPARE, Subject.PAIR, "t", selfie=image(jpeg_bytes(blurred)), id_card=image(id_card_bytes("obama_2"))
    )
    result = get_backend("baidu").run(request)
    assert result.passed is False and [r.code for r in result.reasons] == ["liveness_failed"]


# AceData ------------------------------------------------------------------------------
@pytest.fixture
def served_photo(live_server, settings, transactional_db):
    """A stored selfie and its signed URL, fetched by the sandbox from the live app."""
    from onboarding.services.integrations.vendor_access import signed_photo_url
    from tests.factories import PhotoFactory

    settings.PUBLIC_BASE_URL = live_server.url
    photo = PhotoFactory(kind="selfie", source=face_bytes("obama_1"))
    return photo, signed_photo_url(photo, "acedata")


def test_acedata_fetches_the_signed_url_and_scores(sandbox, served_photo):
    from onboarding.models import AuditEvent

    photo, url = served_photo
    result = get_backend("acedata").run(liveness(url=url))
    assert result.passed and result.score >= 40 and result.threshold == 40
    event = AuditEvent.objects.get(action="vendor_image_fetched")
    assert event.data["photo_id"] == str(photo.pk) and event.data["vendor"] == "acedata"
    no_secrets(result.raw_response)


def test_signed_url_is_unguessable_and_expires(served_photo, settings, client):
    photo, url = served_photo
    path = url.split(settings.PUBLIC_BASE_URL, 1)[1]
    assert client.get(path).status_code == 200
    assert client.get(path).status_code == 404  # single use: a copy from an access log is spent
    assert client.get(path[:-3] + "xyz").status_code == 404
    from onboarding.services.integrations.vendor_access import signed_photo_url

    path = signed_photo_url(photo, "acedata").split(settings.PUBLIC_BASE_URL, 1)[1]
    settings.KYC_VENDOR_IMAGE_URL_TTL = -1
    assert client.get(path).status_code == 404


def test_acedata_errors(sandbox, served_photo, settings):
    _, url = served_photo
    acedata = get_backend("acedata")
    sandbox.fault("acedata", "ratelimit", "5xx", "malformed")
    for expected in ("too_many_requests", "api_error", "malformed_body"):
        with pytest.raises(RetryableVendorError) as info:
            acedata.run(liveness(url=url))
        assert info.value.code == expected
    with pytest.raises(RetryableVendorError) as info:  # the vendor cannot fetch the image
        acedata.run(liveness(url=settings.PUBLIC_BASE_URL + "/vendor-images/forged"))
    assert info.value.code == "api_error" and "fetch failed" in info.value.message
    settings.KYC_VENDORS["acedata"]["TOKEN"] = "wrong"
    with pytest.raises(ConfigurationError) as info:
        acedata.run(liveness(url=url))
    assert info.value.code == "invalid_token"


# LinkFace -----------------------------------------------------------------------------
def frames(*names):
    return container.build([face_bytes(n) for n in names])


def test_linkface_liveness_and_compare(sandbox):
    linkface = get_backend("linkface")
    live = linkface.run(liveness("obama_1", data=frames("obama_2", "obama_1")))
    assert live.passed and live.score < 0.5 and live.details["verify_score"] >= 0.7
    assert live.vendor_request_id.startswith("TID")
    request = CheckRequest(
        CheckKind.COMPARE,
        Subject.PAIR,
        "t",
        selfie=image(face_bytes("obama_1")),
        id_card=image(id_card_bytes("obama_2")),
        liveness_data=frames("obama_2", "obama_1"),
    )
    match = linkface.run(request)
    assert match.passed and match.score >= 0.7 and "1e-4" in match.threshold_source


def test_linkface_catches_a_replayed_still_and_another_person(sandbox):
    linkface = get_backend("linkface")
    still = linkface.run(liveness("obama_1", data=frames("obama_2", "obama_2", "obama_2")))
    assert not still.passed and "liveness_failed" in [r.code for r in still.reasons]
    other = linkface.run(liveness("obama_1", data=frames("biden_1", "biden_2")))
    assert not other.passed and "liveness_person_mismatch" in [r.code for r in other.reasons]


def test_linkface_without_sdk_data_is_not_applicable(sandbox):
    result = get_backend("linkface").run(liveness("obama_1"))
    assert result.status == ResultStatus.NOT_APPLICABLE and result.score is None
    assert sandbox.calls()["calls"] == {}  # nothing was sent


def test_linkface_errors(sandbox, settings):
    linkface = get_backend("linkface")
    sandbox.fault("linkface", "ratelimit", "5xx")
    for code in ("RATE_LIMIT_EXCEEDED", "INTERNAL_ERROR"):
        with pytest.raises(RetryableVendorError) as info:
            linkface.run(liveness(data=frames("obama_2", "obama_1")))
        assert info.value.code == code
    with pytest.raises(BadInputError) as info:
        linkface.run(liveness(data=b"not a container"))
    assert info.value.code == "WRONG_LIVENESS_DATA"
    with pytest.raises(BadInputError) as info:
        linkface.run(liveness(selfie_bytes=blank_photo(), data=frames("obama_2", "obama_1")))
    assert info.value.code == "NO_FACE_DETECTED" and info.value.applicant_message
    settings.KYC_VENDORS["linkface"]["API_SECRET"] = "wrong"
    with pytest.raises(ConfigurationError) as info:
        linkface.run(liveness(data=frames("obama_2", "obama_1")))
    assert info.value.code == "UNAUTHORIZED"
    no_secrets(info.value.raw_response)


# Tencent ---------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["cloud", "legacy"])
def test_tencent_scores_a_live_face(sandbox, settings, mode):
    settings.KYC_VENDORS["tencent"]["MODE"] = mode
    result = get_backend("tencent").run(liveness("obama_1"))
    assert result.passed and result.details["mode"] == mode
    assert result.threshold == (40 if mode == "cloud" else 87)
    if mode == "legacy":
        assert result.details["sent"]["cropped_from"]  # sent at 3:4, as the document asks
        w, h = result.details["sent"]["sent_size"]
        assert abs(w / h - 0.75) < 0.01


@pytest.mark.parametrize(
    "mode,ratelimit,no_face,auth",
    [
        ("cloud", "RequestLimitExceeded", "FailedOperation.ImageFacedetectFailed", "AuthFailure.SignatureFailure"),
        ("legacy", "15", "-4015", "14"),
    ],
)
def test_tencent_errors(sandbox, settings, mode, ratelimit, no_face, auth):
    settings.KYC_VENDORS["tencent"]["MODE"] = mode
    tencent = get_backend("tencent")
    sandbox.fault("tencent", "ratelimit")
    with pytest.raises(RetryableVendorError) as info:
        tencent.run(liveness())
    assert info.value.code == ratelimit
    with pytest.raises(BadInputError) as info:
        tencent.run(liveness(selfie_bytes=blank_photo()))
    assert info.value.code == no_face and info.value.applicant_message
    settings.KYC_VENDORS["tencent"]["SECRET_KEY"] = "wrong"
    with pytest.raises(ConfigurationError) as info:
        tencent.run(liveness())
    assert info.value.code == auth


def test_tencent_cloud_refuses_a_stale_signature(sandbox):
    import time

    from vendors.tencent import tc3_authorization

    payload = b'{"Image": ""}'
    ts = int(time.time()) - 600
    host = sandbox.url.split("://")[1]
    response = requests.post(
        sandbox.url + "/",
        data=payload,
        headers={
            "Content-Type": "application/json",
            "X-TC-Action": "DetectLiveFaceAccurate",
            "X-TC-Version": "2020-03-03",
            "X-TC-Timestamp": str(ts),
            "Authorization": tc3_authorization(
                SANDBOX_CREDENTIALS["TENCENT_SECRET_ID"],
                SANDBOX_CREDENTIALS["TENCENT_SECRET_KEY"],
                service="iai",
                host=host,
                payload=payload,
                timestamp=ts,
            ),
        },
    )
    assert response.headers["Content-Type"] == "application/json"
    assert response.json()["Response"]["Error"]["Code"] == "AuthFailure.SignatureExpire"


def test_timeouts_are_retryable(sandbox, settings):
    settings.KYC_VENDOR_READ_TIMEOUT = 0.5
    sandbox.fault("tencent", "timeout", timeout_seconds=1.5)
    with pytest.raises(RetryableVendorError) as info:
        get_backend("tencent").run(liveness())
    assert info.value.code == "timeout"


def test_unreachable_vendor_is_retryable(settings):
    # The discard port: nothing listens.
    settings.KYC_VENDORS = {"tencent": {"API_ENDPOINT": "http://127.0.0.1:9", "SECRET_ID": "x", "SECRET_KEY": "y"}}
    with pytest.raises(RetryableVendorError) as info:
        get_backend("tencent").run(liveness())
    assert info.value.code == "connection_error"


def test_baidu_token_fetched_once_by_concurrent_workers(sandbox):
    """Eight workers need a token at once: one fetches it under the cache lock, the others wait for it."""
    from concurrent.futures import ThreadPoolExecutor

    sandbox.fault("baidu_token", latency_ms=300)  # a slow token endpoint makes the race real
    baidu = get_backend("baidu")
    with ThreadPoolExecutor(8) as pool:
        tokens = set(pool.map(lambda _: baidu.access_token(), range(8)))
    assert len(tokens) == 1
    assert sandbox.calls()["calls"]["baidu_token"] == 1


def test_a_workers_threads_keep_their_vendor_connections(sandbox, settings, caplog):
    """Sixteen threads (a worker's thread pool) calling one vendor at once: no connection thrown away."""
    from concurrent.futures import ThreadPoolExecutor

    settings.KYC_VENDORS["tencent"]["MODE"] = "cloud"
    sandbox.fault("tencent", latency_ms=300)  # the calls overlap
    tencent, request = get_backend("tencent"), liveness("obama_1")
    with caplog.at_level("WARNING", logger="urllib3.connectionpool"), ThreadPoolExecutor(16) as pool:
        results = list(pool.map(lambda _: tencent.run(request), range(32)))
    assert all(r.passed for r in results)
    # requests' default pool keeps 10 per host: each call beyond closed its connection, then reconnected.
    assert "Connection pool is full" not in caplog.text


def test_per_request_fault_and_latency_headers(sandbox):
    import time

    started = time.monotonic()
    response = requests.post(
        f"{sandbox.url}/face/detect-live",
        json={"image_url": "http://127.0.0.1:9/x"},
        headers={
            "authorization": f"Bearer {SANDBOX_CREDENTIALS['ACEDATA_TOKEN']}",
            "X-Sandbox-Fault": "ratelimit",
            "X-Sandbox-Latency-Ms": "300",
        },
    )
    assert time.monotonic() - started >= 0.3
    assert response.status_code == 429 and response.json()["error"]["code"] == "too_many_requests"


# Error reports ----------------------------------------------------------------------
@pytest.mark.parametrize(
    "vendor, mode, build",
    [
        ("baidu", "", lambda: compare()),
        ("acedata", "", lambda: liveness(url="http://127.0.0.1:9/never-fetched")),
        ("linkface", "", lambda: liveness(data=frames("obama_2", "obama_1"))),
        ("tencent", "cloud", lambda: liveness()),
        ("tencent", "legacy", lambda: liveness()),
    ],
)
def test_no_secret_in_an_error_report_from_inside_a_vendor_call(sandbox, settings, monkeypatch, vendor, mode, build):
    """A bug deep in a vendor call: the report Django mails to ADMINS (DEBUG off) shows no secret.

    (The DEBUG page shows every variable by design; check --deploy keeps DEBUG off in production.)
    """
    from django.views.debug import ExceptionReporter

    settings.DEBUG = False
    if mode:
        settings.KYC_VENDORS["tencent"]["MODE"] = mode
    real = requests.Session.request

    def broken(self, method, url, **kwargs):
        if "/oauth/" in url:  # let Baidu's token through: the report must not show it either
            return real(self, method, url, **kwargs)
        raise RuntimeError("a bug in the HTTP layer")

    monkeypatch.setattr(requests.Session, "request", broken)
    with pytest.raises(RuntimeError) as caught:
        get_backend(vendor).run(build())
    reporter = ExceptionReporter(None, caught.type, caught.value, caught.tb)
    html, text = reporter.get_traceback_html(), reporter.get_traceback_text()
    assert "vendors/http.py" in text and "kwargs" in html  # the frames and their variables are there
    no_secrets(html + text)


def test_json_body_splices_base64_images_and_encodes_the_rest_as_json():
    import base64
    import json

    from vendors.http import json_body
    from vendors.images import b64

    image = bytes(range(256)) * 50
    body = json_body({"image": b64(image), "note": 'quote " backslash \\ 中文', "n": 3, "flags": {"a": [1, None]}})
    decoded = json.loads(body.decode("utf-8"))
    assert base64.b64decode(decoded["image"]) == image
    assert decoded == {
        "image": decoded["image"],
        "note": 'quote " backslash \\ 中文',
        "n": 3,
        "flags": {"a": [1, None]},
    }


def test_the_environments_proxy_settings_are_read_once_per_host(monkeypatch):
    """requests reads HTTPS_PROXY, NO_PROXY and CA bundle variables per request; ours once per host."""
    from vendors.http import Session

    monkeypatch.setenv("HTTPS_PROXY", "http://proxy.internal:3128")
    monkeypatch.setenv("NO_PROXY", "sandbox.internal")
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/kyc-ca.pem")
    session = Session()
    first = session.merge_environment_settings("https://aip.baidubce.com/rest/2.0/x", {}, None, None, None)
    assert first["proxies"]["https"] == "http://proxy.internal:3128" and first["verify"] == "/etc/ssl/kyc-ca.pem"
    assert (
        "https" not in session.merge_environment_settings("https://sandbox.internal/x", {}, None, None, None)["proxies"]
    )
    first["proxies"]["http"] = "changed by a caller"
    monkeypatch.delenv("HTTPS_PROXY")
    again = session.merge_environment_settings("https://aip.baidubce.com/other", {}, None, None, None)
    assert again["proxies"]["https"] == "http://proxy.internal:3128" and "http" not in again["proxies"]  # read once
    explicit = session.merge_environment_settings("https://aip.baidubce.com/x", {}, None, False, None)
    assert explicit["verify"] is False and "https" not in explicit["proxies"]  # explicit: requests' own path


def test_the_sandbox_decodes_a_photo_it_has_seen_once(monkeypatch):
    import base64
    import binascii

    from vendors.sandbox import core as sandbox_app
    from vendors.sandbox import scoring

    data = face_bytes("obama_1")
    text = base64.b64encode(data).decode()
    decodes = []
    real = scoring.base64.b64decode
    monkeypatch.setattr(scoring.base64, "b64decode", lambda *a, **k: decodes.append(1) or real(*a, **k))
    first, again = scoring.decode_base64(text), scoring.decode_base64(text)
    assert len(decodes) == 1 and again.size == first.size and again.digest == first.digest
    assert first.analysis() is again.analysis() and first.analysis().face is not None
    # Work keys are those of the bytes, whichever way they were computed.
    assert sandbox_app.digest_key(first.digest) == sandbox_app.work_key(data)
    scoring._analyses.items.clear()  # forgotten: analysed again from the text
    assert scoring.decode_base64(text).analysis().face is not None and len(decodes) == 2
    with pytest.raises((binascii.Error, ValueError)):
        scoring.decode_base64("not base64!")
