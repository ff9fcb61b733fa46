"""Webhooks against a real local HTTP server that fails first and then accepts: the retry, the
HMAC-SHA256 signature a receiver checks, and who may subscribe."""

import hashlib
import hmac
import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone

from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.models import AuditEvent
from wangge.core.scope import Actor
from wangge.notifications.channels import SIGNATURE_HEADER, TIMESTAMP_HEADER
from wangge.notifications.delivery import notifications_deliver, retry_delay
from wangge.notifications.models import Channel, DeliveryStatus, Notification, WebhookSubscription
from wangge.notifications.selectors import webhooks_for_path
from wangge.notifications.services import (
    Message,
    notification_enqueue,
    webhook_subscription_create,
    webhook_subscription_deactivate,
)

pytestmark = pytest.mark.django_db

SECRET = "a-department-shared-secret"
UNIT = "/511400000000/511402000000/511402001000/511402001000D01/"


class Receiver(BaseHTTPRequestHandler):
    """A department's system: answers the queued statuses in turn, records every request."""

    statuses: list[int] = []
    received: list[tuple[dict, bytes]] = []

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        Receiver.received.append((dict(self.headers), body))
        status = Receiver.statuses.pop(0) if Receiver.statuses else 200
        self.send_response(status)
        self.end_headers()

    def log_message(self, *args):
        pass


@pytest.fixture
def receiver():
    Receiver.statuses, Receiver.received = [], []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Receiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/hook"
    server.shutdown()
    server.server_close()


def verify(headers: dict, body: bytes, secret: str) -> bool:
    """What a receiver does: recompute the signature over "<timestamp>.<body>"."""
    signed = headers[TIMESTAMP_HEADER].encode() + b"." + body
    expected = "sha256=" + hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers[SIGNATURE_HEADER])


def event(webhook: WebhookSubscription) -> Message:
    return Message(
        channel=Channel.WEBHOOK,
        webhook_id=webhook.pk,
        kind="case.dispatch",
        title="case.dispatch",
        object_type="case",
        object_id="SJ20261102000001",
        payload={"event": "case.dispatch", "case": "SJ20261102000001", "to_state": "dispatched"},
    )


def test_a_failed_webhook_is_retried_and_its_signature_verifies(receiver):
    hook = webhook_subscription_create(
        actor=Actor.system(), org_path=UNIT, url=receiver, secret=SECRET
    )
    Receiver.statuses = [500]
    now = timezone.now()
    notification_enqueue([event(hook)], now=now)
    assert notifications_deliver(now=now) == {"sent": 0, "retry": 1, "dead": 0}
    row = Notification.objects.get()
    assert (row.status, row.last_error) == (DeliveryStatus.PENDING, "http_500")
    assert notifications_deliver(now=now + retry_delay(1)) == {"sent": 1, "retry": 0, "dead": 0}
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert len(Receiver.received) == 2
    headers, body = Receiver.received[-1]
    assert verify(headers, body, SECRET)
    assert not verify(headers, body, "another-secret-of-16+")
    assert not verify(headers, body.replace(b"dispatched", b"closed"), SECRET)
    assert json.loads(body)["case"] == "SJ20261102000001"
    assert headers["X-Wangge-Delivery"] == str(row.pk)
    # The secret is stored encrypted, never in clear.
    assert SECRET.encode() not in bytes(WebhookSubscription.objects.get().secret_encrypted)


def test_an_unreachable_receiver_is_retried(receiver):
    hook = webhook_subscription_create(
        actor=Actor.system(), org_path=UNIT, url="http://127.0.0.1:9/hook", secret=SECRET
    )
    notification_enqueue([event(hook)])
    assert notifications_deliver()["retry"] == 1
    assert Notification.objects.get().status == DeliveryStatus.PENDING


def test_subscriptions_match_their_unit_and_optionally_its_subtree(receiver):
    exact = webhook_subscription_create(
        actor=Actor.system(), org_path=UNIT, url=receiver, secret=SECRET
    )
    street = "/511400000000/511402000000/511402001000/"
    tree = webhook_subscription_create(
        actor=Actor.system(), org_path=street, url=receiver, secret=SECRET, include_subtree=True
    )
    assert sorted(webhooks_for_path(UNIT)) == sorted([exact.pk, tree.pk])
    assert webhooks_for_path(street + "511402001001/") == [tree.pk]
    assert webhooks_for_path("/511400000000/") == []
    webhook_subscription_deactivate(actor=Actor.system(), subscription_id=tree.pk)
    assert webhooks_for_path(UNIT) == [exact.pk]


def test_only_an_admin_over_the_unit_may_subscribe(receiver):
    elsewhere = Actor(user=None, grants=(("admin", "/511400000000/511499000000/"),))
    handler = Actor(user=None, grants=(("handler", UNIT),))
    for actor in (elsewhere, handler):
        with pytest.raises(PermissionDenied):
            webhook_subscription_create(actor=actor, org_path=UNIT, url=receiver, secret=SECRET)
    assert WebhookSubscription.objects.count() == 0
    assert not AuditEvent.objects.filter(action="notifications.webhook_create").exists()
    admin = Actor(user=None, grants=(("admin", "/511400000000/511402000000/"),))
    webhook_subscription_create(actor=admin, org_path=UNIT, url=receiver, secret=SECRET)
    assert WebhookSubscription.objects.count() == 1


def test_bad_urls_and_short_secrets_are_refused(receiver):
    with pytest.raises(ValidationFailed) as caught:
        webhook_subscription_create(
            actor=Actor.system(), org_path=UNIT, url="file:///etc/passwd", secret=SECRET
        )
    assert caught.value.field == "url"
    with pytest.raises(ValidationFailed) as caught:
        webhook_subscription_create(actor=Actor.system(), org_path=UNIT, url=receiver, secret="x")
    assert caught.value.field == "secret"
    assert WebhookSubscription.objects.count() == 0


def test_deactivating_someone_elses_subscription_is_not_found(receiver):
    hook = webhook_subscription_create(
        actor=Actor.system(), org_path=UNIT, url=receiver, secret=SECRET
    )
    elsewhere = Actor(user=None, grants=(("admin", "/511400000000/511499000000/"),))
    with pytest.raises(NotFound):
        webhook_subscription_deactivate(actor=elsewhere, subscription_id=hook.pk)
    assert WebhookSubscription.objects.get().is_active


def test_a_deactivated_subscription_is_given_up(receiver):
    hook = webhook_subscription_create(
        actor=Actor.system(), org_path=UNIT, url=receiver, secret=SECRET
    )
    notification_enqueue([event(hook)], now=timezone.now() - timedelta(seconds=1))
    webhook_subscription_deactivate(actor=Actor.system(), subscription_id=hook.pk)
    assert notifications_deliver()["dead"] == 1
    assert Receiver.received == []
