"""The outbox: written in the caller's transaction, delivered once, retried with backoff, given
up (and kept) after the last attempt, never sent twice by two workers."""

import contextlib
import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.db import connection, transaction
from django.utils import timezone

from wangge.core.models import AccountKind, User
from wangge.notifications.delivery import (
    notifications_claim,
    notifications_deliver,
    retry_delay,
)
from wangge.notifications.models import Channel, DeliveryStatus, GatewayMessage, Notification
from wangge.notifications.services import Message, notification_enqueue

from .conftest import PHONE

pytestmark = pytest.mark.django_db


def sms(user, kind="test.sms") -> Message:
    return Message(channel=Channel.SMS, kind=kind, title="您的事件已受理", recipient_id=user.pk)


def test_a_rolled_back_change_leaves_no_notification(resident_with_phone):
    with pytest.raises(RuntimeError), transaction.atomic():
        notification_enqueue([sms(resident_with_phone)])
        assert Notification.objects.count() == 1
        raise RuntimeError("the change failed")
    assert Notification.objects.count() == 0


def test_in_app_is_delivered_by_existing_and_the_rest_wait(resident_with_phone):
    notification_enqueue(
        [
            Message(
                channel=Channel.IN_APP, kind="k", title="t", recipient_id=resident_with_phone.pk
            ),
            sms(resident_with_phone),
        ]
    )
    status = dict(Notification.objects.values_list("channel", "status"))
    assert status == {Channel.IN_APP: DeliveryStatus.SENT, Channel.SMS: DeliveryStatus.PENDING}


def test_delivery_sends_once_and_marks_sent(gateway, resident_with_phone):
    notification_enqueue([sms(resident_with_phone)])
    assert notifications_deliver() == {"sent": 1, "retry": 0, "dead": 0}
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.last_error) == (DeliveryStatus.SENT, 1, "")
    assert row.sent_at is not None and row.next_attempt_at is None
    assert [(c, a, t) for c, a, t, _id in gateway.sent] == [("sms", PHONE, "您的事件已受理")]
    assert notifications_deliver() == {"sent": 0, "retry": 0, "dead": 0}
    assert len(gateway.sent) == 1


def test_a_failure_is_retried_later_then_succeeds(gateway, resident_with_phone):
    gateway.reset(failures=1)
    now = timezone.now()
    notification_enqueue([sms(resident_with_phone)], now=now)
    assert notifications_deliver(now=now)["retry"] == 1
    row = Notification.objects.get()
    assert (row.status, row.attempts) == (DeliveryStatus.PENDING, 1)
    assert row.next_attempt_at == now + retry_delay(1)
    # The error names the failure, never the address it quoted.
    assert row.last_error == "ConnectionError"
    assert notifications_deliver(now=now + retry_delay(1) - timedelta(seconds=1))["sent"] == 0
    assert notifications_deliver(now=now + retry_delay(1))["sent"] == 1
    row.refresh_from_db()
    assert (row.status, row.attempts) == (DeliveryStatus.SENT, 2)
    assert len(gateway.sent) == 1


def test_backoff_doubles_and_is_capped(settings):
    settings.WANGGE_NOTIFICATIONS_RETRY_BASE_SECONDS = 60
    settings.WANGGE_NOTIFICATIONS_RETRY_MAX_SECONDS = 600
    assert [retry_delay(n).total_seconds() for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 480, 600]


def test_after_the_last_attempt_the_row_is_dead_but_kept(gateway, resident_with_phone, settings):
    settings.WANGGE_NOTIFICATIONS_MAX_ATTEMPTS = 3
    gateway.reset(failures=10)
    now = timezone.now()
    notification_enqueue([sms(resident_with_phone)], now=now)
    outcomes = []
    for _attempt in range(1, 5):
        outcomes.append(notifications_deliver(now=now))
        now += timedelta(days=1)
    assert [o["retry"] for o in outcomes] == [1, 1, 0, 0]
    assert [o["dead"] for o in outcomes] == [0, 0, 1, 0]
    row = Notification.objects.get()
    assert (row.status, row.attempts, row.next_attempt_at) == (DeliveryStatus.DEAD, 3, None)
    assert gateway.sent == []


def test_a_recipient_without_an_address_is_given_up_at_once(gateway):
    staff = User.objects.create_user(username="no_phone", kind=AccountKind.STAFF)
    notification_enqueue([sms(staff)])
    assert notifications_deliver()["dead"] == 1
    assert Notification.objects.get().last_error == "no_address"


def test_a_claimed_row_is_not_sent_by_another_worker_until_its_lease_ends(
    gateway, resident_with_phone
):
    now = timezone.now()
    notification_enqueue([sms(resident_with_phone)], now=now)
    [_claimed] = notifications_claim(batch=10, now=now)  # a worker that then died
    assert Notification.objects.get().status == DeliveryStatus.SENDING
    assert notifications_deliver(now=now + timedelta(seconds=299))["sent"] == 0
    assert notifications_deliver(now=now + timedelta(seconds=300))["sent"] == 1
    assert len(gateway.sent) == 1
    assert Notification.objects.get().attempts == 2


def test_email_goes_through_the_django_mail_backend(settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    staff = User.objects.create_user(username="mailed", email="handler@example.org")
    notification_enqueue(
        [
            Message(
                channel=Channel.EMAIL,
                kind="case.urge",
                title="事件 SJ1 已超期",
                body="路灯不亮",
                link="/cases/SJ1/",
                recipient_id=staff.pk,
            )
        ]
    )
    assert notifications_deliver()["sent"] == 1
    [message] = mail.outbox
    assert (message.to, message.subject) == (["handler@example.org"], "事件 SJ1 已超期")
    assert "/cases/SJ1/" in message.body


def test_the_logging_gateway_keeps_only_a_masked_phone(resident_with_phone):
    notification_enqueue([sms(resident_with_phone)])
    assert notifications_deliver()["sent"] == 1
    [logged] = GatewayMessage.objects.all()
    assert logged.masked_address == "138****8000"
    assert PHONE not in logged.text


@pytest.mark.django_db(transaction=True)
def test_two_concurrent_deliverers_never_send_a_row_twice(gateway, resident_with_phone):
    total = 60
    notification_enqueue([sms(resident_with_phone, kind=f"k{n}") for n in range(total)])
    start = threading.Barrier(2)
    errors: list[BaseException] = []
    # PostgreSQL: the workers really overlap (SKIP LOCKED). The in-memory SQLite test database
    # has one writer and raises "table is locked" instead of waiting, so there the two workers'
    # passes take turns, as SQLite's single writer makes them do in a deployment.
    turns = threading.Lock() if connection.vendor == "sqlite" else contextlib.nullcontext()

    def worker() -> None:
        try:
            start.wait()
            while True:
                with turns:
                    counts = notifications_deliver(batch=7)
                if not any(counts.values()):
                    return
        except BaseException as exc:  # reported below: a thread's failure must fail the test
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    ids = [notification_id for _c, _a, _t, notification_id in gateway.sent]
    assert len(ids) == total
    assert len(set(ids)) == total
    assert set(Notification.objects.values_list("status", flat=True)) == {DeliveryStatus.SENT}
    assert set(Notification.objects.values_list("attempts", flat=True)) == {1}


def test_the_command_delivers_what_is_due(gateway, resident_with_phone):
    from io import StringIO

    from django.core.management import call_command

    notification_enqueue([sms(resident_with_phone)])
    out = StringIO()
    call_command("wangge_deliver_notifications", stdout=out)
    assert "sent 1" in out.getvalue()
    assert Notification.objects.get().status == DeliveryStatus.SENT
