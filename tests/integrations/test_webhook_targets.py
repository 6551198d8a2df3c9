"""Webhooks cannot be pointed at kyc's own network: https to public addresses, no redirects."""

import pytest
from django.core.exceptions import ValidationError

from onboarding import webhook_targets
from onboarding.models import ApiClient, WebhookDelivery, WebhookEndpoint
from onboarding.services.integrations import webhooks
from tests.integrations.test_webhooks import Receiver, case_for, endpoint, receiver  # noqa: F401 (fixtures)

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def production_rules(settings):
    settings.KYC_WEBHOOK_ALLOW_HTTP = False
    settings.KYC_WEBHOOK_ALLOWED_NETWORKS = []


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hook",
        "https://localhost/hook",
        "https://[::1]/hook",
        "https://[::ffff:127.0.0.1]/hook",
        "https://169.254.169.254/latest/meta-data/",
        "https://10.1.2.3/",
        "https://172.16.0.9/",
        "https://192.168.1.1/",
        "https://100.64.0.1/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://240.0.0.1/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "http://93.184.215.14/hook",
        "ftp://93.184.215.14/",
        "gopher://93.184.215.14/",
        "https://user:pw@93.184.215.14/",
        "https://no-such-host.invalid/",
    ],
)
def test_refused_at_save_time_with_a_clear_message(production_rules, url):
    client = ApiClient.objects.create(name="acme")
    endpoint = WebhookEndpoint(client=client, url=url, secret="whsec_x")
    with pytest.raises(ValidationError) as info:
        endpoint.full_clean()
    assert info.value.message_dict["url"]


def test_public_https_is_accepted(production_rules):
    webhook_targets.check_url("https://93.184.215.14/hooks")
    webhook_targets.check_url("https://[2606:2800:21f:cb07:6820:80da:af6b:8b2c]/hooks")


def test_plain_http_needs_the_development_setting(settings):
    settings.KYC_WEBHOOK_ALLOWED_NETWORKS = []
    settings.KYC_WEBHOOK_ALLOW_HTTP = True
    webhook_targets.check_url("http://93.184.215.14/hooks")


def test_refused_again_at_delivery_time(receiver, endpoint, settings):
    """Saved while allowed; the rules (or the name's addresses) changed since: nothing is sent."""
    settings.KYC_WEBHOOK_ALLOWED_NETWORKS = []
    case_for(endpoint)
    assert receiver.received == []
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.last_error.startswith("refused:")


def test_the_connected_address_is_checked_too(receiver, endpoint, settings, monkeypatch):
    """DNS rebinding: a name that passed the check but connects to loopback is still refused."""
    settings.KYC_WEBHOOK_ALLOWED_NETWORKS = []
    monkeypatch.setattr(webhook_targets, "check_url", lambda url, **kw: None)  # the name "resolved" public
    case_for(endpoint)
    assert receiver.received == []
    delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
    assert delivery.status == WebhookDelivery.Status.PENDING and delivery.last_error


def test_redirects_are_not_followed(receiver):
    internal = Receiver()  # stands for an internal service the redirect points at
    redirector = Receiver(redirect_to=internal.url)  # a client's server bouncing the POST inward
    try:
        client = ApiClient.objects.create(name="acme", scopes=["verifications:read"])
        endpoint = WebhookEndpoint.objects.create(client=client, url=redirector.url, secret=webhooks.new_secret())
        case_for(endpoint)
        assert internal.received == []
        delivery = WebhookDelivery.objects.filter(endpoint=endpoint).first()
        assert delivery.last_status_code == 307 and "redirects are not followed" in delivery.last_error
    finally:
        redirector.server.shutdown()
        internal.server.shutdown()
