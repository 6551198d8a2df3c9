"""Keep secrets and image bytes out of logs, stored responses and error messages."""

import hashlib
import logging
import re

SECRET_KEYS = {
    "access_token",
    "api_secret",
    "client_secret",
    "secret_key",
    "secretkey",
    "token",
    "authorization",
    "skey",
    "x_device_id",
    "refresh_token",
    "session_key",
    "session_secret",
}
IMAGE_KEYS = {"image", "register_image", "dec_image", "data", "selfie_file", "liveness_data_file", "image_base64"}
# Long base64 runs are image or liveness data, whatever key carries them.
LONG_BLOB = 256
_QUERY_SECRET = re.compile(r"((?:access_token|api_secret|client_secret|client_id|api_id)=)[^&\s\"']+", re.I)
_BEARER = re.compile(r"(Bearer\s+)[A-Za-z0-9._~+/=-]+", re.I)


def _blob(value: str) -> str:
    return f"<redacted {len(value)} chars sha256:{hashlib.sha256(value.encode()).hexdigest()[:12]}>"


def redact(value, key=""):
    """A copy of a JSON-like value with secrets replaced and blobs summarised."""
    k = key.lower()
    if isinstance(value, dict):
        return {name: redact(v, str(name)) for name, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    if isinstance(value, (bytes, bytearray)):
        return f"<redacted {len(value)} bytes>"
    if isinstance(value, str):
        if k in SECRET_KEYS:
            return "***"
        if k in IMAGE_KEYS and value:
            return _blob(value)
        if len(value) > LONG_BLOB and " " not in value:
            return _blob(value)
        return redact_text(value)
    return value


def redact_text(text: str) -> str:
    """Secrets that travel in URLs (Baidu access_token, LinkFace api_secret) and bearer tokens."""
    return _BEARER.sub(r"\1***", _QUERY_SECRET.sub(r"\1***", text))


class RedactingFilter(logging.Filter):
    """Installed on every log handler: nothing logged may carry a vendor secret in a URL."""

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - a broken record is not ours to fix
            return True
        cleaned = redact_text(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True
