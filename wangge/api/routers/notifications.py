"""The caller's own in-app notifications: the inbox (newest first, keyset by id) and marking
read. Another user's notification is 404, like anything out of scope."""

from datetime import datetime

from ninja import Query, Router, Schema

from wangge.core.scope import request_actor
from wangge.notifications.selectors import (
    notification_inbox,
    notification_unread_count,
)
from wangge.notifications.services import notification_mark_all_read, notification_mark_read

from .orgs import ErrorOut

router = Router(tags=["notifications"])


class NotificationOut(Schema):
    id: int
    kind: str
    title: str
    body: str
    link: str
    created_at: datetime
    read_at: datetime | None


class InboxOut(Schema):
    unread: int
    items: list[NotificationOut]
    next_before: int | None


class CountOut(Schema):
    count: int


@router.get("/notifications", response=InboxOut, summary="My notifications")
def inbox_get(
    request, before: int | None = Query(None, ge=1), limit: int = Query(30, ge=1, le=100)
):
    actor = request_actor(request)
    rows = notification_inbox(actor=actor, before_id=before, limit=limit)
    return {
        "unread": notification_unread_count(actor=actor),
        "items": rows,
        "next_before": rows[-1].pk if len(rows) == limit else None,
    }


@router.post(
    "/notifications/{notification_id}/read",
    response={200: NotificationOut, 404: ErrorOut},
    summary="Mark one of my notifications read",
)
def read_post(request, notification_id: int):
    return notification_mark_read(actor=request_actor(request), notification_id=notification_id)


@router.post("/notifications/read-all", response=CountOut, summary="Mark all my notifications read")
def read_all_post(request):
    return {"count": notification_mark_all_read(actor=request_actor(request))}
