"""The shared HTTP base for vendor adapters (like anymail's AnymailRequestsBackend).

One requests session per backend, connect and read timeouts on every call,
transport failures and 5xx turned into retryable errors, a body that is not JSON
refused, and raw bodies redacted before anything keeps them. Subclasses build an
HttpRequest and read the vendor's own envelope (parse_body).
"""

from __future__ import annotations

import dataclasses
import json
import logging
import time
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter

from .base import CheckKind, CheckResult, VendorBackend
from .exceptions import PermanentVendorError, RetryableVendorError
from .images import Base64
from .redaction import redact

logger = logging.getLogger("vendors.http")


class VendorResponse:
    def __init__(self, response: requests.Response, latency_ms: int):
        self.status = response.status_code
        self.headers = response.headers
        self.latency_ms = latency_ms
        self.text = response.text
        try:
            self.json = response.json()
        except ValueError:
            self.json = None

    def redacted(self):
        return redact(self.json) if self.json is not None else {"unparsed_body": redact(self.text[:500])}


class Session(requests.Session):
    """requests.Session, reading the environment's proxy and CA bundle settings once per host.

    requests reads them for every request, walking all of os.environ for *_proxy variables; a
    worker's environment does not change while it runs.
    """

    def __init__(self):
        super().__init__()
        self._environment = {}  # (scheme, host) -> what requests merged from the environment

    def merge_environment_settings(self, url, proxies, stream, verify, cert):
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        key = urlsplit(url)[:2]
        merged = self._environment.get(key)
        if merged is None:
            merged = self._environment[key] = super().merge_environment_settings(url, {}, None, None, None)
        return {**merged, "proxies": dict(merged["proxies"])}  # requests may add to it


@dataclasses.dataclass
class HttpRequest:
    """What build_request() makes: one HTTP exchange, sent by send_request()."""

    method: str
    path: str  # under the vendor's BASE_URL, or a whole URL
    kind: CheckKind
    params: dict | None = None
    data: dict | bytes | None = None
    files: dict | None = None
    headers: dict = dataclasses.field(default_factory=dict)
    log_path: str = ""  # what the log shows instead of the URL (some vendors put secrets in it)
    notes: dict = dataclasses.field(default_factory=dict)  # how the photos were prepared (details["sent"])
    mode: str = ""  # which of a vendor's protocols (Tencent's two)


class HttpVendorBackend(VendorBackend):
    settings_defaults = {"BASE_URL": ""}

    def __init__(self):
        self.session = Session()
        self.session.headers["User-Agent"] = "kyc/0.1 (+self-hosted KYC onboarding)"
        # A worker's threads share this session. requests keeps 10 connections per host: the 11th
        # thread's connection was thrown away after each call, so a new TCP (and TLS) handshake.
        adapter = HTTPAdapter(pool_maxsize=settings.KYC_VENDOR_HTTP_POOL_SIZE)
        self.session.mount("https://", adapter)
        self.session.mount("http://", adapter)

    @property
    def base_url(self) -> str:
        return self.setting("BASE_URL").rstrip("/")

    def send_request(self, outgoing: HttpRequest) -> VendorResponse:
        url = outgoing.path if "://" in outgoing.path else f"{self.base_url}{outgoing.path}"
        return self.send(
            outgoing.method,
            url,
            log_path=outgoing.log_path,
            params=outgoing.params,
            data=outgoing.data,
            files=outgoing.files,
            headers=outgoing.headers,
        )

    def parse_response(self, response: VendorResponse, outgoing: HttpRequest, request) -> CheckResult:
        return self.parse_body(
            self.require_json(response),
            kind=outgoing.kind,
            status=response.status,
            latency_ms=response.latency_ms,
            raw=response.redacted(),
            outgoing=outgoing,
        )

    def parse_body(self, body, *, kind, status, latency_ms, raw, outgoing) -> CheckResult:
        """The vendor's envelope: a CheckResult, or its error code raised as a vendors.exceptions error."""
        raise NotImplementedError

    @property
    def timeout(self):
        return (settings.KYC_VENDOR_CONNECT_TIMEOUT, settings.KYC_VENDOR_READ_TIMEOUT)

    def send(self, method, url, *, log_path="", **kwargs) -> VendorResponse:
        """One HTTP exchange. Never logs or raises with the URL: some vendors put secrets in it."""
        started = time.monotonic()
        path = log_path or url.split("?", 1)[0]
        try:
            response = self.session.request(method, url, timeout=self.timeout, **kwargs)
        except requests.Timeout:
            raise RetryableVendorError(f"{self.name}: timed out", code="timeout") from None
        except requests.ConnectionError:
            raise RetryableVendorError(f"{self.name}: connection failed", code="connection_error") from None
        except requests.RequestException as exc:
            raise PermanentVendorError(
                f"{self.name}: request failed: {type(exc).__name__}", code="request_error"
            ) from None
        latency = int((time.monotonic() - started) * 1000)
        logger.info("%s %s %s -> %s in %sms", self.name, method, path, response.status_code, latency)
        return VendorResponse(response, latency)

    def require_json(self, response: VendorResponse, *, vendor_request_id=""):
        """A body we cannot parse: a gateway in the way (retry) unless the status says otherwise."""
        if isinstance(response.json, (dict, list)):
            return response.json
        error = RetryableVendorError if response.status >= 500 or response.status == 200 else PermanentVendorError
        raise error(
            f"{self.name}: HTTP {response.status} with a body that is not JSON",
            code="malformed_body",
            http_status=response.status,
            raw_response=response.redacted(),
            vendor_request_id=vendor_request_id,
        )


def dumps(payload) -> str:
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"))


def json_body(payload: dict) -> bytes:
    """A JSON object as UTF-8 bytes, its base64 images (images.Base64) spliced in as they are.

    Base64's alphabet needs no escaping in JSON, so a 0.5 MB image need not go through the
    encoder (which scans and copies it) nor be encoded again.
    """
    members = []
    for key, value in payload.items():
        value = b'"' + value.ascii + b'"' if isinstance(value, Base64) else dumps(value).encode()
        members.append(dumps(key).encode() + b":" + value)
    return b"{" + b",".join(members) + b"}"
