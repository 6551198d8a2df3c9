"""Where webhooks may go: HTTPS to public addresses only, so an API client's endpoint cannot make
kyc reach its own network (server-side request forgery).

Checked twice: when an endpoint is saved (a clear message in the admin) and at every delivery,
where the host is resolved again and every address must be public, and then the address the
connection actually reached is checked too, so a name that resolves to a public address for the
check and to an internal one for the connection (DNS rebinding) is still refused. Redirects are
never followed and the environment's proxy settings are ignored.

KYC_WEBHOOK_ALLOW_HTTP allows plain http (development only); KYC_WEBHOOK_ALLOWED_NETWORKS lists
networks an operator deliberately allows (an internal receiver), and the tests allow loopback.
"""

from __future__ import annotations

import ipaddress
import socket
from urllib.parse import urlsplit

import requests
from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool


class TargetRefused(Exception):
    """A webhook URL or address kyc will not send to; the message says why."""


def _allowed_networks():
    return [ipaddress.ip_network(n, strict=False) for n in settings.KYC_WEBHOOK_ALLOWED_NETWORKS]


def check_address(address: str):
    """Raise TargetRefused unless the address is public (or in an explicitly allowed network)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    if any(ip in network for network in _allowed_networks()):
        return
    if (
        ip.is_loopback
        or ip.is_private
        or ip.is_link_local
        or ip.is_multicast
        or ip.is_reserved
        or ip.is_unspecified
        or not ip.is_global
    ):
        raise TargetRefused(
            _("%(address)s is not a public address (loopback, private, link-local, multicast or reserved).")
            % {"address": ip}
        )


def check_url(url: str, *, resolve: bool = True):
    """Raise TargetRefused unless the URL is https (or allowed http) to a host whose every address is public."""
    parts = urlsplit(url)
    allowed = ("https", "http") if settings.KYC_WEBHOOK_ALLOW_HTTP else ("https",)
    if parts.scheme not in allowed:
        raise TargetRefused(_("Webhook URLs must use https."))
    host = parts.hostname
    if not host:
        raise TargetRefused(_("The URL has no host."))
    if parts.username or parts.password:
        raise TargetRefused(_("The URL must not carry a user name or password."))
    try:
        check_address(host)  # an address literal
        return
    except ValueError:
        pass  # a name
    if not resolve:
        return
    try:
        infos = socket.getaddrinfo(
            host, parts.port or (443 if parts.scheme == "https" else 80), type=socket.SOCK_STREAM
        )
    except (socket.gaierror, UnicodeError):
        raise TargetRefused(_("The host %(host)s does not resolve.") % {"host": host}) from None
    for *_rest, sockaddr in infos:
        check_address(sockaddr[0])


def validate_url(url: str):
    """The model field's validator: the same rules, with the reason as the form's message."""
    try:
        check_url(url)
    except TargetRefused as exc:
        raise ValidationError(str(exc), code="webhook_target") from None


class _CheckedPeer:
    """Checks the address a connection actually reached, before anything is sent on it."""

    def _new_conn(self):
        sock = super()._new_conn()
        try:
            check_address(sock.getpeername()[0])
        except TargetRefused:
            sock.close()
            raise
        return sock


class _HTTPConnection(_CheckedPeer, HTTPConnection):
    pass


class _HTTPSConnection(_CheckedPeer, HTTPSConnection):
    pass


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _HTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _HTTPSConnection


class _Adapter(HTTPAdapter):
    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}


def session() -> requests.Session:
    """A session for webhook deliveries: checked peers, no proxies from the environment."""
    s = requests.Session()
    s.trust_env = False
    s.mount("https://", _Adapter())
    s.mount("http://", _Adapter())
    return s
