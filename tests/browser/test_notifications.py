"""The inbox on a phone: the unread badge in the header, opening a notice marks it read."""

import pytest
from playwright.sync_api import expect

from wangge.notifications.models import Channel, Notification
from wangge.notifications.services import Message, notification_enqueue
from wangge.orgs.enums import Role
from wangge.orgs.tests.factories import make_street, staff_user

from .conftest import screenshot, sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_handler_opens_a_notice_from_the_badge_on_a_phone(phone_page):
    street = make_street()
    handler = staff_user("dept_cg", Role.DEPARTMENT_STAFF, street.department)
    notification_enqueue(
        [
            Message(
                channel=Channel.IN_APP,
                kind="case.dispatch",
                title="事件 SJ20261102000001 已派遣到本单位",
                body="路灯不亮",
                link="/cases/",
                recipient_id=handler.pk,
            )
        ]
    )
    page = phone_page
    sign_in(page, handler)
    page.goto("/notifications/")
    badge = page.locator("a.inbox-link .badge")
    expect(badge).to_have_text("1")
    notice = page.locator("li.unread button.tap-row")
    expect(notice).to_contain_text("SJ20261102000001")
    screenshot(page, "notifications-phone.png")
    notice.click()
    page.wait_for_load_state("domcontentloaded")
    assert page.url.endswith("/cases/")
    expect(page.locator("a.inbox-link .badge")).to_have_count(0)
    assert Notification.objects.get().read_at is not None
