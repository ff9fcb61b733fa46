"""/api/v1/notifications: the caller's own inbox; someone else's notification is 404."""

import pytest

from wangge.notifications.models import Channel, Notification
from wangge.notifications.services import Message, notification_enqueue

from .conftest import make_resident

pytestmark = pytest.mark.django_db


def notify(user, title: str) -> Notification:
    notification_enqueue(
        [Message(channel=Channel.IN_APP, kind="case.close", title=title, recipient_id=user.pk)]
    )
    return Notification.objects.filter(recipient=user).latest("id")


def test_the_inbox_and_marking_read(client):
    owner, other = make_resident("owner", "13800138000"), make_resident("other", "13900139000")
    first, second = notify(owner, "一"), notify(owner, "二")
    theirs = notify(other, "别人的")
    client.force_login(owner)
    body = client.get("/api/v1/notifications?limit=1").json()
    assert (body["unread"], [i["title"] for i in body["items"]]) == (2, ["二"])
    assert body["next_before"] == second.pk
    body = client.get(f"/api/v1/notifications?before={second.pk}").json()
    assert [i["id"] for i in body["items"]] == [first.pk]
    response = client.post(f"/api/v1/notifications/{theirs.pk}/read")
    assert (response.status_code, response.json()["code"]) == (404, "not_found")
    theirs.refresh_from_db()
    assert theirs.read_at is None
    assert client.post(f"/api/v1/notifications/{first.pk}/read").json()["read_at"]
    assert client.post("/api/v1/notifications/read-all").json() == {"count": 1}
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_the_inbox_needs_a_sign_in(client):
    assert client.get("/api/v1/notifications").status_code == 401
