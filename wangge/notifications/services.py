"""Writes: enqueue notifications (inside the caller's transaction), mark them read, subscribe
webhooks. Enqueueing does no I/O: delivery happens later, in `delivery.py`."""

from collections.abc import Iterable
from dataclasses import dataclass, field
from urllib.parse import urlparse

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from wangge.core.audit import audit_record
from wangge.core.crypto import encrypt
from wangge.core.errors import NotFound, PermissionDenied, ValidationFailed
from wangge.core.revisions import revision_bump
from wangge.core.scope import path_in_scope

from .models import Channel, DeliveryStatus, Notification, WebhookSubscription

WEBHOOK_SECRET_AAD = "notifications.webhook.secret"  # noqa: S105 (a label, not a secret)
WEBHOOKS_REVISION = "notifications.webhooks"


@dataclass
class Message:
    """One notification to enqueue. Exactly one of recipient_id, address_ref, webhook_id is set."""

    channel: str
    kind: str
    title: str
    body: str = ""
    link: str = ""
    recipient_id: int | None = None
    address_ref: str = ""
    webhook_id: int | None = None
    object_type: str = ""
    object_id: str = ""
    org_path: str = ""
    payload: dict = field(default_factory=dict)


def notification_enqueue(messages: Iterable[Message], *, now=None) -> int:
    """Write the messages in one bulk INSERT, inside the caller's transaction (no I/O here).

    A change that rolls back takes its notifications with it; one that commits cannot lose them.
    In-app rows are delivered by existing; the rest wait for the deliverer. Returns the count.
    """
    now = now or timezone.now()
    rows = []
    for message in messages:
        in_app = message.channel == Channel.IN_APP
        rows.append(
            Notification(
                recipient_id=message.recipient_id,
                address_ref=message.address_ref,
                webhook_id=message.webhook_id,
                channel=message.channel,
                kind=message.kind[:32],
                title=str(message.title)[:200],
                body=str(message.body)[:2000],
                link=message.link[:255],
                object_type=message.object_type,
                object_id=str(message.object_id),
                org_path=message.org_path,
                payload=message.payload,
                created_at=now,
                status=DeliveryStatus.SENT if in_app else DeliveryStatus.PENDING,
                sent_at=now if in_app else None,
                next_attempt_at=None if in_app else now,
            )
        )
    if rows:
        Notification.objects.bulk_create(rows)
    return len(rows)


def site_language():
    """Recipients have no language of their own yet: texts are written in the site's language
    (zh-Hans), not in the language of whoever caused the event."""
    return translation.override(settings.LANGUAGE_CODE)


# --- the inbox ----------------------------------------------------------------------------------


def _user(actor):
    user = getattr(actor, "user", actor)
    if user is None or not getattr(user, "is_authenticated", False):
        raise NotFound(_("Notification not found."))
    return user


@transaction.atomic
def notification_mark_read(*, actor, notification_id: int) -> Notification:
    """Mark one of the actor's own in-app notifications read; anyone else's is NotFound."""
    user = _user(actor)
    row = (
        Notification.objects.select_for_update()
        .filter(pk=notification_id, recipient_id=user.pk, channel=Channel.IN_APP)
        .first()
    )
    if row is None:
        raise NotFound(_("Notification not found."))
    if row.read_at is None:
        row.read_at = timezone.now()
        row.save(update_fields=["read_at"])
    return row


@transaction.atomic
def notification_mark_all_read(*, actor) -> int:
    user = _user(actor)
    return Notification.objects.filter(
        recipient_id=user.pk, channel=Channel.IN_APP, read_at__isnull=True
    ).update(read_at=timezone.now())


# --- webhooks ------------------------------------------------------------------------------------


@transaction.atomic
def webhook_subscription_create(
    *, actor, org_path: str, url: str, secret: str, include_subtree: bool = False
) -> WebhookSubscription:
    """An admin over the unit subscribes a department's system to the unit's case events."""
    if not getattr(actor, "is_system", False) and not path_in_scope(org_path, actor.paths("admin")):
        raise PermissionDenied(
            _("Only an admin over this unit may add a webhook."), field="org_path"
        )
    parts = urlparse(url or "")
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ValidationFailed(_("Enter an http or https URL."), code="invalid", field="url")
    if len(secret or "") < 16:
        raise ValidationFailed(
            _("The secret must have at least 16 characters."), code="too_short", field="secret"
        )
    subscription = WebhookSubscription.objects.create(
        org_path=org_path,
        include_subtree=include_subtree,
        url=url,
        secret_encrypted=encrypt(secret, aad=WEBHOOK_SECRET_AAD),
    )
    revision_bump(WEBHOOKS_REVISION)
    audit_record(
        actor=actor,
        action="notifications.webhook_create",
        object_type="webhook",
        object_id=subscription.pk,
        org_path=org_path,
    )
    return subscription


@transaction.atomic
def webhook_subscription_deactivate(*, actor, subscription_id: int) -> None:
    row = WebhookSubscription.objects.filter(pk=subscription_id, is_active=True).first()
    if row is None or (
        not getattr(actor, "is_system", False)
        and not path_in_scope(row.org_path, actor.paths("admin"))
    ):
        raise NotFound(_("Webhook not found."))
    row.is_active = False
    row.save(update_fields=["is_active"])
    revision_bump(WEBHOOKS_REVISION)
    audit_record(
        actor=actor,
        action="notifications.webhook_deactivate",
        object_type="webhook",
        object_id=row.pk,
        org_path=row.org_path,
    )
