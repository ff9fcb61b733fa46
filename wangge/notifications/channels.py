"""Sending one outbox row on its channel. Addresses are resolved here, at delivery, and never
written back: the outbox holds user ids and references only.

Every failure is raised as DeliveryError with a short code that names no person (an exception
class or an HTTP status); NoAddress means the row can never be sent and is given up at once.
"""

import hashlib
import hmac
import json
import time
import urllib.error
import urllib.request

from django.conf import settings
from django.core.mail import EmailMessage

from wangge.core.accounts import resident_phone
from wangge.core.crypto import decrypt
from wangge.core.models import User

from .gateways import message_gateway
from .hooks import ADDRESS_RESOLVERS
from .models import Channel, Notification
from .services import WEBHOOK_SECRET_AAD

SIGNATURE_HEADER = "X-Wangge-Signature"
TIMESTAMP_HEADER = "X-Wangge-Timestamp"


class DeliveryError(Exception):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code[:120]


class NoAddress(DeliveryError):
    def __init__(self) -> None:
        super().__init__("no_address")


def webhook_signature(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over "<timestamp>.<body>", hex, as sent in X-Wangge-Signature ("sha256=...").
    The timestamp is signed too, so a receiver can refuse old replays."""
    mac = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return "sha256=" + mac.hexdigest()


def _address(row: Notification, users: dict[int, User]) -> str:
    if row.recipient_id is not None:
        user = users.get(row.recipient_id)
        if user is None or not user.is_active:
            return ""
        if row.channel == Channel.EMAIL:
            return user.email
        if row.channel == Channel.SMS:
            return resident_phone(user)
        return f"user:{user.pk}"
    name, _sep, object_id = row.address_ref.partition(":")
    resolver = ADDRESS_RESOLVERS.get(name)
    return resolver(object_id, row.channel) if resolver is not None else ""


def _link(row: Notification) -> str:
    if not row.link:
        return ""
    return getattr(settings, "WANGGE_SITE_URL", "").rstrip("/") + row.link


def _send_webhook(row: Notification) -> None:
    subscription = row.webhook
    if subscription is None or not subscription.is_active:
        raise NoAddress()
    secret = decrypt(subscription.secret_encrypted, aad=WEBHOOK_SECRET_AAD)
    body = json.dumps(row.payload, ensure_ascii=False, sort_keys=True).encode("utf-8")
    timestamp = str(int(time.time()))
    request = urllib.request.Request(  # noqa: S310 (the scheme was checked on subscription)
        subscription.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Wangge-Webhook/1",
            "X-Wangge-Event": row.kind,
            "X-Wangge-Delivery": str(row.pk),
            TIMESTAMP_HEADER: timestamp,
            SIGNATURE_HEADER: webhook_signature(secret, timestamp, body),
        },
    )
    timeout = getattr(settings, "WANGGE_WEBHOOK_TIMEOUT_SECONDS", 10)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
            status = response.status
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"http_{exc.code}") from None
    except (urllib.error.URLError, OSError) as exc:
        raise DeliveryError(type(getattr(exc, "reason", exc)).__name__) from None
    if not 200 <= status < 300:
        raise DeliveryError(f"http_{status}")


def send(row: Notification, users: dict[int, User]) -> None:
    """Send one row or raise DeliveryError."""
    if row.channel == Channel.WEBHOOK:
        _send_webhook(row)
        return
    address = _address(row, users)
    if not address:
        raise NoAddress()
    text = f"{row.title}\n{row.body}".strip() if row.body else row.title
    try:
        if row.channel == Channel.EMAIL:
            link = _link(row)
            EmailMessage(
                subject=row.title,
                body=f"{row.body}\n\n{link}".strip(),
                to=[address],
            ).send()
        elif row.channel == Channel.SMS:
            message_gateway().send_sms(phone=address, text=text, notification_id=row.pk)
        elif row.channel == Channel.WECHAT:
            message_gateway().send_wechat(
                user_ref=address, text=text, link=_link(row), notification_id=row.pk
            )
        else:
            raise DeliveryError(f"unknown_channel_{row.channel}")
    except DeliveryError:
        raise
    except Exception as exc:  # a gateway or SMTP failure: its text may quote the address
        raise DeliveryError(type(exc).__name__) from None
