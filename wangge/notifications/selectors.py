"""Reads: a user's inbox and unread count, the outbox for admins, webhook subscriptions."""

from django.db.models import QuerySet

from wangge.core.revisions import RevisionCache
from wangge.core.scope import scope_q

from .models import Channel, DeliveryStatus, Notification, WebhookSubscription
from .services import WEBHOOKS_REVISION

INBOX_PAGE = 30


def _user_id(actor) -> int | None:
    user = getattr(actor, "user", actor)
    if user is None or not getattr(user, "is_authenticated", False):
        return None
    return user.pk


def notification_inbox(*, actor, before_id: int | None = None, limit: int = INBOX_PAGE) -> list:
    """The actor's own in-app notifications, newest first (keyset on id)."""
    user_id = _user_id(actor)
    if user_id is None:
        return []
    rows = Notification.objects.filter(recipient_id=user_id, channel=Channel.IN_APP)
    if before_id is not None:
        rows = rows.filter(pk__lt=before_id)
    return list(
        rows.order_by("-id").only("id", "kind", "title", "body", "link", "created_at", "read_at")[
            :limit
        ]
    )


def notification_unread_count(*, actor) -> int:
    user_id = _user_id(actor)
    if user_id is None:
        return 0
    return Notification.objects.filter(
        recipient_id=user_id, channel=Channel.IN_APP, read_at__isnull=True
    ).count()


def outbox_problems(*, actor, limit: int = 200) -> QuerySet[Notification]:
    """Rows given up or waiting on a retry, for the admins over their objects' places."""
    rows = Notification.objects.exclude(channel=Channel.IN_APP).filter(
        status__in=(DeliveryStatus.DEAD, DeliveryStatus.PENDING, DeliveryStatus.SENDING),
        attempts__gt=0,
    )
    if not getattr(actor, "is_system", False):
        rows = rows.filter(scope_q(actor.paths("admin"), "org_path"))
    return rows.order_by("-id").only(
        "id",
        "channel",
        "kind",
        "object_type",
        "object_id",
        "status",
        "attempts",
        "next_attempt_at",
        "last_error",
        "created_at",
    )[:limit]


def _load_webhooks() -> list[tuple[int, str, bool]]:
    return list(
        WebhookSubscription.objects.filter(is_active=True).values_list(
            "id", "org_path", "include_subtree"
        )
    )


# Subscriptions are few and every case event asks for them: kept in memory, reloaded when the
# revision moves, so an event of an unsubscribed unit costs no query.
_webhooks = RevisionCache(WEBHOOKS_REVISION, _load_webhooks)


def webhooks_for_path(path: str) -> list[int]:
    """Ids of the active subscriptions that hear events of the unit at `path`."""
    if not path:
        return []
    return [
        pk
        for pk, org_path, subtree in _webhooks.get()
        if path == org_path or (subtree and path.startswith(org_path))
    ]


def webhooks_any() -> bool:
    return bool(_webhooks.get())
