"""Adapters read the payloads printed in the vendors' own documents (../shared/seeds)."""

import base64
import hashlib
import hmac

import pytest

from vendors.base import CheckKind
from vendors.exceptions import BadInputError, ConfigurationError, PermanentVendorError, RetryableVendorError
from vendors.redaction import redact, redact_text
from vendors.registry import get_backend
from vendors.tencent import legacy_signature


def test_acedata_documented_success():
    result = get_backend("acedata").parse(200, {"score": 0, "face_model_version": "3.0"})
    assert result.score == 0 and result.passed is False and result.threshold == 40


def test_acedata_documented_error():
    body = {
        "success": False,
        "error": {"code": "api_error", "message": "fetch failed"},
        "trace_id": "2cf86e86-22a4-46e1-ac2f-032c0f2a4e89",
    }
    with pytest.raises(RetryableVendorError) as info:
        get_backend("acedata").parse(500, body)
    assert info.value.code == "api_error" and info.value.vendor_request_id == body["trace_id"]


@pytest.mark.parametrize(
    "status,code,cls",
    [
        (400, "token_mismatched", ConfigurationError),
        (400, "api_not_implemented", ConfigurationError),
        (401, "invalid_token", ConfigurationError),
        (429, "too_many_requests", RetryableVendorError),
        (500, "api_error", RetryableVendorError),
        (402, "used_up", ConfigurationError),
        (418, "something_new", PermanentVendorError),
        (503, "something_new", RetryableVendorError),
    ],
)
def test_acedata_error_codes(status, code, cls):
    with pytest.raises(cls):
        get_backend("acedata").parse(status, {"success": False, "error": {"code": code, "message": ""}})


BAIDU_DOC_SUCCESS = {
    "log_id": 1370585066551377920,
    "result": {
        "score": 99.06919861,
        "face_list": [
            {"face_token": "549f9f1d1c7ec8c86931540b1939e8ed"},
            {"face_token": "1a319460ef89e8d27fb59062a28dbad7"},
        ],
    },
    "dec_image": "/9j/4AAQSkZJRgABAQAAAQABAAD",
    "risk_level": "3",
    "risk_tag": ["空"],
}


def test_baidu_documented_success():
    result = get_backend("baidu").parse(BAIDU_DOC_SUCCESS, raw=redact(BAIDU_DOC_SUCCESS))
    assert result.passed and result.score == pytest.approx(99.06919861)
    assert result.vendor_request_id == "1370585066551377920"
    assert result.risk_level == "3" and result.risk_tags == []  # "空" means none
    assert result.details["face_tokens"][1] == "1a319460ef89e8d27fb59062a28dbad7"
    assert result.raw_response["dec_image"].startswith("<redacted")  # a decrypted face is image data


@pytest.mark.parametrize(
    "code,cls,applicant",
    [
        (18, RetryableVendorError, None),
        (282000, RetryableVendorError, None),
        (4, ConfigurationError, None),
        (17, ConfigurationError, None),
        (19, ConfigurationError, None),
        (110, ConfigurationError, None),
        (111, ConfigurationError, None),
        (222202, BadInputError, "no_face"),
        (222203, BadInputError, "no_face"),
        (223113, BadInputError, "face_occluded"),
        (223114, BadInputError, "blurry"),
        (223115, BadInputError, "too_dark"),
        (223116, BadInputError, "face_incomplete"),
        (216201, BadInputError, "bad_image"),
        (222304, PermanentVendorError, None),
        (216100, PermanentVendorError, None),
        (999999, PermanentVendorError, None),
    ],
)
def test_baidu_error_codes(code, cls, applicant):
    from vendors.messages import APPLICANT_MESSAGES

    with pytest.raises(cls) as info:
        get_backend("baidu").parse({"error_code": code, "error_msg": "x", "log_id": 1, "result": None})
    assert type(info.value) is cls
    if applicant:
        assert info.value.applicant_message == APPLICANT_MESSAGES[applicant]


def test_baidu_sdk_timeout_string_code():
    with pytest.raises(PermanentVendorError):
        get_backend("baidu").parse({"error_code": "SDK108", "error_msg": "connection or read data timeout"})


def test_baidu_liveness_failure_is_a_failed_check_not_an_error():
    result = get_backend("baidu").parse({"error_code": 223120, "error_msg": "liveness check fail", "log_id": 7})
    assert result.passed is False and result.reasons[0].code == "liveness_failed"


def test_linkface_documented_success_with_string_scores():
    body = {
        "request_id": "TID8bf47ab6eda64476973cc5f5b6ebf57e",
        "status": "OK",
        "hack_score": "0.12",
        "verify_score": "0.93",
        "liveness_data_id": "abc",
        "image_id": "def",
    }
    result = get_backend("linkface").parse(CheckKind.COMPARE, 200, body)
    assert result.score == 0.93 and result.passed and result.details["hack_score"] == 0.12
    live = get_backend("linkface").parse(CheckKind.LIVENESS, 200, dict(body, hack_score=0.12, verify_score=0.93))
    assert live.score == 0.12 and live.passed


@pytest.mark.parametrize(
    "status,code,cls",
    [
        (400, "DOWNLOAD_TIMEOUT", RetryableVendorError),
        (400, "NO_FACE_DETECTED", BadInputError),
        (400, "CORRUPT_IMAGE", BadInputError),
        (400, "INVALID_IMAGE_FORMAT_OR_SIZE", BadInputError),
        (400, "WRONG_LIVENESS_DATA", BadInputError),
        (400, "INVALID_ARGUMENT", PermanentVendorError),
        (400, "ENCODING_ERROR", PermanentVendorError),
        (400, "IMAGE_ID_NOT_EXIST", PermanentVendorError),
        (401, "UNAUTHORIZED", ConfigurationError),
        (401, "KEY_EXPIRED", ConfigurationError),
        (403, "RATE_LIMIT_EXCEEDED", RetryableVendorError),
        (403, "NO_PERMISSION", ConfigurationError),
        (403, "OUT_OF_QUOTA", ConfigurationError),
        (404, "NOT_FOUND", ConfigurationError),
        (500, "INTERNAL_ERROR", RetryableVendorError),
    ],
)
def test_linkface_error_codes(status, code, cls):
    body = {"status": code, "image": "selfie_file", "request_id": "TID8bf47ab6eda64476973cc5f5b6ebf57e"}
    with pytest.raises(cls) as info:
        get_backend("linkface").parse(CheckKind.LIVENESS, status, body)
    assert info.value.vendor_request_id == body["request_id"]


def test_tencent_legacy_documented_success():
    result = get_backend("tencent").parse_legacy({"data": {"score": 30}, "code": 0, "message": "OK"})
    assert result.score == 30 and result.passed is False and result.threshold == 87


def test_tencent_legacy_threshold_is_strict(settings):
    assert get_backend("tencent").parse_legacy({"data": {"score": 87}, "code": 0, "message": "OK"}).passed is False
    assert get_backend("tencent").parse_legacy({"data": {"score": 88}, "code": 0, "message": "OK"}).passed is True


@pytest.mark.parametrize(
    "code,cls",
    [
        (3, ConfigurationError),
        (4, ConfigurationError),
        (5, ConfigurationError),
        (6, ConfigurationError),
        (9, ConfigurationError),
        (10, ConfigurationError),
        (11, ConfigurationError),
        (12, ConfigurationError),
        (13, RetryableVendorError),
        (14, ConfigurationError),
        (15, RetryableVendorError),
        (16, ConfigurationError),
        (21, PermanentVendorError),
        (23, PermanentVendorError),
        (107, RetryableVendorError),
        (108, RetryableVendorError),
        (213, RetryableVendorError),
        (-4015, BadInputError),
        (-4016, BadInputError),
        (-5805, PermanentVendorError),
    ],
)
def test_tencent_legacy_error_codes(code, cls):
    with pytest.raises(cls):
        get_backend("tencent").parse_legacy({"code": code, "message": "x", "data": {}})


def test_tencent_cloud_documented_reply(settings):
    settings.KYC_VENDORS = {"tencent": {"MODE": "cloud"}}
    body = {"Response": {"Score": 97.2, "FaceModelVersion": "3.0", "RequestId": "req-1"}}
    result = get_backend("tencent").parse_cloud(body)
    assert result.score == 97.2 and result.passed and result.vendor_request_id == "req-1"
    with pytest.raises(RetryableVendorError):
        get_backend("tencent").parse_cloud(
            {"Response": {"Error": {"Code": "RequestLimitExceeded", "Message": ""}, "RequestId": "r"}}
        )
    with pytest.raises(ConfigurationError):
        get_backend("tencent").parse_cloud(
            {"Response": {"Error": {"Code": "AuthFailure.SecretIdNotFound", "Message": ""}, "RequestId": "r"}}
        )


def test_tencent_legacy_signature_layout():
    sig = legacy_signature("1000001", "AKIDsecretid", "secretkey", now=1700000000, nonce=42)
    raw = base64.b64decode(sig)
    digest, plain = raw[:20], raw[20:].decode()
    assert plain == "a=1000001&b=&k=AKIDsecretid&e=1700000300&t=1700000000&r=42&f="
    assert digest == hmac.new(b"secretkey", plain.encode(), hashlib.sha1).digest()


def test_redaction_of_urls_tokens_and_blobs():
    assert redact_text("POST /match?access_token=24.abc.2592000&x=1") == "POST /match?access_token=***&x=1"
    assert redact_text("authorization: Bearer abc.def") == "authorization: Bearer ***"
    red = redact({"access_token": "24.x", "image": "a" * 40, "nested": [{"api_secret": "s"}], "score": 1})
    assert red["access_token"] == "***" and red["image"].startswith("<redacted 40 chars")
    assert red["nested"][0]["api_secret"] == "***" and red["score"] == 1
