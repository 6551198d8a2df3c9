"""Webhooks to a real HTTP receiver on loopback: signed, ordered, de-duplicable, retried, rotated."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from onboarding.models import ApiClient, WebhookDelivery, WebhookEndpoint, WebhookEvent
from onboarding.services.compliance import audit
from onboarding.services.integrations import webhooks
from onboarding.services.review.decisions import record_human_decision
from onboarding.tasks import dispatch_due_webhooks
from tests.factories import ApplicantFactory, submitted_verification

pytestmark = pytest.mark.django_db(transaction=True)


class Receiver:
    """A webhook receiver: records what arrives; can be told to fail the next N requests, or to
    answer every request with a redirect to `redirect_to`."""

    def __init__(self, redirect_to=None):
        self.received, self.fail_next = [], 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                failing = receiver.fail_next > 0
                receiver.fail_next -= failing
                self.send_response(307 if redirect_to else 500 if failing else 204)
                if redirect_to:
                    self.send_header("Location", redirect_to)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"

    def events(self):
        return [json.loads(body) for _, body in self.received]


@pytest.fixture
def receiver():
    r = Receiver()
    yield r
    r.server.shutdown()


@pytest.fixture
def endpoint(receiver):
    client = ApiClient.objects.create(name="acme", scopes=["verifications:read"])
    return WebhookEndpoint.objects.create(client=client, url=receiver.url, secret=webhooks.new_secret())


def case_for(endpoint, selfie="obama_1", card="obama_2"):
    applicant = ApplicantFactory()
    applicant.client = endpoint.client
    applicant.save()
    return submitted_verification(selfie, card, applicant=applicant)


def test_events_arrive_signed_in_order_with_ids(receiver, endpoint):
    v = case_for(endpoint)
    events = receiver.events()
    assert [e["type"] for e in events][0] == "verification.submitted"
    assert [e["type"] for e in events].count("check.completed") == 4
    assert events[-1]["type"] == "decision.made" and events[-1]["data"]["decision"] == "review"
    # Local liveness had no challenge to judge: a required check not done, an ordinary risk.
    assert events[-1]["data"]["risk_level"] == "3"
    assert [r["code"] for r in events[-1]["data"]["risk_reasons"]] == ["check_not_done"]
    assert sorted(e["sequence"] for e in events) == list(range(1, len(events) + 1))
    assert len({e["id"] for e in events}) == len(events)
    for headers, body in receiver.received:
        assert webhooks.verify_signature(headers["kyc-signature"], body, endpoint.secret)
        assert not webhooks.verify_signature(headers["kyc-signature"], body, "whsec_wrong")
        assert headers["kyc-event-id"] == json.loads(body)["id"]
    assert all(e["verification_id"] == str(v.pk) for e in events)


def test_reviewer_decision_sends_decision_changed(receiver, endpoint, django_user_model):
    v = case_for(endpoint)
    reviewer = django_user_model.objects.create_user("r", password="x")
    record_human_decision(v.pk, outcome="approve", comment="checked by hand", user=reviewer)
    last = receiver.events()[-1]
    assert last["type"] == "decision.changed" and last["data"]["status"] == "approved"


def test_a_reviewer_s_internal_comment_never_reaches_the_client(receiver, endpoint, django_user_model):
    from onboarding.models import Decision
    from onboarding.selectors.api import api_verification
    from onboarding.selectors.cases import verification_with_details

    v = case_for(endpoint)
    reviewer = django_user_model.objects.create_user("r", password="x")
    record_human_decision(v.pk, outcome="reject", comment="looks like the fraud ring from last week", user=reviewer)
    sent = json.dumps(receiver.events()) + json.dumps(api_verification(verification_with_details(v.pk)))
    assert "fraud ring" not in sent and "Decided by a reviewer." in sent
    assert Decision.objects.filter(verification=v).latest().comment == "looks like the fraud ring from last week"
    w = case_for(endpoint, "leslie_1", "leslie_2")
    record_human_decision(
        w.pk, outcome="approve", comment="internal", client_message="Verified by our team.", user=reviewer
    )
    reasons = receiver.events()[-1]["data"]["reasons"]
    assert reasons == [{"code": "reviewer_message", "message": "Verified by our team.", "fixable": False}]


def test_failed_delivery_is_retried_with_backoff_then_delivered(receiver, endpoint):
    receiver.fail_next = 100
    case_for(endpoint)
    delivery = WebhookDelivery.objects.filter(event__type="decision.made").get()
    assert delivery.status == "pending" and delivery.attempts == 1 and delivery.last_status_code == 500
    assert delivery.next_attempt_at > timezone.now()
    assert dispatch_due_webhooks() == 0  # nothing is due yet
    receiver.fail_next = 0
    WebhookDelivery.objects.update(next_attempt_at=timezone.now() - timedelta(seconds=1))
    assert dispatch_due_webhooks() == WebhookDelivery.objects.count()
    delivery.refresh_from_db()
    assert delivery.status == "delivered" and delivery.attempts == 2
    ids = [e["id"] for e in receiver.events()]
    assert len(ids) > len(set(ids))  # the receiver saw retries: event ids let it drop duplicates


def test_gives_up_after_max_attempts(receiver, endpoint, settings):
    settings.KYC_WEBHOOK_MAX_ATTEMPTS = 2
    receiver.fail_next = 1000
    case_for(endpoint)
    WebhookDelivery.objects.update(next_attempt_at=timezone.now())
    dispatch_due_webhooks()
    assert set(WebhookDelivery.objects.values_list("status", flat=True)) == {"failed"}
    delivery = WebhookDelivery.objects.first()
    webhooks.redeliver(delivery, actor=audit.Actor.system("t"))  # the admin's "send again"
    assert WebhookDelivery.objects.get(pk=delivery.pk).status == "failed"  # a receiver still down: failed again


def test_retry_schedule_spans_about_a_day():
    import random

    rng = random.Random(1)
    total = sum(webhooks.retry_delay(n, rng) for n in range(1, 14))
    assert 12 * 3600 < total < 36 * 3600
    assert all(webhooks.retry_delay(n, rng) <= 4 * 3600 for n in range(1, 30))


def test_secret_rotation_signs_with_both_during_the_overlap(receiver, endpoint):
    old = endpoint.secret
    new = webhooks.rotate_secret(endpoint)
    case_for(endpoint)
    headers, body = receiver.received[0]
    assert webhooks.verify_signature(headers["kyc-signature"], body, old)
    assert webhooks.verify_signature(headers["kyc-signature"], body, new)
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(previous_secret_expires_at=timezone.now())
    case_for(endpoint, "leslie_1", "leslie_2")
    headers, body = receiver.received[-1]
    assert not webhooks.verify_signature(headers["kyc-signature"], body, old)
    assert webhooks.verify_signature(headers["kyc-signature"], body, new)


def test_stale_signatures_are_refused():
    body = b'{"x":1}'
    header = f"t=1000,v1={webhooks.sign(body, 's', 1000)}"
    assert webhooks.verify_signature(header, body, "s", now=1100)
    assert not webhooks.verify_signature(header, body, "s", now=2000)


def test_event_filter_and_web_flow_applicants(receiver, endpoint):
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(events=["decision.made"])
    case_for(endpoint)
    assert [e["type"] for e in receiver.events()] == ["decision.made"]
    submitted_verification()  # a web-flow applicant belongs to no client: no event at all
    assert WebhookEvent.objects.filter(verification__applicant__client__isnull=True).count() == 0
