"""The inbox page: each user sees and marks only their own notifications; the unread badge; the
outbox problems page for admins."""

import pytest
from django.urls import reverse
from django.utils import timezone

from wangge.core.models import AccountKind, User
from wangge.notifications.delivery import notifications_deliver
from wangge.notifications.models import Channel, DeliveryStatus, Notification
from wangge.notifications.selectors import notification_unread_count
from wangge.notifications.services import Message, notification_enqueue
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import admin_user, login_as, make_street, staff_user

from .conftest import make_resident

pytestmark = pytest.mark.django_db


def notify(user, title="您的事件 SJ1 已办结", link="/cases/SJ1/") -> Notification:
    notification_enqueue(
        [
            Message(
                channel=Channel.IN_APP,
                kind="case.close",
                title=title,
                link=link,
                recipient_id=user.pk,
            )
        ]
    )
    return Notification.objects.filter(recipient=user).latest("id")


@pytest.fixture
def people():
    return make_resident("owner", "13800138000"), make_resident("other", "13900139000")


def test_the_inbox_lists_only_the_users_own_notifications(client, people):
    owner, other = people
    notify(owner, title="给本人的通知")
    notify(other, title="给别人的通知")
    client.force_login(owner)
    page = client.get(reverse("notifications_inbox"))
    assert page.status_code == 200
    assert "给本人的通知" in page.content.decode()
    assert "给别人的通知" not in page.content.decode()
    assert page["Cache-Control"] == "no-store"


def test_marking_read_opens_the_link_and_clears_the_badge(client, people):
    owner, _other = people
    row = notify(owner)
    client.force_login(owner)
    home = client.get(reverse("notifications_inbox")).content.decode()
    assert 'class="badge"' in home
    response = client.post(reverse("notifications_read", args=[row.pk]), {"open": "1"})
    assert (response.status_code, response["Location"]) == (302, "/cases/SJ1/")
    row.refresh_from_db()
    assert row.read_at is not None
    assert notification_unread_count(actor=owner) == 0
    assert 'class="badge"' not in client.get(reverse("notifications_inbox")).content.decode()


def test_another_users_notification_is_not_found_and_stays_unread(client, people):
    owner, other = people
    row = notify(owner)
    client.force_login(other)
    response = client.post(reverse("notifications_read", args=[row.pk]))
    assert response.status_code == 404
    row.refresh_from_db()
    assert row.read_at is None
    client.post(reverse("notifications_read_all"))
    row.refresh_from_db()
    assert row.read_at is None
    assert notification_unread_count(actor=owner) == 1


def test_mark_all_read_touches_only_the_users_rows(client, people):
    owner, other = people
    mine = [notify(owner), notify(owner)]
    theirs = notify(other)
    client.force_login(owner)
    assert client.post(reverse("notifications_read_all")).status_code == 302
    assert all(Notification.objects.get(pk=row.pk).read_at for row in mine)
    assert Notification.objects.get(pk=theirs.pk).read_at is None


def test_a_link_to_another_site_is_not_followed(client, people):
    owner, _other = people
    row = notify(owner, link="https://evil.example/")
    client.force_login(owner)
    response = client.post(reverse("notifications_read", args=[row.pk]), {"open": "1"})
    assert response["Location"] == reverse("notifications_inbox")


def test_the_inbox_needs_a_sign_in(client):
    response = client.get(reverse("notifications_inbox"))
    assert response.status_code == 302
    assert "login" in response["Location"]


def test_admins_see_given_up_rows_and_others_do_not(client, settings):
    settings.WANGGE_NOTIFICATIONS_MAX_ATTEMPTS = 1
    street = make_street()
    staff = User.objects.create_user(username="no_mail", kind=AccountKind.STAFF)
    notification_enqueue(
        [
            Message(
                channel=Channel.SMS,
                kind="case.urge",
                title="t",
                recipient_id=staff.pk,
                object_type="case",
                object_id="SJ20261102000009",
                org_path=street.grid_a1.path,
            )
        ],
        now=timezone.now(),
    )
    notifications_deliver()
    assert Notification.objects.get(channel=Channel.SMS).status == DeliveryStatus.DEAD
    url = reverse("notifications_outbox")
    login_as(client, admin_user(street.street))
    page = client.get(url)
    assert page.status_code == 200
    assert "SJ20261102000009" in page.content.decode()
    assert "no_address" in page.content.decode()
    client.logout()
    login_as(client, staff_user("cs", Role.COMMUNITY_STAFF, street.community_a))
    assert client.get(url).status_code == 404
    other_admin = admin_user(street.community_b, username="admin_b")
    login_as(client, other_admin)
    assert "SJ20261102000009" not in client.get(url).content.decode()
