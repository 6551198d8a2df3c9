"""The vendors' own Python clients, pointed at the sandbox, get correct results and errors.

If the sandbox answers them the way the real services do, it can stand in for those services,
and our adapters, tested against the same sandbox, speak the same protocol.
"""

import base64

import pytest

from onboarding.services.applicant.images import normalize_image
from tests.conftest import SANDBOX_CREDENTIALS as C
from tests.conftest import face_bytes, id_card_bytes


def b64(data):
    return base64.b64encode(normalize_image(data).data).decode()


@pytest.fixture
def aip(sandbox):
    from aip import AipFace

    client = AipFace("1234567", C["BAIDU_API_KEY"], C["BAIDU_SECRET_KEY"])
    # The client hard-codes its hosts in name-mangled class attributes.
    client._AipBase__accessTokenUrl = f"{sandbox.url}/oauth/2.0/token"
    client._AipFace__faceMatchUrlV4 = f"{sandbox.url}/rest/2.0/face/v4/mingjing/match"
    client._AipFace__matchUrl = f"{sandbox.url}/rest/2.0/face/v3/match"
    return client


def test_baidu_aip_face_match_v4(aip, sandbox):
    same = aip.faceMingJingMatch(
        b64(face_bytes("obama_1")),
        "BASE64",
        b64(id_card_bytes("obama_2")),
        "BASE64",
        {"register_face_type": "CERT", "liveness_control": "NORMAL", "get_liveness_score": "1"},
    )
    assert same["error_code"] == 0 and same["result"]["score"] > 80
    assert "liveness_score" in same["result"]["face_list"][0]
    other = aip.faceMingJingMatch(b64(face_bytes("biden_1")), "BASE64", b64(id_card_bytes("obama_2")), "BASE64")
    assert other["error_code"] == 0 and other["result"]["score"] < 80
    # The client found brain_all_scope in the token's scope, so it used the token, not BCE signing.
    assert aip._isCloudUser is False
    assert sandbox.calls()["calls"]["baidu_token"] == 1


def test_baidu_aip_match_v3(aip):
    result = aip.match(
        [
            {"image": b64(face_bytes("leslie_1")), "image_type": "BASE64", "face_type": "LIVE"},
            {"image": b64(id_card_bytes("leslie_2")), "image_type": "BASE64", "face_type": "CERT"},
        ]
    )
    assert result["error_code"] == 0 and result["result"]["score"] > 80


def test_baidu_aip_errors(aip, sandbox):
    blank = base64.b64encode(open(__file__, "rb").read()[:100]).decode()
    assert aip.faceMingJingMatch(blank, "BASE64", b64(id_card_bytes("obama_2")), "BASE64")["error_code"] == 216201
    sandbox.fault("baidu", "ratelimit")
    assert (
        aip.faceMingJingMatch(b64(face_bytes("obama_1")), "BASE64", b64(id_card_bytes("obama_2")), "BASE64")[
            "error_code"
        ]
        == 18
    )


def test_baidu_aip_with_wrong_secret_gets_no_token(sandbox):
    from aip import AipFace

    client = AipFace("1234567", C["BAIDU_API_KEY"], "wrong")
    client._AipBase__accessTokenUrl = f"{sandbox.url}/oauth/2.0/token"
    client._AipFace__faceMatchUrlV4 = f"{sandbox.url}/rest/2.0/face/v4/mingjing/match"
    result = client.faceMingJingMatch(b64(face_bytes("obama_1")), "BASE64", b64(id_card_bytes("obama_2")), "BASE64")
    assert result["error_code"] == 110


@pytest.fixture
def iai(sandbox):
    from tencentcloud.common import credential
    from tencentcloud.common.profile.client_profile import ClientProfile
    from tencentcloud.common.profile.http_profile import HttpProfile
    from tencentcloud.iai.v20200303 import iai_client

    def make(secret_key=C["TENCENT_SECRET_KEY"]):
        profile = ClientProfile(httpProfile=HttpProfile(endpoint=sandbox.url.split("://")[1], protocol="http"))
        return iai_client.IaiClient(credential.Credential(C["TENCENT_SECRET_ID"], secret_key), "ap-guangzhou", profile)

    return make


def detect(client, data):
    from tencentcloud.iai.v20200303 import models

    request = models.DetectLiveFaceAccurateRequest()
    request.Image = base64.b64encode(data).decode()
    request.FaceModelVersion = "3.0"
    return client.DetectLiveFaceAccurate(request)


def test_tencentcloud_sdk_detect_live_face_accurate(iai):
    response = detect(iai(), normalize_image(face_bytes("obama_1")).data)
    assert response.Score >= 40 and response.FaceModelVersion == "3.0" and response.RequestId


@pytest.mark.parametrize(
    "case,code",
    [
        ("no_face", "FailedOperation.ImageFacedetectFailed"),
        ("wrong_key", "AuthFailure.SignatureFailure"),
        ("ratelimit", "RequestLimitExceeded"),
    ],
)
def test_tencentcloud_sdk_errors(iai, sandbox, case, code):
    from PIL import Image
    from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException

    from tests.conftest import jpeg_bytes

    data = normalize_image(face_bytes("obama_1")).data
    client = iai("wrong" if case == "wrong_key" else C["TENCENT_SECRET_KEY"])
    if case == "no_face":
        data = jpeg_bytes(Image.new("RGB", (480, 640), (90, 90, 90)))
    if case == "ratelimit":
        sandbox.fault("tencent", "ratelimit")
    with pytest.raises(TencentCloudSDKException) as info:
        detect(client, data)
    assert info.value.code == code and info.value.requestId
